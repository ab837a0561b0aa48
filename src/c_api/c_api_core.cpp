// The C API: version, status strings, the last error, the driver, memory ops.
#include <fmt/format.h>

#include <exception>
#include <new>
#include <string>

#include "c_api/c_api_util.hpp"

namespace ptxkit::c_api {

std::string& last_error() {
    thread_local std::string message;
    return message;
}

[[noreturn]] void bad_argument(const char* op, const char* arg, const std::string& expected, const std::string& got) {
    throw Error(Status::invalid_argument, fmt::format("{}: argument '{}': expected {}, got {}", op, arg, expected, got));
}

TensorView to_view(const char* op, const char* arg, const ptxkit_tensor_t* t) {
    if (t == nullptr) bad_argument(op, arg, "a non-null ptxkit_tensor_t*", "null");
    if (t->rank < 0 || t->rank > PTXKIT_MAX_RANK) {
        bad_argument(op, arg, fmt::format("rank 0 to {}", PTXKIT_MAX_RANK), fmt::format("rank {}", t->rank));
    }
    const int dtype = raw_enum(t->dtype);
    if (dtype < PTXKIT_F32 || dtype > PTXKIT_U8) bad_argument(op, arg, "a ptxkit_dtype_t value", fmt::format("{}", dtype));
    TensorView v;
    v.data = t->data;
    v.dtype = static_cast<DType>(dtype);
    v.rank = t->rank;
    bool strides_given = false;
    for (int d = 0; d < t->rank; ++d) {
        v.shape[d] = t->shape[d];
        v.stride[d] = t->stride[d];
        strides_given = strides_given || t->stride[d] != 0;
    }
    if (!strides_given) {  // all-zero strides mean row-major
        std::int64_t stride = 1;
        for (int d = t->rank - 1; d >= 0; --d) {
            v.stride[d] = stride;
            // Saturate: an absurd shape must reach the argument checks, which reject it.
            if (__builtin_mul_overflow(stride, t->shape[d], &stride)) stride = INT64_MAX;
        }
    }
    return v;
}

}  // namespace ptxkit::c_api

using namespace ptxkit::c_api;

extern "C" {

const char* ptxkit_version(void) { return ptxkit::version(); }

const char* ptxkit_status_string(ptxkit_status_t status) {
    const int raw = raw_enum(status);
    if (raw < PTXKIT_SUCCESS || raw > PTXKIT_ERROR_INTERNAL) return "unknown status";
    return ptxkit::status_name(static_cast<ptxkit::Status>(raw));
}

const char* ptxkit_last_error(void) { return last_error().c_str(); }

int ptxkit_driver_available(void) { return ptxkit::driver_available() ? 1 : 0; }

ptxkit_status_t ptxkit_driver_version(int* version) {
    return guarded([&] {
        require_out("ptxkit_driver_version", "version", version);
        *version = ptxkit::driver_version();
    });
}

ptxkit_status_t ptxkit_device_count(int* count) {
    return guarded([&] {
        require_out("ptxkit_device_count", "count", count);
        *count = ptxkit::device_count();
    });
}

ptxkit_status_t ptxkit_copy(void* dst, const void* src, size_t bytes, ptxkit_stream_t stream) {
    return guarded([&] { ptxkit::copy(dst, src, bytes, stream); });
}

ptxkit_status_t ptxkit_convert(const ptxkit_tensor_t* dst, const ptxkit_tensor_t* src, ptxkit_stream_t stream) {
    return guarded([&] {
        const auto d = to_view("ptxkit_convert", "dst", dst);
        const auto s = to_view("ptxkit_convert", "src", src);
        ptxkit::convert(d, s, stream);
    });
}

}  // extern "C"
