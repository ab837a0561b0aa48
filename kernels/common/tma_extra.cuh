// TMA copies beyond tma.cuh's 2-D form (kept in a file of their own while
// tma.cuh is being extended elsewhere): the same tile-mode bulk tensor copy,
// with a third coordinate for batched operands such as the MoE experts'
// weights [E, N, K] (PTX ISA "Data Movement and Conversion Instructions:
// cp.async.bulk.tensor"). The tensor map is a `const __grid_constant__
// CUtensorMap` kernel parameter, whose generic address the instruction takes.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// .3d, global -> shared, tile mode, mbarrier::complete_tx::bytes: copies the
// box at element coordinates (c0 = innermost, c1, c2) into shared memory at
// `dst` (laid out and swizzled as the tensor map says) and performs
// complete_tx of the box's full byte count on `bar` when it has landed. Box
// elements outside the tensor are written as zeros and still counted. A lone
// CTA is a cluster of one, so its shared::cta addresses are valid
// shared::cluster addresses.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const void* tensor_map, uint32_t bar, int32_t c0,
                                            int32_t c1, int32_t c2) {
    asm volatile(
        "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%3, %4, %5}], [%2];"
        :
        : "r"(dst), "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
        : "memory");
}

}  // namespace ptxkit::ptx
