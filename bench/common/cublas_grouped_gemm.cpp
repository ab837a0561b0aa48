#include "common/cublas_grouped_gemm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "common/cublas_check.hpp"
#include "common/device.hpp"
#include "ptxkit/error.hpp"

namespace ptxkit::bench {
namespace {

constexpr std::size_t kBf16 = 2;
constexpr std::uintptr_t kAlignment = 16;  // what cuBLAS asks of bf16 matrix pointers

void check_operands(const GroupedGemmOperands& op, const char* who) {
    const bool any_rows = std::any_of(op.rows.begin(), op.rows.end(), [](std::int64_t r) { return r > 0; });
    const bool negative = std::any_of(op.rows.begin(), op.rows.end(), [](std::int64_t r) { return r < 0; });
    if (op.a == nullptr || op.w == nullptr || op.d == nullptr || op.n <= 0 || op.k <= 0 || !any_rows || negative) {
        throw Error(Status::invalid_argument, fmt::format("{}: bad grouped GEMM operands (experts={} n={} k={})", who,
                                                          op.rows.size(), op.n, op.k));
    }
}

int as_int(std::int64_t v, const char* what) {
    if (v > std::numeric_limits<int>::max()) {
        throw Error(Status::unsupported,
                    fmt::format("cublasGemmGroupedBatchedEx: {} = {} does not fit an int", what, v));
    }
    return static_cast<int>(v);
}

// The per-expert pointers of the mapping in the header, for experts with rows.
struct ExpertPointers {
    const void* w;
    const void* a;
    void* d;
    std::int64_t rows;
};

std::vector<ExpertPointers> expert_pointers(const GroupedGemmOperands& op) {
    std::vector<ExpertPointers> out;
    const auto* a = static_cast<const unsigned char*>(op.a);
    const auto* w = static_cast<const unsigned char*>(op.w);
    auto* d = static_cast<unsigned char*>(op.d);
    std::int64_t offset = 0;  // first row of expert e in A and D
    for (std::size_t e = 0; e < op.rows.size(); ++e) {
        const std::int64_t rows = op.rows[e];
        if (rows > 0) {
            const auto expert = static_cast<std::int64_t>(e);
            const ExpertPointers p{w + static_cast<std::size_t>(expert * op.n * op.k) * kBf16,
                                   a + static_cast<std::size_t>(offset * op.k) * kBf16,
                                   d + static_cast<std::size_t>(offset * op.n) * kBf16, rows};
            for (const void* ptr : {p.w, p.a, static_cast<const void*>(p.d)}) {
                if (reinterpret_cast<std::uintptr_t>(ptr) % kAlignment != 0) {
                    throw Error(Status::unsupported,
                                fmt::format("grouped GEMM: expert {}'s matrix at {} is not {}-byte aligned (n={} "
                                            "k={})",
                                            e, ptr, kAlignment, op.n, op.k));
                }
            }
            out.push_back(p);
        }
        offset += rows;
    }
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// cublasGemmGroupedBatchedEx

CublasGroupedBatchedGemm::CublasGroupedBatchedGemm(const CublasHandles& handles, const GroupedGemmOperands& operands)
    : handles_(handles) {
    check_operands(operands, "CublasGroupedBatchedGemm");
    const int n = as_int(operands.n, "N");
    const int k = as_int(operands.k, "K");
    std::vector<const void*> weights, activations;
    std::vector<void*> outs;
    for (const ExpertPointers& p : expert_pointers(operands)) {
        // One group per expert: cuBLAS m = N, n = rows_e, k = K (header).
        transa_.push_back(CUBLAS_OP_T);
        transb_.push_back(CUBLAS_OP_N);
        m_.push_back(n);
        n_.push_back(as_int(p.rows, "rows of an expert"));
        k_.push_back(k);
        lda_.push_back(k);
        ldb_.push_back(k);
        ldc_.push_back(n);
        alpha_.push_back(1.0f);
        beta_.push_back(0.0f);
        group_size_.push_back(1);
        weights.push_back(p.w);
        activations.push_back(p.a);
        outs.push_back(p.d);
    }
    // The device arrays of device pointers, uploaded here, once.
    weight_ptrs_ = testing::DeviceBuffer::from(weights);
    activation_ptrs_ = testing::DeviceBuffer::from(activations);
    out_ptrs_ = testing::DeviceBuffer::from(outs);
    wait_for_uploads();
}

void CublasGroupedBatchedGemm::run(CUstream stream) const {
    if (stream != handles_.stream()) {
        throw Error(Status::invalid_argument,
                    "CublasGroupedBatchedGemm::run: the cuBLAS handle is bound to another stream");
    }
    PTXKIT_CUBLAS(cublasGemmGroupedBatchedEx, handles_.blas(), transa_.data(), transb_.data(), m_.data(), n_.data(),
                  k_.data(), alpha_.data(), static_cast<const void* const*>(weight_ptrs_.get()), CUDA_R_16BF,
                  lda_.data(), static_cast<const void* const*>(activation_ptrs_.get()), CUDA_R_16BF, ldb_.data(),
                  beta_.data(), static_cast<void* const*>(out_ptrs_.get()), CUDA_R_16BF, ldc_.data(), groups(),
                  group_size_.data(), CUBLAS_COMPUTE_32F);
}

// ---------------------------------------------------------------------------
// Loop of cublasLtMatmul

CublasLtExpertLoop::CublasLtExpertLoop(const CublasHandles& handles, const GroupedGemmOperands& operands)
    : handles_(handles), n_(operands.n), k_(operands.k) {
    check_operands(operands, "CublasLtExpertLoop");
    const auto n = static_cast<std::uint64_t>(n_);
    const auto k = static_cast<std::uint64_t>(k_);

    cublasLtMatmulDesc_t desc = nullptr;
    PTXKIT_CUBLAS(cublasLtMatmulDescCreate, &desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    desc_.reset(desc);
    const cublasOperation_t transpose = CUBLAS_OP_T;
    const cublasOperation_t keep = CUBLAS_OP_N;
    PTXKIT_CUBLAS(cublasLtMatmulDescSetAttribute, desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof(transpose));
    PTXKIT_CUBLAS(cublasLtMatmulDescSetAttribute, desc, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof(keep));

    cublasLtMatrixLayout_t layout = nullptr;
    PTXKIT_CUBLAS(cublasLtMatrixLayoutCreate, &layout, CUDA_R_16BF, k, n, k_);
    weight_layout_.reset(layout);

    cublasLtMatmulPreference_t preference = nullptr;
    PTXKIT_CUBLAS(cublasLtMatmulPreferenceCreate, &preference);
    struct PreferenceDestroy {
        void operator()(cublasLtMatmulPreference_t p) const noexcept { cublasLtMatmulPreferenceDestroy(p); }
    };
    const std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>, PreferenceDestroy> owned(preference);
    const std::uint64_t workspace = handles_.lt_workspace_bytes();
    PTXKIT_CUBLAS(cublasLtMatmulPreferenceSetAttribute, preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                  &workspace, sizeof(workspace));

    std::map<std::int64_t, std::size_t> shape_of_rows;
    for (const ExpertPointers& p : expert_pointers(operands)) {
        auto [it, added] = shape_of_rows.emplace(p.rows, shapes_.size());
        if (added) {
            RowShape s;
            s.rows = p.rows;
            const auto rows = static_cast<std::uint64_t>(p.rows);
            PTXKIT_CUBLAS(cublasLtMatrixLayoutCreate, &layout, CUDA_R_16BF, k, rows, k_);
            s.activation_layout.reset(layout);
            PTXKIT_CUBLAS(cublasLtMatrixLayoutCreate, &layout, CUDA_R_16BF, n, rows, n_);
            s.out_layout.reset(layout);
            std::vector<cublasLtMatmulHeuristicResult_t> results(kRequestedAlgos);
            int returned = 0;
            PTXKIT_CUBLAS(cublasLtMatmulAlgoGetHeuristic, handles_.lt(), desc, weight_layout_.get(),
                          s.activation_layout.get(), s.out_layout.get(), s.out_layout.get(), preference,
                          kRequestedAlgos, results.data(), &returned);
            for (int i = 0; i < returned; ++i) {
                if (results[static_cast<std::size_t>(i)].state == CUBLAS_STATUS_SUCCESS) {
                    s.algos.push_back(results[static_cast<std::size_t>(i)]);
                }
            }
            if (s.algos.empty()) {
                throw Error(Status::unsupported,
                            fmt::format("cublasLtMatmulAlgoGetHeuristic: no algorithm for bf16 {}x{}x{} with {} "
                                        "bytes of workspace",
                                        p.rows, n_, k_, workspace));
            }
            shapes_.push_back(std::move(s));
        }
        calls_.push_back({p.w, p.a, p.d, it->second});
    }
}

int CublasLtExpertLoop::candidates() const noexcept {
    std::size_t most = 0;
    for (const RowShape& s : shapes_) most = std::max(most, s.algos.size());
    return static_cast<int>(most);
}

void CublasLtExpertLoop::select_fastest(GpuTimer& timer, int candidates, const TimingOptions& options) {
    selected_ = fastest_candidate(
        timer, std::min(candidates, this->candidates()), [this](int i) { selected_ = i; },
        [this](CUstream s) { run(s); }, options, "cuBLASLt expert loop");
}

void CublasLtExpertLoop::run(CUstream stream) const {
    const float alpha = 1.0f;
    const float beta = 0.0f;
    for (const Call& c : calls_) {
        const RowShape& s = shapes_[c.shape];
        const std::size_t algo = std::min(static_cast<std::size_t>(selected_), s.algos.size() - 1);
        PTXKIT_CUBLAS(cublasLtMatmul, handles_.lt(), desc_.get(), &alpha, c.w, weight_layout_.get(), c.a,
                      s.activation_layout.get(), &beta, c.d, s.out_layout.get(), c.d, s.out_layout.get(),
                      &s.algos[algo].algo, handles_.lt_workspace(), handles_.lt_workspace_bytes(), stream);
    }
}

}  // namespace ptxkit::bench
