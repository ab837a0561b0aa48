// Warp-collective loads of 8x8 16-bit matrices from shared memory into mma
// fragments (sm_75+), and their store counterpart stmatrix (sm_90). Section numbers are those of PTX ISA 8.5 ("Warp-level
// matrix load instruction: ldmatrix", 9.7.14.5.15).
//
// Every lane passes a .shared state-space address (32-bit): lanes 8i..8i+7
// give the 16-byte-aligned addresses of rows 0..7 of matrix i. Lane l then
// holds, in register i, row l/4, columns 2(l%4) and 2(l%4)+1 of matrix i (the
// lower column in the lower half); with .trans, column l/4, rows 2(l%4) and
// 2(l%4)+1. All 32 lanes must execute the call (.sync.aligned).
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA 9.7.14.5.15 ldmatrix.sync.aligned.m8n8.x4.shared.b16: four matrices, row-major fragments.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t smem_addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr)
                 : "memory");
}

// PTX ISA 9.7.14.5.15 ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16: four matrices, transposed.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t smem_addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr)
                 : "memory");
}

// PTX ISA 9.7.14.5.15 ldmatrix.sync.aligned.m8n8.x2.shared.b16: two matrices (lanes 0..15 give addresses).
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], uint32_t smem_addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];"
                 : "=r"(r[0]), "=r"(r[1])
                 : "r"(smem_addr)
                 : "memory");
}

// PTX ISA 9.7.14.5.15 ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16: two matrices, transposed.
__device__ __forceinline__ void ldmatrix_x2_trans(uint32_t (&r)[2], uint32_t smem_addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];"
                 : "=r"(r[0]), "=r"(r[1])
                 : "r"(smem_addr)
                 : "memory");
}

// PTX ISA "Warp-level matrix store instruction: stmatrix"
// (stmatrix.sync.aligned.m8n8.x4.shared.b16, sm_90): the inverse of
// ldmatrix_x4. Lanes 8i..8i+7 give the 16-byte-aligned addresses of rows
// 0..7 of matrix i; lane l's register i holds row l/4, columns 2(l%4) and
// 2(l%4)+1 of matrix i (lower column in the lower half) -- the layout of an
// mma / wgmma accumulator's 8-column block after packing pairs to 16 bits.
__device__ __forceinline__ void stmatrix_x4(uint32_t smem_addr, uint32_t r0, uint32_t r1, uint32_t r2, uint32_t r3) {
    asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};"
                 :
                 : "r"(smem_addr), "r"(r0), "r"(r1), "r"(r2), "r"(r3)
                 : "memory");
}

}  // namespace ptxkit::ptx
