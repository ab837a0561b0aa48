// ptxkit's error type: every failure of the C++ API is a ptxkit::Error.
#pragma once

#include "ptxkit/export.hpp"

#include <stdexcept>
#include <string>

namespace ptxkit {

// The numeric values are those of the C API's ptxkit_status_t.
enum class Status : int {
    success = 0,
    invalid_argument = 1,   // a bad argument; nothing was launched
    no_driver = 2,          // libcuda.so.1 missing, a stub, or too old
    no_device = 3,          // the driver sees no usable device
    unsupported = 4,        // valid input this build or device cannot run
    driver_error = 5,       // a CUDA driver call failed
    context_unusable = 6,   // a sticky error: the CUDA context must be recreated
    out_of_memory = 7,      // the driver could not allocate
    internal = 8,           // a bug in ptxkit
};

PTXKIT_EXPORT const char* status_name(Status status) noexcept;

class PTXKIT_EXPORT Error : public std::runtime_error {
public:
    Error(Status status, const std::string& message, int driver_result = 0)
        : std::runtime_error(message), status_(status), driver_result_(driver_result) {}

    Status status() const noexcept { return status_; }
    // The CUresult of the failing driver call, or 0 when no driver call failed.
    int driver_result() const noexcept { return driver_result_; }

private:
    Status status_;
    int driver_result_;
};

}  // namespace ptxkit
