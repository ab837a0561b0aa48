// The GEMM epilogue, shared by every GEMM kernel and the split-K reduction:
// out = act(alpha * acc + beta * C[row, col] + bias[col]), stored as cd_dtype.
#pragma once

#include <cstdint>

#include "common/ptx_convert.cuh"
#include "gemm/gemm_params.h"

namespace ptxkit::gemm {

__device__ __forceinline__ float load_as_float(const void* base, int64_t index, int32_t dtype) {
    if (dtype == PTXKIT_GEMM_F32) return static_cast<const float*>(base)[index];
    const uint16_t bits = static_cast<const uint16_t*>(base)[index];
    return dtype == PTXKIT_GEMM_BF16 ? ptxkit::ptx::unpack_bf16x2_f32(bits).x : ptxkit::ptx::unpack_f16x2_f32(bits).x;
}

__device__ __forceinline__ float activate(float x, int32_t activation) {
    switch (activation) {
        case PTXKIT_GEMM_ACT_RELU: return fmaxf(x, 0.0f);
        case PTXKIT_GEMM_ACT_GELU_TANH: {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.0f + tanhf(u));
        }
        case PTXKIT_GEMM_ACT_SILU: return x / (1.0f + expf(-x));
        default: return x;
    }
}

// The value of D[row, col] from the accumulated dot product.
__device__ __forceinline__ float epilogue_value(const ptxkit_gemm_params& p, float acc, int64_t row, int64_t col) {
    float v = p.alpha * acc;
    if (p.c != nullptr && p.beta != 0.0f) v += p.beta * load_as_float(p.c, row * p.ldc + col, p.cd_dtype);
    if (p.bias != nullptr) v += load_as_float(p.bias, col, p.bias_dtype);
    return activate(v, p.activation);
}

__device__ __forceinline__ void store_d(const ptxkit_gemm_params& p, int64_t row, int64_t col, float v) {
    const int64_t index = row * p.ldd + col;
    if (p.cd_dtype == PTXKIT_GEMM_F32) {
        static_cast<float*>(p.d)[index] = v;
    } else {
        const uint32_t packed = p.cd_dtype == PTXKIT_GEMM_BF16 ? ptxkit::ptx::cvt_rn_bf16x2_f32(v, 0.0f)
                                                               : ptxkit::ptx::cvt_rn_f16x2_f32(v, 0.0f);
        static_cast<uint16_t*>(p.d)[index] = static_cast<uint16_t>(packed & 0xffffu);
    }
}

// Two adjacent columns (col even, both in range, ldd even): one 4- or 8-byte store.
__device__ __forceinline__ void store_d_pair(const ptxkit_gemm_params& p, int64_t row, int64_t col, float v0,
                                             float v1) {
    const int64_t index = row * p.ldd + col;
    if (p.cd_dtype == PTXKIT_GEMM_F32) {
        *reinterpret_cast<float2*>(static_cast<float*>(p.d) + index) = make_float2(v0, v1);
    } else {
        const uint32_t packed = p.cd_dtype == PTXKIT_GEMM_BF16 ? ptxkit::ptx::cvt_rn_bf16x2_f32(v0, v1)
                                                               : ptxkit::ptx::cvt_rn_f16x2_f32(v0, v1);
        *reinterpret_cast<uint32_t*>(static_cast<uint16_t*>(p.d) + index) = packed;
    }
}

}  // namespace ptxkit::gemm
