/* ptxkit C API: mixture-of-experts ops (see ptxkit/moe.hpp). Included by ptxkit.h. */
#ifndef PTXKIT_MOE_H
#define PTXKIT_MOE_H

#include "ptxkit/ptxkit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MoE routing (see ptxkit/moe.hpp): logits [T, E] f32/f16/bf16 -> weights [T, k] f32, ids [T, k] i32. */
PTXKIT_API ptxkit_status_t ptxkit_moe_topk_softmax(const ptxkit_tensor_t* logits, const ptxkit_tensor_t* weights,
                                                   const ptxkit_tensor_t* ids, int k, int renormalize,
                                                   ptxkit_stream_t stream);

typedef struct ptxkit_grouped_topk_options {
    int32_t k;                   /* DeepSeek-V3: 8 */
    int32_t num_groups;          /* 8 */
    int32_t topk_group;          /* 4 */
    float routed_scaling_factor; /* 2.5 */
} ptxkit_grouped_topk_options_t;

/* bias: [E] f32, or NULL for none. */
PTXKIT_API ptxkit_status_t ptxkit_moe_topk_grouped_sigmoid(const ptxkit_tensor_t* logits, const ptxkit_tensor_t* bias,
                                                           const ptxkit_tensor_t* weights, const ptxkit_tensor_t* ids,
                                                           const ptxkit_grouped_topk_options_t* options,
                                                           ptxkit_stream_t stream);

#ifdef __cplusplus
}
#endif

#endif /* PTXKIT_MOE_H */
