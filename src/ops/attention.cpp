// ptxkit::attention_prefill / attention_decode: argument checks, the choice of
// kernel family, and the launch. The families (src/ops/attention_internal.hpp):
//   attention_sm90.cpp   -> kernels/attention/prefill_sm90.cu (Hopper)
//   attention_sm80.cpp   -> kernels/attention/prefill_sm80.cu (Ampere and later)
//   attention_decode.cpp -> kernels/attention/decode.cu
// Everything the host can check is checked here, before any driver call, so a
// rejected call launches nothing. Lengths that live on the device
// (cu_seqlens, seq_lens, page ids) cannot be read without a synchronisation:
// decode clamps seq_lens to max_seq_len and never dereferences a page id
// outside the cache; prefill trusts cu_seqlens to stay within total_q /
// total_k (as FlashAttention does) and clamps each length to max_seqlen.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "common/checks.hpp"
#include "ops/attention_internal.hpp"
#include "ptxkit/attention.hpp"
#include "ptxkit/error.hpp"
#include "runtime/launch.hpp"

namespace ptxkit {
namespace {

using detail::ArgCheck;
using detail::span_bytes;
using detail::attention::DecodePlan;
using detail::attention::DecodeProblem;
using detail::attention::PrefillPlan;
using detail::attention::PrefillProblem;

constexpr std::int64_t kMaxI32 = std::numeric_limits<std::int32_t>::max();
constexpr int kMaxQLen = 8;
constexpr float kLog2e = 1.4426950408889634f;

// A q/k/v/o operand: `rank` dims, the last (D) contiguous, the others with
// strides that are multiples of 8 elements (16 bytes) and a 16-byte aligned
// base, which both kernel families need for their 16-byte copies.
void check_operand(const ArgCheck& check, const char* arg, const TensorView& t, int rank, const char* layout) {
    check.valid_tensor(arg, t);
    if (t.rank != rank) check.fail(arg, fmt::format("rank {} {}", rank, layout), fmt::format("rank {}", t.rank));
    check.dtype_in(arg, t.dtype, {DType::bf16, DType::f16});
    if (t.shape[rank - 1] > 1 && t.stride[rank - 1] != 1) {
        check.fail(arg, "a contiguous head dimension (last stride 1)", fmt::format("stride {}", t.stride[rank - 1]));
    }
    for (int d = 0; d < rank - 1; ++d) {
        if (t.stride[d] % 8 != 0) {
            check.fail(arg, fmt::format("strides that are multiples of 8 elements (16 bytes) {}", layout),
                       fmt::format("stride {} in dimension {}", t.stride[d], d));
        }
    }
    if (t.numel() > 0) check.aligned(arg, t.data, 16);
}

void check_head_dim(const ArgCheck& check, const char* arg, std::int64_t d) {
    if (d != 64 && d != 128 && d != 256) check.fail(arg, "head dimension 64, 128 or 256", fmt::format("{}", d));
}

void check_heads(const ArgCheck& check, const char* kv_arg, std::int64_t heads_q, std::int64_t heads_kv) {
    check.in_range(kv_arg, heads_kv, 1, kMaxI32);
    check.in_range("q (Hq, query heads)", heads_q, 1, kMaxI32);
    if (heads_q % heads_kv != 0) {
        check.fail("q", fmt::format("a number of query heads that is a multiple of the KV heads ({})", heads_kv),
                   fmt::format("{} query heads", heads_q));
    }
}

void check_scale_and_cap(const ArgCheck& check, float scale, float softcap) {
    if (!std::isfinite(scale)) check.fail("options.softmax_scale", "a finite number (0: 1/sqrt(D))", fmt::format("{}", scale));
    if (!std::isfinite(softcap) || softcap < 0.0f) {
        check.fail("options.softcap", "a finite number >= 0 (0: none)", fmt::format("{}", softcap));
    }
}

void check_lse(const ArgCheck& check, const char* arg, const TensorView& lse, const TensorView& expected,
               const char* layout) {
    check.valid_tensor(arg, lse);
    check.dtype_in(arg, lse.dtype, {DType::f32});
    check.same_shape(arg, lse, layout, expected);
    check.contiguous(arg, lse);
    if (lse.numel() > 0) check.aligned(arg, lse.data, 4);
}

void check_outputs_apart(const ArgCheck& check, const TensorView& o, const TensorView& q, const TensorView& k,
                         const TensorView& v, const TensorView& lse, const char* k_arg = "k",
                         const char* v_arg = "v") {
    const std::size_t o_bytes = span_bytes(o);
    check.no_overlap("o", o.data, o_bytes, "q", q.data, span_bytes(q));
    check.no_overlap("o", o.data, o_bytes, k_arg, k.data, span_bytes(k));
    check.no_overlap("o", o.data, o_bytes, v_arg, v.data, span_bytes(v));
    if (lse.data != nullptr) {
        const std::size_t lse_bytes = span_bytes(lse);
        check.no_overlap("lse", lse.data, lse_bytes, "o", o.data, o_bytes);
        check.no_overlap("lse", lse.data, lse_bytes, "q", q.data, span_bytes(q));
        check.no_overlap("lse", lse.data, lse_bytes, k_arg, k.data, span_bytes(k));
        check.no_overlap("lse", lse.data, lse_bytes, v_arg, v.data, span_bytes(v));
    }
}

struct MaskArgs {
    std::int32_t left, right;
};

MaskArgs check_mask(const ArgCheck& check, const AttentionOptions& o) {
    check.in_range("options.window_left", o.window_left, -1, kMaxI32);
    check.in_range("options.window_right", o.window_right, -1, kMaxI32);
    if (o.causal && o.window_right > 0) {
        check.fail("options.window_right", "0 or -1 when options.causal is set (causal is window_right = 0)",
                   fmt::format("{}", o.window_right));
    }
    check.in_range("options.path", static_cast<int>(o.path), 0, 2);
    return {o.window_left, o.causal ? 0 : o.window_right};
}

void fill_common(PrefillProblem& p, const TensorView& q, const TensorView& k, const TensorView& v, const TensorView& o,
                 const TensorView& lse, const AttentionOptions& options, std::int64_t heads_q, std::int64_t heads_kv,
                 std::int64_t head_dim, const MaskArgs& mask) {
    ptxkit_attention_params& a = p.params;
    a.q = q.data;
    a.k = k.data;
    a.v = v.data;
    a.o = o.data;
    a.lse = static_cast<float*>(lse.data);
    a.heads_q = static_cast<std::int32_t>(heads_q);
    a.heads_kv = static_cast<std::int32_t>(heads_kv);
    a.head_dim = static_cast<std::int32_t>(head_dim);
    const float scale = options.softmax_scale != 0.0f ? options.softmax_scale
                                                      : 1.0f / std::sqrt(static_cast<float>(head_dim));
    a.softmax_scale = scale;
    a.softmax_scale_log2 = scale * kLog2e;
    a.softcap = options.softcap;
    a.window_left = mask.left;
    a.window_right = mask.right;
    a.dtype = q.dtype == DType::bf16 ? PTXKIT_ATTN_BF16 : PTXKIT_ATTN_F16;
    p.dtype = q.dtype;
}

PrefillProblem describe(const AttentionArgs& args, const AttentionOptions& options) {
    const ArgCheck check("ptxkit::attention_prefill");
    constexpr const char* kQ = "[B, S_q, Hq, D]";
    constexpr const char* kKV = "[B, S_k, Hkv, D]";
    check_operand(check, "q", args.q, 4, kQ);
    check_operand(check, "k", args.k, 4, kKV);
    check_operand(check, "v", args.v, 4, kKV);
    check_operand(check, "o", args.o, 4, kQ);
    check.dtype_in("k", args.k.dtype, {args.q.dtype});
    check.dtype_in("v", args.v.dtype, {args.q.dtype});
    check.dtype_in("o", args.o.dtype, {args.q.dtype});
    check.same_shape("o", args.o, "q", args.q);
    check.same_shape("v", args.v, "k", args.k);
    const std::int64_t batch = args.q.shape[0], s_q = args.q.shape[1], heads_q = args.q.shape[2], d = args.q.shape[3];
    const std::int64_t s_k = args.k.shape[1], heads_kv = args.k.shape[2];
    check_head_dim(check, "q", d);
    if (args.k.shape[0] != batch || args.k.shape[3] != d) {
        check.fail("k", fmt::format("[B, S_k, Hkv, D] with B = {} and D = {} (from q)", batch, d),
                   detail::format_shape(args.k));
    }
    check_heads(check, "k (Hkv, KV heads)", heads_q, heads_kv);
    check.in_range("q (batch)", batch, 0, kMaxI32);
    check.in_range("q (S_q)", s_q, 0, kMaxI32);
    check.in_range("k (S_k)", s_k, 0, kMaxI32);
    check_scale_and_cap(check, options.softmax_scale, options.softcap);
    const MaskArgs mask = check_mask(check, options);
    if (args.lse.data != nullptr) {
        check_lse(check, "lse", args.lse, TensorView::contiguous(nullptr, DType::f32, {batch, heads_q, s_q}),
                  "[B, Hq, S_q]");
    }
    check_outputs_apart(check, args.o, args.q, args.k, args.v, args.lse);

    PrefillProblem p;
    fill_common(p, args.q, args.k, args.v, args.o, args.lse, options, heads_q, heads_kv, d, mask);
    ptxkit_attention_params& a = p.params;
    a.q_batch_stride = args.q.stride[0];
    a.q_row_stride = args.q.stride[1];
    a.q_head_stride = args.q.stride[2];
    a.k_batch_stride = args.k.stride[0];
    a.k_row_stride = args.k.stride[1];
    a.k_head_stride = args.k.stride[2];
    a.v_batch_stride = args.v.stride[0];
    a.v_row_stride = args.v.stride[1];
    a.v_head_stride = args.v.stride[2];
    a.o_batch_stride = args.o.stride[0];
    a.o_row_stride = args.o.stride[1];
    a.o_head_stride = args.o.stride[2];
    a.lse_batch_stride = heads_q * s_q;
    a.lse_head_stride = s_q;
    a.batch = static_cast<std::int32_t>(batch);
    a.seqlen_q = static_cast<std::int32_t>(s_q);
    a.seqlen_k = static_cast<std::int32_t>(s_k);
    p.varlen = false;
    p.total_q = batch * s_q;
    p.total_k = batch * s_k;
    return p;
}

void check_cu_seqlens(const ArgCheck& check, const char* arg, const TensorView& cu, std::int64_t batch_plus_one) {
    check.valid_tensor(arg, cu);
    check.dtype_in(arg, cu.dtype, {DType::i32});
    if (cu.rank != 1) check.fail(arg, "rank 1 [batch + 1]", fmt::format("rank {}", cu.rank));
    check.contiguous(arg, cu);
    if (batch_plus_one >= 0 && cu.shape[0] != batch_plus_one) {
        check.fail(arg, fmt::format("[batch + 1] = [{}] like cu_seqlens_q", batch_plus_one), detail::format_shape(cu));
    }
    if (cu.shape[0] < 1) check.fail(arg, "at least one entry (batch + 1 >= 1)", detail::format_shape(cu));
    check.aligned(arg, cu.data, 4);
}

// A bound of the lengths must be at least the average length (some sequence
// reaches it) and at most the total; both are cheap and catch swapped or
// stale arguments without reading the device.
void check_max_len(const ArgCheck& check, const char* arg, std::int64_t max_len, std::int64_t total,
                   std::int64_t batch) {
    check.in_range(arg, max_len, 0, kMaxI32);
    if (max_len > total) {
        check.fail(arg, fmt::format("at most the total length {}", total), fmt::format("{}", max_len));
    }
    if (batch == 0 && total > 0) {
        check.fail(arg, "no rows when the batch is empty (cu_seqlens has one entry)", fmt::format("{} rows", total));
    }
    if (batch > 0 && max_len * batch < total) {
        check.fail(arg, fmt::format("at least total / batch = {} / {} (the longest sequence)", total, batch),
                   fmt::format("{}", max_len));
    }
}

PrefillProblem describe(const VarlenAttentionArgs& args, const AttentionOptions& options) {
    const ArgCheck check("ptxkit::attention_prefill");
    constexpr const char* kQ = "[total_q, Hq, D]";
    constexpr const char* kKV = "[total_k, Hkv, D]";
    check_operand(check, "q", args.q, 3, kQ);
    check_operand(check, "k", args.k, 3, kKV);
    check_operand(check, "v", args.v, 3, kKV);
    check_operand(check, "o", args.o, 3, kQ);
    check.dtype_in("k", args.k.dtype, {args.q.dtype});
    check.dtype_in("v", args.v.dtype, {args.q.dtype});
    check.dtype_in("o", args.o.dtype, {args.q.dtype});
    check.same_shape("o", args.o, "q", args.q);
    check.same_shape("v", args.v, "k", args.k);
    const std::int64_t total_q = args.q.shape[0], heads_q = args.q.shape[1], d = args.q.shape[2];
    const std::int64_t total_k = args.k.shape[0], heads_kv = args.k.shape[1];
    check_head_dim(check, "q", d);
    if (args.k.shape[2] != d) {
        check.fail("k", fmt::format("[total_k, Hkv, D] with D = {} (from q)", d), detail::format_shape(args.k));
    }
    check_heads(check, "k (Hkv, KV heads)", heads_q, heads_kv);
    check.in_range("q (total_q)", total_q, 0, kMaxI32);
    check.in_range("k (total_k)", total_k, 0, kMaxI32);
    check_cu_seqlens(check, "cu_seqlens_q", args.cu_seqlens_q, -1);
    check_cu_seqlens(check, "cu_seqlens_k", args.cu_seqlens_k, args.cu_seqlens_q.shape[0]);
    const std::int64_t batch = args.cu_seqlens_q.shape[0] - 1;
    check.in_range("cu_seqlens_q (batch)", batch, 0, kMaxI32);
    check_max_len(check, "max_seqlen_q", args.max_seqlen_q, total_q, batch);
    check_max_len(check, "max_seqlen_k", args.max_seqlen_k, total_k, batch);
    check_scale_and_cap(check, options.softmax_scale, options.softcap);
    const MaskArgs mask = check_mask(check, options);
    if (args.lse.data != nullptr) {
        check_lse(check, "lse", args.lse, TensorView::contiguous(nullptr, DType::f32, {heads_q, total_q}),
                  "[Hq, total_q]");
    }
    check_outputs_apart(check, args.o, args.q, args.k, args.v, args.lse);
    const std::size_t o_bytes = span_bytes(args.o);
    check.no_overlap("o", args.o.data, o_bytes, "cu_seqlens_q", args.cu_seqlens_q.data, span_bytes(args.cu_seqlens_q));
    check.no_overlap("o", args.o.data, o_bytes, "cu_seqlens_k", args.cu_seqlens_k.data, span_bytes(args.cu_seqlens_k));

    PrefillProblem p;
    fill_common(p, args.q, args.k, args.v, args.o, args.lse, options, heads_q, heads_kv, d, mask);
    ptxkit_attention_params& a = p.params;
    a.cu_seqlens_q = static_cast<const std::int32_t*>(args.cu_seqlens_q.data);
    a.cu_seqlens_k = static_cast<const std::int32_t*>(args.cu_seqlens_k.data);
    a.q_row_stride = args.q.stride[0];
    a.q_head_stride = args.q.stride[1];
    a.k_row_stride = args.k.stride[0];
    a.k_head_stride = args.k.stride[1];
    a.v_row_stride = args.v.stride[0];
    a.v_head_stride = args.v.stride[1];
    a.o_row_stride = args.o.stride[0];
    a.o_head_stride = args.o.stride[1];
    a.lse_batch_stride = 0;
    a.lse_head_stride = total_q;
    a.batch = static_cast<std::int32_t>(batch);
    a.seqlen_q = static_cast<std::int32_t>(args.max_seqlen_q);
    a.seqlen_k = static_cast<std::int32_t>(args.max_seqlen_k);
    p.varlen = true;
    p.total_q = total_q;
    p.total_k = total_k;
    return p;
}

const char* path_name(AttentionPath path) {
    switch (path) {
        case AttentionPath::sm90: return "sm90";
        case AttentionPath::sm80: return "sm80";
        case AttentionPath::automatic: break;
    }
    return "automatic";
}

PrefillPlan plan_prefill(const PrefillProblem& p, const DeviceProperties& device, AttentionPath path) {
    PrefillPlan plan;
    std::string why;
    const auto try_path = [&](AttentionPath candidate) {
        why.clear();
        plan = PrefillPlan{};
        return candidate == AttentionPath::sm90 ? detail::attention::plan_prefill_sm90(p, device, plan, why)
                                                : detail::attention::plan_prefill_sm80(p, device, plan, why);
    };
    if (path != AttentionPath::automatic) {
        if (!try_path(path)) {
            throw Error(Status::unsupported,
                        fmt::format("ptxkit::attention_prefill: the {} path was forced but cannot run this problem "
                                    "(D={} {} on {} sm_{}{}): {}",
                                    path_name(path), p.params.head_dim, dtype_name(p.dtype), device.name,
                                    device.cc_major, device.cc_minor, why));
        }
        return plan;
    }
    std::string reasons;
    for (AttentionPath candidate : {AttentionPath::sm90, AttentionPath::sm80}) {
        if (try_path(candidate)) return plan;
        reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", path_name(candidate), why);
    }
    throw Error(Status::unsupported,
                fmt::format("ptxkit::attention_prefill: no kernel runs this problem on {} sm_{}{} ({})", device.name,
                            device.cc_major, device.cc_minor, reasons));
}

bool nothing_to_do(const PrefillProblem& p) { return p.params.batch == 0 || p.total_q == 0; }

void run_prefill(const PrefillProblem& p, const AttentionOptions& options, Stream stream) {
    if (nothing_to_do(p)) return;
    const auto& a = p.params;
    detail::OpContext scope("ptxkit::attention_prefill", stream,
                            {{"q", a.q}, {"k", a.k}, {"v", a.v}, {"o", a.o}, {"lse", a.lse},
                             {"cu_seqlens_q", a.cu_seqlens_q}, {"cu_seqlens_k", a.cu_seqlens_k}});
    detail::ContextState& ctx = scope.state();
    const PrefillPlan plan = plan_prefill(p, ctx.properties(), options.path);
    if (plan.public_plan.path == AttentionPath::sm90) {
        detail::attention::launch_prefill_sm90(ctx, p, plan, stream);
    } else {
        detail::attention::launch_prefill_sm80(ctx, p, plan, stream);
    }
}

AttentionPlan prefill_plan(const PrefillProblem& p, const AttentionOptions& options) {
    const auto& device = device_properties(current_device());
    return plan_prefill(p, device, options.path).public_plan;
}

// ---------------------------------------------------------------------------
// Decode.

void check_decode_sizes(const ArgCheck& check, std::int64_t batch, std::int64_t q_len, std::int64_t heads_q,
                        std::int64_t heads_kv, std::int64_t head_dim, std::int64_t max_seq_len) {
    check.in_range("q (batch)", batch, 0, kMaxI32);
    check.in_range("q (q_len)", q_len, 1, kMaxQLen);
    check_heads(check, "k_cache (Hkv, KV heads)", heads_q, heads_kv);
    check_head_dim(check, "q", head_dim);
    check.in_range("max_seq_len", max_seq_len, 0, kMaxI32);
}

DecodeProblem describe(const DecodeAttentionArgs& args, const DecodeAttentionOptions& options) {
    const ArgCheck check("ptxkit::attention_decode");
    constexpr const char* kQ = "[B, q_len, Hq, D]";
    constexpr const char* kCache = "[num_pages, page_size, Hkv, D]";
    check_operand(check, "q", args.q, 4, kQ);
    check_operand(check, "o", args.o, 4, kQ);
    check_operand(check, "k_cache", args.k_cache, 4, kCache);
    check_operand(check, "v_cache", args.v_cache, 4, kCache);
    check.dtype_in("o", args.o.dtype, {args.q.dtype});
    check.dtype_in("k_cache", args.k_cache.dtype, {args.q.dtype});
    check.dtype_in("v_cache", args.v_cache.dtype, {args.q.dtype});
    check.same_shape("o", args.o, "q", args.q);
    check.same_shape("v_cache", args.v_cache, "k_cache", args.k_cache);
    const std::int64_t batch = args.q.shape[0], q_len = args.q.shape[1], heads_q = args.q.shape[2];
    const std::int64_t d = args.q.shape[3];
    const std::int64_t num_pages = args.k_cache.shape[0], page_size = args.k_cache.shape[1];
    const std::int64_t heads_kv = args.k_cache.shape[2];
    check_decode_sizes(check, batch, q_len, heads_q, heads_kv, d, args.max_seq_len);
    if (args.k_cache.shape[3] != d) {
        check.fail("k_cache", fmt::format("{} with D = {} (from q)", kCache, d), detail::format_shape(args.k_cache));
    }
    if (page_size < 16 || page_size > 256 || (page_size & (page_size - 1)) != 0) {
        check.fail("k_cache", "a page size (shape[1]) that is a power of two in [16, 256]",
                   fmt::format("{}", page_size));
    }
    check.in_range("k_cache (num_pages)", num_pages, 0, kMaxI32);

    check.valid_tensor("page_table", args.page_table);
    check.dtype_in("page_table", args.page_table.dtype, {DType::i32});
    if (args.page_table.rank != 2 || args.page_table.shape[0] != batch) {
        check.fail("page_table", fmt::format("[B, max_pages] with B = {}", batch), detail::format_shape(args.page_table));
    }
    const std::int64_t max_pages = args.page_table.shape[1];
    check.in_range("page_table (max_pages)", max_pages, 0, kMaxI32);
    if (max_pages > 1 && args.page_table.stride[1] != 1) {
        check.fail("page_table", "contiguous rows (stride[1] = 1)", fmt::format("stride {}", args.page_table.stride[1]));
    }
    if (batch > 1 && args.page_table.stride[0] < max_pages) {
        check.fail("page_table", fmt::format("a row stride of at least max_pages = {}", max_pages),
                   fmt::format("{}", args.page_table.stride[0]));
    }
    if (args.page_table.numel() > 0) check.aligned("page_table", args.page_table.data, 4);
    if (args.max_seq_len > max_pages * page_size) {
        check.fail("page_table",
                   fmt::format("at least ceil(max_seq_len / page_size) = {} pages per sequence (max_seq_len {}, "
                               "page_size {})",
                               (args.max_seq_len + page_size - 1) / page_size, args.max_seq_len, page_size),
                   fmt::format("{} pages", max_pages));
    }
    check.valid_tensor("seq_lens", args.seq_lens);
    check.dtype_in("seq_lens", args.seq_lens.dtype, {DType::i32});
    if (args.seq_lens.rank != 1 || args.seq_lens.shape[0] != batch) {
        check.fail("seq_lens", fmt::format("[B] = [{}]", batch), detail::format_shape(args.seq_lens));
    }
    check.contiguous("seq_lens", args.seq_lens);
    if (batch > 0) check.aligned("seq_lens", args.seq_lens.data, 4);
    if (args.lse.data != nullptr) {
        check_lse(check, "lse", args.lse, TensorView::contiguous(nullptr, DType::f32, {batch, q_len, heads_q}),
                  "[B, q_len, Hq]");
    }
    check_scale_and_cap(check, options.softmax_scale, options.softcap);
    check.in_range("options.window_left", options.window_left, -1, kMaxI32);
    check.in_range("options.splits", options.splits, 0, 1024);
    if (options.workspace != nullptr) check.aligned("options.workspace", options.workspace, 16);
    check_outputs_apart(check, args.o, args.q, args.k_cache, args.v_cache, args.lse, "k_cache", "v_cache");
    const std::size_t o_bytes = span_bytes(args.o);
    check.no_overlap("o", args.o.data, o_bytes, "page_table", args.page_table.data, span_bytes(args.page_table));
    check.no_overlap("o", args.o.data, o_bytes, "seq_lens", args.seq_lens.data, span_bytes(args.seq_lens));
    const std::size_t ws_bytes = options.workspace != nullptr ? options.workspace_bytes : 0;
    if (ws_bytes > 0) {
        check.no_overlap("options.workspace", options.workspace, ws_bytes, "o", args.o.data, o_bytes);
        check.no_overlap("options.workspace", options.workspace, ws_bytes, "q", args.q.data, span_bytes(args.q));
        check.no_overlap("options.workspace", options.workspace, ws_bytes, "k_cache", args.k_cache.data,
                         span_bytes(args.k_cache));
        check.no_overlap("options.workspace", options.workspace, ws_bytes, "v_cache", args.v_cache.data,
                         span_bytes(args.v_cache));
        if (args.lse.data != nullptr) {
            check.no_overlap("options.workspace", options.workspace, ws_bytes, "lse", args.lse.data,
                             span_bytes(args.lse));
        }
    }

    DecodeProblem p;
    ptxkit_attention_decode_params& a = p.params;
    a.q = args.q.data;
    a.k_cache = args.k_cache.data;
    a.v_cache = args.v_cache.data;
    a.o = args.o.data;
    a.lse = static_cast<float*>(args.lse.data);
    a.page_table = static_cast<const std::int32_t*>(args.page_table.data);
    a.seq_lens = static_cast<const std::int32_t*>(args.seq_lens.data);
    a.q_batch_stride = args.q.stride[0];
    a.q_row_stride = args.q.stride[1];
    a.q_head_stride = args.q.stride[2];
    a.o_batch_stride = args.o.stride[0];
    a.o_row_stride = args.o.stride[1];
    a.o_head_stride = args.o.stride[2];
    a.k_page_stride = args.k_cache.stride[0];
    a.k_row_stride = args.k_cache.stride[1];
    a.k_head_stride = args.k_cache.stride[2];
    a.v_page_stride = args.v_cache.stride[0];
    a.v_row_stride = args.v_cache.stride[1];
    a.v_head_stride = args.v_cache.stride[2];
    a.page_table_stride = batch > 1 ? args.page_table.stride[0] : max_pages;
    a.max_pages = static_cast<std::int32_t>(max_pages);
    a.num_pages = static_cast<std::int32_t>(num_pages);
    a.page_size = static_cast<std::int32_t>(page_size);
    int log2_page = 0;
    while ((std::int64_t{1} << log2_page) < page_size) ++log2_page;
    a.log2_page_size = log2_page;
    a.batch = static_cast<std::int32_t>(batch);
    a.q_len = static_cast<std::int32_t>(q_len);
    a.heads_q = static_cast<std::int32_t>(heads_q);
    a.heads_kv = static_cast<std::int32_t>(heads_kv);
    a.head_dim = static_cast<std::int32_t>(d);
    a.max_seq_len = static_cast<std::int32_t>(args.max_seq_len);
    const float scale = options.softmax_scale != 0.0f ? options.softmax_scale
                                                      : 1.0f / std::sqrt(static_cast<float>(d));
    a.softmax_scale = scale;
    a.softmax_scale_log2 = scale * kLog2e;
    a.softcap = options.softcap;
    a.window_left = options.window_left;
    a.dtype = args.q.dtype == DType::bf16 ? PTXKIT_ATTN_BF16 : PTXKIT_ATTN_F16;
    p.dtype = args.q.dtype;
    p.workspace = options.workspace;
    p.workspace_bytes = ws_bytes;
    p.forced_splits = options.splits;
    return p;
}

DecodePlan decode_plan_for(const DecodeProblem& p, const DeviceProperties& device) {
    const ptxkit_attention_decode_params& a = p.params;
    return detail::attention::plan_decode(a.batch, a.q_len, a.heads_q, a.heads_kv, a.head_dim, a.max_seq_len,
                                          a.window_left, p.workspace_bytes, p.forced_splits, device);
}

}  // namespace

void attention_prefill(const VarlenAttentionArgs& args, const AttentionOptions& options, Stream stream) {
    run_prefill(describe(args, options), options, stream);
}

void attention_prefill(const AttentionArgs& args, const AttentionOptions& options, Stream stream) {
    run_prefill(describe(args, options), options, stream);
}

AttentionPlan attention_prefill_plan(const VarlenAttentionArgs& args, const AttentionOptions& options) {
    return prefill_plan(describe(args, options), options);
}

AttentionPlan attention_prefill_plan(const AttentionArgs& args, const AttentionOptions& options) {
    return prefill_plan(describe(args, options), options);
}

void attention_decode(const DecodeAttentionArgs& args, const DecodeAttentionOptions& options, Stream stream) {
    const DecodeProblem p = describe(args, options);
    if (p.params.batch == 0) return;
    const auto& a = p.params;
    detail::OpContext scope("ptxkit::attention_decode", stream,
                            {{"q", a.q}, {"k_cache", a.k_cache}, {"v_cache", a.v_cache}, {"o", a.o}, {"lse", a.lse},
                             {"page_table", a.page_table}, {"seq_lens", a.seq_lens},
                             {"options.workspace", p.workspace}});
    detail::ContextState& ctx = scope.state();
    const DecodePlan plan = decode_plan_for(p, ctx.properties());
    detail::attention::launch_decode(ctx, p, plan, stream);
}

AttentionPlan attention_decode_plan(const DecodeAttentionArgs& args, const DecodeAttentionOptions& options) {
    const DecodeProblem p = describe(args, options);
    return decode_plan_for(p, device_properties(current_device())).public_plan;
}

std::size_t attention_decode_workspace_size(std::int64_t batch, std::int64_t q_len, std::int64_t heads_q,
                                            std::int64_t heads_kv, std::int64_t head_dim, std::int64_t max_seq_len) {
    const ArgCheck check("ptxkit::attention_decode_workspace_size");
    check_decode_sizes(check, batch, q_len, heads_q, heads_kv, head_dim, max_seq_len);
    if (batch == 0) return 0;
    const auto& device = device_properties(current_device());
    return detail::attention::plan_decode(batch, q_len, heads_q, heads_kv, head_dim, max_seq_len, -1,
                                          std::numeric_limits<std::size_t>::max(), 0, device)
        .workspace_bytes;
}

}  // namespace ptxkit
