// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// The sm80 GEMM family: mma.sync m16n8k16 (bf16/f16 in, fp32 accumulate),
// fed by a multi-stage cp.async pipeline into XOR-swizzled shared memory and
// read with ldmatrix (FlashAttention-2 / CUTLASS sm80 style). Runs on sm_80 and
// later; the planner (src/ops/gemm_sm80.cpp) sends it 16-byte aligned
// problems only (Problem::aligned16: pointers 16-byte aligned, leading
// dimensions multiples of 8 elements). Design notes: docs/kernels/gemm_sm80.md.
//
// One CTA per (output tile, K slice), non-persistent, in the grouped order of
// tile_scheduler.h. The mainloop (copy plan, pipeline, mma) is
// gemm/sm80_mainloop.cuh, shared with the MoE grouped GEMM; this file places
// the CTA's tile and applies the GEMM epilogue (or writes split-K partials).
#include <cstdint>

#include "gemm/epilogue.cuh"
#include "gemm/gemm_params.h"
#include "gemm/sm80_mainloop.cuh"
#include "gemm/tile_scheduler.h"

namespace {

namespace sm80 = ptxkit::gemm::sm80;
using sm80::Large;
using sm80::Small;

// The host planner (src/ops/gemm_sm80.cpp) asks for exactly these.
static_assert(Large::SMEM_BYTES == 65536 && Large::THREADS == 256, "keep gemm_sm80.cpp in step");
static_assert(Small::SMEM_BYTES == 32768 && Small::THREADS == 128, "keep gemm_sm80.cpp in step");

// One CTA: output tile (tile.m, tile.n), K slice tile.split.
template <class C, bool kBf16, bool kBKn>
__device__ __forceinline__ void gemm_tile(const ptxkit_gemm_params& p, unsigned char* smem) {
    const ptxkit::gemm_tiles::TileCoord tile =
        ptxkit::gemm_tiles::tile_of(blockIdx.x, p.tiles_m, p.tiles_n, p.group_m, p.splits);
    const int64_t m0 = int64_t(tile.m) * C::BM;
    const int64_t n0 = int64_t(tile.n) * C::BN;
    const int64_t k_begin = int64_t(tile.split) * p.k_per_split;  // a multiple of BK (and so of 8)
    const int64_t k_end = min(p.k, k_begin + p.k_per_split);

    sm80::Operands o;
    o.a = static_cast<const uint16_t*>(p.a);
    o.b = static_cast<const uint16_t*>(p.b);
    o.lda = p.lda;
    o.ldb = p.ldb;
    o.m0 = m0;
    o.m_end = p.m;
    o.n0 = n0;
    o.n_end = p.n;
    o.k_begin = k_begin;
    o.k_end = k_end;
    o.glu_up = 0;
    float acc[C::MI][C::NI][4];
    sm80::mainloop<C, kBf16, kBKn>(o, static_cast<uint32_t>(__cvta_generic_to_shared(smem)), acc);

    // ---- Epilogue from the accumulators (fragment layout in mma.cuh). ----
    const int lane = int(threadIdx.x) & 31;
    const int warp = int(threadIdx.x) >> 5;
    const int wm = warp / C::WARPS_N;
    const int wn = warp % C::WARPS_N;
    const int g = lane >> 2;
    const int t = lane & 3;
    const bool split = p.splits > 1;
    float* const ws = split ? p.workspace + int64_t(tile.split) * p.m * p.n : nullptr;
    const bool ws_pairs = (p.n & 1) == 0;  // 8-byte aligned float2 stores
#pragma unroll
    for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int64_t row = m0 + wm * C::WM + mi * 16 + g + 8 * h;
            if (row >= p.m) continue;
#pragma unroll
            for (int ni = 0; ni < C::NI; ++ni) {
                const int64_t col = n0 + wn * C::WN + ni * 8 + 2 * t;  // even
                const float v0 = acc[mi][ni][2 * h];
                const float v1 = acc[mi][ni][2 * h + 1];
                if (split) {
                    float* const out = ws + row * p.n + col;
                    if (col + 1 < p.n && ws_pairs) {
                        *reinterpret_cast<float2*>(out) = make_float2(v0, v1);
                    } else {
                        if (col < p.n) out[0] = v0;
                        if (col + 1 < p.n) out[1] = v1;
                    }
                } else if (col + 1 < p.n) {
                    ptxkit::gemm::store_d_pair(p, row, col, ptxkit::gemm::epilogue_value(p, v0, row, col),
                                               ptxkit::gemm::epilogue_value(p, v1, row, col + 1));
                } else if (col < p.n) {
                    ptxkit::gemm::store_d(p, row, col, ptxkit::gemm::epilogue_value(p, v0, row, col));
                }
            }
        }
    }
}

template <class C, bool kBf16>
__device__ __forceinline__ void gemm_kernel(const ptxkit_gemm_params& p) {
    extern __shared__ __align__(128) unsigned char smem[];
    if (p.b_kn) {
        gemm_tile<C, kBf16, true>(p, smem);
    } else {
        gemm_tile<C, kBf16, false>(p, smem);
    }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(Large::THREADS, 2)
ptxkit_gemm_sm80_bf16_128x128x32(const __grid_constant__ ptxkit_gemm_params p) {
    gemm_kernel<Large, true>(p);
}

extern "C" __global__ void __launch_bounds__(Large::THREADS, 2)
ptxkit_gemm_sm80_f16_128x128x32(const __grid_constant__ ptxkit_gemm_params p) {
    gemm_kernel<Large, false>(p);
}

extern "C" __global__ void __launch_bounds__(Small::THREADS, 4)
ptxkit_gemm_sm80_bf16_64x64x32(const __grid_constant__ ptxkit_gemm_params p) {
    gemm_kernel<Small, true>(p);
}

extern "C" __global__ void __launch_bounds__(Small::THREADS, 4)
ptxkit_gemm_sm80_f16_64x64x32(const __grid_constant__ ptxkit_gemm_params p) {
    gemm_kernel<Small, false>(p);
}
