// The one shared-memory test every planner makes before it picks a kernel:
// the dynamic shared memory it will ask for, plus the kernel's static
// section, against the device's opt-in limit per block. A kernel over the
// limit is not chosen (the planner falls back to the next family), instead of
// failing the launch.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "ptxkit/runtime.hpp"
#include "runtime/embedded_module.hpp"

namespace ptxkit::detail {

inline bool shared_memory_fits(const DeviceProperties& device, std::string_view module, std::string_view kernel,
                               unsigned dynamic_bytes, std::string& why) {
    const int static_bytes =
        embedded::static_shared_bytes(module, kernel, device.cc_major, device.cc_minor);
    const long long total = static_cast<long long>(dynamic_bytes) + static_bytes;
    if (device.shared_memory_per_block_optin > 0 && total > device.shared_memory_per_block_optin) {
        why = fmt::format("{} needs {} bytes of shared memory per block ({} dynamic + {} static), the device allows {}",
                          kernel, total, dynamic_bytes, static_bytes, device.shared_memory_per_block_optin);
        return false;
    }
    return true;
}

}  // namespace ptxkit::detail
