// Checking cuBLAS / cuBLASLt calls, the way PTXKIT_CU checks driver calls: a
// failure throws ptxkit::Error naming the call and the cuBLAS status.
#pragma once

#include <cublas_api.h>

namespace ptxkit::bench {

[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call);

inline void cublas_check(cublasStatus_t status, const char* call) {
    if (status != CUBLAS_STATUS_SUCCESS) throw_cublas_error(status, call);
}

}  // namespace ptxkit::bench

// PTXKIT_CUBLAS(cublasLtMatmul, handle, ...): calls it and throws
// ptxkit::Error("cublasLtMatmul failed: CUBLAS_STATUS_NOT_SUPPORTED (...)").
// The name is stringised before expansion, so cublas_v2.h's
// `#define cublasCreate cublasCreate_v2` still reports "cublasCreate".
#define PTXKIT_CUBLAS(name, ...) ::ptxkit::bench::cublas_check(name(__VA_ARGS__), #name)
