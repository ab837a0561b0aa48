// Decode attention on the host: the split-KV heuristic (plan_decode) on model
// devices. The plan must cover max_seq_len with whole key blocks, size the
// workspace exactly as the kernels carve it, shrink to the workspace offered,
// honour forced counts within what length and workspace allow, and depend on
// its arguments alone (a captured CUDA graph replays it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/attention_internal.hpp"

namespace {

using ptxkit::detail::attention::DecodePlan;
using ptxkit::detail::attention::plan_decode;

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();
constexpr int kMaxSplits = 128;
// The most dynamic shared memory a block may have on every sm_80+ device (sm_86 / sm_89: 99 KiB).
constexpr unsigned kSmallestOptin = 99 * 1024;

ptxkit::DeviceProperties h100() {
    ptxkit::DeviceProperties d;
    d.name = "model H100 SXM";
    d.cc_major = 9;
    d.sm_count = 132;
    d.l2_bytes = 50 << 20;
    d.shared_memory_per_block_optin = 227 * 1024;
    d.shared_memory_per_sm = 228 * 1024;
    d.max_threads_per_sm = 2048;
    d.registers_per_sm = 65536;
    return d;
}

ptxkit::DeviceProperties a100() {
    ptxkit::DeviceProperties d = h100();
    d.name = "model A100";
    d.cc_major = 8;
    d.sm_count = 108;
    d.shared_memory_per_block_optin = 163 * 1024;
    d.shared_memory_per_sm = 164 * 1024;
    return d;
}

ptxkit::DeviceProperties rtx4090() {
    ptxkit::DeviceProperties d = h100();
    d.name = "model RTX 4090";
    d.cc_major = 8;
    d.cc_minor = 9;
    d.sm_count = 128;
    d.shared_memory_per_block_optin = 99 * 1024;
    d.shared_memory_per_sm = 100 * 1024;
    d.max_threads_per_sm = 1536;
    return d;
}

// What a device that reported nothing useful looks like.
ptxkit::DeviceProperties blank() { return ptxkit::DeviceProperties{}; }

struct Shape {
    std::int64_t batch, q_len, heads_q, heads_kv, head_dim, max_seq_len;

    std::int64_t rows() const { return q_len * (heads_q / heads_kv); }
    std::int64_t rows_all() const { return batch * q_len * heads_q; }
    std::string name() const {
        return "B=" + std::to_string(batch) + " q_len=" + std::to_string(q_len) + " Hq=" + std::to_string(heads_q) +
               " Hkv=" + std::to_string(heads_kv) + " D=" + std::to_string(head_dim) +
               " max_seq_len=" + std::to_string(max_seq_len);
    }
};

DecodePlan plan_for(const Shape& s, std::size_t workspace, int forced, const ptxkit::DeviceProperties& device,
                    std::int64_t window_left = -1) {
    return plan_decode(s.batch, s.q_len, s.heads_q, s.heads_kv, s.head_dim, s.max_seq_len, window_left, workspace,
                       forced, device);
}

std::size_t workspace_formula(int splits, const Shape& s) {
    if (splits <= 1) return 0;
    return static_cast<std::size_t>(splits) * static_cast<std::size_t>(s.rows_all()) *
           static_cast<std::size_t>(s.head_dim + 1) * 4;
}

std::vector<Shape> shapes() {
    std::vector<Shape> out;
    for (std::int64_t batch : {1, 3, 16, 256}) {
        for (std::int64_t q_len : {1, 2, 8}) {
            for (auto heads : {std::pair<std::int64_t, std::int64_t>{8, 8}, {32, 8}, {8, 2}, {32, 1}, {64, 4}}) {
                for (std::int64_t d : {64, 128, 256}) {
                    for (std::int64_t len : {0, 1, 63, 300, 4096, 32768, 131072}) {
                        out.push_back({batch, q_len, heads.first, heads.second, d, len});
                    }
                }
            }
        }
    }
    return out;
}

std::vector<ptxkit::DeviceProperties> devices() { return {h100(), a100(), rtx4090(), blank()}; }

// Everything a plan must satisfy whatever the heuristic chose. The splits
// divide `keys` keys (default max_seq_len; fewer with a sliding window). A
// forced count may keep trailing splits that start past them; the heuristic
// never plans one.
void expect_well_formed(const DecodePlan& plan, const Shape& s, std::size_t offered, bool forced = false,
                        std::int64_t keys = -1) {
    if (keys < 0) keys = s.max_seq_len;
    SCOPED_TRACE(s.name() + " offered=" + std::to_string(offered));
    ASSERT_GE(plan.splits, 1);
    ASSERT_LE(plan.splits, kMaxSplits);
    EXPECT_EQ(plan.public_plan.splits, plan.splits);
    EXPECT_EQ(plan.public_plan.path, ptxkit::AttentionPath::sm80);

    // Whole key blocks of the kernel, covering the keys.
    const int block_n = plan.public_plan.block_n;
    ASSERT_TRUE(block_n == 32 || block_n == 64) << block_n;
    EXPECT_EQ(block_n, s.head_dim == 64 ? 64 : 32);
    ASSERT_GT(plan.keys_per_split, 0);
    EXPECT_EQ(plan.keys_per_split % block_n, 0);
    EXPECT_GE(static_cast<std::int64_t>(plan.splits) * plan.keys_per_split, keys);
    if (plan.splits > 1 && !forced) {
        EXPECT_LT(static_cast<std::int64_t>(plan.splits - 1) * plan.keys_per_split, keys);
    }
    if (forced) {  // every split holds at least one key block of some sequence at full length
        const std::int64_t blocks = (keys + block_n - 1) / block_n;
        EXPECT_LE(static_cast<std::int64_t>(plan.splits), std::max<std::int64_t>(blocks, 1));
    }

    // Workspace: exactly what the kernels carve, none without a split, never more than offered.
    EXPECT_EQ(plan.workspace_bytes, workspace_formula(plan.splits, s));
    EXPECT_LE(plan.workspace_bytes, offered);
    if (plan.splits == 1) {
        EXPECT_EQ(plan.workspace_bytes, 0u);
    }

    // Rows per CTA: the smallest configuration that holds a KV head's rows, chunks of 64 beyond.
    const int block_m = plan.public_plan.block_m;
    ASSERT_TRUE(block_m == 16 || block_m == 32 || block_m == 64) << block_m;
    const std::int64_t rows = s.rows();
    if (rows <= 64) {
        EXPECT_GE(block_m, rows);
        EXPECT_TRUE(block_m == 16 || block_m / 2 < rows) << "rows " << rows << " in a CTA of " << block_m;
    } else {
        EXPECT_EQ(block_m, 64);
    }
    const std::int64_t chunks = (rows + block_m - 1) / block_m;
    EXPECT_EQ(plan.public_plan.tiles, s.batch * s.heads_kv * chunks);
    EXPECT_EQ(static_cast<std::int64_t>(plan.public_plan.grid), plan.public_plan.tiles * plan.splits);

    const std::string kernel = plan.public_plan.kernel;
    EXPECT_EQ(kernel, "ptxkit_attention_decode_d" + std::to_string(s.head_dim) + "_r" + std::to_string(block_m));
    EXPECT_NE(std::string(plan.public_plan.config), "");
    EXPECT_TRUE(plan.block_threads == 64 || plan.block_threads == 128) << plan.block_threads;
    EXPECT_GT(plan.dynamic_shared_bytes, 0u);
    EXPECT_LE(plan.dynamic_shared_bytes, kSmallestOptin);
}

TEST(AttentionDecodePlan, WellFormedForEveryShapeDeviceAndWorkspace) {
    for (const auto& device : devices()) {
        for (const Shape& s : shapes()) {
            for (std::size_t offered : {kUnlimited, std::size_t{0}, std::size_t{1} << 20, std::size_t{123457}}) {
                expect_well_formed(plan_for(s, offered, 0, device), s, offered);
            }
        }
    }
}

// A sliding window: the splits divide only the keys the window reaches
// (q_len + window_left, plus up to a block of alignment), never more splits
// than without the window, so the window-blind workspace query always
// covers it.
TEST(AttentionDecodePlan, SlidingWindowSplitsOnlyTheKeysItReaches) {
    for (const auto& device : devices()) {
        for (const Shape& s : shapes()) {
            for (std::int64_t window : {0, 1, 100, 1000, 4095, 1 << 20}) {
                const DecodePlan blind = plan_for(s, kUnlimited, 0, device);
                const DecodePlan plan = plan_for(s, kUnlimited, 0, device, window);
                // The first query's window starts up to a block after the
                // block boundary the kernel rounds it down to.
                const std::int64_t reach = std::min(s.max_seq_len, s.q_len + window + plan.public_plan.block_n - 1);
                SCOPED_TRACE("window " + std::to_string(window));
                expect_well_formed(plan, s, kUnlimited, false, reach);
                EXPECT_LE(plan.splits, blind.splits) << s.name();
                EXPECT_LE(plan.workspace_bytes, blind.workspace_bytes) << s.name();
                if (window >= s.max_seq_len) {
                    EXPECT_EQ(plan.splits, blind.splits) << s.name();
                }
            }
        }
    }
    // Llama-style long context with a 4k window (Mistral): one sequence of
    // 128k keys, where the window-blind plan spreads 128 splits over keys
    // the window never reads.
    const Shape mistral{1, 1, 32, 8, 128, 131072};
    const DecodePlan windowed = plan_for(mistral, kUnlimited, 0, h100(), 4096);
    const DecodePlan blind = plan_for(mistral, kUnlimited, 0, h100());
    EXPECT_GT(windowed.splits, 1);
    EXPECT_LT(static_cast<std::int64_t>(windowed.splits - 1) * windowed.keys_per_split, 1 + 4096 + 31);
    // The window-blind plan's splits that hold any key the window reaches,
    // against the windowed plan's (all of them).
    const std::int64_t first = 131072 - 1 - 4096;
    const std::int64_t blind_useful = blind.splits - first / blind.keys_per_split;
    EXPECT_GE(windowed.splits, 4 * blind_useful) << "blind " << blind.splits << " splits of " << blind.keys_per_split;
}

TEST(AttentionDecodePlan, SplitsLongSequencesWhenTheBatchLeavesSmsIdle) {
    for (const auto& device : {h100(), a100(), rtx4090()}) {
        // 1 sequence x 8 KV heads: 8 CTAs without splitting.
        const Shape s{1, 1, 32, 8, 128, 32768};
        const DecodePlan plan = plan_for(s, kUnlimited, 0, device);
        EXPECT_GT(plan.splits, 1) << device.name;
        // About two CTAs per SM or more (rounding to whole blocks may drop a split).
        EXPECT_GE(static_cast<std::int64_t>(plan.public_plan.grid) * 10, 18 * device.sm_count) << device.name;
        // Each split a few key blocks at least.
        EXPECT_GE(plan.keys_per_split, 4 * plan.public_plan.block_n) << device.name;
    }
    // The test suite's own split case: 4 sequences x 2 KV heads, 5000 keys.
    EXPECT_GT(plan_for({4, 1, 8, 2, 128, 5000}, kUnlimited, 0, h100()).splits, 1);
    // Very long single-head sequences stop at the cap.
    EXPECT_EQ(plan_for({1, 1, 1, 1, 128, 1 << 20}, kUnlimited, 0, h100()).splits, kMaxSplits);
}

TEST(AttentionDecodePlan, NoSplitWhenTheBatchFillsTheGpuOrSequencesAreShort) {
    const DecodePlan full = plan_for({256, 1, 32, 8, 128, 8192}, kUnlimited, 0, h100());
    EXPECT_EQ(full.splits, 1);
    EXPECT_EQ(full.workspace_bytes, 0u);
    // 300 keys: splitting them would write and re-read more than it saves.
    EXPECT_EQ(plan_for({1, 1, 8, 8, 128, 300}, kUnlimited, 0, h100()).splits, 1);
    // Heuristic splits hold at least 256 keys (and 8 per query row).
    for (const Shape& s : shapes()) {
        const DecodePlan plan = plan_for(s, kUnlimited, 0, h100());
        if (plan.splits > 1) {
            EXPECT_GE(plan.keys_per_split, 256) << s.name();
            EXPECT_GE(plan.keys_per_split, 8 * std::min<std::int64_t>(s.rows(), plan.public_plan.block_m))
                << s.name();
        }
    }
}

TEST(AttentionDecodePlan, EmptyLengthsAndBatches) {
    const DecodePlan none = plan_for({4, 2, 8, 2, 128, 0}, kUnlimited, 0, h100());
    EXPECT_EQ(none.splits, 1);
    EXPECT_EQ(none.keys_per_split, none.public_plan.block_n);
    EXPECT_EQ(none.workspace_bytes, 0u);
    EXPECT_EQ(static_cast<std::int64_t>(none.public_plan.grid), none.public_plan.tiles);
    const DecodePlan forced = plan_for({4, 2, 8, 2, 128, 0}, kUnlimited, 16, h100());
    EXPECT_EQ(forced.splits, 1);
    const DecodePlan empty_batch = plan_for({0, 1, 8, 2, 128, 4096}, kUnlimited, 0, h100());
    EXPECT_EQ(empty_batch.public_plan.grid, 0u);
    EXPECT_EQ(empty_batch.workspace_bytes, 0u);
}

TEST(AttentionDecodePlan, WorkspaceGrowsWithTheSplitCount) {
    for (const Shape& s :
         {Shape{1, 1, 32, 8, 128, 65536}, Shape{2, 8, 32, 1, 256, 20000}, Shape{3, 2, 8, 8, 64, 9999}}) {
        int last_splits = 0;
        std::size_t last_bytes = 0;
        for (int forced = 1; forced <= kMaxSplits + 8; ++forced) {
            const DecodePlan plan = plan_for(s, kUnlimited, forced, h100());
            expect_well_formed(plan, s, kUnlimited, true);
            EXPECT_GE(plan.splits, last_splits) << s.name() << " forced " << forced;
            EXPECT_GE(plan.workspace_bytes, last_bytes) << s.name() << " forced " << forced;
            if (plan.splits > last_splits && last_splits > 0) {
                EXPECT_GT(plan.workspace_bytes, last_bytes) << s.name() << " forced " << forced;
            }
            last_splits = plan.splits;
            last_bytes = plan.workspace_bytes;
        }
    }
}

TEST(AttentionDecodePlan, FewerSplitsWhenTheWorkspaceIsShort) {
    for (const auto& device : {h100(), a100()}) {
        const Shape s{2, 1, 32, 8, 128, 32768};
        const DecodePlan full = plan_for(s, kUnlimited, 0, device);
        ASSERT_GT(full.splits, 2);
        // Exactly what it asked for: the same plan.
        const DecodePlan exact = plan_for(s, full.workspace_bytes, 0, device);
        EXPECT_EQ(exact.splits, full.splits);
        EXPECT_EQ(exact.keys_per_split, full.keys_per_split);
        // One byte short: fewer splits, within the offer.
        const DecodePlan short_by_one = plan_for(s, full.workspace_bytes - 1, 0, device);
        EXPECT_LT(short_by_one.splits, full.splits);
        EXPECT_LE(short_by_one.workspace_bytes, full.workspace_bytes - 1);
        // Half: about half the splits, never more than offered.
        const DecodePlan half = plan_for(s, full.workspace_bytes / 2, 0, device);
        EXPECT_LT(half.splits, full.splits);
        EXPECT_GT(half.splits, 1);
        EXPECT_LE(half.workspace_bytes, full.workspace_bytes / 2);
        // Less than two splits' worth, or none: no split.
        EXPECT_EQ(plan_for(s, workspace_formula(2, s) - 1, 0, device).splits, 1);
        const DecodePlan none = plan_for(s, 0, 0, device);
        EXPECT_EQ(none.splits, 1);
        EXPECT_EQ(none.workspace_bytes, 0u);
        EXPECT_GE(none.keys_per_split, s.max_seq_len);
        // The split count never rises as the offer shrinks.
        int last = full.splits;
        for (std::size_t offer = full.workspace_bytes; offer > 0; offer = offer * 7 / 8) {
            const DecodePlan plan = plan_for(s, offer, 0, device);
            expect_well_formed(plan, s, offer);
            EXPECT_LE(plan.splits, last) << offer;
            last = plan.splits;
        }
    }
}

TEST(AttentionDecodePlan, ForcedSplitsHonouredWithinLengthAndWorkspace) {
    const Shape s{4, 1, 8, 2, 128, 5000};  // 157 key blocks of 32
    for (int forced : {1, 2, 3, 7, 37, 64, 128, 157}) {
        // Exactly the count asked for, even where whole blocks leave the last
        // splits empty (37: 5 blocks each, splits 32..36 start past 5000).
        const DecodePlan plan = plan_for(s, kUnlimited, forced, h100());
        EXPECT_EQ(plan.splits, std::min(forced, kMaxSplits)) << forced;
        EXPECT_EQ(plan.keys_per_split, (157 + plan.splits - 1) / plan.splits * 32) << forced;
        expect_well_formed(plan, s, kUnlimited, true);
    }
    // Heuristic decisions do not override a forced count, whatever the device.
    EXPECT_EQ(plan_for({256, 1, 32, 8, 128, 8192}, kUnlimited, 5, h100()).splits, 5);
    EXPECT_EQ(plan_for(s, kUnlimited, 3, blank()).splits, 3);
    // Clamped to the cap, to one block per split, and to the workspace.
    EXPECT_EQ(plan_for({1, 1, 8, 8, 128, 1 << 20}, kUnlimited, 1000, h100()).splits, kMaxSplits);
    EXPECT_EQ(plan_for({1, 1, 8, 8, 128, 100}, kUnlimited, 37, h100()).splits, 4);  // 100 keys: 4 blocks of 32
    EXPECT_EQ(plan_for({1, 1, 8, 8, 64, 100}, kUnlimited, 37, h100()).splits, 2);   // 2 blocks of 64
    EXPECT_EQ(plan_for(s, 0, 37, h100()).splits, 1);
    const DecodePlan limited = plan_for(s, workspace_formula(10, s), 37, h100());
    EXPECT_EQ(limited.splits, 10);
    EXPECT_EQ(limited.workspace_bytes, workspace_formula(10, s));
    EXPECT_EQ(plan_for(s, workspace_formula(10, s) - 1, 37, h100()).splits, 9);
}

TEST(AttentionDecodePlan, DependsOnlyOnItsArguments) {
    // Graph capture replays a plan made once: the same arguments must give
    // the same plan, whatever was planned in between.
    const Shape a{8, 2, 32, 8, 128, 16384};
    const Shape b{1, 8, 32, 1, 256, 100000};
    const DecodePlan first = plan_for(a, kUnlimited, 0, h100());
    (void)plan_for(b, 12345, 0, a100());
    (void)plan_for(b, kUnlimited, 77, rtx4090());
    const DecodePlan again = plan_for(a, kUnlimited, 0, h100());
    EXPECT_EQ(first.splits, again.splits);
    EXPECT_EQ(first.keys_per_split, again.keys_per_split);
    EXPECT_EQ(first.workspace_bytes, again.workspace_bytes);
    EXPECT_EQ(first.block_threads, again.block_threads);
    EXPECT_EQ(first.dynamic_shared_bytes, again.dynamic_shared_bytes);
    EXPECT_EQ(first.public_plan.grid, again.public_plan.grid);
    EXPECT_EQ(first.public_plan.tiles, again.public_plan.tiles);
    EXPECT_EQ(std::string(first.public_plan.kernel), std::string(again.public_plan.kernel));
    EXPECT_EQ(std::string(first.public_plan.config), std::string(again.public_plan.config));
    // The workspace query (unlimited offer) and a call given exactly that
    // much plan the same split.
    const DecodePlan sized = plan_for(a, first.workspace_bytes, 0, h100());
    EXPECT_EQ(sized.splits, first.splits);
    EXPECT_EQ(sized.keys_per_split, first.keys_per_split);
    EXPECT_EQ(sized.public_plan.grid, first.public_plan.grid);
    // A larger offer than needed changes nothing either.
    EXPECT_EQ(plan_for(a, first.workspace_bytes + 4096, 0, h100()).splits, first.splits);
}

TEST(AttentionDecodePlan, GqaRowsStayInOneCtaAndMqaIsChunked) {
    // 8 query heads per KV head x q_len 2 = 16 rows: one r16 CTA per KV head.
    const DecodePlan gqa = plan_for({2, 2, 32, 4, 128, 2048}, kUnlimited, 1, h100());
    EXPECT_EQ(gqa.public_plan.block_m, 16);
    EXPECT_EQ(gqa.public_plan.tiles, 2 * 4);
    // 4 x 5 = 20 rows: r32.
    EXPECT_EQ(plan_for({1, 5, 16, 4, 64, 2048}, kUnlimited, 1, h100()).public_plan.block_m, 32);
    // MQA 32/1 with q_len 8: 256 rows in 4 chunks of 64.
    const DecodePlan mqa = plan_for({3, 8, 32, 1, 128, 4096}, kUnlimited, 1, h100());
    EXPECT_EQ(mqa.public_plan.block_m, 64);
    EXPECT_EQ(mqa.public_plan.tiles, 3 * 4);
    EXPECT_EQ(std::string(mqa.public_plan.kernel), "ptxkit_attention_decode_d128_r64");
    // Single rows (MHA, q_len 1) use the smallest configuration.
    EXPECT_EQ(plan_for({1, 1, 32, 32, 256, 4096}, kUnlimited, 0, h100()).public_plan.block_m, 16);
}

}  // namespace
