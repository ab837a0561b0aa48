#include "common/cublas_attention.hpp"

#include <cublas_v2.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>
#include <utility>

#include "common/cublas_check.hpp"
#include "ptxkit/error.hpp"
#include "runtime/context.hpp"
#include "runtime/launch.hpp"

namespace ptxkit::bench {
namespace {

constexpr const char* kSoftmaxModule = "baseline.masked_softmax";
constexpr double kLog2e = 1.4426950408889634;

// The softmax kernels of kernels/baseline/masked_softmax.cu, smallest first:
// threads per row, threads per CTA, 16-byte vectors per thread.
struct SoftmaxConfig {
    int row_threads;
    int block_threads;
    int vectors;
};
constexpr SoftmaxConfig kSoftmaxConfigs[] = {
    {32, 128, 1}, {32, 128, 2}, {32, 128, 4}, {128, 128, 2},
    {128, 128, 4}, {256, 256, 4}, {512, 512, 4}, {512, 512, 8},
};

std::int64_t capacity_vectors(const SoftmaxConfig& c) { return std::int64_t{c.row_threads} * c.vectors; }

const char* type_name(DType t) {
    switch (t) {
        case DType::bf16: return "bf16";
        case DType::f16: return "f16";
        case DType::f32: return "f32";
        default: return "?";
    }
}

cudaDataType_t cuda_type(DType t) {
    switch (t) {
        case DType::bf16: return CUDA_R_16BF;
        case DType::f16: return CUDA_R_16F;
        default: return CUDA_R_32F;
    }
}

std::int64_t round_up(std::int64_t x, std::int64_t m) { return (x + m - 1) / m * m; }

int as_int(std::int64_t v, const char* what) {
    if (v <= 0 || v > std::numeric_limits<int>::max()) {
        throw Error(Status::unsupported,
                    fmt::format("cuBLAS unfused attention: {} = {} is not a positive int", what, v));
    }
    return static_cast<int>(v);
}

std::string gib(std::size_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1u << 30)); }

}  // namespace

std::int64_t CublasUnfusedAttention::max_seqlen_k(DType s_dtype) noexcept {
    const std::int64_t per_vector = s_dtype == DType::f32 ? 4 : 8;
    return capacity_vectors(kSoftmaxConfigs[std::size(kSoftmaxConfigs) - 1]) * per_vector;
}

CublasUnfusedAttention::CublasUnfusedAttention(const CublasHandles& handles, const UnfusedAttentionConfig& config,
                                               std::vector<UnfusedSegment> segments)
    : handles_(handles), config_(config) {
    const UnfusedAttentionConfig& c = config_;
    if (c.dtype != DType::bf16 && c.dtype != DType::f16) {
        throw Error(Status::unsupported, "cuBLAS unfused attention: Q/K/V/O must be bf16 or f16");
    }
    if (c.s_dtype != c.dtype && c.s_dtype != DType::f32) {
        throw Error(Status::unsupported, "cuBLAS unfused attention: S is the input's 16-bit type or f32");
    }
    if (c.heads_per_group <= 0 || c.d_qk <= 0 || c.d_v <= 0 || c.d_qk % 8 != 0 || c.d_v % 8 != 0) {
        throw Error(Status::invalid_argument,
                    fmt::format("cuBLAS unfused attention: bad sizes (G {}, D_qk {}, D_v {}; D a multiple of 8)",
                                c.heads_per_group, c.d_qk, c.d_v));
    }
    const float scale = c.softmax_scale > 0.0f ? c.softmax_scale : 1.0f / std::sqrt(static_cast<float>(c.d_qk));
    const std::size_t s_size = dtype_size(c.s_dtype);
    // P goes in place over S: with f32 S, P's rows (16-bit) are twice as many
    // elements apart, so each P row starts where its S row does.
    const std::int64_t p_per_s = static_cast<std::int64_t>(s_size / dtype_size(c.dtype));
    const std::int64_t vector_elems = 16 / static_cast<std::int64_t>(s_size);

    context_ = &detail::current_context_state();
    std::size_t s_bytes = 0;
    std::set<std::string> kernels_used;
    std::int64_t chunks = 0;
    for (const UnfusedSegment& seg : segments) {
        if (seg.q == nullptr || seg.k == nullptr || seg.v == nullptr || seg.o == nullptr || seg.groups <= 0 ||
            seg.seqlen_q <= 0 || seg.seqlen_k <= 0) {
            throw Error(Status::invalid_argument, "cuBLAS unfused attention: empty or null segment");
        }
        if (seg.seqlen_k > max_seqlen_k(c.s_dtype)) {
            throw Error(Status::unsupported,
                        fmt::format("cuBLAS unfused attention: {} keys per row, the softmax holds at most {} ({} S)",
                                    seg.seqlen_k, max_seqlen_k(c.s_dtype), type_name(c.s_dtype)));
        }
        const std::int64_t rows = std::int64_t{c.heads_per_group} * seg.seqlen_q;
        const std::int64_t ld_s = round_up(seg.seqlen_k, 8);
        const std::size_t pair_s_bytes = static_cast<std::size_t>(rows * ld_s) * s_size;
        const std::int64_t per_chunk =
            std::clamp<std::int64_t>(static_cast<std::int64_t>(c.s_budget_bytes / pair_s_bytes), 1, seg.groups);
        s_bytes = std::max(s_bytes, static_cast<std::size_t>(per_chunk) * pair_s_bytes);

        const std::int64_t vectors = (seg.seqlen_k + vector_elems - 1) / vector_elems;
        const SoftmaxConfig* chosen = nullptr;
        for (const SoftmaxConfig& sc : kSoftmaxConfigs) {
            if (capacity_vectors(sc) >= vectors) {
                chosen = &sc;
                break;
            }
        }
        const std::string kernel_name = fmt::format("ptxkit_masked_softmax_{}_{}_t{}_v{}", type_name(c.s_dtype),
                                                    type_name(c.dtype), chosen->row_threads, chosen->vectors);
        kernels_used.insert(kernel_name);
        const detail::Kernel& kernel = context_->kernel(kSoftmaxModule, kernel_name);
        const std::int64_t rows_per_cta = chosen->block_threads / chosen->row_threads;

        const std::size_t in_size = dtype_size(c.dtype);
        for (std::int64_t z0 = 0; z0 < seg.groups; z0 += per_chunk) {
            const std::int64_t batch = std::min(per_chunk, seg.groups - z0);
            Step step{};
            step.q = static_cast<const unsigned char*>(seg.q) + static_cast<std::size_t>(z0 * rows * c.d_qk) * in_size;
            step.k = static_cast<const unsigned char*>(seg.k) +
                     static_cast<std::size_t>(z0 * seg.seqlen_k * c.d_qk) * in_size;
            step.v = static_cast<const unsigned char*>(seg.v) +
                     static_cast<std::size_t>(z0 * seg.seqlen_k * c.d_v) * in_size;
            step.o = static_cast<unsigned char*>(seg.o) + static_cast<std::size_t>(z0 * rows * c.d_v) * in_size;
            step.batch = as_int(batch, "batch");
            step.rows = as_int(rows, "G * seqlen_q");
            step.seqlen_k = as_int(seg.seqlen_k, "seqlen_k");
            step.ld_s = as_int(ld_s, "ld_s");
            step.ld_p = as_int(ld_s * p_per_s, "ld_p");
            step.softmax = &kernel;
            const std::int64_t total_rows = batch * rows;
            const std::int64_t grid = (total_rows + rows_per_cta - 1) / rows_per_cta;
            if (grid > std::numeric_limits<int>::max()) {
                throw Error(Status::unsupported, fmt::format("cuBLAS unfused attention: {} softmax rows", total_rows));
            }
            step.softmax_grid = static_cast<unsigned>(grid);
            step.softmax_block = static_cast<unsigned>(chosen->block_threads);
            step.params.rows = total_rows;
            step.params.ld_s = ld_s;
            step.params.ld_p = ld_s * p_per_s;
            step.params.seqlen_q = as_int(seg.seqlen_q, "seqlen_q");
            step.params.seqlen_k = step.seqlen_k;
            step.params.causal = c.causal ? 1 : 0;
            step.params.scale_log2 = static_cast<float>(scale * kLog2e);
            steps_.push_back(step);
            ++chunks;
        }
    }
    if (steps_.empty()) throw Error(Status::invalid_argument, "cuBLAS unfused attention: no segment");

    s_ = testing::DeviceBuffer(s_bytes);
    for (Step& step : steps_) {
        step.params.s = s_.get();
        step.params.p = s_.get();  // in place
    }

    std::string kernels;
    for (const std::string& k : kernels_used) kernels += (kernels.empty() ? "" : ", ") + k;
    description_ = fmt::format(
        "cublasGemmStridedBatchedEx QK^T and PV ({} in, fp32 accumulation, CUBLAS_GEMM_DEFAULT), S {} in place to "
        "P {} ({} scratch), {} segment(s) in {} chunk(s) of up to {} (sequence, KV head) pairs, G = {}, softmax "
        "{}{}",
        type_name(c.dtype), type_name(c.s_dtype), type_name(c.dtype), gib(s_bytes), segments.size(), chunks,
        steps_.front().batch, c.heads_per_group, kernels, c.causal ? ", causal" : "");
}

void CublasUnfusedAttention::run(CUstream stream) const {
    if (stream != handles_.stream()) {
        throw Error(Status::invalid_argument,
                    "CublasUnfusedAttention::run: the cuBLAS handle is bound to another stream");
    }
    const UnfusedAttentionConfig& c = config_;
    const float one = 1.0f;
    const float zero = 0.0f;
    const cudaDataType_t in_type = cuda_type(c.dtype);
    const cudaDataType_t s_type = cuda_type(c.s_dtype);
    for (const Step& step : steps_) {
        // Sᵀ[S_k, G·S_q] = op_T(Kᵀ) · op_N(Qᵀ)
        PTXKIT_CUBLAS(cublasGemmStridedBatchedEx, handles_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, step.seqlen_k,
                      step.rows, c.d_qk, &one, step.k, in_type, c.d_qk,
                      static_cast<long long>(step.seqlen_k) * c.d_qk, step.q, in_type, c.d_qk,
                      static_cast<long long>(step.rows) * c.d_qk, &zero, s_.get(), s_type, step.ld_s,
                      static_cast<long long>(step.rows) * step.ld_s, step.batch, CUBLAS_COMPUTE_32F,
                      CUBLAS_GEMM_DEFAULT);

        detail::LaunchConfig launch;
        launch.grid.x = step.softmax_grid;
        launch.block.x = step.softmax_block;
        launch.op = "bench.cublas_unfused_attention.softmax";
        detail::launch(*context_, *step.softmax, launch, stream, step.params);

        // Oᵀ[D_v, G·S_q] = op_N(Vᵀ) · op_N(Pᵀ)
        PTXKIT_CUBLAS(cublasGemmStridedBatchedEx, handles_.blas(), CUBLAS_OP_N, CUBLAS_OP_N, c.d_v, step.rows,
                      step.seqlen_k, &one, step.v, in_type, c.d_v, static_cast<long long>(step.seqlen_k) * c.d_v,
                      s_.get(), in_type, step.ld_p, static_cast<long long>(step.rows) * step.ld_p, &zero, step.o,
                      in_type, c.d_v, static_cast<long long>(step.rows) * c.d_v, step.batch, CUBLAS_COMPUTE_32F,
                      CUBLAS_GEMM_DEFAULT);
    }
}

}  // namespace ptxkit::bench
