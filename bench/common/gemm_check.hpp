// GEMM inputs and the once-per-case result check against a float64 CPU
// reference, for D[M,N] = A[M,K] · B[N,K]ᵀ in bf16 (layouts: cublas_gemm.hpp).
#pragma once

#include <cuda.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/gpu.hpp"

namespace ptxkit::bench {

// Random bf16 A and B (uniform in [-1, 1), never all zeros), on the host for
// the reference and on the device for the run.
struct GemmInputs {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::uint64_t seed = 0;
    std::vector<std::uint16_t> a;  // [m, k] row-major, bf16 bits
    std::vector<std::uint16_t> b;  // [n, k] row-major
    testing::DeviceBuffer a_dev;
    testing::DeviceBuffer b_dev;
};

// Generates and uploads; returns once the device copies are complete.
std::shared_ptr<const GemmInputs> make_gemm_inputs(std::int64_t m, std::int64_t n, std::int64_t k,
                                                   std::uint64_t seed);

// Bytes of a bf16 D [m, n].
std::size_t gemm_output_bytes(const GemmInputs& in);

// Compares `samples` elements of D (bf16 [m, n] row-major at `d`; the work
// that wrote it must be complete) with a float64 dot product of the same bf16
// inputs: the four corners and random positions drawn from the inputs' seed.
// An element passes when |D - ref| <= 1e-2 * (|ref| + sqrt(sum_k (a_k b_k)^2)):
// relative to the result, with the typical magnitude of the sum as a floor so
// that results near zero (cancellation) do not fail on rounding. bf16 output
// rounding is at most 2^-9 relative; a wrong layout or a missing write is off
// by O(1) of that scale. Returns "" when every sample passes, else the first
// failure with the seed.
std::string check_gemm_bf16(const GemmInputs& in, CUdeviceptr d, int samples = 64);

}  // namespace ptxkit::bench
