// Benchmark cases: what a bench binary registers, and what the harness does
// with each (bench/README.md has the user-facing summary).
//
// A case is named "<suite>/<impl>/<case>" (tools/report/report.py splits the
// names back): impl "ptxkit" is ours, anything else a baseline ("cublasLt",
// "cublasGemmEx", "cuMemcpy", ...).
//
// Running one case (one Google Benchmark run):
//   1. setup(): allocate and fill inputs (not timed);
//   2. verify(): runs the work once and checks the result; on failure the
//      case reports SkipWithError("wrong result: ...") and no time;
//   3. GpuTimer::measure (timer.hpp): warm-up, then samples with an L2 flush
//      between them; the MEDIAN sample is reported.
//
// How the median is reported: every case is registered with
// ->Iterations(1)->UseManualTime(). Its single Google Benchmark iteration
// runs the whole sampling loop above and calls SetIterationTime(median), so
// the "Time" column and real_time in the JSON are the median of our own
// samples (not a mean over Google Benchmark iterations). Passing
// --benchmark_repetitions=N repeats the whole case; report.py then takes the
// median aggregate of those medians.
//
// Counters (per case):
//   TFLOPs     flops / median time / 1e12            (when flops > 0)
//   GBps       bytes / median time / 1e9             (when bytes > 0)
//   pct_peak   100 * max(TFLOPs / peak TFLOP/s, GBps / peak GB/s) over the
//              counters present, against the peaks this process measured at
//              start (peaks.hpp): the fraction of the roofline bound reached
//   vs_cublas  ptxkit rows only: the median of the faster cuBLAS row of the
//              same suite and case (measured earlier in this process, or on
//              demand through cublas_fallback) / our median; > 1 = we win
//   samples    how many timed samples the median is over
#pragma once

#include <cuda.h>

#include <functional>
#include <string>

namespace ptxkit::bench {

struct Work {
    // Enqueues one run on the stream; nothing else (no allocation, no sync).
    std::function<void(CUstream)> run;
    // Runs the work once (outputs poisoned first) and checks the result:
    // "" when right, else what is wrong. Required.
    std::function<std::string(CUstream)> verify;
    // Shown next to the result (Google Benchmark's label): for ptxkit rows,
    // the plan that served the case (kernel, tile configuration, splits).
    std::string label;
};

struct Case {
    std::string suite;
    std::string impl;
    std::string name;
    double flops = 0.0;  // per run; 0 when not meaningful
    double bytes = 0.0;  // per run: the least DRAM traffic (inputs read once, outputs written once)
    // Builds the work (allocates, fills inputs) when the case runs.
    std::function<Work()> setup;
    // ptxkit rows: the cuBLAS work for the same case, timed on demand when no
    // cuBLAS row of this suite and case ran earlier in the process (e.g. under
    // --benchmark_filter). Empty: no vs_cublas without a cuBLAS row.
    std::function<Work()> cublas_fallback;
};

inline constexpr const char* kOurs = "ptxkit";

// True for the impl names counted as cuBLAS in vs_cublas (and in report.py).
bool is_cublas_impl(const std::string& impl) noexcept;

// Registers the case with Google Benchmark. Cases run in registration order:
// register the baselines of a case before its ptxkit row.
void register_case(Case c);

}  // namespace ptxkit::bench
