// TMA tensor maps (cuTensorMapEncodeTiled) for the sm90 kernel families, with
// the settings all of them use: 16-bit elements, 128-byte swizzle (box rows
// of 64 elements), no interleave, 256-byte L2 promotion, zero fill outside
// the tensor (which is what makes every edge correct without predication).
#pragma once

#include <cuda.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "ptxkit/tensor.hpp"

namespace ptxkit::detail {

// cuTensorMapEncodeTiled takes global strides below 2^40 bytes only: planners
// send views with larger strides to a family that does not use TMA.
inline constexpr std::uint64_t kMaxTmaStrideBytes = std::uint64_t{1} << 40;

// dims and box innermost first (rank = dims.size() = box.size(), 1 to 5);
// strides: the byte strides of dims 1 .. rank-1. `what` goes into the error
// message of a failed encode, with the call and the driver's error name.
CUtensorMap encode_tiled_map(std::string_view what, const void* base, DType dtype,
                             std::initializer_list<std::uint64_t> dims, std::initializer_list<std::uint64_t> strides,
                             std::initializer_list<std::uint32_t> box);

}  // namespace ptxkit::detail
