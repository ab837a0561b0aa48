// The sm90 grouped expert GEMM -> kernels/moe/grouped_gemm_sm90.cu (the
// dense GEMM's TMA + wgmma mainloop, gemm/sm90_mainloop.cuh, with a grouped
// schedule). The tile sizes, stage counts and shared-memory layout below
// mirror sm90_mainloop.cuh's Config<BLOCK_N>, as src/ops/gemm_sm90.cpp does.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "driver/check.hpp"
#include "ops/tensor_map.hpp"
#include "ops/moe_grouped_gemm_internal.hpp"
#include "ops/sm90_mainloop_plan.hpp"
#include "ptxkit/error.hpp"
#include "runtime/launch.hpp"
#include "ops/shared_memory_fit.hpp"

namespace ptxkit::detail::moe_gemm {

namespace {

constexpr const char* kModule = "moe.grouped_gemm_sm90";
using sm90_mainloop::ceil_div;
using sm90_mainloop::kBlockK;
using sm90_mainloop::kBlockM;
using sm90_mainloop::kThreads;
constexpr int kGroupM = 8;

struct TileConfig {
    int block_n;
    int stages;
    const char* config;
    const char* kernel_bf16;
    const char* kernel_f16;
};

constexpr TileConfig kWide{256, 4, "128x256x64 s4 2cons", "ptxkit_moe_gemm_sm90_bf16_128x256",
                           "ptxkit_moe_gemm_sm90_f16_128x256"};
constexpr TileConfig kNarrow{128, 6, "128x128x64 s6 2cons", "ptxkit_moe_gemm_sm90_bf16_128x128",
                             "ptxkit_moe_gemm_sm90_f16_128x128"};

unsigned shared_bytes(const TileConfig& t) { return sm90_mainloop::shared_bytes(t.block_n, t.stages); }

int out_columns(const GroupedProblem& p, const TileConfig& t) { return p.swiglu ? t.block_n / 2 : t.block_n; }

// The dense GEMM's model (sm90_mainloop_plan.hpp) over the most tile rows the
// layout can hold (the device knows the real number).
const TileConfig& choose_tile(const GroupedProblem& p, int sm_count) {
    const std::int64_t tile_rows = std::max<std::int64_t>(max_tile_rows(p, kBlockM), 1);
    return sm90_mainloop::prefer_wide_tile(tile_rows, ceil_div(p.n_out, out_columns(p, kWide)),
                                           ceil_div(p.n_out, out_columns(p, kNarrow)), sm_count)
               ? kWide
               : kNarrow;
}

// 3-D, innermost first: {K, rows, batches}, 128-byte swizzle, box {64, box_rows, 1};
// elements outside the tensor read as zeros (the K, N and row edges).
CUtensorMap make_tensor_map(const char* what, const void* base, DType dtype, std::int64_t k, std::int64_t rows,
                            std::int64_t batches, std::int64_t ld, std::int64_t batch_stride, int box_rows) {
    return encode_tiled_map(fmt::format("{}: [{}, {}, {}], row stride {}, batch stride {}", what, batches, rows, k, ld,
                                        batch_stride),
                            base, dtype,
                            {static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(rows),
                             static_cast<std::uint64_t>(batches)},
                            {static_cast<std::uint64_t>(ld) * 2, static_cast<std::uint64_t>(batch_stride) * 2},
                            {static_cast<std::uint32_t>(kBlockK), static_cast<std::uint32_t>(box_rows), 1u});
}

// The batch stride of A's map: masked, the experts' stride; contiguous, one
// batch whose stride is never used but must still be a valid TMA stride.
std::int64_t a_map_batch_stride(const GroupedProblem& p) {
    return p.masked ? p.a_batch_stride : std::max<std::int64_t>(p.rows, 1) * p.lda;
}

}  // namespace

bool plan_sm90(const GroupedProblem& p, const DeviceProperties& device, GroupedPlan& plan, std::string& why) {
    if (device.cc_major != 9 || device.cc_minor != 0) {
        why = fmt::format("needs sm_90 (compute capability 9.0); the device is {}.{}", device.cc_major,
                          device.cc_minor);
        return false;
    }
    if (p.ab_dtype != DType::bf16 && p.ab_dtype != DType::f16) {
        why = fmt::format("A and the weights must be bf16 or f16, got {}", dtype_name(p.ab_dtype));
        return false;
    }
    if (!p.masked && p.block_m % kBlockM != 0) {
        why = fmt::format("align's block_m must be a multiple of the {}-row tile, got {}", kBlockM, p.block_m);
        return false;
    }
    const auto byte_stride_ok = [](std::int64_t elements) {
        return static_cast<std::uint64_t>(elements) * 2 < kMaxTmaStrideBytes;
    };
    if (!byte_stride_ok(p.lda) || !byte_stride_ok(p.ldb) || !byte_stride_ok(p.b_expert_stride) ||
        !byte_stride_ok(a_map_batch_stride(p))) {
        why = "a row or expert stride of 2^40 bytes or more (the TMA limit)";
        return false;
    }

    const TileConfig& t = choose_tile(p, device.sm_count);
    const unsigned smem = shared_bytes(t);
    if (!shared_memory_fits(device, kModule, p.ab_dtype == DType::bf16 ? t.kernel_bf16 : t.kernel_f16, smem, why)) {
        return false;
    }

    const int columns = out_columns(p, t);
    const std::int64_t tiles_n = ceil_div(p.n_out, columns);
    const std::int64_t max_tiles = max_tile_rows(p, kBlockM) * tiles_n;
    GroupedGemmPlan& g = plan.public_plan;
    g.path = GemmPath::sm90;
    g.kernel = p.ab_dtype == DType::bf16 ? t.kernel_bf16 : t.kernel_f16;
    g.config = t.config;
    g.block_m = kBlockM;
    g.block_n = t.block_n;
    g.max_tiles = max_tiles;
    g.grid = static_cast<unsigned>(std::clamp<std::int64_t>(max_tiles, 1, std::max(device.sm_count, 1)));
    plan.block_threads = kThreads;
    plan.dynamic_shared_bytes = smem;
    plan.group_m = kGroupM;
    plan.tiles_n = static_cast<int>(tiles_n);
    plan.out_columns = columns;
    return true;
}

void launch_sm90(ContextState& ctx, const GroupedProblem& p, const GroupedPlan& plan, CUstream stream) {
    const GroupedGemmPlan& g = plan.public_plan;
    const ptxkit_moe_gemm_params params = make_params(p, plan);
    const CUtensorMap tma_a = make_tensor_map("a", p.a, p.ab_dtype, p.k, p.rows, p.masked ? p.experts : 1, p.lda,
                                              a_map_batch_stride(p), kBlockM);
    const CUtensorMap tma_b = make_tensor_map("weights", p.b, p.ab_dtype, p.k, p.n, p.experts, p.ldb,
                                              p.b_expert_stride, p.swiglu ? g.block_n / 2 : g.block_n);

    const Kernel& kernel = ctx.kernel(kModule, g.kernel);
    LaunchConfig c;
    c.op = p.masked ? "moe.grouped_gemm_masked" : "moe.grouped_gemm";
    c.grid.x = g.grid;
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        c.shapes = fmt::format("E={} {}={} N={} K={} {}->{}{}", p.experts, p.masked ? "capacity" : "rows", p.rows, p.n,
                               p.k, dtype_name(p.ab_dtype), dtype_name(p.d_dtype), p.swiglu ? " swiglu" : "");
        c.config = fmt::format("{} tiles<={} (device-side count)", g.config, g.max_tiles);
    }
    launch(ctx, kernel, c, stream, tma_a, tma_b, params);
}

}  // namespace ptxkit::detail::moe_gemm
