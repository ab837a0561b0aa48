// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// MoE permute and combine, around the grouped GEMM, in the layout of align.cu.
//
// permute: permuted[r] = hidden[sorted_pairs[r] / k] for the rows r below
//   *total_padded (read on the device, so the launch needs no host sync), a
//   zero row where sorted_pairs[r] is -1 (padding). One warp per row, grid-
//   strided; rows are copied in 16-byte units when the host found the row size,
//   both row strides and both pointers 16-byte aligned, else in 4- or 2-byte
//   units. A pure copy: every bit is preserved.
//
// combine: out[t] = sum_j weights[t, j] * y[inverse[t*k + j]] (+ shared[t]).
//   One warp per token; lane j < k reads slot j's row and weight, and shuffles
//   hand them to every lane. The sum is a chain of fp32 fmas in slot order
//   starting from +0, then the shared row is added and the result rounded to
//   nearest even: the same operations in the same order on every run, no
//   atomics, so the output is bitwise reproducible (and equal to the host
//   reference, which does the same float operations).
#include <cstdint>
#include <type_traits>

#include "common/ptx_convert.cuh"
#include "common/ptx_memory.cuh"
#include "common/ptx_warp.cuh"
#include "moe/permute_combine_params.h"

namespace {

constexpr int kWarps = PTXKIT_MOE_PERMUTE_COMBINE_WARPS;
constexpr int kMaxK = PTXKIT_MOE_COMBINE_MAX_K;
constexpr int kUnroll = 4;     // units a lane loads before it stores them
constexpr int kSlotGroup = 4;  // combine: slots whose rows a lane loads before it adds them
static_assert(kMaxK % kSlotGroup == 0, "slots come in whole groups");

// Copies (or zeroes, when src is null) one row of n units of kUnit bytes.
template <int kUnit>
__device__ __forceinline__ void copy_row(char* dst, const char* src, int64_t n, int lane) {
    for (int64_t c = lane; c < n; c += 32 * kUnroll) {
        if constexpr (kUnit == 16) {
            uint4 v[kUnroll];
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int64_t i = c + 32 * u;
                v[u] = make_uint4(0, 0, 0, 0);
                if (src != nullptr && i < n) v[u] = ptxkit::ptx::ld_global_nc_v4(src + i * 16);
            }
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int64_t i = c + 32 * u;
                if (i < n) ptxkit::ptx::st_global_v4(dst + i * 16, v[u]);
            }
        } else {
            using Unit = std::conditional_t<kUnit == 4, uint32_t, uint16_t>;
            Unit v[kUnroll];
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int64_t i = c + 32 * u;
                v[u] = 0;
                if (src != nullptr && i < n) v[u] = reinterpret_cast<const Unit*>(src)[i];
            }
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int64_t i = c + 32 * u;
                if (i < n) reinterpret_cast<Unit*>(dst)[i] = v[u];
            }
        }
    }
}

// Element access in fp32 for the three dtypes; `i` counts elements. The
// 8-wide forms need 16-byte aligned addresses (the host's vector_ok).
struct F32 {
    static __device__ __forceinline__ float load(const void* base, int64_t i) {
        return reinterpret_cast<const float*>(base)[i];
    }
    static __device__ __forceinline__ void load8(const void* base, int64_t i, float (&v)[8]) {
        const uint4 a = ptxkit::ptx::ld_global_nc_v4(reinterpret_cast<const float*>(base) + i);
        const uint4 b = ptxkit::ptx::ld_global_nc_v4(reinterpret_cast<const float*>(base) + i + 4);
        const uint32_t w[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
        for (int e = 0; e < 8; ++e) v[e] = __uint_as_float(w[e]);
    }
    static __device__ __forceinline__ void store(void* base, int64_t i, float v) {
        reinterpret_cast<float*>(base)[i] = v;
    }
    static __device__ __forceinline__ void store8(void* base, int64_t i, const float (&v)[8]) {
        float* p = reinterpret_cast<float*>(base) + i;
        ptxkit::ptx::st_global_v4(
            p, make_uint4(__float_as_uint(v[0]), __float_as_uint(v[1]), __float_as_uint(v[2]), __float_as_uint(v[3])));
        ptxkit::ptx::st_global_v4(p + 4, make_uint4(__float_as_uint(v[4]), __float_as_uint(v[5]), __float_as_uint(v[6]),
                                                    __float_as_uint(v[7])));
    }
};

template <bool kBf16>
struct Half16 {
    static __device__ __forceinline__ float2 unpack(uint32_t w) {
        return kBf16 ? ptxkit::ptx::unpack_bf16x2_f32(w) : ptxkit::ptx::unpack_f16x2_f32(w);
    }
    static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
        return kBf16 ? ptxkit::ptx::cvt_rn_bf16x2_f32(lo, hi) : ptxkit::ptx::cvt_rn_f16x2_f32(lo, hi);
    }
    static __device__ __forceinline__ float load(const void* base, int64_t i) {
        return unpack(uint32_t(reinterpret_cast<const uint16_t*>(base)[i])).x;
    }
    static __device__ __forceinline__ void load8(const void* base, int64_t i, float (&v)[8]) {
        const uint4 q = ptxkit::ptx::ld_global_nc_v4(reinterpret_cast<const uint16_t*>(base) + i);
        const uint32_t w[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const float2 pair = unpack(w[e]);
            v[2 * e] = pair.x;
            v[2 * e + 1] = pair.y;
        }
    }
    static __device__ __forceinline__ void store(void* base, int64_t i, float v) {
        reinterpret_cast<uint16_t*>(base)[i] = uint16_t(pack(v, 0.0f) & 0xffffu);
    }
    static __device__ __forceinline__ void store8(void* base, int64_t i, const float (&v)[8]) {
        ptxkit::ptx::st_global_v4(reinterpret_cast<uint16_t*>(base) + i,
                                  make_uint4(pack(v[0], v[1]), pack(v[2], v[3]), pack(v[4], v[5]), pack(v[6], v[7])));
    }
};
using Bf16 = Half16<true>;
using F16 = Half16<false>;

template <class Y, class Out>
__device__ void combine(const ptxkit_moe_combine_params& p) {
    const int lane = static_cast<int>(ptxkit::ptx::lane_id());
    const int token = static_cast<int>(blockIdx.x) * kWarps + static_cast<int>(threadIdx.x / 32);
    if (token >= p.num_tokens) return;  // whole warps leave together

    // Slot j's row of y (-1: contributes nothing) and weight, in every lane.
    int my_row = -1;
    float my_weight = 0.0f;
    if (lane < p.k) {
        const int64_t slot = int64_t(token) * p.k + lane;
        const int32_t r = p.inverse[slot];
        if (r >= 0 && r < p.capacity) {
            my_row = r;
            my_weight = p.weights[slot];
        }
    }
    int rows[kMaxK];
    float weight[kMaxK];
#pragma unroll
    for (int j = 0; j < kMaxK; ++j) {
        rows[j] = static_cast<int>(ptxkit::ptx::shfl_idx_b32(static_cast<uint32_t>(my_row), j));
        weight[j] = __uint_as_float(ptxkit::ptx::shfl_idx_b32(__float_as_uint(my_weight), j));
    }
    const int64_t out_base = int64_t(token) * p.out_stride;
    const int64_t shared_base = int64_t(token) * p.shared_stride;

    if (p.vector_ok) {
        for (int c = lane * 8; c < p.hidden_size; c += 32 * 8) {
            float acc[8];
#pragma unroll
            for (int e = 0; e < 8; ++e) acc[e] = 0.0f;
#pragma unroll
            for (int j0 = 0; j0 < kMaxK; j0 += kSlotGroup) {
                if (j0 >= p.k) break;
                float v[kSlotGroup][8];
#pragma unroll
                for (int u = 0; u < kSlotGroup; ++u) {  // loads first, so kSlotGroup rows are in flight
                    if (rows[j0 + u] >= 0) Y::load8(p.y, int64_t(rows[j0 + u]) * p.y_stride + c, v[u]);
                }
#pragma unroll
                for (int u = 0; u < kSlotGroup; ++u) {
                    if (rows[j0 + u] >= 0) {  // the same in every lane
#pragma unroll
                        for (int e = 0; e < 8; ++e) acc[e] = __fmaf_rn(weight[j0 + u], v[u][e], acc[e]);
                    }
                }
            }
            if (p.shared != nullptr) {
                float s[8];
                Out::load8(p.shared, shared_base + c, s);
#pragma unroll
                for (int e = 0; e < 8; ++e) acc[e] = __fadd_rn(acc[e], s[e]);
            }
            Out::store8(p.out, out_base + c, acc);
        }
    } else {
        for (int c = lane; c < p.hidden_size; c += 32) {
            float acc = 0.0f;
#pragma unroll
            for (int j0 = 0; j0 < kMaxK; j0 += kSlotGroup) {
                if (j0 >= p.k) break;
                float v[kSlotGroup];
#pragma unroll
                for (int u = 0; u < kSlotGroup; ++u) {
                    if (rows[j0 + u] >= 0) v[u] = Y::load(p.y, int64_t(rows[j0 + u]) * p.y_stride + c);
                }
#pragma unroll
                for (int u = 0; u < kSlotGroup; ++u) {
                    if (rows[j0 + u] >= 0) acc = __fmaf_rn(weight[j0 + u], v[u], acc);
                }
            }
            if (p.shared != nullptr) acc = __fadd_rn(acc, Out::load(p.shared, shared_base + c));
            Out::store(p.out, out_base + c, acc);
        }
    }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(kWarps * 32)
    ptxkit_moe_permute(const __grid_constant__ ptxkit_moe_permute_params p) {
    const int lane = static_cast<int>(ptxkit::ptx::lane_id());
    const int rows = min(max(p.total_padded[0], 0), p.capacity);
    for (int row = static_cast<int>(blockIdx.x) * kWarps + static_cast<int>(threadIdx.x / 32); row < rows;
         row += static_cast<int>(gridDim.x) * kWarps) {
        const int32_t pair = p.sorted_pairs[row];
        const char* src = pair >= 0 && pair < p.num_pairs
                              ? static_cast<const char*>(p.hidden) + int64_t(pair / p.k) * p.hidden_stride_bytes
                              : nullptr;  // padding: a zero row
        char* dst = static_cast<char*>(p.permuted) + int64_t(row) * p.permuted_stride_bytes;
        switch (p.unit_bytes) {
            case 16:
                copy_row<16>(dst, src, p.row_bytes / 16, lane);
                break;
            case 4:
                copy_row<4>(dst, src, p.row_bytes / 4, lane);
                break;
            default:
                copy_row<2>(dst, src, p.row_bytes / 2, lane);
                break;
        }
    }
}

#define PTXKIT_COMBINE_KERNEL(name, Y, Out)                                              \
    extern "C" __global__ void __launch_bounds__(kWarps * 32)                            \
        ptxkit_moe_combine_##name(const __grid_constant__ ptxkit_moe_combine_params p) { \
        combine<Y, Out>(p);                                                              \
    }

PTXKIT_COMBINE_KERNEL(f32, F32, F32)
PTXKIT_COMBINE_KERNEL(bf16, Bf16, Bf16)
PTXKIT_COMBINE_KERNEL(f16, F16, F16)
PTXKIT_COMBINE_KERNEL(f32_to_bf16, F32, Bf16)
PTXKIT_COMBINE_KERNEL(f32_to_f16, F32, F16)
