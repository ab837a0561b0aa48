// The asynchronous family (PTX ISA 9.7.9.25 "Data movement and conversion
// instructions: asynchronous copy", 9.7.13.15 "Parallel synchronization:
// mbarrier", 9.7.13.3 "barrier.cluster", 9.7.12.4 "membar/fence",
// 9.7.9.24 "mapa", 9.7.9.15 "prefetch.tensormap"):
//
// - cp.async (non-bulk): per-thread copies of 4/8/16 bytes, the source read
//   at issue (zero fill past src-size / with ignore-src), landing in shared
//   memory at the cp.async.wait_group / wait_all that completes its group.
// - mbarrier: a side table per CTA keyed by shared offset (the 8 bytes in the
//   window hold an opaque state word); phases complete when the pending
//   arrivals and the tx-count both reach zero; remote arrivals through
//   shared::cluster addresses.
// - TMA (cp.async.bulk.tensor, tile mode) loads and stores, non-tensor bulk
//   copies, bulk async-groups; loads land at issue or, with Launch::tma_late,
//   when async_progress lands them (randomly, or when the cluster is stuck).
// - fences (the proxy rule's bookkeeping), barrier.cluster, mapa.
//
// Semantics and checks are ported from the emulator (tools/emulator/runtime/
// sync.cpp, tma.cpp, memory.cpp); see its README for the modelling choices
// (the full box is credited to complete_tx also for boxes partly outside the
// tensor).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "exec/exec.hpp"

namespace ptxsim::exec {

namespace {

using ptx::Instruction;
using ptx::Operand;
using ptx::OperandKind;

constexpr CUresult kSyncErr = CUDA_ERROR_LAUNCH_FAILED;
constexpr int64_t kTxMax = (1 << 20) - 1;        // tx-count range [-(2^20-1), 2^20-1]
constexpr uint32_t kCountMax = (1u << 20) - 1;   // expected / arrival counts [1, 2^20-1]

bool has(const Instruction& in, const char* m) {
    return std::find(in.mods.begin(), in.mods.end(), m) != in.mods.end();
}
template <class F> void for_lanes(LaneMask m, F&& f) {
    for (int l = 0; l < 32; ++l)
        if (m >> l & 1u) f(l);
}
uint64_t rng_next(uint64_t& s) {  // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

Launch& launch_of(const Warp& w) { return *w.cta->launch; }
void bump(const Warp& w) { ++w.cta->launch->progress; }

// Copies between the header's clock arrays and VectorClock.
void release_into(Warp& w, ClockArray& clock) {
    VectorClock v;
    v.t = clock;
    hb_release(w, v);
    clock = v.t;
}
void acquire_from(Warp& w, const ClockArray& clock) {
    VectorClock v;
    v.t = clock;
    hb_acquire(w, v);
}

void ensure_pending(Cta& c) {
    if (c.async.pending_writes.size() != c.smem.size()) c.async.pending_writes.assign(c.smem.size(), 0);
}
void add_pending(Cta& c, uint32_t addr, uint32_t bytes, int delta) {
    ensure_pending(c);
    for (uint32_t i = 0; i < bytes && addr + i < c.async.pending_writes.size(); ++i)
        c.async.pending_writes[addr + i] = uint16_t(c.async.pending_writes[addr + i] + delta);
}

// ---------------------------------------------------------------- addresses
enum class Space { Cta, Cluster, Generic };
Space space_of(const Instruction& in) {
    if (has(in, "shared::cluster")) return Space::Cluster;
    if (has(in, "shared::cta") || has(in, "shared")) return Space::Cta;
    return Space::Generic;
}
// A shared::cta address operand: the window offset of the executing CTA.
uint32_t cta_addr(const Warp& w, int lane, const Operand& op, const char* what) {
    const uint64_t a = effective_address(w, op, lane);
    if (a >> 24)
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              fmt::format("{}: address 0x{:x} is not a shared::cta address (a shared::cluster or generic address "
                          "used with a .shared::cta form)",
                          what, a));
    return uint32_t(a);
}
// An address operand in the instruction's space (shared::cta, shared::cluster
// or generic) resolved to a CTA of the cluster and its window offset.
ClusterAddr any_shared_addr(const Warp& w, int lane, const Operand& op, Space sp, const char* what) {
    const uint64_t a = effective_address(w, op, lane);
    switch (sp) {
        case Space::Cta: return {w.cta, cta_addr(w, lane, op, what)};
        case Space::Cluster:
            if (a >> 32)
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("{}: 0x{:x} is not a shared::cluster address", what, a));
            return resolve_cluster_addr(w, lane, uint32_t(a));
        case Space::Generic: {
            uint32_t off = 0;
            if (classify_generic(w, lane, a, &off) != Window::Shared)
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("{}: generic address 0x{:x} is not in shared memory", what, a));
            return resolve_cluster_addr(w, lane, off);
        }
    }
    return {w.cta, 0};
}

// ---------------------------------------------------------------- mbarriers
uint64_t mbar_word(const Mbarrier& b) {
    // Opaque state (ISA 9.7.13.15.2): phase in bits 32-62, pending arrivals in bits 0-19.
    return (uint64_t(b.phase & 0x7fffffffu) << 32) | uint64_t(uint64_t(b.pending) & 0xfffffu);
}
void sync_word(Cta& c, uint32_t addr, const Mbarrier& b) {
    const uint64_t v = mbar_word(b);
    if (uint64_t(addr) + 8 <= c.smem.size()) std::memcpy(c.smem.data() + addr, &v, 8);
}
// The phase completes when both its pending arrivals and its tx-count reach 0
// (ISA 9.7.13.15.6 "Phase completion of the mbarrier object").
void check_phase(Cta& c, uint32_t addr, Mbarrier& b) {
    if (b.pending == 0 && b.tx == 0) {
        b.vc_done[b.phase & 1] = b.vc_cur;
        b.vc_cur = ClockArray{};
        ++b.phase;
        b.pending = b.count;
        b.tx = 0;
        ++c.launch->progress;
    }
    sync_word(c, addr, b);
}
Mbarrier& find_mbar(const Warp& w, int lane, Cta& c, uint32_t addr, const char* what) {
    if (addr % 8)
        fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
              fmt::format("{}: mbarrier address 0x{:x} is not 8-byte aligned", what, addr));
    auto it = c.async.mbars.find(addr);
    if (it == c.async.mbars.end())
        fault(w, lane, Check::synccheck, kSyncErr,
              fmt::format("{}: no initialised mbarrier at shared 0x{:x}{} (mbarrier.init missing, or the object was "
                          "invalidated)",
                          what, addr, &c == w.cta ? "" : fmt::format(" of cluster CTA rank {}", c.rank)));
    return it->second;
}
void tx_range(const Warp* w, int lane, Cta& c, const Mbarrier& b, uint32_t addr, const char* what) {
    if (b.tx > kTxMax || b.tx < -kTxMax) {
        const std::string msg = fmt::format(
            "{}: tx-count of the mbarrier at shared 0x{:x} leaves the range [-(2^20-1), 2^20-1] (now {})", what, addr,
            b.tx);
        if (w) fault(*w, lane, Check::synccheck, kSyncErr, msg);
        fault_cta(c, Check::synccheck, kSyncErr, msg);
    }
}
// arrive-on (ISA 9.7.13.15.5): `count` arrivals of the lane's thread.
void arrive_on(Warp& w, int lane, Cta& c, uint32_t addr, Mbarrier& b, uint32_t count, bool no_complete,
               const char* what) {
    if (count < 1 || count > kCountMax)
        fault(w, lane, Check::rule, kSyncErr, fmt::format("{}: arrival count {} outside [1, 2^20-1]", what, count));
    if (b.pending < int64_t(count))
        fault(w, lane, Check::synccheck, kSyncErr,
              fmt::format("{}: more arrivals than the expected count in one phase on the mbarrier at shared 0x{:x} "
                          "(expected {}, {} pending, arriving {}, tx-count {}, phase {})",
                          what, addr, b.count, b.pending, count, b.tx, b.phase));
    if (&c == w.cta) release_into(w, b.vc_cur);  // clocks are per CTA: a remote arrival orders nothing here
    b.pending -= count;
    if (no_complete && b.pending == 0 && b.tx == 0)
        fault(w, lane, Check::synccheck, kSyncErr,
              fmt::format("{}: mbarrier.arrive.noComplete completes the current phase of the mbarrier at 0x{:x}", what,
                          addr));
    const uint64_t phase = b.phase;
    check_phase(c, addr, b);
    // An arrival that completes a phase hands the SM to the warps waiting on
    // it: the arriving warp's quantum ends here, so that what a released
    // buffer's next owner does (a TMA load into a stage freed too early)
    // happens before the releasing warp's next instructions (the
    // wgmma.wait_group that should have come first).
    if (b.phase != phase) w.yield = true;
    bump(w);
}

// fence.mbarrier_init (ISA 9.7.12.4): remote arrivals and async-proxy
// complete_tx need the init fenced (the emulator's rule); fence.proxy.async of
// the initialising thread also makes it visible to the async proxy.
void require_fenced(const Warp* w, int lane, Cta& c, uint32_t addr, const Mbarrier& b, bool async_proxy,
                    const char* what) {
    if (b.fenced || (async_proxy && b.proxy_fenced)) return;
    const std::string msg = fmt::format(
        "{}: the mbarrier at shared 0x{:x}{} was initialised (by thread {}) without a following "
        "fence.mbarrier_init.release.cluster{}",
        what, addr, fmt::format(" of CTA rank {}", c.rank), b.init_thread,
        async_proxy ? " (or fence.proxy.async) before its use by the async proxy" : " before a remote arrival");
    if (w) fault(*w, lane, Check::synccheck, kSyncErr, msg);
    fault_cta(c, Check::synccheck, kSyncErr, msg);
}

void h_mbar_init(Warp& w, const Instruction& in, LaneMask active) {
    // mbarrier.init{.shared{::cta}}.b64 [addr], count;  (ISA 9.7.13.15.9)
    const Space sp = space_of(in);
    for_lanes(active, [&](int lane) {
        const ClusterAddr a = any_shared_addr(w, lane, in.ops[0], sp, "mbarrier.init");
        if (a.cta != w.cta)
            fault(w, lane, Check::rule, kSyncErr, "mbarrier.init of another CTA's mbarrier (shared::cluster address)");
        const uint64_t count = src_bits(w, in.ops[1], lane) & 0xffffffffu;
        if (count < 1 || count > kCountMax)
            fault(w, lane, Check::rule, kSyncErr, fmt::format("mbarrier.init: count {} outside [1, 2^20-1]", count));
        if (a.offset % 8)
            fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                  fmt::format("mbarrier.init: address 0x{:x} is not 8-byte aligned", a.offset));
        Cta& c = *w.cta;
        auto it = c.async.mbars.find(a.offset);
        if (it != c.async.mbars.end() && it->second.tma_inflight)
            fault(w, lane, Check::synccheck, kSyncErr,
                  fmt::format("mbarrier.init: the mbarrier at 0x{:x} is re-initialised with {} TMA load(s) in flight "
                              "on it",
                              a.offset, it->second.tma_inflight));
        Mbarrier b;
        b.count = uint32_t(count);
        b.pending = int64_t(count);
        b.init_thread = w.thread(lane);
        const uint64_t word = mbar_word(b);
        if (it != c.async.mbars.end()) c.async.mbars.erase(it);  // the write below is the init itself
        shared_write(w, lane, a.offset, &word, 8, 8);
        c.async.mbars[a.offset] = b;
        bump(w);
    });
}

void h_mbar_inval(Warp& w, const Instruction& in, LaneMask active) {
    // mbarrier.inval{.shared{::cta}}.b64 [addr];  (ISA 9.7.13.15.10)
    const Space sp = space_of(in);
    for_lanes(active, [&](int lane) {
        const ClusterAddr a = any_shared_addr(w, lane, in.ops[0], sp, "mbarrier.inval");
        Mbarrier& b = find_mbar(w, lane, *a.cta, a.offset, "mbarrier.inval");
        if (b.tma_inflight)
            fault(w, lane, Check::synccheck, kSyncErr,
                  fmt::format("mbarrier.inval with {} TMA load(s) in flight on the mbarrier at 0x{:x}", b.tma_inflight,
                              a.offset));
        a.cta->async.mbars.erase(a.offset);
        bump(w);
    });
}

// mbarrier.arrive / arrive_drop / arrive.expect_tx (ISA 9.7.13.15.11-12):
//   mbarrier.arrive{.noComplete}{.sem}{.scope}{.space}.b64 state|_, [addr]{, count};
//   mbarrier.arrive.expect_tx{.sem}{.scope}{.space}.b64 state|_, [addr], txCount{, count};
//   mbarrier.arrive_drop{...}.b64 state|_, [addr]{, count};
void h_mbar_arrive(Warp& w, const Instruction& in, LaneMask active) {
    const Space sp = space_of(in);
    const bool expect = has(in, "expect_tx");
    const bool drop = in.mods.size() && in.mods[0] == "arrive_drop";
    const bool no_complete = has(in, "noComplete");
    const char* what = in.text.c_str();
    // Operands: an optional state destination, the address, then txCount / count.
    std::size_t i = 0;
    const Operand* state = nullptr;
    if (!in.ops.empty() && in.ops[0].kind != OperandKind::Addr) state = &in.ops[i++];
    if (i >= in.ops.size()) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "mbarrier.arrive operands");
    const Operand& addr_op = in.ops[i++];
    const Operand* tx_op = expect && i < in.ops.size() ? &in.ops[i++] : nullptr;
    const Operand* count_op = i < in.ops.size() ? &in.ops[i++] : nullptr;
    if (expect && !tx_op) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "arrive.expect_tx: no txCount");
    for_lanes(active, [&](int lane) {
        const ClusterAddr a = any_shared_addr(w, lane, addr_op, sp, what);
        Cta& c = *a.cta;
        Mbarrier& b = find_mbar(w, lane, c, a.offset, what);
        const bool remote = &c != w.cta;
        if (remote) {
            if (state && state->kind != OperandKind::Sink)
                fault(w, lane, Check::rule, kSyncErr,
                      fmt::format("{}: an arrive on another CTA's mbarrier returns no state (use _)", what));
            require_fenced(&w, lane, c, a.offset, b, false, what);
        }
        const uint64_t prior = mbar_word(b);
        if (tx_op) {
            const int64_t tx = int64_t(src_bits(w, *tx_op, lane) & 0xffffffffu);
            if (tx > kTxMax)
                fault(w, lane, Check::rule, kSyncErr, fmt::format("{}: txCount {} outside [0, 2^20-1]", what, tx));
            b.tx += tx;  // expect-tx, then arrive-on
            tx_range(&w, lane, c, b, a.offset, what);
        }
        const uint32_t count = count_op ? uint32_t(src_bits(w, *count_op, lane)) : 1u;
        if (drop) {
            // arrive-drop: the expected count of this and later phases drops by count.
            if (count > b.count)
                fault(w, lane, Check::synccheck, kSyncErr,
                      fmt::format("{}: arrive_drop of {} exceeds the expected count {}", what, count, b.count));
            b.count -= count;
        }
        arrive_on(w, lane, c, a.offset, b, count, no_complete, what);
        if (state) dst_write(w, *state, lane, prior);
    });
}

// mbarrier.expect_tx / complete_tx (ISA 9.7.13.15.13-14): [addr], txCount.
void h_mbar_tx(Warp& w, const Instruction& in, LaneMask active) {
    const Space sp = space_of(in);
    const bool complete = in.mods[0] == "complete_tx";
    const char* what = in.text.c_str();
    for_lanes(active, [&](int lane) {
        const ClusterAddr a = any_shared_addr(w, lane, in.ops[0], sp, what);
        Mbarrier& b = find_mbar(w, lane, *a.cta, a.offset, what);
        const int64_t tx = int64_t(src_bits(w, in.ops[1], lane) & 0xffffffffu);
        if (tx > kTxMax) fault(w, lane, Check::rule, kSyncErr, fmt::format("{}: txCount {} outside [0, 2^20-1]", what, tx));
        if (a.cta != w.cta) require_fenced(&w, lane, *a.cta, a.offset, b, false, what);
        b.tx += complete ? -tx : tx;
        tx_range(&w, lane, *a.cta, b, a.offset, what);
        if (complete) check_phase(*a.cta, a.offset, b);
        else sync_word(*a.cta, a.offset, b);
        bump(w);
    });
}

// mbarrier.test_wait / try_wait{.parity}{.sem}{.scope}{.shared{::cta}}.b64 waitComplete, [addr], state|phaseParity
// {, suspendTimeHint};  (ISA 9.7.13.15.16). A failed wait yields the warp and is no progress.
void h_mbar_wait(Warp& w, const Instruction& in, LaneMask active) {
    const Space sp = space_of(in);
    const bool parity = has(in, "parity");
    const char* what = in.text.c_str();
    bool failed = false;
    for_lanes(active, [&](int lane) {
        const ClusterAddr a = any_shared_addr(w, lane, in.ops[1], sp, what);
        if (a.cta != w.cta)
            fault(w, lane, Check::rule, kSyncErr,
                  fmt::format("{}: waiting on another CTA's mbarrier (only arrive operations may use shared::cluster "
                              "mbarriers of other CTAs)",
                              what));
        Mbarrier& b = find_mbar(w, lane, *a.cta, a.offset, what);
        const uint64_t v = src_bits(w, in.ops[2], lane);
        bool done;
        unsigned completed_parity;
        if (parity) {
            if ((v & 0xffffffffu) > 1)
                fault(w, lane, Check::rule, kSyncErr,
                      fmt::format("{}: phaseParity {} is not 0 or 1", what, v & 0xffffffffu));
            // The phase of this parity has completed when the current (incomplete) phase has the other parity.
            completed_parity = unsigned(v & 1);
            done = (b.phase & 1) != completed_parity;
        } else {
            const uint64_t ph = (v >> 32) & 0x7fffffffu;
            completed_parity = unsigned(ph & 1);
            done = (b.phase & 0x7fffffffu) != ph;
        }
        if (done) acquire_from(w, b.vc_done[completed_parity]);
        else failed = true;
        dst_write(w, in.ops[0], lane, done ? 1 : 0);
    });
    if (failed) w.yield = true;
}

// mbarrier.pending_count.b64 count, state;  (ISA 9.7.13.15.17)
void h_mbar_pending(Warp& w, const Instruction& in, LaneMask active) {
    for_lanes(active, [&](int lane) { dst_write(w, in.ops[0], lane, src_bits(w, in.ops[1], lane) & 0xfffffu); });
}

// ---------------------------------------------------------------- cp.async (non-bulk)
// cp.async.ca/.cg.shared{::cta}.global{.level::cache_hint}{.level::prefetch_size}
//     [dst], [src], cp-size{, src-size}{, cache-policy};
// cp.async.ca/.cg.shared{::cta}.global{...} [dst], [src], cp-size{, ignore-src}{, cache-policy};  (ISA 9.7.9.25.3.1)
bool is_pred_reg(const Warp& w, const Operand& op) {
    if (op.kind != OperandKind::Reg) return false;
    const auto& regs = w.cta->launch->fn->regs;
    return op.reg >= 0 && std::size_t(op.reg) < regs.size() && regs[std::size_t(op.reg)].type == ptx::Type::Pred;
}
void h_cp_async(Warp& w, const Instruction& in, LaneMask active) {
    const bool cg = has(in, "cg");
    std::size_t nops = in.ops.size();
    if (has(in, "L2::cache_hint") && nops > 3) --nops;  // the cache-policy operand
    if (nops < 3) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "cp.async operands");
    for_lanes(active, [&](int lane) {
        const uint32_t size = uint32_t(src_bits(w, in.ops[2], lane));
        if (!(size == 4 || size == 8 || size == 16) || (cg && size != 16))
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("cp.async.{}: cp-size {} (must be {})", cg ? "cg" : "ca", size, cg ? "16" : "4, 8 or 16"));
        uint32_t src_size = size;
        bool ignore = false;
        for (std::size_t k = 3; k < nops; ++k) {
            if (is_pred_reg(w, in.ops[k])) ignore = src_bits(w, in.ops[k], lane) != 0;
            else src_size = uint32_t(src_bits(w, in.ops[k], lane));
        }
        if (src_size > size)
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("cp.async: src-size {} larger than cp-size {}", src_size, size));
        if (ignore) src_size = 0;
        const uint32_t dst = cta_addr(w, lane, in.ops[0], "cp.async destination");
        const uint64_t src = effective_address(w, in.ops[1], lane);
        if (dst % size)
            fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                  fmt::format("cp.async: shared destination 0x{:x} not aligned to cp-size {}", dst, size));
        check_shared_range(w, lane, dst, size, "cp.async destination");
        if (is_live_mbarrier(*w.cta, dst, size))
            fault(w, lane, Check::synccheck, kSyncErr,
                  fmt::format("cp.async into shared 0x{:x}: overlaps a live mbarrier", dst));
        CpAsyncCopy cp;
        cp.dst = dst;
        cp.bytes = size;
        if (src_size) {
            if (src % size)
                fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                      fmt::format("cp.async: global source 0x{:x} not aligned to cp-size {}", src, size));
            global_read(w, lane, src, cp.data.data(), src_size, 1);  // bytes past src-size stay zero
        }
        add_pending(*w.cta, dst, size, +1);
        w.async.lane[std::size_t(lane)].cp_open.push_back(cp);
    });
}
void land_cp(Warp& w, int lane, const CpAsyncCopy& cp) {
    add_pending(*w.cta, cp.dst, cp.bytes, -1);
    if (is_live_mbarrier(*w.cta, cp.dst, cp.bytes))
        fault(w, lane, Check::synccheck, kSyncErr,
              fmt::format("cp.async landing in shared 0x{:x}: overlaps a live mbarrier", cp.dst));
    shared_write(w, lane, cp.dst, cp.data.data(), cp.bytes, cp.bytes, Unit::CpAsync);
}
// cp.async.commit_group (ISA 9.7.9.25.3.2): a group per thread, possibly empty.
void h_cp_commit(Warp& w, const Instruction&, LaneMask active) {
    for_lanes(active, [&](int lane) {
        AsyncLane& L = w.async.lane[std::size_t(lane)];
        L.cp_groups.push_back(std::move(L.cp_open));
        L.cp_open.clear();
    });
}
// cp.async.wait_group N / wait_all (ISA 9.7.9.25.3.3): all but the newest N
// committed groups complete; wait_all == commit_group; wait_group 0.
void h_cp_wait(Warp& w, const Instruction& in, LaneMask active) {
    const bool all = in.mods.size() > 1 && in.mods[1] == "wait_all";
    if (all) h_cp_commit(w, in, active);
    for_lanes(active, [&](int lane) {
        const uint64_t n = all ? 0 : src_bits(w, in.ops[0], lane);
        AsyncLane& L = w.async.lane[std::size_t(lane)];
        std::size_t done = 0;
        while (L.cp_groups.size() - done > n) {
            for (const CpAsyncCopy& cp : L.cp_groups[done]) land_cp(w, lane, cp);
            ++done;
        }
        if (done) L.cp_groups.erase(L.cp_groups.begin(), L.cp_groups.begin() + std::ptrdiff_t(done));
    });
}
// cp.async.mbarrier.arrive{.noinc}.shared{::cta}.b64 [addr];  (ISA 9.7.9.25.3.4)
// The arrive is triggered when all prior cp.async of the thread complete:
// they land now, then the arrive-on. Without .noinc the pending count is
// incremented first, so the net effect on the phase is nil.
void h_cp_mbar_arrive(Warp& w, const Instruction& in, LaneMask active) {
    const bool noinc = has(in, "noinc");
    for_lanes(active, [&](int lane) {
        AsyncLane& L = w.async.lane[std::size_t(lane)];
        for (auto& g : L.cp_groups)
            for (auto& cp : g) land_cp(w, lane, cp);
        for (auto& cp : L.cp_open) land_cp(w, lane, cp);
        for (auto& g : L.cp_groups) g.clear();  // the groups stay (wait_group counts them), now empty
        L.cp_open.clear();
        const uint32_t addr = cta_addr(w, lane, in.ops[0], "cp.async.mbarrier.arrive");
        Mbarrier& b = find_mbar(w, lane, *w.cta, addr, "cp.async.mbarrier.arrive");
        if (noinc) arrive_on(w, lane, *w.cta, addr, b, 1, false, "cp.async.mbarrier.arrive.noinc");
        else bump(w);
    });
}

// ---------------------------------------------------------------- tensor maps
TensorMapImage read_tensor_map(Warp& w, int lane, const Operand& op, const char* what) {
    const uint64_t a = effective_address(w, op, lane);
    uint8_t raw[128];
    uint32_t off = 0;
    switch (classify_generic(w, lane, a, &off)) {
        case Window::Param: {
            const auto& P = launch_of(w).params;
            if (off % 64)
                fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                      fmt::format("{}: tensor map at parameter offset {} is not 64-byte aligned", what, off));
            if (std::size_t(off) + 128 > P.size())
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("{}: tensor map at parameter offset {} runs past the {}-byte parameter buffer", what,
                                  off, P.size()));
            std::memcpy(raw, P.data() + off, 128);
            break;
        }
        case Window::Global:
            if (a % 64)
                fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                      fmt::format("{}: tensor map address 0x{:x} is not 64-byte aligned", what, a));
            global_read(w, lane, a, raw, 128, 64);
            break;
        default:
            fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("{}: tensor map address 0x{:x} is neither a kernel parameter (__grid_constant__) nor "
                              "global memory",
                              what, a));
    }
    TensorMapImage m;
    std::memcpy(&m, raw, sizeof m);
    if (m.magic != kTensorMapMagic || m.check != tensor_map_checksum(m) || m.rank < 1 || m.rank > 5)
        fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: the operand at 0x{:x} is not a CUtensorMap encoded by cuTensorMapEncodeTiled (or it "
                          "was modified after encoding)",
                          what, a));
    return m;
}

// Box geometry of a tile-mode copy (ISA 5.5 "Tensors": tile mode, bounding box, traversal stride).
struct Box {
    uint32_t n[5] = {1, 1, 1, 1, 1};  // elements copied per dimension: ceil(box / elementStride), dimension 0 box
    uint32_t esize = 0;
    uint32_t row_bytes = 0;            // n[0] * esize
    uint32_t rows = 0;                 // n[1] * ... * n[4]
    uint32_t bytes = 0;
    uint32_t swz_mask = 0;             // bits 4.. that bits 7.. are XORed into (0: no swizzle)
    uint32_t align = 128;              // shared-memory alignment
};
Box box_of(Warp& w, int lane, const TensorMapImage& m, const char* what) {
    if (m.interleave != CU_TENSOR_MAP_INTERLEAVE_NONE)
        fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: interleaved tensor maps are not modelled by ptxsim", what));
    if (m.elem_bits % 8 || m.elem_bits == 0)
        fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: packed sub-byte tensor data types are not modelled by ptxsim", what));
    Box g;
    g.esize = m.elem_bits / 8;
    g.n[0] = m.box[0];  // elementStrides[0] is ignored with interleave NONE (cuda.h)
    for (int d = 1; d < m.rank; ++d) g.n[d] = (m.box[d] + m.estr[d] - 1) / m.estr[d];
    g.row_bytes = g.n[0] * g.esize;
    g.rows = g.n[1] * g.n[2] * g.n[3] * g.n[4];
    g.bytes = g.row_bytes * g.rows;
    // Tensor swizzling modes (ISA 5.5.6): the 16-byte chunk index inside a
    // span (bits 4..) XORed with the address bits 7.. (CuTe Swizzle<1,4,3>,
    // <2,4,3>, <3,4,3>); the pattern repeats every 256 / 512 / 1024 bytes.
    switch (m.swizzle) {
        case CU_TENSOR_MAP_SWIZZLE_NONE: break;
        case CU_TENSOR_MAP_SWIZZLE_32B: g.swz_mask = 0x10; g.align = 256; break;
        case CU_TENSOR_MAP_SWIZZLE_64B: g.swz_mask = 0x30; g.align = 512; break;
        case CU_TENSOR_MAP_SWIZZLE_128B: g.swz_mask = 0x70; g.align = 1024; break;
        default:
            fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("{}: swizzle mode {} (128B atom variants) is not modelled by ptxsim", what, m.swizzle));
    }
    if (g.swz_mask && g.row_bytes != g.swz_mask + 0x10)
        fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: a swizzled box whose inner dimension ({} bytes) is narrower than the swizzle span is "
                          "not modelled by ptxsim",
                          what, g.row_bytes));
    return g;
}
uint32_t swizzle(const Box& g, uint32_t a) { return a ^ ((a >> 3) & g.swz_mask); }
void check_box_smem(Warp& w, int lane, const Box& g, uint32_t smem, const char* what) {
    if (smem % g.align)
        fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
              fmt::format("{}: shared-memory address 0x{:x} not {}-byte aligned{}", what, smem, g.align,
                          g.swz_mask ? " (the swizzle pattern's repeat)" : ""));
}
// Visits every row of the box: its index, the tensor coordinates of its first
// element, and whether dimensions 1.. are inside the tensor.
template <class F> void for_rows(const TensorMapImage& m, const Box& g, const int32_t* c, F&& f) {
    uint32_t r = 0;
    for (uint32_t i4 = 0; i4 < g.n[4]; ++i4)
        for (uint32_t i3 = 0; i3 < g.n[3]; ++i3)
            for (uint32_t i2 = 0; i2 < g.n[2]; ++i2)
                for (uint32_t i1 = 0; i1 < g.n[1]; ++i1, ++r) {
                    const uint32_t idx[5] = {0, i1, i2, i3, i4};
                    bool in = true;
                    uint64_t off = 0;
                    for (int d = 1; d < m.rank; ++d) {
                        const int64_t x = int64_t(c[d]) + int64_t(idx[d]) * m.estr[d];
                        if (x < 0 || x >= int64_t(m.dims[d])) in = false;
                        else off += uint64_t(x) * m.strides[d - 1];
                    }
                    // Dimension 0: the elements [lo, hi) of the row inside the tensor.
                    const int64_t c0 = c[0];
                    const int64_t lo = std::clamp<int64_t>(-c0, 0, g.n[0]);
                    const int64_t hi = std::clamp<int64_t>(int64_t(m.dims[0]) - c0, 0, g.n[0]);
                    if (!in || hi <= lo) f(r, 0ull, 0u, 0u);
                    else f(r, m.base + off + uint64_t(c0 + lo) * g.esize, uint32_t(lo), uint32_t(hi));
                }
}

// The TMA operand "[tensorMap, {c0, ...}]": the parser's representation is
// accepted as an Addr (or Reg) operand followed by a Vec of coordinates, or as
// a Vec {map, c0, ...} / {map, {c0, ...}}, or as an Addr whose elems hold the
// coordinates. Returns the index of the next operand.
struct TensorOperand {
    const Operand* map = nullptr;
    std::vector<const Operand*> coords;
};
std::size_t tensor_operand(const Warp& w, const Instruction& in, std::size_t i, TensorOperand& t) {
    auto bad = [&]() -> std::size_t {
        fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: unrecognised [tensorMap, {{coordinates}}] operand", in.text));
    };
    if (i >= in.ops.size()) return bad();
    const Operand& o = in.ops[i];
    auto take = [&](const Operand& v) {
        if (v.kind == OperandKind::Vec) for (const Operand& e : v.elems) t.coords.push_back(&e);
        else t.coords.push_back(&v);
    };
    if (o.kind == OperandKind::Vec) {
        if (o.elems.empty()) return bad();
        t.map = &o.elems[0];
        for (std::size_t k = 1; k < o.elems.size(); ++k) take(o.elems[k]);
        return i + 1;
    }
    t.map = &o;
    if (!o.elems.empty()) {
        for (const Operand& e : o.elems) take(e);
        return i + 1;
    }
    if (i + 1 < in.ops.size() && in.ops[i + 1].kind == OperandKind::Vec) {
        take(in.ops[i + 1]);
        return i + 2;
    }
    return bad();
}
int rank_of(const Instruction& in) {
    for (const std::string& m : in.mods)
        if (m.size() == 2 && m[1] == 'd' && m[0] >= '1' && m[0] <= '5') return m[0] - '0';
    return 0;
}

// ---------------------------------------------------------------- TMA / bulk loads
Mbarrier* find_mbar_cta(Cta& c, uint32_t addr) {
    auto it = c.async.mbars.find(addr);
    return it == c.async.mbars.end() ? nullptr : &it->second;
}
void check_wgmma(const Cta& c, uint32_t addr, uint32_t bytes, const Warp* w, int lane, const char* what) {
    if (wgmma_reads_inflight(c, addr, bytes)) {  // exec/mma_state.hpp
        const std::string msg = fmt::format(
            "{} into CTA rank {} shared [0x{:x}, +{}): bytes an in-flight wgmma group reads (wait for the group with "
            "wgmma.wait_group before overwriting its operands)",
            what, c.rank, addr, bytes);
        if (w) fault(*w, lane, Check::racecheck, CUDA_ERROR_LAUNCH_FAILED, msg);
        fault_cta(const_cast<Cta&>(c), Check::racecheck, CUDA_ERROR_LAUNCH_FAILED, msg);
    }
}
// Lands a load in every destination CTA: the bytes, then complete_tx of the
// full count on each destination's mbarrier.
void land(Cluster& cl, const PendingLoad& L) {
    const uint32_t bytes = uint32_t(L.data.size());
    const char* what = "TMA / bulk load";
    for (uint32_t r = 0; r < cl.ctas.size(); ++r) {
        if (!(L.mask >> r & 1)) continue;
        Cta& c = *cl.ctas[r];
        add_pending(c, L.dst, bytes, -1);
        if (c.exited_threads >= c.nthreads && c.nthreads)
            fault_cta(c, Check::synccheck, kSyncErr,
                      fmt::format("{} (issued at PTX line {} by CTA rank {}) lands in a CTA that has exited", what,
                                  L.ptx_line, L.issuer ? L.issuer->rank : 0));
        if (is_live_mbarrier(c, L.dst, bytes))
            fault_cta(c, Check::synccheck, kSyncErr,
                      fmt::format("{} into shared [0x{:x}, +{}) overwrites a live mbarrier", what, L.dst, bytes));
        check_wgmma(c, L.dst, bytes, nullptr, -1, what);
        shared_write_cta(c, L.dst, L.data.data(), bytes, Unit::Tma, what);
        Mbarrier* b = find_mbar_cta(c, L.mbar);
        if (!b)
            fault_cta(c, Check::synccheck, kSyncErr,
                      fmt::format("{} (PTX line {}): complete_tx on shared 0x{:x}, which holds no initialised mbarrier",
                                  what, L.ptx_line, L.mbar));
        require_fenced(nullptr, -1, c, L.mbar, *b, true, "complete_tx of a TMA / bulk load");
        if (b->tma_inflight) --b->tma_inflight;
        b->tx -= L.tx_bytes;  // the full box, also for elements outside the tensor (the emulator's assumption)
        tx_range(nullptr, -1, c, *b, L.mbar, "complete_tx of a TMA / bulk load");
        check_phase(c, L.mbar, *b);
    }
    ++cl.launch->progress;
}
// Issues a load whose destination image is `data`: checks the destinations,
// then lands now (Launch::tma_late false) or queues.
void issue_load(Warp& w, int lane, ClusterAddr dst, ClusterAddr bar, bool multicast, uint32_t mask,
                std::vector<uint8_t> data, uint32_t tx_bytes, const char* what) {
    Cluster& cl = *w.cta->cluster;
    const uint32_t n = uint32_t(cl.ctas.size());
    if (dst.cta != bar.cta)
        fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: the destination and the mbarrier are in different CTAs (ranks {} and {})", what,
                          dst.cta->rank, bar.cta->rank));
    if (multicast) {
        if (mask == 0)
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION, fmt::format("{}: ctaMask is 0", what));
        if (n < 16 && (mask >> n))
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("{}: ctaMask 0x{:x} names CTAs outside the {}-CTA cluster", what, mask, n));
    } else {
        mask = 1u << dst.cta->rank;
    }
    const uint32_t bytes = uint32_t(data.size());
    const Launch& Lc = launch_of(w);
    for (uint32_t r = 0; r < n; ++r) {
        if (!(mask >> r & 1)) continue;
        Cta& c = *cl.ctas[r];
        if (dst.offset < Lc.static_smem_base || uint64_t(dst.offset) + bytes > Lc.smem_window)
            fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("{}: destination [0x{:x}, +{}) outside the shared window [0x{:x}, 0x{:x})", what,
                              dst.offset, bytes, Lc.static_smem_base, Lc.smem_window));
        if (is_live_mbarrier(c, dst.offset, bytes))
            fault(w, lane, Check::synccheck, kSyncErr,
                  fmt::format("{}: destination [0x{:x}, +{}) of CTA rank {} overlaps a live mbarrier", what,
                              dst.offset, bytes, r));
        check_wgmma(c, dst.offset, bytes, &w, lane, what);
        Mbarrier& b = find_mbar(w, lane, c, bar.offset, what);
        ++b.tma_inflight;
        add_pending(c, dst.offset, bytes, +1);
    }
    PendingLoad L;
    L.dst = dst.offset;
    L.mbar = bar.offset;
    L.mask = mask;
    L.tx_bytes = tx_bytes;
    L.data = std::move(data);
    L.issuer = w.cta;
    L.ptx_line = w.cur ? w.cur->ptx_line : 0;
    bump(w);
    if (Lc.tma_late) cl.async.loads.push_back(std::move(L));
    else land(cl, L);
}

// cp.async.bulk.tensor.{1-5}d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
//     {.multicast::cluster}{.L2::cache_hint} [dstMem], [tensorMap, {c...}], [mbar]{, ctaMask}{, cache-policy};
// (ISA 9.7.9.25.5.2 "cp.async.bulk.tensor")
void h_tma_load(Warp& w, const Instruction& in, LaneMask active) {
    const char* what = "cp.async.bulk.tensor (load)";
    const int rank = rank_of(in);
    if (!has(in, "tile") && (has(in, "im2col") || has(in, "im2col::w") || has(in, "im2col::w::128")))
        fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "cp.async.bulk.tensor im2col mode is not modelled");
    const bool multicast = has(in, "multicast::cluster");
    TensorOperand t;
    std::size_t i = tensor_operand(w, in, 1, t);
    if (i >= in.ops.size()) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "TMA load: no mbarrier operand");
    const Operand& bar_op = in.ops[i++];
    const Operand* mask_op = multicast && i < in.ops.size() ? &in.ops[i] : nullptr;
    if (multicast && !mask_op) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "TMA multicast: no ctaMask");
    if (int(t.coords.size()) != rank)
        fault(w, -1, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: {} coordinates for a {}d copy", what, t.coords.size(), rank));
    for_lanes(active, [&](int lane) {
        const TensorMapImage m = read_tensor_map(w, lane, *t.map, what);
        if (m.rank != rank)
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("{}: a {}d copy with a rank-{} tensor map", what, rank, m.rank));
        int32_t c[5] = {0, 0, 0, 0, 0};
        for (int d = 0; d < rank; ++d) c[d] = int32_t(src_bits(w, *t.coords[std::size_t(d)], lane));
        const ClusterAddr dst = any_shared_addr(w, lane, in.ops[0], Space::Cluster, "TMA load destination");
        const ClusterAddr bar = any_shared_addr(w, lane, bar_op, Space::Cluster, "TMA load mbarrier");
        const Box g = box_of(w, lane, m, what);
        check_box_smem(w, lane, g, dst.offset, what);
        std::vector<uint8_t> data(g.bytes, 0);
        std::vector<uint8_t> row(g.row_bytes);
        for_rows(m, g, c, [&](uint32_t r, uint64_t gaddr, uint32_t lo, uint32_t hi) {
            std::fill(row.begin(), row.end(), 0);  // zero fill outside the tensor (OOB_FILL_NONE)
            if (hi > lo) global_read(w, lane, gaddr, row.data() + lo * g.esize, (hi - lo) * g.esize, 1);
            for (uint32_t k = 0; k < g.row_bytes; k += 16) {
                const uint32_t a = swizzle(g, dst.offset + r * g.row_bytes + k);
                std::memcpy(data.data() + (a - dst.offset), row.data() + k, 16);
            }
        });
        const uint32_t mask = mask_op ? uint32_t(src_bits(w, *mask_op, lane) & 0xffffu) : 0u;
        issue_load(w, lane, dst, bar, multicast, mask, std::move(data), g.bytes, what);
    });
}

// cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes{.multicast::cluster}{.L2::cache_hint}
//     [dstMem], [srcMem], size, [mbar]{, ctaMask}{, cache-policy};
// cp.async.bulk.shared::cluster.shared::cta.mbarrier::complete_tx::bytes [dstMem], [srcMem], size, [mbar];
// (ISA 9.7.9.25.4.1 "cp.async.bulk")
void h_bulk_load(Warp& w, const Instruction& in, LaneMask active) {
    const char* what = "cp.async.bulk (load)";
    const bool from_shared = in.mods.size() > 3 && in.mods[3] == "shared::cta";  // cp.async.bulk.<dst>.<src>
    const bool multicast = has(in, "multicast::cluster");
    if (in.ops.size() < 4) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "cp.async.bulk operands");
    for_lanes(active, [&](int lane) {
        const uint32_t size = uint32_t(src_bits(w, in.ops[2], lane));
        if (size % 16 || size == 0)
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("{}: size {} is not a non-zero multiple of 16", what, size));
        const ClusterAddr dst = any_shared_addr(w, lane, in.ops[0], Space::Cluster, "cp.async.bulk destination");
        const ClusterAddr bar = any_shared_addr(w, lane, in.ops[3], Space::Cluster, "cp.async.bulk mbarrier");
        if (dst.offset % 16)
            fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                  fmt::format("{}: shared destination 0x{:x} not 16-byte aligned", what, dst.offset));
        std::vector<uint8_t> data(size);
        if (from_shared) {
            const uint32_t src = cta_addr(w, lane, in.ops[1], "cp.async.bulk source");
            if (src % 16)
                fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                      fmt::format("{}: shared source 0x{:x} not 16-byte aligned", what, src));
            check_shared_range(w, lane, src, size, "cp.async.bulk source");
            check_async_proxy_read(w, lane, src, size, what);
            shared_read_cta(*w.cta, src, data.data(), size, Unit::Bulk, what);
        } else {
            const uint64_t src = effective_address(w, in.ops[1], lane);
            if (src % 16)
                fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                      fmt::format("{}: global source 0x{:x} not 16-byte aligned", what, src));
            global_read(w, lane, src, data.data(), size, 1);
        }
        const uint32_t mask = multicast && in.ops.size() > 4 ? uint32_t(src_bits(w, in.ops[4], lane) & 0xffffu) : 0u;
        issue_load(w, lane, dst, bar, multicast, mask, std::move(data), size, what);
    });
}

// ---------------------------------------------------------------- bulk stores and groups
// cp.async.bulk.tensor.{1-5}d.global.shared::cta.tile.bulk_group{.L2::cache_hint} [tensorMap, {c...}], [srcMem]{, policy};
// The source is read (and checked against the proxy rule) at issue; the
// global writes happen at the wait_group that completes the store's group.
void h_tma_store(Warp& w, const Instruction& in, LaneMask active) {
    const char* what = "cp.async.bulk.tensor (store)";
    const int rank = rank_of(in);
    TensorOperand t;
    const std::size_t i = tensor_operand(w, in, 0, t);
    if (i >= in.ops.size()) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "TMA store: no source operand");
    if (int(t.coords.size()) != rank)
        fault(w, -1, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
              fmt::format("{}: {} coordinates for a {}d copy", what, t.coords.size(), rank));
    if (!has(in, "tile") && has(in, "im2col_no_offs"))
        fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "TMA store im2col mode is not modelled");
    for_lanes(active, [&](int lane) {
        const TensorMapImage m = read_tensor_map(w, lane, *t.map, what);
        if (m.rank != rank)
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("{}: a {}d copy with a rank-{} tensor map", what, rank, m.rank));
        int32_t c[5] = {0, 0, 0, 0, 0};
        for (int d = 0; d < rank; ++d) c[d] = int32_t(src_bits(w, *t.coords[std::size_t(d)], lane));
        const uint32_t src = cta_addr(w, lane, in.ops[i], "TMA store source");
        const Box g = box_of(w, lane, m, what);
        check_box_smem(w, lane, g, src, what);
        check_shared_range(w, lane, src, g.bytes, "TMA store source");
        Cta& cta = *w.cta;
        BulkStore s;
        s.cta = &cta;
        s.saddr.resize(g.bytes);
        s.snap.resize(g.bytes);
        for_rows(m, g, c, [&](uint32_t r, uint64_t gaddr, uint32_t lo, uint32_t hi) {
            const uint32_t first = r * g.row_bytes;
            for (uint32_t k = 0; k < g.row_bytes; k += 16) {
                const uint32_t a = swizzle(g, src + first + k);
                for (uint32_t b = 0; b < 16; ++b) s.saddr[first + k + b] = a + b;
                // The in-tensor bytes of this chunk are read with initcheck; clipped ones are not needed.
                const uint32_t ilo = std::max(k, lo * g.esize), ihi = std::min(k + 16, hi * g.esize);
                std::memcpy(s.snap.data() + first + k, cta.smem.data() + a, 16);
                if (ihi > ilo) {
                    check_async_proxy_read(w, lane, a + (ilo - k), ihi - ilo, what);
                    shared_read_cta(cta, a + (ilo - k), s.snap.data() + first + ilo, ihi - ilo, Unit::Bulk, what);
                }
            }
            if (hi > lo) {
                check_global_range(w, lane, gaddr, uint64_t(hi - lo) * g.esize, "TMA store destination");
                s.runs.push_back({gaddr, first + lo * g.esize, (hi - lo) * g.esize});
            }
        });
        ++cta.async.bulk_stores_open;
        w.async.lane[std::size_t(lane)].bulk_open.push_back(std::move(s));
    });
}
// cp.async.bulk.global.shared::cta.bulk_group{.L2::cache_hint}{.cp_mask} [dstMem], [srcMem], size{, policy}{, byteMask};
void h_bulk_store(Warp& w, const Instruction& in, LaneMask active) {
    const char* what = "cp.async.bulk (store)";
    if (has(in, "cp_mask")) fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "cp.async.bulk .cp_mask is not modelled");
    for_lanes(active, [&](int lane) {
        const uint64_t dst = effective_address(w, in.ops[0], lane);
        const uint32_t src = cta_addr(w, lane, in.ops[1], "cp.async.bulk source");
        const uint32_t size = uint32_t(src_bits(w, in.ops[2], lane));
        if (size % 16 || size == 0)
            fault(w, lane, Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("{}: size {} is not a non-zero multiple of 16", what, size));
        if (src % 16 || dst % 16)
            fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
                  fmt::format("{}: addresses 0x{:x} (global) / 0x{:x} (shared) not 16-byte aligned", what, dst, src));
        check_shared_range(w, lane, src, size, "cp.async.bulk source");
        check_global_range(w, lane, dst, size, "cp.async.bulk destination");
        check_async_proxy_read(w, lane, src, size, what);
        BulkStore s;
        s.cta = w.cta;
        s.saddr.resize(size);
        s.snap.resize(size);
        for (uint32_t b = 0; b < size; ++b) s.saddr[b] = src + b;
        shared_read_cta(*w.cta, src, s.snap.data(), size, Unit::Bulk, what);
        s.runs.push_back({dst, 0, size});
        ++w.cta->async.bulk_stores_open;
        w.async.lane[std::size_t(lane)].bulk_open.push_back(std::move(s));
    });
}
// cp.async.bulk.commit_group (ISA 9.7.9.25.6.1): the thread's uncommitted bulk copies form a bulk async-group.
void h_bulk_commit(Warp& w, const Instruction&, LaneMask active) {
    for_lanes(active, [&](int lane) {
        AsyncLane& L = w.async.lane[std::size_t(lane)];
        L.bulk_groups.push_back(std::move(L.bulk_open));
        L.bulk_open.clear();
    });
}
void finish_store(Warp& w, int lane, const BulkStore& s) {
    const Cta& c = *s.cta;
    for (std::size_t i = 0; i < s.saddr.size(); ++i)
        if (c.smem[s.saddr[i]] != s.snap[i])
            fault(w, lane, Check::racecheck, CUDA_ERROR_LAUNCH_FAILED,
                  fmt::format("bulk store source byte at shared 0x{:x} changed from 0x{:02x} to 0x{:02x} before the "
                              "cp.async.bulk.wait_group.read that completes the store",
                              s.saddr[i], s.snap[i], c.smem[s.saddr[i]]));
    for (const BulkStore::Run& r : s.runs) global_write(w, lane, r.gaddr, s.snap.data() + r.first, r.bytes, 1);
    --w.cta->async.bulk_stores_open;
}
// cp.async.bulk.wait_group{.read} N (ISA 9.7.9.25.6.2): all but the newest N
// bulk async-groups of the thread complete. .read only promises the sources
// were read; the global writes are made at the same point either way.
void h_bulk_wait(Warp& w, const Instruction& in, LaneMask active) {
    for_lanes(active, [&](int lane) {
        const uint64_t n = src_bits(w, in.ops[0], lane);
        AsyncLane& L = w.async.lane[std::size_t(lane)];
        std::size_t done = 0;
        while (L.bulk_groups.size() - done > n) {
            for (const BulkStore& s : L.bulk_groups[done]) finish_store(w, lane, s);
            ++done;
        }
        if (done) L.bulk_groups.erase(L.bulk_groups.begin(), L.bulk_groups.begin() + std::ptrdiff_t(done));
    });
}

// prefetch.tensormap [a] / prefetch{.const,.param}.tensormap (ISA 9.7.9.15): the operand must be a tensor map.
void h_prefetch_tensormap(Warp& w, const Instruction& in, LaneMask active) {
    for_lanes(active, [&](int lane) { (void)read_tensor_map(w, lane, in.ops[0], "prefetch.tensormap"); });
}
// cp.async.bulk.prefetch.tensor.{1-5}d.L2.global.tile [tensorMap, {c...}]: a hint; the map is checked.
void h_tma_prefetch(Warp& w, const Instruction& in, LaneMask active) {
    TensorOperand t;
    (void)tensor_operand(w, in, 0, t);
    for_lanes(active, [&](int lane) { (void)read_tensor_map(w, lane, *t.map, "cp.async.bulk.prefetch.tensor"); });
}
void h_nop(Warp&, const Instruction&, LaneMask) {}

// ---------------------------------------------------------------- fences
// fence.proxy.async{.shared::cta,.shared::cluster,.global} (ISA 9.7.12.4):
// the thread's earlier generic-proxy writes become visible to the async
// proxy; it also publishes the thread's mbarrier inits to the async proxy.
void h_fence_proxy_async(Warp& w, const Instruction&, LaneMask active) {
    Cta& c = *w.cta;
    for_lanes(active, [&](int lane) {
        const uint32_t t = w.thread(lane);
        if (c.async.fenced_seq.size() <= t) c.async.fenced_seq.resize(std::size_t(t) + 1, 0);
        c.async.fenced_seq[t] = c.async.wseq;
        for (auto& [a, b] : c.async.mbars)
            if (b.init_thread == t) b.proxy_fenced = true;
    });
}
// fence.mbarrier_init.release.cluster: the thread's prior mbarrier.init become visible to the cluster.
void h_fence_mbarrier_init(Warp& w, const Instruction&, LaneMask active) {
    Cta& c = *w.cta;
    for_lanes(active, [&](int lane) {
        const uint32_t t = w.thread(lane);
        for (auto& [a, b] : c.async.mbars)
            if (b.init_thread == t) b.fenced = b.proxy_fenced = true;
    });
}

// ---------------------------------------------------------------- barrier.cluster
void cluster_init(Cluster& cl) {
    AsyncClusterState& s = cl.async;
    if (s.initialised && s.arrived_gen.size() == cl.ctas.size()) return;
    s.initialised = true;
    s.arrived_gen.assign(cl.ctas.size(), {});
    for (std::size_t r = 0; r < cl.ctas.size(); ++r) s.arrived_gen[r].assign(cl.ctas[r]->nthreads, -1);
    s.vc_cur.assign(cl.ctas.size(), ClockArray{});
    s.vc_done.assign(cl.ctas.size(), ClockArray{});
}
// Completes the current generation when every non-exited thread of the
// cluster has arrived (exited threads count as arrived). Returns whether it did.
bool cluster_try_complete(Cluster& cl) {
    AsyncClusterState& s = cl.async;
    if (!s.initialised || s.arrived == 0) return false;
    uint32_t alive = 0;
    for (const Cta* c : cl.ctas) alive += c->nthreads - std::min(c->exited_threads, c->nthreads);
    if (s.arrived < alive) return false;
    // Exact check (an arrived thread may have exited since).
    for (std::size_t r = 0; r < cl.ctas.size(); ++r)
        for (const Warp& w : cl.ctas[r]->warps)
            for (int l = 0; l < 32; ++l)
                if ((w.valid >> l & 1) && w.state[std::size_t(l)] != LaneState::Exited &&
                    s.arrived_gen[r][w.thread(l)] != int64_t(s.gen))
                    return false;
    for (std::size_t r = 0; r < cl.ctas.size(); ++r) {
        s.vc_done[r] = s.vc_cur[r];
        s.vc_cur[r] = ClockArray{};
    }
    ++s.gen;
    s.arrived = 0;
    auto waiters = std::move(s.waiters);
    s.waiters.clear();
    for (auto& [w, lanes] : waiters) {
        for_lanes(lanes, [&](int l) { s.arrived_gen[w->cta->rank][w->thread(l)] = -1; });
        acquire_from(*w, s.vc_done[w->cta->rank]);
        w->release(lanes);
    }
    ++cl.launch->progress;
    return true;
}
// barrier.cluster.arrive{.release|.relaxed}{.aligned} (ISA 9.7.13.3)
void h_cluster_arrive(Warp& w, const Instruction&, LaneMask active) {
    Cluster& cl = *w.cta->cluster;
    cluster_init(cl);
    AsyncClusterState& s = cl.async;
    const uint32_t r = w.cta->rank;
    for_lanes(active, [&](int lane) {
        int64_t& g = s.arrived_gen[r][w.thread(lane)];
        if (g >= 0)
            fault(w, lane, Check::synccheck, kSyncErr,
                  "barrier.cluster.arrive twice without a barrier.cluster.wait in between");
        g = int64_t(s.gen);
        ++s.arrived;
    });
    release_into(w, s.vc_cur[r]);
    bump(w);
    cluster_try_complete(cl);
}
// barrier.cluster.wait{.acquire}{.aligned}: blocks until the generation the thread arrived in completes.
void h_cluster_wait(Warp& w, const Instruction&, LaneMask active) {
    Cluster& cl = *w.cta->cluster;
    cluster_init(cl);
    AsyncClusterState& s = cl.async;
    const uint32_t r = w.cta->rank;
    LaneMask block = 0;
    for_lanes(active, [&](int lane) {
        int64_t& g = s.arrived_gen[r][w.thread(lane)];
        if (g < 0)
            fault(w, lane, Check::synccheck, kSyncErr, "barrier.cluster.wait without a preceding barrier.cluster.arrive");
        if (uint64_t(g) != s.gen) g = -1;  // its generation completed already
        else block |= 1u << lane;
    });
    if (block != active) acquire_from(w, s.vc_done[r]);
    if (block) {
        w.block(block);
        s.waiters.emplace_back(&w, block);
    }
}

// ---------------------------------------------------------------- mapa
// mapa{.space}.type d, a, b (ISA 9.7.9.24): the address in CTA rank b of the
// shared variable at a. .shared::cluster: shared::cta -> shared::cluster
// address; generic (no space): generic -> generic.
void h_mapa(Warp& w, const Instruction& in, LaneMask active) {
    const bool cluster_space = has(in, "shared::cluster");
    Cluster& cl = *w.cta->cluster;
    for_lanes(active, [&](int lane) {
        const uint64_t a = src_bits(w, in.ops[1], lane);
        const uint32_t rank = uint32_t(src_bits(w, in.ops[2], lane));
        if (rank >= cl.ctas.size())
            fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("mapa: CTA rank {} outside the {}-CTA cluster", rank, cl.ctas.size()));
        uint32_t off = 0;
        if (cluster_space) {
            if (a >> 32)
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("mapa.shared::cluster: 0x{:x} is not a shared address", a));
            off = resolve_cluster_addr(w, lane, uint32_t(a)).offset;
        } else {
            if (classify_generic(w, lane, a, &off) != Window::Shared)
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("mapa: generic address 0x{:x} is not in shared memory", a));
            off &= 0xffffffu;
        }
        check_shared_range(w, lane, off, 1, "mapa operand");
        dst_write(w, in.ops[0], lane,
                  cluster_space ? uint64_t(make_cluster_addr(rank, off)) : shared_to_generic(*cl.ctas[rank], off));
    });
}

}  // namespace

// ---------------------------------------------------------------- queries
bool is_live_mbarrier(const Cta& c, uint32_t addr, uint32_t bytes) {
    const auto& m = c.async.mbars;
    if (m.empty()) return false;
    auto it = m.lower_bound(addr >= 7 ? addr - 7 : 0);
    return it != m.end() && it->first < uint64_t(addr) + bytes;
}
bool async_write_pending(const Cta& c, uint32_t addr, uint32_t bytes) {
    const auto& p = c.async.pending_writes;
    if (p.empty()) return false;
    for (uint32_t i = 0; i < bytes && addr + i < p.size(); ++i)
        if (p[addr + i]) return true;
    return false;
}
namespace {
// Whether a kernel reads shared memory through the async proxy at all (bulk /
// TMA stores and bulk shared::cta sources, wgmma): only then are generic
// writes tracked. Cached per function.
bool kernel_has_async_proxy_reads(const ptx::Function* fn) {
    if (!fn) return true;
    for (const ptx::Instruction& in : fn->insts) {
        if (in.base == "wgmma" || (in.base == "cp" && in.mods.size() > 3 && in.mods[0] == "async" &&
                                   in.mods[1] == "bulk" && std::find(in.mods.begin(), in.mods.end(), "shared::cta") !=
                                                               in.mods.end()))
            return true;
    }
    return false;
}
// The first byte of [addr, addr + bytes) that breaks the proxy rule, and its writer thread.
bool proxy_violation(const Cta& c, uint32_t addr, uint32_t bytes, uint32_t* byte, uint32_t* thread) {
    const AsyncCtaState& s = c.async;
    if (s.wr_thread.empty()) return false;
    for (uint32_t i = 0; i < bytes && addr + i < s.wr_thread.size(); ++i) {
        const uint32_t t = s.wr_thread[addr + i];
        if (t == 0) continue;
        const uint32_t fenced = t - 1 < s.fenced_seq.size() ? s.fenced_seq[t - 1] : 0;
        if (fenced < s.wr_seq[addr + i]) {
            *byte = addr + i;
            *thread = t - 1;
            return true;
        }
    }
    return false;
}
std::string proxy_message(const char* what, uint32_t byte, uint32_t thread) {
    return fmt::format("{}: shared byte 0x{:x} was written by thread {} through the generic proxy (st.shared, "
                       "stmatrix) and is read by the async proxy without a fence.proxy.async of that thread in "
                       "between",
                       what, byte, thread);
}
}  // namespace

void check_async_proxy_read(const Warp& w, int lane, uint32_t addr, uint32_t bytes, const char* what) {
    uint32_t b = 0, t = 0;
    if (proxy_violation(*w.cta, addr, bytes, &b, &t))
        fault(w, lane, Check::rule, CUDA_ERROR_LAUNCH_FAILED, proxy_message(what, b, t));
}
void note_generic_shared_write(Cta& c, uint32_t thread, uint32_t addr, uint32_t bytes) {
    AsyncCtaState& s = c.async;
    if (s.track_proxy < 0) {
        // Decided once per launch (the scan is over the whole kernel), then per CTA from it.
        Launch* L = c.launch;
        if (L && L->async_proxy_reads < 0) L->async_proxy_reads = kernel_has_async_proxy_reads(L->fn) ? 1 : 0;
        s.track_proxy = L ? L->async_proxy_reads : 1;
    }
    if (!s.track_proxy) return;
    if (s.wr_thread.size() != c.smem.size()) {
        s.wr_thread.assign(c.smem.size(), 0);
        s.wr_seq.assign(c.smem.size(), 0);
    }
    const uint32_t seq = ++s.wseq;
    for (uint32_t i = 0; i < bytes && addr + i < s.wr_thread.size(); ++i) {
        s.wr_thread[addr + i] = uint16_t(thread + 1);
        s.wr_seq[addr + i] = seq;
    }
}
void check_async_proxy_read(Cta& c, uint32_t addr, uint32_t bytes, const char* what) {
    uint32_t b = 0, t = 0;
    if (proxy_violation(c, addr, bytes, &b, &t)) fault_cta(c, Check::rule, CUDA_ERROR_LAUNCH_FAILED, proxy_message(what, b, t));
}

// ---------------------------------------------------------------- progress and hooks
bool async_progress(Cluster& cl, bool force) {
    bool any = cluster_try_complete(cl);
    AsyncClusterState& s = cl.async;
    // Loads land only when forced: the scheduler forces when no warp of the
    // cluster can progress otherwise, and at random rounds (PTXSIM_SEED). One
    // lands per call: the oldest without a seed, else a random one of those in
    // flight (TMA loads complete in any order).
    // A round in which nothing changed state (Launch::progress unchanged since
    // the previous call: the warps only spin on failed waits, e.g. a
    // try_wait loop whose branch the scheduler counts as work) counts as forced.
    const bool stalled = cl.launch->progress == s.last_progress;
    s.last_progress = cl.launch->progress;
    if (s.loads.empty() || !(force || stalled)) return any;
    std::size_t k = 0;
    if (cl.launch->seed) {
        if (s.rng == 0)
            s.rng = (cl.launch->seed ^ 0x243f6a8885a308d3ull) + (uint64_t(cl.id[0]) << 32) +
                    (uint64_t(cl.id[1]) << 16) + cl.id[2] + 1;
        k = std::size_t(rng_next(s.rng) % s.loads.size());
    }
    PendingLoad L = std::move(s.loads[k]);
    s.loads.erase(s.loads.begin() + std::ptrdiff_t(k));
    land(cl, L);
    s.last_progress = cl.launch->progress;
    return true;
}

void async_cta_start(Cta& c) {
    c.async = AsyncCtaState{};  // pending_writes and the proxy tables are allocated on first use
    for (Warp& w : c.warps) w.async = AsyncWarpState{};
    if (c.cluster && c.rank == 0) c.cluster->async = AsyncClusterState{};
}

void async_cta_finish(Cta& c) {
    // Threads exiting with bulk stores outstanding (the emulator's rule: the
    // shared memory they read is released with the CTA).
    for (Warp& w : c.warps)
        for (int l = 0; l < 32; ++l) {
            const AsyncLane& L = w.async.lane[std::size_t(l)];
            if (!L.bulk_open.empty() || !L.bulk_groups.empty())
                fault_cta(c, Check::synccheck, kSyncErr,
                          fmt::format("thread {} exited with {} bulk async-group(s){} not waited for "
                                      "(cp.async.bulk.wait_group): its shared memory is released while the copies "
                                      "may still read it",
                                      w.thread(l), L.bulk_groups.size(),
                                      L.bulk_open.empty() ? "" : " and uncommitted bulk copies"));
        }
    // TMA / bulk loads still in flight into this CTA.
    if (c.cluster) {
        for (const PendingLoad& L : c.cluster->async.loads)
            if (L.mask >> c.rank & 1)
                fault_cta(c, Check::synccheck, kSyncErr,
                          fmt::format("the CTA exited with a TMA / bulk load (PTX line {}) into its shared memory "
                                      "[0x{:x}, +{}) still in flight",
                                      L.ptx_line, L.dst, L.data.size()));
        cluster_try_complete(*c.cluster);  // its threads count as arrived at barrier.cluster
    }
}

std::string describe_async(const Cta& c) {
    std::string r;
    for (const auto& [a, b] : c.async.mbars)
        r += fmt::format("\n    mbarrier at shared 0x{:x}: phase {} (waits on parity {} succeed), {} of {} arrivals "
                         "pending, tx-count {}{}",
                         a, b.phase, (b.phase + 1) & 1, b.pending, b.count, b.tx,
                         b.tma_inflight ? fmt::format(", {} TMA / bulk load(s) in flight on it", b.tma_inflight) : "");
    if (c.cluster) {
        for (const PendingLoad& L : c.cluster->async.loads)
            if (L.mask >> c.rank & 1)
                r += fmt::format("\n    TMA / bulk load (PTX line {}) into shared [0x{:x}, +{}) not landed, "
                                 "complete_tx {} on the mbarrier at 0x{:x}",
                                 L.ptx_line, L.dst, L.data.size(), L.tx_bytes, L.mbar);
        const AsyncClusterState& s = c.cluster->async;
        if (c.rank == 0 && s.initialised && s.arrived)
            r += fmt::format("\n    barrier.cluster: {} thread(s) of the cluster arrived in generation {}", s.arrived,
                             s.gen);
    }
    std::size_t cp = 0, bulk = 0;
    for (const Warp& w : c.warps)
        for (const AsyncLane& L : w.async.lane) {
            cp += L.cp_open.size();
            for (const auto& g : L.cp_groups) cp += g.size();
            bulk += L.bulk_open.size();
            for (const auto& g : L.bulk_groups) bulk += g.size();
        }
    if (cp || bulk) r += fmt::format("\n    {} cp.async and {} bulk store(s) not yet completed", cp, bulk);
    return r;
}

// ---------------------------------------------------------------- decoder
Handler decode_async(const ptx::Instruction& in) {
    const auto& m = in.mods;
    auto at = [&](std::size_t i) -> const std::string& {
        static const std::string none;
        return i < m.size() ? m[i] : none;
    };
    if (in.base == "cp" && at(0) == "async") {
        if (at(1) == "ca" || at(1) == "cg") return h_cp_async;
        if (at(1) == "commit_group") return h_cp_commit;
        if (at(1) == "wait_group" || at(1) == "wait_all") return h_cp_wait;
        if (at(1) == "mbarrier" && at(2) == "arrive") return h_cp_mbar_arrive;
        if (at(1) == "bulk") {
            if (at(2) == "commit_group") return h_bulk_commit;
            if (at(2) == "wait_group") return h_bulk_wait;
            if (at(2) == "tensor") {
                if (at(4) == "shared::cluster" && at(5) == "global" && has(in, "mbarrier::complete_tx::bytes"))
                    return h_tma_load;
                if (at(4) == "global" && at(5) == "shared::cta" && has(in, "bulk_group")) return h_tma_store;
                return nullptr;
            }
            if (at(2) == "prefetch") return at(3) == "tensor" ? h_tma_prefetch : h_nop;
            if ((at(2) == "shared::cluster" || at(2) == "shared::cta") &&
                (at(3) == "global" || at(3) == "shared::cta") && has(in, "mbarrier::complete_tx::bytes"))
                return h_bulk_load;
            if (at(2) == "global" && at(3) == "shared::cta" && has(in, "bulk_group")) return h_bulk_store;
        }
        return nullptr;
    }
    if (in.base == "mbarrier") {
        const std::string& op = at(0);
        if (op == "init") return h_mbar_init;
        if (op == "inval") return h_mbar_inval;
        if (op == "arrive" || op == "arrive_drop") return h_mbar_arrive;
        if (op == "expect_tx" || op == "complete_tx") return h_mbar_tx;
        if (op == "try_wait" || op == "test_wait") return h_mbar_wait;
        if (op == "pending_count") return h_mbar_pending;
        return nullptr;
    }
    if (in.base == "fence") {
        if (at(0) == "proxy" && at(1) == "async") return h_fence_proxy_async;
        if (at(0) == "proxy") return h_nop;  // .alias, .tensormap::generic.{release,acquire}
        if (at(0) == "mbarrier_init") return h_fence_mbarrier_init;
        if (at(0) == "acq_rel" || at(0) == "sc" || at(0) == "acquire" || at(0) == "release" ||
            at(0) == "op_restrict" || at(0) == "cta" || at(0) == "gpu" || at(0) == "sys" || at(0) == "cluster" ||
            at(0).empty())
            return h_nop;  // the simulator is sequentially consistent
        return nullptr;
    }
    if (in.base == "membar") return h_nop;
    if (in.base == "barrier" && at(0) == "cluster") {
        if (at(1) == "arrive") return h_cluster_arrive;
        if (at(1) == "wait") return h_cluster_wait;
        return nullptr;
    }
    if (in.base == "mapa") return h_mapa;
    if (in.base == "prefetch" && has(in, "tensormap")) return h_prefetch_tensormap;
    return nullptr;
}

}  // namespace ptxsim::exec
