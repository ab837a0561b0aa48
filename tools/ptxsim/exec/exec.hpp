// The executor's state and the interface instruction handlers are written
// against. A launch runs cluster by cluster; within a cluster every CTA's
// warps are interleaved by the scheduler (scheduler.cpp). A warp executes one
// instruction at a time for the group of its lanes that share the lowest
// program counter (PTX ISA 4.4 / independent thread scheduling: lanes may
// diverge anywhere; collectives say where they meet). Handlers get the warp
// and the active mask and do the work for every active lane; a handler that
// must wait (barriers, warpgroup collectives) blocks lanes and another warp
// runs.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "exec/async_state.hpp"
#include "exec/mma_state.hpp"
#include "ptx/ir.hpp"
#include "sim.hpp"

namespace ptxsim::exec {

using LaneMask = uint32_t;
struct Warp;
struct Cta;
struct Cluster;
struct Launch;

// A kernel failure: stops the launch; the driver reports it as a sticky error.
// what() is the full report (check, kernel, block, thread, PTX line, source).
struct KernelFault : std::runtime_error {
    KernelFault(CUresult code, const std::string& what) : std::runtime_error(what), status(code) {}
    CUresult status;
};

// Sanitizer vocabulary (compute-sanitizer's tools).
enum class Check { memcheck, racecheck, initcheck, synccheck, deadlock, unsupported, rule };

// Throws KernelFault describing the current instruction of `w` and `lane`
// (lane -1: the warp as a whole). status: the CUresult the driver returns.
[[noreturn]] void fault(const Warp& w, int lane, Check check, CUresult status, const std::string& what);
// The same, for a failure of the asynchronous units (TMA, bulk copies) with
// no current instruction: names the CTA and what issued it.
[[noreturn]] void fault_cta(const Cta& c, Check check, CUresult status, const std::string& what);

// ---- happens-before for racecheck (racecheck.cpp) ----
// Warp-granularity vector clocks: one component per warp of the CTA (lanes of
// a warp are one agent). Synchronisation objects (named barriers, mbarrier
// phases) carry a clock; arrive releases into it, a completed wait acquires it.
struct VectorClock {
    std::array<uint32_t, 32> t{};
    void join(const VectorClock& o) {
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = t[i] > o.t[i] ? t[i] : o.t[i];
    }
};
void hb_release(Warp& w, VectorClock& sync);        // sync joins w's clock; w's own component ticks
void hb_acquire(Warp& w, const VectorClock& sync);  // w's clock joins sync

// ---- per-lane execution state ----
enum class LaneState : uint8_t { Active, Blocked, Exited };

struct Warp {
    Cta* cta = nullptr;
    int id = 0;                        // warp index in the CTA
    LaneMask valid = 0;                // lanes that are threads of the block
    std::vector<uint64_t> regs;        // [slot * 32 + lane], raw bits, zero-extended
    std::array<uint32_t, 32> pc{};     // next instruction index per lane
    std::array<LaneState, 32> state{};
    const ptx::Instruction* cur = nullptr;  // the instruction being executed (for reports)
    VectorClock vc;                    // racecheck clock (component `id` is this warp's own)
    bool yield = false;                // handler asks the scheduler to run another warp (failed try_wait)
    LaneMask parked = 0;               // lanes waiting at a collective for lanes of the warp still elsewhere
    std::vector<uint8_t> local;        // .local memory: 32 lanes x Launch::local_bytes
    MmaWarpState mma;                  // mma_state.hpp (wgmma in-flight groups ...)
    AsyncWarpState async;              // async_state.hpp (cp.async groups, bulk groups ...)

    uint64_t& reg(int slot, int lane) { return regs[std::size_t(slot) * 32 + lane]; }
    uint64_t reg(int slot, int lane) const { return regs[std::size_t(slot) * 32 + lane]; }
    LaneMask live() const;             // lanes not exited
    void block(LaneMask lanes);        // lanes stop until released (their pc is already past the instruction)
    void release(LaneMask lanes);
    uint32_t thread(int lane) const;   // linear thread index in the CTA
};

// Named barriers (bar.sync / bar.arrive / bar.red, ISA 9.7.13.1).
struct NamedBarrier {
    uint32_t expected = 0;             // thread count of the current phase (0: idle)
    uint32_t arrived = 0;
    struct Waiter {
        Warp* warp;
        LaneMask lanes;
        const ptx::Instruction* in;    // bar.red writes its result into the waiter's destination
    };
    std::vector<Waiter> waiters;
    bool red_or = false;               // bar.red.or.pred accumulator
    uint32_t red_popc = 0;
    bool red_and = true;
    VectorClock clock;                 // joined over the arrivals of the current phase
};

struct Cta {
    Launch* launch = nullptr;
    Cluster* cluster = nullptr;
    uint32_t ctaid[3] = {0, 0, 0};
    uint32_t rank = 0;                 // %cluster_ctarank
    uint32_t linear = 0;               // linear CTA index in the grid
    std::vector<uint8_t> smem;         // the shared::cta window, address 0 = smem[0]
    std::vector<uint8_t> smem_init;    // 1 per byte written (initcheck)
    std::vector<uint32_t> shadow_write; // racecheck: last writer per byte ((warp + 1) << 26 | clock), 0 none
    std::vector<uint32_t> shadow_read;  // racecheck: last reader per byte, same encoding
    std::vector<Warp> warps;
    std::array<NamedBarrier, 16> barriers;
    uint32_t nthreads = 0;
    uint32_t exited_threads = 0;
    AsyncCtaState async;               // async_state.hpp (mbarriers, pending TMA ...)
};

struct Cluster {
    Launch* launch = nullptr;
    std::vector<Cta*> ctas;            // by rank
    uint32_t id[3] = {0, 0, 0};        // %clusterid
    AsyncClusterState async;           // barrier.cluster etc.
};

struct Stats;  // profile counters (profile.hpp)

struct Launch {
    const LoadedModule* module = nullptr;
    const KernelInfo* kernel = nullptr;
    const ptx::Function* fn = nullptr;
    const DeviceModel* device = nullptr;
    int device_ordinal = 0;
    uint32_t grid[3], block[3], cluster[3];
    uint32_t dyn_smem = 0;
    uint32_t static_smem_base = 0;     // == device->reserved_smem_per_block
    uint32_t dyn_smem_base = 0;        // first byte of dynamic shared memory in the window
    uint32_t smem_window = 0;          // bytes of the window
    std::vector<uint64_t> symbol_addr; // Function::symbols[i] -> shared offset (Shared), local offset (Local),
                                       // generic address (Global/Const)
    std::vector<uint8_t> params;
    uint32_t local_bytes = 0;
    uint64_t seed = 0;
    bool tma_late = false;             // execution model: TMA loads land as late as possible
    uint64_t progress = 0;             // bumped by every store, arrival and completion (deadlock detection)
    Stats* stats = nullptr;
    // Checks (PTXSIM_CHECKS, default all): racecheck and initcheck can be turned off.
    bool racecheck = true;
    bool initcheck = true;
    bool profile = false;              // PTXSIM_PROFILE set: count bank conflicts and sectors
    bool approx_noise = false;         // PTXSIM_APPROX_NOISE=1: .approx results off by the ISA's maximum error
    int8_t async_proxy_reads = -1;     // the kernel reads shared memory through the async proxy (-1: not yet known)
};
// Lanes of a mask, lowest first.
template <class F>
inline void for_lanes(LaneMask m, F&& f) {
    for (; m; m &= m - 1) f(__builtin_ctz(m));
}

// ---- operand access (values.cpp) ----
// Raw bits of a source operand for `lane` (register, immediate, special register).
uint64_t src_bits(const Warp& w, const ptx::Operand& op, int lane);
// Writes the low `bits` bits of a destination (register or sink), zero-extended in the slot.
void dst_write(Warp& w, const ptx::Operand& op, int lane, uint64_t value);
inline float as_f32(uint64_t b) { float f; uint32_t u = uint32_t(b); std::memcpy(&f, &u, 4); return f; }
inline double as_f64(uint64_t b) { double d; std::memcpy(&d, &b, 8); return d; }
inline uint64_t bits_of(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline uint64_t bits_of(double d) { uint64_t u; std::memcpy(&u, &d, 8); return u; }
// The address an Addr (or Symbol / Reg) operand names for `lane`, before any
// state-space translation: base register + offset, or symbol address + offset.
uint64_t effective_address(const Warp& w, const ptx::Operand& op, int lane);

// ---- memory (memory.cpp) ----
// Who accesses: a lane of a warp, or an async unit acting for a warp.
enum class Unit : uint8_t { Thread, Tma, Bulk, Wgmma, CpAsync, Atomic };
// Shared::cta access by `w`'s `lane` at window offset `addr`: checks bounds
// (the reserved first KB and past the window are faults), alignment to
// `align`, initcheck on reads, and racecheck; then copies.
void shared_read(Warp& w, int lane, uint32_t addr, void* dst, uint32_t bytes, uint32_t align, Unit unit = Unit::Thread);
void shared_write(Warp& w, int lane, uint32_t addr, const void* src, uint32_t bytes, uint32_t align,
                  Unit unit = Unit::Thread);
// The same on another CTA's window (TMA multicast, DSMEM): no warp context.
void shared_write_cta(Cta& c, uint32_t addr, const void* src, uint32_t bytes, Unit unit, const char* what);
void shared_read_cta(Cta& c, uint32_t addr, void* dst, uint32_t bytes, Unit unit, const char* what);
// Checks [addr, addr + bytes) lies inside the usable window of `c`; faults with `what` otherwise.
void check_shared_range(const Warp& w, int lane, uint32_t addr, uint32_t bytes, const char* what);
// shared::cluster addresses (ISA 5.1.4.1 / mapa): the window offset and the
// CTA. An address of the executing CTA's own window is valid as is;
// mapa-produced addresses carry the target rank.
struct ClusterAddr { Cta* cta; uint32_t offset; };
ClusterAddr resolve_cluster_addr(const Warp& w, int lane, uint32_t addr);
uint32_t make_cluster_addr(uint32_t rank, uint32_t offset);
// Global access with memcheck against the allocation table.
void global_read(Warp& w, int lane, uint64_t addr, void* dst, uint32_t bytes, uint32_t align);
void global_write(Warp& w, int lane, uint64_t addr, const void* src, uint32_t bytes, uint32_t align);
void check_global_range(const Warp& w, int lane, uint64_t addr, uint64_t bytes, const char* what);
// Generic addresses (ISA 5.1.6 "Generic addressing"): which window an address falls in.
enum class Window : uint8_t { Global, Shared, Local, Param, Invalid };
Window classify_generic(const Warp& w, int lane, uint64_t generic, uint32_t* offset);
uint64_t shared_to_generic(const Cta& c, uint32_t offset);
uint64_t local_to_generic(const Warp& w, int lane, uint32_t offset);

// ---- handlers ----
using Handler = void (*)(Warp& w, const ptx::Instruction& in, LaneMask active);
// Sets w.pc of every active lane to `target` (the executor otherwise advances pc by one).
void branch(Warp& w, LaneMask lanes, uint32_t target);
// Decoder registration: each family's file provides a lookup that returns the
// handler for an instruction (by in.base and in.mods), or nullptr when the
// family does not know the form. decode.cpp asks every family.
Handler decode_alu(const ptx::Instruction& in);     // ops_alu.cpp: integer, float, logic, setp, selp, cvt, math
Handler decode_memory(const ptx::Instruction& in);  // ops_memory.cpp: ld, st, atom, red, cvta, mov of addresses
Handler decode_control(const ptx::Instruction& in); // ops_control.cpp: bra, ret, exit, bar, shfl, vote, match, elect
Handler decode_mma(const ptx::Instruction& in);     // ops_mma.cpp: mma.sync, ldmatrix, stmatrix, wgmma.*, setmaxnreg
Handler decode_async(const ptx::Instruction& in);   // ops_async.cpp: cp.async*, mbarrier.*, cp.async.bulk*, fence,
                                                    // barrier.cluster, mapa, prefetch.tensormap
// Collective instructions: the lanes that must execute together. The
// executor waits until every live lane of `required` reaches the instruction
// (or faults when one exited), then calls the handler once with them.
LaneMask collective_lanes(const Warp& w, const ptx::Instruction& in, int first_lane);
bool is_collective(const ptx::Instruction& in);

// Async units' progress (ops_async.cpp): lands pending TMA loads of the
// cluster (per the execution model) and returns whether anything happened.
bool async_progress(Cluster& c, bool force);
// Per-launch hooks of the async and mma families (checks at the end: a
// pending bulk store, an mbarrier left mid-phase is fine, a wgmma group never
// waited for is a fault).
void async_cta_start(Cta& c);
void async_cta_finish(Cta& c);
void mma_warp_finish(Warp& w);
// For deadlock reports: every mbarrier of the CTA with its phase, pending
// arrivals and tx-count, and the TMA loads still in flight (ops_async.cpp).
std::string describe_async(const Cta& c);

}  // namespace ptxsim::exec
