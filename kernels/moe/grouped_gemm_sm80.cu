// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// MoE grouped GEMM for every GPU from sm_80 on: the dense GEMM's mma.sync +
// cp.async mainloop (gemm/sm80_mainloop.cuh), one output tile per call, in a
// persistent loop over the tiles that exist (moe/grouped_gemm.cuh, read from
// device memory). Per tile: A rows from the tile's batch (rows at and past
// the tile's row_end are zero-filled, not read: a masked expert's unused
// capacity costs no bandwidth), B rows from the expert's weight, and the
// epilogue: plain, or SwiGLU, for which the mainloop lays each warp column's
// B rows out as gate rows then the matching up rows, so that every thread
// holds both halves of its output columns (Operands::glu_up). Host side:
// src/ops/moe_grouped_gemm_sm80.cpp.
//
// A CTA synchronises after each tile's mainloop: the next tile's first copies
// go into stages that slower warps may still be reading.
#include <cstdint>

#include "gemm/sm80_mainloop.cuh"
#include "moe/grouped_gemm.cuh"
#include "moe/grouped_gemm_params.h"

namespace {

namespace sm80 = ptxkit::gemm::sm80;
namespace mg = ptxkit::moe_gemm;
using sm80::Large;
using sm80::Small;

// The host planner (src/ops/moe_grouped_gemm_sm80.cpp) asks for exactly these.
static_assert(Large::SMEM_BYTES == 65536 && Large::THREADS == 256, "keep moe_grouped_gemm_sm80.cpp in step");
static_assert(Small::SMEM_BYTES == 32768 && Small::THREADS == 128, "keep moe_grouped_gemm_sm80.cpp in step");

// acc[mi][ni][2h + e]: tile row wm WM + mi 16 + lane / 4 + 8h, tile column
// wn WN + ni 8 + 2 (lane % 4) + e (sm80_mainloop.cuh).
template <class C>
__device__ __forceinline__ void store_tile(const ptxkit_moe_gemm_params& p, const mg::Tile& t, bool swiglu,
                                           const float (&acc)[C::MI][C::NI][4]) {
    const int lane = int(threadIdx.x) & 31;
    const int warp = int(threadIdx.x) >> 5;
    const int wm = warp / C::WARPS_N;
    const int wn = warp % C::WARPS_N;
    const int g = lane >> 2;
    const int q = lane & 3;
    const int64_t batch_at = int64_t(t.batch) * p.d_batch_stride;
#pragma unroll
    for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int64_t row = int64_t(t.m0) + wm * C::WM + mi * 16 + g + 8 * h;
            if (row >= t.row_end) continue;
            const int64_t row_at = batch_at + row * p.ldd;
            if (swiglu) {
                // Gate in tiles ni < NI / 2, the up partner NI / 2 tiles on.
#pragma unroll
                for (int ni = 0; ni < C::NI / 2; ++ni) {
                    const int64_t col = int64_t(t.n0) + wn * (C::WN / 2) + ni * 8 + 2 * q;
                    const float v0 = mg::silu_mul(acc[mi][ni][2 * h], acc[mi][ni + C::NI / 2][2 * h]);
                    const float v1 = mg::silu_mul(acc[mi][ni][2 * h + 1], acc[mi][ni + C::NI / 2][2 * h + 1]);
                    mg::store_columns(p, row_at, col, v0, v1);
                }
            } else {
#pragma unroll
                for (int ni = 0; ni < C::NI; ++ni) {
                    const int64_t col = int64_t(t.n0) + wn * C::WN + ni * 8 + 2 * q;
                    mg::store_columns(p, row_at, col, acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1]);
                }
            }
        }
    }
}

template <class C, bool kBf16>
__device__ __forceinline__ void grouped_gemm(const ptxkit_moe_gemm_params& p) {
    extern __shared__ __align__(128) unsigned char smem[];
    __shared__ int32_t s_prefix[PTXKIT_MOE_GEMM_MAX_EXPERTS + 1];
    if (p.layout == PTXKIT_MOE_GEMM_MASKED && threadIdx.x < 32) {
        mg::masked_tile_prefix<C::BM>(p, s_prefix, static_cast<int>(threadIdx.x));
    }
    __syncthreads();

    const bool swiglu = p.epilogue == PTXKIT_MOE_GEMM_EPILOGUE_SWIGLU;
    const mg::Walk<C::BM> walk = mg::Walk<C::BM>::make(p, s_prefix, swiglu ? C::BN / 2 : C::BN);
    const int64_t items = walk.count();
    const uint32_t smem_base = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
    for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
        const mg::Tile t = walk.tile(item);
        if (t.expert < 0) continue;  // the same decision in every thread

        sm80::Operands o;
        o.a = static_cast<const uint16_t*>(p.a) + int64_t(t.batch) * p.a_batch_stride;
        o.b = static_cast<const uint16_t*>(p.b) + int64_t(t.expert) * p.b_expert_stride;
        o.lda = p.lda;
        o.ldb = p.ldb;
        o.m0 = t.m0;
        o.m_end = t.row_end;
        o.n0 = t.n0;
        o.n_end = swiglu ? p.n_out : p.n;
        o.k_begin = 0;
        o.k_end = p.k;
        o.glu_up = swiglu ? p.n_out : 0;
        float acc[C::MI][C::NI][4];
        sm80::mainloop<C, kBf16, false>(o, smem_base, acc);
        __syncthreads();
        store_tile<C>(p, t, swiglu, acc);
    }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(Large::THREADS, 2)
ptxkit_moe_gemm_sm80_bf16_128x128x32(const __grid_constant__ ptxkit_moe_gemm_params p) {
    grouped_gemm<Large, true>(p);
}

extern "C" __global__ void __launch_bounds__(Large::THREADS, 2)
ptxkit_moe_gemm_sm80_f16_128x128x32(const __grid_constant__ ptxkit_moe_gemm_params p) {
    grouped_gemm<Large, false>(p);
}

extern "C" __global__ void __launch_bounds__(Small::THREADS, 4)
ptxkit_moe_gemm_sm80_bf16_64x64x32(const __grid_constant__ ptxkit_moe_gemm_params p) {
    grouped_gemm<Small, true>(p);
}

extern "C" __global__ void __launch_bounds__(Small::THREADS, 4)
ptxkit_moe_gemm_sm80_f16_64x64x32(const __grid_constant__ ptxkit_moe_gemm_params p) {
    grouped_gemm<Small, false>(p);
}
