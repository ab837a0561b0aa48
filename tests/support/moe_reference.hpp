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

}  // namespace ptxkit::testing
