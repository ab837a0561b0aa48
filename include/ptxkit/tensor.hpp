// Non-owning views of device tensors, as ops take them.
#pragma once

#include "ptxkit/export.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace ptxkit {

// The numeric values are those of the C API's ptxkit_dtype_t.
enum class DType : int { f32 = 0, f16 = 1, bf16 = 2, e4m3 = 3, e5m2 = 4, i32 = 5, i64 = 6, u8 = 7 };

PTXKIT_EXPORT std::size_t dtype_size(DType dtype) noexcept;
PTXKIT_EXPORT const char* dtype_name(DType dtype) noexcept;

inline constexpr int kMaxRank = 4;

// A device pointer with a dtype, a shape and strides in elements. Memory is
// owned by the caller (PyTorch, the CUDA runtime, the driver API...).
struct PTXKIT_EXPORT TensorView {
    void* data = nullptr;
    DType dtype = DType::f32;
    int rank = 0;
    std::int64_t shape[kMaxRank] = {};
    std::int64_t stride[kMaxRank] = {};

    // Row-major, densely packed.
    static TensorView contiguous(void* data, DType dtype, std::initializer_list<std::int64_t> shape);

    std::int64_t numel() const noexcept;
    bool is_contiguous() const noexcept;
};

}  // namespace ptxkit
