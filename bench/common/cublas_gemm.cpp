#include "common/cublas_gemm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/cublas_check.hpp"
#include "ptxkit/error.hpp"

namespace ptxkit::bench {
namespace {

void check_operands(const GemmOperands& op, const char* who) {
    if (op.a == nullptr || op.b == nullptr || op.d == nullptr || op.m <= 0 || op.n <= 0 || op.k <= 0) {
        throw Error(Status::invalid_argument,
                    fmt::format("{}: bad GEMM operands (m={} n={} k={})", who, op.m, op.n, op.k));
    }
}

int as_int(std::int64_t v, const char* what) {
    if (v > std::numeric_limits<int>::max()) {
        throw Error(Status::unsupported, fmt::format("cublasGemmEx: {} = {} does not fit an int", what, v));
    }
    return static_cast<int>(v);
}

}  // namespace

// ---------------------------------------------------------------------------
// Handles

CublasHandles::CublasHandles(CUstream stream)
    : stream_(stream), blas_workspace_(kWorkspaceBytes), lt_workspace_(kWorkspaceBytes) {
    cublasHandle_t blas = nullptr;
    PTXKIT_CUBLAS(cublasCreate, &blas);
    blas_.reset(blas);
    // The order matters: cublasSetStream resets the workspace to the default.
    PTXKIT_CUBLAS(cublasSetStream, blas, stream_);
    PTXKIT_CUBLAS(cublasSetWorkspace, blas, blas_workspace_.get(), blas_workspace_.bytes());

    cublasLtHandle_t lt = nullptr;
    PTXKIT_CUBLAS(cublasLtCreate, &lt);
    lt_.reset(lt);
}

std::string CublasHandles::version() const {
    int v = 0;
    PTXKIT_CUBLAS(cublasGetVersion, blas(), &v);
    return fmt::format("cuBLAS {}.{}.{} (cuBLASLt {})", v / 10000, v / 100 % 100, v % 100, cublasLtGetVersion());
}

// ---------------------------------------------------------------------------
// cuBLASLt

CublasLtGemm::CublasLtGemm(const CublasHandles& handles, const GemmOperands& operands)
    : handles_(handles), operands_(operands) {
    check_operands(operands_, "CublasLtGemm");
    const auto m = static_cast<std::uint64_t>(operands_.m);
    const auto n = static_cast<std::uint64_t>(operands_.n);
    const auto k = static_cast<std::uint64_t>(operands_.k);

    cublasLtMatmulDesc_t desc = nullptr;
    PTXKIT_CUBLAS(cublasLtMatmulDescCreate, &desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    desc_.reset(desc);
    const cublasOperation_t transpose = CUBLAS_OP_T;
    const cublasOperation_t keep = CUBLAS_OP_N;
    PTXKIT_CUBLAS(cublasLtMatmulDescSetAttribute, desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof(transpose));
    PTXKIT_CUBLAS(cublasLtMatmulDescSetAttribute, desc, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof(keep));

    // Layouts describe the matrices as stored (before op), column-major.
    cublasLtMatrixLayout_t layout = nullptr;
    PTXKIT_CUBLAS(cublasLtMatrixLayoutCreate, &layout, CUDA_R_16BF, k, n, static_cast<std::int64_t>(k));
    weight_layout_.reset(layout);  // Bᵀ: K×N, ld K; op T gives N×K
    PTXKIT_CUBLAS(cublasLtMatrixLayoutCreate, &layout, CUDA_R_16BF, k, m, static_cast<std::int64_t>(k));
    activation_layout_.reset(layout);  // Aᵀ: K×M, ld K
    PTXKIT_CUBLAS(cublasLtMatrixLayoutCreate, &layout, CUDA_R_16BF, n, m, static_cast<std::int64_t>(n));
    out_layout_.reset(layout);  // Dᵀ: N×M, ld N

    cublasLtMatmulPreference_t preference = nullptr;
    PTXKIT_CUBLAS(cublasLtMatmulPreferenceCreate, &preference);
    struct PreferenceDestroy {
        void operator()(cublasLtMatmulPreference_t p) const noexcept { cublasLtMatmulPreferenceDestroy(p); }
    };
    const std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>, PreferenceDestroy> owned(preference);
    const std::uint64_t workspace = handles_.lt_workspace_bytes();
    PTXKIT_CUBLAS(cublasLtMatmulPreferenceSetAttribute, preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                  &workspace, sizeof(workspace));

    std::vector<cublasLtMatmulHeuristicResult_t> results(kRequestedAlgos);
    int returned = 0;
    PTXKIT_CUBLAS(cublasLtMatmulAlgoGetHeuristic, handles_.lt(), desc, weight_layout_.get(),
                  activation_layout_.get(), out_layout_.get(), out_layout_.get(), preference, kRequestedAlgos,
                  results.data(), &returned);
    for (int i = 0; i < returned; ++i) {
        if (results[static_cast<std::size_t>(i)].state == CUBLAS_STATUS_SUCCESS) {
            algos_.push_back(results[static_cast<std::size_t>(i)]);
        }
    }
    if (algos_.empty()) {
        throw Error(Status::unsupported,
                    fmt::format("cublasLtMatmulAlgoGetHeuristic: no algorithm for bf16 {}x{}x{} with {} bytes of "
                                "workspace",
                                operands_.m, operands_.n, operands_.k, workspace));
    }
}

void CublasLtGemm::select_fastest(GpuTimer& timer, int candidates, const TimingOptions& options) {
    selected_ = fastest_candidate(
        timer, std::min(candidates, algo_count()), [this](int i) { selected_ = i; },
        [this](CUstream s) { run(s); }, options, "cuBLASLt");
}

TimingOptions CublasLtGemm::selection_timing(const TimingOptions& base) {
    TimingOptions t = base;
    t.warmup_runs = 2;
    t.warmup_ms = 0.0;
    t.min_samples = 10;
    t.budget_ms = 20.0;
    return t;
}

void CublasLtGemm::run(CUstream stream) const {
    const float alpha = 1.0f;
    const float beta = 0.0f;
    const cublasLtMatmulHeuristicResult_t& algo = algos_[static_cast<std::size_t>(selected_)];
    PTXKIT_CUBLAS(cublasLtMatmul, handles_.lt(), desc_.get(), &alpha, operands_.b, weight_layout_.get(), operands_.a,
                  activation_layout_.get(), &beta, operands_.d, out_layout_.get(), operands_.d, out_layout_.get(),
                  &algo.algo, handles_.lt_workspace(), handles_.lt_workspace_bytes(), stream);
}

// ---------------------------------------------------------------------------
// cublasGemmEx

CublasGemmEx::CublasGemmEx(const CublasHandles& handles, const GemmOperands& operands)
    : handles_(handles), operands_(operands) {
    check_operands(operands_, "CublasGemmEx");
    as_int(operands_.m, "M");
    as_int(operands_.n, "N");
    as_int(operands_.k, "K");
}

void CublasGemmEx::run(CUstream stream) const {
    if (stream != handles_.stream()) {
        throw Error(Status::invalid_argument, "CublasGemmEx::run: the cuBLAS handle is bound to another stream");
    }
    const float alpha = 1.0f;
    const float beta = 0.0f;
    const int m = static_cast<int>(operands_.m);
    const int n = static_cast<int>(operands_.n);
    const int k = static_cast<int>(operands_.k);
    PTXKIT_CUBLAS(cublasGemmEx, handles_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, operands_.b, CUDA_R_16BF,
                  k, operands_.a, CUDA_R_16BF, k, &beta, operands_.d, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                  CUBLAS_GEMM_DEFAULT);
}

}  // namespace ptxkit::bench
