#include "ptxkit/error.hpp"

namespace ptxkit {

const char* status_name(Status status) noexcept {
    switch (status) {
        case Status::success: return "PTXKIT_SUCCESS";
        case Status::invalid_argument: return "PTXKIT_ERROR_INVALID_ARGUMENT";
        case Status::no_driver: return "PTXKIT_ERROR_NO_DRIVER";
        case Status::no_device: return "PTXKIT_ERROR_NO_DEVICE";
        case Status::unsupported: return "PTXKIT_ERROR_UNSUPPORTED";
        case Status::driver_error: return "PTXKIT_ERROR_DRIVER";
        case Status::context_unusable: return "PTXKIT_ERROR_CONTEXT_UNUSABLE";
        case Status::out_of_memory: return "PTXKIT_ERROR_OUT_OF_MEMORY";
        case Status::internal: return "PTXKIT_ERROR_INTERNAL";
    }
    return "unknown status";
}

}  // namespace ptxkit
