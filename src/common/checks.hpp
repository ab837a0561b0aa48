// Argument checks for ops. They run before any driver call, so bad input is
// rejected with nothing launched (and even where no driver is present).
// A failure throws ptxkit::Error(invalid_argument) whose message names the op,
// the argument, what was expected and what came:
//   ptxkit::copy: argument 'dst': expected a non-null device pointer, got null
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "ptxkit/tensor.hpp"

namespace ptxkit::detail {

std::string format_shape(const TensorView& t);

// Bytes from t.data to one past the last element the strides reach (0 for an
// empty tensor). Only for a tensor that passed ArgCheck::valid_tensor, which
// proves the sum fits in int64.
std::size_t span_bytes(const TensorView& t);

class ArgCheck {
public:
    explicit ArgCheck(const char* op) : op_(op) {}

    [[noreturn]] void fail(const char* arg, const std::string& expected, const std::string& got) const;

    void not_null(const char* arg, const void* ptr) const;
    void aligned(const char* arg, const void* ptr, std::size_t alignment) const;
    void dtype_in(const char* arg, DType got, std::initializer_list<DType> allowed) const;
    // Rank in range, sizes >= 0, element count and byte span within int64,
    // and a non-null pointer unless the tensor is empty.
    void valid_tensor(const char* arg, const TensorView& t) const;
    void contiguous(const char* arg, const TensorView& t) const;
    void same_shape(const char* arg, const TensorView& t, const char* other_arg, const TensorView& other) const;
    void in_range(const char* arg, std::int64_t value, std::int64_t lo, std::int64_t hi) const;
    // [a, a + a_bytes) and [b, b + b_bytes) must not share a byte.
    void no_overlap(const char* arg, const void* a, std::size_t a_bytes, const char* other_arg, const void* b,
                    std::size_t b_bytes) const;

private:
    const char* op_;
};

}  // namespace ptxkit::detail
