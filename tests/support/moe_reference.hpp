// CPU references of the MoE routing ops, written from their definitions in
// include/ptxkit/moe.hpp, in float64, with ties to the lower index.
#pragma once

#include <cstdint>
#include <vector>

namespace ptxkit::testing {

struct RoutingResult {
    std::vector<double> weights;  // [T, k]
    std::vector<std::int32_t> ids;  // [T, k]
    // Per token: false when two keys that decide the result (at the top-k or
    // kept-group boundary, or adjacent inside the top k) differ by less than
    // what float32 arithmetic can order reliably, without being equal. Such
    // tokens are only checked loosely.
    std::vector<bool> robust;
};

RoutingResult topk_softmax_reference(const std::vector<double>& logits, std::int64_t tokens, int experts, int k,
                                     bool renormalize);

RoutingResult topk_grouped_sigmoid_reference(const std::vector<double>& logits, const std::vector<double>* bias,
                                             std::int64_t tokens, int experts, int k, int num_groups,
                                             int topk_group, double routed_scaling_factor);


// The expert-contiguous layout of ptxkit::moe::align, from its definition:
// pairs p = t*k + j bucketed by expert in ascending p, each expert's segment
// padded to a multiple of block_m rows; ids outside [0, E) dropped.
struct AlignLayout {
    std::vector<std::int32_t> counts;          // [E]
    std::vector<std::int32_t> padded_offsets;  // [E + 1]
    std::vector<std::int32_t> sorted_pairs;    // [capacity], -1 where no pair
    std::vector<std::int32_t> block_expert;    // [capacity / block_m], -1 past the end
    std::vector<std::int32_t> inverse;         // [T * k], -1 for dropped pairs
    std::int32_t total_padded = 0;
};

AlignLayout align_reference(const std::vector<std::int32_t>& ids, std::int64_t tokens, int k, int experts,
                            int block_m);

// ptxkit::moe::permute on raw rows of `row_bytes` bytes (a pure copy): the
// first total_padded rows of the permuted tensor, densely packed.
std::vector<std::uint8_t> permute_reference(const std::vector<std::uint8_t>& hidden, std::int64_t tokens,
                                            std::size_t row_bytes, const std::vector<std::int32_t>& sorted_pairs,
                                            std::int32_t total_padded, int k);

// ptxkit::moe::combine in fp32 with the kernel's exact operations: acc = +0,
// acc = fma(weights[t, j], y[inverse[t, j]], acc) for j = 0..k-1 skipping rows
// outside [0, capacity), then acc + shared. y [capacity, hidden], shared
// [tokens, hidden] or null; the result [tokens, hidden] before rounding to the
// output dtype.
std::vector<float> combine_reference(const std::vector<float>& y, std::int64_t capacity, std::int64_t hidden,
                                     const std::vector<float>& weights, const std::vector<std::int32_t>& inverse,
                                     std::int64_t tokens, int k, const std::vector<float>* shared);

}  // namespace ptxkit::testing
