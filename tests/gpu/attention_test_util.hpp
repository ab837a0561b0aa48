// Shared by the attention GPU tests: inputs exactly representable in the
// kernel's dtype, and the comparison of outputs with the float64 reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ptxkit/ptxkit.hpp"
#include "support/numeric.hpp"

namespace ptxkit::testing {

inline std::uint16_t to_bits(double x, DType dtype) {
    return dtype == DType::bf16 ? f32_to_bf16_rne(static_cast<float>(x)) : f32_to_f16_rne(static_cast<float>(x));
}

inline double from_bits(std::uint16_t b, DType dtype) {
    return dtype == DType::bf16 ? bf16_to_f32(b) : f16_to_f32(b);
}

// n values uniform in [-range, range), rounded to `dtype`; `values` receives
// the rounded numbers (what the kernel sees), the return value their bits.
inline std::vector<std::uint16_t> random_half(std::size_t n, double range, DType dtype, std::mt19937_64& rng,
                                              std::vector<double>& values) {
    std::uniform_real_distribution<double> dist(-range, range);
    std::vector<std::uint16_t> bits(n);
    values.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        bits[i] = to_bits(dist(rng), dtype);
        values[i] = from_bits(bits[i], dtype);
    }
    return bits;
}

// Output tolerance: o is a convex combination of values in [-1, 1]; the
// kernels round P to the input dtype before P V (as FlashAttention does) and
// round o at the end, so the error is a few units of the dtype's precision.
inline double attention_tolerance(DType dtype) { return dtype == DType::bf16 ? 2.5e-2 : 4e-3; }

// Soft-capping goes through tanh.approx.f32 in every kernel (as
// FlashAttention's does), whose error (about 2^-11) the cap scales: each
// score may be off by up to softcap * 2^-11, which moves the lse by as much
// and the softmax weights by that relative amount. The tolerances below add
// twice that bound (an emulation with the error injected showed the plain
// ones fail at softcap 30).
inline double softcap_score_error(double softcap) { return softcap * (1.0 / 1024.0); }

struct OutputCheck {
    double max_abs_error = 0;
    double rel_frobenius = 0;
};

// Compares o (bits, as downloaded) with the reference; NaN means not written.
inline OutputCheck compare_outputs(const std::vector<std::uint16_t>& got, const std::vector<double>& want, DType dtype,
                                   const std::string& what, double softcap = 0.0) {
    OutputCheck c;
    double err_sq = 0, ref_sq = 0;
    const double tol = attention_tolerance(dtype) + softcap_score_error(softcap);
    int reported = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double g = from_bits(got[i], dtype);
        if (std::isnan(g)) {
            if (reported++ < 5) ADD_FAILURE() << what << ": element " << i << " not written (NaN)";
            continue;
        }
        const double e = std::abs(g - want[i]);
        c.max_abs_error = std::max(c.max_abs_error, e);
        err_sq += e * e;
        ref_sq += want[i] * want[i];
        if (e > tol && reported++ < 5) {
            ADD_FAILURE() << what << ": element " << i << " got " << g << " want " << want[i];
        }
    }
    c.rel_frobenius = std::sqrt(err_sq / std::max(ref_sq, 1e-300));
    EXPECT_LE(c.rel_frobenius, tol / 2) << what;
    return c;
}

// lse in fp32 from fp32 scores: tight. -inf must match exactly.
inline void compare_lse(const std::vector<float>& got, const std::vector<double>& want, const std::string& what,
                        double softcap = 0.0) {
    int reported = 0;
    const double absolute = 2e-3 + softcap_score_error(softcap);
    for (std::size_t i = 0; i < want.size(); ++i) {
        const bool ok = std::isinf(want[i]) ? (std::isinf(got[i]) && got[i] < 0)
                                            : std::abs(static_cast<double>(got[i]) - want[i]) <= absolute + 1e-4 * std::abs(want[i]);
        if (!ok && reported++ < 5) ADD_FAILURE() << what << ": lse " << i << " got " << got[i] << " want " << want[i];
    }
}

}  // namespace ptxkit::testing
