// The main() of every bench binary:
//   int main(int argc, char** argv) { return ptxkit::bench::main(argc, argv, "bench_x", register_cases); }
//
// In order: Google Benchmark's flags, then ptxkit's (below); without a usable
// GPU, one line on stderr ("<program>: no usable GPU, nothing was run: <why>")
// and exit code 2 before anything else. Otherwise: make device 0's primary
// context current (the one cuBLAS and PyTorch use), print device / driver /
// clocks / commit / cuBLAS / seed on stderr (stdout stays the benchmark
// output), measure the peaks, add the benchmark context
// (ptxkit_device, ptxkit_driver, ptxkit_clocks, ptxkit_commit,
// ptxkit_peak_tflops, ptxkit_peak_gbps, ...), register the cases, run them.
// Exit codes: 0 ran (cases that failed are marked in the output), 1 a setup
// error or an unknown flag, 2 no GPU.
//
// ptxkit flags:
//   --mode=quick|full         quick: small shape subsets (default full); the
//                             flag scripts/bench.sh and gpu-check.sh pass
//   --ptxkit_seed=N           base seed of the random inputs (default: fresh, printed)
//   --ptxkit_min_samples=N    timed samples per case, at least (default 20)
//   --ptxkit_budget_ms=X      sampling wall time per case once min_samples are in (default 250)
//   --ptxkit_warmup_ms=X      warm-up wall time per case, at least (default 10)
#pragma once

#include <functional>

#include "common/environment.hpp"

namespace ptxkit::bench {

using RegisterCases = std::function<void(const Options&)>;

int main(int argc, char** argv, const char* program, const RegisterCases& register_cases);

}  // namespace ptxkit::bench
