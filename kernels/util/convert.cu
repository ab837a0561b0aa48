// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// Element-wise conversions between fp32 and bf16 / fp16, round-to-nearest-even.
// The tests use them to make 16-bit inputs on the device, and compare every
// output byte against the host's bit-exact conversion.
//
// Each thread converts groups of 8 elements: two 16-byte fp32 accesses and one
// 16-byte 16-bit access. `vector_ok` (decided on the host) says both pointers
// are 16-byte aligned; then every full group takes the vector path and only
// the last, partial group goes element by element.
#include <cstdint>

#include "common/ptx_convert.cuh"
#include "common/ptx_memory.cuh"

namespace {

constexpr uint64_t kGroup = 8;

__device__ __forceinline__ uint64_t first_group() {
    return uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ uint64_t group_stride() { return uint64_t(gridDim.x) * blockDim.x; }

template <bool kBf16>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
    return kBf16 ? ptxkit::ptx::cvt_rn_bf16x2_f32(lo, hi) : ptxkit::ptx::cvt_rn_f16x2_f32(lo, hi);
}

template <bool kBf16>
__device__ __forceinline__ float2 unpack2(uint32_t v) {
    return kBf16 ? ptxkit::ptx::unpack_bf16x2_f32(v) : ptxkit::ptx::unpack_f16x2_f32(v);
}

template <bool kBf16>
__device__ void narrow(uint16_t* dst, const float* src, uint64_t n, bool vector_ok) {
    const uint64_t groups = (n + kGroup - 1) / kGroup;
    for (uint64_t g = first_group(); g < groups; g += group_stride()) {
        const uint64_t base = g * kGroup;
        if (vector_ok && base + kGroup <= n) {
            const uint4 a = ptxkit::ptx::ld_global_nc_v4(src + base);
            const uint4 b = ptxkit::ptx::ld_global_nc_v4(src + base + 4);
            uint4 out;
            out.x = pack2<kBf16>(__uint_as_float(a.x), __uint_as_float(a.y));
            out.y = pack2<kBf16>(__uint_as_float(a.z), __uint_as_float(a.w));
            out.z = pack2<kBf16>(__uint_as_float(b.x), __uint_as_float(b.y));
            out.w = pack2<kBf16>(__uint_as_float(b.z), __uint_as_float(b.w));
            ptxkit::ptx::st_global_v4(dst + base, out);
        } else {
            for (uint64_t i = base; i < n && i < base + kGroup; ++i) {
                dst[i] = uint16_t(pack2<kBf16>(src[i], 0.0f) & 0xffffu);
            }
        }
    }
}

template <bool kBf16>
__device__ void widen(float* dst, const uint16_t* src, uint64_t n, bool vector_ok) {
    const uint64_t groups = (n + kGroup - 1) / kGroup;
    for (uint64_t g = first_group(); g < groups; g += group_stride()) {
        const uint64_t base = g * kGroup;
        if (vector_ok && base + kGroup <= n) {
            const uint4 v = ptxkit::ptx::ld_global_nc_v4(src + base);
            const float2 p0 = unpack2<kBf16>(v.x), p1 = unpack2<kBf16>(v.y);
            const float2 p2 = unpack2<kBf16>(v.z), p3 = unpack2<kBf16>(v.w);
            ptxkit::ptx::st_global_v4(dst + base, make_uint4(__float_as_uint(p0.x), __float_as_uint(p0.y),
                                                             __float_as_uint(p1.x), __float_as_uint(p1.y)));
            ptxkit::ptx::st_global_v4(dst + base + 4, make_uint4(__float_as_uint(p2.x), __float_as_uint(p2.y),
                                                                 __float_as_uint(p3.x), __float_as_uint(p3.y)));
        } else {
            for (uint64_t i = base; i < n && i < base + kGroup; ++i) {
                dst[i] = unpack2<kBf16>(uint32_t(src[i])).x;
            }
        }
    }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(256)
ptxkit_convert_f32_to_bf16(uint16_t* dst, const float* src, uint64_t n, int vector_ok) {
    narrow<true>(dst, src, n, vector_ok != 0);
}

extern "C" __global__ void __launch_bounds__(256)
ptxkit_convert_f32_to_f16(uint16_t* dst, const float* src, uint64_t n, int vector_ok) {
    narrow<false>(dst, src, n, vector_ok != 0);
}

extern "C" __global__ void __launch_bounds__(256)
ptxkit_convert_bf16_to_f32(float* dst, const uint16_t* src, uint64_t n, int vector_ok) {
    widen<true>(dst, src, n, vector_ok != 0);
}

extern "C" __global__ void __launch_bounds__(256)
ptxkit_convert_f16_to_f32(float* dst, const uint16_t* src, uint64_t n, int vector_ok) {
    widen<false>(dst, src, n, vector_ok != 0);
}
