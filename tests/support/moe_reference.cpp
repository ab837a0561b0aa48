#include "support/moe_reference.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ptxkit::testing {
namespace {

// Relative gap below which float32 evaluation may order two keys either way.
constexpr double kOrderingEps = 1e-5;

// Indices of `keys` restricted to `eligible`, best first: larger key, then lower index.
std::vector<int> ranked(const std::vector<double>& keys, const std::vector<bool>& eligible) {
    std::vector<int> order;
    for (int i = 0; i < static_cast<int>(keys.size()); ++i) {
        if (eligible[i]) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return keys[a] > keys[b]; });
    return order;
}

// Adjacent keys among the first `count` + 1 of `order` are either equal or
// clearly apart.
bool clearly_ordered(const std::vector<double>& keys, const std::vector<int>& order, int count) {
    for (int i = 0; i + 1 < static_cast<int>(order.size()) && i < count; ++i) {
        const double a = keys[order[i]], b = keys[order[i + 1]];
        const double gap = a - b;
        if (gap != 0.0 && gap < kOrderingEps * (std::abs(a) + 1.0)) return false;
    }
    return true;
}

}  // namespace

RoutingResult topk_softmax_reference(const std::vector<double>& logits, std::int64_t tokens, int experts, int k,
                                     bool renormalize) {
    RoutingResult r;
    r.weights.resize(static_cast<std::size_t>(tokens * k));
    r.ids.resize(static_cast<std::size_t>(tokens * k));
    r.robust.assign(static_cast<std::size_t>(tokens), true);
    for (std::int64_t t = 0; t < tokens; ++t) {
        const double* x = logits.data() + t * experts;
        const double mx = *std::max_element(x, x + experts);
        std::vector<double> p(static_cast<std::size_t>(experts));
        double sum = 0;
        for (int e = 0; e < experts; ++e) sum += p[e] = std::exp(x[e] - mx);
        for (auto& v : p) v /= sum;
        // The probabilities order exactly like the logits (same float inputs on
        // both sides), so every token is robust.
        const auto order = ranked(p, std::vector<bool>(static_cast<std::size_t>(experts), true));
        double chosen = 0;
        for (int i = 0; i < k; ++i) chosen += p[order[i]];
        for (int i = 0; i < k; ++i) {
            r.ids[t * k + i] = order[i];
            r.weights[t * k + i] = renormalize ? p[order[i]] / chosen : p[order[i]];
        }
    }
    return r;
}

RoutingResult topk_grouped_sigmoid_reference(const std::vector<double>& logits, const std::vector<double>* bias,
                                             std::int64_t tokens, int experts, int k, int num_groups,
                                             int topk_group, double routed_scaling_factor) {
    RoutingResult r;
    r.weights.resize(static_cast<std::size_t>(tokens * k));
    r.ids.resize(static_cast<std::size_t>(tokens * k));
    r.robust.assign(static_cast<std::size_t>(tokens), true);
    const int group_size = experts / num_groups;
    for (std::int64_t t = 0; t < tokens; ++t) {
        const double* x = logits.data() + t * experts;
        std::vector<double> s(static_cast<std::size_t>(experts)), b(static_cast<std::size_t>(experts));
        for (int e = 0; e < experts; ++e) {
            s[e] = 1.0 / (1.0 + std::exp(-x[e]));
            b[e] = s[e] + (bias ? (*bias)[e] : 0.0);
        }
        std::vector<double> group_score(static_cast<std::size_t>(num_groups));
        for (int g = 0; g < num_groups; ++g) {
            std::vector<double> members(b.begin() + g * group_size, b.begin() + (g + 1) * group_size);
            std::partial_sort(members.begin(), members.begin() + 2, members.end(), std::greater<>());
            group_score[g] = members[0] + members[1];
        }
        const auto group_order = ranked(group_score, std::vector<bool>(static_cast<std::size_t>(num_groups), true));
        std::vector<bool> eligible(static_cast<std::size_t>(experts), false);
        for (int i = 0; i < topk_group; ++i) {
            for (int e = group_order[i] * group_size; e < (group_order[i] + 1) * group_size; ++e) eligible[e] = true;
        }
        const auto order = ranked(b, eligible);
        r.robust[t] = clearly_ordered(group_score, group_order, topk_group) && clearly_ordered(b, order, k);
        double chosen = 0;
        for (int i = 0; i < k; ++i) chosen += s[order[i]];
        for (int i = 0; i < k; ++i) {
            r.ids[t * k + i] = order[i];
            r.weights[t * k + i] = s[order[i]] / chosen * routed_scaling_factor;
        }
    }
    return r;
}

}  // namespace ptxkit::testing
