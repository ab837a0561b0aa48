#include "common/checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "ptxkit/error.hpp"

namespace ptxkit::detail {

std::string format_shape(const TensorView& t) {
    std::string s = "[";
    for (int d = 0; d < std::clamp(t.rank, 0, kMaxRank); ++d) s += fmt::format("{}{}", d ? ", " : "", t.shape[d]);
    return s + "]";
}

void ArgCheck::fail(const char* arg, const std::string& expected, const std::string& got) const {
    throw Error(Status::invalid_argument, fmt::format("{}: argument '{}': expected {}, got {}", op_, arg, expected, got));
}

void ArgCheck::not_null(const char* arg, const void* ptr) const {
    if (ptr == nullptr) fail(arg, "a non-null device pointer", "null");
}

void ArgCheck::aligned(const char* arg, const void* ptr, std::size_t alignment) const {
    const auto address = reinterpret_cast<std::uintptr_t>(ptr);
    if (address % alignment != 0) {
        fail(arg, fmt::format("a pointer aligned to {} bytes", alignment),
             fmt::format("{} (offset {} from alignment)", ptr, address % alignment));
    }
}

void ArgCheck::dtype_in(const char* arg, DType got, std::initializer_list<DType> allowed) const {
    for (DType d : allowed) {
        if (d == got) return;
    }
    std::string names;
    for (DType d : allowed) names += fmt::format("{}{}", names.empty() ? "" : " or ", dtype_name(d));
    fail(arg, "dtype " + names, dtype_name(got));
}

std::size_t span_bytes(const TensorView& t) {
    // Emptiness first: a zero-size dimension anywhere makes the other
    // dimensions' strides meaningless (and possibly huge).
    if (t.numel() == 0) return 0;
    std::int64_t last = 0;
    for (int d = 0; d < t.rank; ++d) last += (t.shape[d] - 1) * t.stride[d];
    return static_cast<std::size_t>(last + 1) * dtype_size(t.dtype);
}

void ArgCheck::valid_tensor(const char* arg, const TensorView& t) const {
    if (t.rank < 0 || t.rank > kMaxRank) fail(arg, fmt::format("rank 0 to {}", kMaxRank), fmt::format("rank {}", t.rank));
    if (dtype_size(t.dtype) == 0) fail(arg, "a valid dtype", fmt::format("dtype value {}", static_cast<int>(t.dtype)));
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    std::int64_t count = 1;
    for (int d = 0; d < t.rank; ++d) {
        if (t.shape[d] < 0) fail(arg, "sizes >= 0", fmt::format("shape {}", format_shape(t)));
        if (t.stride[d] < 0) fail(arg, "strides >= 0", fmt::format("stride {} in dimension {}", t.stride[d], d));
        if (t.shape[d] != 0 && count > kMax / t.shape[d]) {
            fail(arg, "an element count that fits in 64 bits", fmt::format("shape {}", format_shape(t)));
        }
        count *= t.shape[d];
    }
    if (count > 0 && count > kMax / static_cast<std::int64_t>(dtype_size(t.dtype))) {
        fail(arg, "a byte size that fits in 64 bits", fmt::format("shape {}", format_shape(t)));
    }
    if (count == 0) return;
    not_null(arg, t.data);
    aligned(arg, t.data, dtype_size(t.dtype));
    // The memory the strides span: the last element's index + 1, in bytes,
    // within int64 and within the address space from t.data.
    std::int64_t last = 0;
    bool overflow = false;
    for (int d = 0; d < t.rank && !overflow; ++d) {
        std::int64_t step = 0;
        overflow = __builtin_mul_overflow(t.shape[d] - 1, t.stride[d], &step) || __builtin_add_overflow(last, step, &last);
    }
    std::int64_t span = 0;
    overflow = overflow || __builtin_add_overflow(last, std::int64_t{1}, &span) ||
               __builtin_mul_overflow(span, static_cast<std::int64_t>(dtype_size(t.dtype)), &span);
    if (overflow || reinterpret_cast<std::uintptr_t>(t.data) > UINTPTR_MAX - static_cast<std::uint64_t>(span)) {
        std::string strides;
        for (int d = 0; d < t.rank; ++d) strides += fmt::format("{}{}", d ? ", " : "", t.stride[d]);
        fail(arg, "strides whose span fits in the address space",
             fmt::format("shape {} with strides [{}] at {}", format_shape(t), strides, t.data));
    }
}

void ArgCheck::contiguous(const char* arg, const TensorView& t) const {
    if (!t.is_contiguous()) {
        std::string strides;
        for (int d = 0; d < t.rank; ++d) strides += fmt::format("{}{}", d ? ", " : "", t.stride[d]);
        fail(arg, "a contiguous (row-major, densely packed) tensor",
             fmt::format("shape {} with strides [{}]", format_shape(t), strides));
    }
}

void ArgCheck::same_shape(const char* arg, const TensorView& t, const char* other_arg, const TensorView& other) const {
    bool same = t.rank == other.rank;
    for (int d = 0; same && d < t.rank; ++d) same = t.shape[d] == other.shape[d];
    if (!same) fail(arg, fmt::format("the shape of '{}', {}", other_arg, format_shape(other)), format_shape(t));
}

void ArgCheck::in_range(const char* arg, std::int64_t value, std::int64_t lo, std::int64_t hi) const {
    if (value < lo || value > hi) fail(arg, fmt::format("a value in [{}, {}]", lo, hi), fmt::format("{}", value));
}

void ArgCheck::no_overlap(const char* arg, const void* a, std::size_t a_bytes, const char* other_arg, const void* b,
                          std::size_t b_bytes) const {
    const auto pa = reinterpret_cast<std::uintptr_t>(a);
    const auto pb = reinterpret_cast<std::uintptr_t>(b);
    if (a_bytes == 0 || b_bytes == 0) return;
    if (pa < pb + b_bytes && pb < pa + a_bytes) {
        fail(arg, fmt::format("memory that does not overlap '{}' [{}, +{})", other_arg, b, b_bytes),
             fmt::format("[{}, +{})", a, a_bytes));
    }
}

}  // namespace ptxkit::detail
