// Tensor Memory Accelerator (TMA) wrappers: bulk tensor copies described by a
// CUtensorMap built on the host (cuTensorMapEncodeTiled) and passed to the
// kernel as a `const __grid_constant__ CUtensorMap` parameter, whose generic
// address is what the instructions take. One function per instruction.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA "Data Movement and Conversion Instructions: prefetch, prefetchu"
// (prefetch.tensormap): pulls the tensor map into the descriptor cache ahead
// of the first copy that uses it.
__device__ __forceinline__ void prefetch_tensormap(const void* tensor_map) {
    asm volatile("prefetch.tensormap [%0];" : : "l"(reinterpret_cast<uint64_t>(tensor_map)) : "memory");
}

// PTX ISA "Data Movement and Conversion Instructions: cp.async.bulk.tensor"
// (.2d, global -> shared, tile mode, mbarrier::complete_tx::bytes): copies the
// box at element coordinates (c0 = innermost, c1) into shared memory at `dst`
// (laid out and swizzled as the tensor map says) and, when the bytes have
// landed, performs complete_tx of the box's full byte count on `bar`. Box
// elements outside the tensor are written as zeros and still counted. A lone
// CTA is a cluster of one, so its shared::cta addresses are valid
// shared::cluster addresses.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const void* tensor_map, uint32_t bar, int32_t c0,
                                            int32_t c1) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%3, %4}], [%2];"
        :
        : "r"(dst), "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(bar), "r"(c0), "r"(c1)
        : "memory");
}

// .multicast::cluster form of tma_load_2d: the box lands at `dst` in every
// CTA of the cluster whose bit is set in `cta_mask` (bit i = rank i), and
// each of those CTAs' mbarrier at offset `bar` gets the complete_tx of the
// box's bytes. A destination's bytes may arrive before that CTA armed its
// barrier with expect_tx; the phase cannot complete early, as its own
// arrival is still pending.
__device__ __forceinline__ void tma_load_2d_multicast(uint32_t dst, const void* tensor_map, uint32_t bar, int32_t c0,
                                                      int32_t c1, uint16_t cta_mask) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster"
        " [%0], [%1, {%3, %4}], [%2], %5;"
        :
        : "r"(dst), "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(bar), "r"(c0), "r"(c1), "h"(cta_mask)
        : "memory");
}

// .3d form of the same copy, coordinates innermost first: batched operands
// such as the MoE experts' weights [E, N, K], the expert index being c2.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const void* tensor_map, uint32_t bar, int32_t c0,
                                            int32_t c1, int32_t c2) {
    asm volatile(
        "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%3, %4, %5}], [%2];"
        :
        : "r"(dst), "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
        : "memory");
}

// PTX ISA "cp.async.bulk.tensor" (.4d, global -> shared, tile mode,
// mbarrier::complete_tx::bytes): tma_load_2d for a rank-4 tensor map,
// coordinates innermost first. Attention uses {d, head, row, batch}: one map
// then serves every head and sequence, and rows past the tensor's end (in any
// dimension) arrive as zeros, still counted in the complete_tx bytes.
__device__ __forceinline__ void tma_load_4d(uint32_t dst, const void* tensor_map, uint32_t bar, int32_t c0,
                                            int32_t c1, int32_t c2, int32_t c3) {
    asm volatile(
        "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%3, %4, %5, %6}], [%2];"
        :
        : "r"(dst), "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
        : "memory");
}

// PTX ISA "cp.async.bulk.tensor" (.2d, shared::cta -> global, tile mode,
// .bulk_group completion): writes the box at element coordinates (c0 =
// innermost, c1) from shared memory at `src` (laid out and swizzled as the
// tensor map says). Box elements outside the tensor are not written, which
// is what clips a tile at the output's edges. The writer must have made its
// st.shared / stmatrix visible to the async proxy first
// (fence.proxy.async.shared::cta) and must not reuse `src` before
// tma_store_wait_read says the copy has read it.
__device__ __forceinline__ void tma_store_2d(const void* tensor_map, uint32_t src, int32_t c0, int32_t c1) {
    asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group [%0, {%2, %3}], [%1];"
                 :
                 : "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(src), "r"(c0), "r"(c1)
                 : "memory");
}

// PTX ISA "cp.async.bulk.commit_group": closes the bulk async-group of this
// thread's bulk copies issued since the last commit.
__device__ __forceinline__ void tma_store_commit() { asm volatile("cp.async.bulk.commit_group;" : : : "memory"); }

// PTX ISA "cp.async.bulk.wait_group.read": waits until at most kPending of
// this thread's committed bulk groups have not finished reading their shared
// memory sources (the sources can then be overwritten; the global writes may
// still be in flight).
template <int kPending>
__device__ __forceinline__ void tma_store_wait_read() {
    asm volatile("cp.async.bulk.wait_group.read %0;" : : "n"(kPending) : "memory");
}

// PTX ISA "cp.async.bulk.wait_group": waits until at most kPending of this
// thread's committed bulk groups are incomplete (writes done).
template <int kPending>
__device__ __forceinline__ void tma_store_wait() {
    asm volatile("cp.async.bulk.wait_group %0;" : : "n"(kPending) : "memory");
}

}  // namespace ptxkit::ptx
