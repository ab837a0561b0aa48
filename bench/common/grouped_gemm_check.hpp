// Inputs of the MoE expert GEMMs and their once-per-case check against a
// float64 CPU reference, the grouped counterpart of gemm_check.hpp.
//
// The problem (the gate/up projection of an MoE layer, PyTorch layouts):
//   E experts; expert e owns a weight W_e [n, k] (row-major, bf16), stored as
//   one contiguous tensor W [E, n, k] (vLLM's w13 layout);
//   the routed token rows are already permuted so that the rows of each
//   expert are contiguous and in expert order: A [R, k] (row-major, bf16),
//   R = Σ_e rows_e, expert e's rows start at offsets[e];
//   D [R, n] (bf16) has the same row order, and for every expert
//     D[offsets[e] : offsets[e] + rows_e, :] = A[offsets[e] : ..., :] · W_eᵀ
//   with fp32 accumulation. An expert with rows_e = 0 does nothing.
// So each expert is one dense GEMM of gemm_check.hpp's form with M = rows_e,
// N = n, K = k (cublas_grouped_gemm.hpp maps it to cuBLAS).
#pragma once

#include <cuda.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "support/gpu.hpp"

namespace ptxkit::bench {

// Every expert's weight, random bf16 in [-1, 1), on the host (for the
// reference) and on the device. Shared by every token count of one model.
struct ExpertWeights {
    int experts = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::uint64_t seed = 0;
    std::vector<std::uint16_t> host;  // [experts, n, k], bf16 bits
    testing::DeviceBuffer dev;
};

// Generates and uploads; returns once the device copy is complete.
std::shared_ptr<const ExpertWeights> make_expert_weights(int experts, std::int64_t n, std::int64_t k,
                                                         std::uint64_t seed);

// How many of the `tokens` · `top_k` routed rows each of `experts` experts
// gets when token t's j-th choice is expert (t · top_k + j) mod experts: the
// balanced assignment (every expert gets floor or ceil of tokens · top_k /
// experts rows; a token's top_k experts are distinct since top_k <= experts).
std::vector<std::int64_t> balanced_expert_rows(std::int64_t tokens, int top_k, int experts);

// One case: the weights, the rows per expert and the permuted activations.
struct GroupedGemmInputs {
    std::shared_ptr<const ExpertWeights> weights;
    std::vector<std::int64_t> rows;     // [experts]
    std::vector<std::int64_t> offsets;  // [experts + 1]: expert e's rows are [offsets[e], offsets[e + 1])
    std::uint64_t seed = 0;
    std::vector<std::uint16_t> a;  // [total_rows(), k] row-major, bf16 bits
    testing::DeviceBuffer a_dev;

    std::int64_t total_rows() const noexcept { return offsets.back(); }
    std::int64_t n() const noexcept { return weights->n; }
    std::int64_t k() const noexcept { return weights->k; }
    int experts() const noexcept { return weights->experts; }
    int active_experts() const noexcept;  // experts with rows > 0
};

// Random bf16 A (uniform in [-1, 1)) for `rows` per expert; generated and
// uploaded, complete on return.
std::shared_ptr<const GroupedGemmInputs> make_grouped_gemm_inputs(std::shared_ptr<const ExpertWeights> weights,
                                                                  std::vector<std::int64_t> rows,
                                                                  std::uint64_t seed);

// Bytes of a bf16 D [total_rows, n].
std::size_t grouped_gemm_output_bytes(const GroupedGemmInputs& in);

// Useful FLOPs, 2 · Σ_e rows_e · n · k, for `rows` per expert.
double grouped_gemm_flops(std::span<const std::int64_t> rows, std::int64_t n, std::int64_t k);

// The least DRAM traffic, in bytes: A [Σ rows, k] read once, the weight
// [n, k] of every expert that has rows read once (an expert without rows is
// not read), D [Σ rows, n] written once, all bf16.
double grouped_gemm_bytes(std::span<const std::int64_t> rows, std::int64_t n, std::int64_t k);

// Compares sampled elements of D (bf16 [total_rows, n] at `d`; the work that
// wrote it must be complete) with float64 dot products of the same bf16
// inputs: for every expert with rows, its first row's first column and its
// last row's last column (so that every expert's block, and the pairing of
// rows with the right weight, is checked), plus `random_samples` random
// positions drawn from the inputs' seed. Same bound as check_gemm_bf16:
// |D - ref| <= 1e-2 * (|ref| + sqrt(sum_k (a_k w_k)^2)). Returns "" when
// every sample passes, else the first failure with the seed.
std::string check_grouped_gemm_bf16(const GroupedGemmInputs& in, CUdeviceptr d, int random_samples = 64);

}  // namespace ptxkit::bench
