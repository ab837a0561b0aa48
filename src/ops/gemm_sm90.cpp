// The sm90 GEMM family -> kernels/gemm/sm90_gemm.cu (TMA + wgmma, warp
// specialised, persistent). Design: docs/kernels/gemm_sm90.md.
//
// The tile sizes, stage counts and shared-memory layout below must match the
// kernel's Config<BLOCK_N>; the kernel's own static_asserts guard its side.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "driver/check.hpp"
#include "ops/gemm_internal.hpp"
#include "ops/sm90_mainloop_plan.hpp"
#include "ops/tensor_map.hpp"
#include "ptxkit/error.hpp"
#include "runtime/launch.hpp"
#include "ops/shared_memory_fit.hpp"

namespace ptxkit::detail::gemm {

namespace {

using sm90_mainloop::ceil_div;
using sm90_mainloop::kBlockK;
using sm90_mainloop::kBlockM;
using sm90_mainloop::kThreads;
constexpr int kGroupM = 8;

// Kernels per B layout: [0] B [N, K] (K-major), [1] B [K, N] (N-major, "_kn");
// configuration names per layout and cluster size ([.][0]: 1 CTA, [.][1]: 2).
struct TileConfig {
    int block_n;
    int stages;
    const char* config[2][2];
    const char* kernel_bf16[2];
    const char* kernel_f16[2];
};

constexpr TileConfig kWide{256,
                           4,
                           {{"128x256x64 s4 2cons", "128x256x64 s4 2cons cluster2x1"},
                            {"128x256x64 s4 2cons B[K,N]", "128x256x64 s4 2cons cluster2x1 B[K,N]"}},
                           {"ptxkit_gemm_sm90_bf16_128x256", "ptxkit_gemm_sm90_bf16_128x256_kn"},
                           {"ptxkit_gemm_sm90_f16_128x256", "ptxkit_gemm_sm90_f16_128x256_kn"}};
constexpr TileConfig kNarrow{128,
                             6,
                             {{"128x128x64 s6 2cons", "128x128x64 s6 2cons cluster2x1"},
                              {"128x128x64 s6 2cons B[K,N]", "128x128x64 s6 2cons cluster2x1 B[K,N]"}},
                             {"ptxkit_gemm_sm90_bf16_128x128", "ptxkit_gemm_sm90_bf16_128x128_kn"},
                             {"ptxkit_gemm_sm90_f16_128x128", "ptxkit_gemm_sm90_f16_128x128_kn"}};

// Clusters of two CTAs along M sharing each B tile through TMA multicast
// (kernels/gemm/sm90_mainloop.cuh): a third less L2 -> shared-memory traffic
// per tile, which pays when every SM is busy (at least a wave of tiles) and
// costs a CTA slot per cluster whose second tile lies past M, so only with an
// even number of tile rows or many of them.
// PTXKIT_GEMM_SM90_NO_CLUSTER=1 turns them off (a bring-up diagnostic).
bool use_cluster(std::int64_t tiles_m, std::int64_t tiles, int sm_count) {
    static const bool disabled = env_flag("PTXKIT_GEMM_SM90_NO_CLUSTER");
    return !disabled && tiles_m >= 2 && (tiles_m % 2 == 0 || tiles_m >= 8) && tiles >= std::max(sm_count, 1);
}
// An N-major B tile is loaded as BLOCK_N / 64 boxes of 64 N x 64 K (sm90_mainloop.cuh, BLayout::MNMajor).
constexpr int kBBoxN = 64;
// The TMA-store epilogue writes 64 columns x 64 rows (one consumer's slab) per store.
constexpr int kEpilogueBoxCols = 64;
constexpr int kEpilogueBoxRows = 64;

// The dense GEMM always reserves the TMA-store epilogue's staging buffers.
unsigned shared_bytes(const TileConfig& t) { return sm90_mainloop::shared_bytes_with_epilogue(t.block_n, t.stages); }

// The wide tile unless the narrow one fills the SMs better (sm90_mainloop_plan.hpp).
const TileConfig& choose_tile(const Problem& p, int sm_count) {
    return sm90_mainloop::prefer_wide_tile(ceil_div(p.m, kBlockM), ceil_div(p.n, kWide.block_n),
                                           ceil_div(p.n, kNarrow.block_n), sm_count)
               ? kWide
               : kNarrow;
}

CUtensorMap make_tensor_map(const char* what, const void* base, DType dtype, std::int64_t rows, std::int64_t cols,
                            std::int64_t ld, int box_cols, int box_rows) {
    // 2-D, innermost dimension first: {cols, rows}, row pitch ld elements.
    // The box is box_cols = 64 elements (128 bytes, the 128B swizzle span) by
    // box_rows. A and a K-major B: {K, M or N}; an N-major B: {N, K}; D: {N, M}.
    const auto element_bytes = static_cast<std::uint64_t>(dtype_size(dtype));
    return encode_tiled_map(fmt::format("{}: [{}, {}], ld {}", what, rows, cols, ld), base, dtype,
                            {static_cast<std::uint64_t>(cols), static_cast<std::uint64_t>(rows)},
                            {static_cast<std::uint64_t>(ld) * element_bytes},
                            {static_cast<std::uint32_t>(box_cols), static_cast<std::uint32_t>(box_rows)});
}

}  // namespace

bool plan_sm90(const Problem& p, const DeviceProperties& device, Plan& plan, std::string& why) {
    if (device.cc_major != 9 || device.cc_minor != 0) {
        why = fmt::format("needs sm_90 (compute capability 9.0); the device is {}.{}", device.cc_major,
                          device.cc_minor);
        return false;
    }
    if (p.ab_dtype != DType::bf16 && p.ab_dtype != DType::f16) {
        why = fmt::format("A and B must be bf16 or f16, got {}", dtype_name(p.ab_dtype));
        return false;
    }
    if (!p.aligned16()) {
        why = "pointers/leading dimensions not 16-byte aligned";
        return false;
    }
    if (p.m < 1 || p.n < 1 || p.k < 1) {
        why = "M, N and K must be at least 1 (K = 0 is served by the epilogue-only kernel)";
        return false;
    }
    const auto stride_ok = [&](std::int64_t ld, DType dtype) {
        return static_cast<std::uint64_t>(ld) < kMaxTmaStrideBytes / dtype_size(dtype);
    };
    if (!stride_ok(p.lda, p.ab_dtype) || !stride_ok(p.ldb, p.ab_dtype) || !stride_ok(p.ldd, p.cd_dtype)) {
        why = "a leading dimension of 2^40 bytes or more (the limit of a TMA tensor map's strides)";
        return false;
    }
    constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();  // TMA coordinates are s32
    if (p.m > kMax || p.n > kMax || p.k > kMax) {
        why = "M, N and K must fit in 32-bit TMA coordinates";
        return false;
    }

    const TileConfig& t = choose_tile(p, device.sm_count);
    const unsigned smem = shared_bytes(t);
    const int layout = p.b_kn ? 1 : 0;
    const char* kernel = p.ab_dtype == DType::bf16 ? t.kernel_bf16[layout] : t.kernel_f16[layout];
    if (!shared_memory_fits(device, "gemm.sm90_gemm", kernel, smem, why)) return false;

    const std::int64_t tiles = ceil_div(p.m, kBlockM) * ceil_div(p.n, t.block_n);
    int splits = choose_splits(tiles, device.sm_count, p.k, kBlockK, p.workspace_bytes, p.m, p.n);
    std::int64_t k_per_split = p.k;
    if (splits > 1) {
        // Whole K blocks per slice: a slice's last TMA box must not reach into
        // the next slice (TMA zero-fills only past the end of K). Rounding up
        // can leave trailing slices empty, so recount them.
        k_per_split = ceil_div(ceil_div(p.k, splits), kBlockK) * kBlockK;
        splits = static_cast<int>(ceil_div(p.k, k_per_split));
        if (splits <= 1) {
            splits = 1;
            k_per_split = p.k;
        }
    }

    const std::int64_t tiles_m = ceil_div(p.m, kBlockM);
    const int cluster = use_cluster(tiles_m, tiles * splits, device.sm_count) ? 2 : 1;
    // Work items: groups of `cluster` tile rows x tile columns x slices.
    const std::int64_t items = ceil_div(tiles_m, cluster) * ceil_div(p.n, t.block_n) * splits;
    const std::int64_t clusters = std::min<std::int64_t>(items, std::max(device.sm_count / cluster, 1));

    GemmPlan& g = plan.public_plan;
    g.path = GemmPath::sm90;
    g.kernel = kernel;
    g.config = t.config[layout][cluster - 1];
    g.block_m = kBlockM;
    g.block_n = t.block_n;
    g.block_k = kBlockK;
    g.splits = splits;
    g.tiles = tiles * splits;
    g.grid = static_cast<unsigned>(clusters * cluster);  // persistent: at most one CTA per SM
    plan.stages = t.stages;
    plan.block_threads = kThreads;
    plan.dynamic_shared_bytes = smem;
    plan.group_m = kGroupM;
    plan.k_per_split = k_per_split;
    plan.cluster_m = cluster;
    return true;
}

void launch_sm90(ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream) {
    const GemmPlan& g = plan.public_plan;
    ptxkit_gemm_params params = make_params(p, plan);
    // 16-bit D without split-K goes out through TMA stores (stmatrix-staged,
    // clipped at the edges, overlapping the next tile); f32 D and split-K
    // partial sums are stored from registers.
    // PTXKIT_GEMM_SM90_REGISTER_EPILOGUE=1 forces the register stores: a
    // diagnostic that tells an epilogue fault from a mainloop one.
    static const bool force_registers = env_flag("PTXKIT_GEMM_SM90_REGISTER_EPILOGUE");
    const bool d_tma_store =
        !force_registers && g.splits == 1 && (p.cd_dtype == DType::bf16 || p.cd_dtype == DType::f16);
    params.d_tma_store = d_tma_store ? 1 : 0;
    if (g.splits > 1 && params.workspace == nullptr) {
        throw Error(Status::internal, "ptxkit::gemm (sm90): split-K planned without a workspace");
    }
    const CUtensorMap tma_a = make_tensor_map("A", p.a, p.ab_dtype, p.m, p.k, p.lda, kBlockK, kBlockM);
    // In a cluster of two each CTA loads half of a K-major B tile (an N-major
    // one is loaded in 64-column boxes either way).
    const int cluster = plan.cluster_m;
    const CUtensorMap tma_b = p.b_kn ? make_tensor_map("B [K, N]", p.b, p.ab_dtype, p.k, p.n, p.ldb, kBBoxN, kBlockK)
                                     : make_tensor_map("B", p.b, p.ab_dtype, p.n, p.k, p.ldb, kBlockK, g.block_n / cluster);
    // Unused (never read by the kernel) unless d_tma_store.
    const CUtensorMap tma_d = d_tma_store ? make_tensor_map("D", p.d, p.cd_dtype, p.m, p.n, p.ldd, kEpilogueBoxCols,
                                                            kEpilogueBoxRows)
                                          : CUtensorMap{};

    const Kernel& kernel = ctx.kernel("gemm.sm90_gemm", g.kernel);
    LaunchConfig c;
    c.op = "gemm";
    c.grid.x = g.grid;
    ContextState::ClusterOccupancy occupancy;
    if (cluster > 1) {
        // A persistent grid must be resident at once: no more clusters than
        // the GPU can hold together (GPCs may not pair up every SM).
        c.cluster.x = static_cast<unsigned>(cluster);
        occupancy = ctx.max_active_clusters(kernel, plan.block_threads, plan.dynamic_shared_bytes, c.cluster.x);
        if (occupancy.clusters > 0) {
            c.grid.x = std::min(c.grid.x, static_cast<unsigned>(occupancy.clusters) * c.cluster.x);
        }
    }
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        c.shapes = fmt::format("M={} N={} K={} {}{}", p.m, p.n, p.k, dtype_name(p.ab_dtype), p.b_kn ? " B[K,N]" : "");
        c.config = fmt::format("{} splits={} tiles={} epilogue={}", g.config, g.splits, g.tiles,
                               d_tma_store ? "stmatrix+TMA store" : "registers");
        if (occupancy.error != CUDA_SUCCESS) {
            c.config += fmt::format(" grid-uncapped(cuOccupancyMaxActiveClusters: {})",
                                    driver_error_name(occupancy.error));
        }
    }
    launch(ctx, kernel, c, stream, tma_a, tma_b, tma_d, params);
}

}  // namespace ptxkit::detail::gemm
