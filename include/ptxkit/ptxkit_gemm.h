/* ptxkit C API: dense GEMM (see ptxkit/gemm.hpp). Included by ptxkit.h. */
#ifndef PTXKIT_GEMM_H
#define PTXKIT_GEMM_H

#include "ptxkit/ptxkit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ptxkit_activation {
    PTXKIT_ACT_NONE = 0,
    PTXKIT_ACT_RELU = 1,
    PTXKIT_ACT_GELU_TANH = 2,
    PTXKIT_ACT_SILU = 3
} ptxkit_activation_t;

typedef enum ptxkit_gemm_path {
    PTXKIT_GEMM_AUTO = 0,
    PTXKIT_GEMM_SM90 = 1,
    PTXKIT_GEMM_SM80 = 2,
    PTXKIT_GEMM_GENERAL = 3
} ptxkit_gemm_path_t;

typedef struct ptxkit_gemm_options {
    float alpha;            /* 1 */
    float beta;             /* 0 */
    const ptxkit_tensor_t* c;    /* NULL: none */
    const ptxkit_tensor_t* bias; /* NULL: none */
    ptxkit_activation_t activation;
    int32_t b_is_kn;        /* 0: B is [N, K]; 1: B is [K, N] */
    ptxkit_gemm_path_t path;
    void* workspace;        /* NULL: no split-K */
    size_t workspace_bytes;
} ptxkit_gemm_options_t;

/* The defaults above. */
PTXKIT_API ptxkit_gemm_options_t ptxkit_gemm_default_options(void);

/* D = act(alpha * A op(B) + beta * C + bias); options may be NULL for the defaults. */
PTXKIT_API ptxkit_status_t ptxkit_gemm(const ptxkit_tensor_t* a, const ptxkit_tensor_t* b, const ptxkit_tensor_t* d,
                                       const ptxkit_gemm_options_t* options, ptxkit_stream_t stream);

PTXKIT_API ptxkit_status_t ptxkit_gemm_workspace_size(int64_t m, int64_t n, int64_t k, size_t* bytes);

#ifdef __cplusplus
}
#endif

#endif /* PTXKIT_GEMM_H */
