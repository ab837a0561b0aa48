/* Parameter block of every GEMM kernel (kernels/gemm/), shared with the host
 * launchers (src/ops/gemm*.cpp): plain C, the same layout on both sides.
 * D = act(alpha * A op(B) + beta * C + bias), fp32 accumulation. */
#ifndef PTXKIT_KERNELS_GEMM_PARAMS_H
#define PTXKIT_KERNELS_GEMM_PARAMS_H

#include <stdint.h>

enum { PTXKIT_GEMM_ACT_NONE = 0, PTXKIT_GEMM_ACT_RELU = 1, PTXKIT_GEMM_ACT_GELU_TANH = 2, PTXKIT_GEMM_ACT_SILU = 3 };
/* Element types, as ptxkit_dtype_t. */
enum { PTXKIT_GEMM_F32 = 0, PTXKIT_GEMM_F16 = 1, PTXKIT_GEMM_BF16 = 2 };

typedef struct ptxkit_gemm_params {
    const void* a;     /* [M, K], row stride lda, bf16 or f16 */
    const void* b;     /* [N, K] row stride ldb, or [K, N] row stride ldb when b_kn */
    const void* c;     /* [M, N] row stride ldc, dtype cd_dtype; NULL: none */
    void* d;           /* [M, N] row stride ldd, dtype cd_dtype */
    const void* bias;  /* [N], bias_dtype; NULL: none */
    float* workspace;  /* split-K partial sums, [splits, M, N] fp32; NULL when splits == 1 */
    int64_t m, n, k;
    int64_t lda, ldb, ldc, ldd; /* in elements */
    float alpha, beta;
    int32_t b_kn;
    int32_t activation;
    int32_t ab_dtype;
    int32_t cd_dtype;
    int32_t bias_dtype;
    int32_t splits;    /* split-K factor; K is cut into `splits` ranges of k_per_split */
    int64_t k_per_split;
    /* Tile scheduling (kernels/gemm/tile_scheduler.h). */
    int32_t tiles_m, tiles_n;
    int32_t group_m;   /* grouped rasterisation: tile rows per group, for L2 reuse */
    int32_t d_tma_store; /* sm90: D written through the D tensor map (16-bit D, no split-K) */
} ptxkit_gemm_params;

#endif
