// Device-side helpers shared by the GPU tests and the benchmarks: RAII device
// buffers, streams and events over the driver table that libptxkit binds
// (so test and benchmark binaries link no libcuda either), and the skip rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "driver/check.hpp"

namespace ptxkit::testing {

// Empty when a GPU is usable; otherwise why not (no driver, stub, no device).
std::string gpu_unavailable_reason();

// Makes device 0's primary context current (the one the runtime and PyTorch use).
void use_primary_context(int ordinal = 0);

// True when the driver is ptxsim, the software GPU (tools/ptxsim): its device
// name starts with "ptxsim". The one switch the tests read to pick a smaller
// shape of the same kind where a full-size case would take minutes on a CPU.
bool on_simulator();
// `full` on a GPU, `simulated` on the software GPU.
template <class T>
T sim_or(T full, T simulated) {
    return on_simulator() ? simulated : full;
}

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t bytes);
    ~DeviceBuffer();
    DeviceBuffer(DeviceBuffer&& other) noexcept;
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    void* get() const noexcept { return reinterpret_cast<void*>(ptr_); }
    CUdeviceptr address() const noexcept { return ptr_; }
    std::size_t bytes() const noexcept { return bytes_; }

    void upload(const void* host, std::size_t bytes, std::size_t offset = 0);
    void download(void* host, std::size_t bytes, std::size_t offset = 0) const;
    void fill(std::uint8_t byte);  // synchronous; used to poison outputs

    template <class T>
    static DeviceBuffer from(const std::vector<T>& host) {
        DeviceBuffer b(host.size() * sizeof(T));
        b.upload(host.data(), host.size() * sizeof(T));
        return b;
    }
    template <class T>
    std::vector<T> to_host(std::size_t count, std::size_t offset_bytes = 0) const {
        std::vector<T> out(count);
        download(out.data(), count * sizeof(T), offset_bytes);
        return out;
    }

private:
    CUdeviceptr ptr_ = 0;
    std::size_t bytes_ = 0;
};

class Stream {
public:
    Stream();
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    CUstream get() const noexcept { return stream_; }
    void synchronize() const;

private:
    CUstream stream_ = nullptr;
};

class Event {
public:
    Event();
    ~Event();
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    void record(CUstream stream);
    void synchronize() const;
    // Milliseconds from `start` to this event (both recorded and complete).
    float elapsed_ms_since(const Event& start) const;

private:
    CUevent event_ = nullptr;
};

}  // namespace ptxkit::testing
