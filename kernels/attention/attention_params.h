/* Parameter blocks of the attention kernels (kernels/attention/), shared with
 * the host launchers (src/ops/attention*.cpp): plain C, the same layout on
 * both sides. Semantics: include/ptxkit/attention.hpp. Strides in elements. */
#ifndef PTXKIT_KERNELS_ATTENTION_PARAMS_H
#define PTXKIT_KERNELS_ATTENTION_PARAMS_H

#include <stdint.h>

/* Element types, as ptxkit_dtype_t. */
enum { PTXKIT_ATTN_F16 = 1, PTXKIT_ATTN_BF16 = 2 };

/* Prefill. Sequence b, query row i (0 <= i < seqlen_q(b)), head h:
 *   q + b * q_batch_stride + (q_start(b) + i) * q_row_stride + h * q_head_stride
 * where q_start(b) = cu_seqlens_q[b] and seqlen_q(b) = cu_seqlens_q[b + 1] -
 * cu_seqlens_q[b] in the packed form (cu_seqlens_q != NULL, batch strides 0),
 * and q_start(b) = 0, seqlen_q(b) = seqlen_q in the fixed form. Likewise k, v
 * (with cu_seqlens_k, seqlen_k, KV head h / (heads_q / heads_kv)) and o.
 * lse, when not NULL: lse[b * lse_batch_stride + h * lse_head_stride +
 * q_start(b) + i] (packed: [Hq, total_q]; fixed: [B, Hq, S_q]). */
typedef struct ptxkit_attention_params {
    const void* q;
    const void* k;
    const void* v;
    void* o;
    float* lse;
    const int32_t* cu_seqlens_q; /* NULL: fixed length */
    const int32_t* cu_seqlens_k;
    int64_t q_batch_stride, q_row_stride, q_head_stride;
    int64_t k_batch_stride, k_row_stride, k_head_stride;
    int64_t v_batch_stride, v_row_stride, v_head_stride;
    int64_t o_batch_stride, o_row_stride, o_head_stride;
    int64_t lse_batch_stride, lse_head_stride;
    int32_t batch;
    int32_t heads_q, heads_kv;
    int32_t head_dim;     /* 64, 128 or 256; the kernel is compiled for one */
    int32_t seqlen_q;     /* fixed form: the length; packed: the maximum */
    int32_t seqlen_k;
    float softmax_scale;       /* applied to q.k */
    float softmax_scale_log2;  /* softmax_scale * log2(e) */
    float softcap;             /* 0: none */
    int32_t window_left;       /* < 0: unbounded */
    int32_t window_right;      /* < 0: unbounded; causal: 0 */
    int32_t dtype;             /* PTXKIT_ATTN_F16 or PTXKIT_ATTN_BF16 */
    /* Work: tiles = q_blocks * heads_q * batch, q_blocks = ceil(seqlen_q / block_m). */
    int32_t q_blocks;
    int32_t pad_;
    int64_t tiles;
} ptxkit_attention_params;

/* Decode over a paged KV cache. Sequence b (seq_len = min(seq_lens[b],
 * max_seq_len)), new query t (0 <= t < q_len), head h at
 *   q + b * q_batch_stride + t * q_row_stride + h * q_head_stride   (o alike)
 * key position p in page page_table[b * page_table_stride + (p >> log2_page_size)],
 *   k_cache + page * k_page_stride + (p & (page_size - 1)) * k_row_stride + kvh * k_head_stride.
 * Split s of `splits` covers keys [s * keys_per_split, (s + 1) * keys_per_split).
 * With splits > 1 each split writes its partial result, normalised by its own sum,
 *   partial_o  [splits, batch, q_len, heads_q, head_dim] fp32 (normalised by its own sum)
 *   partial_lse[splits, batch, q_len, heads_q] fp32 (-inf for an empty split)
 * and the merge kernel combines them into o (and lse); with splits == 1 the
 * split kernel writes o and lse directly. */
typedef struct ptxkit_attention_decode_params {
    const void* q;
    const void* k_cache;
    const void* v_cache;
    void* o;
    float* lse;                /* NULL: not written; [batch, q_len, heads_q] contiguous */
    const int32_t* page_table;
    const int32_t* seq_lens;
    float* partial_o;          /* workspace; NULL when splits == 1 */
    float* partial_lse;
    int64_t q_batch_stride, q_row_stride, q_head_stride;
    int64_t o_batch_stride, o_row_stride, o_head_stride;
    int64_t k_page_stride, k_row_stride, k_head_stride;
    int64_t v_page_stride, v_row_stride, v_head_stride;
    int64_t page_table_stride;
    int32_t max_pages;         /* columns of the page table */
    int32_t num_pages;         /* pages in the cache: ids outside [0, num_pages) poison the sequence */
    int32_t page_size;         /* a power of two in [16, 256] */
    int32_t log2_page_size;
    int32_t batch, q_len, heads_q, heads_kv;
    int32_t head_dim;
    int32_t max_seq_len;
    float softmax_scale;
    float softmax_scale_log2;
    float softcap;
    int32_t window_left;       /* < 0: unbounded */
    int32_t splits;
    int32_t keys_per_split;    /* a multiple of the kernel's key block */
    int32_t dtype;
    int32_t pad_;
} ptxkit_attention_decode_params;

#endif
