/* Kernel parameter blocks of kernels/moe/permute_combine.cu, shared with the
 * host (src/ops/moe_permute_combine.cpp): plain C, identical layout on both sides. */
#ifndef PTXKIT_KERNELS_MOE_PERMUTE_COMBINE_PARAMS_H
#define PTXKIT_KERNELS_MOE_PERMUTE_COMBINE_PARAMS_H

#include <stdint.h>

/* Both kernels: one warp per row, this many warps per block. */
#define PTXKIT_MOE_PERMUTE_COMBINE_WARPS 8
#define PTXKIT_MOE_COMBINE_MAX_K 16

typedef struct ptxkit_moe_permute_params {
    const void* hidden;           /* [num_tokens, hidden_size], rows hidden_stride_bytes apart */
    const int32_t* sorted_pairs;  /* [capacity] */
    const int32_t* total_padded;  /* [1]: rows to write, read on the device (clamped to capacity) */
    void* permuted;               /* [capacity, hidden_size], rows permuted_stride_bytes apart */
    int64_t hidden_stride_bytes;
    int64_t permuted_stride_bytes;
    int64_t row_bytes;            /* hidden_size * element size */
    int32_t num_pairs;            /* num_tokens * k: pair indices outside [0, num_pairs) give zero rows */
    int32_t k;
    int32_t capacity;
    int32_t unit_bytes;           /* 16, 4 or 2: the copy unit, dividing row_bytes, strides and both pointers */
} ptxkit_moe_permute_params;

typedef struct ptxkit_moe_combine_params {
    const void* y;           /* [capacity, hidden_size], rows y_stride elements apart; f32 or out's dtype */
    const float* weights;    /* [num_tokens, k] */
    const int32_t* inverse;  /* [num_tokens, k]: row of y of each pair; outside [0, capacity): none */
    const void* shared;      /* [num_tokens, hidden_size] in out's dtype, or NULL */
    void* out;               /* [num_tokens, hidden_size] */
    int64_t y_stride;        /* elements */
    int64_t shared_stride;
    int64_t out_stride;
    int32_t num_tokens;
    int32_t hidden_size;
    int32_t k;               /* 1..PTXKIT_MOE_COMBINE_MAX_K */
    int32_t capacity;
    int32_t vector_ok;       /* hidden_size % 8 == 0, every row 16-byte aligned: 8 elements per access */
    int32_t pad_;
} ptxkit_moe_combine_params;

#endif
