// The cuBLAS baselines for ptxkit's GEMM:
//   D[M,N] = A[M,K] · B[N,K]ᵀ, bf16 in and out, fp32 accumulation,
// with A, B and D row-major and dense: PyTorch's Linear layout (A the
// activations, B the weight [out_features, in_features]).
//
// Mapping to column-major cuBLAS. A row-major R×C matrix with leading
// dimension C is, read column-major, its transpose: a C×R matrix, ld C. So
//   A [M,K] row-major  = Aᵀ, K×M column-major, ld K
//   B [N,K] row-major  = Bᵀ, K×N column-major, ld K
//   D [M,N] row-major  = Dᵀ, N×M column-major, ld N
// and D = A·Bᵀ  <=>  Dᵀ = B·Aᵀ = op_T(Bᵀ) · op_N(Aᵀ). cuBLAS's
// C[m×n] = op(X)[m×k] · op(Y)[k×n] is therefore called with
//   m = N, n = M, k = K,
//   X = the B pointer, op T, stored K×N, ld K
//   Y = the A pointer, op N, stored K×M, ld K
//   C = D = the D pointer, N×M, ld N
// (cuBLAS's "TN" case, the one its fastest kernels are written for).
// alpha = 1, beta = 0: C is not read.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common/timer.hpp"
#include "support/gpu.hpp"

namespace ptxkit::bench {

// Device pointers to bf16 data, layouts as above.
struct GemmOperands {
    const void* a = nullptr;  // [m, k]
    const void* b = nullptr;  // [n, k]
    void* d = nullptr;        // [m, n]
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
};

// A cuBLAS handle and a cuBLASLt handle in the current context, each with its
// own workspace. The cuBLAS handle is bound to `stream` once (cublasSetStream
// resets the workspace, so it is set after); cuBLASLt takes the stream per call.
class CublasHandles {
public:
    static constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;

    explicit CublasHandles(CUstream stream);

    cublasHandle_t blas() const noexcept { return blas_.get(); }
    cublasLtHandle_t lt() const noexcept { return lt_.get(); }
    CUstream stream() const noexcept { return stream_; }
    void* lt_workspace() const noexcept { return lt_workspace_.get(); }
    std::size_t lt_workspace_bytes() const noexcept { return lt_workspace_.bytes(); }

    // "cuBLAS 13.0.0 (cuBLASLt 130000)"
    std::string version() const;

private:
    struct BlasDestroy {
        void operator()(cublasHandle_t h) const noexcept { cublasDestroy(h); }
    };
    struct LtDestroy {
        void operator()(cublasLtHandle_t h) const noexcept { cublasLtDestroy(h); }
    };

    CUstream stream_;
    testing::DeviceBuffer blas_workspace_;
    testing::DeviceBuffer lt_workspace_;
    std::unique_ptr<std::remove_pointer_t<cublasHandle_t>, BlasDestroy> blas_;
    std::unique_ptr<std::remove_pointer_t<cublasLtHandle_t>, LtDestroy> lt_;
};

// cublasLtMatmul with an algorithm from cuBLASLt's heuristic: the first
// returned until select_fastest() picks among the top few by measurement.
class CublasLtGemm {
public:
    static constexpr int kRequestedAlgos = 8;

    CublasLtGemm(const CublasHandles& handles, const GemmOperands& operands);

    int algo_count() const noexcept { return static_cast<int>(algos_.size()); }
    int selected() const noexcept { return selected_; }
    // Times the first `candidates` heuristic results (in heuristic order) and
    // keeps the fastest median. Algorithms that fail to launch are skipped.
    void select_fastest(GpuTimer& timer, int candidates, const TimingOptions& options);
    // Shorter timing for that selection than for the case itself.
    static TimingOptions selection_timing(const TimingOptions& base);

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

    const CublasHandles& handles_;
    GemmOperands operands_;
    Desc desc_;
    Layout weight_layout_;      // cuBLAS's "A": our B
    Layout activation_layout_;  // cuBLAS's "B": our A
    Layout out_layout_;         // C and D: our D
    std::vector<cublasLtMatmulHeuristicResult_t> algos_;
    int selected_ = 0;
};

// cublasGemmEx, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT (cuBLAS's own choice).
class CublasGemmEx {
public:
    CublasGemmEx(const CublasHandles& handles, const GemmOperands& operands);
    void run(CUstream stream) const;

private:
    const CublasHandles& handles_;
    GemmOperands operands_;
};

}  // namespace ptxkit::bench
