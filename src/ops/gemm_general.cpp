// The general GEMM family -> kernels/gemm/general.cu: every problem the
// tensor-core paths cannot take (unaligned pointers or leading dimensions,
// devices older than sm_80).
#include <fmt/format.h>

#include <algorithm>

#include "ops/gemm_internal.hpp"
#include "runtime/launch.hpp"

namespace ptxkit::detail::gemm {

namespace {
constexpr int kBlockM = 64, kBlockN = 64, kBlockK = 16;
}

bool plan_general(const Problem& p, const DeviceProperties& device, Plan& plan, std::string& why) {
    (void)why;  // serves every problem
    GemmPlan& g = plan.public_plan;
    g.path = GemmPath::general;
    g.kernel = "ptxkit_gemm_general";
    g.config = "64x64x16 simt";
    g.block_m = kBlockM;
    g.block_n = kBlockN;
    g.block_k = kBlockK;
    const std::int64_t tiles = ((p.m + kBlockM - 1) / kBlockM) * ((p.n + kBlockN - 1) / kBlockN);
    g.splits = choose_splits(tiles, device.sm_count, p.k, kBlockK, p.workspace_bytes, p.m, p.n);
    const std::int64_t k_blocks = (p.k + kBlockK - 1) / kBlockK;
    const std::int64_t blocks_per_split = (k_blocks + g.splits - 1) / g.splits;
    plan.k_per_split = blocks_per_split * kBlockK;
    // Rounding may leave fewer non-empty slices than asked for: count those.
    g.splits = static_cast<int>(std::max<std::int64_t>(1, (k_blocks + blocks_per_split - 1) / blocks_per_split));
    g.tiles = tiles * g.splits;
    g.grid = static_cast<unsigned>(g.tiles);
    plan.block_threads = 256;
    plan.group_m = 8;
    return true;
}

void launch_general(ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream) {
    const auto params = make_params(p, plan);
    const Kernel& k = ctx.kernel("gemm.general", plan.public_plan.kernel);
    LaunchConfig c;
    c.op = "gemm";
    c.grid.x = plan.public_plan.grid;
    c.block.x = plan.block_threads;
    if (log_enabled()) {
        c.shapes = fmt::format("M={} N={} K={} {}{}", p.m, p.n, p.k, dtype_name(p.ab_dtype), p.b_kn ? " B[K,N]" : "");
        c.config = fmt::format("{} splits={}", plan.public_plan.config, plan.public_plan.splits);
    }
    launch(ctx, k, c, stream, params);
}

}  // namespace ptxkit::detail::gemm
