// Memory access wrappers: global memory with explicit cache behaviour, and
// vector shared-memory accesses whose width a bank-conflict-free layout
// relies on (nvcc may split a float2 store into two 4-byte stores, which
// conflict where the 8-byte form does not).
// One function per instruction form; PTX ISA sections are named per function.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA 9.7.9.9 ld.global.nc: 16-byte load through the non-coherent
// (read-only) path; for data no thread of this kernel writes.
__device__ __forceinline__ uint4 ld_global_nc_v4(const void* ptr) {
    uint4 v;
    asm volatile("ld.global.nc.v4.u32 {%0, %1, %2, %3}, [%4];"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(ptr));
    return v;
}

// PTX ISA 9.7.9.8 ld (.cg): 16-byte load cached in L2 only, not in L1.
__device__ __forceinline__ uint4 ld_global_cg_v4(const void* ptr) {
    uint4 v;
    asm volatile("ld.global.cg.v4.u32 {%0, %1, %2, %3}, [%4];"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(ptr)
                 : "memory");
    return v;
}

// PTX ISA 9.7.9.10 st (default .wb): 16-byte store.
__device__ __forceinline__ void st_global_v4(void* ptr, uint4 v) {
    asm volatile("st.global.v4.u32 [%0], {%1, %2, %3, %4};"
                 :
                 : "l"(ptr), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
                 : "memory");
}

// PTX ISA 9.7.9.10 st (.cg): 16-byte store that allocates in L2, not L1.
__device__ __forceinline__ void st_global_cg_v4(void* ptr, uint4 v) {
    asm volatile("st.global.cg.v4.u32 [%0], {%1, %2, %3, %4};"
                 :
                 : "l"(ptr), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
                 : "memory");
}

// 8-byte store, for the 4-element tails of 16-bit outputs.
__device__ __forceinline__ void st_global_v2(void* ptr, uint2 v) {
    asm volatile("st.global.v2.u32 [%0], {%1, %2};" : : "l"(ptr), "r"(v.x), "r"(v.y) : "memory");
}

// PTX ISA 9.7.9.10 st.shared.v2.f32: 8-byte store to a shared::cta address
// (8-byte aligned). A warp's 8-byte stores are served a half-warp at a time.
__device__ __forceinline__ void st_shared_v2_f32(uint32_t addr, float a, float b) {
    asm volatile("st.shared.v2.f32 [%0], {%1, %2};" : : "r"(addr), "f"(a), "f"(b) : "memory");
}

// PTX ISA 9.7.9.8 ld.shared.v4.f32: 16-byte load from a shared::cta address
// (16-byte aligned), served eight lanes at a time.
__device__ __forceinline__ float4 ld_shared_v4_f32(uint32_t addr) {
    float4 v;
    asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];"
                 : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w)
                 : "r"(addr)
                 : "memory");
    return v;
}

}  // namespace ptxkit::ptx
