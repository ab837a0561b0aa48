#include "common/peaks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "common/cublas_gemm.hpp"
#include "common/device.hpp"
#include "common/gemm_check.hpp"
#include "common/random.hpp"
#include "ptxkit/memory.hpp"

namespace ptxkit::bench {
namespace {

constexpr std::size_t kCopyBytes = std::size_t{1} << 30;
constexpr std::int64_t kMatmulSize = 8192;
constexpr int kLtCandidates = 4;

// Longer than a case's warm-up, so that clocks have settled before the
// numbers every pct_peak depends on.
TimingOptions peak_timing(const TimingOptions& base) {
    TimingOptions t = base;
    t.warmup_ms = std::max(t.warmup_ms, 200.0);
    t.budget_ms = std::max(t.budget_ms, 500.0);
    return t;
}

double measure_copy_gbps(Environment& e, std::string& by) {
    testing::DeviceBuffer src(kCopyBytes);
    testing::DeviceBuffer dst(kCopyBytes);
    poison(src, 0x5a, e.stream());
    const TimingOptions timing = peak_timing(e.options().timing);
    const GpuWork driver_copy = [&](CUstream s) {
        PTXKIT_CU(cuMemcpyDtoDAsync, dst.address(), src.address(), kCopyBytes, s);
    };
    const GpuWork ptxkit_copy = [&](CUstream s) { ptxkit::copy(dst.get(), src.get(), kCopyBytes, s); };

    double best_ms = e.timer().measure(driver_copy, timing).median_ms;
    const char* best = "cuMemcpyDtoDAsync";
    try {
        const double ms = e.timer().measure(ptxkit_copy, timing).median_ms;
        if (ms < best_ms) {
            best_ms = ms;
            best = "ptxkit::copy";
        }
    } catch (const Error& err) {
        if (err.status() == Status::context_unusable) throw;
        std::fprintf(stderr, "warning: ptxkit::copy failed while measuring the copy peak: %s\n", err.what());
    }
    by = fmt::format("{} on {} MiB, read + written", best, kCopyBytes >> 20);
    return 2.0 * static_cast<double>(kCopyBytes) / (best_ms * 1e-3) / 1e9;
}

double measure_matmul_tflops(Environment& e, std::string& by) {
    const std::int64_t n = kMatmulSize;
    const auto inputs = make_gemm_inputs(n, n, n, derive_seed(e.options().seed, "peak.matmul"));
    testing::DeviceBuffer d(gemm_output_bytes(*inputs));
    CublasLtGemm gemm(e.cublas(), {inputs->a_dev.get(), inputs->b_dev.get(), d.get(), n, n, n});
    gemm.select_fastest(e.timer(), kLtCandidates, CublasLtGemm::selection_timing(e.options().timing));

    poison(d, 0xff, e.stream());
    gemm.run(e.stream());
    PTXKIT_CU(cuStreamSynchronize, e.stream());
    if (const std::string wrong = check_gemm_bf16(*inputs, d.address()); !wrong.empty()) {
        throw Error(Status::internal, "cuBLASLt gave a wrong result: " + wrong);
    }
    const double ms = e.timer().measure([&](CUstream s) { gemm.run(s); }, peak_timing(e.options().timing)).median_ms;
    by = fmt::format("cuBLASLt bf16 {0}x{0}x{0}, its heuristic's choice {1} of {2}", n, gemm.selected() + 1,
                     gemm.algo_count());
    return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / (ms * 1e-3) / 1e12;
}

template <class Measure>
double measure_or_warn(const char* what, std::string& by, Measure measure) {
    try {
        return measure(by);
    } catch (const Error& e) {
        if (e.status() == Status::context_unusable) throw;
        std::fprintf(stderr, "warning: could not measure the %s peak (pct_peak will not use it): %s\n", what,
                     e.what());
        by = "not measured";
        return 0.0;
    }
}

}  // namespace

Peaks measure_peaks(Environment& environment) {
    Peaks p;
    p.gbps = measure_or_warn("copy bandwidth", p.gbps_by,
                             [&](std::string& by) { return measure_copy_gbps(environment, by); });
    p.tflops = measure_or_warn("bf16 matmul", p.tflops_by,
                               [&](std::string& by) { return measure_matmul_tflops(environment, by); });
    return p;
}

}  // namespace ptxkit::bench
