// Asynchronous global -> shared copies of the async-group kind (sm_80+).
// Section numbers are those of PTX ISA 8.5 ("Data Movement and Conversion
// Instructions: Non-bulk copy"); the titles are stable across versions.
//
// Shared-memory operands are .shared state-space addresses (32-bit), e.g.
// static_cast<uint32_t>(__cvta_generic_to_shared(ptr)). Global operands are
// generic pointers to global memory, used as .global addresses as the other
// wrappers here do (the generic window maps global memory identically).
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA 9.7.9.25.3.1 cp.async (.cg, 16 bytes, src-size): copies the first `src_bytes` (0..16) bytes
// at `src` to the 16 bytes at `dst` and zero-fills the rest; src_bytes = 0 writes 16 zero bytes.
// Both addresses 16-byte aligned; `src` should stay a valid address even when src_bytes is 0.
__device__ __forceinline__ void cp_async_cg_16(uint32_t dst, const void* src, uint32_t src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" : : "r"(dst), "l"(src), "r"(src_bytes) : "memory");
}

// PTX ISA 9.7.9.25.3.2 cp.async.commit_group: closes this thread's group of prior cp.async (may be empty).
__device__ __forceinline__ void cp_async_commit_group() { asm volatile("cp.async.commit_group;" : : : "memory"); }

// PTX ISA 9.7.9.25.3.3 cp.async.wait_group: waits until at most N of this thread's most recent groups
// are pending; the completed copies are then visible to this thread (other threads need a barrier).
template <int N>
__device__ __forceinline__ void cp_async_wait_group() {
    asm volatile("cp.async.wait_group %0;" : : "n"(N) : "memory");
}

// PTX ISA 9.7.9.25.3.3 cp.async.wait_all: commit_group + wait_group 0.
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;" : : : "memory"); }

}  // namespace ptxkit::ptx
