// Small device-memory steps the cases share, with the ordering rules they
// need. The benchmark stream is non-blocking (testing::Stream), so it does not
// wait for the legacy default stream, where DeviceBuffer's synchronous-looking
// calls run:
//   - cuMemcpyHtoD from pageable memory may return before the DMA is done:
//     after uploads, wait_for_uploads() before the stream reads the data;
//   - cuMemsetD8 (DeviceBuffer::fill) is asynchronous for device memory:
//     poison outputs with poison() on the benchmark stream instead;
//   - cuMemcpyDtoH does not wait for the benchmark stream: synchronise the
//     stream before DeviceBuffer::download.
#pragma once

#include <cstdint>

#include "support/gpu.hpp"

namespace ptxkit::bench {

// Returns once every upload issued so far is complete.
inline void wait_for_uploads() { PTXKIT_CU(cuCtxSynchronize); }

// Fills `buffer` with `byte`, ordered on `stream`.
inline void poison(const testing::DeviceBuffer& buffer, std::uint8_t byte, CUstream stream) {
    if (buffer.bytes() > 0) PTXKIT_CU(cuMemsetD8Async, buffer.address(), byte, buffer.bytes(), stream);
}

}  // namespace ptxkit::bench
