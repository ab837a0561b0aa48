// Dense matrix multiplication: D = act(alpha * A * op(B) + beta * C + bias).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ptxkit/export.hpp"
#include "ptxkit/runtime.hpp"
#include "ptxkit/tensor.hpp"

namespace ptxkit {

// The numeric values are those of the C API's ptxkit_activation_t.
enum class Activation : int { none = 0, relu = 1, gelu_tanh = 2, silu = 3 };

// Which kernel family serves a call; `automatic` picks the fastest that
// supports the problem on the current device. The others force a path (for
// tests and benchmarks) and throw Error(unsupported) where it cannot run.
enum class GemmPath : int { automatic = 0, sm90 = 1, sm80 = 2, general = 3 };

struct GemmOptions {
    float alpha = 1.0f;
    float beta = 0.0f;
    TensorView c{};     // [M, N], dtype of D, unit column stride; null data: no C (beta must be 0)
    TensorView bias{};  // [N], f32 or the dtype of D; null data: no bias
    Activation activation = Activation::none;
    bool b_is_kn = false;  // B is [K, N] (row-major) instead of [N, K] (a PyTorch Linear weight)
    GemmPath path = GemmPath::automatic;
    // Optional scratch for split-K on skinny shapes (see gemm_workspace_size);
    // without it no split-K is planned. Calls never allocate.
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;
};

// A [M, K] and B ([N, K], or [K, N] with b_is_kn) in bf16 or f16 (the same),
// fp32 accumulation; D [M, N] in bf16, f16 or f32. Leading dimensions are
// stride[0] of each 2-D view; the inner stride must be 1. Any M, N, K >= 1;
// K = 0 gives D = act(beta * C + bias). Asynchronous on `stream`.
PTXKIT_EXPORT void gemm(const TensorView& a, const TensorView& b, const TensorView& d, const GemmOptions& options,
                        Stream stream);

// What a call with these arguments would run: for logs, tests and benchmarks.
struct GemmPlan {
    GemmPath path = GemmPath::general;
    const char* kernel = "";  // kernel name in its module
    const char* config = "";  // tile configuration, e.g. "128x256x64 s4 2cons"
    int block_m = 0, block_n = 0, block_k = 0;
    int splits = 1;           // split-K factor
    unsigned grid = 0;        // CTAs launched
    std::int64_t tiles = 0;   // output tiles x splits
};
PTXKIT_EXPORT GemmPlan gemm_plan(const TensorView& a, const TensorView& b, const TensorView& d,
                                 const GemmOptions& options);

// Bytes of workspace that let the planner use split-K for this shape on the
// current device (0 when it never would).
PTXKIT_EXPORT std::size_t gemm_workspace_size(std::int64_t m, std::int64_t n, std::int64_t k);

}  // namespace ptxkit
