// Warp-level tensor-core multiply-accumulate, D = A * B + C (sm_80+), with
// fp32 accumulators updated in place. Section numbers are those of PTX ISA
// 8.5: 9.7.14.5.14 (mma) and 9.7.14.5.8 (fragments of m16n8k16, floating point).
//
// Fragments, with g = lane / 4 and t = lane % 4 (each .b32 register holds two
// 16-bit elements, the lower index in the lower half):
//   a[0]: A[g][2t..2t+1]     a[1]: A[g+8][2t..2t+1]
//   a[2]: A[g][2t+8..2t+9]   a[3]: A[g+8][2t+8..2t+9]        (A 16x16, row-major)
//   b[0]: B[2t..2t+1][g]     b[1]: B[2t+8..2t+9][g]          (B 16x8, k x n)
//   d[0..1]: D[g][2t..2t+1]  d[2..3]: D[g+8][2t..2t+1]       (D 16x8, fp32)
// Register-only operations, so no memory clobber; volatile all the same, so the
// compiler can never sink a .sync.aligned instruction into a divergent branch
// where only some lanes would execute it.
#pragma once
#include <cstdint>

namespace ptxkit::ptx {

// PTX ISA 9.7.14.5.14 mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32: d += a * b.
__device__ __forceinline__ void mma_m16n8k16_bf16_f32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// PTX ISA 9.7.14.5.14 mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32: d += a * b.
__device__ __forceinline__ void mma_m16n8k16_f16_f32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

}  // namespace ptxkit::ptx
