// mbarrier wrappers (PTX ISA "Parallel Synchronization and Communication
// Instructions: mbarrier", sm_90 forms). One function per instruction; every
// barrier is addressed by its 32-bit shared::cta address (an 8-byte aligned
// .b64 object), so callers never form generic pointers into shared memory.
//
// Phases: a barrier starts in phase 0; a phase completes when its pending
// arrival count reaches zero and its transaction count (tx-count) is zero,
// then the next phase starts with the count given at init. try_wait.parity
// waits for the completion of the phase with the given parity; asked for the
// parity of the phase *before* the current one (1 on a fresh barrier) it
// returns at once, which is how a producer's first pass over an empty ring
// goes through without waiting.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// 32-bit shared-window address of a generic pointer to shared memory
// (cvta.to.shared, PTX ISA "cvta").
__device__ __forceinline__ uint32_t smem_u32(const void* ptr) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(ptr));
}

// PTX ISA "mbarrier.init": count = arrivals expected per phase (1 .. 2^20 - 1).
__device__ __forceinline__ void mbarrier_init(uint32_t bar, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" : : "r"(bar), "r"(count) : "memory");
}

// PTX ISA "Parallel Synchronization and Communication Instructions: fence"
// (fence.mbarrier_init): makes prior mbarrier.init visible to the async proxy
// (TMA complete_tx) and, with the barrier that follows, to the other threads.
__device__ __forceinline__ void fence_mbarrier_init() {
    asm volatile("fence.mbarrier_init.release.cluster;" : : : "memory");
}

// PTX ISA "mbarrier.arrive" (.expect_tx): raises the current phase's
// tx-count by `bytes` and arrives once (release, CTA scope).
__device__ __forceinline__ void mbarrier_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%0], %1;"
                 :
                 : "r"(bar), "r"(bytes)
                 : "memory");
}

// PTX ISA "mbarrier.arrive": one arrival (release, CTA scope); the state
// token is discarded (the sink `_`), waits use the phase parity instead.
__device__ __forceinline__ void mbarrier_arrive(uint32_t bar) {
    asm volatile("mbarrier.arrive.release.cta.shared::cta.b64 _, [%0];" : : "r"(bar) : "memory");
}

// PTX ISA "mbarrier.arrive" on another CTA's barrier (.shared::cluster): one
// arrival on the barrier at `cluster_addr`, a shared::cluster address
// (map_shared_to_cta in cluster.cuh). Default semantics (.release, .cta
// scope), as CUTLASS's cluster barriers use for a consumer's "stage read"
// signal: .release.cluster would make ptxas emit MEMBAR.ALL.GPU before every
// arrival, in the mainloop's inner loop, while the only accesses ordered here
// are this CTA's wgmma reads of its own shared memory, already complete
// (wgmma.wait_group) when the arrival is made.
__device__ __forceinline__ void mbarrier_arrive_cluster(uint32_t cluster_addr) {
    asm volatile("mbarrier.arrive.shared::cluster.b64 _, [%0];" : : "r"(cluster_addr) : "memory");
}

// PTX ISA "mbarrier.test_wait / mbarrier.try_wait" (.parity, acquire, CTA
// scope): spins until the phase with parity `parity` has completed. try_wait
// suspends the thread for a system-dependent time before returning false, so
// the loop does not hammer the barrier. The label is local to the { } scope,
// so every inlined copy gets its own.
//
// With PTXKIT_KERNEL_WATCHDOG_TICKS = T defined (CMake
// PTXKIT_KERNEL_WATCHDOG_SECONDS, a bring-up aid), a wait that has not
// completed after T to T + 1 ticks of %globaltimer_hi (the nanosecond
// timer's upper word: 2^32 ns = 4.29 s per tick) traps: a lost arrival or a
// wrong tx byte count then fails the launch instead of hanging the process.
// One 32-bit register (the full 64-bit timer made the register-tight
// attention producer spill); the timer is read only after a try_wait has
// failed, so waits that succeed at once cost nothing more.
#ifndef PTXKIT_KERNEL_WATCHDOG_TICKS
__device__ __forceinline__ void mbarrier_wait_parity(uint32_t bar, uint32_t parity) {
    asm volatile(
        "{\n\t"
        ".reg .pred done;\n\t"
        "wait_again:\n\t"
        "mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 done, [%0], %1;\n\t"
        "@!done bra wait_again;\n\t"
        "}"
        :
        : "r"(bar), "r"(parity)
        : "memory");
}
#else
__device__ __forceinline__ bool mbarrier_try_wait_parity(uint32_t bar, uint32_t parity) {
    uint32_t done;
    asm volatile(
        "{\n\t"
        ".reg .pred p;\n\t"
        "mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 p, [%1], %2;\n\t"
        "selp.u32 %0, 1, 0, p;\n\t"
        "}"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
    return done != 0;
}

__device__ __forceinline__ uint32_t global_timer_hi() {
    uint32_t t;
    asm volatile("mov.u32 %0, %%globaltimer_hi;" : "=r"(t));
    return t;
}

__device__ __forceinline__ void mbarrier_wait_parity(uint32_t bar, uint32_t parity) {
    if (mbarrier_try_wait_parity(bar, parity)) return;
    const uint32_t start = global_timer_hi();
    while (!mbarrier_try_wait_parity(bar, parity)) {
        if (global_timer_hi() - start > uint32_t(PTXKIT_KERNEL_WATCHDOG_TICKS)) __trap();
    }
}
#endif

}  // namespace ptxkit::ptx
