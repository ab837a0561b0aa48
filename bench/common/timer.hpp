// Timing GPU work with driver-API events.
//
// How one case is timed (GpuTimer::measure):
//   1. warm-up: `run` at least warmup_runs times and for at least warmup_ms
//      of wall time, each followed by a stream sync (loads modules, selects
//      kernels, raises clocks); nothing is recorded;
//   2. per sample: ptxkit::flush_l2 on a scratch buffer of twice the L2 size
//      (enqueued before the start event, so it is not timed), start event,
//      `run`, stop event, sync on the stop event, elapsed milliseconds;
//   3. at least min_samples samples, then more until budget_ms of wall time
//      has passed (or max_samples);
//   4. the median of the samples is the case's time.
// The flush enqueued ahead of the start event also hides the host-side launch
// cost of `run`: the GPU is still flushing while the host enqueues the work,
// so the events bracket device execution, not launch latency.
//
// `run` must only enqueue work on the stream it is given: no allocation, no
// synchronisation.
#pragma once

#include <cuda.h>

#include <cstddef>
#include <functional>

#include "support/gpu.hpp"

namespace ptxkit::bench {

struct TimingOptions {
    int warmup_runs = 5;
    double warmup_ms = 10.0;
    int min_samples = 20;
    int max_samples = 10000;
    double budget_ms = 250.0;  // wall time of the sampling loop once min_samples are in
    bool flush_l2 = true;
};

struct Timing {
    double median_ms = 0.0;
    double min_ms = 0.0;
    double max_ms = 0.0;
    int samples = 0;
};

using GpuWork = std::function<void(CUstream)>;

class GpuTimer {
public:
    // `scratch` must hold at least ptxkit::l2_flush_bytes(); it is overwritten.
    GpuTimer(CUstream stream, const testing::DeviceBuffer& scratch);

    Timing measure(const GpuWork& run, const TimingOptions& options);

private:
    CUstream stream_;
    const testing::DeviceBuffer& scratch_;
    testing::Event start_;
    testing::Event stop_;
};

// Times the candidates 0 .. count-1 of one implementation (select(i) makes
// candidate i current, run enqueues the current one) and returns the index of
// the fastest median. A candidate whose run fails is skipped (a sticky context
// error is rethrown); none running throws Error(unsupported) naming `what`.
int fastest_candidate(GpuTimer& timer, int count, const std::function<void(int)>& select, const GpuWork& run,
                      const TimingOptions& options, const char* what);

}  // namespace ptxkit::bench
