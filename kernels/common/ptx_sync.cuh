// Warp-level synchronisation, matching and shared-memory reductions (PTX ISA
// 9.7.13, parallel synchronisation and communication), plus the lane-mask
// special register they are used with. One function per instruction form.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA 9.7.13.10 match.sync (.any): the mask of the lanes of the full warp
// whose `value` equals this lane's.
__device__ __forceinline__ uint32_t match_any_b32(uint32_t value) {
    uint32_t peers;
    asm volatile("match.any.sync.b32 %0, %1, 0xffffffff;" : "=r"(peers) : "r"(value));
    return peers;
}

// PTX ISA 9.7.13.2 bar.warp.sync: every lane of the warp waits for the
// others, and their memory accesses before it are ordered before those after.
__device__ __forceinline__ void bar_warp_sync() { asm volatile("bar.warp.sync 0xffffffff;" ::: "memory"); }

// PTX ISA 9.7.13.6 red (.shared.add.u32): *ptr += value, atomically, no result.
__device__ __forceinline__ void red_shared_add_u32(uint32_t* ptr, uint32_t value) {
    const auto address = static_cast<uint32_t>(__cvta_generic_to_shared(ptr));
    asm volatile("red.shared.add.u32 [%0], %1;" : : "r"(address), "r"(value) : "memory");
}

// PTX ISA 10 (special registers) %lanemask_lt: the bits of the lanes below this one.
__device__ __forceinline__ uint32_t lanemask_lt() {
    uint32_t mask;
    asm("mov.u32 %0, %%lanemask_lt;" : "=r"(mask));
    return mask;
}

}  // namespace ptxkit::ptx
