// Mixture-of-experts routing: which experts each token goes to, with which weight.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ptxkit/export.hpp"
#include "ptxkit/gemm.hpp"
#include "ptxkit/runtime.hpp"
#include "ptxkit/tensor.hpp"

namespace ptxkit::moe {

// Softmax over all experts, then the k largest probabilities per token
// (Mixtral, Qwen3-MoE). logits [T, E] f32/f16/bf16 (rows contiguous), E in
// [2, 512], k in [1, min(16, E)]; weights [T, k] f32 and ids [T, k] i32:
// the experts of the k largest logits, in descending order (so of weight),
// ties to the lower expert index. With
// `renormalize` the k weights are divided by their sum.
// Non-finite logits: NaN counts as -inf. A row whose maximum is +inf gives
// its +inf experts equal shares of probability 1 (the softmax's limit) and
// every other expert 0; a row that is all -inf (or NaN) is uniform: experts
// 0..k-1, weight 1/E each (1/k renormalised). Weights are never NaN.
PTXKIT_EXPORT void topk_softmax(const TensorView& logits, const TensorView& weights, const TensorView& ids, int k,
                                bool renormalize, Stream stream);

struct GroupedTopkOptions {
    int k = 8;
    int num_groups = 8;  // divides E; at most 32; E / num_groups >= 2
    int topk_group = 4;  // groups kept, 1..num_groups, topk_group * E / num_groups >= k
    float routed_scaling_factor = 2.5f;
};

// DeepSeek-V3 routing: s = sigmoid(logits); selection on s + bias (bias [E]
// f32, or a TensorView with null data for none); groups of E / num_groups
// experts scored by the sum of their two largest biased scores; the
// topk_group best groups kept; the k largest biased scores inside them
// chosen (ties to the lower index); weights are the chosen unbiased s
// divided by (their sum + 1e-20), times routed_scaling_factor, as the
// model's code has it: a token whose chosen s all underflow to 0 (logits
// below about -88 in f32) gets weights 0, not NaN. A NaN logit counts as
// -inf (s = 0); +inf gives s = 1. The bias must be finite.
PTXKIT_EXPORT void topk_grouped_sigmoid(const TensorView& logits, const TensorView& bias, const TensorView& weights,
                                        const TensorView& ids, const GroupedTopkOptions& options, Stream stream);

// ---- The expert-contiguous layout (align), and the row moves around the
// grouped GEMM (permute, combine). A pair is one (token, slot): pair index
// p = t * k + j, routed to expert ids[t, j].

// The layout align writes, all i32, contiguous, caller-allocated:
struct AlignOutputs {
    TensorView counts;          // [E]: pairs routed to each expert
    TensorView padded_offsets;  // [E + 1]: first row of each expert's segment, each segment padded to a
                                // multiple of block_m rows; [E] = total rows
    TensorView sorted_pairs;    // [capacity]: the pair at each row, in expert order and, inside an
                                // expert, ascending pair order; -1 on padding rows and rows >= total
    TensorView block_expert;    // [capacity / block_m]: the expert of each block_m-row block, -1 past the end
    TensorView inverse;         // [T, k]: the row of each pair, -1 for a dropped pair
    TensorView total_padded;    // [1]: total rows (= padded_offsets[E]), for consumers on the device
};

// Rows the layout may need: T*k + E*(block_m - 1). k in [1, 16], E in [1, 512],
// block_m a power of two in [16, 256], T*k <= 2^24.
PTXKIT_EXPORT std::int64_t align_capacity(std::int64_t tokens, int k, int num_experts, int block_m);
// Scratch bytes align needs (0 for T*k <= 4096: then the workspace may be null).
PTXKIT_EXPORT std::size_t align_workspace_size(std::int64_t tokens, int k, int num_experts);

// ids [T, k] i32 (contiguous) -> the layout above. An id outside [0, E) is a
// dropped pair: counted nowhere, placed nowhere, inverse -1 (the op cannot
// check device data; it skips such ids). Bitwise deterministic: the layout
// depends on the ids alone. One kernel launch for T*k <= 4096, two above; no
// host synchronisation, no allocation.
PTXKIT_EXPORT void align(const TensorView& ids, int num_experts, int block_m, const AlignOutputs& outputs,
                         void* workspace, std::size_t workspace_bytes, Stream stream);

// permuted[r] = hidden[sorted_pairs[r] / k] for the rows r < *total_padded (read
// on the device), a zero row where sorted_pairs[r] is -1; rows at and past
// *total_padded are not written. hidden [T, H] and permuted [capacity, H] in
// f32/bf16/f16 (the same), unit inner stride, any row stride >= H;
// sorted_pairs [capacity] and total_padded [1] i32 as align wrote them.
PTXKIT_EXPORT void permute(const TensorView& hidden, const TensorView& sorted_pairs, const TensorView& total_padded,
                           int k, const TensorView& permuted, Stream stream);

// out[t] = sum_j weights[t, j] * y[inverse[t, j]] (+ shared[t]), in fp32: a
// chain of fmas in slot order j = 0..k-1 from +0, then + shared, then rounded
// to nearest even; bitwise reproducible. Slots whose inverse is -1 (or outside
// [0, capacity)) contribute nothing. out [T, H] in f32/bf16/f16; y [capacity, H]
// in out's dtype or f32; shared [T, H] in out's dtype, or null data for none;
// weights [T, k] f32 and inverse [T, k] i32 contiguous; unit inner strides.
PTXKIT_EXPORT void combine(const TensorView& y, const TensorView& weights, const TensorView& inverse,
                           const TensorView& shared, const TensorView& out, Stream stream);


// ---- The grouped expert GEMM. Every expert e multiplies its rows by its
// weight W_e [N, K] (a PyTorch Linear weight, K-major): rows x W_e^T, in one
// persistent launch for all experts, bf16 or f16 in, fp32 accumulation. Which
// rows belong to which expert is read on the device (no host
// synchronisation, graph-capturable). No atomics: every output element is
// written once, by one thread, from one fixed sequence of operations, so the
// results are bitwise reproducible on a given device and kernel.

enum class GroupedEpilogue : int {
    none = 0,    // out = A W_e^T, N columns
    swiglu = 1,  // G = A W_e^T with W_e = [gate; up] (N = 2 I rows); out[:, j] = silu(G[:, j]) * G[:, I + j],
                 // I = N / 2 columns (vLLM's w13 layout: rows 0..I-1 gate, I..2I-1 up)
};

struct GroupedGemmOptions {
    GroupedEpilogue epilogue = GroupedEpilogue::none;
    // automatic, sm90 (TMA + wgmma, sm_90 only) or sm80 (mma.sync, sm_80 and
    // later); general is not a grouped path (Error(unsupported)).
    GemmPath path = GemmPath::automatic;
};

// What a call with these arguments would run.
struct GroupedGemmPlan {
    GemmPath path = GemmPath::sm80;
    const char* kernel = "";    // kernel name in its module
    const char* config = "";    // e.g. "128x256x64 s4 2cons"
    int block_m = 0;            // tile rows: align's block_m must be a multiple of it
    int block_n = 0;            // tile columns of A W^T (with SwiGLU, block_n / 2 output columns)
    unsigned grid = 0;          // persistent CTAs launched
    std::int64_t max_tiles = 0; // output tiles if every row held a pair (the device skips the others)
};

// The smallest align block_m every path accepts for a contiguous grouped GEMM,
// and the one that lets the sm90 path run.
inline constexpr int kGroupedGemmMinBlockM = 64;
inline constexpr int kGroupedGemmBlockM = 128;

// Contiguous (align's) layout. a [rows, K]: the permuted rows (permute's
// output); rows [b * block_m, (b + 1) * block_m) belong to expert
// block_expert[b]. weights [E, N, K]. out [rows, N] (SwiGLU: [rows, N / 2])
// in a's dtype or f32. block_expert [>= rows / block_m] and total_padded [1]
// i32 as align wrote them (block_m the one align was given: a power of two in
// [64, 256]). Rows below min(*total_padded, rows) are computed and written,
// padding rows included (permute makes them zero rows, so they give zeros);
// rows at and past it are not written, nor are blocks whose block_expert
// entry is outside [0, E).
// Alignment: a, weights, out 16-byte aligned; every row and expert stride a
// multiple of 8 elements; unit inner strides. K >= 1 (any value), N >= 1.
PTXKIT_EXPORT void grouped_gemm(const TensorView& a, const TensorView& weights, const TensorView& block_expert,
                                const TensorView& total_padded, int block_m, const TensorView& out,
                                const GroupedGemmOptions& options, Stream stream);
PTXKIT_EXPORT GroupedGemmPlan grouped_gemm_plan(const TensorView& a, const TensorView& weights,
                                                const TensorView& block_expert, const TensorView& total_padded,
                                                int block_m, const TensorView& out,
                                                const GroupedGemmOptions& options);

// Masked layout (decode: a fixed capacity per expert). a [E, capacity, K],
// weights [E, N, K], counts [E] i32 on the device (valid rows per expert),
// out [E, capacity, N] (SwiGLU: N / 2 columns). Expert e's rows below
// min(counts[e], capacity) are computed and written; its other rows are
// neither read nor written, and tiles without valid rows are skipped on the
// device. Same alignment rules as grouped_gemm.
PTXKIT_EXPORT void grouped_gemm_masked(const TensorView& a, const TensorView& weights, const TensorView& counts,
                                       const TensorView& out, const GroupedGemmOptions& options, Stream stream);
PTXKIT_EXPORT GroupedGemmPlan grouped_gemm_masked_plan(const TensorView& a, const TensorView& weights,
                                                       const TensorView& counts, const TensorView& out,
                                                       const GroupedGemmOptions& options);

// ---- The fused MoE layer: routing -> align -> permute -> grouped GEMM (w13,
// SwiGLU in its epilogue) -> grouped GEMM (w2) -> combine, all on `stream`
// in the caller's workspace: no allocation, no host synchronisation,
// graph-capturable. Bitwise reproducible (every step is).

enum class MoeRouting : int {
    softmax_topk = 0,          // topk_softmax (Mixtral, Qwen3-MoE), `renormalize` applies
    grouped_sigmoid_topk = 1,  // topk_grouped_sigmoid (DeepSeek-V3): num_groups, topk_group,
                               // routed_scaling_factor and `bias` apply
};

struct FusedMoeOptions {
    MoeRouting routing = MoeRouting::softmax_topk;
    int k = 8;                    // experts per token, [1, min(16, E)]
    bool renormalize = true;      // softmax_topk
    int num_groups = 8;           // grouped_sigmoid_topk, as GroupedTopkOptions
    int topk_group = 4;
    float routed_scaling_factor = 2.5f;
    TensorView bias{};            // grouped_sigmoid_topk: [E] f32, or null data for none
    TensorView shared_output{};   // [T, H] in out's dtype, added to every token (a shared expert), or null
    GemmPath path = GemmPath::automatic;  // for both grouped GEMMs
};

// Bytes of workspace fused_moe needs (a multiple of 256; the workspace must
// be 256-byte aligned). tokens >= 0, hidden and intermediate >= 1,
// num_experts in [2, 512], k in [1, min(16, num_experts)], dtype bf16 or f16.
PTXKIT_EXPORT std::size_t fused_moe_workspace_size(std::int64_t tokens, std::int64_t hidden,
                                                   std::int64_t intermediate, int num_experts, int k, DType dtype);

// hidden [T, H] bf16/f16; router_logits [T, E] f32/bf16/f16 (contiguous);
// w13 [E, 2 I, H] (rows 0..I-1 gate, I..2I-1 up); w2 [E, H, I]; out [T, H] in
// hidden's dtype; w13, w2 in hidden's dtype. out = sum_j w_j * expert_{e_j}(x)
// (+ shared_output), expert_e(x) = W2_e (silu(x Wg_e^T) * (x Wu_e^T)), with
// the intermediate rounded to the dtype and the weighted sum in fp32 (combine).
// Same alignment rules as grouped_gemm (H and I multiples of 8).
PTXKIT_EXPORT void fused_moe(const TensorView& hidden, const TensorView& router_logits, const TensorView& w13,
                             const TensorView& w2, const TensorView& out, const FusedMoeOptions& options,
                             void* workspace, std::size_t workspace_bytes, Stream stream);

}  // namespace ptxkit::moe
