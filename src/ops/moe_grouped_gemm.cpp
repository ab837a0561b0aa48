// ptxkit::moe::grouped_gemm, grouped_gemm_masked and their plans: argument
// checks (before any driver call), the choice of kernel family, the launch.
//   moe_grouped_gemm_sm90.cpp -> kernels/moe/grouped_gemm_sm90.cu
//   moe_grouped_gemm_sm80.cpp -> kernels/moe/grouped_gemm_sm80.cu
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/checks.hpp"
#include "gemm/gemm_params.h"
#include "ops/moe_grouped_gemm_internal.hpp"
#include "ptxkit/error.hpp"
#include "runtime/launch.hpp"

namespace ptxkit {
namespace detail::moe_gemm {

std::int64_t max_tile_rows(const GroupedProblem& p, int block_m) {
    const std::int64_t per_batch = (p.rows + block_m - 1) / block_m;
    return p.masked ? per_batch * p.experts : per_batch;
}

ptxkit_moe_gemm_params make_params(const GroupedProblem& p, const GroupedPlan& plan) {
    ptxkit_moe_gemm_params q{};
    q.a = p.a;
    q.b = p.b;
    q.d = p.d;
    q.block_expert = static_cast<const std::int32_t*>(p.block_expert);
    q.total_padded = static_cast<const std::int32_t*>(p.total_padded);
    q.counts = static_cast<const std::int32_t*>(p.counts);
    q.rows = p.rows;
    q.n = p.n;
    q.n_out = p.n_out;
    q.k = p.k;
    q.lda = p.lda;
    q.ldb = p.ldb;
    q.ldd = p.ldd;
    q.a_batch_stride = p.a_batch_stride;
    q.d_batch_stride = p.d_batch_stride;
    q.b_expert_stride = p.b_expert_stride;
    q.num_experts = p.experts;
    q.layout = p.masked ? PTXKIT_MOE_GEMM_MASKED : PTXKIT_MOE_GEMM_CONTIGUOUS;
    q.epilogue = p.swiglu ? PTXKIT_MOE_GEMM_EPILOGUE_SWIGLU : PTXKIT_MOE_GEMM_EPILOGUE_NONE;
    q.d_dtype = static_cast<std::int32_t>(p.d_dtype);
    int log2_block_m = 0;
    while (!p.masked && (1 << log2_block_m) < p.block_m) ++log2_block_m;
    q.log2_block_m = log2_block_m;
    q.num_blocks = static_cast<std::int32_t>(std::min<std::int64_t>(p.num_blocks, std::numeric_limits<std::int32_t>::max()));
    q.tiles_n = plan.tiles_n;
    q.group_m = plan.group_m;
    return q;
}

namespace {

const char* path_name(GemmPath path) {
    switch (path) {
        case GemmPath::sm90: return "sm90";
        case GemmPath::sm80: return "sm80";
        case GemmPath::general: return "general";
        case GemmPath::automatic: break;
    }
    return "automatic";
}

}  // namespace

GroupedPlan plan_grouped(const GroupedProblem& p, const DeviceProperties& device, GemmPath path) {
    GroupedPlan plan;
    std::string why;
    const auto describe = [&] {
        return fmt::format("{} E={} rows={} N={} K={} {}{} on {} sm_{}{}", p.masked ? "masked" : "contiguous",
                           p.experts, p.rows, p.n, p.k, dtype_name(p.ab_dtype), p.swiglu ? " swiglu" : "",
                           device.name, device.cc_major, device.cc_minor);
    };
    if (path == GemmPath::general) {
        throw Error(Status::unsupported,
                    fmt::format("ptxkit::moe::grouped_gemm: there is no general grouped path; use automatic, sm90 "
                                "or sm80 ({})",
                                describe()));
    }
    if (path == GemmPath::sm90 || path == GemmPath::sm80) {
        const bool ok = path == GemmPath::sm90 ? plan_sm90(p, device, plan, why) : plan_sm80(p, device, plan, why);
        if (!ok) {
            throw Error(Status::unsupported,
                        fmt::format("ptxkit::moe::grouped_gemm: the {} path was forced but cannot run this problem "
                                    "({}): {}",
                                    path_name(path), describe(), why));
        }
        return plan;
    }
    if (plan_sm90(p, device, plan, why)) return plan;
    std::string why_sm90 = why;
    plan = GroupedPlan{};
    if (plan_sm80(p, device, plan, why)) return plan;
    throw Error(Status::unsupported, fmt::format("ptxkit::moe::grouped_gemm: no kernel can run this problem ({}): "
                                                 "sm90: {}; sm80: {}",
                                                 describe(), why_sm90, why));
}

}  // namespace detail::moe_gemm

namespace moe {
namespace {

using detail::moe_gemm::GroupedPlan;
using detail::moe_gemm::GroupedProblem;

constexpr std::int64_t kMaxDim = std::numeric_limits<std::int32_t>::max();

// The bytes a strided view spans (0 when empty).
std::size_t span_bytes(const TensorView& t) {
    if (t.numel() == 0) return 0;
    std::int64_t last = 0;
    for (int d = 0; d < t.rank; ++d) last += (t.shape[d] - 1) * t.stride[d];
    return static_cast<std::size_t>(last + 1) * dtype_size(t.dtype);
}

// The stride of dimension `dim`, or, where the dimension holds at most one
// element (its stride is never used), the dense value rounded up to 8
// elements, so that a stride that does not matter cannot fail a check.
std::int64_t effective_stride(const TensorView& t, int dim, std::int64_t dense) {
    return t.shape[dim] > 1 ? t.stride[dim] : (dense + 7) / 8 * 8;
}

// A [.., rows, cols] operand: unit inner stride, rows at least cols apart and
// a multiple of 8 elements apart (16-byte rows for TMA and cp.async).
std::int64_t check_rows(const detail::ArgCheck& check, const char* arg, const TensorView& t) {
    const int inner = t.rank - 1;
    if (t.shape[inner] > 1 && t.stride[inner] != 1) {
        check.fail(arg, "unit stride along its last dimension", fmt::format("stride {}", t.stride[inner]));
    }
    const std::int64_t ld = effective_stride(t, inner - 1, t.shape[inner]);
    if (ld < t.shape[inner]) {
        check.fail(arg, fmt::format("a row stride (stride[{}]) of at least {}", inner - 1, t.shape[inner]),
                   fmt::format("{}", ld));
    }
    if (ld % 8 != 0) {
        check.fail(arg, fmt::format("a row stride (stride[{}]) that is a multiple of 8 elements", inner - 1),
                   fmt::format("{}", ld));
    }
    check.aligned(arg, t.data, 16);
    return ld;
}

// The batch (expert) stride of a rank-3 operand [B, rows, cols] with row stride ld.
std::int64_t check_batches(const detail::ArgCheck& check, const char* arg, const TensorView& t, std::int64_t ld) {
    const std::int64_t stride = effective_stride(t, 0, t.shape[1] * ld);
    if (t.shape[0] > 1 && stride < t.shape[1] * ld) {
        check.fail(arg, fmt::format("a stride[0] of at least shape[1] * stride[1] = {} (experts do not overlap)",
                                    t.shape[1] * ld),
                   fmt::format("{}", stride));
    }
    if (stride % 8 != 0) check.fail(arg, "a stride[0] that is a multiple of 8 elements", fmt::format("{}", stride));
    return stride;
}

void check_rank(const detail::ArgCheck& check, const char* arg, const TensorView& t, int rank, const char* what) {
    check.valid_tensor(arg, t);
    if (t.rank != rank) check.fail(arg, fmt::format("rank {} {}", rank, what), fmt::format("rank {}", t.rank));
}

void check_i32_vector(const detail::ArgCheck& check, const char* arg, const TensorView& t) {
    check.valid_tensor(arg, t);
    check.dtype_in(arg, t.dtype, {DType::i32});
    if (t.rank != 1) check.fail(arg, "a 1-D i32 tensor", fmt::format("rank {}", t.rank));
    check.contiguous(arg, t);
    check.aligned(arg, t.data, 4);
}

// The weights and the options, common to both layouts.
void check_weights(const detail::ArgCheck& check, const TensorView& weights, const GroupedGemmOptions& o,
                   GroupedProblem& p) {
    check_rank(check, "weights", weights, 3, "[E, N, K]");
    check.dtype_in("weights", weights.dtype, {DType::bf16, DType::f16});
    check.in_range("weights.shape[0] (E)", weights.shape[0], 1, PTXKIT_MOE_GEMM_MAX_EXPERTS);
    check.in_range("weights.shape[1] (N)", weights.shape[1], 1, kMaxDim);
    check.in_range("weights.shape[2] (K)", weights.shape[2], 1, kMaxDim);
    check.in_range("options.epilogue", static_cast<int>(o.epilogue), 0, 1);
    check.in_range("options.path", static_cast<int>(o.path), 0, 3);
    p.swiglu = o.epilogue == GroupedEpilogue::swiglu;
    p.ab_dtype = weights.dtype;
    p.experts = static_cast<int>(weights.shape[0]);
    p.n = weights.shape[1];
    p.k = weights.shape[2];
    if (p.swiglu && p.n % 2 != 0) {
        check.fail("weights.shape[1] (N)", "an even number (the gate rows, then as many up rows) with the SwiGLU epilogue",
                   fmt::format("{}", p.n));
    }
    p.n_out = p.swiglu ? p.n / 2 : p.n;
    p.ldb = check_rows(check, "weights", weights);
    p.b_expert_stride = check_batches(check, "weights", weights, p.ldb);
    p.b = weights.data;
}

void check_out_dtype(const detail::ArgCheck& check, const TensorView& out, const GroupedProblem& p) {
    check.dtype_in("out", out.dtype, {p.ab_dtype, DType::f32});
}

void check_no_overlaps(const detail::ArgCheck& check, const TensorView& out,
                       std::initializer_list<std::pair<const char*, const TensorView*>> inputs) {
    const std::size_t out_bytes = span_bytes(out);
    for (const auto& [name, t] : inputs) check.no_overlap("out", out.data, out_bytes, name, t->data, span_bytes(*t));
}

GroupedProblem check_contiguous(const char* op, const TensorView& a, const TensorView& weights,
                                const TensorView& block_expert, const TensorView& total_padded, int block_m,
                                const TensorView& out, const GroupedGemmOptions& o) {
    const detail::ArgCheck check(op);
    GroupedProblem p;
    check_weights(check, weights, o, p);
    check_rank(check, "a", a, 2, "[rows, K]");
    check.dtype_in("a", a.dtype, {p.ab_dtype});
    if (a.shape[1] != p.k) {
        check.fail("a", fmt::format("K = {} columns (weights are {})", p.k, detail::format_shape(weights)),
                   detail::format_shape(a));
    }
    p.rows = a.shape[0];
    check.in_range("a.shape[0] (rows)", p.rows, 0, kMaxDim);
    p.lda = check_rows(check, "a", a);
    p.a = a.data;

    check_rank(check, "out", out, 2, "[rows, N]");
    check_out_dtype(check, out, p);
    if (out.shape[0] != p.rows || out.shape[1] != p.n_out) {
        check.fail("out", fmt::format("[rows, {}] = [{}, {}]", p.swiglu ? "N / 2" : "N", p.rows, p.n_out),
                   detail::format_shape(out));
    }
    p.d_dtype = out.dtype;
    p.ldd = check_rows(check, "out", out);
    p.d = out.data;

    if (block_m < kGroupedGemmMinBlockM || block_m > 256 || (block_m & (block_m - 1)) != 0) {
        check.fail("block_m", "align's block_m, a power of two in [64, 256] (a multiple of the 64-row tile)",
                   fmt::format("{}", block_m));
    }
    p.block_m = block_m;
    check_i32_vector(check, "block_expert", block_expert);
    if (block_expert.shape[0] < p.rows / block_m) {
        check.fail("block_expert", fmt::format("at least rows / block_m = {} entries", p.rows / block_m),
                   detail::format_shape(block_expert));
    }
    p.num_blocks = block_expert.shape[0];
    p.block_expert = block_expert.data;
    check_i32_vector(check, "total_padded", total_padded);
    if (total_padded.shape[0] != 1) check.fail("total_padded", "[1]", detail::format_shape(total_padded));
    p.total_padded = total_padded.data;

    check_no_overlaps(check, out,
                      {{"a", &a}, {"weights", &weights}, {"block_expert", &block_expert}, {"total_padded", &total_padded}});
    return p;
}

GroupedProblem check_masked(const char* op, const TensorView& a, const TensorView& weights, const TensorView& counts,
                            const TensorView& out, const GroupedGemmOptions& o) {
    const detail::ArgCheck check(op);
    GroupedProblem p;
    p.masked = true;
    check_weights(check, weights, o, p);
    check_rank(check, "a", a, 3, "[E, capacity, K]");
    check.dtype_in("a", a.dtype, {p.ab_dtype});
    if (a.shape[0] != p.experts || a.shape[2] != p.k) {
        check.fail("a", fmt::format("[E, capacity, K] with E = {} and K = {} (weights are {})", p.experts, p.k,
                                    detail::format_shape(weights)),
                   detail::format_shape(a));
    }
    p.rows = a.shape[1];
    // The device counts tile rows (of 64 or more) over all experts in 32 bits.
    const std::int64_t capacity_limit = kMaxDim / p.experts / 64 * 64;
    check.in_range("a.shape[1] (capacity, E * capacity / 64 < 2^31)", p.rows, 0, capacity_limit);
    p.lda = check_rows(check, "a", a);
    p.a_batch_stride = check_batches(check, "a", a, p.lda);
    p.a = a.data;

    check_rank(check, "out", out, 3, "[E, capacity, N]");
    check_out_dtype(check, out, p);
    if (out.shape[0] != p.experts || out.shape[1] != p.rows || out.shape[2] != p.n_out) {
        check.fail("out",
                   fmt::format("[E, capacity, {}] = [{}, {}, {}]", p.swiglu ? "N / 2" : "N", p.experts, p.rows, p.n_out),
                   detail::format_shape(out));
    }
    p.d_dtype = out.dtype;
    p.ldd = check_rows(check, "out", out);
    p.d_batch_stride = check_batches(check, "out", out, p.ldd);
    p.d = out.data;

    check_i32_vector(check, "counts", counts);
    if (counts.shape[0] != p.experts) {
        check.fail("counts", fmt::format("[E] = [{}], one count per expert", p.experts), detail::format_shape(counts));
    }
    p.counts = counts.data;
    check_no_overlaps(check, out, {{"a", &a}, {"weights", &weights}, {"counts", &counts}});
    return p;
}

void launch(const char* op, const GroupedProblem& p, const GemmPath path, Stream stream) {
    detail::OpContext scope(op, stream,
                            {{"a", p.a}, {"weights", p.b}, {"out", p.d}, {"block_expert", p.block_expert},
                             {"total_padded", p.total_padded}, {"counts", p.counts}});
    detail::ContextState& ctx = scope.state();
    const GroupedPlan plan = detail::moe_gemm::plan_grouped(p, ctx.properties(), path);
    if (plan.public_plan.path == GemmPath::sm90) {
        detail::moe_gemm::launch_sm90(ctx, p, plan, stream);
    } else {
        detail::moe_gemm::launch_sm80(ctx, p, plan, stream);
    }
}

bool empty(const GroupedProblem& p) { return p.rows == 0; }

}  // namespace

void grouped_gemm(const TensorView& a, const TensorView& weights, const TensorView& block_expert,
                  const TensorView& total_padded, int block_m, const TensorView& out, const GroupedGemmOptions& options,
                  Stream stream) {
    const GroupedProblem p =
        check_contiguous("ptxkit::moe::grouped_gemm", a, weights, block_expert, total_padded, block_m, out, options);
    if (empty(p)) return;
    launch("ptxkit::moe::grouped_gemm", p, options.path, stream);
}

GroupedGemmPlan grouped_gemm_plan(const TensorView& a, const TensorView& weights, const TensorView& block_expert,
                                  const TensorView& total_padded, int block_m, const TensorView& out,
                                  const GroupedGemmOptions& options) {
    const GroupedProblem p = check_contiguous("ptxkit::moe::grouped_gemm_plan", a, weights, block_expert, total_padded,
                                              block_m, out, options);
    return detail::moe_gemm::plan_grouped(p, device_properties(current_device()), options.path).public_plan;
}

void grouped_gemm_masked(const TensorView& a, const TensorView& weights, const TensorView& counts,
                         const TensorView& out, const GroupedGemmOptions& options, Stream stream) {
    const GroupedProblem p = check_masked("ptxkit::moe::grouped_gemm_masked", a, weights, counts, out, options);
    if (empty(p)) return;
    launch("ptxkit::moe::grouped_gemm_masked", p, options.path, stream);
}

GroupedGemmPlan grouped_gemm_masked_plan(const TensorView& a, const TensorView& weights, const TensorView& counts,
                                         const TensorView& out, const GroupedGemmOptions& options) {
    const GroupedProblem p = check_masked("ptxkit::moe::grouped_gemm_masked_plan", a, weights, counts, out, options);
    return detail::moe_gemm::plan_grouped(p, device_properties(current_device()), options.path).public_plan;
}

}  // namespace moe
}  // namespace ptxkit
