/* Kernel parameter block of kernels/moe/align.cu, shared with the host
 * (src/ops/moe_align.cpp): plain C, identical layout on both sides. */
#ifndef PTXKIT_KERNELS_MOE_ALIGN_PARAMS_H
#define PTXKIT_KERNELS_MOE_ALIGN_PARAMS_H

#include <stdint.h>

/* Threads per block of both kernels; the scatter kernel's thread e handles expert e. */
#define PTXKIT_MOE_ALIGN_THREADS 512
#define PTXKIT_MOE_ALIGN_MAX_EXPERTS 512
/* Chunk sizes are multiples of this: every warp of a scatter block gets a whole
 * number of batches (8 steps of 32 pairs). */
#define PTXKIT_MOE_ALIGN_CHUNK_QUANTUM 4096

typedef struct ptxkit_moe_align_params {
    const int32_t* ids;        /* [num_pairs]: expert of pair t*k + j; outside [0, E): dropped */
    int32_t* counts;           /* [num_experts] */
    int32_t* padded_offsets;   /* [num_experts + 1] */
    int32_t* sorted_pairs;     /* [capacity] */
    int32_t* block_expert;     /* [num_blocks] */
    int32_t* inverse;          /* [num_pairs] */
    int32_t* total_padded;     /* [1] */
    int32_t* chunk_counts;     /* workspace [num_chunks, num_experts]; unused when num_chunks == 1 */
    int32_t num_pairs;         /* T * k */
    int32_t num_experts;       /* <= PTXKIT_MOE_ALIGN_MAX_EXPERTS */
    int32_t log2_block_m;      /* 4..8 */
    int32_t capacity;          /* T * k + E * (block_m - 1) */
    int32_t num_blocks;        /* capacity / block_m */
    int32_t chunk_size;        /* pairs per chunk, a multiple of PTXKIT_MOE_ALIGN_CHUNK_QUANTUM */
    int32_t num_chunks;        /* ceil(num_pairs / chunk_size), at least 1 */
    int32_t pad_;
} ptxkit_moe_align_params;

#endif
