// The driver, the devices, and the kernels embedded in this build.
#pragma once

#include "ptxkit/export.hpp"

#include <cstdint>
#include <string>
#include <vector>

struct CUstream_st;  // CUstream and cudaStream_t are both CUstream_st*

namespace ptxkit {

using Stream = CUstream_st*;

// True when libcuda.so.1 loads, is a real driver, is new enough and sees at
// least one device. Never throws; the reason is in driver_unavailable_reason().
PTXKIT_EXPORT bool driver_available() noexcept;
PTXKIT_EXPORT std::string driver_unavailable_reason();

// CUDA version the driver supports (e.g. 13000). Throws when there is no driver.
PTXKIT_EXPORT int driver_version();
// The lowest driver CUDA version this build's kernels load on.
PTXKIT_EXPORT int required_driver_version() noexcept;
PTXKIT_EXPORT int device_count();

struct DeviceProperties {
    int ordinal = 0;
    std::string name;
    int cc_major = 0;
    int cc_minor = 0;
    int sm_count = 0;
    std::int64_t l2_bytes = 0;
    std::int64_t total_memory_bytes = 0;
    int shared_memory_per_block_optin = 0;  // bytes, the most a kernel can ask for
    int shared_memory_per_sm = 0;
    int max_threads_per_sm = 0;
    int registers_per_sm = 0;
    int sm_clock_khz = 0;       // peak clock as reported by the driver
    int memory_clock_khz = 0;
    int memory_bus_width_bits = 0;
};

// Read once per device and cached. Throws for an invalid ordinal.
PTXKIT_EXPORT const DeviceProperties& device_properties(int ordinal);

// The ordinal of the device whose context the current thread has current,
// making device 0's primary context current when none is.
//
// Which context serves an op: the stream's, for an explicit stream; for the
// default stream, the context of the device that holds the op's tensors
// (the current context when it is on that device, else that device's
// primary context, pushed for the call only). Tensors on two devices, or on
// another device than the stream, are rejected with invalid_argument before
// anything runs (docs/architecture.md, "Devices and contexts").
PTXKIT_EXPORT int current_device();

// Resource usage that ptxas reported when this build was compiled.
struct EmbeddedKernel {
    std::string module;
    std::string kernel;
    std::string arch;  // "sm_90a", "sm_80", ...
    int registers = 0;
    int shared_bytes = 0;
    int stack_bytes = 0;
    int spill_store_bytes = 0;
    int spill_load_bytes = 0;
    int barriers = 0;
    bool hot = false;
};

struct EmbeddedModuleInfo {
    std::string name;
    std::string source;      // path in the source tree
    std::string sass_archs;  // "sm_80,sm_90a"
    std::string ptx_arch;    // "compute_80", or "none" for arch-specific code
    std::size_t fatbin_bytes = 0;
};

PTXKIT_EXPORT std::vector<EmbeddedModuleInfo> embedded_modules();
PTXKIT_EXPORT std::vector<EmbeddedKernel> embedded_kernels();

}  // namespace ptxkit
