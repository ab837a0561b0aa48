#include "common/cases.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <utility>

#include "common/environment.hpp"
#include "ptxkit/error.hpp"

namespace ptxkit::bench {
namespace {

// Median milliseconds of every row that ran in this process, by
// "<suite>/<case>" then impl: where vs_cublas finds the cuBLAS time.
std::map<std::string, std::map<std::string, double>>& medians() {
    static std::map<std::string, std::map<std::string, double>> table;
    return table;
}

std::string case_key(const Case& c) { return c.suite + "/" + c.name; }

std::optional<double> fastest_cublas_ms(const Case& c) {
    const auto it = medians().find(case_key(c));
    if (it == medians().end()) return std::nullopt;
    std::optional<double> best;
    for (const auto& [impl, ms] : it->second) {
        if (is_cublas_impl(impl) && (!best || ms < *best)) best = ms;
    }
    return best;
}

// Builds the work and runs its check: the work when it verified, else
// nothing with `wrong` saying why.
std::optional<Work> prepare(const std::function<Work()>& setup, std::string& wrong) {
    Work work = setup();
    wrong = work.verify ? work.verify(env().stream()) : "the case has no verification function";
    if (!wrong.empty()) return std::nullopt;
    return work;
}

// The cuBLAS median for a ptxkit row: from a cuBLAS row that already ran, else
// measured now through the case's fallback. A baseline that fails costs the
// row its vs_cublas, not its time.
std::optional<double> cublas_ms_for(const Case& c) {
    if (auto ms = fastest_cublas_ms(c)) return ms;
    if (!c.cublas_fallback) return std::nullopt;
    const auto warn = [&c](const std::string& why) {
        std::fprintf(stderr, "warning: %s/%s/%s: no vs_cublas: %s\n", c.suite.c_str(), c.impl.c_str(),
                     c.name.c_str(), why.c_str());
    };
    try {
        std::string wrong;
        const std::optional<Work> work = prepare(c.cublas_fallback, wrong);
        if (!work) {
            warn("the cuBLAS baseline gave a wrong result: " + wrong);
            return std::nullopt;
        }
        const double ms = env().timer().measure(work->run, env().options().timing).median_ms;
        medians()[case_key(c)]["cublas"] = ms;
        return ms;
    } catch (const Error& e) {
        if (e.status() == Status::context_unusable) throw;
        warn(e.what());
        return std::nullopt;
    }
}

void set_counters(benchmark::State& state, const Case& c, const Timing& t) {
    const Peaks& peaks = env().peaks();
    const double seconds = t.median_ms * 1e-3;
    double fraction = -1.0;  // of the roofline bound; < 0 when no peak applies
    if (c.flops > 0.0) {
        const double tflops = c.flops / seconds / 1e12;
        state.counters["TFLOPs"] = tflops;
        if (peaks.tflops > 0.0) fraction = std::max(fraction, tflops / peaks.tflops);
    }
    if (c.bytes > 0.0) {
        const double gbps = c.bytes / seconds / 1e9;
        state.counters["GBps"] = gbps;
        if (peaks.gbps > 0.0) fraction = std::max(fraction, gbps / peaks.gbps);
    }
    if (fraction >= 0.0) state.counters["pct_peak"] = 100.0 * fraction;
    state.counters["samples"] = t.samples;
    if (c.impl == kOurs) {
        if (const auto cublas = cublas_ms_for(c)) state.counters["vs_cublas"] = *cublas / t.median_ms;
    }
}

void run_case(benchmark::State& state, const Case& c) {
    try {
        // Set-up and the check happen before the timed loop; a wrong result
        // reports no time at all.
        std::string wrong;
        const std::optional<Work> work = prepare(c.setup, wrong);
        if (!work) {
            state.SkipWithError(("wrong result: " + wrong).c_str());
            return;
        }
        if (!work->label.empty()) state.SetLabel(work->label);
        Timing timing;
        for (auto _ : state) {  // one iteration (Iterations(1)): the whole sampling loop
            timing = env().timer().measure(work->run, env().options().timing);
            state.SetIterationTime(timing.median_ms * 1e-3);
        }
        medians()[case_key(c)][c.impl] = timing.median_ms;
        set_counters(state, c, timing);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
    }
}

}  // namespace

bool is_cublas_impl(const std::string& impl) noexcept {
    // Every cuBLAS baseline, whatever the area (report.py's CUBLAS_IMPLS lists the same names).
    return impl == "cublas" || impl == "cublasLt" || impl == "cublasGemmEx" || impl == "cublasGroupedBatched" ||
           impl == "cublasLtLoop" || impl == "cublasUnfused";
}

void register_case(Case c) {
    if (!c.setup) {
        throw Error(Status::internal, fmt::format("bench case {}/{}/{} has no setup", c.suite, c.impl, c.name));
    }
    const std::string name = fmt::format("{}/{}/{}", c.suite, c.impl, c.name);
    benchmark::RegisterBenchmark(name.c_str(), [c = std::move(c)](benchmark::State& state) { run_case(state, c); })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
}

}  // namespace ptxkit::bench
