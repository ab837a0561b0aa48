// Checking driver calls: every call goes through PTXKIT_CU, so that a failure
// names the call and the driver's error name.
#pragma once

#include <string_view>

#include "driver/driver_api.hpp"
#include "ptxkit/error.hpp"

namespace ptxkit::detail {

[[noreturn]] void throw_driver_error(CUresult rc, const char* call, std::string_view context);

inline void cu_check(CUresult rc, const char* call, std::string_view context = {}) {
    if (rc != CUDA_SUCCESS) throw_driver_error(rc, call, context);
}

// Errors after which the context cannot be used again (CUDA's "sticky" errors).
bool is_sticky(CUresult rc) noexcept;

// Called by throw_driver_error for every failed call whose error is sticky
// (defined in runtime/context.cpp): marks the current context, the one the
// call ran in, unusable, so that every later op on it fails fast instead of
// issuing more work.
void note_sticky_error(CUresult rc, const char* call) noexcept;

// "CUDA_ERROR_INVALID_VALUE", or the number when the driver does not know it.
std::string driver_error_name(CUresult rc);

}  // namespace ptxkit::detail

// PTXKIT_CU(cuMemAlloc, &ptr, bytes): calls the bound entry point and throws
// ptxkit::Error("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY ...") on failure.
#define PTXKIT_CU(name, ...) ::ptxkit::detail::cu_check(::ptxkit::detail::driver().name(__VA_ARGS__), #name)
// Same, with a context string appended to the message.
#define PTXKIT_CU_CTX(context, name, ...) \
    ::ptxkit::detail::cu_check(::ptxkit::detail::driver().name(__VA_ARGS__), #name, context)
