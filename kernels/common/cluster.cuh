// Thread-block cluster wrappers (PTX ISA "Parallel Synchronization and
// Communication Instructions: barrier.cluster", "Data Movement and Conversion
// Instructions: mapa", special registers %cluster_ctarank / %cluster_nctarank;
// sm_90). One function per instruction. A kernel launched without cluster
// dimensions is a cluster of one CTA, so these are valid (and trivial) there.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// This CTA's rank in its cluster, 0 .. cluster_ctas() - 1.
__device__ __forceinline__ uint32_t cluster_ctarank() {
    uint32_t rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
    return rank;
}

// CTAs in this CTA's cluster (1 without cluster dimensions).
__device__ __forceinline__ uint32_t cluster_ctas() {
    uint32_t n;
    asm volatile("mov.u32 %0, %%cluster_nctarank;" : "=r"(n));
    return n;
}

// barrier.cluster.arrive.release + barrier.cluster.wait.acquire: every
// thread of every CTA of the cluster arrives, then waits for all the others;
// memory operations before it (release, cluster scope) are visible after it
// (acquire). .aligned: every thread of the warp executes it.
__device__ __forceinline__ void cluster_sync() {
    asm volatile("barrier.cluster.arrive.release.aligned;\n\tbarrier.cluster.wait.acquire.aligned;" : : : "memory");
}

// mapa.shared::cluster.u32: the shared::cluster address of the variable at
// shared::cta address `smem_addr` in the CTA of rank `cta_rank` of this
// cluster (the same offset in that CTA's shared memory).
__device__ __forceinline__ uint32_t map_shared_to_cta(uint32_t smem_addr, uint32_t cta_rank) {
    uint32_t remote;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(smem_addr), "r"(cta_rank));
    return remote;
}

}  // namespace ptxkit::ptx
