// Warp shuffles (PTX ISA 9.7.9.6 shfl.sync, butterfly mode) over all 32
// lanes, and the reductions built on them.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

__device__ __forceinline__ uint32_t shfl_xor_b32(uint32_t value, int lane_mask) {
    uint32_t r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=r"(r) : "r"(value), "r"(lane_mask));
    return r;
}

__device__ __forceinline__ float shfl_xor_f32(float value, int lane_mask) {
    return __uint_as_float(shfl_xor_b32(__float_as_uint(value), lane_mask));
}

__device__ __forceinline__ int shfl_xor_s32(int value, int lane_mask) {
    return static_cast<int>(shfl_xor_b32(static_cast<uint32_t>(value), lane_mask));
}

// PTX ISA 9.7.9.6 shfl.sync idx mode: every lane reads `src_lane`'s value.
__device__ __forceinline__ uint32_t shfl_idx_b32(uint32_t value, int src_lane) {
    uint32_t r;
    asm volatile("shfl.sync.idx.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=r"(r) : "r"(value), "r"(src_lane));
    return r;
}

__device__ __forceinline__ float warp_reduce_max(float v) {
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1) v = fmaxf(v, shfl_xor_f32(v, mask));
    return v;
}

__device__ __forceinline__ float warp_reduce_sum(float v) {
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1) v += shfl_xor_f32(v, mask);
    return v;
}

__device__ __forceinline__ uint32_t lane_id() {
    uint32_t lane;
    asm("mov.u32 %0, %%laneid;" : "=r"(lane));
    return lane;
}

}  // namespace ptxkit::ptx
