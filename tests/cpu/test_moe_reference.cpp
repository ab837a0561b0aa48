// The routing references on small cases worked out by hand from the definitions.
#include <gtest/gtest.h>

#include <cmath>

#include "support/moe_reference.hpp"

namespace {

using ptxkit::testing::topk_grouped_sigmoid_reference;
using ptxkit::testing::topk_softmax_reference;

TEST(MoeReference, SoftmaxTopkByHand) {
    const std::vector<double> logits = {1.0, 3.0, 2.0, 3.0};  // a tie between experts 1 and 3
    const auto r = topk_softmax_reference(logits, 1, 4, 2, false);
    EXPECT_EQ(r.ids, (std::vector<std::int32_t>{1, 3}));  // tie: lower index first
    const double z = std::exp(1.0) + 2 * std::exp(3.0) + std::exp(2.0);
    EXPECT_NEAR(r.weights[0], std::exp(3.0) / z, 1e-15);
    EXPECT_NEAR(r.weights[1], std::exp(3.0) / z, 1e-15);
    const auto n = topk_softmax_reference(logits, 1, 4, 2, true);
    EXPECT_NEAR(n.weights[0], 0.5, 1e-15);
    EXPECT_NEAR(n.weights[1], 0.5, 1e-15);
}

TEST(MoeReference, GroupedByHand) {
    // 8 experts in 4 groups of 2; keep 2 groups; choose 2 experts.
    // Sigmoids of the logits, plus a bias that favours expert 6 strongly.
    const std::vector<double> logits = {0.0, 0.0, 2.0, -2.0, 1.0, 1.0, -3.0, -3.0};
    const std::vector<double> bias = {0, 0, 0, 0, 0, 0, 1.0, 0};
    auto sig = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
    const auto r = topk_grouped_sigmoid_reference(logits, &bias, 1, 8, 2, 4, 2, 2.5);
    // Group scores: g0 = 1.0, g1 = s(2)+s(-2) = 1.0, g2 = 2 s(1) = 1.462, g3 = s(-3)+1+s(-3) = 1.095.
    // Kept: g2 and g3. Biased keys there: e4 = e5 = s(1) = 0.731, e6 = 1.047, e7 = 0.047.
    EXPECT_EQ(r.ids, (std::vector<std::int32_t>{6, 4}));  // e4 before e5: tie to the lower index
    const double sum = sig(-3.0) + sig(1.0);               // unbiased scores of 6 and 4
    EXPECT_NEAR(r.weights[0], sig(-3.0) / sum * 2.5, 1e-15);
    EXPECT_NEAR(r.weights[1], sig(1.0) / sum * 2.5, 1e-15);
    EXPECT_TRUE(r.robust[0]);
}

TEST(MoeReference, GroupTieGoesToLowerGroup) {
    // Groups 0 and 1 score the same; only one is kept.
    const std::vector<double> logits = {1.0, 1.0, 1.0, 1.0, -5.0, -5.0};
    const auto r = topk_grouped_sigmoid_reference(logits, nullptr, 1, 6, 2, 3, 1, 1.0);
    EXPECT_EQ(r.ids, (std::vector<std::int32_t>{0, 1}));
    EXPECT_TRUE(r.robust[0]) << "exact ties are well defined";
    EXPECT_NEAR(r.weights[0] + r.weights[1], 1.0, 1e-15);
}

TEST(MoeReference, NearTiesAreFlagged) {
    const std::vector<double> logits = {0.5, 0.5 + 1e-9, -1.0, -2.0};
    const auto r = topk_softmax_reference(logits, 1, 4, 1, false);
    EXPECT_EQ(r.ids[0], 1);
    const auto g = topk_grouped_sigmoid_reference(logits, nullptr, 1, 4, 1, 2, 1, 1.0);
    EXPECT_FALSE(g.robust[0]);
}

}  // namespace
