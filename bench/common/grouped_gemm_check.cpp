#include "common/grouped_gemm_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/device.hpp"
#include "common/random.hpp"
#include "ptxkit/error.hpp"
#include "support/numeric.hpp"

namespace ptxkit::bench {
namespace {

constexpr double kTolerance = 1e-2;

struct Reference {
    double value = 0.0;
    double scale = 0.0;  // sqrt(sum_k (a_k w_k)^2)
};

// D[row, col] of expert `e` (row inside A and D, not inside the expert's block).
Reference reference_at(const GroupedGemmInputs& in, int e, std::int64_t row, std::int64_t col) {
    const std::int64_t k = in.k();
    const std::uint16_t* a = in.a.data() + row * k;
    const std::uint16_t* w = in.weights->host.data() + (static_cast<std::int64_t>(e) * in.n() + col) * k;
    double sum = 0.0;
    double squares = 0.0;
    for (std::int64_t kk = 0; kk < k; ++kk) {
        const double p = static_cast<double>(testing::bf16_to_f32(a[kk])) * testing::bf16_to_f32(w[kk]);
        sum += p;
        squares += p * p;
    }
    return {sum, std::sqrt(squares)};
}

// The expert whose block holds `row`.
int expert_of_row(const GroupedGemmInputs& in, std::int64_t row) {
    const auto it = std::upper_bound(in.offsets.begin(), in.offsets.end(), row);
    return static_cast<int>(it - in.offsets.begin()) - 1;
}

}  // namespace

std::shared_ptr<const ExpertWeights> make_expert_weights(int experts, std::int64_t n, std::int64_t k,
                                                         std::uint64_t seed) {
    if (experts <= 0 || n <= 0 || k <= 0) {
        throw Error(Status::invalid_argument,
                    fmt::format("make_expert_weights: bad sizes (experts={} n={} k={})", experts, n, k));
    }
    auto w = std::make_shared<ExpertWeights>();
    w->experts = experts;
    w->n = n;
    w->k = k;
    w->seed = seed;
    w->host.resize(static_cast<std::size_t>(experts) * static_cast<std::size_t>(n * k));
    fill_random_bf16(w->host, seed);
    w->dev = testing::DeviceBuffer::from(w->host);
    wait_for_uploads();
    return w;
}

std::vector<std::int64_t> balanced_expert_rows(std::int64_t tokens, int top_k, int experts) {
    if (tokens < 0 || top_k <= 0 || experts <= 0 || top_k > experts) {
        throw Error(Status::invalid_argument, fmt::format("balanced_expert_rows: bad routing (tokens={} top_k={} "
                                                          "experts={})",
                                                          tokens, top_k, experts));
    }
    // Slot s = t * top_k + j goes to expert s mod experts: expert e gets the
    // slots e, e + experts, e + 2 * experts, ... below tokens * top_k.
    const std::int64_t slots = tokens * top_k;
    std::vector<std::int64_t> rows(static_cast<std::size_t>(experts));
    for (int e = 0; e < experts; ++e) {
        rows[static_cast<std::size_t>(e)] = slots / experts + (e < slots % experts ? 1 : 0);
    }
    return rows;
}

int GroupedGemmInputs::active_experts() const noexcept {
    return static_cast<int>(std::count_if(rows.begin(), rows.end(), [](std::int64_t r) { return r > 0; }));
}

std::shared_ptr<const GroupedGemmInputs> make_grouped_gemm_inputs(std::shared_ptr<const ExpertWeights> weights,
                                                                  std::vector<std::int64_t> rows,
                                                                  std::uint64_t seed) {
    if (!weights || static_cast<int>(rows.size()) != weights->experts) {
        throw Error(Status::invalid_argument, "make_grouped_gemm_inputs: one row count per expert expected");
    }
    auto in = std::make_shared<GroupedGemmInputs>();
    in->weights = std::move(weights);
    in->rows = std::move(rows);
    in->offsets.assign(in->rows.size() + 1, 0);
    for (std::size_t e = 0; e < in->rows.size(); ++e) {
        if (in->rows[e] < 0) throw Error(Status::invalid_argument, "make_grouped_gemm_inputs: negative row count");
        in->offsets[e + 1] = in->offsets[e] + in->rows[e];
    }
    if (in->total_rows() <= 0) throw Error(Status::invalid_argument, "make_grouped_gemm_inputs: no rows");
    in->seed = seed;
    in->a.resize(static_cast<std::size_t>(in->total_rows() * in->k()));
    fill_random_bf16(in->a, seed);
    in->a_dev = testing::DeviceBuffer::from(in->a);
    wait_for_uploads();
    return in;
}

std::size_t grouped_gemm_output_bytes(const GroupedGemmInputs& in) {
    return static_cast<std::size_t>(in.total_rows() * in.n()) * 2;
}

namespace {

std::int64_t total(std::span<const std::int64_t> rows) {
    std::int64_t sum = 0;
    for (const std::int64_t r : rows) sum += r;
    return sum;
}

}  // namespace

double grouped_gemm_flops(std::span<const std::int64_t> rows, std::int64_t n, std::int64_t k) {
    return 2.0 * static_cast<double>(total(rows)) * static_cast<double>(n) * static_cast<double>(k);
}

double grouped_gemm_bytes(std::span<const std::int64_t> rows, std::int64_t n, std::int64_t k) {
    const auto active = std::count_if(rows.begin(), rows.end(), [](std::int64_t r) { return r > 0; });
    const double m = static_cast<double>(total(rows));
    return 2.0 * (m * static_cast<double>(k) + static_cast<double>(active) * static_cast<double>(n * k) +
                  m * static_cast<double>(n));
}

std::string check_grouped_gemm_bf16(const GroupedGemmInputs& in, CUdeviceptr d, int random_samples) {
    const std::int64_t n = in.n();
    std::vector<std::pair<std::int64_t, std::int64_t>> positions;  // (row, col)
    for (std::size_t e = 0; e < in.rows.size(); ++e) {
        if (in.rows[e] == 0) continue;
        positions.emplace_back(in.offsets[e], 0);
        positions.emplace_back(in.offsets[e + 1] - 1, n - 1);
    }
    for (int s = 0; s < random_samples; ++s) {
        const std::uint64_t r = mix64(in.seed ^ (0x5eedull + static_cast<std::uint64_t>(s)));
        positions.emplace_back(static_cast<std::int64_t>((r >> 32) % static_cast<std::uint64_t>(in.total_rows())),
                               static_cast<std::int64_t>((r & 0xffffffffu) % static_cast<std::uint64_t>(n)));
    }
    for (const auto& [row, col] : positions) {
        const int e = expert_of_row(in, row);
        std::uint16_t bits = 0;
        const auto offset = static_cast<std::size_t>(row * n + col) * sizeof(bits);
        PTXKIT_CU(cuMemcpyDtoH, &bits, d + offset, sizeof(bits));
        const double got = testing::bf16_to_f32(bits);
        const Reference ref = reference_at(in, e, row, col);
        const double bound = kTolerance * (std::abs(ref.value) + ref.scale);
        if (!(std::abs(got - ref.value) <= bound)) {  // also catches NaN (the poison)
            return fmt::format("D[{},{}] (expert {}, its row {} of {}) = {} but the float64 reference is {} "
                               "(|error| {:.3g} > {:.3g}); N={} K={}, {} rows over {} experts, input seeds "
                               "{:#x} (activations) {:#x} (weights)",
                               row, col, e, row - in.offsets[static_cast<std::size_t>(e)],
                               in.rows[static_cast<std::size_t>(e)], got, ref.value, std::abs(got - ref.value),
                               bound, n, in.k(), in.total_rows(), in.experts(), in.seed, in.weights->seed);
        }
    }
    return "";
}

}  // namespace ptxkit::bench
