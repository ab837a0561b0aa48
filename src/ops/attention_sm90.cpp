// The sm90 prefill attention family -> kernels/attention/prefill_sm90.cu (TMA +
// wgmma, warp specialised, ping-pong consumers, persistent CTAs). Design:
// docs/kernels/attention_sm90.md.
//
// The tile sizes, stage counts and shared-memory layout below must match the
// kernel's Config<D>; the kernel's own static_asserts guard its side.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "driver/check.hpp"
#include "ops/tensor_map.hpp"
#include "ops/attention_internal.hpp"
#include "ptxkit/error.hpp"
#include "runtime/launch.hpp"
#include "ops/shared_memory_fit.hpp"

namespace ptxkit::detail::attention {

namespace {

constexpr int kBlockM = 128;
constexpr int kBoxElements = 64;     // 64 16-bit elements: one 128-byte swizzle row
constexpr unsigned kThreads = 384;   // producer warpgroup + 2 consumer warpgroups
constexpr std::int64_t kMaxCoordinate = std::numeric_limits<std::int32_t>::max();

struct TileConfig {
    int head_dim;
    int block_n;
    int stages;
    const char* config;
    const char* kernel_bf16;
    const char* kernel_f16;
};

constexpr TileConfig kConfigs[] = {
    {64, 128, 4, "128x128 D64 s4 2cons pingpong", "ptxkit_attention_prefill_sm90_bf16_d64",
     "ptxkit_attention_prefill_sm90_f16_d64"},
    {128, 128, 2, "128x128 D128 s2 2cons pingpong", "ptxkit_attention_prefill_sm90_bf16_d128",
     "ptxkit_attention_prefill_sm90_f16_d128"},
    {256, 80, 2, "128x80 D256 s2 2cons pingpong", "ptxkit_attention_prefill_sm90_bf16_d256",
     "ptxkit_attention_prefill_sm90_f16_d256"},
};

const TileConfig* find_config(int head_dim) {
    for (const TileConfig& t : kConfigs) {
        if (t.head_dim == head_dim) return &t;
    }
    return nullptr;
}

// Kernel-side layout: [Q 128 x D][stages x K BN x D][stages x V BN x D]
// [q_full, q_empty, k_full/k_empty/v_full/v_empty per stage], from a base the
// kernel aligns up to 1024 bytes (128B swizzle), hence the slack.
unsigned shared_bytes(const TileConfig& t) {
    const auto d = static_cast<unsigned>(t.head_dim);
    const unsigned q = kBlockM * d * 2;
    const unsigned kv = static_cast<unsigned>(t.block_n) * d * 2;
    const unsigned stages = static_cast<unsigned>(t.stages);
    return 1024 + q + 2 * stages * kv + 8 * (2 + 4 * stages);
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

bool aligned16(const void* ptr) { return reinterpret_cast<std::uintptr_t>(ptr) % 16 == 0; }

// One operand as the kernel's rank-4 tensor maps see it: {D, heads, rows,
// batches}, innermost first, strides in elements.
struct Operand {
    const char* name;
    const void* base;
    std::int64_t heads, rows, batches;
    std::int64_t head_stride, row_stride, batch_stride;
};

// Packed: one batch of total rows (the batch stride is 0 in the parameters);
// fixed: batch x S rows with the real batch stride.
Operand q_operand(const PrefillProblem& p) {
    const ptxkit_attention_params& a = p.params;
    return Operand{"q", a.q, a.heads_q, p.varlen ? p.total_q : a.seqlen_q, p.varlen ? 1 : a.batch, a.q_head_stride,
                   a.q_row_stride, a.q_batch_stride};
}
Operand k_operand(const PrefillProblem& p) {
    const ptxkit_attention_params& a = p.params;
    return Operand{"k", a.k, a.heads_kv, p.varlen ? p.total_k : a.seqlen_k, p.varlen ? 1 : a.batch, a.k_head_stride,
                   a.k_row_stride, a.k_batch_stride};
}
Operand v_operand(const PrefillProblem& p) {
    const ptxkit_attention_params& a = p.params;
    return Operand{"v", a.v, a.heads_kv, p.varlen ? p.total_k : a.seqlen_k, p.varlen ? 1 : a.batch, a.v_head_stride,
                   a.v_row_stride, a.v_batch_stride};
}
Operand o_operand(const PrefillProblem& p) {
    const ptxkit_attention_params& a = p.params;
    return Operand{"o", a.o, a.heads_q, p.varlen ? p.total_q : a.seqlen_q, p.varlen ? 1 : a.batch, a.o_head_stride,
                   a.o_row_stride, a.o_batch_stride};
}

// A stride only matters along a dimension of more than one element; along the
// others any legal TMA stride will do, and the packed tensor's value is used
// (so a size-1 dimension with a stride of 0 or 1 is no obstacle).
std::int64_t effective_stride(std::int64_t extent, std::int64_t stride, std::int64_t packed) {
    return extent > 1 ? stride : packed;
}

// Empty string when the operand suits TMA (and, for o, the kernel's 4-byte
// pair stores, which the same rules cover).
std::string check_operand(const Operand& t) {
    if (!aligned16(t.base)) return fmt::format("{} is not 16-byte aligned", t.name);
    const std::int64_t strides[3] = {t.head_stride, t.row_stride, t.batch_stride};
    const std::int64_t extents[3] = {t.heads, t.rows, t.batches};
    const char* names[3] = {"head", "row", "batch"};
    for (int i = 0; i < 3; ++i) {
        if (extents[i] <= 1) continue;
        if (strides[i] % 8 != 0 || strides[i] <= 0) {
            return fmt::format("{} {} stride {} is not a positive multiple of 8 elements", t.name, names[i],
                               strides[i]);
        }
        if (static_cast<std::uint64_t>(strides[i]) * 2 >= kMaxTmaStrideBytes) {
            return fmt::format("{} {} stride {} exceeds the TMA limit of 2^40 bytes", t.name, names[i], strides[i]);
        }
    }
    // Row coordinates reach row + block size; TMA coordinates are s32.
    if (t.rows + 256 > kMaxCoordinate || t.heads > kMaxCoordinate || t.batches > kMaxCoordinate) {
        return fmt::format("{} has {} rows, {} heads, {} batches: TMA coordinates are 32-bit", t.name, t.rows, t.heads,
                           t.batches);
    }
    return {};
}

CUtensorMap make_tensor_map(const Operand& t, std::int64_t head_dim, DType dtype, int box_rows) {
    // {D, heads, rows, batches}: one map serves every head and sequence; the
    // box is 64 elements of D (the 128-byte swizzle span) x 1 head x box_rows
    // rows x 1 batch, and the kernel issues D / 64 boxes per tile. Elements
    // outside the tensor arrive as zeros (OOB_FILL_NONE), still counted in
    // the transaction bytes.
    const std::int64_t packed_head = head_dim;
    const std::int64_t head_stride = effective_stride(t.heads, t.head_stride, packed_head);
    const std::int64_t packed_row = head_stride * t.heads;
    const std::int64_t row_stride = effective_stride(t.rows, t.row_stride, packed_row);
    std::int64_t packed_batch = row_stride * t.rows;
    if (static_cast<std::uint64_t>(packed_batch) * 2 >= kMaxTmaStrideBytes) packed_batch = row_stride;
    const std::int64_t batch_stride = effective_stride(t.batches, t.batch_stride, packed_batch);

    return encode_tiled_map(fmt::format("{}: D {}, {} heads, {} rows, {} batches; strides {}, {}, {}", t.name, head_dim,
                                        t.heads, t.rows, t.batches, head_stride, row_stride, batch_stride),
                            t.base, dtype,
                            {static_cast<std::uint64_t>(head_dim), static_cast<std::uint64_t>(t.heads),
                             static_cast<std::uint64_t>(t.rows), static_cast<std::uint64_t>(t.batches)},
                            {static_cast<std::uint64_t>(head_stride) * 2, static_cast<std::uint64_t>(row_stride) * 2,
                             static_cast<std::uint64_t>(batch_stride) * 2},
                            {static_cast<std::uint32_t>(kBoxElements), 1u, static_cast<std::uint32_t>(box_rows), 1u});
}

std::int64_t q_blocks_of(const PrefillProblem& p) {
    return ceil_div(std::max<std::int64_t>(p.params.seqlen_q, 0), kBlockM);
}

}  // namespace

bool plan_prefill_sm90(const PrefillProblem& p, const DeviceProperties& device, PrefillPlan& plan, std::string& why) {
    if (device.cc_major != 9 || device.cc_minor != 0) {
        why = fmt::format("needs sm_90 (compute capability 9.0); the device is {}.{}", device.cc_major,
                          device.cc_minor);
        return false;
    }
    if (p.dtype != DType::bf16 && p.dtype != DType::f16) {
        why = fmt::format("q, k, v must be bf16 or f16, got {}", dtype_name(p.dtype));
        return false;
    }
    const ptxkit_attention_params& a = p.params;
    const TileConfig* t = find_config(a.head_dim);
    if (t == nullptr) {
        why = fmt::format("head dimension {} not supported (64, 128 or 256)", a.head_dim);
        return false;
    }
    if (a.heads_q < 1 || a.heads_kv < 1 || a.batch < 0) {
        why = "needs at least one query and one KV head";
        return false;
    }
    // An empty k/v (no keys in any sequence) is never read: the launcher
    // describes it with q's map instead, so only q and o are checked then.
    const bool keys = p.total_k > 0;
    for (const Operand& op : {q_operand(p), o_operand(p), keys ? k_operand(p) : q_operand(p),
                              keys ? v_operand(p) : q_operand(p)}) {
        std::string problem = check_operand(op);
        if (!problem.empty()) {
            why = std::move(problem);
            return false;
        }
    }

    const unsigned smem = shared_bytes(*t);
    if (!shared_memory_fits(device, "attention.prefill_sm90", p.dtype == DType::bf16 ? t->kernel_bf16 : t->kernel_f16,
                            smem, why)) {
        return false;
    }

    // No query rows at all (total_q = 0, e.g. every packed sequence empty
    // while max_seqlen_q > 0): nothing to write, and a q map of 0 rows would
    // not even encode.
    const std::int64_t tiles = p.total_q > 0 ? q_blocks_of(p) * a.heads_q * std::max<std::int64_t>(a.batch, 0) : 0;
    if (tiles > kMaxCoordinate) {
        why = fmt::format("{} work tiles: more than the kernel's 32-bit tile index", tiles);
        return false;
    }

    AttentionPlan& g = plan.public_plan;
    g.path = AttentionPath::sm90;
    g.kernel = p.dtype == DType::bf16 ? t->kernel_bf16 : t->kernel_f16;
    g.config = t->config;
    g.block_m = kBlockM;
    g.block_n = t->block_n;
    g.tiles = tiles;
    g.splits = 1;
    // Persistent: one CTA per SM at most (384 threads and ~150-225 KB of
    // shared memory each); 0 when there is nothing to do (no launch).
    g.grid = static_cast<unsigned>(std::min<std::int64_t>(tiles, std::max(device.sm_count, 1)));
    plan.block_threads = kThreads;
    plan.dynamic_shared_bytes = smem;
    return true;
}

void launch_prefill_sm90(ContextState& ctx, const PrefillProblem& p, const PrefillPlan& plan, CUstream stream) {
    const AttentionPlan& g = plan.public_plan;
    if (g.grid == 0) return;  // no query rows at all
    const TileConfig* t = find_config(p.params.head_dim);
    if (t == nullptr) {
        throw Error(Status::internal, "ptxkit::attention_prefill (sm90): launch without a plan for this head dim");
    }

    ptxkit_attention_params params = p.params;
    params.q_blocks = static_cast<std::int32_t>(q_blocks_of(p));
    params.pad_ = 0;
    params.tiles = g.tiles;

    const std::int64_t d = params.head_dim;
    const Operand q = q_operand(p);
    const CUtensorMap tma_q = make_tensor_map(q, d, p.dtype, kBlockM);
    // With no keys at all (every sequence has seqlen_k = 0) no K or V box is
    // ever loaded, but the maps must still encode: describe q instead, whose
    // pointer and sizes are valid.
    const bool no_keys = p.total_k == 0;
    const CUtensorMap tma_k = make_tensor_map(no_keys ? q : k_operand(p), d, p.dtype, t->block_n);
    const CUtensorMap tma_v = make_tensor_map(no_keys ? q : v_operand(p), d, p.dtype, t->block_n);

    const Kernel& kernel = ctx.kernel("attention.prefill_sm90", g.kernel);
    LaunchConfig c;
    c.op = "attention_prefill";
    c.grid.x = g.grid;
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        const std::string window =
            params.window_left < 0 && params.window_right < 0
                ? std::string("none")
                : fmt::format("({}, {})", params.window_left, params.window_right);
        c.shapes = fmt::format("{} B={} Sq={} Sk={} Hq={} Hkv={} D={} {} window={} softcap={} lse={}",
                               p.varlen ? "varlen" : "fixed", params.batch, params.seqlen_q, params.seqlen_k,
                               params.heads_q, params.heads_kv, params.head_dim, dtype_name(p.dtype), window,
                               params.softcap, params.lse != nullptr ? "yes" : "no");
        c.config = fmt::format("{} q_blocks={} tiles={}", g.config, params.q_blocks, g.tiles);
    }
    launch(ctx, kernel, c, stream, tma_q, tma_k, tma_v, params);
}

}  // namespace ptxkit::detail::attention
