/* ptxkit C API: mixture-of-experts ops (see ptxkit/moe.hpp). Included by ptxkit.h. */
#ifndef PTXKIT_MOE_H
#define PTXKIT_MOE_H

#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit_gemm.h"

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

/* Grouped expert GEMM (see ptxkit/moe.hpp). */
typedef enum ptxkit_moe_epilogue {
    PTXKIT_MOE_EPILOGUE_NONE = 0,  /* out = A W_e^T */
    PTXKIT_MOE_EPILOGUE_SWIGLU = 1 /* out[:, j] = silu(G[:, j]) * G[:, N/2 + j], G = A W_e^T */
} ptxkit_moe_epilogue_t;

typedef struct ptxkit_moe_grouped_gemm_options {
    ptxkit_moe_epilogue_t epilogue; /* NONE */
    ptxkit_gemm_path_t path;        /* AUTO; SM90 or SM80 force a family; GENERAL is unsupported */
} ptxkit_moe_grouped_gemm_options_t;

/* Contiguous (align's) layout: a [rows, K], weights [E, N, K], block_expert [>= rows / block_m] and
 * total_padded [1] i32 from align, out [rows, N] (SwiGLU: N / 2); options may be NULL for the defaults. */
PTXKIT_API ptxkit_status_t ptxkit_moe_grouped_gemm(const ptxkit_tensor_t* a, const ptxkit_tensor_t* weights,
                                                   const ptxkit_tensor_t* block_expert,
                                                   const ptxkit_tensor_t* total_padded, int32_t block_m,
                                                   const ptxkit_tensor_t* out,
                                                   const ptxkit_moe_grouped_gemm_options_t* options,
                                                   ptxkit_stream_t stream);
/* Masked layout: a [E, capacity, K], weights [E, N, K], counts [E] i32, out [E, capacity, N] (SwiGLU: N / 2). */
PTXKIT_API ptxkit_status_t ptxkit_moe_grouped_gemm_masked(const ptxkit_tensor_t* a, const ptxkit_tensor_t* weights,
                                                          const ptxkit_tensor_t* counts, const ptxkit_tensor_t* out,
                                                          const ptxkit_moe_grouped_gemm_options_t* options,
                                                          ptxkit_stream_t stream);

/* The fused MoE layer (see ptxkit/moe.hpp). */
typedef enum ptxkit_moe_routing {
    PTXKIT_MOE_ROUTING_SOFTMAX_TOPK = 0,
    PTXKIT_MOE_ROUTING_GROUPED_SIGMOID_TOPK = 1
} ptxkit_moe_routing_t;

typedef struct ptxkit_fused_moe_options {
    ptxkit_moe_routing_t routing;         /* SOFTMAX_TOPK */
    int32_t k;                            /* 8 */
    int32_t renormalize;                  /* 1 (softmax) */
    int32_t num_groups;                   /* 8 (grouped sigmoid) */
    int32_t topk_group;                   /* 4 */
    float routed_scaling_factor;          /* 2.5 */
    const ptxkit_tensor_t* bias;          /* NULL: none; grouped sigmoid only */
    const ptxkit_tensor_t* shared_output; /* NULL: none */
    ptxkit_gemm_path_t path;              /* AUTO */
} ptxkit_fused_moe_options_t;

/* The defaults above. */
PTXKIT_API ptxkit_fused_moe_options_t ptxkit_fused_moe_default_options(void);
PTXKIT_API ptxkit_status_t ptxkit_moe_fused_workspace_size(int64_t tokens, int64_t hidden, int64_t intermediate,
                                                           int32_t num_experts, int32_t k, ptxkit_dtype_t dtype,
                                                           size_t* bytes);
/* hidden [T, H], router_logits [T, E], w13 [E, 2 I, H], w2 [E, H, I] -> out [T, H]; options may be NULL. */
PTXKIT_API ptxkit_status_t ptxkit_moe_fused(const ptxkit_tensor_t* hidden, const ptxkit_tensor_t* router_logits,
                                            const ptxkit_tensor_t* w13, const ptxkit_tensor_t* w2,
                                            const ptxkit_tensor_t* out, const ptxkit_fused_moe_options_t* options,
                                            void* workspace, size_t workspace_bytes, ptxkit_stream_t stream);

#ifdef __cplusplus
}
#endif

#endif /* PTXKIT_MOE_H */
