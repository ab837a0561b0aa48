// Memory spaces (PTX ISA 5.1) and the sanitizer's memory checks: bounds and
// alignment of every access (memcheck), reads of never-written shared memory
// (initcheck) and shared-memory hazards between warps that no barrier orders
// (racecheck, warp-granularity vector clocks).
#include <fmt/format.h>

#include "exec/exec.hpp"

namespace ptxsim::exec {
namespace {

constexpr uint32_t kClockBits = 26;
constexpr uint32_t kClockMask = (1u << kClockBits) - 1;

uint32_t stamp(const Warp& w) { return (uint32_t(w.id + 1) << kClockBits) | (w.vc.t[std::size_t(w.id)] & kClockMask); }
int stamp_warp(uint32_t s) { return int(s >> kClockBits) - 1; }
uint32_t stamp_clock(uint32_t s) { return s & kClockMask; }

// Did the access stamped `s` happen before now, for warp `w`?
bool ordered(const Warp& w, uint32_t s) {
    if (s == 0) return true;
    const int a = stamp_warp(s);
    if (a == w.id) return true;
    return w.vc.t[std::size_t(a)] >= stamp_clock(s);
}

[[noreturn]] void race(const Warp& w, int lane, uint32_t addr, const char* kind, uint32_t other) {
    fault(w, lane, Check::racecheck, CUDA_ERROR_LAUNCH_FAILED,
          fmt::format("{} hazard on shared byte 0x{:x}: warp {} accessed it with no barrier between (its clock {}, "
                      "this warp has seen {})",
                      kind, addr, stamp_warp(other), stamp_clock(other),
                      w.vc.t[std::size_t(stamp_warp(other))]));
}

void check_align(const Warp& w, int lane, uint64_t addr, uint32_t align, const char* space) {
    if (align > 1 && addr % align != 0)
        fault(w, lane, Check::memcheck, CUDA_ERROR_MISALIGNED_ADDRESS,
              fmt::format("misaligned {} access at 0x{:x}: needs {}-byte alignment", space, addr, align));
}

thread_local uint64_t t_cached_base = 0, t_cached_end = 0;
thread_local bool t_cached_read_only = false;

}  // namespace

void hb_release(Warp& w, VectorClock& sync) {
    sync.join(w.vc);
    ++w.vc.t[std::size_t(w.id)];
}
void hb_acquire(Warp& w, const VectorClock& sync) { w.vc.join(sync); }

void reset_allocation_cache() {
    t_cached_base = t_cached_end = 0;
    t_cached_read_only = false;
}

void check_shared_range(const Warp& w, int lane, uint32_t addr, uint32_t bytes, const char* what) {
    const Launch& L = *w.cta->launch;
    if (addr < L.static_smem_base || uint64_t(addr) + bytes > L.smem_window)
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              fmt::format("out-of-bounds {} of {} bytes at shared address 0x{:x}: the CTA's shared memory is "
                          "[0x{:x}, 0x{:x}) ({} static + {} dynamic bytes)",
                          what, bytes, addr, L.static_smem_base, L.smem_window, L.dyn_smem_base - L.static_smem_base,
                          L.dyn_smem));
}

void shared_read(Warp& w, int lane, uint32_t addr, void* dst, uint32_t bytes, uint32_t align, Unit unit) {
    Cta& c = *w.cta;
    const Launch& L = *c.launch;
    check_align(w, lane, addr, align, "shared");
    check_shared_range(w, lane, addr, bytes, "read");
    if (unit == Unit::Thread && async_write_pending(c, addr, bytes))
        fault(w, lane, Check::racecheck, CUDA_ERROR_LAUNCH_FAILED,
              fmt::format("read of shared bytes [0x{:x}, +{}) that a cp.async or TMA load has not written yet (no "
                          "wait for its completion)",
                          addr, bytes));
    if (L.initcheck) {
        for (uint32_t i = 0; i < bytes; ++i)
            if (!c.smem_init[addr + i])
                fault(w, lane, Check::initcheck, CUDA_ERROR_LAUNCH_FAILED,
                      fmt::format("read of never-written shared memory: byte 0x{:x} ({}-byte access at 0x{:x})",
                                  addr + i, bytes, addr));
    }
    if (L.racecheck && unit == Unit::Thread) {
        const uint32_t s = stamp(w);
        for (uint32_t i = 0; i < bytes; ++i) {
            const uint32_t wr = c.shadow_write[addr + i];
            if (!ordered(w, wr)) race(w, lane, addr + i, "read-after-write", wr);
            c.shadow_read[addr + i] = s;
        }
    }
    std::memcpy(dst, c.smem.data() + addr, bytes);
}

void shared_write(Warp& w, int lane, uint32_t addr, const void* src, uint32_t bytes, uint32_t align, Unit unit) {
    Cta& c = *w.cta;
    const Launch& L = *c.launch;
    check_align(w, lane, addr, align, "shared");
    check_shared_range(w, lane, addr, bytes, "write");
    if (unit == Unit::Thread || unit == Unit::Atomic) {
        if (async_write_pending(c, addr, bytes))
            fault(w, lane, Check::racecheck, CUDA_ERROR_LAUNCH_FAILED,
                  fmt::format("write to shared bytes [0x{:x}, +{}) that a pending cp.async or TMA load will also "
                              "write",
                              addr, bytes));
        if (is_live_mbarrier(c, addr, bytes))
            fault(w, lane, Check::synccheck, CUDA_ERROR_LAUNCH_FAILED,
                  fmt::format("ordinary store to shared bytes [0x{:x}, +{}) that hold a live mbarrier object", addr,
                              bytes));
        note_generic_shared_write(c, w.thread(lane), addr, bytes);
    }
    if (L.racecheck && unit != Unit::Atomic) {
        const uint32_t s = unit == Unit::Thread ? stamp(w) : 0;
        for (uint32_t i = 0; i < bytes; ++i) {
            if (unit == Unit::Thread) {
                const uint32_t wr = c.shadow_write[addr + i];
                if (!ordered(w, wr)) race(w, lane, addr + i, "write-after-write", wr);
                const uint32_t rd = c.shadow_read[addr + i];
                if (!ordered(w, rd)) race(w, lane, addr + i, "write-after-read", rd);
            }
            c.shadow_write[addr + i] = s;
            c.shadow_read[addr + i] = 0;
        }
    }
    std::memcpy(c.smem.data() + addr, src, bytes);
    std::memset(c.smem_init.data() + addr, 1, bytes);
    ++c.launch->progress;
}

void shared_write_cta(Cta& c, uint32_t addr, const void* src, uint32_t bytes, Unit unit, const char* what) {
    const Launch& L = *c.launch;
    (void)unit;
    if (addr < L.static_smem_base || uint64_t(addr) + bytes > L.smem_window)
        fault_cta(c, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("out-of-bounds {} of {} bytes at shared address 0x{:x} (window [0x{:x}, 0x{:x}))", what,
                              bytes, addr, L.static_smem_base, L.smem_window));
    if (L.racecheck) {
        // Async-proxy writes are ordered by their mbarrier, not by threads'
        // clocks: they reset the shadow (the async-proxy rules are checked by
        // the TMA and wgmma families themselves).
        for (uint32_t i = 0; i < bytes; ++i) c.shadow_write[addr + i] = c.shadow_read[addr + i] = 0;
    }
    std::memcpy(c.smem.data() + addr, src, bytes);
    std::memset(c.smem_init.data() + addr, 1, bytes);
    ++c.launch->progress;
}

void shared_read_cta(Cta& c, uint32_t addr, void* dst, uint32_t bytes, Unit unit, const char* what) {
    const Launch& L = *c.launch;
    (void)unit;
    if (addr < L.static_smem_base || uint64_t(addr) + bytes > L.smem_window)
        fault_cta(c, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("out-of-bounds {} of {} bytes at shared address 0x{:x} (window [0x{:x}, 0x{:x}))", what,
                              bytes, addr, L.static_smem_base, L.smem_window));
    if (L.initcheck)
        for (uint32_t i = 0; i < bytes; ++i)
            if (!c.smem_init[addr + i])
                fault_cta(c, Check::initcheck, CUDA_ERROR_LAUNCH_FAILED,
                          fmt::format("{}: read of never-written shared memory at byte 0x{:x}", what, addr + i));
    std::memcpy(dst, c.smem.data() + addr, bytes);
}

// shared::cluster addresses: bits 24.. carry (rank + 1) for mapa-produced
// addresses of any CTA; an address below 2^24 is the executing CTA's own
// window (ISA 5.1.4.1: a shared::cta address is a valid shared::cluster
// address of the executing CTA).
uint32_t make_cluster_addr(uint32_t rank, uint32_t offset) { return ((rank + 1) << 24) | offset; }

ClusterAddr resolve_cluster_addr(const Warp& w, int lane, uint32_t addr) {
    const uint32_t tag = addr >> 24;
    if (tag == 0) return {w.cta, addr};
    const uint32_t rank = tag - 1;
    const Cluster& cl = *w.cta->cluster;
    if (rank >= cl.ctas.size())
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              fmt::format("shared::cluster address 0x{:x} names CTA rank {} of a {}-CTA cluster", addr, rank,
                          cl.ctas.size()));
    return {cl.ctas[rank], addr & 0xFFFFFFu};
}

void check_global_range(const Warp& w, int lane, uint64_t addr, uint64_t bytes, const char* what) {
    if (addr >= t_cached_base && addr + bytes <= t_cached_end) return;
    const Allocation* a = allocations().find(addr, bytes);
    if (a == nullptr) {
        const Allocation* near = allocations().find(addr, 1);
        if (near == nullptr && addr > 0) near = allocations().find(addr - 1, 1);  // starts just past an end
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              near ? fmt::format("out-of-bounds global {} of {} bytes at 0x{:x}: runs past the end of {} ([0x{:x}, "
                                 "+{}))",
                                 what, bytes, addr, near->what, near->base, near->size)
                   : fmt::format("invalid global {} of {} bytes at 0x{:x}: no allocation holds it", what, bytes, addr));
    }
    // No peer access is modelled (cuCtxEnablePeerAccess is not among the
    // entry points): a kernel that touches another device's memory faults,
    // as it does on GPUs without peer access.
    const int device = w.cta->launch->device_ordinal;
    if (a->device >= 0 && a->device != device)
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              fmt::format("global {} of {} bytes at 0x{:x} in {}: memory of device {}, from a kernel on device {} "
                          "(no peer access)",
                          what, bytes, addr, a->what, a->device, device));
    t_cached_base = a->base;
    t_cached_end = a->base + a->size;
    t_cached_read_only = a->read_only;
}

void global_read(Warp& w, int lane, uint64_t addr, void* dst, uint32_t bytes, uint32_t align) {
    check_align(w, lane, addr, align, "global");
    check_global_range(w, lane, addr, bytes, "read");
    std::memcpy(dst, reinterpret_cast<const void*>(addr), bytes);
}

void global_write(Warp& w, int lane, uint64_t addr, const void* src, uint32_t bytes, uint32_t align) {
    check_align(w, lane, addr, align, "global");
    check_global_range(w, lane, addr, bytes, "write");
    if (t_cached_read_only)
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              fmt::format("write of {} bytes at 0x{:x} into a module's constant memory", bytes, addr));
    std::memcpy(reinterpret_cast<void*>(addr), src, bytes);
    ++w.cta->launch->progress;
}

uint64_t shared_to_generic(const Cta& c, uint32_t offset) { return reinterpret_cast<uint64_t>(c.smem.data()) + offset; }

uint64_t local_to_generic(const Warp& w, int lane, uint32_t offset) {
    return reinterpret_cast<uint64_t>(w.local.data()) + uint64_t(lane) * w.cta->launch->local_bytes + offset;
}

Window classify_generic(const Warp& w, int lane, uint64_t generic, uint32_t* offset) {
    const Cta& c = *w.cta;
    const uint64_t sbase = reinterpret_cast<uint64_t>(c.smem.data());
    if (generic >= sbase && generic < sbase + c.smem.size()) {
        *offset = uint32_t(generic - sbase);
        return Window::Shared;
    }
    // Distributed shared memory of the cluster's other CTAs, by generic address.
    for (const Cta* o : c.cluster->ctas) {
        const uint64_t b = reinterpret_cast<uint64_t>(o->smem.data());
        if (o != &c && generic >= b && generic < b + o->smem.size()) {
            *offset = make_cluster_addr(o->rank, uint32_t(generic - b));
            return Window::Shared;
        }
    }
    const uint64_t lb = reinterpret_cast<uint64_t>(w.local.data());
    const uint64_t lbytes = c.launch->local_bytes;
    if (lbytes && generic >= lb && generic < lb + w.local.size()) {
        const uint64_t rel = generic - lb;
        if (rel / lbytes != uint64_t(lane))
            fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("generic access to lane {}'s local memory from lane {}", rel / lbytes, lane));
        *offset = uint32_t(rel % lbytes);
        return Window::Local;
    }
    const uint64_t pb = reinterpret_cast<uint64_t>(c.launch->params.data());
    if (generic >= pb && generic < pb + c.launch->params.size()) {
        *offset = uint32_t(generic - pb);
        return Window::Param;
    }
    (void)lane;
    return Window::Global;
}

}  // namespace ptxsim::exec
