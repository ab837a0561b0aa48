// The C API: every entry point converts its arguments, calls the C++ API, and
// turns an exception into a status code plus a thread-local message.
#include <fmt/format.h>

#include <exception>
#include <new>
#include <string>

#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"

namespace {

thread_local std::string t_last_error;

template <class F>
ptxkit_status_t guarded(F&& body) noexcept {
    try {
        body();
        return PTXKIT_SUCCESS;
    } catch (const ptxkit::Error& e) {
        t_last_error = e.what();
        return static_cast<ptxkit_status_t>(e.status());
    } catch (const std::bad_alloc&) {
        t_last_error = "ptxkit: host memory allocation failed";
        return PTXKIT_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        t_last_error = std::string("ptxkit: internal error: ") + e.what();
        return PTXKIT_ERROR_INTERNAL;
    } catch (...) {
        t_last_error = "ptxkit: internal error: unknown exception";
        return PTXKIT_ERROR_INTERNAL;
    }
}

[[noreturn]] void bad_argument(const char* op, const char* arg, const std::string& expected, const std::string& got) {
    throw ptxkit::Error(ptxkit::Status::invalid_argument,
                        fmt::format("{}: argument '{}': expected {}, got {}", op, arg, expected, got));
}

template <class T>
void require_out(const char* op, const char* arg, T* out) {
    if (out == nullptr) bad_argument(op, arg, "a non-null output pointer", "null");
}

ptxkit::TensorView to_view(const char* op, const char* arg, const ptxkit_tensor_t* t) {
    if (t == nullptr) bad_argument(op, arg, "a non-null ptxkit_tensor_t*", "null");
    if (t->rank < 0 || t->rank > PTXKIT_MAX_RANK) {
        bad_argument(op, arg, fmt::format("rank 0 to {}", PTXKIT_MAX_RANK), fmt::format("rank {}", t->rank));
    }
    if (t->dtype < PTXKIT_F32 || t->dtype > PTXKIT_U8) {
        bad_argument(op, arg, "a ptxkit_dtype_t value", fmt::format("{}", static_cast<int>(t->dtype)));
    }
    ptxkit::TensorView v;
    v.data = t->data;
    v.dtype = static_cast<ptxkit::DType>(t->dtype);
    v.rank = t->rank;
    bool strides_given = false;
    for (int d = 0; d < t->rank; ++d) {
        v.shape[d] = t->shape[d];
        v.stride[d] = t->stride[d];
        strides_given = strides_given || t->stride[d] != 0;
    }
    if (!strides_given) {  // all-zero strides mean row-major
        std::int64_t s = 1;
        for (int d = t->rank - 1; d >= 0; --d) {
            v.stride[d] = s;
            s *= t->shape[d];
        }
    }
    return v;
}

}  // namespace

extern "C" {

const char* ptxkit_version(void) { return ptxkit::version(); }

const char* ptxkit_status_string(ptxkit_status_t status) {
    return ptxkit::status_name(static_cast<ptxkit::Status>(status));
}

const char* ptxkit_last_error(void) { return t_last_error.c_str(); }

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

ptxkit_status_t ptxkit_moe_topk_softmax(const ptxkit_tensor_t* logits, const ptxkit_tensor_t* weights,
                                        const ptxkit_tensor_t* ids, int k, int renormalize, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_topk_softmax";
        ptxkit::moe::topk_softmax(to_view(op, "logits", logits), to_view(op, "weights", weights),
                                  to_view(op, "ids", ids), k, renormalize != 0, stream);
    });
}

ptxkit_status_t ptxkit_moe_topk_grouped_sigmoid(const ptxkit_tensor_t* logits, const ptxkit_tensor_t* bias,
                                                const ptxkit_tensor_t* weights, const ptxkit_tensor_t* ids,
                                                const ptxkit_grouped_topk_options_t* options,
                                                ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_moe_topk_grouped_sigmoid";
        if (options == nullptr) bad_argument(op, "options", "a non-null ptxkit_grouped_topk_options_t*", "null");
        const ptxkit::TensorView no_bias{};
        ptxkit::moe::GroupedTopkOptions o;
        o.k = options->k;
        o.num_groups = options->num_groups;
        o.topk_group = options->topk_group;
        o.routed_scaling_factor = options->routed_scaling_factor;
        ptxkit::moe::topk_grouped_sigmoid(to_view(op, "logits", logits), bias ? to_view(op, "bias", bias) : no_bias,
                                          to_view(op, "weights", weights), to_view(op, "ids", ids), o, stream);
    });
}

}  // extern "C"
