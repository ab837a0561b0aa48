// The float64 attention reference (tests/support/attention_reference.*)
// against cases whose answer is known in closed form, so that the GPU tests
// compare the kernels with something trustworthy: the bottom-right aligned
// mask, softmax weights, GQA head mapping, soft-capping, empty rows, and the
// paged-cache addressing the decode kernel uses.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "support/attention_reference.hpp"

namespace {

using ptxkit::testing::AttentionMaskSpec;
using ptxkit::testing::AttentionProblem;
using ptxkit::testing::attention_key_visible;
using ptxkit::testing::reference_attention;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

TEST(AttentionMask, CausalIsBottomRightAligned) {
    const AttentionMaskSpec causal{-1, 0};
    // seqlen_q 2, seqlen_k 5: query 0 is at key position 3, query 1 at 4.
    EXPECT_TRUE(attention_key_visible(0, 3, 2, 5, causal));
    EXPECT_FALSE(attention_key_visible(0, 4, 2, 5, causal));
    EXPECT_TRUE(attention_key_visible(1, 4, 2, 5, causal));
    EXPECT_TRUE(attention_key_visible(0, 0, 2, 5, causal));
    // seqlen_q 5 > seqlen_k 2: the first 3 queries see nothing.
    for (int j = 0; j < 2; ++j) EXPECT_FALSE(attention_key_visible(2, j, 5, 2, causal));
    EXPECT_TRUE(attention_key_visible(3, 0, 5, 2, causal));
    EXPECT_FALSE(attention_key_visible(3, 1, 5, 2, causal));
}

TEST(AttentionMask, SlidingWindow) {
    const AttentionMaskSpec window{2, 1};
    // seqlen_q = seqlen_k = 10: query 5 sees keys 3..6.
    for (int j = 0; j < 10; ++j) EXPECT_EQ(attention_key_visible(5, j, 10, 10, window), j >= 3 && j <= 6) << j;
    const AttentionMaskSpec none{-1, -1};
    for (int j = 0; j < 10; ++j) EXPECT_TRUE(attention_key_visible(0, j, 1, 10, none));
    EXPECT_FALSE(attention_key_visible(0, 10, 1, 10, none));
}

AttentionProblem random_problem(int hq, int hkv, int d, std::vector<std::int64_t> lq, std::vector<std::int64_t> lk,
                                std::uint64_t seed) {
    AttentionProblem p;
    p.heads_q = hq;
    p.heads_kv = hkv;
    p.head_dim = d;
    for (std::size_t b = 0; b < lq.size(); ++b) {
        p.cu_q.push_back(p.cu_q.back() + lq[b]);
        p.cu_k.push_back(p.cu_k.back() + lk[b]);
    }
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    p.q.resize(static_cast<std::size_t>(p.cu_q.back() * hq * d));
    p.k.resize(static_cast<std::size_t>(p.cu_k.back() * hkv * d));
    p.v.resize(p.k.size());
    for (auto* t : {&p.q, &p.k, &p.v}) {
        for (double& x : *t) x = dist(rng);
    }
    p.scale = 1.0 / std::sqrt(static_cast<double>(d));
    return p;
}

TEST(AttentionReference, ZeroQueryAveragesTheVisibleValues) {
    AttentionProblem p = random_problem(2, 1, 64, {3}, {7}, 1);
    for (double& x : p.q) x = 0.0;
    p.mask = {-1, 0};  // causal: query i sees keys 0 .. i + 4
    const auto r = reference_attention(p);
    for (int h = 0; h < 2; ++h) {
        for (int i = 0; i < 3; ++i) {
            const int visible = i + 5;
            EXPECT_NEAR(r.lse[static_cast<std::size_t>(h * 3 + i)], std::log(static_cast<double>(visible)), 1e-12);
            for (int e = 0; e < 64; ++e) {
                double mean = 0;
                for (int j = 0; j < visible; ++j) mean += p.v[static_cast<std::size_t>(j * 64 + e)];
                mean /= visible;
                EXPECT_NEAR(r.o[static_cast<std::size_t>((i * 2 + h) * 64 + e)], mean, 1e-12);
            }
        }
    }
}

TEST(AttentionReference, SingleVisibleKeyCopiesItsValue) {
    AttentionProblem p = random_problem(1, 1, 128, {4}, {4}, 2);
    p.mask = {0, 0};  // each query sees exactly its own position
    const auto r = reference_attention(p);
    for (int i = 0; i < 4; ++i) {
        for (int e = 0; e < 128; ++e) {
            EXPECT_NEAR(r.o[static_cast<std::size_t>(i * 128 + e)], p.v[static_cast<std::size_t>(i * 128 + e)], 1e-12);
        }
    }
}

TEST(AttentionReference, EmptyRowsGiveZeroAndMinusInfinity) {
    AttentionProblem p = random_problem(4, 2, 64, {3, 2, 0}, {0, 1, 5}, 3);
    p.mask = {-1, 0};
    const auto r = reference_attention(p);
    const std::int64_t total_q = 5;
    // Sequence 0: no keys. Sequence 1: 2 queries, 1 key: query 0 at position -1 sees nothing.
    for (int h = 0; h < 4; ++h) {
        for (int row : {0, 1, 2, 3}) {
            EXPECT_EQ(r.lse[static_cast<std::size_t>(h * total_q + row)], kNegInf) << "row " << row;
            for (int e = 0; e < 64; ++e) EXPECT_EQ(r.o[static_cast<std::size_t>((row * 4 + h) * 64 + e)], 0.0);
        }
        EXPECT_TRUE(std::isfinite(r.lse[static_cast<std::size_t>(h * total_q + 4)]));
    }
}

TEST(AttentionReference, GroupedQueryHeadsShareTheirKvHead) {
    // Hq 8, Hkv 2: heads 0..3 read KV head 0, 4..7 read KV head 1. With equal
    // queries in heads 0 and 3, their outputs are equal; heads 0 and 4 differ.
    AttentionProblem p = random_problem(8, 2, 64, {2}, {9}, 4);
    for (int i = 0; i < 2; ++i) {
        for (int e = 0; e < 64; ++e) {
            const double x = p.q[static_cast<std::size_t>((i * 8 + 0) * 64 + e)];
            p.q[static_cast<std::size_t>((i * 8 + 3) * 64 + e)] = x;
            p.q[static_cast<std::size_t>((i * 8 + 4) * 64 + e)] = x;
        }
    }
    const auto r = reference_attention(p);
    double diff_same = 0, diff_other = 0;
    for (int i = 0; i < 2; ++i) {
        for (int e = 0; e < 64; ++e) {
            const double o0 = r.o[static_cast<std::size_t>((i * 8 + 0) * 64 + e)];
            diff_same += std::abs(o0 - r.o[static_cast<std::size_t>((i * 8 + 3) * 64 + e)]);
            diff_other += std::abs(o0 - r.o[static_cast<std::size_t>((i * 8 + 4) * 64 + e)]);
        }
    }
    EXPECT_EQ(diff_same, 0.0);
    EXPECT_GT(diff_other, 1e-3);
}

TEST(AttentionReference, SoftcapBoundsTheLogits) {
    // With a cap c, every logit lies in (-c, c), so lse <= log(n) + c.
    AttentionProblem p = random_problem(1, 1, 64, {5}, {50}, 5);
    for (double& x : p.q) x *= 40.0;  // huge logits
    p.softcap = 2.0;
    const auto r = reference_attention(p);
    for (int i = 0; i < 5; ++i) {
        EXPECT_LT(r.lse[static_cast<std::size_t>(i)], std::log(50.0) + 2.0);
        EXPECT_GT(r.lse[static_cast<std::size_t>(i)], std::log(50.0) - 2.0);
    }
}

TEST(AttentionReference, LseMergesPartialResults) {
    // Attention over keys [0, n) equals the lse-weighted merge of attention
    // over [0, m) and [m, n): the identity split-KV decode relies on.
    AttentionProblem full = random_problem(2, 2, 64, {1}, {40}, 6);
    AttentionProblem left = full, right = full;
    left.cu_k = {0, 15};
    right.cu_k = {0, 25};
    left.k.assign(full.k.begin(), full.k.begin() + 15 * 2 * 64);
    left.v.assign(full.v.begin(), full.v.begin() + 15 * 2 * 64);
    right.k.assign(full.k.begin() + 15 * 2 * 64, full.k.end());
    right.v.assign(full.v.begin() + 15 * 2 * 64, full.v.end());
    const auto rf = reference_attention(full), rl = reference_attention(left), rr = reference_attention(right);
    for (int h = 0; h < 2; ++h) {
        const double l1 = rl.lse[static_cast<std::size_t>(h)], l2 = rr.lse[static_cast<std::size_t>(h)];
        const double m = std::max(l1, l2);
        const double lse = m + std::log(std::exp(l1 - m) + std::exp(l2 - m));
        EXPECT_NEAR(lse, rf.lse[static_cast<std::size_t>(h)], 1e-12);
        for (int e = 0; e < 64; ++e) {
            const std::size_t at = static_cast<std::size_t>(h * 64 + e);
            const double merged = std::exp(l1 - lse) * rl.o[at] + std::exp(l2 - lse) * rr.o[at];
            EXPECT_NEAR(merged, rf.o[at], 1e-12);
        }
    }
}

TEST(PagedAddressing, PositionsMapThroughThePageTable) {
    const std::vector<std::int32_t> row = {7, 2, 9, 0};
    EXPECT_EQ(ptxkit::testing::paged_location(row, 0, 16).page, 7);
    EXPECT_EQ(ptxkit::testing::paged_location(row, 15, 16).row, 15);
    EXPECT_EQ(ptxkit::testing::paged_location(row, 16, 16).page, 2);
    EXPECT_EQ(ptxkit::testing::paged_location(row, 16, 16).row, 0);
    EXPECT_EQ(ptxkit::testing::paged_location(row, 63, 16).page, 0);
    EXPECT_EQ(ptxkit::testing::paged_location(row, 63, 16).row, 15);
    EXPECT_EQ(ptxkit::testing::paged_location(row, 255, 256).page, 7);
    EXPECT_THROW(ptxkit::testing::paged_location(row, 64, 16), std::out_of_range);
}

}  // namespace
