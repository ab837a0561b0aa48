#include "ops/tensor_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "driver/check.hpp"
#include "ptxkit/error.hpp"

namespace ptxkit::detail {

CUtensorMap encode_tiled_map(std::string_view what, const void* base, DType dtype,
                             std::initializer_list<std::uint64_t> dims, std::initializer_list<std::uint64_t> strides,
                             std::initializer_list<std::uint32_t> box) {
    constexpr std::size_t kMaxRank = 5;
    if (dims.size() == 0 || dims.size() > kMaxRank || box.size() != dims.size() || strides.size() + 1 != dims.size()) {
        throw Error(Status::internal, fmt::format("tensor map of {}: rank {} with {} strides and a box of rank {}", what,
                                                  dims.size(), strides.size(), box.size()));
    }
    if (dtype != DType::bf16 && dtype != DType::f16) {
        throw Error(Status::internal, fmt::format("tensor map of {}: dtype {}", what, dtype_name(dtype)));
    }
    cuuint64_t dim_array[kMaxRank] = {};
    cuuint64_t stride_array[kMaxRank] = {};
    cuuint32_t box_array[kMaxRank] = {};
    cuuint32_t element_strides[kMaxRank] = {1, 1, 1, 1, 1};
    std::copy(dims.begin(), dims.end(), dim_array);
    std::copy(strides.begin(), strides.end(), stride_array);
    std::copy(box.begin(), box.end(), box_array);

    // The driver wants the map 64-byte aligned. CUtensorMap is declared so,
    // but GCC does not reliably over-align a returned temporary of it (an
    // emulator run found the GEMM's D map, assigned from such a temporary, at
    // 48 mod 128), so the encoding goes into an aligned named local and the
    // caller gets a copy (kernel parameters are copied byte for byte).
    struct alignas(128) Aligned {
        CUtensorMap map;
    } encoded{};
    if (reinterpret_cast<std::uintptr_t>(&encoded.map) % 64 != 0) {
        throw Error(Status::internal, fmt::format("tensor map of {}: not 64-byte aligned on the stack", what));
    }
    const CUtensorMapDataType type =
        dtype == DType::bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
    PTXKIT_CU_CTX(fmt::format("(tensor map of {})", what), cuTensorMapEncodeTiled, &encoded.map, type,
                  static_cast<cuuint32_t>(dims.size()), const_cast<void*>(base), dim_array, stride_array, box_array,
                  element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                  CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    return encoded.map;  // a member: copied, never constructed in place
}

}  // namespace ptxkit::detail
