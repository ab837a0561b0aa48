// The grouped expert GEMM and the fused MoE layer on the host: the tile walk
// both kernel families share (every tile that exists visited exactly once,
// for random layouts), the SwiGLU row layout of the sm80 mainloop, the
// planners on model devices, the fused layer's workspace sizes, and the
// argument checks of every entry point (C++ and C), which run before any
// driver call.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gemm/glu_layout.h"
#include "moe/grouped_tiles.h"
#include "ops/moe_grouped_gemm_internal.hpp"
#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"
#include "runtime/embedded_module.hpp"
#include "support/expect_error.hpp"
#include "support/moe_reference.hpp"

namespace {

using ptxkit::DType;
using ptxkit::GemmPath;
using ptxkit::TensorView;
using ptxkit::detail::moe_gemm::GroupedPlan;
using ptxkit::detail::moe_gemm::GroupedProblem;
using ptxkit::moe::GroupedEpilogue;
using ptxkit::moe::GroupedGemmOptions;

// ---- the tile walk (moe/grouped_tiles.h) ----

// Every CTA of a persistent grid walks its items; each (batch, row, column
// block) that must be written is covered exactly once, by a tile of the
// right expert, and nothing else is.
TEST(GroupedTileWalk, ContiguousCoversEveryRowOfEveryExpertOnce) {
    std::mt19937_64 rng(11);
    for (int trial = 0; trial < 60; ++trial) {
        const int experts = std::uniform_int_distribution<int>(1, 300)(rng);
        const int k = std::uniform_int_distribution<int>(1, std::min(8, experts))(rng);
        const std::int64_t tokens = std::uniform_int_distribution<int>(0, 700)(rng);
        const int tile_m = trial % 2 == 0 ? 128 : 64;
        const int block_m = tile_m << std::uniform_int_distribution<int>(0, 2)(rng) % (512 / tile_m);
        if (block_m > 256) continue;
        std::vector<std::int32_t> ids(static_cast<std::size_t>(tokens * k));
        std::uniform_int_distribution<int> any(0, experts - 1);
        for (auto& id : ids) id = trial % 3 == 0 ? any(rng) % std::max(experts / 7, 1) : any(rng);
        const auto layout = ptxkit::testing::align_reference(ids, tokens, k, experts, block_m);
        const std::int64_t capacity = tokens * k + static_cast<std::int64_t>(experts) * (block_m - 1);
        int log2 = 0;
        while ((1 << log2) < block_m) ++log2;
        const std::int32_t total = static_cast<std::int32_t>(std::min<std::int64_t>(layout.total_padded, capacity));
        const std::int32_t tiles_m = (total + tile_m - 1) / tile_m;
        const std::int32_t out_cols = 96, n_out = 250;
        const std::int32_t tiles_n = (n_out + out_cols - 1) / out_cols;
        const int grid = std::uniform_int_distribution<int>(1, 140)(rng);
        std::map<std::pair<std::int32_t, std::int32_t>, int> seen;  // (m0, n0) -> times
        for (int cta = 0; cta < grid; ++cta) {
            for (std::int64_t i = cta; i < std::int64_t{tiles_m} * tiles_n; i += grid) {
                const auto t = ptxkit::moe_gemm::contiguous_tile(
                    i, tiles_m, tiles_n, 8, tile_m, log2, layout.block_expert.data(),
                    static_cast<std::int32_t>(layout.block_expert.size()), experts, total, out_cols);
                ASSERT_EQ(t.batch, 0);
                ASSERT_EQ(t.m0 % tile_m, 0);
                ASSERT_LT(t.m0, total);
                ASSERT_EQ(t.expert, layout.block_expert[static_cast<std::size_t>(t.m0 / block_m)]);
                ASSERT_GE(t.expert, 0) << "rows below the total all belong to an expert";
                ASSERT_EQ(t.row_end, total);
                // A tile never crosses from one expert's segment into the next.
                ASSERT_GE(t.m0, layout.padded_offsets[static_cast<std::size_t>(t.expert)]);
                ASSERT_LE(t.m0 + tile_m, layout.padded_offsets[static_cast<std::size_t>(t.expert) + 1]);
                ++seen[{t.m0, t.n0}];
            }
        }
        ASSERT_EQ(seen.size(), static_cast<std::size_t>(tiles_m) * tiles_n);
        for (const auto& [key, times] : seen) ASSERT_EQ(times, 1) << "tile (" << key.first << ", " << key.second << ")";
    }
}

TEST(GroupedTileWalk, ContiguousWithoutAnExpertOrPastTheTable) {
    const std::int32_t blocks[] = {2, -1, 5, 0};  // E = 3: entries -1 and 5 are no expert
    for (std::int64_t i = 0; i < 6; ++i) {
        const auto t = ptxkit::moe_gemm::contiguous_tile(i, 6, 1, 8, 128, 7, blocks, 4, 3, 768, 64);
        const std::int32_t want = i < 4 && (blocks[i] == 0 || blocks[i] == 2) ? blocks[i] : -1;
        EXPECT_EQ(t.expert, want) << i;
        EXPECT_EQ(t.row_end, want < 0 ? 0 : 768) << i;
    }
}

TEST(GroupedTileWalk, MaskedVisitsExactlyTheTilesThatHoldRows) {
    std::mt19937_64 rng(5);
    for (int trial = 0; trial < 80; ++trial) {
        const int experts = std::uniform_int_distribution<int>(1, 512)(rng);
        const std::int64_t capacity = std::uniform_int_distribution<int>(1, 600)(rng);
        const int tile_m = trial % 2 == 0 ? 128 : 64;
        std::vector<std::int32_t> counts(static_cast<std::size_t>(experts));
        std::uniform_int_distribution<int> count(-5, static_cast<int>(capacity) + 20);
        std::uniform_int_distribution<int> four(0, 3);
        for (auto& c : counts) c = four(rng) == 0 ? count(rng) : 0;  // most experts empty
        std::vector<std::int32_t> prefix(static_cast<std::size_t>(experts) + 1, 0);
        for (int e = 0; e < experts; ++e) {
            const auto rows = ptxkit::moe_gemm::valid_rows(counts[static_cast<std::size_t>(e)], capacity);
            prefix[static_cast<std::size_t>(e) + 1] =
                prefix[static_cast<std::size_t>(e)] + static_cast<std::int32_t>((rows + tile_m - 1) / tile_m);
        }
        const std::int32_t tiles_n = 3, out_cols = 64;
        const int grid = std::uniform_int_distribution<int>(1, 300)(rng);
        std::map<std::tuple<int, int, int>, int> seen;  // (expert, m0, n0)
        for (int cta = 0; cta < grid; ++cta) {
            for (std::int64_t i = cta; i < std::int64_t{prefix.back()} * tiles_n; i += grid) {
                const auto t = ptxkit::moe_gemm::masked_tile(i, prefix.data(), experts, tiles_n, 8, tile_m,
                                                             counts.data(), capacity, out_cols);
                ASSERT_GE(t.expert, 0);
                ASSERT_LT(t.expert, experts);
                ASSERT_EQ(t.batch, t.expert);
                const auto valid = ptxkit::moe_gemm::valid_rows(counts[static_cast<std::size_t>(t.expert)], capacity);
                ASSERT_EQ(t.row_end, valid);
                ASSERT_LT(t.m0, valid) << "a tile without valid rows was walked";
                ++seen[{t.expert, t.m0, t.n0}];
            }
        }
        std::size_t expected = 0;
        for (int e = 0; e < experts; ++e) {
            const auto valid = ptxkit::moe_gemm::valid_rows(counts[static_cast<std::size_t>(e)], capacity);
            for (std::int64_t m0 = 0; m0 < valid; m0 += tile_m) {
                for (int n = 0; n < tiles_n; ++n) {
                    ++expected;
                    const auto it = seen.find({e, static_cast<int>(m0), n * out_cols});
                    ASSERT_NE(it, seen.end()) << "expert " << e << " rows " << m0 << " never computed";
                    ASSERT_EQ(it->second, 1);
                }
            }
        }
        ASSERT_EQ(seen.size(), expected);
    }
}

// ---- the sm80 mainloop's SwiGLU row layout (gemm/glu_layout.h) ----

// Each thread's n8 tile ni < NI / 2 holds the gate rows of the output
// columns its epilogue writes, and tile ni + NI / 2 the up rows of the same
// columns, for both sm80 tiles (warp columns 32: 128x128 and 64x64).
TEST(GluLayout, GateAndUpPartnersShareAThread) {
    for (const int warp_cols : {32, 16, 64}) {
        const int warps_n = 4, ni_count = warp_cols / 8;
        const std::int64_t n0 = 640, up = 1000;
        std::set<std::int64_t> rows;
        for (int wn = 0; wn < warps_n; ++wn) {
            for (int ni = 0; ni < ni_count / 2; ++ni) {
                for (int t = 0; t < 4; ++t) {
                    for (int e = 0; e < 2; ++e) {
                        const int gate_col = wn * warp_cols + ni * 8 + 2 * t + e;
                        const int up_col = wn * warp_cols + (ni + ni_count / 2) * 8 + 2 * t + e;
                        const std::int64_t out = n0 + wn * (warp_cols / 2) + ni * 8 + 2 * t + e;  // the epilogue's column
                        const auto g = ptxkit::gemm_glu::glu_row(gate_col, warp_cols, n0, up);
                        const auto u = ptxkit::gemm_glu::glu_row(up_col, warp_cols, n0, up);
                        ASSERT_EQ(g.out, out);
                        ASSERT_EQ(u.out, out);
                        ASSERT_EQ(g.row, out);
                        ASSERT_EQ(u.row, up + out);
                        rows.insert(g.row);
                        rows.insert(u.row);
                    }
                }
            }
        }
        // The tile reads each of its BN / 2 gate rows and BN / 2 up rows once.
        EXPECT_EQ(rows.size(), static_cast<std::size_t>(warps_n * warp_cols));
    }
}

// ---- planning on model devices ----

ptxkit::DeviceProperties h100() {
    ptxkit::DeviceProperties d;
    d.name = "model H100 SXM";
    d.cc_major = 9;
    d.sm_count = 132;
    d.shared_memory_per_block_optin = 227 * 1024;
    d.shared_memory_per_sm = 228 * 1024;
    return d;
}

ptxkit::DeviceProperties a100() {
    ptxkit::DeviceProperties d = h100();
    d.name = "model A100";
    d.cc_major = 8;
    d.sm_count = 108;
    d.shared_memory_per_block_optin = 163 * 1024;
    return d;
}

alignas(16) unsigned char g_fake[64];

GroupedProblem contiguous_problem(std::int64_t rows, std::int64_t n, std::int64_t k, int experts, int block_m,
                                  bool swiglu = false) {
    GroupedProblem p;
    p.experts = experts;
    p.rows = rows;
    p.n = n;
    p.n_out = swiglu ? n / 2 : n;
    p.swiglu = swiglu;
    p.k = k;
    p.block_m = block_m;
    p.num_blocks = block_m > 0 ? rows / block_m : 0;
    p.lda = p.ldb = (k + 7) / 8 * 8;
    p.ldd = (p.n_out + 7) / 8 * 8;
    p.b_expert_stride = n * p.ldb;
    p.a = p.b = p.block_expert = p.total_padded = g_fake;
    p.d = g_fake;
    return p;
}

TEST(GroupedPlanning, Sm90OnHopperForBlockM128AndUp) {
    for (const int block_m : {128, 256}) {
        const GroupedProblem p = contiguous_problem(32768 + 256 * (block_m - 1), 4096, 7168, 256, block_m, true);
        const GroupedPlan plan = ptxkit::detail::moe_gemm::plan_grouped(p, h100(), GemmPath::automatic);
        EXPECT_EQ(plan.public_plan.path, GemmPath::sm90);
        EXPECT_EQ(block_m % plan.public_plan.block_m, 0);
        EXPECT_LE(plan.public_plan.grid, 132u) << "persistent: one CTA per SM";
        EXPECT_EQ(plan.block_threads, 384u);
        EXPECT_EQ(plan.out_columns, plan.public_plan.block_n / 2) << "SwiGLU halves the output columns";
        EXPECT_EQ(plan.tiles_n, (2048 + plan.out_columns - 1) / plan.out_columns);
        const int static_bytes = ptxkit::detail::embedded::static_shared_bytes(
            "moe.grouped_gemm_sm90", plan.public_plan.kernel, 9, 0);
        EXPECT_GT(static_bytes, 0) << "the kernel's static table of tile-row offsets";
        const unsigned total = plan.dynamic_shared_bytes + static_cast<unsigned>(static_bytes);
        EXPECT_LE(total, static_cast<unsigned>(h100().shared_memory_per_block_optin));
        // One byte less: the sm80 family serves it instead.
        ptxkit::DeviceProperties smaller = h100();
        smaller.shared_memory_per_block_optin = static_cast<int>(total - 1);
        const GroupedPlan fallback = ptxkit::detail::moe_gemm::plan_grouped(p, smaller, GemmPath::automatic);
        EXPECT_EQ(fallback.public_plan.path, GemmPath::sm80);
    }
}

TEST(GroupedPlanning, BlockM64FallsBackToTheSmallSm80Tile) {
    const GroupedProblem p = contiguous_problem(4096, 512, 512, 8, 64);
    const GroupedPlan plan = ptxkit::detail::moe_gemm::plan_grouped(p, h100(), GemmPath::automatic);
    EXPECT_EQ(plan.public_plan.path, GemmPath::sm80);
    EXPECT_EQ(plan.public_plan.block_m, 64);
    try {
        (void)ptxkit::detail::moe_gemm::plan_grouped(p, h100(), GemmPath::sm90);
        ADD_FAILURE() << "sm90 accepted block_m 64";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::unsupported);
        EXPECT_NE(std::string(e.what()).find("block_m must be a multiple of the 128-row tile"), std::string::npos)
            << e.what();
    }
}

TEST(GroupedPlanning, AmpereGetsSm80AndGeneralIsUnsupported) {
    const GroupedProblem p = contiguous_problem(65536, 4096, 7168, 256, 128);
    const GroupedPlan plan = ptxkit::detail::moe_gemm::plan_grouped(p, a100(), GemmPath::automatic);
    EXPECT_EQ(plan.public_plan.path, GemmPath::sm80);
    EXPECT_EQ(plan.public_plan.block_m, 128) << "enough tiles for the large tile";
    EXPECT_LE(plan.public_plan.grid, 2u * 108) << "two resident CTAs per SM, persistent";
    for (const GemmPath path : {GemmPath::sm90, GemmPath::general}) {
        try {
            (void)ptxkit::detail::moe_gemm::plan_grouped(p, a100(), path);
            ADD_FAILURE() << "path " << static_cast<int>(path) << " accepted on an A100";
        } catch (const ptxkit::Error& e) {
            EXPECT_EQ(e.status(), ptxkit::Status::unsupported) << e.what();
        }
    }
    ptxkit::DeviceProperties volta = a100();
    volta.cc_major = 7;
    try {
        (void)ptxkit::detail::moe_gemm::plan_grouped(p, volta, GemmPath::automatic);
        ADD_FAILURE() << "planned on sm_70";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::unsupported) << e.what();
    }
}

TEST(GroupedPlanning, DecodeShapesTakeTheSmallSm80Tile) {
    // 8 rows padded to 1024 (fused_moe's decode bound): few tiles for the large tile.
    const GroupedProblem p = contiguous_problem(1024, 1536, 2048, 128, 128);
    GroupedPlan plan;
    std::string why;
    ASSERT_TRUE(ptxkit::detail::moe_gemm::plan_sm80(p, a100(), plan, why)) << why;
    EXPECT_EQ(plan.public_plan.block_m, 64);
    EXPECT_EQ(plan.public_plan.max_tiles, (1024 / 64) * (1536 / 64));
}

TEST(GroupedPlanning, MaskedCountsTileRowsOverEveryExpert) {
    GroupedProblem p = contiguous_problem(96, 512, 256, 32, 0);
    p.masked = true;
    p.a_batch_stride = 96 * p.lda;
    p.d_batch_stride = 96 * p.ldd;
    p.counts = g_fake;
    GroupedPlan plan;
    std::string why;
    ASSERT_TRUE(ptxkit::detail::moe_gemm::plan_sm90(p, h100(), plan, why)) << why;
    EXPECT_EQ(plan.public_plan.max_tiles, 32 * 1 * plan.tiles_n);
    ASSERT_TRUE(ptxkit::detail::moe_gemm::plan_sm80(p, a100(), plan, why)) << why;
    const ptxkit_moe_gemm_params q = ptxkit::detail::moe_gemm::make_params(p, plan);
    EXPECT_EQ(q.layout, PTXKIT_MOE_GEMM_MASKED);
    EXPECT_EQ(q.num_experts, 32);
    EXPECT_EQ(q.a_batch_stride, 96 * p.lda);
    EXPECT_EQ(q.tiles_n, plan.tiles_n);
}

TEST(GroupedPlanning, ParamsOfTheContiguousLayout) {
    const GroupedProblem p = contiguous_problem(1000, 2 * 100, 72, 16, 256, true);
    const GroupedPlan plan = ptxkit::detail::moe_gemm::plan_grouped(p, h100(), GemmPath::automatic);
    const ptxkit_moe_gemm_params q = ptxkit::detail::moe_gemm::make_params(p, plan);
    EXPECT_EQ(q.layout, PTXKIT_MOE_GEMM_CONTIGUOUS);
    EXPECT_EQ(q.epilogue, PTXKIT_MOE_GEMM_EPILOGUE_SWIGLU);
    EXPECT_EQ(q.log2_block_m, 8);
    EXPECT_EQ(q.n_out, 100);
    EXPECT_EQ(q.num_blocks, 1000 / 256);
    EXPECT_EQ(q.rows, 1000);
}

// ---- fused_moe_workspace_size ----

TEST(FusedMoeWorkspace, SizesAndTheDecodeBound) {
    EXPECT_EQ(ptxkit::moe::fused_moe_workspace_size(0, 7168, 2048, 256, 8, DType::bf16), 0u);
    const std::size_t t1 = ptxkit::moe::fused_moe_workspace_size(1, 7168, 2048, 256, 8, DType::bf16);
    // 8 pairs reach at most 8 experts: 8 + 8 * 127 = 1024 rows of x/y (7168) and h (2048), bf16.
    EXPECT_GE(t1, std::size_t{1024} * (7168 + 2048) * 2);
    EXPECT_LT(t1, std::size_t{1024} * (7168 + 2048) * 2 + (std::size_t{1} << 20));
    const std::size_t t4096 = ptxkit::moe::fused_moe_workspace_size(4096, 7168, 2048, 256, 8, DType::bf16);
    const std::size_t rows = 4096 * 8 + 256 * 127;
    EXPECT_GE(t4096, rows * (7168 + 2048) * 2);
    EXPECT_EQ(t4096 % 256, 0u);
    EXPECT_EQ(ptxkit::moe::fused_moe_workspace_size(16, 100, 36, 8, 2, DType::f16) % 256, 0u);
    const std::string m = ptxkit::testing::expect_invalid_argument(
        [] { (void)ptxkit::moe::fused_moe_workspace_size(16, 128, 64, 8, 2, DType::f32); });
    EXPECT_NE(m.find("ptxkit::moe::fused_moe_workspace_size: argument 'dtype': expected dtype bf16 or f16, got f32"),
              std::string::npos)
        << m;
    EXPECT_NE(ptxkit::testing::expect_invalid_argument(
                  [] { (void)ptxkit::moe::fused_moe_workspace_size(16, 128, 64, 600, 2, DType::bf16); })
                  .find("argument 'num_experts (E)': expected a value in [2, 512], got 600"),
              std::string::npos);
    EXPECT_NE(ptxkit::testing::expect_invalid_argument(
                  [] { (void)ptxkit::moe::fused_moe_workspace_size(16, 128, 64, 8, 9, DType::bf16); })
                  .find("argument 'k': expected a value in [1, 8], got 9"),
              std::string::npos);
}

// ---- argument checks (fake, never dereferenced pointers) ----

void* fake(std::uintptr_t a) { return reinterpret_cast<void*>(a); }

std::string reject(const std::function<void()>& f) { return ptxkit::testing::expect_invalid_argument(f); }

// a [256, 128] bf16, weights [8, 96, 128], out [256, 96], block_m 128.
struct Contiguous {
    TensorView a = TensorView::contiguous(fake(0x1000000), DType::bf16, {256, 128});
    TensorView w = TensorView::contiguous(fake(0x2000000), DType::bf16, {8, 96, 128});
    TensorView blocks = TensorView::contiguous(fake(0x3000000), DType::i32, {2});
    TensorView total = TensorView::contiguous(fake(0x3001000), DType::i32, {1});
    TensorView out = TensorView::contiguous(fake(0x4000000), DType::bf16, {256, 96});
    int block_m = 128;
    GroupedGemmOptions o;
    std::string run() {
        return reject([&] { ptxkit::moe::grouped_gemm(a, w, blocks, total, block_m, out, o, nullptr); });
    }
    std::string plan() {
        return reject([&] { (void)ptxkit::moe::grouped_gemm_plan(a, w, blocks, total, block_m, out, o); });
    }
};

void expect_has(const std::string& message, const std::string& part) {
    EXPECT_NE(message.find(part), std::string::npos) << "want: " << part << "\n got: " << message;
}

TEST(GroupedGemmArguments, Contiguous) {
    const std::string op = "ptxkit::moe::grouped_gemm: argument ";
    {
        Contiguous c;
        c.a.data = nullptr;
        expect_has(c.run(), op + "'a': expected a non-null device pointer");
    }
    {
        Contiguous c;
        c.a.dtype = DType::f16;
        expect_has(c.run(), op + "'a': expected dtype bf16, got f16");
    }
    {
        Contiguous c;
        c.w.dtype = c.a.dtype = DType::f32;
        expect_has(c.run(), op + "'weights': expected dtype bf16 or f16, got f32");
    }
    {
        Contiguous c;
        c.a = TensorView::contiguous(fake(0x1000000), DType::bf16, {256, 64});
        expect_has(c.run(), op + "'a': expected K = 128 columns");
    }
    {
        Contiguous c;
        c.w = TensorView::contiguous(fake(0x2000000), DType::bf16, {96, 128});
        expect_has(c.run(), op + "'weights': expected rank 3 [E, N, K], got rank 2");
    }
    {
        Contiguous c;
        c.w = TensorView::contiguous(fake(0x2000000), DType::bf16, {513, 96, 128});
        expect_has(c.run(), op + "'weights.shape[0] (E)': expected a value in [1, 512], got 513");
    }
    {
        Contiguous c;
        c.out = TensorView::contiguous(fake(0x4000000), DType::bf16, {256, 95});
        expect_has(c.run(), op + "'out': expected [rows, N] = [256, 96], got [256, 95]");
    }
    {
        Contiguous c;
        c.o.epilogue = GroupedEpilogue::swiglu;  // out must then be [256, 48]
        expect_has(c.run(), op + "'out': expected [rows, N / 2] = [256, 48], got [256, 96]");
    }
    {
        Contiguous c;
        c.o.epilogue = GroupedEpilogue::swiglu;
        c.w = TensorView::contiguous(fake(0x2000000), DType::bf16, {8, 97, 128});
        expect_has(c.run(), op + "'weights.shape[1] (N)': expected an even number");
    }
    {
        Contiguous c;
        c.out.dtype = DType::f16;
        expect_has(c.run(), op + "'out': expected dtype bf16 or f32, got f16");
    }
    for (const int bad : {0, 16, 32, 96, 512}) {
        Contiguous c;
        c.block_m = bad;
        expect_has(c.run(), op + "'block_m': expected align's block_m, a power of two in [64, 256]");
    }
    {
        Contiguous c;
        c.blocks = TensorView::contiguous(fake(0x3000000), DType::i32, {1});
        expect_has(c.run(), op + "'block_expert': expected at least rows / block_m = 2 entries, got [1]");
    }
    {
        Contiguous c;
        c.blocks.dtype = DType::i64;
        expect_has(c.run(), op + "'block_expert': expected dtype i32, got i64");
    }
    {
        Contiguous c;
        c.total = TensorView::contiguous(fake(0x3001000), DType::i32, {2});
        expect_has(c.run(), op + "'total_padded': expected [1], got [2]");
    }
    {
        Contiguous c;
        c.a = TensorView::contiguous(fake(0x1000000), DType::bf16, {256, 100});
        c.w = TensorView::contiguous(fake(0x2000000), DType::bf16, {8, 96, 100});
        expect_has(c.run(), op + "'weights': expected a row stride (stride[1]) that is a multiple of 8 elements, got 100");
    }
    {
        Contiguous c;
        c.a.stride[0] = 132;
        expect_has(c.run(), op + "'a': expected a row stride (stride[0]) that is a multiple of 8 elements, got 132");
    }
    {
        Contiguous c;
        c.a.data = fake(0x1000008);
        expect_has(c.run(), op + "'a': expected a pointer aligned to 16 bytes");
    }
    {
        Contiguous c;
        c.w.stride[0] = 96 * 64;  // experts overlap
        expect_has(c.run(), op + "'weights': expected a stride[0] of at least shape[1] * stride[1] = 12288");
    }
    {
        Contiguous c;
        c.out.data = fake(0x1000000 + 4096);
        expect_has(c.run(), op + "'out': expected memory that does not overlap 'a'");
    }
    {
        Contiguous c;
        c.o.epilogue = static_cast<GroupedEpilogue>(7);
        expect_has(c.run(), op + "'options.epilogue': expected a value in [0, 1], got 7");
    }
    {
        Contiguous c;
        c.o.path = static_cast<GemmPath>(9);
        expect_has(c.run(), op + "'options.path': expected a value in [0, 3], got 9");
    }
    {
        Contiguous c;
        c.a.data = nullptr;
        expect_has(c.plan(), "ptxkit::moe::grouped_gemm_plan: argument 'a': expected a non-null device pointer");
    }
    {
        // Zero rows: a valid empty call, nothing launched, no driver needed.
        Contiguous c;
        c.a = TensorView::contiguous(nullptr, DType::bf16, {0, 128});
        c.out = TensorView::contiguous(nullptr, DType::bf16, {0, 96});
        EXPECT_NO_THROW(ptxkit::moe::grouped_gemm(c.a, c.w, c.blocks, c.total, c.block_m, c.out, c.o, nullptr));
    }
}

// a [8, 64, 128], weights [8, 96, 128], counts [8], out [8, 64, 96].
struct Masked {
    TensorView a = TensorView::contiguous(fake(0x1000000), DType::bf16, {8, 64, 128});
    TensorView w = TensorView::contiguous(fake(0x2000000), DType::bf16, {8, 96, 128});
    TensorView counts = TensorView::contiguous(fake(0x3000000), DType::i32, {8});
    TensorView out = TensorView::contiguous(fake(0x4000000), DType::bf16, {8, 64, 96});
    GroupedGemmOptions o;
    std::string run() {
        return reject([&] { ptxkit::moe::grouped_gemm_masked(a, w, counts, out, o, nullptr); });
    }
};

TEST(GroupedGemmArguments, Masked) {
    const std::string op = "ptxkit::moe::grouped_gemm_masked: argument ";
    {
        Masked m;
        m.a = TensorView::contiguous(fake(0x1000000), DType::bf16, {7, 64, 128});
        expect_has(m.run(), op + "'a': expected [E, capacity, K] with E = 8 and K = 128");
    }
    {
        Masked m;
        m.counts = TensorView::contiguous(fake(0x3000000), DType::i32, {9});
        expect_has(m.run(), op + "'counts': expected [E] = [8], one count per expert, got [9]");
    }
    {
        Masked m;
        m.out = TensorView::contiguous(fake(0x4000000), DType::bf16, {8, 63, 96});
        expect_has(m.run(), op + "'out': expected [E, capacity, N] = [8, 64, 96], got [8, 63, 96]");
    }
    {
        Masked m;
        m.a = TensorView::contiguous(fake(0x1000000), DType::bf16, {64, 128});
        expect_has(m.run(), op + "'a': expected rank 3 [E, capacity, K], got rank 2");
    }
    {
        Masked m;
        m.a.stride[0] = 8;
        expect_has(m.run(), op + "'a': expected a stride[0] of at least shape[1] * stride[1] = 8192");
    }
    {
        Masked m;
        m.counts.dtype = DType::f32;
        expect_has(m.run(), op + "'counts': expected dtype i32, got f32");
    }
    {
        Masked m;
        m.out.data = fake(0x3000000);
        expect_has(m.run(), op + "'out': expected memory that does not overlap 'counts'");
    }
    {
        Masked m;
        m.a = TensorView::contiguous(nullptr, DType::bf16, {8, 0, 128});
        m.out = TensorView::contiguous(nullptr, DType::bf16, {8, 0, 96});
        EXPECT_NO_THROW(ptxkit::moe::grouped_gemm_masked(m.a, m.w, m.counts, m.out, m.o, nullptr));
    }
}

// hidden [16, 128] bf16, logits [16, 8] f32, w13 [8, 128, 128] (I = 64), w2 [8, 128, 64].
struct Fused {
    TensorView hidden = TensorView::contiguous(fake(0x1000000), DType::bf16, {16, 128});
    TensorView logits = TensorView::contiguous(fake(0x2000000), DType::f32, {16, 8});
    TensorView w13 = TensorView::contiguous(fake(0x3000000), DType::bf16, {8, 128, 128});
    TensorView w2 = TensorView::contiguous(fake(0x4000000), DType::bf16, {8, 128, 64});
    TensorView out = TensorView::contiguous(fake(0x5000000), DType::bf16, {16, 128});
    ptxkit::moe::FusedMoeOptions o;
    void* workspace = fake(0x10000000);
    std::size_t workspace_bytes = std::size_t{1} << 24;
    Fused() { o.k = 2; }
    std::string run() {
        return reject(
            [&] { ptxkit::moe::fused_moe(hidden, logits, w13, w2, out, o, workspace, workspace_bytes, nullptr); });
    }
};

TEST(FusedMoeArguments, NamesTheArgument) {
    const std::string op = "ptxkit::moe::fused_moe: argument ";
    {
        Fused f;
        f.w13 = TensorView::contiguous(fake(0x3000000), DType::bf16, {7, 128, 128});
        expect_has(f.run(), op + "'w13': expected [E, 2 I, H] with E = 8");
    }
    {
        Fused f;
        f.w2 = TensorView::contiguous(fake(0x4000000), DType::bf16, {8, 128, 32});
        expect_has(f.run(), op + "'w2': expected [E, H, I] = [8, 128, 64], got [8, 128, 32]");
    }
    {
        Fused f;
        f.w13 = TensorView::contiguous(fake(0x3000000), DType::bf16, {8, 127, 128});
        expect_has(f.run(), op + "'w13': expected [E, 2 I, H] with an even, nonzero 2 I");
    }
    {
        Fused f;
        f.w2.dtype = DType::f16;
        expect_has(f.run(), op + "'w2': expected dtype bf16, got f16");
    }
    {
        Fused f;
        f.logits = TensorView::contiguous(fake(0x2000000), DType::f32, {15, 8});
        expect_has(f.run(), op + "'router_logits': expected 16 rows, as 'hidden', got [15, 8]");
    }
    {
        Fused f;
        f.o.k = 9;
        expect_has(f.run(), op + "'options.k': expected a value in [1, 8], got 9");
    }
    {
        Fused f;
        f.out = TensorView::contiguous(fake(0x5000000), DType::f16, {16, 128});
        expect_has(f.run(), op + "'out': expected dtype bf16, got f16");
    }
    {
        Fused f;
        f.o.routing = ptxkit::moe::MoeRouting::grouped_sigmoid_topk;
        f.o.num_groups = 3;
        expect_has(f.run(), op + "'options.num_groups': expected a divisor of the expert count 8, got 3");
    }
    {
        Fused f;
        f.o.bias = TensorView::contiguous(fake(0x6000000), DType::f32, {8});
        expect_has(f.run(), op + "'options.bias': expected null data (a bias applies to grouped_sigmoid_topk");
    }
    {
        Fused f;
        f.o.shared_output = TensorView::contiguous(fake(0x6000000), DType::bf16, {16, 64});
        expect_has(f.run(), op + "'options.shared_output': expected the shape of 'out', [16, 128], got [16, 64]");
    }
    {
        Fused f;
        f.workspace = nullptr;
        expect_has(f.run(), op + "'workspace': expected a non-null device pointer");
    }
    {
        Fused f;
        f.workspace = fake(0x10000080);
        expect_has(f.run(), op + "'workspace': expected a pointer aligned to 256 bytes");
    }
    {
        Fused f;
        f.workspace_bytes = 4096;
        expect_has(f.run(), op + "'workspace_bytes': expected at least");
    }
    {
        Fused f;
        f.workspace = fake(0x3000000);
        expect_has(f.run(), op + "'workspace': expected memory that does not overlap 'w13'");
    }
    {
        Fused f;
        f.out = TensorView::contiguous(fake(0x1000000), DType::bf16, {16, 128});
        expect_has(f.run(), op + "'out': expected memory that does not overlap 'hidden'");
    }
    {
        Fused f;
        f.w13 = TensorView::contiguous(fake(0x3000000), DType::bf16, {8, 128, 128});
        f.w13.stride[1] = 132;
        f.w13.stride[0] = 128 * 132;
        expect_has(f.run(), op + "'w13': expected a row stride (stride[1]) of at least 128 and a multiple of 8");
    }
    {
        Fused f;
        f.logits = TensorView::contiguous(fake(0x2000000), DType::f32, {16, 600});
        expect_has(f.run(), op + "'router_logits.shape[1] (E)': expected a value in [2, 512], got 600");
    }
    {
        // No tokens: valid, touches neither the workspace nor the driver.
        Fused f;
        f.hidden = TensorView::contiguous(nullptr, DType::bf16, {0, 128});
        f.logits = TensorView::contiguous(nullptr, DType::f32, {0, 8});
        f.out = TensorView::contiguous(nullptr, DType::bf16, {0, 128});
        EXPECT_NO_THROW(ptxkit::moe::fused_moe(f.hidden, f.logits, f.w13, f.w2, f.out, f.o, nullptr, 0, nullptr));
    }
}

// ---- the C API ----

TEST(GroupedGemmCApi, ArgumentsAndDefaults) {
    const ptxkit_fused_moe_options_t d = ptxkit_fused_moe_default_options();
    EXPECT_EQ(d.k, 8);
    EXPECT_EQ(d.renormalize, 1);
    EXPECT_EQ(d.routing, PTXKIT_MOE_ROUTING_SOFTMAX_TOPK);
    EXPECT_EQ(d.path, PTXKIT_GEMM_AUTO);
    EXPECT_EQ(d.bias, nullptr);

    ptxkit_tensor_t a{};
    a.data = fake(0x1000000);
    a.dtype = PTXKIT_BF16;
    a.rank = 2;
    a.shape[0] = 256;
    a.shape[1] = 128;
    EXPECT_EQ(ptxkit_moe_grouped_gemm(&a, nullptr, nullptr, nullptr, 128, nullptr, nullptr, nullptr),
              PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ptxkit_last_error()).find("ptxkit_moe_grouped_gemm: argument 'weights'"), std::string::npos)
        << ptxkit_last_error();
    EXPECT_EQ(ptxkit_moe_grouped_gemm_masked(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr),
              PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ptxkit_moe_fused(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0, nullptr),
              PTXKIT_ERROR_INVALID_ARGUMENT);
    size_t bytes = 1;
    ASSERT_EQ(ptxkit_moe_fused_workspace_size(0, 128, 64, 8, 2, PTXKIT_BF16, &bytes), PTXKIT_SUCCESS);
    EXPECT_EQ(bytes, 0u);
    ASSERT_EQ(ptxkit_moe_fused_workspace_size(16, 128, 64, 8, 2, PTXKIT_BF16, &bytes), PTXKIT_SUCCESS);
    EXPECT_EQ(bytes, ptxkit::moe::fused_moe_workspace_size(16, 128, 64, 8, 2, DType::bf16));
    EXPECT_EQ(ptxkit_moe_fused_workspace_size(16, 128, 64, 8, 2, PTXKIT_BF16, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
}

}  // namespace
