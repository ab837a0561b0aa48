// The sm80 grouped expert GEMM -> kernels/moe/grouped_gemm_sm80.cu (the
// dense GEMM's mma.sync + cp.async mainloop, gemm/sm80_mainloop.cuh, in a
// persistent loop over the tiles that exist). Every GPU from sm_80 on. Two
// tiles, as the dense GEMM's sm80 family: 128x128x32 (8 warps) and 64x64x32
// (4 warps); the small one for decode-sized problems and for align block_m
// 64, which the large tile's 128 rows would straddle.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "ops/moe_grouped_gemm_internal.hpp"
#include "runtime/launch.hpp"
#include "ops/shared_memory_fit.hpp"

namespace ptxkit::detail::moe_gemm {

namespace {

constexpr const char* kModule = "moe.grouped_gemm_sm80";

// Mirrors sm80_mainloop.cuh's Large and Small (static_asserts in the kernel
// file pin the shared memory and thread counts).
struct Sm80Tile {
    int block_m, block_n, block_k, stages, warps, ctas_per_sm;
    const char* config;
    const char* bf16_kernel;
    const char* f16_kernel;
    unsigned shared_bytes() const { return static_cast<unsigned>(stages * (block_m + block_n) * block_k * 2); }
};

constexpr Sm80Tile kLarge{128, 128, 32, 4, 8, 2, "128x128x32 s4 8w", "ptxkit_moe_gemm_sm80_bf16_128x128x32",
                          "ptxkit_moe_gemm_sm80_f16_128x128x32"};
constexpr Sm80Tile kSmall{64, 64, 32, 4, 4, 4, "64x64x32 s4 4w", "ptxkit_moe_gemm_sm80_bf16_64x64x32",
                          "ptxkit_moe_gemm_sm80_f16_64x64x32"};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

int out_columns(const GroupedProblem& p, const Sm80Tile& t) { return p.swiglu ? t.block_n / 2 : t.block_n; }

std::int64_t max_tiles(const GroupedProblem& p, const Sm80Tile& t) {
    return max_tile_rows(p, t.block_m) * ceil_div(p.n_out, out_columns(p, t));
}

}  // namespace

bool plan_sm80(const GroupedProblem& p, const DeviceProperties& device, GroupedPlan& plan, std::string& why) {
    if (device.cc_major < 8) {
        why = fmt::format("needs compute capability 8.0 or newer (mma.sync bf16, cp.async); the device is {}.{}",
                          device.cc_major, device.cc_minor);
        return false;
    }
    if (p.ab_dtype != DType::bf16 && p.ab_dtype != DType::f16) {
        why = fmt::format("A and the weights must be bf16 or f16, not {}", dtype_name(p.ab_dtype));
        return false;
    }
    if (!p.masked && p.block_m % kSmall.block_m != 0) {
        why = fmt::format("align's block_m must be a multiple of {}, got {}", kSmall.block_m, p.block_m);
        return false;
    }

    // The small tile for short experts (masked capacity <= 64), for block_m 64,
    // and when the large one would leave SMs idle even if every row of the
    // layout held a pair.
    const int sm_count = std::max(device.sm_count, 1);
    const bool large_fits = p.masked ? p.rows > kSmall.block_m : p.block_m % kLarge.block_m == 0;
    const bool small = !large_fits || max_tiles(p, kLarge) < sm_count;
    const Sm80Tile& t = small ? kSmall : kLarge;

    const unsigned shared = t.shared_bytes();
    if (!shared_memory_fits(device, kModule, p.ab_dtype == DType::bf16 ? t.bf16_kernel : t.f16_kernel, shared, why)) {
        return false;
    }

    const int columns = out_columns(p, t);
    const std::int64_t tiles = max_tiles(p, t);
    GroupedGemmPlan& g = plan.public_plan;
    g.path = GemmPath::sm80;
    g.kernel = p.ab_dtype == DType::bf16 ? t.bf16_kernel : t.f16_kernel;
    g.config = t.config;
    g.block_m = t.block_m;
    g.block_n = t.block_n;
    g.max_tiles = tiles;
    g.grid = static_cast<unsigned>(std::clamp<std::int64_t>(tiles, 1, std::int64_t{sm_count} * t.ctas_per_sm));
    plan.block_threads = static_cast<unsigned>(32 * t.warps);
    plan.dynamic_shared_bytes = shared;
    plan.group_m = 8;
    plan.tiles_n = static_cast<int>(ceil_div(p.n_out, columns));
    plan.out_columns = columns;
    return true;
}

void launch_sm80(ContextState& ctx, const GroupedProblem& p, const GroupedPlan& plan, CUstream stream) {
    const ptxkit_moe_gemm_params params = make_params(p, plan);
    const Kernel& kernel = ctx.kernel(kModule, plan.public_plan.kernel);
    LaunchConfig c;
    c.op = p.masked ? "moe.grouped_gemm_masked" : "moe.grouped_gemm";
    c.grid.x = plan.public_plan.grid;
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        c.shapes = fmt::format("E={} {}={} N={} K={} {}->{}{}", p.experts, p.masked ? "capacity" : "rows", p.rows, p.n,
                               p.k, dtype_name(p.ab_dtype), dtype_name(p.d_dtype), p.swiglu ? " swiglu" : "");
        c.config = fmt::format("{} tiles<={} (device-side count)", plan.public_plan.config, plan.public_plan.max_tiles);
    }
    launch(ctx, kernel, c, stream, params);
}

}  // namespace ptxkit::detail::moe_gemm
