/* Kernel parameter blocks of kernels/moe/routing.cu, shared with the host
 * (src/ops/moe_routing.cpp): plain C, identical layout on both sides. */
#ifndef PTXKIT_KERNELS_MOE_ROUTING_PARAMS_H
#define PTXKIT_KERNELS_MOE_ROUTING_PARAMS_H

#include <stdint.h>

typedef struct ptxkit_moe_topk_softmax_params {
    const void* logits; /* [num_tokens, num_experts], f32 / f16 / bf16, rows contiguous */
    float* weights;     /* [num_tokens, k] */
    int32_t* ids;       /* [num_tokens, k] */
    int64_t num_tokens;
    int32_t num_experts;
    int32_t per_lane; /* ceil(num_experts / 32) */
    int32_t k;
    int32_t renormalize;
    int32_t vector_ok; /* rows can be read with 16-byte loads, per_lane elements per lane */
    int32_t pad_;
} ptxkit_moe_topk_softmax_params;

typedef struct ptxkit_moe_topk_grouped_params {
    const void* logits;  /* [num_tokens, num_experts] */
    const float* bias;   /* [num_experts] or NULL */
    float* weights;      /* [num_tokens, k] */
    int32_t* ids;        /* [num_tokens, k] */
    int64_t num_tokens;
    int32_t num_experts;
    int32_t per_lane;
    int32_t k;
    int32_t num_groups; /* <= 32, divides num_experts */
    int32_t topk_group;
    int32_t vector_ok;
    float routed_scaling_factor;
    int32_t pad_;
} ptxkit_moe_topk_grouped_params;

#endif
