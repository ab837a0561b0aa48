// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// MoE router top-k: one warp per token, logits read once, selection by warp
// shuffles, ties to the lower expert index (deterministic, no atomics).
//
// Layout in registers: lane l holds the experts [l*P, l*P + P) of its token,
// P = ceil(E / 32) <= kMaxPerLane, so that a 16-byte load fills a lane's run
// when the host says the rows allow it (`vector_ok`).
//
// topk_softmax: softmax over all E logits, then the k largest (selection on
//   the logits, which orders like the probabilities), optionally renormalised.
// topk_grouped_sigmoid (DeepSeek-V3): s = sigmoid(x), b = s + bias; groups of
//   E/n_group experts scored by the sum of their two largest b; the topk_group
//   best groups kept; the k largest b inside them chosen; weights are their s
//   divided by their sum, times the scaling factor.
//
// Non-finite logits (include/ptxkit/moe.hpp states the contract): NaN counts
// as -inf, so that every lane compares the same way and agrees on the choice.
// Softmax of a row whose maximum is infinite is its limit: the experts at
// +inf share the probability equally, and a row that is all -inf is uniform
// (the k lowest expert ids, weight 1/E each). The grouped weights divide by
// their sum + 1e-20, as DeepSeek-V3's model code does, so that a row whose
// chosen scores all underflow to 0 (logits below about -88) gets weights 0.
#include <cstdint>

#include "common/ptx_memory.cuh"
#include "common/ptx_warp.cuh"
#include "moe/routing_params.h"

namespace {

constexpr int kMaxPerLane = 16;  // E <= 512
constexpr int kMaxK = 16;
__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000u); }

template <class T>
struct Elem;
template <>
struct Elem<float> {
    static __device__ __forceinline__ float load(const float* p) { return *p; }
    static constexpr int kPerVector = 4;
    static __device__ __forceinline__ float unpack(const uint4& v, int i) {
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};
        return __uint_as_float(w[i]);
    }
};
// 16-bit element types by their bits: the tags are the element type of the
// row pointers, so they must be 2 bytes wide (an empty tag struct is 1 byte,
// and `row + e` would step bytes, not elements).
struct Bf16Tag {
    uint16_t bits;
};
struct F16Tag {
    uint16_t bits;
};
static_assert(sizeof(Bf16Tag) == 2 && sizeof(F16Tag) == 2, "row + e must step 16-bit elements");
template <>
struct Elem<Bf16Tag> {
    static __device__ __forceinline__ float load(const Bf16Tag* p) {
        return __uint_as_float(uint32_t(*reinterpret_cast<const uint16_t*>(p)) << 16);
    }
    static constexpr int kPerVector = 8;
    static __device__ __forceinline__ float unpack(const uint4& v, int i) {
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};
        const uint32_t word = w[i / 2];
        return __uint_as_float((i % 2) ? (word & 0xffff0000u) : (word << 16));
    }
};
template <>
struct Elem<F16Tag> {
    static __device__ __forceinline__ float load(const F16Tag* p) {
        return __half2float_bits(*reinterpret_cast<const uint16_t*>(p));
    }
    static constexpr int kPerVector = 8;
    static __device__ __forceinline__ float unpack(const uint4& v, int i) {
        const uint32_t w[4] = {v.x, v.y, v.z, v.w};
        const uint32_t word = w[i / 2];
        return __half2float_bits(uint16_t((i % 2) ? (word >> 16) : (word & 0xffffu)));
    }
    static __device__ __forceinline__ float __half2float_bits(uint16_t h) {
        float f;
        asm("{ .reg .b16 h; mov.b16 h, %1; cvt.f32.f16 %0, h; }" : "=f"(f) : "h"(h));
        return f;
    }
};

// Loads lane `lane`'s run of the token's logits; invalid slots and NaN get -inf.
template <class T>
__device__ __forceinline__ void load_run(const T* row, int num_experts, int per_lane, int lane, bool vector_ok,
                                         float (&v)[kMaxPerLane]) {
    const int first = lane * per_lane;
    if (vector_ok) {
        // Host guarantee: per_lane * sizeof(T) is a multiple of 16, every lane's
        // run is inside the row, and the row is 16-byte aligned.
#pragma unroll
        for (int c = 0; c < kMaxPerLane / Elem<T>::kPerVector; ++c) {
            if (c * Elem<T>::kPerVector < per_lane) {
                const uint4 q = ptxkit::ptx::ld_global_nc_v4(row + first + c * Elem<T>::kPerVector);
#pragma unroll
                for (int i = 0; i < Elem<T>::kPerVector; ++i) v[c * Elem<T>::kPerVector + i] = Elem<T>::unpack(q, i);
            }
        }
#pragma unroll
        for (int j = 0; j < kMaxPerLane; ++j) {
            if (j >= per_lane) v[j] = neg_inf();
        }
    } else {
#pragma unroll
        for (int j = 0; j < kMaxPerLane; ++j) {
            const int e = first + j;
            v[j] = (j < per_lane && e < num_experts) ? Elem<T>::load(row + e) : neg_inf();
        }
    }
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
        if (v[j] != v[j]) v[j] = neg_inf();
    }
}

// (value, index) order: larger value first, then lower index. Index -1 marks
// "nothing" and loses to everything.
__device__ __forceinline__ bool better(float v, int e, float best_v, int best_e) {
    if (e < 0) return false;
    if (best_e < 0) return true;
    return v > best_v || (v == best_v && e < best_e);
}

__device__ __forceinline__ void warp_argmax(float& v, int& e) {
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1) {
        const float ov = ptxkit::ptx::shfl_xor_f32(v, mask);
        const int oe = ptxkit::ptx::shfl_xor_s32(e, mask);
        if (better(ov, oe, v, e)) {
            v = ov;
            e = oe;
        }
    }
}

// Selects the k best (key, index) pairs among the lane runs where `eligible`,
// in order; every lane ends with the same ids[] and keys[].
__device__ __forceinline__ void select_topk(const float (&key)[kMaxPerLane], uint32_t eligible, int per_lane,
                                            int lane, int k, int (&ids)[kMaxK], float (&keys)[kMaxK]) {
    uint32_t taken = 0;
#pragma unroll
    for (int i = 0; i < kMaxK; ++i) {
        if (i < k) {
            float best_v = 0.0f;
            int best_e = -1;
#pragma unroll
            for (int j = 0; j < kMaxPerLane; ++j) {
                const bool ok = ((eligible >> j) & 1u) && !((taken >> j) & 1u);
                if (ok && better(key[j], lane * per_lane + j, best_v, best_e)) {
                    best_v = key[j];
                    best_e = lane * per_lane + j;
                }
            }
            warp_argmax(best_v, best_e);
            ids[i] = best_e;
            keys[i] = best_v;
            if (best_e >= lane * per_lane && best_e < lane * per_lane + per_lane) {
                taken |= 1u << (best_e - lane * per_lane);
            }
        }
    }
}

__device__ __forceinline__ void store_outputs(float* weights, int* ids_out, const float (&w)[kMaxK],
                                              const int (&ids)[kMaxK], int k, int lane) {
#pragma unroll
    for (int i = 0; i < kMaxK; ++i) {
        if (i < k && lane == i) {
            weights[i] = w[i];
            ids_out[i] = ids[i];
        }
    }
}

__device__ __forceinline__ uint32_t valid_mask(int num_experts, int per_lane, int lane) {
    uint32_t m = 0;
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
        if (j < per_lane && lane * per_lane + j < num_experts) m |= 1u << j;
    }
    return m;
}

template <class T>
__device__ void topk_softmax(const ptxkit_moe_topk_softmax_params& p) {
    const int lane = static_cast<int>(ptxkit::ptx::lane_id());
    const int64_t token = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    if (token >= p.num_tokens) return;
    const T* row = reinterpret_cast<const T*>(p.logits) + token * p.num_experts;
    float v[kMaxPerLane];
    load_run(row, p.num_experts, p.per_lane, lane, p.vector_ok != 0, v);
    const uint32_t valid = valid_mask(p.num_experts, p.per_lane, lane);

    int ids[kMaxK];
    float top[kMaxK];
    select_topk(v, valid, p.per_lane, lane, p.k, ids, top);

    // Softmax denominator over every expert; top[0] is the row maximum. An
    // infinite maximum would make x - max NaN: the limit instead (the experts
    // equal to it get exp(0), every other exp(-inf) = 0).
    const float max_logit = top[0];
    const bool infinite_max = isinf(max_logit);
    const auto shifted = [&](float x) { return infinite_max ? (x == max_logit ? 0.0f : neg_inf()) : x - max_logit; };
    float sum = 0.0f;
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
        if ((valid >> j) & 1u) sum += expf(shifted(v[j]));
    }
    sum = ptxkit::ptx::warp_reduce_sum(sum);

    float w[kMaxK];
    float chosen_sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kMaxK; ++i) {
        if (i < p.k) {
            w[i] = expf(shifted(top[i])) / sum;
            chosen_sum += w[i];
        }
    }
    if (p.renormalize) {
#pragma unroll
        for (int i = 0; i < kMaxK; ++i) {
            if (i < p.k) w[i] /= chosen_sum;
        }
    }
    store_outputs(p.weights + token * p.k, p.ids + token * p.k, w, ids, p.k, lane);
}

// Top-2 of the values in (a1 >= a2) and (b1 >= b2).
__device__ __forceinline__ void merge_top2(float& a1, float& a2, float b1, float b2) {
    if (b1 > a1) {
        a2 = fmaxf(a1, b2);
        a1 = b1;
    } else {
        a2 = fmaxf(a2, b1);
    }
}

template <class T>
__device__ void topk_grouped_sigmoid(const ptxkit_moe_topk_grouped_params& p) {
    const int lane = static_cast<int>(ptxkit::ptx::lane_id());
    const int64_t token = int64_t(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    if (token >= p.num_tokens) return;
    const T* row = reinterpret_cast<const T*>(p.logits) + token * p.num_experts;
    float s[kMaxPerLane];
    load_run(row, p.num_experts, p.per_lane, lane, p.vector_ok != 0, s);
    const uint32_t valid = valid_mask(p.num_experts, p.per_lane, lane);
    float b[kMaxPerLane];
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
        const int e = lane * p.per_lane + j;
        if ((valid >> j) & 1u) {
            s[j] = 1.0f / (1.0f + expf(-s[j]));
            b[j] = s[j] + (p.bias != nullptr ? p.bias[e] : 0.0f);
        } else {
            b[j] = neg_inf();
        }
    }

    // Group scores: lane g ends up holding group g's score.
    const int group_size = p.num_experts / p.num_groups;
    float my_group_score = neg_inf();
    for (int g = 0; g < p.num_groups; ++g) {
        float m1 = neg_inf(), m2 = neg_inf();
#pragma unroll
        for (int j = 0; j < kMaxPerLane; ++j) {
            const int e = lane * p.per_lane + j;
            if (((valid >> j) & 1u) && e / group_size == g) merge_top2(m1, m2, b[j], neg_inf());
        }
#pragma unroll
        for (int mask = 16; mask > 0; mask >>= 1) {
            const float o1 = ptxkit::ptx::shfl_xor_f32(m1, mask);
            const float o2 = ptxkit::ptx::shfl_xor_f32(m2, mask);
            merge_top2(m1, m2, o1, o2);
        }
        if (lane == g) my_group_score = m1 + m2;
    }

    // The topk_group best groups, ties to the lower group index.
    uint32_t kept_groups = 0;
    float group_v = my_group_score;
    int group_e = lane < p.num_groups ? lane : -1;
    for (int i = 0; i < p.topk_group; ++i) {
        float v = group_v;
        int e = group_e;
        warp_argmax(v, e);
        kept_groups |= 1u << e;
        if (e == lane) group_e = -1;
    }

    uint32_t eligible = 0;
#pragma unroll
    for (int j = 0; j < kMaxPerLane; ++j) {
        const int e = lane * p.per_lane + j;
        if (((valid >> j) & 1u) && ((kept_groups >> (e / group_size)) & 1u)) eligible |= 1u << j;
    }
    int ids[kMaxK];
    float keys[kMaxK];
    select_topk(b, eligible, p.per_lane, lane, p.k, ids, keys);

    // Unbiased scores of the chosen experts, fetched from their owning lanes.
    float w[kMaxK];
    float chosen_sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kMaxK; ++i) {
        if (i < p.k) {
            const int owner = ids[i] / p.per_lane;
            float mine = 0.0f;
#pragma unroll
            for (int j = 0; j < kMaxPerLane; ++j) {
                if (lane * p.per_lane + j == ids[i]) mine = s[j];
            }
            w[i] = __uint_as_float(ptxkit::ptx::shfl_idx_b32(__float_as_uint(mine), owner));
            chosen_sum += w[i];
        }
    }
    const float scale = p.routed_scaling_factor / (chosen_sum + 1e-20f);
#pragma unroll
    for (int i = 0; i < kMaxK; ++i) {
        if (i < p.k) w[i] *= scale;
    }
    store_outputs(p.weights + token * p.k, p.ids + token * p.k, w, ids, p.k, lane);
}

}  // namespace

#define PTXKIT_ROUTING_KERNELS(suffix, T)                                                          \
    extern "C" __global__ void __launch_bounds__(128)                                                \
        ptxkit_moe_topk_softmax_##suffix(const __grid_constant__ ptxkit_moe_topk_softmax_params p) { \
        topk_softmax<T>(p);                                                                          \
    }                                                                                                \
    extern "C" __global__ void __launch_bounds__(128)                                                \
        ptxkit_moe_topk_grouped_sigmoid_##suffix(const __grid_constant__ ptxkit_moe_topk_grouped_params p) { \
        topk_grouped_sigmoid<T>(p);                                                                  \
    }

PTXKIT_ROUTING_KERNELS(f32, float)
PTXKIT_ROUTING_KERNELS(bf16, Bf16Tag)
PTXKIT_ROUTING_KERNELS(f16, F16Tag)
