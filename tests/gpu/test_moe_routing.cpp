// MoE routing kernels against the float64 references: ids exactly, weights to
// 2e-5 relative, on fresh random logits, on logits with exact ties, and on
// skewed routing; every expert count the issue names and every k.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
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
    Logits out;
    out.values.resize(n);
    if (dtype == DType::f32) {
        for (std::size_t i = 0; i < n; ++i) out.values[i] = f[i];
        out.device = DeviceBuffer::from(f);
    } else {
        std::vector<std::uint16_t> h(n);
        for (std::size_t i = 0; i < n; ++i) {
            h[i] = dtype == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(f[i]) : ptxkit::testing::f32_to_f16_rne(f[i]);
            out.values[i] = dtype == DType::bf16 ? ptxkit::testing::bf16_to_f32(h[i]) : ptxkit::testing::f16_to_f32(h[i]);
        }
        out.device = DeviceBuffer::from(h);
    }
    return out;
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

void run_softmax(std::int64_t tokens, int experts, int k, bool renorm, DType dtype, Pattern pattern,
                 std::uint64_t seed) {
    const Logits logits = make_logits(tokens, experts, dtype, pattern, seed);
    DeviceBuffer w(static_cast<std::size_t>(tokens) * k * 4), ids(static_cast<std::size_t>(tokens) * k * 4);
    w.fill(0xFF);  // NaN poison
    ids.fill(0xFF);
    ptxkit::moe::topk_softmax(TensorView::contiguous(logits.device.get(), dtype, {tokens, experts}),
                              TensorView::contiguous(w.get(), DType::f32, {tokens, k}),
                              TensorView::contiguous(ids.get(), DType::i32, {tokens, k}), k, renorm, nullptr);
    const auto ref = ptxkit::testing::topk_softmax_reference(logits.values, tokens, experts, k, renorm);
    const std::string what = "topk_softmax " + std::string(ptxkit::dtype_name(dtype)) + " T=" +
                             std::to_string(tokens) + " E=" + std::to_string(experts) + " k=" + std::to_string(k) +
                             (renorm ? " renorm" : "") + " seed=" + std::to_string(seed);
    compare(ref, w.to_host<float>(static_cast<std::size_t>(tokens) * k),
            ids.to_host<std::int32_t>(static_cast<std::size_t>(tokens) * k), tokens, experts, k, renorm ? 1.0 : 0.0,
            what);
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
    DeviceBuffer w(static_cast<std::size_t>(tokens) * k * 4), ids(static_cast<std::size_t>(tokens) * k * 4);
    w.fill(0xFF);
    ids.fill(0xFF);
    ptxkit::moe::GroupedTopkOptions o;
    o.k = k;
    o.num_groups = groups;
    o.topk_group = topk_group;
    o.routed_scaling_factor = 2.5f;
    ptxkit::moe::topk_grouped_sigmoid(
        TensorView::contiguous(logits.device.get(), dtype, {tokens, experts}),
        with_bias ? TensorView::contiguous(bias_dev.get(), DType::f32, {experts}) : TensorView{},
        TensorView::contiguous(w.get(), DType::f32, {tokens, k}),
        TensorView::contiguous(ids.get(), DType::i32, {tokens, k}), o, nullptr);
    const auto ref = ptxkit::testing::topk_grouped_sigmoid_reference(
        logits.values, with_bias ? &bias_d : nullptr, tokens, experts, k, groups, topk_group, 2.5);
    const std::string what = "grouped " + std::string(ptxkit::dtype_name(dtype)) + " T=" + std::to_string(tokens) +
                             " E=" + std::to_string(experts) + " k=" + std::to_string(k) + " groups=" +
                             std::to_string(topk_group) + "/" + std::to_string(groups) +
                             (with_bias ? " bias" : "") + " seed=" + std::to_string(seed);
    compare(ref, w.to_host<float>(static_cast<std::size_t>(tokens) * k),
            ids.to_host<std::int32_t>(static_cast<std::size_t>(tokens) * k), tokens, experts, k, 2.5, what);
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

TEST_F(MoeRouting, ZeroTokensLaunchNothing) {
    ptxkit::moe::topk_softmax(TensorView::contiguous(nullptr, DType::bf16, {0, 64}),
                              TensorView::contiguous(nullptr, DType::f32, {0, 4}),
                              TensorView::contiguous(nullptr, DType::i32, {0, 4}), 4, true, nullptr);
}

}  // namespace
