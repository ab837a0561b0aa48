// MoE routing kernels against the float64 references: ids exactly, weights to
// 2e-5 relative, on fresh random logits, on logits with exact ties, and on
// skewed routing; every expert count the issue names and every k.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/moe_reference.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;
using ptxkit::testing::RoutingResult;

enum class Pattern { random, ties, skewed };

// Logits as the device sees them (rounded to the dtype) and as doubles.
struct Logits {
    DeviceBuffer device;
    std::vector<double> values;
};

// Uploads `f` rounded to `dtype`; the doubles are what the device holds
// (infinities and NaN included).
Logits to_device(const std::vector<float>& f, DType dtype) {
    Logits out;
    out.values.assign(f.begin(), f.end());
    if (dtype == DType::f32) {
        out.device = DeviceBuffer::from(f);
        return out;
    }
    const bool bf = dtype == DType::bf16;
    std::vector<std::uint16_t> h(f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
        h[i] = bf ? ptxkit::testing::f32_to_bf16_rne(f[i]) : ptxkit::testing::f32_to_f16_rne(f[i]);
        out.values[i] = bf ? ptxkit::testing::bf16_to_f32(h[i]) : ptxkit::testing::f16_to_f32(h[i]);
    }
    out.device = DeviceBuffer::from(h);
    return out;
}

Logits make_logits(std::int64_t tokens, int experts, DType dtype, Pattern pattern, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::uniform_int_distribution<int> level(-8, 8);
    const std::size_t n = static_cast<std::size_t>(tokens) * experts;
    std::vector<float> f(n);
    for (std::size_t i = 0; i < n; ++i) {
        switch (pattern) {
            case Pattern::random: f[i] = normal(rng); break;
            case Pattern::ties: f[i] = 0.25f * static_cast<float>(level(rng)); break;  // many exact ties
            case Pattern::skewed: f[i] = (i % experts == 3 % experts) ? 12.0f : normal(rng) - 4.0f; break;
        }
    }
    return to_device(f, dtype);
}

// Compares one run; tokens the reference marks not robust only get the loose checks.
void compare(const RoutingResult& ref, const std::vector<float>& w, const std::vector<std::int32_t>& ids,
             std::int64_t tokens, int experts, int k, double weight_sum, const std::string& what) {
    std::int64_t loose = 0;
    for (std::int64_t t = 0; t < tokens; ++t) {
        std::set<int> distinct;
        double sum = 0;
        for (int i = 0; i < k; ++i) {
            const auto id = ids[t * k + i];
            ASSERT_GE(id, 0) << what << " token " << t;
            ASSERT_LT(id, experts) << what << " token " << t;
            distinct.insert(id);
            sum += w[t * k + i];
            ASSERT_FALSE(std::isnan(w[t * k + i])) << what << " token " << t;
        }
        ASSERT_EQ(static_cast<int>(distinct.size()), k) << what << " token " << t << ": repeated expert";
        if (weight_sum > 0) {
            ASSERT_NEAR(sum, weight_sum, 1e-4 * weight_sum) << what << " token " << t;
        }
        if (!ref.robust[t]) {
            ++loose;
            continue;
        }
        for (int i = 0; i < k; ++i) {
            ASSERT_EQ(ids[t * k + i], ref.ids[t * k + i]) << what << " token " << t << " slot " << i;
            const double want = ref.weights[t * k + i];
            ASSERT_NEAR(w[t * k + i], want, 2e-5 * std::abs(want) + 1e-30) << what << " token " << t << " slot " << i;
        }
    }
    EXPECT_LE(loose, tokens / 50 + 2) << what << ": too many near-ties for a meaningful check";
}

class MoeRouting : public ptxkit::testing::GpuTest {};

// One router call on poisoned outputs: the weights and ids it wrote.
struct Routed {
    std::vector<float> weights;
    std::vector<std::int32_t> ids;
};

template <class Call>
Routed route(std::int64_t tokens, int k, Call call) {
    DeviceBuffer w(static_cast<std::size_t>(tokens) * k * 4), ids(static_cast<std::size_t>(tokens) * k * 4);
    w.fill(0xFF);  // NaN poison
    ids.fill(0xFF);
    call(TensorView::contiguous(w.get(), DType::f32, {tokens, k}),
         TensorView::contiguous(ids.get(), DType::i32, {tokens, k}));
    return {w.to_host<float>(static_cast<std::size_t>(tokens) * k),
            ids.to_host<std::int32_t>(static_cast<std::size_t>(tokens) * k)};
}

Routed route_softmax(const Logits& logits, DType dtype, std::int64_t tokens, int experts, int k, bool renorm) {
    return route(tokens, k, [&](const TensorView& w, const TensorView& ids) {
        ptxkit::moe::topk_softmax(TensorView::contiguous(logits.device.get(), dtype, {tokens, experts}), w, ids, k,
                                  renorm, nullptr);
    });
}

Routed route_grouped(const Logits& logits, DType dtype, std::int64_t tokens, int experts, const DeviceBuffer* bias,
                     const ptxkit::moe::GroupedTopkOptions& o) {
    return route(tokens, o.k, [&](const TensorView& w, const TensorView& ids) {
        ptxkit::moe::topk_grouped_sigmoid(
            TensorView::contiguous(logits.device.get(), dtype, {tokens, experts}),
            bias ? TensorView::contiguous(bias->get(), DType::f32, {experts}) : TensorView{}, w, ids, o, nullptr);
    });
}

void run_softmax(std::int64_t tokens, int experts, int k, bool renorm, DType dtype, Pattern pattern,
                 std::uint64_t seed) {
    const Logits logits = make_logits(tokens, experts, dtype, pattern, seed);
    const Routed got = route_softmax(logits, dtype, tokens, experts, k, renorm);
    const auto ref = ptxkit::testing::topk_softmax_reference(logits.values, tokens, experts, k, renorm);
    const std::string what = "topk_softmax " + std::string(ptxkit::dtype_name(dtype)) + " T=" +
                             std::to_string(tokens) + " E=" + std::to_string(experts) + " k=" + std::to_string(k) +
                             (renorm ? " renorm" : "") + " seed=" + std::to_string(seed);
    compare(ref, got.weights, got.ids, tokens, experts, k, renorm ? 1.0 : 0.0, what);
}

const int kExpertCounts[] = {8, 60, 64, 128, 160, 256, 384, 512};

// Token counts on the software GPU (one warp per token, four per block):
// 255 -> 31 (still a partial last block), 4096 -> 256 (whole blocks),
// 65537 -> 1025 (one token past whole blocks, many blocks).
std::int64_t sim_tokens(std::int64_t t) {
    if (!ptxkit::testing::on_simulator()) return t;
    return t == 255 ? 31 : t == 4096 ? 256 : t == 65537 ? 1025 : t;
}

TEST_F(MoeRouting, SoftmaxEveryExpertCountAndK) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (int e : kExpertCounts) {
        for (int k = 1; k <= std::min(16, e); ++k) {
            run_softmax(sim_tokens(255), e, k, k % 2 == 0, DType::bf16, Pattern::random, seed + e * 100 + k);
        }
    }
}

TEST_F(MoeRouting, SoftmaxDtypesTiesAndSkew) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (DType d : {DType::f32, DType::f16, DType::bf16}) {
        for (int e : {8, 60, 128, 512}) {
            run_softmax(1, e, 2, true, d, Pattern::random, seed + 1);
            run_softmax(3, e, 8 > e ? e : 8, false, d, Pattern::ties, seed + 2);
            run_softmax(sim_tokens(4096), e, 2, true, d, Pattern::skewed, seed + 3);
        }
    }
    run_softmax(sim_tokens(65537), 8, 2, true, DType::bf16, Pattern::random, seed + 4);    // Mixtral
    run_softmax(sim_tokens(65537), 128, 8, true, DType::bf16, Pattern::random, seed + 5);  // Qwen3-MoE
}

void run_grouped(std::int64_t tokens, int experts, int k, int groups, int topk_group, bool with_bias, DType dtype,
                 Pattern pattern, std::uint64_t seed) {
    const Logits logits = make_logits(tokens, experts, dtype, pattern, seed);
    std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
    std::uniform_int_distribution<int> level(-16, 16);
    std::vector<float> bias(static_cast<std::size_t>(experts));
    for (auto& b : bias) b = pattern == Pattern::ties ? 0.0625f * static_cast<float>(level(rng)) : 0.01f * static_cast<float>(level(rng));
    std::vector<double> bias_d(bias.begin(), bias.end());
    DeviceBuffer bias_dev = DeviceBuffer::from(bias);
    ptxkit::moe::GroupedTopkOptions o;
    o.k = k;
    o.num_groups = groups;
    o.topk_group = topk_group;
    o.routed_scaling_factor = 2.5f;
    const Routed got = route_grouped(logits, dtype, tokens, experts, with_bias ? &bias_dev : nullptr, o);
    const auto ref = ptxkit::testing::topk_grouped_sigmoid_reference(
        logits.values, with_bias ? &bias_d : nullptr, tokens, experts, k, groups, topk_group, 2.5);
    const std::string what = "grouped " + std::string(ptxkit::dtype_name(dtype)) + " T=" + std::to_string(tokens) +
                             " E=" + std::to_string(experts) + " k=" + std::to_string(k) + " groups=" +
                             std::to_string(topk_group) + "/" + std::to_string(groups) +
                             (with_bias ? " bias" : "") + " seed=" + std::to_string(seed);
    compare(ref, got.weights, got.ids, tokens, experts, k, 2.5, what);
}

TEST_F(MoeRouting, GroupedDeepSeekV3) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (bool bias : {false, true}) {
        for (std::int64_t t : {1, 3, 255, 4096, 65537}) {
            run_grouped(sim_tokens(t), 256, 8, 8, 4, bias, DType::bf16, Pattern::random, seed + t);
        }
        run_grouped(sim_tokens(255), 256, 8, 8, 4, bias, DType::f32, Pattern::ties, seed + 7);
        run_grouped(sim_tokens(4096), 256, 8, 8, 4, bias, DType::f16, Pattern::skewed, seed + 8);
    }
}

TEST_F(MoeRouting, GroupedOtherShapes) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (int e : kExpertCounts) {
        for (int groups : {1, 2, 4, 8}) {
            if (e % groups != 0 || e / groups < 2) continue;
            const int topk_group = std::max(1, groups / 2);
            const int k = std::min({16, e, topk_group * (e / groups)});
            for (int kk : {1, k}) {
                run_grouped(sim_tokens(255), e, kk, groups, topk_group, true, DType::bf16, Pattern::random,
                            seed + e * 31 + groups * 7 + kk);
            }
        }
    }
}

// Rows with NaN and infinite logits (the contract in moe.hpp): NaN counts as
// -inf, an infinite maximum takes the softmax's limit, and the grouped
// weights' denominator is floored by 1e-20. Every lane must agree on the
// choice, and no weight may be NaN.
TEST_F(MoeRouting, SoftmaxNonFiniteLogits) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    constexpr float nan = std::numeric_limits<float>::quiet_NaN();
    const auto seed = ptxkit::testing::fresh_seed();
    for (auto [experts, dtype] : {std::pair{128, DType::f32}, std::pair{256, DType::bf16}, std::pair{60, DType::bf16},
                                  std::pair{64, DType::f16}}) {
        std::mt19937_64 rng(seed + static_cast<std::uint64_t>(experts));
        std::normal_distribution<float> normal(0.0f, 2.0f);
        const int rows = 8;
        std::vector<float> f(static_cast<std::size_t>(rows) * experts);
        for (auto& x : f) x = normal(rng);
        auto row = [&](int r) { return f.begin() + static_cast<std::ptrdiff_t>(r) * experts; };
        std::fill(row(0), row(1), -inf);                        // all -inf: uniform
        std::fill(row(1), row(2), nan);                         // all NaN: as all -inf
        row(2)[5] = inf;                                        // one +inf takes everything
        row(3)[7] = inf;                                        // two +inf share it
        row(3)[2] = inf;
        row(4)[9] = nan;                                        // NaN where the maximum would be
        row(4)[11] = nan;
        *std::max_element(row(4), row(5), [](float a, float b) { return a < b || std::isnan(a); }) = nan;
        row(5)[0] = row(5)[experts - 1] = -inf;                 // some -inf among finite values
        std::fill(row(6), row(7), -inf);                        // one finite value among -inf and NaN
        for (int e = 0; e < experts; e += 3) row(6)[e] = nan;
        row(6)[experts / 2 + 1] = -3.0f;
        row(7)[1] = -inf;                                       // -inf, NaN and +inf together
        row(7)[3] = nan;
        row(7)[experts - 2] = inf;
        const Logits logits = to_device(f, dtype);
        for (bool renorm : {false, true}) {
            const int k = 4;
            const Routed got = route_softmax(logits, dtype, rows, experts, k, renorm);
            const auto ref = ptxkit::testing::topk_softmax_reference(logits.values, rows, experts, k, renorm);
            const auto& got_ids = got.ids;
            const auto& got_w = got.weights;
            compare(ref, got_w, got_ids, rows, experts, k, renorm ? 1.0 : 0.0,
                    "non-finite softmax E=" + std::to_string(experts) + " " + ptxkit::dtype_name(dtype) +
                        (renorm ? " renorm" : ""));
            for (int i = 0; i < k; ++i) {
                EXPECT_EQ(got_ids[i], i) << "an all -inf row takes experts 0..k-1";
                EXPECT_FLOAT_EQ(got_w[i], renorm ? 1.0f / k : 1.0f / static_cast<float>(experts));
            }
            EXPECT_EQ(got_ids[2 * k], 5);
            EXPECT_EQ(got_w[2 * k], 1.0f);
            EXPECT_EQ(got_ids[3 * k], 2);
            EXPECT_EQ(got_ids[3 * k + 1], 7);
            EXPECT_EQ(got_w[3 * k], 0.5f);
            EXPECT_EQ(got_ids[6 * k], experts / 2 + 1);
            EXPECT_EQ(got_w[6 * k], 1.0f);
        }
    }
}

TEST_F(MoeRouting, GroupedNonFiniteAndUnderflowingLogits) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    constexpr float nan = std::numeric_limits<float>::quiet_NaN();
    const auto seed = ptxkit::testing::fresh_seed();
    const int experts = 256, k = 8, groups = 8, topk_group = 4, rows = 6;
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::uniform_int_distribution<int> level(-64, 64);
    std::vector<float> f(static_cast<std::size_t>(rows) * experts);
    for (auto& x : f) x = normal(rng);
    auto row = [&](int r) { return f.begin() + static_cast<std::ptrdiff_t>(r) * experts; };
    std::fill(row(0), row(1), -inf);   // s = 0 everywhere: the bias decides, weights 0
    std::fill(row(1), row(2), nan);    // as -inf
    std::fill(row(2), row(3), -100.0f);  // s underflows to 0 in f32 (not in float64)
    for (int e = 0; e < experts; e += 37) row(3)[e] = inf;  // s = 1
    for (int e = 1; e < experts; e += 5) row(4)[e] = nan;
    for (int e = 0; e < experts; e += 2) row(5)[e] = -inf;
    std::vector<float> bias(static_cast<std::size_t>(experts));
    for (auto& b : bias) b = 0.001f * static_cast<float>(level(rng));
    std::vector<double> bias_d(bias.begin(), bias.end());
    DeviceBuffer bias_dev = DeviceBuffer::from(bias);
    for (DType dtype : {DType::f32, DType::bf16}) {
        const Logits logits = to_device(f, dtype);
        ptxkit::moe::GroupedTopkOptions o;
        o.k = k;
        o.num_groups = groups;
        o.topk_group = topk_group;
        const Routed got = route_grouped(logits, dtype, rows, experts, &bias_dev, o);
        auto ref = ptxkit::testing::topk_grouped_sigmoid_reference(logits.values, &bias_d, rows, experts, k, groups,
                                                                   topk_group, 2.5);
        const auto& got_ids = got.ids;
        const auto& got_w = got.weights;
        // Row 2's weights are 0 in f32 and ~1e-19 in float64: checked below.
        ref.robust[2] = false;
        compare(ref, got_w, got_ids, rows, experts, k, 0.0,
                std::string("non-finite grouped ") + ptxkit::dtype_name(dtype));
        for (int i = 0; i < k; ++i) {
            EXPECT_EQ(got_ids[2 * k + i], ref.ids[2 * k + i]) << "slot " << i;
            EXPECT_TRUE(std::isfinite(got_w[2 * k + i]));
            EXPECT_LE(std::abs(got_w[2 * k + i]), 1e-6f);
            EXPECT_EQ(got_w[i], 0.0f) << "all -inf: weights 0";
            EXPECT_EQ(got_ids[i], got_ids[k + i]) << "NaN counts as -inf";
        }
    }
}

TEST_F(MoeRouting, ZeroTokensLaunchNothing) {
    ptxkit::moe::topk_softmax(TensorView::contiguous(nullptr, DType::bf16, {0, 64}),
                              TensorView::contiguous(nullptr, DType::f32, {0, 4}),
                              TensorView::contiguous(nullptr, DType::i32, {0, 4}), 4, true, nullptr);
}

}  // namespace
