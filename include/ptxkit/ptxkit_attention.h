/* ptxkit C API: attention prefill and paged decode (see ptxkit/attention.hpp
 * for the semantics). Included by ptxkit.h. */
#ifndef PTXKIT_ATTENTION_H
#define PTXKIT_ATTENTION_H

#include "ptxkit/ptxkit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ptxkit_attention_path {
    PTXKIT_ATTENTION_AUTO = 0,
    PTXKIT_ATTENTION_SM90 = 1,
    PTXKIT_ATTENTION_SM80 = 2
} ptxkit_attention_path_t;

typedef struct ptxkit_attention_options {
    float softmax_scale;   /* 0: 1 / sqrt(D) */
    float softcap;         /* 0: none */
    int32_t causal;        /* nonzero: window_right = 0 */
    int32_t window_left;   /* -1: unbounded */
    int32_t window_right;  /* -1: unbounded */
    ptxkit_attention_path_t path;
} ptxkit_attention_options_t;

/* The defaults: no mask, no cap, scale 1/sqrt(D), automatic path. */
PTXKIT_API ptxkit_attention_options_t ptxkit_attention_default_options(void);

/* Fixed length: q, o [B, S_q, Hq, D]; k, v [B, S_k, Hkv, D]; lse NULL or f32 [B, Hq, S_q].
 * options may be NULL for the defaults. */
PTXKIT_API ptxkit_status_t ptxkit_attention_prefill(const ptxkit_tensor_t* q, const ptxkit_tensor_t* k,
                                                    const ptxkit_tensor_t* v, const ptxkit_tensor_t* o,
                                                    const ptxkit_tensor_t* lse,
                                                    const ptxkit_attention_options_t* options, ptxkit_stream_t stream);

/* Packed variable length: q, o [total_q, Hq, D]; k, v [total_k, Hkv, D];
 * cu_seqlens_q/_k i32 [batch + 1]; lse NULL or f32 [Hq, total_q]. */
typedef struct ptxkit_varlen_attention_args {
    const ptxkit_tensor_t* q;
    const ptxkit_tensor_t* k;
    const ptxkit_tensor_t* v;
    const ptxkit_tensor_t* o;
    const ptxkit_tensor_t* cu_seqlens_q;
    const ptxkit_tensor_t* cu_seqlens_k;
    int64_t max_seqlen_q;
    int64_t max_seqlen_k;
    const ptxkit_tensor_t* lse; /* NULL: not written */
} ptxkit_varlen_attention_args_t;

PTXKIT_API ptxkit_status_t ptxkit_attention_prefill_varlen(const ptxkit_varlen_attention_args_t* args,
                                                           const ptxkit_attention_options_t* options,
                                                           ptxkit_stream_t stream);

/* Paged decode: q, o [B, q_len, Hq, D]; k_cache, v_cache [num_pages, page_size, Hkv, D];
 * page_table i32 [B, max_pages]; seq_lens i32 [B]; lse NULL or f32 [B, q_len, Hq]. */
typedef struct ptxkit_decode_attention_args {
    const ptxkit_tensor_t* q;
    const ptxkit_tensor_t* k_cache;
    const ptxkit_tensor_t* v_cache;
    const ptxkit_tensor_t* page_table;
    const ptxkit_tensor_t* seq_lens;
    const ptxkit_tensor_t* o;
    const ptxkit_tensor_t* lse; /* NULL: not written */
    int64_t max_seq_len;        /* host-side bound of seq_lens */
} ptxkit_decode_attention_args_t;

typedef struct ptxkit_decode_attention_options {
    float softmax_scale;    /* 0: 1 / sqrt(D) */
    float softcap;          /* 0: none */
    int32_t window_left;    /* -1: unbounded */
    int32_t splits;         /* 0: heuristic */
    void* workspace;        /* NULL: no split-KV */
    size_t workspace_bytes;
} ptxkit_decode_attention_options_t;

PTXKIT_API ptxkit_decode_attention_options_t ptxkit_decode_attention_default_options(void);

PTXKIT_API ptxkit_status_t ptxkit_attention_decode(const ptxkit_decode_attention_args_t* args,
                                                   const ptxkit_decode_attention_options_t* options,
                                                   ptxkit_stream_t stream);

PTXKIT_API ptxkit_status_t ptxkit_attention_decode_workspace_size(int64_t batch, int64_t q_len, int64_t heads_q,
                                                                  int64_t heads_kv, int64_t head_dim,
                                                                  int64_t max_seq_len, size_t* bytes);

#ifdef __cplusplus
}
#endif

#endif /* PTXKIT_ATTENTION_H */
