// ptxkit::moe::fused_moe and fused_moe_workspace_size: the MoE layer as one
// call, built from the MoE ops, every intermediate carved from the caller's
// workspace:
//   routing (topk_softmax or topk_grouped_sigmoid) -> weights, ids [T, k]
//   align (block_m 128)                            -> the expert-contiguous layout
//   permute                                        -> x rows in expert order [rows, H]
//   grouped GEMM, w13, SwiGLU epilogue             -> h [rows, I]
//   grouped GEMM, w2                               -> y [rows, H] (over x: x is dead by then)
//   combine (+ shared_output)                      -> out [T, H]
// Every argument is checked, and both grouped GEMMs are planned, before the
// first launch, so a rejected call launches nothing.
//
// rows: align's capacity T k + E (block_m - 1) bounds the padded total for any
// routing, but only experts that receive a pair are padded, and at most
// min(E, T k) do, so the total never exceeds T k + min(E, T k) (block_m - 1).
// The row buffers are sized by that (for decode, T k + T k (block_m - 1)
// instead of E (block_m - 1) extra rows); the index buffers keep align's
// sizes, of which the GEMMs and permute read only the first `rows` rows.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/checks.hpp"
#include "ops/moe_grouped_gemm_internal.hpp"
#include "ptxkit/error.hpp"
#include "ptxkit/moe.hpp"
#include "runtime/context.hpp"

namespace ptxkit::moe {
namespace {

using detail::span_bytes;
using detail::moe_gemm::GroupedPlan;
using detail::moe_gemm::GroupedProblem;

constexpr int kBlockM = kGroupedGemmBlockM;
constexpr std::size_t kRegionAlign = 256;
constexpr std::int64_t kMaxPairs = std::int64_t{1} << 24;  // align's limit on T k
constexpr std::int64_t kMaxDim = std::numeric_limits<std::int32_t>::max();
constexpr int kMaxExperts = 512;
constexpr int kMaxK = 16;

std::size_t round_up(std::size_t v, std::size_t unit) { return (v + unit - 1) / unit * unit; }
std::int64_t round_up8(std::int64_t v) { return (v + 7) / 8 * 8; }

// Where each intermediate lives in the workspace (byte offsets from its base).
struct Carve {
    std::int64_t tokens = 0, hidden = 0, inter = 0;
    int experts = 0, k = 0;
    std::int64_t pairs = 0;
    std::int64_t capacity = 0;    // align's sorted_pairs length
    std::int64_t num_blocks = 0;  // align's block_expert length
    std::int64_t rows = 0;        // rows the row buffers hold
    std::int64_t ld_x = 0;        // row stride of x and y (elements)
    std::int64_t ld_h = 0;        // row stride of h
    std::size_t weights = 0, ids = 0, counts = 0, offsets = 0, sorted = 0, blocks = 0, inverse = 0, total = 0;
    std::size_t align_ws = 0, align_ws_bytes = 0;
    std::size_t x = 0, h = 0;
    std::size_t bytes = 0;
};

Carve carve_for(std::int64_t tokens, std::int64_t hidden, std::int64_t inter, int experts, int k, DType dtype) {
    Carve c;
    c.tokens = tokens;
    c.hidden = hidden;
    c.inter = inter;
    c.experts = experts;
    c.k = k;
    c.pairs = tokens * k;
    c.capacity = c.pairs + static_cast<std::int64_t>(experts) * (kBlockM - 1);
    c.num_blocks = c.capacity / kBlockM;
    c.rows = std::min(c.capacity, c.pairs + std::min<std::int64_t>(experts, c.pairs) * (kBlockM - 1));
    c.ld_x = round_up8(hidden);
    c.ld_h = round_up8(inter);
    const std::size_t elem = dtype_size(dtype);
    std::size_t at = 0;
    const auto take = [&](std::size_t bytes) {
        const std::size_t offset = at;
        at = round_up(at + bytes, kRegionAlign);
        return offset;
    };
    const auto i32 = [](std::int64_t n) { return static_cast<std::size_t>(n) * 4; };
    c.weights = take(static_cast<std::size_t>(c.pairs) * 4);
    c.ids = take(i32(c.pairs));
    c.counts = take(i32(experts));
    c.offsets = take(i32(experts + 1));
    c.sorted = take(i32(c.capacity));
    c.blocks = take(i32(c.num_blocks));
    c.inverse = take(i32(c.pairs));
    c.total = take(i32(1));
    c.align_ws_bytes = align_workspace_size(tokens, k, experts);
    c.align_ws = take(c.align_ws_bytes);
    c.x = take(static_cast<std::size_t>(c.rows * c.ld_x) * elem);
    c.h = take(static_cast<std::size_t>(c.rows * c.ld_h) * elem);
    c.bytes = at;
    return c;
}

void check_sizes(const detail::ArgCheck& check, std::int64_t tokens, std::int64_t hidden, std::int64_t inter,
                 int experts, int k) {
    check.in_range("num_experts (E)", experts, 2, kMaxExperts);
    check.in_range("k", k, 1, std::min(kMaxK, experts));
    check.in_range("tokens (T, T * k <= 2^24)", tokens, 0, kMaxPairs / k);
    check.in_range("hidden (H)", hidden, 1, kMaxDim);
    check.in_range("intermediate (I)", inter, 1, kMaxDim / 2);
}

// A [rows, cols] view with unit inner stride and rows at least cols apart.
void check_matrix(const detail::ArgCheck& check, const char* arg, const TensorView& t) {
    check.valid_tensor(arg, t);
    if (t.rank != 2) check.fail(arg, "a 2-D tensor", fmt::format("rank {}", t.rank));
    if (t.shape[1] > 1 && t.stride[1] != 1) {
        check.fail(arg, "unit stride along its second dimension", fmt::format("stride {}", t.stride[1]));
    }
    if (t.shape[0] > 1 && t.stride[0] < t.shape[1]) {
        check.fail(arg, fmt::format("a row stride (stride[0]) of at least {}", t.shape[1]),
                   fmt::format("{}", t.stride[0]));
    }
}

// An expert weight [E, rows, cols]: what the grouped GEMM needs of it.
struct Weight {
    std::int64_t ld = 0;
    std::int64_t expert_stride = 0;
};

Weight check_weight(const detail::ArgCheck& check, const char* arg, const TensorView& w, DType dtype,
                    std::int64_t experts, std::int64_t rows, std::int64_t cols, const char* shape_text) {
    check.valid_tensor(arg, w);
    if (w.rank != 3) check.fail(arg, fmt::format("rank 3 {}", shape_text), fmt::format("rank {}", w.rank));
    check.dtype_in(arg, w.dtype, {dtype});
    if (w.shape[0] != experts || w.shape[1] != rows || w.shape[2] != cols) {
        check.fail(arg, fmt::format("{} = [{}, {}, {}]", shape_text, experts, rows, cols), detail::format_shape(w));
    }
    if (cols > 1 && w.stride[2] != 1) {
        check.fail(arg, "unit stride along its last dimension", fmt::format("stride {}", w.stride[2]));
    }
    Weight r;
    r.ld = rows > 1 ? w.stride[1] : round_up8(cols);
    if (r.ld < cols || r.ld % 8 != 0) {
        check.fail(arg, fmt::format("a row stride (stride[1]) of at least {} and a multiple of 8 elements", cols),
                   fmt::format("{}", r.ld));
    }
    r.expert_stride = experts > 1 ? w.stride[0] : rows * r.ld;
    if (r.expert_stride < rows * r.ld || r.expert_stride % 8 != 0) {
        check.fail(arg,
                   fmt::format("an expert stride (stride[0]) of at least {} and a multiple of 8 elements", rows * r.ld),
                   fmt::format("{}", r.expert_stride));
    }
    check.aligned(arg, w.data, 16);
    return r;
}

struct Checked {
    Carve carve;
    DType dtype = DType::bf16;
    Weight w13, w2;
    GroupedProblem gemm1, gemm2;
    GroupedPlan plan1, plan2;
};

Checked check_all(const TensorView& hidden, const TensorView& logits, const TensorView& w13, const TensorView& w2,
                  const TensorView& out, const FusedMoeOptions& o, void* workspace, std::size_t workspace_bytes) {
    const detail::ArgCheck check("ptxkit::moe::fused_moe");
    Checked r;
    check_matrix(check, "hidden", hidden);
    check.dtype_in("hidden", hidden.dtype, {DType::bf16, DType::f16});
    r.dtype = hidden.dtype;
    const std::int64_t tokens = hidden.shape[0];
    const std::int64_t h = hidden.shape[1];

    check.valid_tensor("router_logits", logits);
    check.dtype_in("router_logits", logits.dtype, {DType::f32, DType::bf16, DType::f16});
    if (logits.rank != 2) check.fail("router_logits", "rank 2 [T, E]", fmt::format("rank {}", logits.rank));
    check.contiguous("router_logits", logits);
    if (logits.shape[0] != tokens) {
        check.fail("router_logits", fmt::format("{} rows, as 'hidden'", tokens), detail::format_shape(logits));
    }
    check.in_range("router_logits.shape[1] (E)", logits.shape[1], 2, kMaxExperts);
    const int experts = static_cast<int>(logits.shape[1]);
    check.in_range("options.k", o.k, 1, std::min(kMaxK, experts));
    check.in_range("hidden.shape[0] (T, T * k <= 2^24)", tokens, 0, kMaxPairs / o.k);
    check.in_range("hidden.shape[1] (H)", h, 1, kMaxDim);

    check.valid_tensor("w13", w13);
    if (w13.rank != 3) check.fail("w13", "rank 3 [E, 2 I, H]", fmt::format("rank {}", w13.rank));
    if (w13.shape[0] != experts) {
        check.fail("w13", fmt::format("[E, 2 I, H] with E = {} (router_logits has {} experts)", experts, experts),
                   detail::format_shape(w13));
    }
    if (w13.shape[1] < 2 || w13.shape[1] % 2 != 0) {
        check.fail("w13", "[E, 2 I, H] with an even, nonzero 2 I (gate rows, then as many up rows)",
                   detail::format_shape(w13));
    }
    const std::int64_t inter = w13.shape[1] / 2;
    check.in_range("w13.shape[1] / 2 (I)", inter, 1, kMaxDim / 2);
    r.w13 = check_weight(check, "w13", w13, r.dtype, experts, 2 * inter, h, "[E, 2 I, H]");
    r.w2 = check_weight(check, "w2", w2, r.dtype, experts, h, inter, "[E, H, I]");

    check_matrix(check, "out", out);
    check.dtype_in("out", out.dtype, {r.dtype});
    if (out.shape[0] != tokens || out.shape[1] != h) {
        check.fail("out", fmt::format("the shape of 'hidden', [{}, {}]", tokens, h), detail::format_shape(out));
    }

    check.in_range("options.routing", static_cast<int>(o.routing), 0, 1);
    if (o.routing == MoeRouting::grouped_sigmoid_topk) {
        check.in_range("options.num_groups", o.num_groups, 1, 32);
        if (experts % o.num_groups != 0) {
            check.fail("options.num_groups", fmt::format("a divisor of the expert count {}", experts),
                       fmt::format("{}", o.num_groups));
        }
        const int group_size = experts / o.num_groups;
        if (group_size < 2) {
            check.fail("options.num_groups", "groups of at least 2 experts (a group is scored by its top 2)",
                       fmt::format("{} groups of {} expert", o.num_groups, group_size));
        }
        check.in_range("options.topk_group", o.topk_group, 1, o.num_groups);
        if (static_cast<std::int64_t>(o.topk_group) * group_size < o.k) {
            check.fail("options.k", fmt::format("at most topk_group * experts per group = {}", o.topk_group * group_size),
                       fmt::format("{}", o.k));
        }
        if (o.bias.data != nullptr) {
            check.valid_tensor("options.bias", o.bias);
            check.dtype_in("options.bias", o.bias.dtype, {DType::f32});
            check.same_shape("options.bias", o.bias, "[E]", TensorView::contiguous(nullptr, DType::f32, {experts}));
            check.contiguous("options.bias", o.bias);
        }
    } else if (o.bias.data != nullptr) {
        check.fail("options.bias", "null data (a bias applies to grouped_sigmoid_topk routing only)", "a tensor");
    }
    const bool has_shared = o.shared_output.data != nullptr;
    if (has_shared) {
        check_matrix(check, "options.shared_output", o.shared_output);
        check.dtype_in("options.shared_output", o.shared_output.dtype, {out.dtype});
        if (o.shared_output.shape[0] != tokens || o.shared_output.shape[1] != h) {
            check.fail("options.shared_output", fmt::format("the shape of 'out', [{}, {}]", tokens, h),
                       detail::format_shape(o.shared_output));
        }
    }
    check.in_range("options.path", static_cast<int>(o.path), 0, 3);

    r.carve = carve_for(tokens, h, inter, experts, o.k, r.dtype);
    const std::size_t needed = tokens == 0 ? 0 : r.carve.bytes;
    if (needed > 0) {
        check.not_null("workspace", workspace);
        check.aligned("workspace", workspace, kRegionAlign);
        if (workspace_bytes < needed) {
            check.fail("workspace_bytes", fmt::format("at least {} (fused_moe_workspace_size)", needed),
                       fmt::format("{}", workspace_bytes));
        }
    }

    // The output and the workspace against every input and each other.
    struct Region {
        const char* name;
        const void* data;
        std::size_t bytes;
    };
    const Region inputs[] = {
        {"hidden", hidden.data, span_bytes(hidden)},
        {"router_logits", logits.data, span_bytes(logits)},
        {"w13", w13.data, span_bytes(w13)},
        {"w2", w2.data, span_bytes(w2)},
        {"options.bias", o.bias.data, o.routing == MoeRouting::grouped_sigmoid_topk ? span_bytes(o.bias) : 0},
        {"options.shared_output", o.shared_output.data, has_shared ? span_bytes(o.shared_output) : 0},
    };
    const std::size_t out_bytes = span_bytes(out);
    for (const Region& in : inputs) {
        check.no_overlap("out", out.data, out_bytes, in.name, in.data, in.bytes);
        check.no_overlap("workspace", workspace, needed, in.name, in.data, in.bytes);
    }
    check.no_overlap("workspace", workspace, needed, "out", out.data, out_bytes);

    if (tokens == 0) return r;  // nothing to compute; the workspace may be null

    // The two grouped GEMMs, over the workspace's row buffers.
    const Carve& c = r.carve;
    char* const base = static_cast<char*>(workspace);
    GroupedProblem& g1 = r.gemm1;
    g1.ab_dtype = r.dtype;
    g1.d_dtype = r.dtype;
    g1.swiglu = true;
    g1.experts = experts;
    g1.rows = c.rows;
    g1.n = 2 * inter;
    g1.n_out = inter;
    g1.k = h;
    g1.block_m = kBlockM;
    g1.num_blocks = c.num_blocks;
    g1.a = base + c.x;
    g1.b = w13.data;
    g1.d = base + c.h;
    g1.block_expert = base + c.blocks;
    g1.total_padded = base + c.total;
    g1.lda = c.ld_x;
    g1.ldb = r.w13.ld;
    g1.ldd = c.ld_h;
    g1.b_expert_stride = r.w13.expert_stride;
    GroupedProblem& g2 = r.gemm2;
    g2 = g1;
    g2.swiglu = false;
    g2.n = h;
    g2.n_out = h;
    g2.k = inter;
    g2.a = base + c.h;
    g2.b = w2.data;
    g2.d = base + c.x;
    g2.lda = c.ld_h;
    g2.ldb = r.w2.ld;
    g2.ldd = c.ld_x;
    g2.b_expert_stride = r.w2.expert_stride;
    return r;
}

}  // namespace

std::size_t fused_moe_workspace_size(std::int64_t tokens, std::int64_t hidden, std::int64_t intermediate,
                                     int num_experts, int k, DType dtype) {
    const detail::ArgCheck check("ptxkit::moe::fused_moe_workspace_size");
    check_sizes(check, tokens, hidden, intermediate, num_experts, k);
    check.dtype_in("dtype", dtype, {DType::bf16, DType::f16});
    if (tokens == 0) return 0;
    return carve_for(tokens, hidden, intermediate, num_experts, k, dtype).bytes;
}

void fused_moe(const TensorView& hidden, const TensorView& router_logits, const TensorView& w13,
               const TensorView& w2, const TensorView& out, const FusedMoeOptions& options, void* workspace,
               std::size_t workspace_bytes, Stream stream) {
    Checked r = check_all(hidden, router_logits, w13, w2, out, options, workspace, workspace_bytes);
    const Carve& c = r.carve;
    if (c.tokens == 0) return;

    detail::OpContext scope("ptxkit::moe::fused_moe", stream,
                            {{"hidden", hidden.data}, {"router_logits", router_logits.data}, {"w13", w13.data},
                             {"w2", w2.data}, {"out", out.data}, {"options.bias", options.bias.data},
                             {"options.shared_output", options.shared_output.data}, {"workspace", workspace}});
    detail::ContextState& ctx = scope.state();
    // Planned before anything is launched: a path that cannot run throws here.
    r.plan1 = detail::moe_gemm::plan_grouped(r.gemm1, ctx.properties(), options.path);
    r.plan2 = detail::moe_gemm::plan_grouped(r.gemm2, ctx.properties(), options.path);

    char* const base = static_cast<char*>(workspace);
    const auto i32 = [&](std::size_t offset, std::initializer_list<std::int64_t> shape) {
        return TensorView::contiguous(base + offset, DType::i32, shape);
    };
    const auto rows_view = [&](std::size_t offset, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
        TensorView t = TensorView::contiguous(base + offset, r.dtype, {rows, cols});
        t.stride[0] = ld;
        return t;
    };
    const TensorView weights = TensorView::contiguous(base + c.weights, DType::f32, {c.tokens, c.k});
    const TensorView ids = i32(c.ids, {c.tokens, c.k});

    if (options.routing == MoeRouting::grouped_sigmoid_topk) {
        GroupedTopkOptions g;
        g.k = options.k;
        g.num_groups = options.num_groups;
        g.topk_group = options.topk_group;
        g.routed_scaling_factor = options.routed_scaling_factor;
        topk_grouped_sigmoid(router_logits, options.bias, weights, ids, g, stream);
    } else {
        topk_softmax(router_logits, weights, ids, options.k, options.renormalize, stream);
    }

    AlignOutputs layout;
    layout.counts = i32(c.counts, {c.experts});
    layout.padded_offsets = i32(c.offsets, {c.experts + 1});
    layout.sorted_pairs = i32(c.sorted, {c.capacity});
    layout.block_expert = i32(c.blocks, {c.num_blocks});
    layout.inverse = i32(c.inverse, {c.tokens, c.k});
    layout.total_padded = i32(c.total, {1});
    align(ids, c.experts, kBlockM, layout, c.align_ws_bytes > 0 ? base + c.align_ws : nullptr, c.align_ws_bytes,
          stream);

    const TensorView x = rows_view(c.x, c.rows, c.hidden, c.ld_x);
    permute(hidden, i32(c.sorted, {c.rows}), layout.total_padded, c.k, x, stream);

    const auto run = [&](const GroupedProblem& p, const GroupedPlan& plan) {
        if (plan.public_plan.path == GemmPath::sm90) {
            detail::moe_gemm::launch_sm90(ctx, p, plan, stream);
        } else {
            detail::moe_gemm::launch_sm80(ctx, p, plan, stream);
        }
    };
    run(r.gemm1, r.plan1);
    run(r.gemm2, r.plan2);

    combine(x, weights, layout.inverse, options.shared_output, out, stream);
}

}  // namespace ptxkit::moe
