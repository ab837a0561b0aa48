#include "driver/check.hpp"

#include <fmt/format.h>

#include "ptxkit/error.hpp"

namespace ptxkit::detail {

bool is_sticky(CUresult rc) noexcept {
    switch (rc) {
        case CUDA_ERROR_ILLEGAL_ADDRESS:
        case CUDA_ERROR_LAUNCH_FAILED:
        case CUDA_ERROR_ILLEGAL_INSTRUCTION:
        case CUDA_ERROR_MISALIGNED_ADDRESS:
        case CUDA_ERROR_INVALID_ADDRESS_SPACE:
        case CUDA_ERROR_INVALID_PC:
        case CUDA_ERROR_HARDWARE_STACK_ERROR:
        case CUDA_ERROR_ASSERT:
        case CUDA_ERROR_LAUNCH_TIMEOUT:
        case CUDA_ERROR_ECC_UNCORRECTABLE:
        case CUDA_ERROR_CONTEXT_IS_DESTROYED:
            return true;
        default:
            return false;
    }
}

std::string driver_error_name(CUresult rc) {
    const char* name = nullptr;
    const char* text = nullptr;
    // Only called once the driver loaded, so the table is there.
    const DriverApi& api = driver();
    if (api.cuGetErrorName(rc, &name) != CUDA_SUCCESS || name == nullptr) {
        return fmt::format("CUresult {}", static_cast<int>(rc));
    }
    if (api.cuGetErrorString(rc, &text) == CUDA_SUCCESS && text != nullptr) {
        return fmt::format("{} ({})", name, text);
    }
    return name;
}

void throw_driver_error(CUresult rc, const char* call, std::string_view context) {
    Status status = Status::driver_error;
    if (rc == CUDA_ERROR_OUT_OF_MEMORY) status = Status::out_of_memory;
    if (is_sticky(rc)) {
        status = Status::context_unusable;
        note_sticky_error(rc, call);
    }
    std::string message = fmt::format("ptxkit: {} failed: {}", call, driver_error_name(rc));
    if (!context.empty()) message += fmt::format(" [{}]", context);
    if (status == Status::context_unusable) {
        message += "; this is a sticky error: the CUDA context is unusable and must be recreated";
    }
    throw Error(status, message, static_cast<int>(rc));
}

}  // namespace ptxkit::detail
