// Paged-KV decode attention -> kernels/attention/decode.cu: the split
// heuristic (plan_decode) and the launches (split kernel, then the
// log-sum-exp merge when the keys are split). Design notes:
// docs/kernels/attention_decode.md.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include "ops/attention_internal.hpp"
#include "runtime/launch.hpp"

namespace ptxkit::detail::attention {

namespace {

constexpr const char* kModule = "attention.decode";
constexpr const char* kMergeKernel = "ptxkit_attention_decode_merge";
constexpr unsigned kMergeRowsPerCta = 4;  // kMergeWarps in decode.cu: one warp per output row

// The merge holds one weight per split in shared memory (kMaxSplits in decode.cu).
constexpr int kMaxSplits = 128;
// A split reads at least this many keys: below it the partial output it
// writes and the merge reads back cost more than the parallelism gains.
constexpr std::int64_t kMinKeysPerSplit = 256;
// ... and at least this many keys per query row it holds, so that partial
// traffic (8 bytes per row and element: written, then read by the merge)
// stays under a quarter of the K/V bytes (4 per key and element).
constexpr std::int64_t kMinKeysPerRow = 8;
// Waves the heuristic aims for when the SMs' residency cannot be told.
constexpr int kDefaultCtasPerSm = 2;
// Shared memory the driver reserves per resident CTA.
constexpr int kReservedSharedPerCta = 1024;

// Mirrors DecodeConfig in decode.cu (its static_asserts pin SMEM_BYTES and THREADS).
struct DecodeKernelConfig {
    int head_dim;
    int rows;       // query rows per CTA (16 per warp row)
    int block_n;    // keys per pipeline block: keys_per_split is a multiple of it
    int threads;
    unsigned shared_bytes;
    const char* kernel;
    const char* config;
};

constexpr DecodeKernelConfig kDecodeConfigs[] = {
    {64, 16, 64, 128, 68352, "ptxkit_attention_decode_d64_r16", "D64 rows 16 kblock 64 warps 1x4 s4"},
    {64, 32, 64, 128, 70400, "ptxkit_attention_decode_d64_r32", "D64 rows 32 kblock 64 warps 2x2 s4"},
    {64, 64, 64, 128, 74496, "ptxkit_attention_decode_d64_r64", "D64 rows 64 kblock 64 warps 4x1 s4"},
    {128, 16, 32, 64, 70400, "ptxkit_attention_decode_d128_r16", "D128 rows 16 kblock 32 warps 1x2 s4"},
    {128, 32, 32, 128, 74496, "ptxkit_attention_decode_d128_r32", "D128 rows 32 kblock 32 warps 2x2 s4"},
    {128, 64, 32, 128, 82688, "ptxkit_attention_decode_d128_r64", "D128 rows 64 kblock 32 warps 4x1 s4"},
    {256, 16, 32, 64, 74496, "ptxkit_attention_decode_d256_r16", "D256 rows 16 kblock 32 warps 1x2 s2"},
    {256, 32, 32, 128, 82688, "ptxkit_attention_decode_d256_r32", "D256 rows 32 kblock 32 warps 2x2 s2"},
    {256, 64, 32, 128, 99072, "ptxkit_attention_decode_d256_r64", "D256 rows 64 kblock 32 warps 4x1 s2"},
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The smallest row configuration that holds a KV head's rows in one CTA;
// beyond 64 rows, chunks of 64 (one CTA each).
const DecodeKernelConfig& config_for(std::int64_t head_dim, std::int64_t rows) {
    const int d = head_dim <= 64 ? 64 : head_dim <= 128 ? 128 : 256;
    const int want = rows <= 16 ? 16 : rows <= 32 ? 32 : 64;
    for (const DecodeKernelConfig& c : kDecodeConfigs) {
        if (c.head_dim == d && c.rows == want) return c;
    }
    return kDecodeConfigs[std::size(kDecodeConfigs) - 1];
}

// Partial outputs [splits, B, q_len, Hq, D] then partial lse [splits, B,
// q_len, Hq], both fp32. D >= 64, so the first part is a multiple of 256
// bytes and the lse planes start aligned (the workspace itself is 16-byte
// aligned, checked in attention.cpp).
std::size_t workspace_for(int splits, std::int64_t rows_all, std::int64_t head_dim) {
    if (splits <= 1) return 0;
    return static_cast<std::size_t>(splits) * static_cast<std::size_t>(rows_all) *
           static_cast<std::size_t>(head_dim + 1) * 4;
}

}  // namespace

DecodePlan plan_decode(std::int64_t batch, std::int64_t q_len, std::int64_t heads_q, std::int64_t heads_kv,
                       std::int64_t head_dim, std::int64_t max_seq_len, std::int64_t window_left,
                       std::size_t workspace_bytes, int forced_splits, const DeviceProperties& device) {
    const std::int64_t group = heads_kv > 0 ? heads_q / heads_kv : heads_q;
    const std::int64_t rows = std::max<std::int64_t>(q_len * group, 1);
    const DecodeKernelConfig& cfg = config_for(head_dim, rows);
    const std::int64_t row_chunks = ceil_div(rows, cfg.rows);
    const std::int64_t items = std::max<std::int64_t>(batch, 0) * std::max<std::int64_t>(heads_kv, 0) * row_chunks;
    const std::int64_t rows_all = std::max<std::int64_t>(batch, 0) * q_len * heads_q;
    // The keys one sequence's splits divide: all of them, or with a sliding
    // window those from the first query's window on, which start at most
    // block_n - 1 keys after the block boundary the kernel rounds down to.
    std::int64_t keys = std::max<std::int64_t>(max_seq_len, 0);
    if (window_left >= 0) keys = std::min(keys, q_len + window_left + cfg.block_n - 1);
    const std::int64_t key_blocks = ceil_div(keys, cfg.block_n);

    // Splits the length allows: every split at least one block (forced), or
    // at least the minimum keys (heuristic).
    const std::int64_t rows_per_cta = std::min<std::int64_t>(rows, cfg.rows);
    const std::int64_t min_keys = std::max(kMinKeysPerSplit, kMinKeysPerRow * rows_per_cta);
    const std::int64_t min_blocks = ceil_div(min_keys, cfg.block_n);
    // The grid (items * splits CTAs) stays within gridDim.x.
    const std::int64_t max_by_grid =
        items > 0 ? std::max<std::int64_t>(1, std::numeric_limits<std::int32_t>::max() / items) : 1;

    std::int64_t splits = 1;
    if (forced_splits > 0) {
        splits = std::min<std::int64_t>({forced_splits, kMaxSplits, std::max<std::int64_t>(key_blocks, 1)});
    } else if (items > 0) {
        // Enough CTAs for every SM to hold as many as its shared memory
        // allows (at least 2), so that several blocks of K/V are in flight
        // per SM; never more splits than the length gives minimum-size ones.
        int per_sm = kDefaultCtasPerSm;
        if (device.shared_memory_per_sm > 0) {
            per_sm = std::max(per_sm, device.shared_memory_per_sm /
                                          static_cast<int>(cfg.shared_bytes + kReservedSharedPerCta));
        }
        const std::int64_t target = static_cast<std::int64_t>(std::max(device.sm_count, 1)) * per_sm;
        splits = std::min<std::int64_t>({ceil_div(target, items), kMaxSplits,
                                         std::max<std::int64_t>(key_blocks / min_blocks, 1)});
    }
    splits = std::max<std::int64_t>(1, std::min(splits, max_by_grid));
    // With less workspace than the count needs, the most splits that fit.
    while (splits > 1 && workspace_for(static_cast<int>(splits), rows_all, head_dim) > workspace_bytes) --splits;

    // Whole blocks per split. The rounding can leave trailing splits that
    // start past max_seq_len: the heuristic drops them; a forced count keeps
    // them (they write lse = -inf and the merge skips them), so tests get the
    // count they ask for.
    std::int64_t blocks_per_split = std::max<std::int64_t>(ceil_div(key_blocks, splits), 1);
    if (forced_splits <= 0 && splits > 1) splits = std::max<std::int64_t>(1, ceil_div(key_blocks, blocks_per_split));

    DecodePlan plan;
    plan.splits = static_cast<int>(splits);
    // int32 in the parameter block; the kernel's last split runs to seq_len
    // anyway, so the clamp (lengths within 64 keys of INT32_MAX) loses nothing.
    plan.keys_per_split = static_cast<int>(std::min<std::int64_t>(
        blocks_per_split * cfg.block_n, std::numeric_limits<std::int32_t>::max() / cfg.block_n * cfg.block_n));
    plan.workspace_bytes = workspace_for(plan.splits, rows_all, head_dim);
    plan.block_threads = static_cast<unsigned>(cfg.threads);
    plan.dynamic_shared_bytes = cfg.shared_bytes;
    AttentionPlan& pub = plan.public_plan;
    pub.path = AttentionPath::sm80;
    pub.kernel = cfg.kernel;
    pub.config = cfg.config;
    pub.block_m = cfg.rows;
    pub.block_n = cfg.block_n;
    pub.tiles = items;
    pub.splits = plan.splits;
    pub.grid = static_cast<unsigned>(std::min<std::int64_t>(items * splits, std::numeric_limits<std::int32_t>::max()));
    return plan;
}

void launch_decode(ContextState& ctx, const DecodeProblem& p, const DecodePlan& plan, CUstream stream) {
    if (plan.public_plan.grid == 0) return;
    ptxkit_attention_decode_params params = p.params;
    params.splits = plan.splits;
    params.keys_per_split = plan.keys_per_split;
    params.partial_o = nullptr;
    params.partial_lse = nullptr;
    const std::int64_t rows_all = std::int64_t{params.batch} * params.q_len * params.heads_q;
    if (plan.splits > 1) {
        auto* const base = static_cast<float*>(p.workspace);
        params.partial_o = base;
        params.partial_lse = base + static_cast<std::int64_t>(plan.splits) * rows_all * params.head_dim;
    }

    std::string shapes;
    if (log_enabled()) {
        shapes = fmt::format("B={} q_len={} Hq={} Hkv={} D={} {} page_size={} max_seq_len={}{}{}", params.batch,
                             params.q_len, params.heads_q, params.heads_kv, params.head_dim, dtype_name(p.dtype),
                             params.page_size, params.max_seq_len, params.window_left >= 0 ? " window" : "",
                             params.softcap > 0.0f ? " softcap" : "");
    }
    LaunchConfig c;
    c.op = "attention_decode";
    c.grid.x = plan.public_plan.grid;
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        c.shapes = shapes;
        c.config = fmt::format("{} splits={} keys_per_split={}{}", plan.public_plan.config, plan.splits,
                               plan.keys_per_split, plan.splits > 1 ? " (partials to workspace)" : "");
    }
    launch(ctx, ctx.kernel(kModule, plan.public_plan.kernel), c, stream, params);

    if (plan.splits > 1) {
        LaunchConfig m;
        m.op = "attention_decode(merge)";
        m.grid.x = static_cast<unsigned>(ceil_div(rows_all, kMergeRowsPerCta));
        m.block.x = 32 * kMergeRowsPerCta;
        if (log_enabled()) {
            m.shapes = shapes;
            m.config = fmt::format("{} splits, {} rows, one warp per row", plan.splits, rows_all);
        }
        launch(ctx, ctx.kernel(kModule, kMergeKernel), m, stream, params);
    }
}

}  // namespace ptxkit::detail::attention
