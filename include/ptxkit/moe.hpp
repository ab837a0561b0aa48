// Mixture-of-experts routing: which experts each token goes to, with which weight.
#pragma once

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

}  // namespace ptxkit::moe
