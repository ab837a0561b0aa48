#include "support/gpu.hpp"

#include <string_view>
#include <utility>

#include "ptxkit/runtime.hpp"
#include "runtime/context.hpp"

namespace ptxkit::testing {

std::string gpu_unavailable_reason() {
    if (ptxkit::driver_available()) return "";
    return ptxkit::driver_unavailable_reason();
}

void use_primary_context(int ordinal) { PTXKIT_CU(cuCtxSetCurrent, detail::primary_context(ordinal)); }

bool on_simulator() {
    static const bool simulated = [] {
        if (!ptxkit::driver_available()) return false;
        CUdevice dev = 0;
        char name[256] = {};
        if (detail::driver().cuDeviceGet(&dev, 0) != CUDA_SUCCESS) return false;
        if (detail::driver().cuDeviceGetName(name, sizeof name, dev) != CUDA_SUCCESS) return false;
        return std::string_view(name).rfind("ptxsim", 0) == 0;
    }();
    return simulated;
}

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
    if (bytes > 0) PTXKIT_CU(cuMemAlloc, &ptr_, bytes);
}

DeviceBuffer::~DeviceBuffer() {
    if (ptr_ != 0) detail::driver().cuMemFree(ptr_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, 0)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
        if (ptr_ != 0) detail::driver().cuMemFree(ptr_);
        ptr_ = std::exchange(other.ptr_, 0);
        bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
}

// The copy from pageable memory and the memset may still be in flight when
// the call returns, and work on non-blocking streams does not wait for the
// legacy stream: finish them before any stream can read the buffer.
void DeviceBuffer::upload(const void* host, std::size_t bytes, std::size_t offset) {
    if (bytes == 0) return;
    PTXKIT_CU(cuMemcpyHtoD, ptr_ + offset, host, bytes);
    PTXKIT_CU(cuCtxSynchronize);
}

// Callers synchronise the stream that wrote the buffer first; the copy itself
// waits for the legacy stream.
void DeviceBuffer::download(void* host, std::size_t bytes, std::size_t offset) const {
    if (bytes > 0) PTXKIT_CU(cuMemcpyDtoH, host, ptr_ + offset, bytes);
}

void DeviceBuffer::fill(std::uint8_t byte) {
    if (bytes_ == 0) return;
    PTXKIT_CU(cuMemsetD8, ptr_, byte, bytes_);
    PTXKIT_CU(cuCtxSynchronize);
}

Stream::Stream() { PTXKIT_CU(cuStreamCreate, &stream_, CU_STREAM_NON_BLOCKING); }
Stream::~Stream() {
    if (stream_ != nullptr) detail::driver().cuStreamDestroy(stream_);
}
void Stream::synchronize() const { PTXKIT_CU(cuStreamSynchronize, stream_); }

Event::Event() { PTXKIT_CU(cuEventCreate, &event_, CU_EVENT_DEFAULT); }
Event::~Event() {
    if (event_ != nullptr) detail::driver().cuEventDestroy(event_);
}
void Event::record(CUstream stream) { PTXKIT_CU(cuEventRecord, event_, stream); }
void Event::synchronize() const { PTXKIT_CU(cuEventSynchronize, event_); }
float Event::elapsed_ms_since(const Event& start) const {
    float ms = 0.0f;
    PTXKIT_CU(cuEventElapsedTime, &ms, start.event_, event_);
    return ms;
}

}  // namespace ptxkit::testing
