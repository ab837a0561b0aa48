// The sm80 prefill attention family -> kernels/attention/prefill_sm80.cu:
// FlashAttention-2 style on mma.sync + cp.async + ldmatrix. It runs on every
// GPU of compute capability 8.0 and later, so it is the fallback behind the
// sm90 family on Hopper and the only prefill path on Ampere and Ada. One
// kernel per (dtype, head dimension), each with its own tile:
//   D = 64:  128 x 64, 4 warps, Q fragments held in registers, 40 KiB
//   D = 128: 128 x 64, 4 warps, Q re-read from shared memory,  80 KiB
//   D = 256:  64 x 32, 4 warps, Q re-read from shared memory,  80 KiB
// Design: docs/kernels/attention_sm80.md.
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <string>

#include "ops/attention_internal.hpp"
#include "runtime/launch.hpp"
#include "ops/shared_memory_fit.hpp"

namespace ptxkit::detail::attention {

namespace {

constexpr const char* kModule = "attention.prefill_sm80";
constexpr int kKvSlots = 3;  // the K/V ring of the kernel: three BN x D tiles

// Mirrors TileConfig in prefill_sm80.cu (static_asserts there pin the shared
// memory and thread counts).
struct Sm80Tile {
    int head_dim, block_m, block_n, warps;
    const char* config;
    const char* bf16_kernel;
    const char* f16_kernel;
    unsigned shared_bytes() const {
        // Q tile (reused to stage O) + the ring, 2-byte elements.
        return static_cast<unsigned>((block_m + kKvSlots * block_n) * head_dim * 2);
    }
};

constexpr Sm80Tile kTiles[] = {
    {64, 128, 64, 4, "128x64 D64 4w kv3 qreg", "ptxkit_attn_prefill_sm80_bf16_d64",
     "ptxkit_attn_prefill_sm80_f16_d64"},
    {128, 128, 64, 4, "128x64 D128 4w kv3", "ptxkit_attn_prefill_sm80_bf16_d128",
     "ptxkit_attn_prefill_sm80_f16_d128"},
    {256, 64, 32, 4, "64x32 D256 4w kv3", "ptxkit_attn_prefill_sm80_bf16_d256",
     "ptxkit_attn_prefill_sm80_f16_d256"},
};

const Sm80Tile* tile_for(int head_dim) {
    for (const Sm80Tile& t : kTiles) {
        if (t.head_dim == head_dim) return &t;
    }
    return nullptr;
}

bool aligned16(const void* ptr) { return reinterpret_cast<std::uintptr_t>(ptr) % 16 == 0; }

// Every row, head and batch stride a whole number of 16-byte chunks.
bool strides_in_chunks(const ptxkit_attention_params& a) {
    const std::int64_t strides[] = {a.q_batch_stride, a.q_row_stride, a.q_head_stride, a.k_batch_stride,
                                    a.k_row_stride,   a.k_head_stride, a.v_batch_stride, a.v_row_stride,
                                    a.v_head_stride, a.o_batch_stride, a.o_row_stride,  a.o_head_stride};
    for (std::int64_t s : strides) {
        if (s % 8 != 0) return false;
    }
    return true;
}

std::int64_t q_blocks_for(const ptxkit_attention_params& a, int block_m) {
    return (static_cast<std::int64_t>(a.seqlen_q) + block_m - 1) / block_m;
}

}  // namespace

bool plan_prefill_sm80(const PrefillProblem& p, const DeviceProperties& device, PrefillPlan& plan, std::string& why) {
    const ptxkit_attention_params& a = p.params;
    if (device.cc_major < 8) {
        why = fmt::format("needs compute capability 8.0 or newer (mma.sync bf16, cp.async); the device is {}.{}",
                          device.cc_major, device.cc_minor);
        return false;
    }
    const Sm80Tile* t = tile_for(a.head_dim);
    if (t == nullptr) {
        why = fmt::format("head dimension {} (kernels exist for 64, 128 and 256)", a.head_dim);
        return false;
    }
    if (p.dtype != DType::bf16 && p.dtype != DType::f16) {
        why = fmt::format("q, k, v and o must be bf16 or f16, not {}", dtype_name(p.dtype));
        return false;
    }
    if (!aligned16(a.q) || !aligned16(a.k) || !aligned16(a.v) || !aligned16(a.o) || !strides_in_chunks(a)) {
        why = "needs 16-byte aligned q, k, v and o and strides that are multiples of 8 elements "
              "(16-byte cp.async copies and stores)";
        return false;
    }
    const unsigned shared = t->shared_bytes();
    if (!shared_memory_fits(device, kModule, p.dtype == DType::bf16 ? t->bf16_kernel : t->f16_kernel, shared, why)) {
        return false;
    }
    // One CTA per (query block, query head, sequence) on a 1-D grid; the kernel
    // decodes blockIdx.x in 32 bits.
    const std::int64_t tiles = q_blocks_for(a, t->block_m) * a.heads_q * a.batch;
    if (tiles > std::numeric_limits<std::int32_t>::max()) {
        why = fmt::format("{} CTAs ({} query blocks x {} heads x {} sequences) exceed the grid limit",
                          tiles, q_blocks_for(a, t->block_m), a.heads_q, a.batch);
        return false;
    }

    AttentionPlan& pub = plan.public_plan;
    pub.path = AttentionPath::sm80;
    pub.kernel = p.dtype == DType::bf16 ? t->bf16_kernel : t->f16_kernel;
    pub.config = t->config;
    pub.block_m = t->block_m;
    pub.block_n = t->block_n;
    pub.grid = static_cast<unsigned>(tiles);
    pub.tiles = tiles;
    pub.splits = 1;
    plan.block_threads = static_cast<unsigned>(32 * t->warps);
    plan.dynamic_shared_bytes = shared;
    return true;
}

void launch_prefill_sm80(ContextState& ctx, const PrefillProblem& p, const PrefillPlan& plan, CUstream stream) {
    if (plan.public_plan.grid == 0) return;
    ptxkit_attention_params params = p.params;
    params.q_blocks = static_cast<std::int32_t>(q_blocks_for(params, plan.public_plan.block_m));
    params.tiles = plan.public_plan.tiles;
    const Kernel& kernel = ctx.kernel(kModule, plan.public_plan.kernel);
    LaunchConfig c;
    c.op = "attention_prefill";
    c.grid.x = plan.public_plan.grid;
    c.block.x = plan.block_threads;
    c.dynamic_shared_bytes = plan.dynamic_shared_bytes;
    if (log_enabled()) {
        const std::string lengths =
            p.varlen ? fmt::format("varlen B={} total_q={} total_k={} max_q={} max_k={}", params.batch, p.total_q,
                                   p.total_k, params.seqlen_q, params.seqlen_k)
                     : fmt::format("B={} S_q={} S_k={}", params.batch, params.seqlen_q, params.seqlen_k);
        c.shapes = fmt::format("{} Hq={} Hkv={} D={} {} window=({},{}) softcap={} scale={}{}", lengths,
                               params.heads_q, params.heads_kv, params.head_dim, dtype_name(p.dtype),
                               params.window_left, params.window_right, params.softcap, params.softmax_scale,
                               params.lse != nullptr ? " lse" : "");
        c.config = fmt::format("{} q_blocks={}", plan.public_plan.config, params.q_blocks);
    }
    launch(ctx, kernel, c, stream, params);
}

}  // namespace ptxkit::detail::attention
