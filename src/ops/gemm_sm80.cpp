// The sm80 GEMM family -> kernels/gemm/sm80_gemm.cu: mma.sync m16n8k16 with a
// cp.async pipeline, on sm_80 and later, for 16-byte aligned bf16/f16
// problems. Two tiles: 128x128x32 (8 warps) for large outputs, 64x64x32
// (4 warps) for decode shapes and for outputs the large tile cannot spread
// over the SMs. Design: docs/kernels/gemm_sm80.md.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "ops/gemm_internal.hpp"
#include "runtime/launch.hpp"
#include "ops/shared_memory_fit.hpp"

namespace ptxkit::detail::gemm {

namespace {

constexpr const char* kModule = "gemm.sm80_gemm";

// Mirrors TileConfig in sm80_gemm.cu (static_asserts there pin the shared
// memory and thread counts).
struct Sm80Tile {
    int block_m, block_n, block_k, stages, warps;
    const char* config;
    const char* bf16_kernel;
    const char* f16_kernel;
    unsigned shared_bytes() const {
        return static_cast<unsigned>(stages * (block_m + block_n) * block_k * 2);
    }
};

constexpr Sm80Tile kLarge{128, 128, 32, 4, 8, "128x128x32 s4 8w", "ptxkit_gemm_sm80_bf16_128x128x32",
                          "ptxkit_gemm_sm80_f16_128x128x32"};
constexpr Sm80Tile kSmall{64, 64, 32, 4, 4, "64x64x32 s4 4w", "ptxkit_gemm_sm80_bf16_64x64x32",
                          "ptxkit_gemm_sm80_f16_64x64x32"};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::int64_t tiles_for(const Problem& p, const Sm80Tile& t) {
    return ceil_div(p.m, t.block_m) * ceil_div(p.n, t.block_n);
}

}  // namespace

bool plan_sm80(const Problem& p, const DeviceProperties& device, Plan& plan, std::string& why) {
    if (device.cc_major < 8) {
        why = fmt::format("needs compute capability 8.0 or newer (mma.sync bf16, cp.async); the device is {}.{}",
                          device.cc_major, device.cc_minor);
        return false;
    }
    if (p.ab_dtype != DType::bf16 && p.ab_dtype != DType::f16) {
        why = fmt::format("A and B must be bf16 or f16, not {}", dtype_name(p.ab_dtype));
        return false;
    }
    if (!p.aligned16()) {
        why = "needs 16-byte aligned A, B, C and D and leading dimensions that are multiples of 8 elements "
              "(16-byte cp.async copies)";
        return false;
    }

    // The small tile for decode shapes, and whenever the large one would leave
    // SMs idle (fewer CTAs than SMs): 4x the CTAs for the same output.
    const int sm_count = std::max(device.sm_count, 1);
    const bool small = p.m <= 64 || tiles_for(p, kLarge) < sm_count;
    const Sm80Tile& t = small ? kSmall : kLarge;

    const unsigned shared = t.shared_bytes();
    if (!shared_memory_fits(device, kModule, p.ab_dtype == DType::bf16 ? t.bf16_kernel : t.f16_kernel, shared, why)) {
        return false;
    }

    const std::int64_t tiles = tiles_for(p, t);
    int splits = choose_splits(tiles, device.sm_count, p.k, t.block_k, p.workspace_bytes, p.m, p.n);
    // Slices of whole K blocks (the kernel's K ranges start at multiples of
    // block_k); drop the slices that rounding up left empty.
    const std::int64_t k_blocks = std::max<std::int64_t>(ceil_div(p.k, t.block_k), 1);
    std::int64_t k_per_split = ceil_div(k_blocks, splits) * t.block_k;
    if (splits > 1) {
        splits = static_cast<int>(ceil_div(std::max<std::int64_t>(p.k, 1), k_per_split));
        if (splits <= 1) {
            splits = 1;
            k_per_split = k_blocks * t.block_k;
        }
    }
    const std::int64_t ctas = tiles * splits;
    if (ctas > std::numeric_limits<std::int32_t>::max()) {
        why = fmt::format("{} CTAs exceed the grid limit", ctas);
        return false;
    }

    GemmPlan& g = plan.public_plan;
    g.path = GemmPath::sm80;
    g.kernel = p.ab_dtype == DType::bf16 ? t.bf16_kernel : t.f16_kernel;
    g.config = t.config;
    g.block_m = t.block_m;
    g.block_n = t.block_n;
    g.block_k = t.block_k;
    g.splits = splits;
    g.tiles = ctas;
    g.grid = static_cast<unsigned>(ctas);
    plan.stages = t.stages;
    plan.block_threads = static_cast<unsigned>(32 * t.warps);
    plan.dynamic_shared_bytes = shared;
    plan.group_m = 8;
    plan.k_per_split = k_per_split;
    return true;
}

void launch_sm80(ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream) {
    const auto params = make_params(p, plan);
    const Kernel& kernel = ctx.kernel(kModule, plan.public_plan.kernel);
    LaunchConfig c;
    c.op = "gemm";
    c.grid.x = plan.public_plan.grid;
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        c.shapes = fmt::format("M={} N={} K={} {}{}", p.m, p.n, p.k, dtype_name(p.ab_dtype), p.b_kn ? " B[K,N]" : "");
        c.config = plan.public_plan.splits > 1
                       ? fmt::format("{} splits={} k_per_split={}", plan.public_plan.config, plan.public_plan.splits,
                                     plan.k_per_split)
                       : std::string(plan.public_plan.config);
    }
    launch(ctx, kernel, c, stream, params);
}

}  // namespace ptxkit::detail::gemm
