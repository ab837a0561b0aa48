// State and helpers shared by the runtime's source files; not an interface
// for kernels or harnesses. The process emulates one cluster at a time: each
// of its threads is a fiber, `cur` the one running. Shared memory is a byte
// window per CTA with, per byte, who last wrote it (for the proxy rule) and
// how many in-flight wgmma groups read it.
#pragma once
#include <ucontext.h>

#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emu.hpp"
#include "host.hpp"

namespace emu::detail {
// A committed cp.async.bulk.tensor store: the shared bytes it reads, their
// values at issue, and each one's global destination (nullptr: clipped).
struct Store {
    std::vector<uint32_t> saddr;
    std::vector<uint8_t> snap;
    std::vector<unsigned char*> gaddr;
};
struct Fiber {
    ucontext_t ctx;
    char* stack = nullptr;
    bool done = false;
    int cta = 0;
    long cluster_arrived_gen = -1;
    dim3e tid{0, 0, 0};
    std::vector<Store> bulk_open;
    std::deque<std::vector<Store>> bulk_groups;
    int wg_commits = 0, wg_done = 0;
    bool wg_fenced = false;
    // Accumulator registers of this thread written by wgmma groups still in
    // flight: the register holds a poison NaN until the group completes
    // (wait_group), then the result lands. value, group index.
    std::unordered_map<float*, std::pair<float, int>> wg_pending;
    uint64_t wseq = 0, fenced = 0;  // this thread's generic shared writes, and how many of them fence.proxy.async covers
    const char* blocked = "";
};
struct Bar { int count = 0; long gen = 0; int expected = 0; };
struct MBar { uint32_t count; int64_t pending; int64_t tx; uint64_t phase; bool fenced; int init_thread; };
struct Load { uint32_t dst; EmuTensorMap m; int32_t c[4]; uint32_t bar; uint16_t mask; int src_cluster_base; };
struct WgSlot { uint64_t da, db; bool sd; int sa, sb, ta, tb, n; bool bf16; float* const* d; const uint32_t* a; };
// The shared-memory operand bytes of one wgmma group and their values at issue.
struct WgGroup { std::vector<uint32_t> addr; std::vector<uint8_t> val; unsigned warps = 0; bool verified = false; };
struct WG { Bar bar; WgSlot slot[128]; std::vector<WgGroup> groups; };
struct Region { const unsigned char* base; std::size_t size; };
struct Cta {
    dim3e idx{0, 0, 0};
    std::vector<unsigned char> win;
    std::vector<uint32_t> wr_thread;  // per byte: 1 + the thread of the last generic write, 0 for an async-proxy write
    std::vector<uint64_t> wr_seq;     // per byte: that write's number in the thread's wseq
    std::vector<uint16_t> inflight;   // per byte: wgmma groups in flight that read it
    std::map<uint32_t, MBar> mbars;
    Bar named[16];
    bool exited = false;
};

extern std::vector<Fiber> fibers;
extern int cur;
extern int cta_threads, cluster_size;
extern dim3e bdim, gdim;
extern std::vector<Cta> ctas;
extern uint32_t dyn_lo, dyn_hi;
extern std::vector<Bar> warp_bars;
extern std::vector<std::vector<uint32_t>> warp_slots;
extern std::vector<WG> wgs;
extern std::deque<Load> loads;  // issued TMA loads not landed yet (lazy model)
extern Bar cluster_bar;
extern long progress;  // bumped by every state change: no change in a whole round with threads left = deadlock
extern std::vector<Region> regions;
extern RunConfig cfg;
extern Stats st;

inline Cta& CTA() { return ctas[fibers[cur].cta]; }

// shared::cluster addresses made by mapa: bit 31 set, CTA rank in bits 24-27.
constexpr uint32_t kClusterTag = 0x80000000u;
struct SAddr { int cta; uint32_t off; };
SAddr resolve(uint32_t a, bool cluster_space, const char* what);

// scheduler.cpp
void yield(const char* why);
int alive_in_block();
int alive_in_cluster();
int alive_in(int first, int count);
void barrier(Bar& b, int participants, const char* why);

// memory.cpp
void check_dyn(uint32_t addr, std::size_t bytes, const char* what);
void smem_write(Cta& c, uint32_t addr, const void* src, std::size_t n, bool generic, const char* what);
uint8_t smem_read_async(uint32_t addr, const char* what);
void check_global_range(const void* p, std::size_t bytes, const char* what);

// sync.cpp
MBar& mbar(Cta& c, uint32_t addr, const char* what);
void check_phase(MBar& b);

// tma.cpp
void land(const Load& L);

// warp.cpp
const uint32_t* warp_exchange(const uint32_t* in, int n);
void warp_exchange_done();
void warp_sync_aligned(const char* what);

// numeric.cpp
float bf16f(uint16_t b);
float f16f(uint16_t b);
}  // namespace emu::detail
