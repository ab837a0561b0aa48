// Mixture-of-experts routing: which experts each token goes to, with which weight.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ptxkit/export.hpp"
#include "ptxkit/runtime.hpp"
#include "ptxkit/tensor.hpp"

namespace ptxkit::moe {

// Softmax over all experts, then the k largest probabilities per token
// (Mixtral, Qwen3-MoE). logits [T, E] f32/f16/bf16 (rows contiguous), E in
// [2, 512], k in [1, min(16, E)]; weights [T, k] f32 and ids [T, k] i32,
// in descending order of weight, ties to the lower expert index. With
// `renormalize` the k weights are divided by their sum.
PTXKIT_EXPORT void topk_softmax(const TensorView& logits, const TensorView& weights, const TensorView& ids, int k,
                                bool renormalize, Stream stream);

struct GroupedTopkOptions {
    int k = 8;
    int num_groups = 8;  // divides E; at most 32; E / num_groups >= 2
    int topk_group = 4;  // groups kept, 1..num_groups, topk_group * E / num_groups >= k
    float routed_scaling_factor = 2.5f;
};

// DeepSeek-V3 routing: s = sigmoid(logits); selection on s + bias (bias [E]
// f32, or a TensorView with null data for none); groups of E / num_groups
// experts scored by the sum of their two largest biased scores; the
// topk_group best groups kept; the k largest biased scores inside them
// chosen (ties to the lower index); weights are the chosen unbiased s
// divided by their sum, times routed_scaling_factor.
PTXKIT_EXPORT void topk_grouped_sigmoid(const TensorView& logits, const TensorView& bias, const TensorView& weights,
                                        const TensorView& ids, const GroupedTopkOptions& options, Stream stream);

// ---- The expert-contiguous layout (align), and the row moves around the
// grouped GEMM (permute, combine). A pair is one (token, slot): pair index
// p = t * k + j, routed to expert ids[t, j].

// The layout align writes, all i32, contiguous, caller-allocated:
struct AlignOutputs {
    TensorView counts;          // [E]: pairs routed to each expert
    TensorView padded_offsets;  // [E + 1]: first row of each expert's segment, each segment padded to a
                                // multiple of block_m rows; [E] = total rows
    TensorView sorted_pairs;    // [capacity]: the pair at each row, in expert order and, inside an
                                // expert, ascending pair order; -1 on padding rows and rows >= total
    TensorView block_expert;    // [capacity / block_m]: the expert of each block_m-row block, -1 past the end
    TensorView inverse;         // [T, k]: the row of each pair, -1 for a dropped pair
    TensorView total_padded;    // [1]: total rows (= padded_offsets[E]), for consumers on the device
};

// Rows the layout may need: T*k + E*(block_m - 1). k in [1, 16], E in [1, 512],
// block_m a power of two in [16, 256], T*k <= 2^24.
PTXKIT_EXPORT std::int64_t align_capacity(std::int64_t tokens, int k, int num_experts, int block_m);
// Scratch bytes align needs (0 for T*k <= 4096: then the workspace may be null).
PTXKIT_EXPORT std::size_t align_workspace_size(std::int64_t tokens, int k, int num_experts);

// ids [T, k] i32 (contiguous) -> the layout above. An id outside [0, E) is a
// dropped pair: counted nowhere, placed nowhere, inverse -1 (the op cannot
// check device data; it skips such ids). Bitwise deterministic: the layout
// depends on the ids alone. One kernel launch for T*k <= 4096, two above; no
// host synchronisation, no allocation.
PTXKIT_EXPORT void align(const TensorView& ids, int num_experts, int block_m, const AlignOutputs& outputs,
                         void* workspace, std::size_t workspace_bytes, Stream stream);

// permuted[r] = hidden[sorted_pairs[r] / k] for the rows r < *total_padded (read
// on the device), a zero row where sorted_pairs[r] is -1; rows at and past
// *total_padded are not written. hidden [T, H] and permuted [capacity, H] in
// f32/bf16/f16 (the same), unit inner stride, any row stride >= H;
// sorted_pairs [capacity] and total_padded [1] i32 as align wrote them.
PTXKIT_EXPORT void permute(const TensorView& hidden, const TensorView& sorted_pairs, const TensorView& total_padded,
                           int k, const TensorView& permuted, Stream stream);

// out[t] = sum_j weights[t, j] * y[inverse[t, j]] (+ shared[t]), in fp32: a
// chain of fmas in slot order j = 0..k-1 from +0, then + shared, then rounded
// to nearest even; bitwise reproducible. Slots whose inverse is -1 (or outside
// [0, capacity)) contribute nothing. out [T, H] in f32/bf16/f16; y [capacity, H]
// in out's dtype or f32; shared [T, H] in out's dtype, or null data for none;
// weights [T, k] f32 and inverse [T, k] i32 contiguous; unit inner strides.
PTXKIT_EXPORT void combine(const TensorView& y, const TensorView& weights, const TensorView& inverse,
                           const TensorView& shared, const TensorView& out, Stream stream);

}  // namespace ptxkit::moe
