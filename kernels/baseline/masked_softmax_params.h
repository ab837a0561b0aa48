/* Parameter block of kernels/baseline/masked_softmax.cu, shared with its only
 * host user, the cuBLAS unfused attention baseline of the benchmarks
 * (bench/common/cublas_attention.cpp). Plain C, the same layout on both sides.
 *
 * The kernel turns attention logits S into probabilities P, row by row:
 *   P[r, j] = exp(scale * (S[r, j] - max_r)) / sum_j' exp(scale * (S[r, j'] - max_r))
 * over the keys j that row r may see, and P[r, j] = 0 for the others. Row r
 * is query i = r % seqlen_q of its (sequence, head); with `causal` it sees
 * keys j <= i + seqlen_k - seqlen_q (FlashAttention's bottom-right
 * alignment), otherwise all seqlen_k keys. A row that sees no key is all zeros.
 *
 * Layout: S is [rows, ld_s] and P is [rows, ld_p] (elements), both with 16-byte
 * aligned rows: ld_s * sizeof(S element) and ld_p * 2 multiples of 16. P may
 * overwrite S in place (same base address): every row is held in registers
 * before any of it is written. Columns seqlen_k .. ld - 1 (the padding) are
 * never read as data; P's padding is not written past the last 16-byte vector
 * that holds a real column. */
#ifndef PTXKIT_KERNELS_BASELINE_MASKED_SOFTMAX_PARAMS_H
#define PTXKIT_KERNELS_BASELINE_MASKED_SOFTMAX_PARAMS_H

#include <stdint.h>

typedef struct ptxkit_masked_softmax_params {
    const void* s;      /* f32, bf16 or f16 (the kernel's name says which) */
    void* p;            /* bf16 or f16 */
    int64_t rows;
    int64_t ld_s;       /* elements of S */
    int64_t ld_p;       /* elements of P */
    int32_t seqlen_q;   /* queries per (sequence, head): row r is query r % seqlen_q */
    int32_t seqlen_k;   /* keys per row, <= the kernel's capacity */
    int32_t causal;     /* 0 or 1 */
    float scale_log2;   /* softmax_scale * log2(e), > 0 */
} ptxkit_masked_softmax_params;

#endif
