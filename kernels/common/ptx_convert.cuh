// Floating-point conversion wrappers (PTX ISA 9.7.9.21 cvt, 9.7.9.22 cvt.pack
// is not used). Round-to-nearest-even everywhere, as the host references do.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// cvt.rn.bf16x2.f32: packs two floats into two bf16, `lo` in bits 0..15.
// (The instruction's first source goes to the upper half.)
__device__ __forceinline__ uint32_t cvt_rn_bf16x2_f32(float lo, float hi) {
    uint32_t d;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}

// cvt.rn.f16x2.f32: packs two floats into two fp16, `lo` in bits 0..15.
__device__ __forceinline__ uint32_t cvt_rn_f16x2_f32(float lo, float hi) {
    uint32_t d;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
    return d;
}

// bf16 -> f32 is exact: the bf16 bits are the upper half of the float's.
// mov/shl/and rather than cvt.f32.bf16, which needs sm_90.
__device__ __forceinline__ float2 unpack_bf16x2_f32(uint32_t packed) {
    float2 r;
    asm("{\n\t"
        ".reg .b32 lo_bits, hi_bits;\n\t"
        "shl.b32 lo_bits, %2, 16;\n\t"
        "and.b32 hi_bits, %2, 0xffff0000;\n\t"
        "mov.b32 %0, lo_bits;\n\t"
        "mov.b32 %1, hi_bits;\n\t"
        "}"
        : "=f"(r.x), "=f"(r.y)
        : "r"(packed));
    return r;
}

// cvt.f32.f16 on both halves; exact.
__device__ __forceinline__ float2 unpack_f16x2_f32(uint32_t packed) {
    float2 r;
    asm("{\n\t"
        ".reg .b16 lo_half, hi_half;\n\t"
        "mov.b32 {lo_half, hi_half}, %2;\n\t"
        "cvt.f32.f16 %0, lo_half;\n\t"
        "cvt.f32.f16 %1, hi_half;\n\t"
        "}"
        : "=f"(r.x), "=f"(r.y)
        : "r"(packed));
    return r;
}

}  // namespace ptxkit::ptx
