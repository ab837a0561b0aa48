// Special-function and fast-math wrappers (PTX ISA "Floating Point
// Instructions"): the approximate forms the softmax of attention and the
// routing kernels use. One function per instruction form.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA "ex2" (.approx.ftz.f32): 2^x with about 2 ulp of error; -inf gives
// +0, which is what masked logits rely on. Subnormal results flush to zero.
__device__ __forceinline__ float ex2_approx_ftz(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// PTX ISA "lg2" (.approx.ftz.f32): log2(x); +0 gives -inf.
__device__ __forceinline__ float lg2_approx_ftz(float x) {
    float y;
    asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// PTX ISA "tanh" (.approx.f32, sm_75+): tanh(x) with an error of the order of
// 2^-11 (the ISA quotes 2^-10.987 for its 16-bit forms). Used for logit
// soft-capping, as FlashAttention does, where the cap scales it: scores are
// off by up to about softcap * 2^-11 (the tests' tolerances account for it;
// an exact 1 - 2 / (exp(2x) + 1) would cost a second MUFU op per score).
__device__ __forceinline__ float tanh_approx(float x) {
    float y;
    asm("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// PTX ISA "rcp" (.approx.ftz.f32): 1 / x; used only to scale outputs by an
// already-summed denominator (the final normalisation), never inside sums.
__device__ __forceinline__ float rcp_approx_ftz(float x) {
    float y;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// PTX ISA "max" (.f32): IEEE maxNum, a NaN operand yields the other one.
__device__ __forceinline__ float fmax_f32(float a, float b) {
    float y;
    asm("max.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b));
    return y;
}

}  // namespace ptxkit::ptx
