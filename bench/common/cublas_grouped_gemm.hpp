// The cuBLAS baselines for the MoE expert GEMMs (grouped_gemm_check.hpp has
// the problem): for every expert e with rows_e > 0,
//   D_e[rows_e, N] = A_e[rows_e, K] · W_e[N, K]ᵀ, bf16 in and out, fp32 accumulation,
// where A_e and D_e are expert e's row blocks of A and D and W_e its weight.
//
// Mapping to column-major cuBLAS, per expert: exactly cublas_gemm.hpp's
// mapping with M = rows_e. Read column-major, a row-major R×C matrix with
// leading dimension C is its C×R transpose, so
//   A_e [rows_e, K] row-major = A_eᵀ, K×rows_e column-major, ld K
//   W_e [N, K]      row-major = W_eᵀ, K×N      column-major, ld K
//   D_e [rows_e, N] row-major = D_eᵀ, N×rows_e column-major, ld N
// and D_e = A_e·W_eᵀ <=> D_eᵀ = W_e·A_eᵀ = op_T(W_eᵀ) · op_N(A_eᵀ). cuBLAS's
// C[m×n] = op(X)[m×k] · op(Y)[k×n] is called with
//   m = N, n = rows_e, k = K                 (the token count is cuBLAS's n)
//   X = W_e = W + e·N·K elements,  op T, ld K
//   Y = A_e = A + offsets[e]·K elements, op N, ld K
//   C = D_e = D + offsets[e]·N elements, ld N
// alpha = 1, beta = 0 (C is not read). cuBLAS asks bf16 matrix pointers to
// be 16-byte aligned (cublasGemmGroupedBatchedEx: at least whenever K·2 is a
// multiple of 16); the offsets above are whole rows, so every pointer keeps
// its buffer's alignment when K·2 and N·2 are multiples of 16, which holds
// for every model in shapes.hpp. Both baselines check it and refuse
// (Status::unsupported) otherwise.
//
// Experts without rows are left out of both baselines (no GEMM at all).
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda.h>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "common/cublas_gemm.hpp"
#include "common/timer.hpp"
#include "support/gpu.hpp"

namespace ptxkit::bench {

// Device pointers to bf16 data, layouts as above.
struct GroupedGemmOperands {
    const void* a = nullptr;          // [Σ rows, k], expert blocks in expert order
    const void* w = nullptr;          // [experts, n, k]
    void* d = nullptr;                // [Σ rows, n]
    std::vector<std::int64_t> rows;   // [experts]: rows of each expert (0: the expert is skipped)
    std::int64_t n = 0;
    std::int64_t k = 0;
};

// cublasGemmGroupedBatchedEx with one group per expert that has rows (group
// size 1, its own cuBLAS n = rows_e), CUBLAS_COMPUTE_32F, fp32 alpha/beta,
// cuBLAS's own kernel choice, the handle's 32 MiB workspace.
//
// The call's requirements (cuBLAS docs, cublasGemmGroupedBatchedEx): the
// per-group arrays (transa/transb, m/n/k, alpha, lda/ldb, beta, ldc,
// group_size; length group_count) are HOST arrays, kept here for the object's
// lifetime; Aarray/Barray/Carray (length problem_count = Σ group_size = the
// number of groups here) are DEVICE arrays of device pointers, built and
// uploaded once by the constructor, never per run; the pointer mode must be
// CUBLAS_POINTER_MODE_HOST (the handle's default; DEVICE is not supported).
class CublasGroupedBatchedGemm {
public:
    CublasGroupedBatchedGemm(const CublasHandles& handles, const GroupedGemmOperands& operands);

    int groups() const noexcept { return static_cast<int>(m_.size()); }
    // Enqueues the one grouped call; `stream` must be the handle's stream.
    void run(CUstream stream) const;

private:
    const CublasHandles& handles_;
    // Host arrays, one entry per group.
    std::vector<cublasOperation_t> transa_;
    std::vector<cublasOperation_t> transb_;
    std::vector<int> m_, n_, k_;
    std::vector<int> lda_, ldb_, ldc_;
    std::vector<float> alpha_, beta_;
    std::vector<int> group_size_;
    // Device arrays of device pointers, one entry per problem.
    testing::DeviceBuffer weight_ptrs_;      // cuBLAS's Aarray: W_e
    testing::DeviceBuffer activation_ptrs_;  // cuBLAS's Barray: A_e
    testing::DeviceBuffer out_ptrs_;         // cuBLAS's Carray: D_e
};

// One cublasLtMatmul per expert that has rows, in expert order, on one
// stream (the way a framework without a grouped kernel runs the experts).
// CUBLAS_COMPUTE_32F, fp32 scale, the cuBLASLt handle's 32 MiB workspace
// (reused by the consecutive calls: they are ordered on the stream). One
// matmul descriptor; matrix layouts and heuristic results per distinct row
// count. Algorithm i of the loop means each call's i-th heuristic result
// (the last one for a row count with fewer); select_fastest() times the
// whole loop per i, like CublasLtGemm::select_fastest.
class CublasLtExpertLoop {
public:
    static constexpr int kRequestedAlgos = 8;

    CublasLtExpertLoop(const CublasHandles& handles, const GroupedGemmOperands& operands);

    int calls() const noexcept { return static_cast<int>(calls_.size()); }
    int candidates() const noexcept;  // the most heuristic results any row count has
    int selected() const noexcept { return selected_; }
    void select_fastest(GpuTimer& timer, int candidates, const TimingOptions& options);

    void run(CUstream stream) const;

private:
    struct DescDestroy {
        void operator()(cublasLtMatmulDesc_t d) const noexcept { cublasLtMatmulDescDestroy(d); }
    };
    struct LayoutDestroy {
        void operator()(cublasLtMatrixLayout_t l) const noexcept { cublasLtMatrixLayoutDestroy(l); }
    };
    using Desc = std::unique_ptr<std::remove_pointer_t<cublasLtMatmulDesc_t>, DescDestroy>;
    using Layout = std::unique_ptr<std::remove_pointer_t<cublasLtMatrixLayout_t>, LayoutDestroy>;

    // Everything that depends on the row count only.
    struct RowShape {
        std::int64_t rows = 0;
        Layout activation_layout;  // cuBLAS's "B": A_eᵀ, K×rows, ld K
        Layout out_layout;         // C and D: D_eᵀ, N×rows, ld N
        std::vector<cublasLtMatmulHeuristicResult_t> algos;
    };
    struct Call {
        const void* w = nullptr;
        const void* a = nullptr;
        void* d = nullptr;
        std::size_t shape = 0;  // index into shapes_
    };

    const CublasHandles& handles_;
    std::int64_t n_ = 0;
    std::int64_t k_ = 0;
    Desc desc_;
    Layout weight_layout_;  // cuBLAS's "A": W_eᵀ, K×N, ld K (op T)
    std::vector<RowShape> shapes_;
    std::vector<Call> calls_;
    int selected_ = 0;
};

}  // namespace ptxkit::bench
