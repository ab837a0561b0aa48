// float64 CPU references of the MoE grouped GEMM and the fused MoE layer,
// written from their definitions in include/ptxkit/moe.hpp, and the
// comparison rule the GPU tests and the benchmark share. Header-only (the
// test support library's source list belongs to another file).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "support/moe_reference.hpp"

namespace ptxkit::testing {

inline double silu(double x) { return x / (1.0 + std::exp(-x)); }

// sum_k a[k] w[k] over one row of A and one row of a weight.
inline double dot(const double* a, const double* w, std::int64_t k) {
    double s = 0.0;
    for (std::int64_t i = 0; i < k; ++i) s += a[i] * w[i];
    return s;
}

// One output row of the grouped GEMM: A row `a` (K values) times expert
// weight `w` [N, K] (dense), plain (N outputs) or SwiGLU (N / 2 outputs:
// silu(G[j]) * G[N / 2 + j]).
inline std::vector<double> grouped_row_reference(const double* a, const double* w, std::int64_t n, std::int64_t k,
                                                 bool swiglu) {
    std::vector<double> g(static_cast<std::size_t>(n));
    for (std::int64_t j = 0; j < n; ++j) g[static_cast<std::size_t>(j)] = dot(a, w + j * k, k);
    if (!swiglu) return g;
    const std::int64_t half = n / 2;
    std::vector<double> out(static_cast<std::size_t>(half));
    for (std::int64_t j = 0; j < half; ++j) {
        out[static_cast<std::size_t>(j)] = silu(g[static_cast<std::size_t>(j)]) * g[static_cast<std::size_t>(half + j)];
    }
    return out;
}

// The fused MoE layer for the ids and weights of `routing` (a routing
// reference's result): out[t] = sum_j w_tj * W2_e (silu(Wg_e x_t) * (Wu_e x_t))
// (+ shared[t]), e = ids[t, j], everything in float64 without intermediate
// rounding. hidden [T, H], w13 [E, 2I, H], w2 [E, H, I] dense; shared [T, H] or null.
inline std::vector<double> fused_moe_reference(const std::vector<double>& hidden, std::int64_t tokens,
                                               std::int64_t h, std::int64_t inter, const std::vector<double>& w13,
                                               const std::vector<double>& w2, const RoutingResult& routing, int k,
                                               const std::vector<double>* shared) {
    std::vector<double> out(static_cast<std::size_t>(tokens * h), 0.0);
    std::vector<double> act(static_cast<std::size_t>(inter));
    for (std::int64_t t = 0; t < tokens; ++t) {
        const double* x = hidden.data() + t * h;
        double* o = out.data() + t * h;
        for (int j = 0; j < k; ++j) {
            const auto slot = static_cast<std::size_t>(t * k + j);
            const std::int64_t e = routing.ids[slot];
            const double weight = routing.weights[slot];
            const double* gate_up = w13.data() + e * 2 * inter * h;
            for (std::int64_t i = 0; i < inter; ++i) {
                act[static_cast<std::size_t>(i)] = silu(dot(x, gate_up + i * h, h)) * dot(x, gate_up + (inter + i) * h, h);
            }
            const double* down = w2.data() + e * h * inter;
            for (std::int64_t c = 0; c < h; ++c) o[c] += weight * dot(act.data(), down + c * inter, inter);
        }
        if (shared != nullptr) {
            for (std::int64_t c = 0; c < h; ++c) o[c] += (*shared)[static_cast<std::size_t>(t * h + c)];
        }
    }
    return out;
}

// The comparison of a 16- or 32-bit result with its float64 reference:
// every element within tol * (|ref| + rms(ref)) (NaN fails), and the relative
// Frobenius error within tol / 4. `got` and `ref` hold the compared elements
// only, in the same order. Returns "" or the first failure.
inline std::string compare_to_reference(const std::vector<double>& got, const std::vector<double>& ref, double tol,
                                        const std::string& where,
                                        const std::vector<std::string>* names = nullptr) {
    if (got.size() != ref.size()) return where + ": size mismatch";
    if (ref.empty()) return "";
    double sq = 0.0, err_sq = 0.0;
    for (const double r : ref) sq += r * r;
    const double rms = std::sqrt(sq / static_cast<double>(ref.size()));
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const double err = std::abs(got[i] - ref[i]);
        if (!(err <= tol * (std::abs(ref[i]) + rms))) {  // also catches NaN
            return where + ": element " + (names != nullptr ? (*names)[i] : std::to_string(i)) + " is " +
                   std::to_string(got[i]) + ", the float64 reference " + std::to_string(ref[i]) + " (|error| " +
                   std::to_string(err) + " > " + std::to_string(tol) + " * (|ref| + rms " + std::to_string(rms) + "))";
        }
        err_sq += err * err;
    }
    if (sq > 0.0 && std::sqrt(err_sq / sq) > tol / 4) {
        return where + ": relative Frobenius error " + std::to_string(std::sqrt(err_sq / sq)) + " > " +
               std::to_string(tol / 4);
    }
    return "";
}

}  // namespace ptxkit::testing
