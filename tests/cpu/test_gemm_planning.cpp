// GEMM on the host: the tile scheduler, split-K planning, each family's
// planner on model devices, and the argument checks (before any driver call).
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gemm/tile_scheduler.h"
#include "ops/gemm_internal.hpp"
#include "runtime/embedded_module.hpp"
#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"
#include "support/expect_error.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::detail::gemm::Plan;
using ptxkit::detail::gemm::Problem;

ptxkit::DeviceProperties h100() {
    ptxkit::DeviceProperties d;
    d.name = "model H100 SXM";
    d.cc_major = 9;
    d.sm_count = 132;
    d.l2_bytes = 50 << 20;
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

Problem aligned_problem(std::int64_t m, std::int64_t n, std::int64_t k) {
    Problem p;
    p.m = m;
    p.n = n;
    p.k = k;
    p.lda = (k + 7) / 8 * 8;
    p.ldb = p.lda;
    p.ldd = (n + 7) / 8 * 8;
    p.a = p.b = g_fake;
    p.d = g_fake;
    return p;
}

TEST(TileScheduler, EveryTileExactlyOnceForManyShapesAndGrids) {
    for (int tiles_m : {1, 2, 3, 7, 8, 9, 33, 64}) {
        for (int tiles_n : {1, 2, 5, 16, 31}) {
            for (int group_m : {1, 4, 8, 16}) {
                for (int splits : {1, 2, 3}) {
                    const std::int64_t total = ptxkit::gemm_tiles::tile_count(tiles_m, tiles_n, splits);
                    for (int grid : {1, 7, 132, 1000}) {
                        std::vector<int> seen(static_cast<std::size_t>(total), 0);
                        for (int cta = 0; cta < grid; ++cta) {  // persistent walk of each CTA
                            for (std::int64_t i = cta; i < total; i += grid) {
                                const auto t = ptxkit::gemm_tiles::tile_of(i, tiles_m, tiles_n, group_m, splits);
                                ASSERT_GE(t.m, 0);
                                ASSERT_LT(t.m, tiles_m);
                                ASSERT_GE(t.n, 0);
                                ASSERT_LT(t.n, tiles_n);
                                ASSERT_LT(t.split, splits);
                                ++seen[(static_cast<std::size_t>(t.m) * tiles_n + t.n) * splits + t.split];
                            }
                        }
                        for (std::size_t s = 0; s < seen.size(); ++s) {
                            ASSERT_EQ(seen[s], 1) << tiles_m << "x" << tiles_n << " group " << group_m << " splits "
                                                  << splits << " grid " << grid << " entry " << s;
                        }
                    }
                }
            }
        }
    }
}

// Clusters of two along M: each cluster walks items c, c + clusters, ...;
// its two CTAs take the two rows of the item. Every real tile is computed
// exactly once, and the only extra tiles are second rows past tiles_m.
TEST(TileScheduler, ClusterPairsCoverEveryTileOnce) {
    for (int tiles_m : {1, 2, 3, 7, 8, 9, 33, 64}) {
        for (int tiles_n : {1, 2, 5, 16}) {
            for (int group_m : {1, 4, 8}) {
                for (int splits : {1, 3}) {
                    const int ctas = 2;
                    const std::int64_t items = ptxkit::gemm_tiles::tile_count(
                        ptxkit::gemm_tiles::cluster_item_rows(tiles_m, ctas), tiles_n, splits);
                    for (int clusters : {1, 5, 66}) {
                        std::vector<int> seen(static_cast<std::size_t>(tiles_m) * tiles_n * splits, 0);
                        int phantom = 0;
                        for (int c = 0; c < clusters; ++c) {
                            for (std::int64_t i = c; i < items; i += clusters) {
                                for (int rank = 0; rank < ctas; ++rank) {
                                    const auto t = ptxkit::gemm_tiles::cluster_tile_of(i, tiles_m, tiles_n, group_m,
                                                                                       splits, ctas, rank);
                                    ASSERT_LT(t.n, tiles_n);
                                    if (t.m >= tiles_m) {
                                        ASSERT_EQ(rank, 1) << "only a pair's second row can lie past M";
                                        ASSERT_EQ(t.m, tiles_m) << "at most one row past M";
                                        ++phantom;
                                        continue;
                                    }
                                    ++seen[(static_cast<std::size_t>(t.m) * tiles_n + t.n) * splits + t.split];
                                }
                            }
                        }
                        for (std::size_t e = 0; e < seen.size(); ++e) {
                            ASSERT_EQ(seen[e], 1) << tiles_m << "x" << tiles_n << " entry " << e;
                        }
                        EXPECT_EQ(phantom, (tiles_m % 2) * tiles_n * splits);
                    }
                }
            }
        }
    }
}

TEST(TileScheduler, GroupedOrderStaysInsideGroupRows) {
    // The first group_m * tiles_n indices cover exactly the first group_m tile rows.
    for (std::int64_t i = 0; i < 8 * 20; ++i) EXPECT_LT(ptxkit::gemm_tiles::tile_of(i, 64, 20, 8, 1).m, 8);
}

TEST(SplitK, OnlyForSkinnyShapesWithDeepKAndWorkspace) {
    using ptxkit::detail::gemm::choose_splits;
    const std::size_t lots = std::size_t{1} << 40;
    EXPECT_EQ(choose_splits(256, 132, 4096, 64, lots, 4096, 4096), 1) << "enough tiles already";
    EXPECT_EQ(choose_splits(8, 132, 64, 64, lots, 16, 1024), 1) << "K too shallow";
    EXPECT_EQ(choose_splits(8, 132, 16384, 64, 0, 16, 1024), 1) << "no workspace";
    const int s = choose_splits(8, 132, 16384, 64, lots, 16, 1024);
    EXPECT_GE(s, 2);
    EXPECT_LE(s, 16);
    EXPECT_LE(8 * s, 132);
    EXPECT_EQ(choose_splits(8, 132, 16384, 64, 2 * 16 * 1024 * 4, 16, 1024), 2) << "bounded by the workspace";
}

TEST(Planners, GeneralServesEverything) {
    Problem p = aligned_problem(7, 9, 13);
    p.lda = 13;  // unaligned
    Plan plan;
    std::string why;
    ASSERT_TRUE(ptxkit::detail::gemm::plan_general(p, a100(), plan, why));
    EXPECT_EQ(plan.public_plan.path, ptxkit::GemmPath::general);
    EXPECT_EQ(plan.public_plan.splits, 1);
    EXPECT_EQ(plan.public_plan.grid, 1u);
}

TEST(Planners, TensorCorePathsNeedAlignment) {
    Problem p = aligned_problem(512, 512, 512);
    p.lda = 513;
    Plan plan;
    std::string why;
    EXPECT_FALSE(ptxkit::detail::gemm::plan_sm90(p, h100(), plan, why));
    EXPECT_FALSE(why.empty());
    why.clear();
    EXPECT_FALSE(ptxkit::detail::gemm::plan_sm80(p, h100(), plan, why));
    EXPECT_FALSE(why.empty());
}

TEST(Planners, Sm90OnlyOnHopper) {
    Problem p = aligned_problem(4096, 4096, 4096);
    Plan plan;
    std::string why;
    EXPECT_FALSE(ptxkit::detail::gemm::plan_sm90(p, a100(), plan, why));
    ASSERT_TRUE(ptxkit::detail::gemm::plan_sm90(p, h100(), plan, why)) << why;
    EXPECT_EQ(plan.public_plan.path, ptxkit::GemmPath::sm90);
    EXPECT_LE(plan.public_plan.grid, 132u) << "persistent: at most one CTA per SM";
    EXPECT_GT(plan.dynamic_shared_bytes, 48u * 1024);
    EXPECT_LE(plan.dynamic_shared_bytes, static_cast<unsigned>(h100().shared_memory_per_block_optin));
    EXPECT_EQ(plan.public_plan.splits, 1);
}

TEST(Planners, Sm90ServesBothBLayouts) {
    for (bool b_kn : {false, true}) {
        for (auto [m, n, k] : {std::tuple{4096, 4096, 4096}, std::tuple{16, 12288, 4096}, std::tuple{130, 200, 96}}) {
            Problem p = aligned_problem(m, n, k);
            p.b_kn = b_kn;
            p.ldb = b_kn ? p.ldd : p.lda;  // [K, N]: a row is N long
            Plan plan;
            std::string why;
            ASSERT_TRUE(ptxkit::detail::gemm::plan_sm90(p, h100(), plan, why)) << why;
            const std::string kernel = plan.public_plan.kernel;
            EXPECT_EQ(kernel.ends_with("_kn"), b_kn) << kernel;
        }
    }
}

// Every kernel a planner can name is in the module its launcher loads it
// from, for both dtypes, both B layouts, and shapes that pick every tile.
TEST(Planners, PlannedKernelsExistInTheirModules) {
    std::set<std::pair<std::string, std::string>> available;
    for (const auto& k : ptxkit::embedded_kernels()) available.emplace(k.module, k.kernel);
    struct Family {
        bool (*plan)(const Problem&, const ptxkit::DeviceProperties&, Plan&, std::string&);
        const char* module;
    };
    const Family families[] = {{&ptxkit::detail::gemm::plan_sm90, "gemm.sm90_gemm"},
                               {&ptxkit::detail::gemm::plan_sm80, "gemm.sm80_gemm"},
                               {&ptxkit::detail::gemm::plan_general, "gemm.general"}};
    int planned = 0;
    for (const auto& device : {a100(), h100()}) {
        for (const Family& f : families) {
            for (DType dtype : {DType::bf16, DType::f16}) {
                for (bool b_kn : {false, true}) {
                    for (auto [m, n, k] : {std::tuple{4096, 4096, 4096}, std::tuple{1, 4096, 4096},
                                           std::tuple{16, 12288, 4096}, std::tuple{100, 70, 8},
                                           std::tuple{8192, 8192, 1024}}) {
                        Problem p = aligned_problem(m, n, k);
                        p.ab_dtype = dtype;
                        p.b_kn = b_kn;
                        p.ldb = b_kn ? p.ldd : p.lda;
                        Plan plan;
                        std::string why;
                        if (!f.plan(p, device, plan, why)) continue;
                        ++planned;
                        EXPECT_TRUE(available.count({f.module, plan.public_plan.kernel}))
                            << f.module << " has no kernel " << plan.public_plan.kernel;
                    }
                }
            }
        }
    }
    EXPECT_EQ(planned, 100) << "every family serves every case, but sm90 not on the A100";
}

// Dynamic plus the kernel's static shared memory (the ptxas report embedded
// with the build) must fit the device's opt-in limit; one byte less and the
// planner must pass the kernel over for the next family instead of letting
// the launch fail.
TEST(Planners, StaticSharedMemoryCountsAndOverTheLimitFallsBack) {
    struct Family {
        bool (*plan)(const Problem&, const ptxkit::DeviceProperties&, Plan&, std::string&);
        const char* module;
    };
    const Family families[] = {{&ptxkit::detail::gemm::plan_sm90, "gemm.sm90_gemm"},
                               {&ptxkit::detail::gemm::plan_sm80, "gemm.sm80_gemm"}};
    int planned = 0;
    for (auto [m, n, k] : {std::tuple{4096, 4096, 4096}, std::tuple{16, 12288, 4096}, std::tuple{130, 200, 96}}) {
        for (const auto& device : {a100(), h100()}) {
            for (const Family& f : families) {
                const Problem p = aligned_problem(m, n, k);
                Plan plan;
                std::string why;
                if (!f.plan(p, device, plan, why)) continue;
                ++planned;
                const int static_bytes = ptxkit::detail::embedded::static_shared_bytes(
                    f.module, plan.public_plan.kernel, device.cc_major, device.cc_minor);
                const long long total = static_cast<long long>(plan.dynamic_shared_bytes) + static_bytes;
                EXPECT_LE(total, device.shared_memory_per_block_optin) << plan.public_plan.kernel;
                // One byte less: the family declines (plan_for then tries the next one).
                ptxkit::DeviceProperties smaller = device;
                smaller.shared_memory_per_block_optin = static_cast<int>(total - 1);
                Plan declined;
                EXPECT_FALSE(f.plan(p, smaller, declined, why))
                    << plan.public_plan.kernel << " chosen with " << total - 1 << " bytes allowed";
                EXPECT_NE(why.find("bytes of shared memory per block"), std::string::npos) << why;
            }
        }
    }
    EXPECT_EQ(planned, 9) << "sm90 on the H100, sm80 on both";
}

// The lookup picks the SASS the device runs: sm_90a only on 9.0, sm_80 on 8.x.
TEST(Planners, StaticSharedMemoryOfTheSassTheDeviceRuns) {
    using ptxkit::detail::embedded::static_shared_bytes;
    bool found = false;
    for (const auto& k : ptxkit::embedded_kernels()) {
        if (k.module != "moe.grouped_gemm_sm80" || k.shared_bytes == 0) continue;
        found = true;
        if (k.arch == "sm_80") {
            EXPECT_EQ(static_shared_bytes(k.module, k.kernel, 8, 0), k.shared_bytes) << k.kernel;
            EXPECT_EQ(static_shared_bytes(k.module, k.kernel, 8, 9), k.shared_bytes) << k.kernel;
            EXPECT_EQ(static_shared_bytes(k.module, k.kernel, 7, 5), 0) << "sm_80 SASS does not run on 7.5";
        } else if (k.arch == "sm_90a") {
            EXPECT_EQ(static_shared_bytes(k.module, k.kernel, 9, 0), k.shared_bytes) << k.kernel;
            EXPECT_EQ(static_shared_bytes(k.module, k.kernel, 10, 0), 0) << "sm_90a SASS runs on 9.0 only";
        }
    }
    EXPECT_TRUE(found) << "the sm80 grouped GEMM has a static tile-row table";
    EXPECT_EQ(static_shared_bytes("no.such_module", "k", 9, 0), 0);
}

TEST(Planners, Sm90ClustersOnlyWhereTheSharedBTilePays) {
    Plan plan;
    std::string why;
    // A full GPU of tiles, an even number of tile rows: pairs, an even grid
    // of at most one CTA per SM.
    ASSERT_TRUE(ptxkit::detail::gemm::plan_sm90(aligned_problem(4096, 4096, 4096), h100(), plan, why)) << why;
    EXPECT_EQ(plan.cluster_m, 2);
    EXPECT_EQ(plan.public_plan.grid % 2, 0u);
    EXPECT_LE(plan.public_plan.grid, 132u);
    EXPECT_NE(std::string(plan.public_plan.config).find("cluster2x1"), std::string::npos);
    // One tile row (decode), few tiles, or 3 tile rows (a third of the CTAs idle): none.
    for (auto [m, n, k] : {std::tuple{64, 16384, 4096}, std::tuple{512, 512, 4096}, std::tuple{384, 32768, 1024}}) {
        ASSERT_TRUE(ptxkit::detail::gemm::plan_sm90(aligned_problem(m, n, k), h100(), plan, why)) << why;
        EXPECT_EQ(plan.cluster_m, 1) << m << "x" << n << "x" << k;
        EXPECT_EQ(std::string(plan.public_plan.config).find("cluster"), std::string::npos);
    }
    // Many tile rows, odd: pairs (one row in 2 * 9 wasted at most).
    ASSERT_TRUE(ptxkit::detail::gemm::plan_sm90(aligned_problem(9 * 128, 16384, 1024), h100(), plan, why)) << why;
    EXPECT_EQ(plan.cluster_m, 2);
}

TEST(Planners, Sm80OnAmpereAndHopper) {
    for (const auto& device : {a100(), h100()}) {
        for (auto [m, n, k] : {std::tuple{4096, 4096, 4096}, std::tuple{1, 4096, 4096}, std::tuple{100, 70, 8}}) {
            Problem p = aligned_problem(m, n, k);
            Plan plan;
            std::string why;
            ASSERT_TRUE(ptxkit::detail::gemm::plan_sm80(p, device, plan, why)) << why;
            EXPECT_EQ(plan.public_plan.path, ptxkit::GemmPath::sm80);
            EXPECT_LE(plan.dynamic_shared_bytes, static_cast<unsigned>(device.shared_memory_per_block_optin));
            const std::int64_t tiles = ((m + plan.public_plan.block_m - 1) / plan.public_plan.block_m) *
                                       ((n + plan.public_plan.block_n - 1) / plan.public_plan.block_n);
            EXPECT_EQ(plan.public_plan.tiles, tiles * plan.public_plan.splits);
        }
    }
}

TEST(Planners, SkinnyDeepShapesSplitKWhenGivenWorkspace) {
    Problem p = aligned_problem(16, 1024, 16384);
    p.workspace = g_fake;
    p.workspace_bytes = std::size_t{1} << 30;
    for (auto plan_fn : {&ptxkit::detail::gemm::plan_sm90, &ptxkit::detail::gemm::plan_sm80}) {
        Plan plan;
        std::string why;
        ASSERT_TRUE(plan_fn(p, h100(), plan, why)) << why;
        EXPECT_GT(plan.public_plan.splits, 1) << plan.public_plan.config;
        EXPECT_GE(plan.k_per_split * plan.public_plan.splits, p.k);
        EXPECT_EQ(plan.k_per_split % plan.public_plan.block_k, 0);
    }
}

// Argument checks: rejected before any driver call, so these pass without a GPU.
void* fake(std::uintptr_t a) { return reinterpret_cast<void*>(a); }

struct Operands {
    TensorView a = TensorView::contiguous(fake(0x100000), DType::bf16, {64, 32});
    TensorView b = TensorView::contiguous(fake(0x200000), DType::bf16, {48, 32});
    TensorView d = TensorView::contiguous(fake(0x300000), DType::bf16, {64, 48});
    ptxkit::GemmOptions o;
    std::string reject() {
        return ptxkit::testing::expect_invalid_argument([&] { ptxkit::gemm(a, b, d, o, nullptr); });
    }
};

TEST(GemmArguments, NamesTheArgument) {
    {
        Operands x;
        x.a.data = nullptr;
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'a': expected a non-null device pointer, got null");
    }
    {
        Operands x;
        x.b.dtype = DType::f16;
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'b': expected dtype bf16, got f16");
    }
    {
        Operands x;
        x.a.dtype = x.b.dtype = DType::f32;
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'a': expected dtype bf16 or f16, got f32");
    }
    {
        Operands x;
        x.b = TensorView::contiguous(fake(0x200000), DType::bf16, {48, 31});
        EXPECT_NE(x.reject().find("argument 'b': expected b.shape[1] = K = 32"), std::string::npos);
    }
    {
        Operands x;
        x.o.b_is_kn = true;  // b is then [K, N] = [48, 32]: K mismatch
        EXPECT_NE(x.reject().find("b.shape[0] = K = 32"), std::string::npos);
    }
    {
        Operands x;
        x.d = TensorView::contiguous(fake(0x300000), DType::bf16, {64, 47});
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'd': expected [M, N] = [64, 48], got [64, 47]");
    }
    {
        Operands x;
        x.a.stride[1] = 2;
        EXPECT_NE(x.reject().find("argument 'a': expected unit stride"), std::string::npos);
    }
    {
        Operands x;
        x.a.stride[0] = 16;
        EXPECT_NE(x.reject().find("leading dimension (stride[0]) of at least 32, got 16"), std::string::npos);
    }
    {
        Operands x;
        x.d.data = fake(0x100010);  // inside A
        EXPECT_NE(x.reject().find("argument 'd': expected memory that does not overlap 'a'"), std::string::npos);
    }
    {
        Operands x;
        x.o.beta = 0.5f;
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'beta': expected 0 when no C is given, got 0.5");
    }
    {
        Operands x;
        x.o.bias = TensorView::contiguous(fake(0x400000), DType::f32, {47});
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'bias': expected [N] = [48], got [47]");
    }
    {
        Operands x;
        x.o.bias = TensorView::contiguous(fake(0x400000), DType::f16, {48});
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'bias': expected dtype f32 or bf16, got f16");
    }
    {
        Operands x;
        x.o.c = TensorView::contiguous(fake(0x300010), DType::bf16, {64, 48});  // shifted view of D
        x.o.beta = 1.0f;
        EXPECT_NE(x.reject().find("does not overlap 'c'"), std::string::npos);
    }
    {
        Operands x;
        x.o.c = TensorView::contiguous(fake(0x500000), DType::f32, {64, 48});
        x.o.beta = 1.0f;
        EXPECT_EQ(x.reject(), "ptxkit::gemm: argument 'c': expected dtype bf16, got f32");
    }
    {
        Operands x;
        x.o.workspace = fake(0x600004);
        EXPECT_NE(x.reject().find("argument 'workspace': expected a pointer aligned to 16 bytes"), std::string::npos);
    }
}

TEST(GemmArguments, CApiReportsTheSameMessage) {
    ptxkit_tensor_t a{}, b{}, d{};
    a.dtype = b.dtype = d.dtype = PTXKIT_BF16;
    a.rank = b.rank = d.rank = 2;
    a.shape[0] = 4;
    a.shape[1] = 8;
    b.shape[0] = 4;
    b.shape[1] = 8;
    d.shape[0] = 4;
    d.shape[1] = 4;
    b.data = fake(0x1000);
    d.data = fake(0x2000);
    EXPECT_EQ(ptxkit_gemm(&a, &b, &d, nullptr, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(), "ptxkit::gemm: argument 'a': expected a non-null device pointer, got null");
    const ptxkit_gemm_options_t o = ptxkit_gemm_default_options();
    EXPECT_EQ(o.alpha, 1.0f);
    EXPECT_EQ(o.beta, 0.0f);
    EXPECT_EQ(o.path, PTXKIT_GEMM_AUTO);
}

}  // namespace
