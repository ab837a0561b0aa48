#include "ptxkit/tensor.hpp"

#include <cstdint>

namespace ptxkit {
namespace {

// Products of sizes saturate instead of overflowing: the views of an invalid
// shape must stay computable so that the argument checks can reject them.
std::int64_t saturating_mul(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

}  // namespace

std::size_t dtype_size(DType dtype) noexcept {
    switch (dtype) {
        case DType::f32: case DType::i32: return 4;
        case DType::f16: case DType::bf16: return 2;
        case DType::e4m3: case DType::e5m2: case DType::u8: return 1;
        case DType::i64: return 8;
    }
    return 0;
}

const char* dtype_name(DType dtype) noexcept {
    switch (dtype) {
        case DType::f32: return "f32";
        case DType::f16: return "f16";
        case DType::bf16: return "bf16";
        case DType::e4m3: return "e4m3";
        case DType::e5m2: return "e5m2";
        case DType::i32: return "i32";
        case DType::i64: return "i64";
        case DType::u8: return "u8";
    }
    return "unknown dtype";
}

TensorView TensorView::contiguous(void* data, DType dtype, std::initializer_list<std::int64_t> shape) {
    TensorView t;
    t.data = data;
    t.dtype = dtype;
    t.rank = static_cast<int>(shape.size() < kMaxRank ? shape.size() : kMaxRank);
    int i = 0;
    for (auto it = shape.begin(); it != shape.end() && i < kMaxRank; ++it, ++i) t.shape[i] = *it;
    std::int64_t stride = 1;
    for (int d = t.rank - 1; d >= 0; --d) {
        t.stride[d] = stride;
        stride = saturating_mul(stride, t.shape[d]);
    }
    return t;
}

std::int64_t TensorView::numel() const noexcept {
    std::int64_t n = 1;
    for (int d = 0; d < rank; ++d) n = saturating_mul(n, shape[d]);
    return n;
}

bool TensorView::is_contiguous() const noexcept {
    std::int64_t expected = 1;
    for (int d = rank - 1; d >= 0; --d) {
        if (shape[d] != 1 && stride[d] != expected) return false;
        expected = saturating_mul(expected, shape[d]);
    }
    return true;
}

}  // namespace ptxkit
