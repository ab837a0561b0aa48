#include "common/cublas_check.hpp"

#include <fmt/format.h>

#include "ptxkit/error.hpp"

namespace ptxkit::bench {

void throw_cublas_error(cublasStatus_t status, const char* call) {
    Status kind = Status::driver_error;
    switch (status) {
        case CUBLAS_STATUS_ALLOC_FAILED: kind = Status::out_of_memory; break;
        case CUBLAS_STATUS_NOT_SUPPORTED:
        case CUBLAS_STATUS_ARCH_MISMATCH: kind = Status::unsupported; break;
        case CUBLAS_STATUS_INVALID_VALUE: kind = Status::invalid_argument; break;
        default: break;
    }
    throw Error(kind, fmt::format("{} failed: {} ({})", call, cublasGetStatusName(status),
                                  cublasGetStatusString(status)));
}

}  // namespace ptxkit::bench
