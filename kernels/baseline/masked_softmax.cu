// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// The softmax of the cuBLAS "unfused" attention baseline: NOT a ptxkit op.
// The benchmarks (bench/common/cublas_attention.cpp) time ptxkit's fused
// attention against QK^T and PV as cuBLAS strided-batched GEMMs around this
// kernel; it lives in the library's module set only because that is the one
// way device code gets built and loaded (bench/README.md explains the
// choice). No public API launches it.
//
// What it computes (masked_softmax_params.h has the layout): per row of the
// logits S, the scaled, causally masked softmax, written as 16-bit P, possibly
// in place over S. It is meant to be a fair baseline, so it is a good one:
//   - one row per warp (up to 128 16-byte vectors: 1024 16-bit keys) or per
//     CTA of 128, 256 or 512 threads (up to 4096 vectors: 32768 16-bit or
//     16384 f32 keys); the host picks the smallest configuration that holds
//     the row;
//   - the row is read once, with 16-byte loads (ld.global.cg: L2 only; not
//     the read-only .nc path, since P may overwrite S), kept in registers (packed
//     16-bit values stay packed), reduced (max, then sum of exp2) with warp
//     shuffles and, per CTA, shared memory, and written once with 16-byte
//     (8-byte for f32 S) stores;
//   - vectors that hold only masked keys (the causal upper triangle) are not
//     read at all, only written as zeros; masked keys inside a vector are set
//     to -inf in the packed registers once, so the passes need no mask;
//   - exp through ex2.approx on fma(s, scale*log2e, -max*scale*log2e), the
//     same form FlashAttention uses; fp32 throughout, one rounding to P.
// Kernel names: ptxkit_masked_softmax_<S>_<P>_t<threads per row>_v<vectors per thread>,
// S in {bf16, f16, f32}, P in {bf16, f16}; the t32 kernels run 4 rows per
// 128-thread CTA, the others one row per CTA of that many threads.
#include <cstdint>

#include "baseline/masked_softmax_params.h"
#include "common/ptx_convert.cuh"
#include "common/ptx_math.cuh"
#include "common/ptx_memory.cuh"
#include "common/ptx_warp.cuh"

namespace {

__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }

// Element types: how many fit one 16-byte vector of S, and element e of one.
struct Bf16 {
    static constexpr int kPerVector = 8;
    static constexpr uint32_t kNegInf = 0xff80u;  // bit pattern of -inf
    static constexpr uint32_t kBits = 16;
    static __device__ __forceinline__ float get(const uint4& v, int e) {
        const uint32_t w = e < 2 ? v.x : e < 4 ? v.y : e < 6 ? v.z : v.w;
        return (e & 1) ? ptxkit::ptx::unpack_bf16x2_f32(w).y : ptxkit::ptx::unpack_bf16x2_f32(w).x;
    }
    static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
        return ptxkit::ptx::cvt_rn_bf16x2_f32(lo, hi);
    }
};
struct F16 {
    static constexpr int kPerVector = 8;
    static constexpr uint32_t kNegInf = 0xfc00u;
    static constexpr uint32_t kBits = 16;
    static __device__ __forceinline__ float get(const uint4& v, int e) {
        const uint32_t w = e < 2 ? v.x : e < 4 ? v.y : e < 6 ? v.z : v.w;
        return (e & 1) ? ptxkit::ptx::unpack_f16x2_f32(w).y : ptxkit::ptx::unpack_f16x2_f32(w).x;
    }
    static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
        return ptxkit::ptx::cvt_rn_f16x2_f32(lo, hi);
    }
};
struct F32 {
    static constexpr int kPerVector = 4;
    static constexpr uint32_t kNegInf = 0xff800000u;
    static constexpr uint32_t kBits = 32;
    static __device__ __forceinline__ float get(const uint4& v, int e) {
        return __uint_as_float(e == 0 ? v.x : e == 1 ? v.y : e == 2 ? v.z : v.w);
    }
};

// Sets the elements of `v` from index `keep` on (0 .. kPerVector) to -inf,
// in place in the packed vector: the passes below then need no mask, since
// exp2(-inf) = +0 and -inf never wins a max over a visible key.
template <class In>
__device__ __forceinline__ void mask_tail(uint4& v, int keep) {
    uint32_t w[4] = {v.x, v.y, v.z, v.w};
    constexpr int kPerWord = 32 / In::kBits;
#pragma unroll
    for (int e = 0; e < In::kPerVector; ++e) {
        if (e >= keep) {
            const int shift = (e % kPerWord) * In::kBits;
            const uint32_t field = (In::kBits == 32 ? 0xffffffffu : 0xffffu) << shift;
            w[e / kPerWord] = (w[e / kPerWord] & ~field) | (In::kNegInf << shift);
        }
    }
    v = make_uint4(w[0], w[1], w[2], w[3]);
}

// Max (kMax) or sum over the kRowThreads threads of a row: warp shuffles, then
// for CTA rows a pass through shared memory. Every thread gets the result.
template <int kRowThreads, bool kMax>
__device__ __forceinline__ float row_reduce(float x, float* scratch) {
    x = kMax ? ptxkit::ptx::warp_reduce_max(x) : ptxkit::ptx::warp_reduce_sum(x);
    if constexpr (kRowThreads > 32) {
        constexpr int kWarps = kRowThreads / 32;
        const int warp = static_cast<int>(threadIdx.x) / 32;
        if (ptxkit::ptx::lane_id() == 0) scratch[warp] = x;
        __syncthreads();
        x = scratch[0];
#pragma unroll
        for (int w = 1; w < kWarps; ++w) x = kMax ? fmaxf(x, scratch[w]) : x + scratch[w];
    }
    return x;
}

// One row per kRowThreads threads; kBlockThreads / kRowThreads rows per CTA.
template <class In, class Out, int kRowThreads, int kBlockThreads, int kVecs>
__device__ __forceinline__ void masked_softmax(const ptxkit_masked_softmax_params& p) {
    static_assert(kBlockThreads % kRowThreads == 0 && kRowThreads % 32 == 0, "rows are whole warps");
    static_assert(kRowThreads == 32 || kRowThreads == kBlockThreads, "a row is one warp or the whole CTA");
    constexpr int kE = In::kPerVector;
    constexpr int kRowsPerBlock = kBlockThreads / kRowThreads;
    __shared__ float max_scratch[kRowThreads > 32 ? kRowThreads / 32 : 1];
    __shared__ float sum_scratch[kRowThreads > 32 ? kRowThreads / 32 : 1];

    const int t = static_cast<int>(threadIdx.x) % kRowThreads;
    const int64_t row = int64_t(blockIdx.x) * kRowsPerBlock + static_cast<int>(threadIdx.x) / kRowThreads;
    if (row >= p.rows) return;  // uniform across the row's threads (and the CTA for CTA rows)

    // Last visible key; < 0 when the row sees none.
    const int query = static_cast<int>(row % p.seqlen_q);
    const int last = p.causal ? min(p.seqlen_k - 1, query + p.seqlen_k - p.seqlen_q) : p.seqlen_k - 1;
    const int vectors = (p.seqlen_k + kE - 1) / kE;  // 16-byte vectors of S that hold real keys

    const auto* s_row = static_cast<const unsigned char*>(p.s) + row * p.ld_s * int64_t(16 / kE);
    auto* p_row = static_cast<unsigned char*>(p.p) + row * p.ld_p * 2;

    // Load: vector i of this thread is the row's vector t + i * kRowThreads.
    // Masked keys become -inf; vectors with no visible key are not read.
    uint4 v[kVecs];
#pragma unroll
    for (int i = 0; i < kVecs; ++i) {
        const int first = (t + i * kRowThreads) * kE;
        v[i] = make_uint4(0u, 0u, 0u, 0u);
        if (first <= last) v[i] = ptxkit::ptx::ld_global_cg_v4(s_row + int64_t(first / kE) * 16);
        if (first + kE - 1 > last) mask_tail<In>(v[i], max(0, last + 1 - first));
    }

    float m = neg_inf();
#pragma unroll
    for (int i = 0; i < kVecs; ++i) {
#pragma unroll
        for (int e = 0; e < kE; ++e) m = fmaxf(m, In::get(v[i], e));
    }
    m = row_reduce<kRowThreads, true>(m, max_scratch);

    // exp(scale * (s - m)) = exp2(s * c - m * c) with c = scale * log2(e).
    const float c = p.scale_log2;
    const float mc = m == neg_inf() ? 0.0f : m * c;  // no key visible: every p is exp2(-inf) = 0
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kVecs; ++i) {
#pragma unroll
        for (int e = 0; e < kE; ++e) sum += ptxkit::ptx::ex2_approx_ftz(fmaf(In::get(v[i], e), c, -mc));
    }
    sum = row_reduce<kRowThreads, false>(sum, sum_scratch);
    // sum >= 1 when a key is visible (the maximum contributes exp2(0)).
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;

#pragma unroll
    for (int i = 0; i < kVecs; ++i) {
        const int vec = t + i * kRowThreads;
        if (vec >= vectors) continue;
        float x[kE];
#pragma unroll
        for (int e = 0; e < kE; ++e) x[e] = ptxkit::ptx::ex2_approx_ftz(fmaf(In::get(v[i], e), c, -mc)) * inv;
        if constexpr (kE == 8) {
            const uint4 out = make_uint4(Out::pack(x[0], x[1]), Out::pack(x[2], x[3]), Out::pack(x[4], x[5]),
                                         Out::pack(x[6], x[7]));
            ptxkit::ptx::st_global_v4(p_row + int64_t(vec) * 16, out);
        } else {
            const uint2 out = make_uint2(Out::pack(x[0], x[1]), Out::pack(x[2], x[3]));
            ptxkit::ptx::st_global_v2(p_row + int64_t(vec) * 8, out);
        }
    }
}

}  // namespace

// One extern "C" entry point per (S type, P type, row threads, vectors per
// thread), bounded to 64 registers (1024 threads per SM): enough loads in
// flight for a streaming kernel, and two or more CTAs per SM at every size.
#define PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, row_threads, block_threads, vecs)          \
    extern "C" __global__ void __launch_bounds__(block_threads, 1024 / block_threads)          \
        ptxkit_masked_softmax_##s_name##_##p_name##_t##row_threads##_v##vecs(                  \
            const ptxkit_masked_softmax_params p) {                                            \
        masked_softmax<S, P, row_threads, block_threads, vecs>(p);                             \
    }

#define PTXKIT_MASKED_SOFTMAX_CONFIGS(s_name, S, p_name, P)      \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 32, 128, 1)      \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 32, 128, 2)      \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 32, 128, 4)      \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 128, 128, 2)     \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 128, 128, 4)     \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 256, 256, 4)     \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 512, 512, 4)     \
    PTXKIT_MASKED_SOFTMAX(s_name, S, p_name, P, 512, 512, 8)

PTXKIT_MASKED_SOFTMAX_CONFIGS(bf16, Bf16, bf16, Bf16)
PTXKIT_MASKED_SOFTMAX_CONFIGS(f16, F16, f16, F16)
PTXKIT_MASKED_SOFTMAX_CONFIGS(f32, F32, bf16, Bf16)
PTXKIT_MASKED_SOFTMAX_CONFIGS(f32, F32, f16, F16)
