// ptxkit::moe::permute, combine -> kernels/moe/permute_combine.cu.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "common/checks.hpp"
#include "moe/permute_combine_params.h"
#include "ops/streaming_grid.hpp"
#include "ptxkit/moe.hpp"
#include "runtime/launch.hpp"

namespace ptxkit::moe {
namespace {

using detail::span_bytes;

constexpr int kMaxK = PTXKIT_MOE_COMBINE_MAX_K;
constexpr unsigned kWarpsPerBlock = PTXKIT_MOE_PERMUTE_COMBINE_WARPS;
constexpr std::int64_t kMaxIndex = std::numeric_limits<std::int32_t>::max();

// A [rows, cols] view with unit inner stride and rows at least cols apart.
void check_rows(const detail::ArgCheck& check, const char* arg, const TensorView& t) {
    check.valid_tensor(arg, t);
    if (t.rank != 2) check.fail(arg, "a 2-D tensor [rows, hidden]", fmt::format("rank {}", t.rank));
    if (t.shape[1] > 1 && t.stride[1] != 1) {
        check.fail(arg, "unit stride along its second dimension", fmt::format("stride {}", t.stride[1]));
    }
    if (t.shape[0] > 1 && t.stride[0] < t.shape[1]) {
        check.fail(arg, fmt::format("a row stride (stride[0]) of at least {}", t.shape[1]),
                   fmt::format("{}", t.stride[0]));
    }
}

// Row stride in elements; any value serves a single row.
std::int64_t row_stride(const TensorView& t) { return t.shape[0] > 1 ? t.stride[0] : t.shape[1]; }

void check_vector_i32(const detail::ArgCheck& check, const char* arg, const TensorView& t, const char* what,
                      const TensorView& expected) {
    check.valid_tensor(arg, t);
    check.dtype_in(arg, t.dtype, {DType::i32});
    check.same_shape(arg, t, what, expected);
    check.contiguous(arg, t);
    check.aligned(arg, t.data, 4);
}

bool divides(std::uint64_t unit, std::uint64_t value) { return value % unit == 0; }

const char* suffix(DType d) { return d == DType::f32 ? "f32" : d == DType::bf16 ? "bf16" : "f16"; }

}  // namespace

void permute(const TensorView& hidden, const TensorView& sorted_pairs, const TensorView& total_padded, int k,
             const TensorView& permuted, Stream stream) {
    const detail::ArgCheck check("ptxkit::moe::permute");
    check_rows(check, "hidden", hidden);
    check_rows(check, "permuted", permuted);
    check.dtype_in("hidden", hidden.dtype, {DType::f32, DType::bf16, DType::f16});
    check.dtype_in("permuted", permuted.dtype, {hidden.dtype});
    check.in_range("k", k, 1, kMaxK);
    if (permuted.shape[1] != hidden.shape[1]) {
        check.fail("permuted", fmt::format("{} columns, as 'hidden'", hidden.shape[1]), detail::format_shape(permuted));
    }
    const std::int64_t tokens = hidden.shape[0];
    const std::int64_t capacity = permuted.shape[0];
    check.in_range("hidden.shape[0] (tokens, tokens * k < 2^31)", tokens, 0, kMaxIndex / k);
    check.in_range("permuted.shape[0] (capacity)", capacity, 0, kMaxIndex);
    check_vector_i32(check, "sorted_pairs", sorted_pairs, "[capacity], capacity = permuted.shape[0]",
                     TensorView::contiguous(nullptr, DType::i32, {capacity}));
    check_vector_i32(check, "total_padded", total_padded, "[1]", TensorView::contiguous(nullptr, DType::i32, {1}));
    const std::size_t out_bytes = span_bytes(permuted);
    check.no_overlap("permuted", permuted.data, out_bytes, "hidden", hidden.data, span_bytes(hidden));
    check.no_overlap("permuted", permuted.data, out_bytes, "sorted_pairs", sorted_pairs.data,
                     static_cast<std::size_t>(capacity) * 4);
    check.no_overlap("permuted", permuted.data, out_bytes, "total_padded", total_padded.data, 4);
    if (out_bytes == 0) return;

    const std::size_t size = dtype_size(hidden.dtype);
    ptxkit_moe_permute_params p{};
    p.hidden = hidden.data;
    p.sorted_pairs = static_cast<const std::int32_t*>(sorted_pairs.data);
    p.total_padded = static_cast<const std::int32_t*>(total_padded.data);
    p.permuted = permuted.data;
    p.hidden_stride_bytes = row_stride(hidden) * static_cast<std::int64_t>(size);
    p.permuted_stride_bytes = row_stride(permuted) * static_cast<std::int64_t>(size);
    p.row_bytes = hidden.shape[1] * static_cast<std::int64_t>(size);
    p.num_pairs = static_cast<std::int32_t>(tokens * k);
    p.k = k;
    p.capacity = static_cast<std::int32_t>(capacity);
    // The widest unit dividing the row size, both row strides and both addresses.
    const auto fits = [&](std::uint64_t unit) {
        return divides(unit, static_cast<std::uint64_t>(p.row_bytes)) &&
               divides(unit, static_cast<std::uint64_t>(p.hidden_stride_bytes)) &&
               divides(unit, static_cast<std::uint64_t>(p.permuted_stride_bytes)) &&
               divides(unit, reinterpret_cast<std::uintptr_t>(hidden.data)) &&
               divides(unit, reinterpret_cast<std::uintptr_t>(permuted.data));
    };
    p.unit_bytes = fits(16) ? 16 : fits(4) ? 4 : 2;

    detail::OpContext scope("ptxkit::moe::permute", stream,
                            {{"hidden", hidden.data}, {"sorted_pairs", sorted_pairs.data},
                             {"total_padded", total_padded.data}, {"permuted", permuted.data}});
    detail::ContextState& ctx = scope.state();
    detail::LaunchConfig c;
    c.op = "moe.permute";
    // Rows past *total_padded are known on the device only: enough warps for
    // the capacity, at most 8 blocks per SM, grid-strided.
    c.grid.x = detail::streaming_grid(static_cast<std::uint64_t>(capacity), kWarpsPerBlock, ctx.properties().sm_count);
    c.block.x = 32 * kWarpsPerBlock;
    if (detail::log_enabled()) {
        c.shapes = fmt::format("hidden:{}{} -> permuted{} k:{}", dtype_name(hidden.dtype), detail::format_shape(hidden),
                               detail::format_shape(permuted), k);
        c.config = fmt::format("warp/row, {}-byte units", p.unit_bytes);
    }
    detail::launch(ctx, ctx.kernel("moe.permute_combine", "ptxkit_moe_permute"), c, stream, p);
}

void combine(const TensorView& y, const TensorView& weights, const TensorView& inverse, const TensorView& shared,
             const TensorView& out, Stream stream) {
    const detail::ArgCheck check("ptxkit::moe::combine");
    check_rows(check, "out", out);
    check.dtype_in("out", out.dtype, {DType::f32, DType::bf16, DType::f16});
    check_rows(check, "y", y);
    check.dtype_in("y", y.dtype, {out.dtype, DType::f32});
    if (y.shape[1] != out.shape[1]) {
        check.fail("y", fmt::format("{} columns, as 'out'", out.shape[1]), detail::format_shape(y));
    }
    check.valid_tensor("weights", weights);
    check.dtype_in("weights", weights.dtype, {DType::f32});
    if (weights.rank != 2) check.fail("weights", "rank 2 [tokens, k]", fmt::format("rank {}", weights.rank));
    check.contiguous("weights", weights);
    check.aligned("weights", weights.data, 4);
    const std::int64_t tokens = out.shape[0];
    if (weights.shape[0] != tokens) {
        check.fail("weights", fmt::format("{} rows, as 'out'", tokens), detail::format_shape(weights));
    }
    check.in_range("weights.shape[1] (k)", weights.shape[1], 1, kMaxK);
    const int k = static_cast<int>(weights.shape[1]);
    check_vector_i32(check, "inverse", inverse, "weights, [tokens, k]",
                     TensorView::contiguous(nullptr, DType::i32, {tokens, k}));
    const bool has_shared = shared.data != nullptr;
    if (has_shared) {
        check_rows(check, "shared", shared);
        check.dtype_in("shared", shared.dtype, {out.dtype});
        if (shared.shape[0] != out.shape[0] || shared.shape[1] != out.shape[1]) {
            check.fail("shared", fmt::format("the shape of 'out', {}", detail::format_shape(out)),
                       detail::format_shape(shared));
        }
    }
    check.in_range("out.shape[0] (tokens)", tokens, 0, kMaxIndex);
    check.in_range("out.shape[1] (hidden)", out.shape[1], 0, kMaxIndex);
    check.in_range("y.shape[0] (capacity)", y.shape[0], 0, kMaxIndex);
    const std::size_t out_bytes = span_bytes(out);
    const std::size_t pair_bytes = static_cast<std::size_t>(tokens) * static_cast<std::size_t>(k) * 4;
    check.no_overlap("out", out.data, out_bytes, "y", y.data, span_bytes(y));
    check.no_overlap("out", out.data, out_bytes, "weights", weights.data, pair_bytes);
    check.no_overlap("out", out.data, out_bytes, "inverse", inverse.data, pair_bytes);
    if (has_shared) check.no_overlap("out", out.data, out_bytes, "shared", shared.data, span_bytes(shared));
    if (out_bytes == 0) return;

    ptxkit_moe_combine_params p{};
    p.y = y.data;
    p.weights = static_cast<const float*>(weights.data);
    p.inverse = static_cast<const std::int32_t*>(inverse.data);
    p.shared = has_shared ? shared.data : nullptr;
    p.out = out.data;
    p.y_stride = row_stride(y);
    p.shared_stride = has_shared ? row_stride(shared) : 0;
    p.out_stride = row_stride(out);
    p.num_tokens = static_cast<std::int32_t>(tokens);
    p.hidden_size = static_cast<std::int32_t>(out.shape[1]);
    p.k = k;
    p.capacity = static_cast<std::int32_t>(y.shape[0]);
    // 8 elements per access: every row start 16-byte aligned.
    const auto rows_aligned = [](const void* data, std::int64_t stride, DType d) {
        return divides(16, reinterpret_cast<std::uintptr_t>(data)) &&
               divides(16, static_cast<std::uint64_t>(stride) * dtype_size(d));
    };
    p.vector_ok = out.shape[1] % 8 == 0 && rows_aligned(y.data, p.y_stride, y.dtype) &&
                  rows_aligned(out.data, p.out_stride, out.dtype) &&
                  (!has_shared || rows_aligned(shared.data, p.shared_stride, shared.dtype));

    detail::OpContext scope("ptxkit::moe::combine", stream,
                            {{"y", y.data}, {"weights", weights.data}, {"inverse", inverse.data},
                             {"shared", has_shared ? shared.data : nullptr}, {"out", out.data}});
    detail::ContextState& ctx = scope.state();
    const std::string name = y.dtype == out.dtype ? fmt::format("ptxkit_moe_combine_{}", suffix(out.dtype))
                                                  : fmt::format("ptxkit_moe_combine_f32_to_{}", suffix(out.dtype));
    detail::LaunchConfig c;
    c.op = "moe.combine";
    c.grid.x = static_cast<unsigned>((tokens + kWarpsPerBlock - 1) / kWarpsPerBlock);
    c.block.x = 32 * kWarpsPerBlock;
    if (detail::log_enabled()) {
        c.shapes = fmt::format("y:{}{} -> out:{}{} k:{}{}", dtype_name(y.dtype), detail::format_shape(y),
                               dtype_name(out.dtype), detail::format_shape(out), k, has_shared ? " +shared" : "");
        c.config = fmt::format("warp/token, {}", p.vector_ok ? "x8 vectorised" : "scalar");
    }
    detail::launch(ctx, ctx.kernel("moe.permute_combine", name), c, stream, p);
}

}  // namespace ptxkit::moe
