// ptxkit::gemm: argument checks, the choice of kernel family and
// configuration, split-K, and the launch. The families:
//   gemm_sm90.cpp    -> kernels/gemm/sm90_gemm.cu   (wgmma + TMA, Hopper)
//   gemm_sm80.cpp    -> kernels/gemm/sm80_gemm.cu   (mma.sync, Ampere and later)
//   gemm_general.cpp -> kernels/gemm/general.cu     (any shape and alignment)
// and the split-K reduction (kernels/gemm/splitk_reduce.cu), which also
// serves K = 0 (D = act(beta C + bias)).
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/checks.hpp"
#include "ptxkit/error.hpp"
#include "ops/gemm_internal.hpp"
#include "ops/streaming_grid.hpp"
#include "runtime/launch.hpp"

namespace ptxkit {
namespace detail::gemm {

bool Problem::aligned16() const noexcept {
    auto ok = [](const void* ptr) { return reinterpret_cast<std::uintptr_t>(ptr) % 16 == 0; };
    const bool lds = lda % 8 == 0 && ldb % 8 == 0 && ldd % 8 == 0 && (c == nullptr || ldc % 8 == 0);
    return lds && ok(a) && ok(b) && ok(d) && (c == nullptr || ok(c));
}

namespace {
std::int32_t dtype_code(DType d) { return static_cast<std::int32_t>(d); }
}  // namespace

ptxkit_gemm_params make_params(const Problem& p, const Plan& plan) {
    ptxkit_gemm_params q{};
    q.a = p.a;
    q.b = p.b;
    q.c = p.c;
    q.d = p.d;
    q.bias = p.bias;
    q.workspace = plan.public_plan.splits > 1 ? static_cast<float*>(p.workspace) : nullptr;
    q.m = p.m;
    q.n = p.n;
    q.k = p.k;
    q.lda = p.lda;
    q.ldb = p.ldb;
    q.ldc = p.ldc;
    q.ldd = p.ldd;
    q.alpha = p.alpha;
    q.beta = p.c != nullptr ? p.beta : 0.0f;
    q.b_kn = p.b_kn ? 1 : 0;
    q.activation = static_cast<std::int32_t>(p.activation);
    q.ab_dtype = dtype_code(p.ab_dtype);
    q.cd_dtype = dtype_code(p.cd_dtype);
    q.bias_dtype = dtype_code(p.bias_dtype);
    q.splits = plan.public_plan.splits;
    q.k_per_split = plan.k_per_split > 0 ? plan.k_per_split : p.k;
    const int bm = std::max(plan.public_plan.block_m, 1);
    const int bn = std::max(plan.public_plan.block_n, 1);
    q.tiles_m = static_cast<std::int32_t>((p.m + bm - 1) / bm);
    q.tiles_n = static_cast<std::int32_t>((p.n + bn - 1) / bn);
    q.group_m = std::max(plan.group_m, 1);
    return q;
}

// Split-K only pays when the output tiles leave most SMs idle (skinny decode
// shapes with large K): then cut K into s slices so that tiles * s CTAs fill
// about one wave, keeping each slice at least 4 K-blocks deep so the
// pipeline still reaches steady state, and never needing more workspace than
// the caller gave (s partial [M, N] fp32 planes).
int choose_splits(std::int64_t tiles, int sm_count, std::int64_t k, int block_k, std::size_t workspace_bytes,
                  std::int64_t m, std::int64_t n) {
    if (tiles <= 0 || tiles * 2 > sm_count || block_k <= 0) return 1;
    const std::int64_t by_occupancy = sm_count / tiles;
    const std::int64_t by_depth = k / (4 * static_cast<std::int64_t>(block_k));
    const std::int64_t plane = m * n * static_cast<std::int64_t>(sizeof(float));
    const std::int64_t by_workspace = plane > 0 ? static_cast<std::int64_t>(workspace_bytes) / plane : 0;
    const std::int64_t s = std::min({by_occupancy, by_depth, by_workspace, std::int64_t{16}});
    return s >= 2 ? static_cast<int>(s) : 1;
}

}  // namespace detail::gemm

namespace {

using detail::gemm::Plan;
using detail::gemm::Problem;

constexpr std::int64_t kMaxDim = std::numeric_limits<std::int32_t>::max();

// Bytes a row-major [rows, cols] view with leading dimension ld spans.
std::size_t span_bytes(std::int64_t rows, std::int64_t cols, std::int64_t ld, DType dtype) {
    if (rows == 0 || cols == 0) return 0;
    return static_cast<std::size_t>((rows - 1) * ld + cols) * dtype_size(dtype);
}

// A 2-D operand with unit inner stride and a leading dimension covering its rows.
void check_matrix(const detail::ArgCheck& check, const char* arg, const TensorView& t) {
    check.valid_tensor(arg, t);
    if (t.rank != 2) check.fail(arg, "a 2-D tensor", fmt::format("rank {}", t.rank));
    if (t.shape[1] > 1 && t.stride[1] != 1) {
        check.fail(arg, "unit stride along its second dimension", fmt::format("stride {}", t.stride[1]));
    }
    if (t.shape[0] > 1 && t.stride[0] < t.shape[1]) {
        check.fail(arg, fmt::format("a leading dimension (stride[0]) of at least {}", t.shape[1]),
                   fmt::format("{}", t.stride[0]));
    }
}

// A matrix of one row has no second row for its stride to reach: PyTorch
// hands such views over with any stride[0] (a row sliced out of a bigger
// matrix, an expanded vector). Its leading dimension is then the dense one,
// rounded up to 8 elements, so that the view qualifies for the tensor-core
// paths and its tensor map (TMA needs strides that are multiples of 16 bytes
// and below 2^40) whatever the stride said.
std::int64_t leading_dim(const TensorView& t) {
    if (t.shape[0] <= 1) return (std::max<std::int64_t>(t.shape[1], 1) + 7) / 8 * 8;
    return std::max<std::int64_t>(t.stride[0], t.shape[1]);
}

Problem check_and_describe(const TensorView& a, const TensorView& b, const TensorView& d, const GemmOptions& o) {
    const detail::ArgCheck check("ptxkit::gemm");
    check_matrix(check, "a", a);
    check_matrix(check, "b", b);
    check_matrix(check, "d", d);
    check.dtype_in("a", a.dtype, {DType::bf16, DType::f16});
    check.dtype_in("b", b.dtype, {a.dtype});
    check.dtype_in("d", d.dtype, {DType::bf16, DType::f16, DType::f32});

    Problem p;
    p.m = a.shape[0];
    p.k = a.shape[1];
    p.n = o.b_is_kn ? b.shape[1] : b.shape[0];
    const std::int64_t b_k = o.b_is_kn ? b.shape[0] : b.shape[1];
    if (b_k != p.k) {
        check.fail("b", fmt::format("{} = K = {} (a is {}){}", o.b_is_kn ? "b.shape[0]" : "b.shape[1]", p.k,
                                    detail::format_shape(a), o.b_is_kn ? ", B as [K, N]" : ", B as [N, K]"),
                   detail::format_shape(b));
    }
    if (d.shape[0] != p.m || d.shape[1] != p.n) {
        check.fail("d", fmt::format("[M, N] = [{}, {}]", p.m, p.n), detail::format_shape(d));
    }
    check.in_range("M (a.shape[0])", p.m, 0, kMaxDim);
    check.in_range("N", p.n, 0, kMaxDim);
    check.in_range("K (a.shape[1])", p.k, 0, kMaxDim);

    p.a = a.data;
    p.b = b.data;
    p.d = d.data;
    p.lda = leading_dim(a);
    p.ldb = leading_dim(b);
    p.ldd = leading_dim(d);
    p.ab_dtype = a.dtype;
    p.cd_dtype = d.dtype;
    p.b_kn = o.b_is_kn;
    p.alpha = o.alpha;
    p.beta = o.beta;
    p.activation = o.activation;
    check.in_range("activation", static_cast<int>(o.activation), 0, 3);

    const std::size_t d_bytes = span_bytes(p.m, p.n, p.ldd, d.dtype);
    check.no_overlap("d", d.data, d_bytes, "a", a.data, span_bytes(p.m, p.k, p.lda, a.dtype));
    check.no_overlap("d", d.data, d_bytes, "b", b.data,
                     o.b_is_kn ? span_bytes(p.k, p.n, p.ldb, b.dtype) : span_bytes(p.n, p.k, p.ldb, b.dtype));

    if (o.c.data != nullptr) {
        check_matrix(check, "c", o.c);
        check.dtype_in("c", o.c.dtype, {d.dtype});
        if (o.c.shape[0] != p.m || o.c.shape[1] != p.n) {
            check.fail("c", fmt::format("[M, N] = [{}, {}]", p.m, p.n), detail::format_shape(o.c));
        }
        p.c = o.c.data;
        p.ldc = leading_dim(o.c);
        // C may be D itself (in place, same layout), but not a shifted view of it.
        if (!(p.c == p.d && p.ldc == p.ldd)) {
            check.no_overlap("d", d.data, d_bytes, "c", o.c.data, span_bytes(p.m, p.n, p.ldc, d.dtype));
        }
    } else if (o.beta != 0.0f) {
        check.fail("beta", "0 when no C is given", fmt::format("{}", o.beta));
    }
    if (o.bias.data != nullptr) {
        check.valid_tensor("bias", o.bias);
        check.dtype_in("bias", o.bias.dtype, {DType::f32, d.dtype});
        if (o.bias.rank != 1 || o.bias.shape[0] != p.n) {
            check.fail("bias", fmt::format("[N] = [{}]", p.n), detail::format_shape(o.bias));
        }
        check.contiguous("bias", o.bias);
        p.bias = o.bias.data;
        p.bias_dtype = o.bias.dtype;
        check.no_overlap("d", d.data, d_bytes, "bias", o.bias.data, static_cast<std::size_t>(p.n) * dtype_size(o.bias.dtype));
    }
    if (o.workspace != nullptr) check.aligned("workspace", o.workspace, 16);
    p.workspace = o.workspace;
    p.workspace_bytes = o.workspace != nullptr ? o.workspace_bytes : 0;
    check.in_range("path", static_cast<int>(o.path), 0, 3);
    return p;
}

const char* path_name(GemmPath path) {
    switch (path) {
        case GemmPath::sm90: return "sm90";
        case GemmPath::sm80: return "sm80";
        case GemmPath::general: return "general";
        case GemmPath::automatic: break;
    }
    return "automatic";
}

Plan plan_for(const Problem& p, const DeviceProperties& device, GemmPath path) {
    Plan plan;
    std::string why;
    const auto try_path = [&](GemmPath candidate) {
        why.clear();
        plan = Plan{};
        switch (candidate) {
            case GemmPath::sm90: return detail::gemm::plan_sm90(p, device, plan, why);
            case GemmPath::sm80: return detail::gemm::plan_sm80(p, device, plan, why);
            default: return detail::gemm::plan_general(p, device, plan, why);
        }
    };
    if (path != GemmPath::automatic) {
        if (!try_path(path)) {
            throw Error(Status::unsupported,
                        fmt::format("ptxkit::gemm: the {} path was forced but cannot run this problem (M={} N={} K={} "
                                    "{} on {} sm_{}{}): {}",
                                    path_name(path), p.m, p.n, p.k, dtype_name(p.ab_dtype), device.name,
                                    device.cc_major, device.cc_minor, why));
        }
        return plan;
    }
    for (GemmPath candidate : {GemmPath::sm90, GemmPath::sm80, GemmPath::general}) {
        if (try_path(candidate)) return plan;
    }
    throw Error(Status::internal, "ptxkit::gemm: no kernel family accepted the problem: " + why);
}

void launch_reduce(detail::ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream) {
    const auto params = detail::gemm::make_params(p, plan);
    const detail::Kernel& k = ctx.kernel("gemm.splitk_reduce", "ptxkit_gemm_splitk_reduce");
    detail::LaunchConfig c;
    c.op = "gemm";
    c.block.x = 256;
    c.grid.x = detail::streaming_grid(static_cast<std::uint64_t>(p.m * p.n), 256, ctx.properties().sm_count);
    if (detail::log_enabled()) {
        c.shapes = fmt::format("M={} N={} K={}", p.m, p.n, p.k);
        c.config = p.k == 0 ? "K=0 epilogue" : fmt::format("split-K reduce of {} slices", plan.public_plan.splits);
    }
    detail::launch(ctx, k, c, stream, params);
}

}  // namespace

GemmPlan gemm_plan(const TensorView& a, const TensorView& b, const TensorView& d, const GemmOptions& options) {
    const Problem p = check_and_describe(a, b, d, options);
    const auto& device = device_properties(current_device());
    return plan_for(p, device, options.path).public_plan;
}

std::size_t gemm_workspace_size(std::int64_t m, std::int64_t n, std::int64_t k) {
    const detail::ArgCheck check("ptxkit::gemm_workspace_size");
    check.in_range("m", m, 0, kMaxDim);
    check.in_range("n", n, 0, kMaxDim);
    check.in_range("k", k, 0, kMaxDim);
    if (m == 0 || n == 0 || k == 0) return 0;
    // The plan of an aligned bf16 problem of this shape, given unlimited workspace.
    Problem p;
    p.m = m;
    p.n = n;
    p.k = k;
    p.lda = (k + 7) / 8 * 8;
    p.ldb = p.lda;
    p.ldd = (n + 7) / 8 * 8;
    alignas(16) static const unsigned char aligned[16] = {};
    p.a = p.b = aligned;
    p.d = const_cast<unsigned char*>(aligned);
    p.workspace = const_cast<unsigned char*>(aligned);
    p.workspace_bytes = std::numeric_limits<std::size_t>::max() / 2;
    const auto& device = device_properties(current_device());
    const Plan plan = plan_for(p, device, GemmPath::automatic);
    const int s = plan.public_plan.splits;
    return s > 1 ? static_cast<std::size_t>(s) * static_cast<std::size_t>(m * n) * sizeof(float) : 0;
}

void gemm(const TensorView& a, const TensorView& b, const TensorView& d, const GemmOptions& options, Stream stream) {
    const Problem p = check_and_describe(a, b, d, options);
    if (p.m == 0 || p.n == 0) return;

    detail::OpContext scope("ptxkit::gemm", stream,
                            {{"a", p.a}, {"b", p.b}, {"d", p.d}, {"options.c", options.c.data},
                             {"options.bias", options.bias.data}, {"options.workspace", options.workspace}});
    detail::ContextState& ctx = scope.state();
    if (p.k == 0) {  // nothing to multiply: the epilogue alone
        Plan plan;
        plan.public_plan.splits = 0;
        launch_reduce(ctx, p, plan, stream);
        return;
    }
    const Plan plan = plan_for(p, ctx.properties(), options.path);
    switch (plan.public_plan.path) {
        case GemmPath::sm90: detail::gemm::launch_sm90(ctx, p, plan, stream); break;
        case GemmPath::sm80: detail::gemm::launch_sm80(ctx, p, plan, stream); break;
        default: detail::gemm::launch_general(ctx, p, plan, stream); break;
    }
    if (plan.public_plan.splits > 1) launch_reduce(ctx, p, plan, stream);
}

}  // namespace ptxkit
