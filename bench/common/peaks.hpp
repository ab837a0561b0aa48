// The device peaks pct_peak is measured against, measured once per process at
// start with the same timer as the cases (L2 flushed, median):
//   copy bandwidth: the faster of ptxkit::copy and cuMemcpyDtoDAsync on a
//     1 GiB buffer, counting bytes read + written (2 GiB per copy). Taking the
//     faster keeps the peak honest should our copy kernel regress;
//   matmul rate: cuBLASLt bf16 8192x8192x8192 (fp32 accumulation, bf16 out,
//     32 MiB workspace), the fastest of its top heuristic algorithms, on
//     random inputs checked once against the float64 reference.
// A peak that cannot be measured is reported as 0 with a warning on stderr
// (pct_peak then uses the other one only).
#pragma once

#include "common/environment.hpp"

namespace ptxkit::bench {

Peaks measure_peaks(Environment& environment);

}  // namespace ptxkit::bench
