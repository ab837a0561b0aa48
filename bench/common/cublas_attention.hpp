// The cuBLAS "unfused" attention baseline: what a framework without a fused
// attention kernel runs (PyTorch's math SDPA path, the "standard attention" of
// the FlashAttention papers), done as well as those pieces allow:
//   S = Q·Kᵀ         one cublasGemmStridedBatchedEx call (bf16/f16 in, fp32
//                    accumulation, S stored in the input type by default)
//   P = softmax(S)   kernels/baseline/masked_softmax.cu: scale, causal mask
//                    (bottom-right aligned), one pass over S, P in place
//   O = P·V          one cublasGemmStridedBatchedEx call
// per chunk of (sequence, KV head) pairs; varlen problems are one such
// segment per sequence, run one after the other on the stream.
//
// Layout: head-major ("BHSD", the layout in which one strided batch covers
// every (sequence, KV head) pair). Per pair z (z = b·Hkv + g for a fixed-length
// batch), the G = Hq/Hkv query heads g·G .. g·G+G-1 that share KV head g are
// stacked into the GEMM's rows, so GQA costs no copy and no extra launch:
//   Q_z  [G·S_q, D_qk]   (head-major query rows: head j of the group, query i at row j·S_q + i)
//   K_z  [S_k,  D_qk]
//   V_z  [S_k,  D_v]
//   O_z  [G·S_q, D_v]
//   S_z  [G·S_q, ld_s]   scratch, ld_s = S_k rounded up to 8 (16-byte rows)
// In cuBLAS's column-major terms (a row-major R×C matrix with leading
// dimension L is its C×R transpose, ld L):
//   Sᵀ[S_k, G·S_q] = op_T(Kᵀ)·op_N(Qᵀ):  m = S_k, n = G·S_q, k = D_qk,
//                    A = K (lda D_qk, T), B = Q (ldb D_qk, N), C = S (ldc ld_s)
//   Oᵀ[D_v, G·S_q] = op_N(Vᵀ)·op_N(Pᵀ):  m = D_v, n = G·S_q, k = S_k,
//                    A = V (lda D_v, N), B = P (ldb ld_p, N), C = O (ldc D_v)
// with batch strides |Q_z|, |K_z|, |V_z|, |O_z|, |S_z| (K and V strides are
// per pair, not per query head: the heads of a group share them).
//
// S's type: the input's 16-bit type by default, as PyTorch's bf16 matmul and
// the FlashAttention papers' baselines keep it. It is also what cuBLAS is
// fastest at here: QK^T writes S_q·S_k elements from only D_qk-long dot
// products, so at D <= 256 it is bound by writing S, and fp32 S doubles that
// traffic (and the softmax's). f32 S is supported (s_dtype = f32) for
// comparison; P is then written in place into the first half of each S row.
//
// S is the one large buffer: Hq·S_q·S_k elements for a whole batch (16 GiB at
// 32 heads and 16k tokens). The pairs are processed in chunks whose S fits in
// s_budget_bytes (8 GiB by default), one chunk after the other, which is what
// a framework short of memory does; each chunk's GEMMs stay large.
#pragma once

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "baseline/masked_softmax_params.h"
#include "common/cublas_gemm.hpp"
#include "ptxkit/tensor.hpp"
#include "support/gpu.hpp"

namespace ptxkit::detail {
class ContextState;
struct Kernel;
}  // namespace ptxkit::detail

namespace ptxkit::bench {

// One sequence length class of the problem in the layout above: `groups`
// (sequence, KV head) pairs with seqlen_q queries and seqlen_k keys each.
// Device pointers; the tensors are dense.
struct UnfusedSegment {
    const void* q = nullptr;  // [groups, G * seqlen_q, d_qk]
    const void* k = nullptr;  // [groups, seqlen_k, d_qk]
    const void* v = nullptr;  // [groups, seqlen_k, d_v]
    void* o = nullptr;        // [groups, G * seqlen_q, d_v]
    std::int64_t groups = 0;
    std::int64_t seqlen_q = 0;
    std::int64_t seqlen_k = 0;
};

struct UnfusedAttentionConfig {
    static constexpr std::size_t kDefaultSBudget = std::size_t{8} << 30;

    DType dtype = DType::bf16;    // Q, K, V, O and P: bf16 or f16
    DType s_dtype = DType::bf16;  // S: dtype (the default) or f32
    int heads_per_group = 1;      // G = Hq / Hkv
    int d_qk = 128;
    int d_v = 128;
    bool causal = false;           // query i sees keys j <= i + seqlen_k - seqlen_q
    float softmax_scale = 0.0f;    // 0: 1 / sqrt(d_qk)
    std::size_t s_budget_bytes = kDefaultSBudget;
};

class CublasUnfusedAttention {
public:
    // Plans the chunks, picks the softmax kernel per segment and allocates S
    // (in the current context, the one `handles` was made in).
    CublasUnfusedAttention(const CublasHandles& handles, const UnfusedAttentionConfig& config,
                           std::vector<UnfusedSegment> segments);

    // Enqueues the whole attention on `stream` (the stream the cuBLAS handle
    // is bound to): no allocation, no synchronisation.
    void run(CUstream stream) const;

    // For logs: "S bf16 ld 4096 (2 GiB), 2 chunks, softmax ptxkit_masked_softmax_bf16_bf16_t128_v4, ..."
    const std::string& description() const noexcept { return description_; }

    // The longest key row the softmax kernels hold (32768 16-bit, 16384 f32).
    static std::int64_t max_seqlen_k(DType s_dtype) noexcept;

private:
    struct Step {
        const void* q;
        const void* k;
        const void* v;
        void* o;
        int batch;  // (sequence, KV head) pairs in this chunk
        int rows;   // G * seqlen_q
        int seqlen_k;
        int ld_s;   // in S elements
        int ld_p;   // in P elements
        const detail::Kernel* softmax;
        unsigned softmax_grid;
        unsigned softmax_block;
        ptxkit_masked_softmax_params params;  // rows and pointers filled in
    };

    const CublasHandles& handles_;
    UnfusedAttentionConfig config_;
    detail::ContextState* context_ = nullptr;
    testing::DeviceBuffer s_;
    std::vector<Step> steps_;
    std::string description_;
};

}  // namespace ptxkit::bench
