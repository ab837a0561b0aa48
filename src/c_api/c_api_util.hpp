// Shared by the C API's files: every entry point converts its arguments,
// calls the C++ API inside guarded(), which turns an exception into a status
// code plus the calling thread's last-error message.
#pragma once

#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"

namespace ptxkit::c_api {

std::string& last_error();

// The integer a C caller stored in an enum-typed field. In C any int is a
// valid value of an enum type; in C++ loading one outside the enumerators'
// range is undefined, so the C API reads the object representation instead.
template <class Enum>
int raw_enum(const Enum& value) noexcept {
    static_assert(sizeof(Enum) == sizeof(int));
    int raw = 0;
    std::memcpy(&raw, &value, sizeof raw);
    return raw;
}

[[noreturn]] void bad_argument(const char* op, const char* arg, const std::string& expected, const std::string& got);

template <class T>
void require_out(const char* op, const char* arg, T* out) {
    if (out == nullptr) bad_argument(op, arg, "a non-null output pointer", "null");
}

// A TensorView of a C tensor; all-zero strides mean row-major.
TensorView to_view(const char* op, const char* arg, const ptxkit_tensor_t* t);

template <class F>
ptxkit_status_t guarded(F&& body) noexcept {
    try {
        body();
        return PTXKIT_SUCCESS;
    } catch (const Error& e) {
        last_error() = e.what();
        return static_cast<ptxkit_status_t>(e.status());
    } catch (const std::bad_alloc&) {
        last_error() = "ptxkit: host memory allocation failed";
        return PTXKIT_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        last_error() = std::string("ptxkit: internal error: ") + e.what();
        return PTXKIT_ERROR_INTERNAL;
    } catch (...) {
        last_error() = "ptxkit: internal error: unknown exception";
        return PTXKIT_ERROR_INTERNAL;
    }
}

}  // namespace ptxkit::c_api
