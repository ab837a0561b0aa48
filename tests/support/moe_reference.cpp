#include "support/moe_reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ptxkit::testing {
namespace {

// Relative gap below which float32 evaluation (expf, sums, a few roundings
// of ~6e-8 each) may order two keys either way: ten times that error.
constexpr double kOrderingEps = 2e-6;

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

// The contract of both routers: a NaN logit counts as -inf.
std::vector<double> without_nan(const double* x, int experts) {
    std::vector<double> out(x, x + experts);
    for (double& v : out) {
        if (std::isnan(v)) v = -std::numeric_limits<double>::infinity();
    }
    return out;
}

}  // namespace

RoutingResult topk_softmax_reference(const std::vector<double>& logits, std::int64_t tokens, int experts, int k,
                                     bool renormalize) {
    RoutingResult r;
    r.weights.resize(static_cast<std::size_t>(tokens * k));
    r.ids.resize(static_cast<std::size_t>(tokens * k));
    r.robust.assign(static_cast<std::size_t>(tokens), true);
    for (std::int64_t t = 0; t < tokens; ++t) {
        const std::vector<double> x = without_nan(logits.data() + t * experts, experts);
        const double mx = *std::max_element(x.begin(), x.end());
        std::vector<double> p(static_cast<std::size_t>(experts));
        double sum = 0;
        for (int e = 0; e < experts; ++e) {
            // An infinite maximum: the limit, the experts equal to it share
            // the probability (all of them when every logit is -inf).
            p[e] = std::isinf(mx) ? (x[e] == mx ? 1.0 : 0.0) : std::exp(x[e] - mx);
            sum += p[e];
        }
        for (auto& v : p) v /= sum;
        // The choice is on the logits (same float inputs on both sides, so every
        // token is robust), which order like the probabilities except where
        // probabilities tie at 0: beside a +inf logit, or below the maximum by
        // more than exp's range. Those still rank by logit.
        const auto order = ranked(x, std::vector<bool>(static_cast<std::size_t>(experts), true));
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
        const std::vector<double> x = without_nan(logits.data() + t * experts, experts);
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
        // Which groups are kept depends only on the pair at the boundary; the
        // chosen experts' order on every adjacent pair up to the k-th.
        const bool groups_clear =
            topk_group >= num_groups ||
            clearly_ordered(group_score, {group_order[topk_group - 1], group_order[topk_group]}, 1);
        r.robust[t] = groups_clear && clearly_ordered(b, order, k);
        double chosen = 0;
        for (int i = 0; i < k; ++i) chosen += s[order[i]];
        for (int i = 0; i < k; ++i) {
            r.ids[t * k + i] = order[i];
            // DeepSeek-V3's model code: topk_weight / (topk_weight.sum() + 1e-20).
            r.weights[t * k + i] = s[order[i]] / (chosen + 1e-20) * routed_scaling_factor;
        }
    }
    return r;
}

AlignLayout align_reference(const std::vector<std::int32_t>& ids, std::int64_t tokens, int k, int experts,
                            int block_m) {
    const std::int64_t pairs = tokens * k;
    const std::int64_t capacity = pairs + static_cast<std::int64_t>(experts) * (block_m - 1);
    AlignLayout r;
    r.counts.assign(static_cast<std::size_t>(experts), 0);
    r.padded_offsets.assign(static_cast<std::size_t>(experts) + 1, 0);
    r.sorted_pairs.assign(static_cast<std::size_t>(capacity), -1);
    r.block_expert.assign(static_cast<std::size_t>(capacity / block_m), -1);
    r.inverse.assign(static_cast<std::size_t>(pairs), -1);
    // Each expert's pairs in ascending pair order.
    std::vector<std::vector<std::int32_t>> bucket(static_cast<std::size_t>(experts));
    for (std::int64_t p = 0; p < pairs; ++p) {
        const std::int32_t e = ids[static_cast<std::size_t>(p)];
        if (e >= 0 && e < experts) bucket[static_cast<std::size_t>(e)].push_back(static_cast<std::int32_t>(p));
    }
    for (int e = 0; e < experts; ++e) {
        const auto n = static_cast<std::int32_t>(bucket[static_cast<std::size_t>(e)].size());
        r.counts[static_cast<std::size_t>(e)] = n;
        const std::int32_t padded = (n + block_m - 1) / block_m * block_m;
        r.padded_offsets[static_cast<std::size_t>(e) + 1] = r.padded_offsets[static_cast<std::size_t>(e)] + padded;
        std::int32_t row = r.padded_offsets[static_cast<std::size_t>(e)];
        for (const std::int32_t p : bucket[static_cast<std::size_t>(e)]) {
            r.sorted_pairs[static_cast<std::size_t>(row)] = p;
            r.inverse[static_cast<std::size_t>(p)] = row;
            ++row;
        }
        for (std::int32_t b = r.padded_offsets[static_cast<std::size_t>(e)];
             b < r.padded_offsets[static_cast<std::size_t>(e) + 1]; b += block_m) {
            r.block_expert[static_cast<std::size_t>(b / block_m)] = e;
        }
    }
    r.total_padded = r.padded_offsets[static_cast<std::size_t>(experts)];
    return r;
}

std::vector<std::uint8_t> permute_reference(const std::vector<std::uint8_t>& hidden, std::int64_t tokens,
                                            std::size_t row_bytes, const std::vector<std::int32_t>& sorted_pairs,
                                            std::int32_t total_padded, int k) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(total_padded) * row_bytes, 0);
    for (std::int32_t r = 0; r < total_padded; ++r) {
        const std::int32_t p = sorted_pairs[static_cast<std::size_t>(r)];
        if (p < 0 || p >= tokens * k) continue;  // padding: zeros
        std::copy_n(hidden.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p / k) * row_bytes),
                    row_bytes, out.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * row_bytes));
    }
    return out;
}

std::vector<float> combine_reference(const std::vector<float>& y, std::int64_t capacity, std::int64_t hidden,
                                     const std::vector<float>& weights, const std::vector<std::int32_t>& inverse,
                                     std::int64_t tokens, int k, const std::vector<float>* shared) {
    std::vector<float> out(static_cast<std::size_t>(tokens * hidden));
    for (std::int64_t t = 0; t < tokens; ++t) {
        for (std::int64_t c = 0; c < hidden; ++c) {
            float acc = 0.0f;
            for (int j = 0; j < k; ++j) {
                const std::int32_t row = inverse[static_cast<std::size_t>(t * k + j)];
                if (row < 0 || row >= capacity) continue;
                acc = std::fma(weights[static_cast<std::size_t>(t * k + j)],
                               y[static_cast<std::size_t>(row * hidden + c)], acc);
            }
            if (shared != nullptr) acc = acc + (*shared)[static_cast<std::size_t>(t * hidden + c)];
            out[static_cast<std::size_t>(t * hidden + c)] = acc;
        }
    }
    return out;
}

}  // namespace ptxkit::testing
