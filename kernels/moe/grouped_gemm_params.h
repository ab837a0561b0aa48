/* Parameter block of the MoE grouped GEMM kernels (kernels/moe/grouped_gemm_sm90.cu,
 * grouped_gemm_sm80.cu), shared with the host (src/ops/moe_grouped_gemm*.cpp):
 * plain C, the same layout on both sides.
 *
 * Every expert e multiplies its rows of A by its weight W_e [N, K] (K-major,
 * a PyTorch Linear weight): D = A W_e^T, fp32 accumulation, optionally with
 * the SwiGLU epilogue D[:, j] = silu(G[:, j]) * G[:, N/2 + j] on G = A W_e^T.
 * Which rows belong to which expert comes from device memory (no host sync):
 *   contiguous: align's layout; rows [b * block_m, (b + 1) * block_m) belong
 *               to expert block_expert[b]; rows at and past *total_padded are
 *               neither computed nor written.
 *   masked:     A [E, rows, K], D [E, rows, n_out]; expert e's first counts[e]
 *               rows are valid, the others are neither computed nor written. */
#ifndef PTXKIT_KERNELS_MOE_GROUPED_GEMM_PARAMS_H
#define PTXKIT_KERNELS_MOE_GROUPED_GEMM_PARAMS_H

#include <stdint.h>

#define PTXKIT_MOE_GEMM_MAX_EXPERTS 512

enum { PTXKIT_MOE_GEMM_CONTIGUOUS = 0, PTXKIT_MOE_GEMM_MASKED = 1 };
enum { PTXKIT_MOE_GEMM_EPILOGUE_NONE = 0, PTXKIT_MOE_GEMM_EPILOGUE_SWIGLU = 1 };

typedef struct ptxkit_moe_gemm_params {
    const void* a;                /* contiguous [rows, K]; masked [E, rows, K]; bf16 or f16 */
    const void* b;                /* [E, N, K], same dtype as A */
    void* d;                      /* contiguous [rows, n_out]; masked [E, rows, n_out]; d_dtype */
    const int32_t* block_expert;  /* contiguous: [num_blocks] */
    const int32_t* total_padded;  /* contiguous: [1] */
    const int32_t* counts;        /* masked: [E] */
    int64_t rows;                 /* contiguous: rows of A and D; masked: rows per expert */
    int64_t n;                    /* rows of every W_e (2 I with SwiGLU) */
    int64_t n_out;                /* columns of D: n, or n / 2 with SwiGLU */
    int64_t k;
    int64_t lda, ldb, ldd;        /* row strides, elements */
    int64_t a_batch_stride;       /* masked: elements from expert e's A to e + 1's */
    int64_t d_batch_stride;       /* masked: the same for D */
    int64_t b_expert_stride;      /* elements from W_e to W_{e+1} */
    int32_t num_experts;
    int32_t layout;               /* PTXKIT_MOE_GEMM_CONTIGUOUS or _MASKED */
    int32_t epilogue;             /* PTXKIT_MOE_GEMM_EPILOGUE_* */
    int32_t d_dtype;              /* PTXKIT_GEMM_F32, _F16 or _BF16 (gemm/gemm_params.h) */
    int32_t log2_block_m;         /* contiguous: log2 of align's block_m, a multiple of the tile's rows */
    int32_t num_blocks;           /* contiguous: entries of block_expert */
    int32_t tiles_n;              /* output column tiles: ceil(n_out / tile columns of D) */
    int32_t group_m;              /* tile rows swept together (tile_scheduler.h) */
} ptxkit_moe_gemm_params;

#endif
