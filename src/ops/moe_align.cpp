// ptxkit::moe::align, align_capacity, align_workspace_size -> kernels/moe/align.cu.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>

#include "common/checks.hpp"
#include "moe/align_params.h"
#include "ptxkit/moe.hpp"
#include "runtime/launch.hpp"

namespace ptxkit::moe {
namespace {

constexpr int kMaxExperts = PTXKIT_MOE_ALIGN_MAX_EXPERTS;
constexpr int kMaxK = 16;
constexpr std::int64_t kMaxPairs = std::int64_t{1} << 24;
constexpr std::int64_t kChunkQuantum = PTXKIT_MOE_ALIGN_CHUNK_QUANTUM;
// At most this many chunks: every scatter block reads the [chunks, E] counts,
// so the total read grows with chunks^2 * E; beyond 128 chunks the chunks grow.
constexpr std::int64_t kMaxChunks = 128;
// Grid-strided fill work (padding rows, block_expert) per thread before the
// scatter kernel gets extra blocks for it.
constexpr std::int64_t kFillPerThread = 8;

void check_block_m(const detail::ArgCheck& check, int block_m) {
    if (block_m < 16 || block_m > 256 || (block_m & (block_m - 1)) != 0) {
        check.fail("block_m", "a power of two in [16, 256]", fmt::format("{}", block_m));
    }
}

void check_sizes(const detail::ArgCheck& check, std::int64_t tokens, int k, int num_experts) {
    check.in_range("k", k, 1, kMaxK);
    check.in_range("num_experts", num_experts, 1, kMaxExperts);
    if (tokens < 0 || tokens > kMaxPairs / k) {
        check.fail("tokens", fmt::format("a count in [0, {}] (tokens * k <= 2^24)", kMaxPairs / k),
                   fmt::format("{}", tokens));
    }
}

struct Chunks {
    std::int64_t size;   // pairs per chunk, a multiple of kChunkQuantum
    std::int64_t count;  // at least 1
};

Chunks chunks_for(std::int64_t pairs) {
    const std::int64_t wanted = std::max(kChunkQuantum, (pairs + kMaxChunks - 1) / kMaxChunks);
    const std::int64_t size = (wanted + kChunkQuantum - 1) / kChunkQuantum * kChunkQuantum;
    return {size, std::max<std::int64_t>(1, (pairs + size - 1) / size)};
}

std::size_t workspace_bytes_for(std::int64_t pairs, int num_experts) {
    const Chunks c = chunks_for(pairs);
    return c.count > 1 ? static_cast<std::size_t>(c.count) * static_cast<std::size_t>(num_experts) * 4 : 0;
}

int log2_of(int power_of_two) {
    int l = 0;
    while ((1 << l) < power_of_two) ++l;
    return l;
}

void check_i32_output(const detail::ArgCheck& check, const char* arg, const TensorView& t, const char* what,
                      const TensorView& expected) {
    check.valid_tensor(arg, t);
    check.dtype_in(arg, t.dtype, {DType::i32});
    check.same_shape(arg, t, what, expected);
    check.contiguous(arg, t);
    check.aligned(arg, t.data, 4);
}

}  // namespace

std::int64_t align_capacity(std::int64_t tokens, int k, int num_experts, int block_m) {
    const detail::ArgCheck check("ptxkit::moe::align_capacity");
    check_sizes(check, tokens, k, num_experts);
    check_block_m(check, block_m);
    return tokens * k + static_cast<std::int64_t>(num_experts) * (block_m - 1);
}

std::size_t align_workspace_size(std::int64_t tokens, int k, int num_experts) {
    const detail::ArgCheck check("ptxkit::moe::align_workspace_size");
    check_sizes(check, tokens, k, num_experts);
    return workspace_bytes_for(tokens * k, num_experts);
}

void align(const TensorView& ids, int num_experts, int block_m, const AlignOutputs& out, void* workspace,
           std::size_t workspace_bytes, Stream stream) {
    const detail::ArgCheck check("ptxkit::moe::align");
    check.valid_tensor("ids", ids);
    check.dtype_in("ids", ids.dtype, {DType::i32});
    if (ids.rank != 2) check.fail("ids", "rank 2 [tokens, k]", fmt::format("rank {}", ids.rank));
    check.contiguous("ids", ids);
    check.aligned("ids", ids.data, 4);
    check.in_range("ids.shape[1] (k)", ids.shape[1], 1, kMaxK);
    const std::int64_t tokens = ids.shape[0];
    const int k = static_cast<int>(ids.shape[1]);
    check_sizes(check, tokens, k, num_experts);
    check_block_m(check, block_m);
    const std::int64_t pairs = tokens * k;
    const std::int64_t capacity = pairs + static_cast<std::int64_t>(num_experts) * (block_m - 1);
    const std::int64_t num_blocks = capacity / block_m;

    const auto i32 = [](std::initializer_list<std::int64_t> shape) {
        return TensorView::contiguous(nullptr, DType::i32, shape);
    };
    check_i32_output(check, "outputs.counts", out.counts, "[num_experts]", i32({num_experts}));
    check_i32_output(check, "outputs.padded_offsets", out.padded_offsets, "[num_experts + 1]", i32({num_experts + 1}));
    check_i32_output(check, "outputs.sorted_pairs", out.sorted_pairs,
                     "[capacity] = [tokens * k + num_experts * (block_m - 1)]", i32({capacity}));
    check_i32_output(check, "outputs.block_expert", out.block_expert, "[capacity / block_m]", i32({num_blocks}));
    check_i32_output(check, "outputs.inverse", out.inverse, "ids, [tokens, k]", i32({tokens, k}));
    check_i32_output(check, "outputs.total_padded", out.total_padded, "[1]", i32({1}));

    const Chunks chunks = chunks_for(pairs);
    const std::size_t workspace_needed = workspace_bytes_for(pairs, num_experts);
    if (workspace_needed > 0) {
        check.not_null("workspace", workspace);
        if (workspace_bytes < workspace_needed) {
            check.fail("workspace_bytes", fmt::format("at least {} (align_workspace_size)", workspace_needed),
                       fmt::format("{}", workspace_bytes));
        }
        check.aligned("workspace", workspace, 4);
    }

    struct Region {
        const char* name;
        const void* data;
        std::size_t bytes;
    };
    const Region regions[] = {
        {"ids", ids.data, static_cast<std::size_t>(pairs) * 4},
        {"outputs.counts", out.counts.data, static_cast<std::size_t>(num_experts) * 4},
        {"outputs.padded_offsets", out.padded_offsets.data, static_cast<std::size_t>(num_experts + 1) * 4},
        {"outputs.sorted_pairs", out.sorted_pairs.data, static_cast<std::size_t>(capacity) * 4},
        {"outputs.block_expert", out.block_expert.data, static_cast<std::size_t>(num_blocks) * 4},
        {"outputs.inverse", out.inverse.data, static_cast<std::size_t>(pairs) * 4},
        {"outputs.total_padded", out.total_padded.data, 4},
        {"workspace", workspace, workspace_needed},
    };
    // Every output against everything else; the input may not overlap them either.
    for (std::size_t i = 1; i < std::size(regions); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            check.no_overlap(regions[i].name, regions[i].data, regions[i].bytes, regions[j].name, regions[j].data,
                             regions[j].bytes);
        }
    }

    detail::OpContext scope("ptxkit::moe::align", stream,
                            {{"ids", ids.data}, {"outputs.counts", out.counts.data},
                             {"outputs.padded_offsets", out.padded_offsets.data},
                             {"outputs.sorted_pairs", out.sorted_pairs.data},
                             {"outputs.block_expert", out.block_expert.data}, {"outputs.inverse", out.inverse.data},
                             {"outputs.total_padded", out.total_padded.data}, {"workspace", workspace}});
    detail::ContextState& ctx = scope.state();
    ptxkit_moe_align_params p{};
    p.ids = static_cast<const std::int32_t*>(ids.data);
    p.counts = static_cast<std::int32_t*>(out.counts.data);
    p.padded_offsets = static_cast<std::int32_t*>(out.padded_offsets.data);
    p.sorted_pairs = static_cast<std::int32_t*>(out.sorted_pairs.data);
    p.block_expert = static_cast<std::int32_t*>(out.block_expert.data);
    p.inverse = static_cast<std::int32_t*>(out.inverse.data);
    p.total_padded = static_cast<std::int32_t*>(out.total_padded.data);
    p.chunk_counts = chunks.count > 1 ? static_cast<std::int32_t*>(workspace) : nullptr;
    p.num_pairs = static_cast<std::int32_t>(pairs);
    p.num_experts = num_experts;
    p.log2_block_m = log2_of(block_m);
    p.capacity = static_cast<std::int32_t>(capacity);
    p.num_blocks = static_cast<std::int32_t>(num_blocks);
    p.chunk_size = static_cast<std::int32_t>(chunks.size);
    p.num_chunks = static_cast<std::int32_t>(chunks.count);

    // Fill work (padding rows, rows past the end, block_expert), grid-strided
    // over every block; extra blocks when the scatter blocks alone would get
    // more than kFillPerThread items each.
    const std::int64_t fill_items = 2 * static_cast<std::int64_t>(num_experts) * block_m + num_blocks;
    const std::int64_t fill_blocks_needed =
        (fill_items + PTXKIT_MOE_ALIGN_THREADS * kFillPerThread - 1) / (PTXKIT_MOE_ALIGN_THREADS * kFillPerThread);
    const std::int64_t fill_blocks = std::max<std::int64_t>(0, fill_blocks_needed - chunks.count);

    std::string shapes;
    if (detail::log_enabled()) {
        shapes = fmt::format("ids:i32{} E:{} block_m:{} capacity:{}", detail::format_shape(ids), num_experts, block_m,
                             capacity);
    }
    if (chunks.count > 1) {
        detail::LaunchConfig c;
        c.op = "moe.align(count)";
        c.grid.x = static_cast<unsigned>(chunks.count);
        c.block.x = PTXKIT_MOE_ALIGN_THREADS;
        if (detail::log_enabled()) {
            c.shapes = shapes;
            c.config = fmt::format("{} chunks of {} pairs", chunks.count, chunks.size);
        }
        detail::launch(ctx, ctx.kernel("moe.align", "ptxkit_moe_align_count"), c, stream, p);
    }
    detail::LaunchConfig c;
    c.op = "moe.align(scatter)";
    c.grid.x = static_cast<unsigned>(chunks.count + fill_blocks);
    c.block.x = PTXKIT_MOE_ALIGN_THREADS;
    if (detail::log_enabled()) {
        c.shapes = shapes;
        c.config = fmt::format("{} chunks of {} pairs{} + {} fill blocks", chunks.count, chunks.size,
                               chunks.count == 1 ? " (counted in place, one launch)" : "", fill_blocks);
    }
    detail::launch(ctx, ctx.kernel("moe.align", "ptxkit_moe_align_scatter"), c, stream, p);
}

}  // namespace ptxkit::moe
