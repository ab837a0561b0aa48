// ptxkit::moe::topk_softmax, topk_grouped_sigmoid -> kernels/moe/routing.cu.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "common/checks.hpp"
#include "moe/routing_params.h"
#include "ptxkit/moe.hpp"
#include "runtime/launch.hpp"

namespace ptxkit::moe {
namespace {

constexpr int kMaxExperts = 512;  // 16 per lane
constexpr int kMaxK = 16;
constexpr unsigned kWarpsPerBlock = 4;

struct RoutingShape {
    std::int64_t tokens;
    int experts;
};

RoutingShape check_logits_and_outputs(const detail::ArgCheck& check, const TensorView& logits,
                                      const TensorView& weights, const TensorView& ids, int k) {
    check.valid_tensor("logits", logits);
    check.valid_tensor("weights", weights);
    check.valid_tensor("ids", ids);
    check.dtype_in("logits", logits.dtype, {DType::f32, DType::bf16, DType::f16});
    check.dtype_in("weights", weights.dtype, {DType::f32});
    check.dtype_in("ids", ids.dtype, {DType::i32});
    if (logits.rank != 2) check.fail("logits", "rank 2 [tokens, experts]", fmt::format("rank {}", logits.rank));
    check.contiguous("logits", logits);
    const auto experts = logits.shape[1];
    check.in_range("logits.shape[1] (experts)", experts, 2, kMaxExperts);
    check.in_range("k", k, 1, std::min<std::int64_t>(kMaxK, experts));
    const TensorView expected = TensorView::contiguous(nullptr, DType::f32, {logits.shape[0], k});
    check.same_shape("weights", weights, "[tokens, k]", expected);
    check.same_shape("ids", ids, "[tokens, k]", expected);
    check.contiguous("weights", weights);
    check.contiguous("ids", ids);
    const auto tokens = logits.shape[0];
    const std::size_t out_bytes = static_cast<std::size_t>(tokens) * static_cast<std::size_t>(k) * 4;
    check.no_overlap("weights", weights.data, out_bytes, "ids", ids.data, out_bytes);
    const std::size_t in_bytes = static_cast<std::size_t>(logits.numel()) * dtype_size(logits.dtype);
    check.no_overlap("weights", weights.data, out_bytes, "logits", logits.data, in_bytes);
    check.no_overlap("ids", ids.data, out_bytes, "logits", logits.data, in_bytes);
    return {tokens, static_cast<int>(experts)};
}

int per_lane(int experts) { return (experts + 31) / 32; }

// Each lane reads its run of per_lane experts with 16-byte loads when every
// run is whole, 16-byte sized and 16-byte aligned.
int vector_ok(const TensorView& logits, int experts) {
    const int p = per_lane(experts);
    const std::size_t run_bytes = static_cast<std::size_t>(p) * dtype_size(logits.dtype);
    return experts == 32 * p && run_bytes % 16 == 0 && reinterpret_cast<std::uintptr_t>(logits.data) % 16 == 0;
}

// Kernel names as literals: no string is built per call.
const char* softmax_kernel(DType d) {
    return d == DType::f32    ? "ptxkit_moe_topk_softmax_f32"
           : d == DType::bf16 ? "ptxkit_moe_topk_softmax_bf16"
                              : "ptxkit_moe_topk_softmax_f16";
}
const char* grouped_kernel(DType d) {
    return d == DType::f32    ? "ptxkit_moe_topk_grouped_sigmoid_f32"
           : d == DType::bf16 ? "ptxkit_moe_topk_grouped_sigmoid_bf16"
                              : "ptxkit_moe_topk_grouped_sigmoid_f16";
}

detail::LaunchConfig routing_launch(const char* op, std::int64_t tokens) {
    detail::LaunchConfig c;
    c.op = op;
    c.grid.x = static_cast<unsigned>((tokens + kWarpsPerBlock - 1) / kWarpsPerBlock);
    c.block.x = 32 * kWarpsPerBlock;
    return c;
}

}  // namespace

void topk_softmax(const TensorView& logits, const TensorView& weights, const TensorView& ids, int k,
                  bool renormalize, Stream stream) {
    const detail::ArgCheck check("ptxkit::moe::topk_softmax");
    const RoutingShape shape = check_logits_and_outputs(check, logits, weights, ids, k);
    check.in_range("logits.shape[0] (tokens)", shape.tokens, 0, std::int64_t{65535} * kWarpsPerBlock * 1024);
    if (shape.tokens == 0) return;

    detail::OpContext scope("ptxkit::moe::topk_softmax", stream,
                            {{"logits", logits.data}, {"weights", weights.data}, {"ids", ids.data}});
    detail::ContextState& ctx = scope.state();
    const auto& kernel = ctx.kernel("moe.routing", softmax_kernel(logits.dtype));
    ptxkit_moe_topk_softmax_params p{};
    p.logits = logits.data;
    p.weights = static_cast<float*>(weights.data);
    p.ids = static_cast<std::int32_t*>(ids.data);
    p.num_tokens = shape.tokens;
    p.num_experts = shape.experts;
    p.per_lane = per_lane(shape.experts);
    p.k = k;
    p.renormalize = renormalize ? 1 : 0;
    p.vector_ok = vector_ok(logits, shape.experts);
    auto c = routing_launch("moe.topk_softmax", shape.tokens);
    if (detail::log_enabled()) {
        c.shapes = fmt::format("logits:{}{} k:{}", dtype_name(logits.dtype), detail::format_shape(logits), k);
        c.config = fmt::format("warp/token per_lane={} {}{}", p.per_lane, p.vector_ok ? "v16" : "scalar",
                               renormalize ? " renorm" : "");
    }
    detail::launch(ctx, kernel, c, stream, p);
}

void topk_grouped_sigmoid(const TensorView& logits, const TensorView& bias, const TensorView& weights,
                          const TensorView& ids, const GroupedTopkOptions& o, Stream stream) {
    const detail::ArgCheck check("ptxkit::moe::topk_grouped_sigmoid");
    const RoutingShape shape = check_logits_and_outputs(check, logits, weights, ids, o.k);
    check.in_range("num_groups", o.num_groups, 1, 32);
    if (shape.experts % o.num_groups != 0) {
        check.fail("num_groups", fmt::format("a divisor of the expert count {}", shape.experts),
                   fmt::format("{}", o.num_groups));
    }
    const int group_size = shape.experts / o.num_groups;
    if (group_size < 2) {
        check.fail("num_groups", "groups of at least 2 experts (a group is scored by its top 2)",
                   fmt::format("{} groups of {} expert", o.num_groups, group_size));
    }
    check.in_range("topk_group", o.topk_group, 1, o.num_groups);
    if (static_cast<std::int64_t>(o.topk_group) * group_size < o.k) {
        check.fail("k", fmt::format("at most topk_group * experts per group = {}", o.topk_group * group_size),
                   fmt::format("{}", o.k));
    }
    if (bias.data != nullptr) {
        check.valid_tensor("bias", bias);
        check.dtype_in("bias", bias.dtype, {DType::f32});
        check.same_shape("bias", bias, "[experts]", TensorView::contiguous(nullptr, DType::f32, {shape.experts}));
        check.contiguous("bias", bias);
    }
    check.in_range("logits.shape[0] (tokens)", shape.tokens, 0, std::int64_t{65535} * kWarpsPerBlock * 1024);
    if (shape.tokens == 0) return;

    detail::OpContext scope("ptxkit::moe::topk_grouped_sigmoid", stream,
                            {{"logits", logits.data}, {"bias", bias.data}, {"weights", weights.data}, {"ids", ids.data}});
    detail::ContextState& ctx = scope.state();
    const auto& kernel =
        ctx.kernel("moe.routing", grouped_kernel(logits.dtype));
    ptxkit_moe_topk_grouped_params p{};
    p.logits = logits.data;
    p.bias = static_cast<const float*>(bias.data);
    p.weights = static_cast<float*>(weights.data);
    p.ids = static_cast<std::int32_t*>(ids.data);
    p.num_tokens = shape.tokens;
    p.num_experts = shape.experts;
    p.per_lane = per_lane(shape.experts);
    p.k = o.k;
    p.num_groups = o.num_groups;
    p.topk_group = o.topk_group;
    p.vector_ok = vector_ok(logits, shape.experts);
    p.routed_scaling_factor = o.routed_scaling_factor;
    auto c = routing_launch("moe.topk_grouped_sigmoid", shape.tokens);
    if (detail::log_enabled()) {
        c.shapes = fmt::format("logits:{}{} k:{} groups:{}/{}", dtype_name(logits.dtype),
                               detail::format_shape(logits), o.k, o.topk_group, o.num_groups);
        c.config = fmt::format("warp/token per_lane={} {}{}", p.per_lane, p.vector_ok ? "v16" : "scalar",
                               p.bias ? " bias" : "");
    }
    detail::launch(ctx, kernel, c, stream, p);
}

}  // namespace ptxkit::moe
