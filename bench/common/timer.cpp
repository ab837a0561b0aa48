#include "common/timer.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "ptxkit/memory.hpp"

namespace ptxkit::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Timing summarize(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const std::size_t n = samples.size();
    Timing t;
    t.samples = static_cast<int>(n);
    t.min_ms = samples.front();
    t.max_ms = samples.back();
    t.median_ms = n % 2 == 1 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
    return t;
}

}  // namespace

GpuTimer::GpuTimer(CUstream stream, const testing::DeviceBuffer& scratch) : stream_(stream), scratch_(scratch) {}

Timing GpuTimer::measure(const GpuWork& run, const TimingOptions& options) {
    const int min_samples = std::max(1, options.min_samples);
    const int max_samples = std::max(min_samples, options.max_samples);

    constexpr int kMaxWarmupRuns = 1000;
    const Clock::time_point warmup_start = Clock::now();
    for (int i = 1; i <= kMaxWarmupRuns; ++i) {
        run(stream_);
        PTXKIT_CU(cuStreamSynchronize, stream_);
        if (i >= options.warmup_runs && ms_since(warmup_start) >= options.warmup_ms) break;
    }

    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(min_samples));
    const Clock::time_point start = Clock::now();
    while (true) {
        if (options.flush_l2) ptxkit::flush_l2(scratch_.get(), scratch_.bytes(), stream_);
        start_.record(stream_);
        run(stream_);
        stop_.record(stream_);
        stop_.synchronize();
        samples.push_back(stop_.elapsed_ms_since(start_));
        const int n = static_cast<int>(samples.size());
        if (n >= max_samples) break;
        if (n >= min_samples && ms_since(start) >= options.budget_ms) break;
    }
    return summarize(std::move(samples));
}

int fastest_candidate(GpuTimer& timer, int count, const std::function<void(int)>& select, const GpuWork& run,
                      const TimingOptions& options, const char* what) {
    int best = -1;
    double best_ms = 0.0;
    std::string last_error;
    for (int i = 0; i < count; ++i) {
        select(i);
        try {
            const double ms = timer.measure(run, options).median_ms;
            if (best < 0 || ms < best_ms) {
                best = i;
                best_ms = ms;
            }
        } catch (const Error& e) {
            if (e.status() == Status::context_unusable) throw;
            last_error = e.what();
        }
    }
    if (best < 0) throw Error(Status::unsupported, std::string(what) + ": no candidate algorithm ran: " + last_error);
    return best;
}

}  // namespace ptxkit::bench
