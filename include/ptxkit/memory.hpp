// Memory utilities: device copies, dtype conversion, L2 eviction.
#pragma once

#include <cstddef>

#include "ptxkit/export.hpp"
#include "ptxkit/runtime.hpp"
#include "ptxkit/tensor.hpp"

namespace ptxkit {

// dst[0, bytes) = src[0, bytes) on the device, asynchronously on `stream`.
// Runs the hand-written PTX kernel ptx/memory/copy.ptx (16-byte accesses when
// the two pointers share their alignment modulo 16). The ranges must not
// overlap. bytes == 0 launches nothing.
PTXKIT_EXPORT void copy(void* dst, const void* src, std::size_t bytes, Stream stream);

// dst = src converted between f32 and bf16/f16 (round to nearest even), same
// shape, both contiguous. The pairs f32->bf16, f32->f16, bf16->f32, f16->f32.
PTXKIT_EXPORT void convert(const TensorView& dst, const TensorView& src, Stream stream);

// Scratch size for flush_l2 on the current device: twice its L2.
PTXKIT_EXPORT std::size_t l2_flush_bytes();
// Evicts the L2 cache by streaming through `scratch` (at least l2_flush_bytes(),
// 16-byte aligned; its contents are overwritten). For benchmarks.
PTXKIT_EXPORT void flush_l2(void* scratch, std::size_t bytes, Stream stream);

}  // namespace ptxkit
