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

/* MoE layout (see ptxkit/moe.hpp): align, permute, combine. All i32 tensors contiguous. */
typedef struct ptxkit_moe_align_outputs {
    ptxkit_tensor_t counts;         /* [E] */
    ptxkit_tensor_t padded_offsets; /* [E + 1] */
    ptxkit_tensor_t sorted_pairs;   /* [capacity] */
    ptxkit_tensor_t block_expert;   /* [capacity / block_m] */
    ptxkit_tensor_t inverse;        /* [T, k] */
    ptxkit_tensor_t total_padded;   /* [1] */
} ptxkit_moe_align_outputs_t;

/* capacity = T*k + E*(block_m - 1). */
PTXKIT_API ptxkit_status_t ptxkit_moe_align_capacity(int64_t tokens, int32_t k, int32_t num_experts,
                                                     int32_t block_m, int64_t* capacity);
PTXKIT_API ptxkit_status_t ptxkit_moe_align_workspace_size(int64_t tokens, int32_t k, int32_t num_experts,
                                                           size_t* bytes);
/* ids [T, k] i32 -> outputs; ids outside [0, E) are dropped (inverse -1). */
PTXKIT_API ptxkit_status_t ptxkit_moe_align(const ptxkit_tensor_t* ids, int32_t num_experts, int32_t block_m,
                                            const ptxkit_moe_align_outputs_t* outputs, void* workspace,
                                            size_t workspace_bytes, ptxkit_stream_t stream);
/* permuted[r] = hidden[sorted_pairs[r] / k] for r < *total_padded, zero rows for padding. */
PTXKIT_API ptxkit_status_t ptxkit_moe_permute(const ptxkit_tensor_t* hidden, const ptxkit_tensor_t* sorted_pairs,
                                              const ptxkit_tensor_t* total_padded, int32_t k,
                                              const ptxkit_tensor_t* permuted, ptxkit_stream_t stream);
/* out[t] = sum_j weights[t, j] * y[inverse[t, j]] (+ shared[t]); shared may be NULL. */
PTXKIT_API ptxkit_status_t ptxkit_moe_combine(const ptxkit_tensor_t* y, const ptxkit_tensor_t* weights,
                                              const ptxkit_tensor_t* inverse, const ptxkit_tensor_t* shared,
                                              const ptxkit_tensor_t* out, ptxkit_stream_t stream);

#ifdef __cplusplus
}
#endif

#endif /* PTXKIT_MOE_H */
