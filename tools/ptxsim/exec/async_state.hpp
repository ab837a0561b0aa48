// Per-warp, per-CTA and per-cluster state of the asynchronous families
// (ops_async.cpp): cp.async groups, mbarriers, TMA and bulk groups, cluster
// barriers; ptxsim's own encoding of a CUtensorMap (tensor_map.cpp); and the
// queries other families call (the st handler, wgmma, shared accesses).
//
// Included by exec.hpp before Warp / Cta / VectorClock are defined: the
// state here holds only complete standard types (clocks as raw arrays, which
// ops_async.cpp copies into a VectorClock around hb_release / hb_acquire).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace ptxsim::exec {

struct Warp;
struct Cta;
struct Cluster;
using ClockArray = std::array<uint32_t, 32>;  // == VectorClock::t

// ---- ptxsim's encoding of a CUtensorMap (written by encode_tensor_map_tiled) ----
constexpr uint64_t kTensorMapMagic = 0x50544d4d49535850ull;  // "PXSIMMTP"
struct TensorMapImage {
    uint64_t magic;          // kTensorMapMagic: anything else is not a map ptxsim encoded
    uint64_t base;           // globalAddress
    uint64_t dims[5];        // globalDim
    uint64_t strides[4];     // globalStrides (bytes) of dimensions 1 .. rank-1
    uint32_t box[5];         // boxDim
    uint8_t estr[5];         // elementStrides
    uint8_t rank;
    uint8_t dtype;           // CUtensorMapDataType
    uint8_t interleave;      // CUtensorMapInterleave
    uint8_t swizzle;         // CUtensorMapSwizzle
    uint8_t l2;              // CUtensorMapL2promotion
    uint8_t oob;             // CUtensorMapFloatOOBfill
    uint8_t elem_bits;       // 4/6 for the packed types, else 8 * bytes
    uint32_t check;          // tensor_map_checksum of the bytes before it
};
static_assert(sizeof(TensorMapImage) <= 128, "fits in a CUtensorMap");
uint32_t tensor_map_checksum(const TensorMapImage& m);

// ---- per warp ----
// One cp.async (ISA 9.7.9.25.3.1): destination, bytes, the source read at issue
// (zero-filled past src-size); lands in shared memory at the wait that
// completes its group.
struct CpAsyncCopy {
    uint32_t dst = 0;
    uint32_t bytes = 0;
    std::array<uint8_t, 16> data{};
};
// A bulk store (cp.async.bulk.tensor / cp.async.bulk global.shared::cta): the
// shared bytes it reads, their values at issue, and the global runs written at
// the wait_group that completes its bulk async-group.
struct BulkStore {
    Cta* cta = nullptr;
    std::vector<uint32_t> saddr;        // shared offset per source byte
    std::vector<uint8_t> snap;          // its value at issue
    struct Run { uint64_t gaddr; uint32_t first; uint32_t bytes; };  // snap[first, first+bytes) -> gaddr
    std::vector<Run> runs;              // in-tensor destinations (clipped elements have none)
};
struct AsyncLane {
    std::vector<CpAsyncCopy> cp_open;                 // cp.async not yet committed
    std::vector<std::vector<CpAsyncCopy>> cp_groups;  // committed, oldest first
    std::vector<BulkStore> bulk_open;                 // bulk stores not yet committed
    std::vector<std::vector<BulkStore>> bulk_groups;  // committed bulk async-groups, oldest first
};
struct AsyncWarpState {
    std::array<AsyncLane, 32> lane;
};

// ---- per CTA ----
// An mbarrier object (ISA 9.7.13.15): side table entry keyed by shared offset.
struct Mbarrier {
    uint32_t count = 0;        // expected arrivals per phase
    int64_t pending = 0;       // arrivals still missing in the current phase
    int64_t tx = 0;            // tx-count of the current phase
    uint64_t phase = 0;        // phases completed
    bool fenced = false;       // init made visible by fence.mbarrier_init (remote / async-proxy use)
    bool proxy_fenced = false; // init followed by fence.proxy.async of the initialising thread (async-proxy use)
    uint32_t init_thread = 0;  // thread of the CTA that initialised it
    uint32_t tma_inflight = 0; // pending TMA / bulk loads that complete_tx on it
    ClockArray vc_cur{};       // racecheck: joined over the current phase's arrivals
    std::array<ClockArray, 2> vc_done{};  // the clock of the last completed phase of each parity
};
struct AsyncCtaState {
    std::map<uint32_t, Mbarrier> mbars;
    // Per window byte: in-flight asynchronous writes into it (cp.async before
    // its wait, TMA / bulk loads before they land). Empty until first used.
    std::vector<uint16_t> pending_writes;
    // The generic-to-async proxy rule (ISA 9.7.12.4 "fence.proxy"): per window
    // byte, 1 + the thread of the last generic-proxy write (0: none) and that
    // write's number in wseq; per thread, wseq at its last fence.proxy.async.
    // Filled only through note_generic_shared_write, and only for kernels
    // with async-proxy readers (bulk / TMA stores, wgmma).
    std::vector<uint16_t> wr_thread;
    std::vector<uint32_t> wr_seq;
    std::vector<uint32_t> fenced_seq;
    uint32_t wseq = 0;
    int8_t track_proxy = -1;   // -1: not decided yet for this CTA's kernel
    uint64_t bulk_stores_open = 0;  // stores issued and not yet completed by a wait_group (all lanes)
};

// ---- per cluster ----
// A TMA / bulk load issued and not landed yet (Launch::tma_late): the image of
// the destination bytes [dst, dst + data.size()) in every CTA of `mask`, and
// the complete_tx it makes on the mbarrier at `mbar` of each of them.
struct PendingLoad {
    uint32_t dst = 0;
    uint32_t mbar = 0;
    uint32_t mask = 0;         // destination CTA ranks
    uint32_t tx_bytes = 0;     // credited on each destination's mbarrier
    std::vector<uint8_t> data;
    Cta* issuer = nullptr;
    int ptx_line = 0;
};
struct AsyncClusterState {
    // barrier.cluster (ISA 9.7.13.3): per CTA rank, per thread, the generation
    // the thread arrived in (-1: not arrived since its last wait).
    bool initialised = false;
    uint64_t gen = 0;
    uint32_t arrived = 0;
    std::vector<std::vector<int64_t>> arrived_gen;
    std::vector<std::pair<Warp*, uint32_t>> waiters;
    std::vector<ClockArray> vc_cur, vc_done;  // per CTA rank (clocks are per CTA)
    std::vector<PendingLoad> loads;
    uint64_t rng = 0;
    uint64_t last_progress = ~0ull;  // Launch::progress at the previous async_progress call
};

// ---- queries for other families ----
// True when [addr, addr + bytes) of c's window overlaps a live (initialised,
// not invalidated) mbarrier object: the st/atom handlers fault on such writes.
bool is_live_mbarrier(const Cta& c, uint32_t addr, uint32_t bytes);
// True when an asynchronous write into [addr, addr + bytes) is in flight (a
// cp.async before its wait_group, a TMA load not landed): a thread access of
// those bytes is a race (the memory family faults with Check::racecheck).
bool async_write_pending(const Cta& c, uint32_t addr, uint32_t bytes);
// The proxy rule's bookkeeping: the memory family calls this for every
// generic-proxy (Unit::Thread) shared write of `thread` (Warp::thread(lane)).
void note_generic_shared_write(Cta& c, uint32_t thread, uint32_t addr, uint32_t bytes);
// Faults (fault_cta, Check::rule) when a byte of [addr, addr + bytes) was last
// written through the generic proxy by a thread without a later
// fence.proxy.async: for async-proxy readers (TMA store sources, wgmma operands).
void check_async_proxy_read(Cta& c, uint32_t addr, uint32_t bytes, const char* what);
// The same with the reading instruction's context (fault(w, lane, ...)).
void check_async_proxy_read(const Warp& w, int lane, uint32_t addr, uint32_t bytes, const char* what);

}  // namespace ptxsim::exec
