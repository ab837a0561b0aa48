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
