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

}  // extern "C"
