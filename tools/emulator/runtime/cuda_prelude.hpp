// Force-included (g++ -include) into every translated kernel: the CUDA
// built-ins the kernels use, mapped onto the emulator. After translate.py no
// inline asm is left, so this is all the kernel sources need to compile as
// host C++.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <math.h>

#include "emu.hpp"

struct uint4 { uint32_t x, y, z, w; };
struct uint2 { uint32_t x, y; };
struct float2 { float x, y; };
struct float4 { float x, y, z, w; };
inline uint4 make_uint4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return {a, b, c, d}; }
inline float2 make_float2(float a, float b) { return {a, b}; }
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline float __uint_as_float(uint32_t v) { float f; std::memcpy(&f, &v, 4); return f; }
inline uint32_t __float_as_uint(float v) { uint32_t u; std::memcpy(&u, &v, 4); return u; }
template <class T> inline T min(T a, T b) { return a < b ? a : b; }
template <class T> inline T max(T a, T b) { return a > b ? a : b; }

#define threadIdx (emu::thread_idx())
#define blockIdx (emu::block_idx())
#define blockDim (emu::block_dim())
#define gridDim (emu::grid_dim())
#define __device__
#define __host__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __grid_constant__
#define __align__(n) alignas(n)
// Only `extern __shared__` arrays are modelled (translate.py maps them onto
// the CTA's dynamic shared memory); a static __shared__ variable becomes one
// per process, not per CTA, and lies outside the window (none of the shared
// memory checks apply to it). The MoE grouped GEMM has one (its masked prefix
// table): its harness runs one CTA at a time, which makes that per-CTA.
#define __shared__ static
inline std::size_t __cvta_generic_to_shared(const void* p) {
    const auto* c = static_cast<const unsigned char*>(p);
    if (c < emu::window() || c >= emu::window() + emu::window_size()) emu::fail("cvta.to.shared of a non-shared pointer");
    return static_cast<std::size_t>(c - emu::window());
}
inline void __syncthreads() { emu::syncthreads(); }
inline int __shfl_sync(unsigned mask, int v, int src) { return emu::shfl_sync_idx(mask, v, src); }
[[noreturn]] inline void __trap() { emu::fail("trap"); }
