// What every case of a bench binary shares: the device's primary context, one
// stream, the L2-flush scratch buffer and the timer, the cuBLAS handles, the
// options, the device description and the measured peaks. One per process,
// created by bench::main (main.hpp) once a GPU is known to be usable.
#pragma once

#include <cuda.h>

#include <cstdint>
#include <string>

#include "common/cublas_gemm.hpp"
#include "common/timer.hpp"
#include "support/gpu.hpp"

namespace ptxkit::bench {

struct Options {
    bool quick = false;       // --mode=quick: the small shape subsets
    std::uint64_t seed = 0;   // --ptxkit_seed: base of every case's input seed
    TimingOptions timing;     // --ptxkit_min_samples, --ptxkit_budget_ms, --ptxkit_warmup_ms
};

// Measured once per process at start (peaks.hpp); 0 when not measured.
struct Peaks {
    double tflops = 0.0;
    double gbps = 0.0;
    std::string tflops_by;  // how: "cuBLASLt bf16 8192x8192x8192"
    std::string gbps_by;
};

// Strings for the benchmark context and the start-up banner.
struct DeviceInfo {
    std::string device;  // "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 50 MiB L2)"
    std::string driver;  // "550.90.07 (CUDA 12.4)"
    std::string clocks;  // $PTXKIT_BENCH_CLOCKS, else the driver-reported maxima
    std::string commit;  // git rev-parse --short HEAD at configure time
    std::string cublas;  // "cuBLAS 12.4.5 (cuBLASLt 120405)"
};

class Environment {
public:
    explicit Environment(Options options);
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

    const Options& options() const noexcept { return options_; }
    CUstream stream() const noexcept { return stream_.get(); }
    GpuTimer& timer() noexcept { return timer_; }
    const CublasHandles& cublas() const noexcept { return cublas_; }
    const DeviceInfo& info() const noexcept { return info_; }
    const Peaks& peaks() const noexcept { return peaks_; }
    void set_peaks(Peaks peaks) { peaks_ = std::move(peaks); }

private:
    // First member: the primary context must be current before the others.
    struct PrimaryContext {
        PrimaryContext();
    };

    PrimaryContext context_;
    Options options_;
    testing::Stream stream_;
    testing::DeviceBuffer flush_scratch_;
    GpuTimer timer_;
    CublasHandles cublas_;
    DeviceInfo info_;
    Peaks peaks_;
};

// The process's environment; throws when there is none.
Environment& env();

}  // namespace ptxkit::bench
