// Attention for inference: prefill over packed variable-length sequences (or
// a fixed-length batch), and decode over a paged KV cache.
//
// Semantics shared by both (the CPU reference in tests/support is written
// from this text):
//   s[i, j]  = (q_i . k_j) * softmax_scale
//   s[i, j]  = softcap * tanh(s[i, j] / softcap)          when softcap > 0
//   p[i, :]  = softmax over the keys j that query i may see
//   o_i      = sum_j p[i, j] v_j
//   lse[i]   = log(sum_j exp(s[i, j]))  (natural log, fp32)
// Query i of a sequence with seqlen_q queries and seqlen_k keys sits at key
// position pos(i) = i + seqlen_k - seqlen_q (the bottom-right alignment of
// FlashAttention); it may see key j when
//   j >= pos(i) - window_left   (window_left < 0: no bound)  and
//   j <= pos(i) + window_right  (window_right < 0: no bound; causal: 0).
// A query that may see no key (seqlen_k = 0, or masked out entirely) gets
// o = 0 and lse = -inf, never NaN, so merging partial results by lse works.
//
// Grouped-query attention: query head h reads KV head h / (Hq / Hkv); Hq must
// be a multiple of Hkv (MQA: Hkv = 1). Head dimension D is 64, 128 or 256;
// q, k, v and o share one dtype, bf16 or f16; accumulation is fp32.
//
// Tensors may be strided (e.g. slices of a packed QKV projection) as long as
// the head dimension is contiguous and every stride is a multiple of 8
// elements (16 bytes) with 16-byte aligned base pointers.
// Calls never allocate and never synchronise the host; results are bitwise
// deterministic (docs/determinism.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ptxkit/export.hpp"
#include "ptxkit/runtime.hpp"
#include "ptxkit/tensor.hpp"

namespace ptxkit {

// Which kernel family serves a prefill call; `automatic` picks the fastest
// that runs on the current device, the others force one (tests, benchmarks)
// and throw Error(unsupported) where it cannot run.
enum class AttentionPath : int { automatic = 0, sm90 = 1, sm80 = 2 };

struct AttentionOptions {
    float softmax_scale = 0.0f;  // 0: 1 / sqrt(D)
    float softcap = 0.0f;        // 0: no capping
    bool causal = false;         // same as window_right = 0
    int window_left = -1;        // sliding window, -1: unbounded
    int window_right = -1;       // -1: unbounded (0 when causal)
    AttentionPath path = AttentionPath::automatic;
};

// Packed variable-length prefill. Sequence b holds queries
// cu_seqlens_q[b] .. cu_seqlens_q[b + 1] - 1 of q and keys
// cu_seqlens_k[b] .. cu_seqlens_k[b + 1] - 1 of k and v.
struct VarlenAttentionArgs {
    TensorView q;             // [total_q, Hq, D]
    TensorView k;             // [total_k, Hkv, D]
    TensorView v;             // [total_k, Hkv, D]
    TensorView o;             // [total_q, Hq, D], written
    // Read on the device and trusted (not checked without a sync): offsets
    // outside [0, total] make the kernel read or write outside q/k/v/o.
    TensorView cu_seqlens_q;  // i32 [batch + 1], non-decreasing from 0, last = total_q
    TensorView cu_seqlens_k;  // i32 [batch + 1], non-decreasing from 0, last = total_k
    // Upper bounds of the lengths: they size the grid, so they must hold. The
    // lengths are on the device and cannot be checked without a sync; query
    // rows of a sequence beyond max_seqlen_q are not computed (o not written).
    std::int64_t max_seqlen_q = 0;
    std::int64_t max_seqlen_k = 0;
    TensorView lse{};         // optional f32 [Hq, total_q], contiguous; null data: not written
};

// Fixed-length prefill: every sequence of the batch has S_q queries and S_k keys.
struct AttentionArgs {
    TensorView q;    // [B, S_q, Hq, D]
    TensorView k;    // [B, S_k, Hkv, D]
    TensorView v;    // [B, S_k, Hkv, D]
    TensorView o;    // [B, S_q, Hq, D], written
    TensorView lse{};  // optional f32 [B, Hq, S_q], contiguous
};

PTXKIT_EXPORT void attention_prefill(const VarlenAttentionArgs& args, const AttentionOptions& options, Stream stream);
PTXKIT_EXPORT void attention_prefill(const AttentionArgs& args, const AttentionOptions& options, Stream stream);

// What a prefill call would run: for logs, tests and benchmarks.
struct AttentionPlan {
    AttentionPath path = AttentionPath::sm80;
    const char* kernel = "";
    const char* config = "";  // e.g. "128x128 D128 2cons s2"
    int block_m = 0, block_n = 0;
    unsigned grid = 0;         // CTAs launched
    std::int64_t tiles = 0;    // (query block, head, sequence) work items
    int splits = 1;            // decode: KV splits per (sequence, KV head)
};
PTXKIT_EXPORT AttentionPlan attention_prefill_plan(const VarlenAttentionArgs& args, const AttentionOptions& options);
PTXKIT_EXPORT AttentionPlan attention_prefill_plan(const AttentionArgs& args, const AttentionOptions& options);

// ---------------------------------------------------------------------------
// Decode over a paged KV cache. Sequence b has seq_lens[b] keys (the new
// tokens included, already written to the cache); its key position p lives in
// page page_table[b, p / page_size], row p % page_size. The q_len new queries
// are the last q_len positions of the sequence: query t sits at position
// seq_lens[b] - q_len + t and sees keys up to itself (causal among the new
// tokens), and back to window_left positions when window_left >= 0.
struct DecodeAttentionArgs {
    TensorView q;           // [B, q_len, Hq, D], q_len 1..8
    TensorView k_cache;     // [num_pages, page_size, Hkv, D], page_size a power of two in [16, 256]
    TensorView v_cache;     // [num_pages, page_size, Hkv, D]
    TensorView page_table;  // i32 [B, max_pages], row stride may exceed max_pages
    TensorView seq_lens;    // i32 [B], each in [0, max_seq_len]
    TensorView o;           // [B, q_len, Hq, D], written
    TensorView lse{};       // optional f32 [B, q_len, Hq], contiguous
    // Host-side upper bound of seq_lens: it sizes the KV split (no device
    // read, so a step can be captured in a CUDA graph). Must be at most
    // max_pages * page_size. A seq_len above it is clamped to it.
    std::int64_t max_seq_len = 0;
};

struct DecodeAttentionOptions {
    float softmax_scale = 0.0f;  // 0: 1 / sqrt(D)
    float softcap = 0.0f;        // 0: no capping
    int window_left = -1;        // -1: unbounded
    // Scratch for split-KV partial results (attention_decode_workspace_size);
    // with less than it asks for, fewer splits are used (1 with none).
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;
    int splits = 0;              // 0: heuristic; > 0 forces a count (tests)
};

// Page ids are read on the device, so one outside [0, num_pages) cannot be
// refused before the launch; the kernel never reads outside the cache and
// writes NaN to the outputs of a sequence whose table holds one, so the error
// is visible rather than silent.
PTXKIT_EXPORT void attention_decode(const DecodeAttentionArgs& args, const DecodeAttentionOptions& options,
                                    Stream stream);

// Bytes of workspace with which the heuristic's split count is used, for
// these sizes on the current device (0 when it would not split).
PTXKIT_EXPORT std::size_t attention_decode_workspace_size(std::int64_t batch, std::int64_t q_len,
                                                          std::int64_t heads_q, std::int64_t heads_kv,
                                                          std::int64_t head_dim, std::int64_t max_seq_len);

PTXKIT_EXPORT AttentionPlan attention_decode_plan(const DecodeAttentionArgs& args,
                                                  const DecodeAttentionOptions& options);

}  // namespace ptxkit
