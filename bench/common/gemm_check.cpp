#include "common/gemm_check.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "common/device.hpp"
#include "common/random.hpp"
#include "support/numeric.hpp"

namespace ptxkit::bench {
namespace {

constexpr double kTolerance = 1e-2;

struct Reference {
    double value = 0.0;
    double scale = 0.0;  // sqrt(sum_k (a_k b_k)^2)
};

Reference reference_at(const GemmInputs& in, std::int64_t i, std::int64_t j) {
    const std::uint16_t* a = in.a.data() + i * in.k;
    const std::uint16_t* b = in.b.data() + j * in.k;
    double sum = 0.0;
    double squares = 0.0;
    for (std::int64_t kk = 0; kk < in.k; ++kk) {
        const double p = static_cast<double>(testing::bf16_to_f32(a[kk])) * testing::bf16_to_f32(b[kk]);
        sum += p;
        squares += p * p;
    }
    return {sum, std::sqrt(squares)};
}

}  // namespace

std::shared_ptr<const GemmInputs> make_gemm_inputs(std::int64_t m, std::int64_t n, std::int64_t k,
                                                   std::uint64_t seed) {
    auto in = std::make_shared<GemmInputs>();
    in->m = m;
    in->n = n;
    in->k = k;
    in->seed = seed;
    in->a.resize(static_cast<std::size_t>(m * k));
    in->b.resize(static_cast<std::size_t>(n * k));
    fill_random_bf16(in->a, seed);
    fill_random_bf16(in->b, mix64(seed + 1));
    in->a_dev = testing::DeviceBuffer::from(in->a);
    in->b_dev = testing::DeviceBuffer::from(in->b);
    wait_for_uploads();
    return in;
}

std::size_t gemm_output_bytes(const GemmInputs& in) { return static_cast<std::size_t>(in.m * in.n) * 2; }

std::string check_gemm_bf16(const GemmInputs& in, CUdeviceptr d, int samples) {
    std::vector<std::pair<std::int64_t, std::int64_t>> positions = {
        {0, 0}, {0, in.n - 1}, {in.m - 1, 0}, {in.m - 1, in.n - 1}};
    for (int s = 0; static_cast<int>(positions.size()) < samples; ++s) {
        const std::uint64_t r = mix64(in.seed ^ (0x5eedull + static_cast<std::uint64_t>(s)));
        positions.emplace_back(static_cast<std::int64_t>((r >> 32) % static_cast<std::uint64_t>(in.m)),
                               static_cast<std::int64_t>((r & 0xffffffffu) % static_cast<std::uint64_t>(in.n)));
    }
    for (const auto& [i, j] : positions) {
        std::uint16_t bits = 0;
        const auto offset = static_cast<std::size_t>(i * in.n + j) * sizeof(bits);
        PTXKIT_CU(cuMemcpyDtoH, &bits, d + offset, sizeof(bits));
        const double got = testing::bf16_to_f32(bits);
        const Reference ref = reference_at(in, i, j);
        const double bound = kTolerance * (std::abs(ref.value) + ref.scale);
        if (!(std::abs(got - ref.value) <= bound)) {  // also catches NaN (the poison)
            return fmt::format("D[{},{}] = {} but the float64 reference is {} (|error| {:.3g} > {:.3g}); "
                               "M={} N={} K={}, input seed {:#x}",
                               i, j, got, ref.value, std::abs(got - ref.value), bound, in.m, in.n, in.k, in.seed);
        }
    }
    return "";
}

}  // namespace ptxkit::bench
