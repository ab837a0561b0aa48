// The C API of the MoE ops (ptxkit/moe.hpp).
#include "c_api/c_api_util.hpp"

using namespace ptxkit::c_api;

extern "C" {

ptxkit_status_t ptxkit_moe_topk_softmax(const ptxkit_tensor_t* logits, const ptxkit_tensor_t* weights,
                                        const ptxkit_tensor_t* ids, int k, int renormalize, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_topk_softmax";
        ptxkit::moe::topk_softmax(to_view(op, "logits", logits), to_view(op, "weights", weights),
                                  to_view(op, "ids", ids), k, renormalize != 0, stream);
    });
}

ptxkit_status_t ptxkit_moe_topk_grouped_sigmoid(const ptxkit_tensor_t* logits, const ptxkit_tensor_t* bias,
                                                const ptxkit_tensor_t* weights, const ptxkit_tensor_t* ids,
                                                const ptxkit_grouped_topk_options_t* options,
                                                ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_topk_grouped_sigmoid";
        if (options == nullptr) bad_argument(op, "options", "a non-null ptxkit_grouped_topk_options_t*", "null");
        const ptxkit::TensorView no_bias{};
        ptxkit::moe::GroupedTopkOptions o;
        o.k = options->k;
        o.num_groups = options->num_groups;
        o.topk_group = options->topk_group;
        o.routed_scaling_factor = options->routed_scaling_factor;
        ptxkit::moe::topk_grouped_sigmoid(to_view(op, "logits", logits), bias ? to_view(op, "bias", bias) : no_bias,
                                          to_view(op, "weights", weights), to_view(op, "ids", ids), o, stream);
    });
}

ptxkit_status_t ptxkit_moe_align_capacity(int64_t tokens, int32_t k, int32_t num_experts, int32_t block_m,
                                          int64_t* capacity) {
    return guarded([&] {
        require_out("ptxkit_moe_align_capacity", "capacity", capacity);
        *capacity = ptxkit::moe::align_capacity(tokens, k, num_experts, block_m);
    });
}

ptxkit_status_t ptxkit_moe_align_workspace_size(int64_t tokens, int32_t k, int32_t num_experts, size_t* bytes) {
    return guarded([&] {
        require_out("ptxkit_moe_align_workspace_size", "bytes", bytes);
        *bytes = ptxkit::moe::align_workspace_size(tokens, k, num_experts);
    });
}

ptxkit_status_t ptxkit_moe_align(const ptxkit_tensor_t* ids, int32_t num_experts, int32_t block_m,
                                 const ptxkit_moe_align_outputs_t* outputs, void* workspace, size_t workspace_bytes,
                                 ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_align";
        if (outputs == nullptr) bad_argument(op, "outputs", "a non-null ptxkit_moe_align_outputs_t*", "null");
        ptxkit::moe::AlignOutputs o;
        o.counts = to_view(op, "outputs.counts", &outputs->counts);
        o.padded_offsets = to_view(op, "outputs.padded_offsets", &outputs->padded_offsets);
        o.sorted_pairs = to_view(op, "outputs.sorted_pairs", &outputs->sorted_pairs);
        o.block_expert = to_view(op, "outputs.block_expert", &outputs->block_expert);
        o.inverse = to_view(op, "outputs.inverse", &outputs->inverse);
        o.total_padded = to_view(op, "outputs.total_padded", &outputs->total_padded);
        ptxkit::moe::align(to_view(op, "ids", ids), num_experts, block_m, o, workspace, workspace_bytes, stream);
    });
}

ptxkit_status_t ptxkit_moe_permute(const ptxkit_tensor_t* hidden, const ptxkit_tensor_t* sorted_pairs,
                                   const ptxkit_tensor_t* total_padded, int32_t k, const ptxkit_tensor_t* permuted,
                                   ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_permute";
        ptxkit::moe::permute(to_view(op, "hidden", hidden), to_view(op, "sorted_pairs", sorted_pairs),
                             to_view(op, "total_padded", total_padded), k, to_view(op, "permuted", permuted), stream);
    });
}

ptxkit_status_t ptxkit_moe_combine(const ptxkit_tensor_t* y, const ptxkit_tensor_t* weights,
                                   const ptxkit_tensor_t* inverse, const ptxkit_tensor_t* shared,
                                   const ptxkit_tensor_t* out, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_combine";
        const ptxkit::TensorView no_shared{};
        ptxkit::moe::combine(to_view(op, "y", y), to_view(op, "weights", weights), to_view(op, "inverse", inverse),
                             shared ? to_view(op, "shared", shared) : no_shared, to_view(op, "out", out), stream);
    });
}

}  // extern "C"

namespace {

ptxkit::moe::GroupedGemmOptions grouped_options(const ptxkit_moe_grouped_gemm_options_t* options) {
    ptxkit::moe::GroupedGemmOptions o;
    if (options != nullptr) {
        o.epilogue = static_cast<ptxkit::moe::GroupedEpilogue>(raw_enum(options->epilogue));
        o.path = static_cast<ptxkit::GemmPath>(raw_enum(options->path));
    }
    return o;
}

}  // namespace

extern "C" {

ptxkit_status_t ptxkit_moe_grouped_gemm(const ptxkit_tensor_t* a, const ptxkit_tensor_t* weights,
                                        const ptxkit_tensor_t* block_expert, const ptxkit_tensor_t* total_padded,
                                        int32_t block_m, const ptxkit_tensor_t* out,
                                        const ptxkit_moe_grouped_gemm_options_t* options, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_grouped_gemm";
        // One after the other: a failure names the first bad argument in order.
        const ptxkit::TensorView va = to_view(op, "a", a);
        const ptxkit::TensorView vw = to_view(op, "weights", weights);
        const ptxkit::TensorView vb = to_view(op, "block_expert", block_expert);
        const ptxkit::TensorView vt = to_view(op, "total_padded", total_padded);
        const ptxkit::TensorView vo = to_view(op, "out", out);
        ptxkit::moe::grouped_gemm(va, vw, vb, vt, block_m, vo, grouped_options(options), stream);
    });
}

ptxkit_status_t ptxkit_moe_grouped_gemm_masked(const ptxkit_tensor_t* a, const ptxkit_tensor_t* weights,
                                               const ptxkit_tensor_t* counts, const ptxkit_tensor_t* out,
                                               const ptxkit_moe_grouped_gemm_options_t* options,
                                               ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_grouped_gemm_masked";
        const ptxkit::TensorView va = to_view(op, "a", a);
        const ptxkit::TensorView vw = to_view(op, "weights", weights);
        const ptxkit::TensorView vc = to_view(op, "counts", counts);
        const ptxkit::TensorView vo = to_view(op, "out", out);
        ptxkit::moe::grouped_gemm_masked(va, vw, vc, vo, grouped_options(options), stream);
    });
}

ptxkit_fused_moe_options_t ptxkit_fused_moe_default_options(void) {
    const ptxkit::moe::FusedMoeOptions d;
    ptxkit_fused_moe_options_t o{};
    o.routing = PTXKIT_MOE_ROUTING_SOFTMAX_TOPK;
    o.k = d.k;
    o.renormalize = d.renormalize ? 1 : 0;
    o.num_groups = d.num_groups;
    o.topk_group = d.topk_group;
    o.routed_scaling_factor = d.routed_scaling_factor;
    o.bias = nullptr;
    o.shared_output = nullptr;
    o.path = PTXKIT_GEMM_AUTO;
    return o;
}

ptxkit_status_t ptxkit_moe_fused_workspace_size(int64_t tokens, int64_t hidden, int64_t intermediate,
                                                int32_t num_experts, int32_t k, ptxkit_dtype_t dtype, size_t* bytes) {
    return guarded([&] {
        require_out("ptxkit_moe_fused_workspace_size", "bytes", bytes);
        *bytes = ptxkit::moe::fused_moe_workspace_size(tokens, hidden, intermediate, num_experts, k,
                                                       static_cast<ptxkit::DType>(raw_enum(dtype)));
    });
}

ptxkit_status_t ptxkit_moe_fused(const ptxkit_tensor_t* hidden, const ptxkit_tensor_t* router_logits,
                                 const ptxkit_tensor_t* w13, const ptxkit_tensor_t* w2, const ptxkit_tensor_t* out,
                                 const ptxkit_fused_moe_options_t* options, void* workspace, size_t workspace_bytes,
                                 ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_fused";
        const ptxkit_fused_moe_options_t c = options != nullptr ? *options : ptxkit_fused_moe_default_options();
        ptxkit::moe::FusedMoeOptions o;
        o.routing = static_cast<ptxkit::moe::MoeRouting>(raw_enum(c.routing));
        o.k = c.k;
        o.renormalize = c.renormalize != 0;
        o.num_groups = c.num_groups;
        o.topk_group = c.topk_group;
        o.routed_scaling_factor = c.routed_scaling_factor;
        if (c.bias != nullptr) o.bias = to_view(op, "options->bias", c.bias);
        if (c.shared_output != nullptr) o.shared_output = to_view(op, "options->shared_output", c.shared_output);
        o.path = static_cast<ptxkit::GemmPath>(raw_enum(c.path));
        const ptxkit::TensorView vh = to_view(op, "hidden", hidden);
        const ptxkit::TensorView vl = to_view(op, "router_logits", router_logits);
        const ptxkit::TensorView v13 = to_view(op, "w13", w13);
        const ptxkit::TensorView v2 = to_view(op, "w2", w2);
        const ptxkit::TensorView vo = to_view(op, "out", out);
        ptxkit::moe::fused_moe(vh, vl, v13, v2, vo, o, workspace, workspace_bytes, stream);
    });
}

}  // extern "C"
