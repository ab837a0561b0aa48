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

// PTX ISA "tanh" (.approx.f32, sm_75+): tanh(x), absolute error about 2^-10.9
// relative; used for logit soft-capping, where the result is itself scaled.
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
