// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// The general GEMM: any M, N, K, any pointer alignment and leading dimension,
// both B layouts, bf16/f16 inputs. Slower than the tensor-core paths but
// correct everywhere; the planner sends it only what they cannot take.
//
// A 64x64 output tile per CTA of 256 threads, each thread 4x4 outputs spaced
// 16 apart (so a warp's shared-memory reads are broadcast or conflict-free),
// K in steps of 16 through shared memory as fp32, fp32 FMA accumulation.
// Loads follow the operand's contiguous dimension (K for A and for B [N, K],
// N for B [K, N]) so that a warp's loads are coalesced; the tiles' rows are
// 66 floats (2 mod 32 banks), so that the stores of a warp (16 k of two
// rows, or 32 n of one k) fall on 32 different banks.
// Split-K as in every GEMM kernel: raw partial sums to the workspace.
#include <cstdint>

#include "common/ptx_convert.cuh"
#include "gemm/epilogue.cuh"
#include "gemm/gemm_params.h"
#include "gemm/tile_scheduler.h"

namespace {

constexpr int kBlockM = 64;
constexpr int kBlockN = 64;
constexpr int kBlockK = 16;
constexpr int kThreads = 256;

__device__ __forceinline__ float load_ab(const void* base, int64_t index, int32_t dtype) {
    const uint16_t bits = static_cast<const uint16_t*>(base)[index];
    return dtype == PTXKIT_GEMM_BF16 ? ptxkit::ptx::unpack_bf16x2_f32(bits).x : ptxkit::ptx::unpack_f16x2_f32(bits).x;
}

}  // namespace

extern "C" __global__ void __launch_bounds__(kThreads)
ptxkit_gemm_general(const __grid_constant__ ptxkit_gemm_params p) {
    __shared__ float a_tile[kBlockK][kBlockM + 2];
    __shared__ float b_tile[kBlockK][kBlockN + 2];

    const ptxkit::gemm_tiles::TileCoord tile = ptxkit::gemm_tiles::tile_of(blockIdx.x, p.tiles_m, p.tiles_n, p.group_m, p.splits);
    const int64_t m0 = int64_t(tile.m) * kBlockM;
    const int64_t n0 = int64_t(tile.n) * kBlockN;
    const int64_t k_begin = int64_t(tile.split) * p.k_per_split;
    const int64_t k_end = min(p.k, k_begin + p.k_per_split);
    const int tx = threadIdx.x % 16;
    const int ty = threadIdx.x / 16;

    float acc[4][4] = {};
    for (int64_t k0 = k_begin; k0 < k_end; k0 += kBlockK) {
        // 64x16 elements of A and of B, 4 per thread each, zero outside the matrices.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int e = threadIdx.x + i * kThreads;
            // Along K (A, B [N, K]): 16 consecutive k of a row per half-warp.
            const int row = e / kBlockK, kk = e % kBlockK;
            const int64_t gm = m0 + row, gk = k0 + kk;
            a_tile[kk][row] = (gm < p.m && gk < k_end) ? load_ab(p.a, gm * p.lda + gk, p.ab_dtype) : 0.0f;
            // B [K, N] along N: 32 consecutive n of one k per warp.
            const int bn = p.b_kn ? e % kBlockN : row, bk = p.b_kn ? e / kBlockN : kk;
            const int64_t gn = n0 + bn, gbk = k0 + bk;
            float bv = 0.0f;
            if (gn < p.n && gbk < k_end) {
                bv = load_ab(p.b, p.b_kn ? gbk * p.ldb + gn : gn * p.ldb + gbk, p.ab_dtype);
            }
            b_tile[bk][bn] = bv;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kBlockK; ++kk) {
            float a_frag[4], b_frag[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                a_frag[i] = a_tile[kk][ty + 16 * i];
                b_frag[i] = b_tile[kk][tx + 16 * i];
            }
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int64_t row = m0 + ty + 16 * i;
        if (row >= p.m) continue;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int64_t col = n0 + tx + 16 * j;
            if (col >= p.n) continue;
            if (p.splits > 1) {
                p.workspace[int64_t(tile.split) * p.m * p.n + row * p.n + col] = acc[i][j];
            } else {
                ptxkit::gemm::store_d(p, row, col, ptxkit::gemm::epilogue_value(p, acc[i][j], row, col));
            }
        }
    }
}
