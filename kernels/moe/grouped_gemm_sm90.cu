// ptxkit-module: sass=sm_90a ptx=none hot=*
//
// MoE grouped GEMM on Hopper: every expert's rows times its weight, all
// experts in one persistent launch, on the dense GEMM's TMA + wgmma mainloop
// (gemm/sm90_mainloop.cuh, warp specialised, 128 x BLOCK_N tiles). This file
// is the grouped schedule: the walk over the tiles that exist
// (moe/grouped_gemm.cuh, read from device memory), the 3-D TMA loads that pick
// the expert's weight by coordinate, and the epilogue. Host side:
// src/ops/moe_grouped_gemm_sm90.cpp, which builds the tensor maps:
//   A: 3-D {K, rows, batches}: contiguous {K, rows, 1}, masked {K, rows, E};
//      box {64, 128, 1}. Rows past the batch's end are zero-filled.
//   B: 3-D {K, N, E}, box {64, BLOCK_N, 1}, or {64, BLOCK_N / 2, 1} with the
//      SwiGLU epilogue: then a K block's B tile is two boxes, rows
//      [n0, n0 + BLOCK_N / 2) of the gate half on top of the same rows of the
//      up half (row n_out + n0 ...), so that every consumer thread holds the
//      gate accumulator of an output column 8j + c in acc[4j ...] and its up
//      partner in acc[4(j + BLOCK_N / 16) ...]: silu(gate) * up is formed in
//      registers and a [rows, N / 2] output is written directly.
// Both with 128-byte swizzle, as sm90_gemm.cu's 2-D maps.
//
// The stage carries the same bytes as the dense GEMM's (one A box, B boxes
// summing to BLOCK_N rows), counted in full even where a box reaches past
// the tensor.
#include <cuda.h>  // CUtensorMap

#include <cstdint>

#include "common/tma.cuh"
#include "gemm/sm90_mainloop.cuh"
#include "moe/grouped_gemm.cuh"
#include "moe/grouped_gemm_params.h"

namespace {

namespace ptx = ptxkit::ptx;
namespace sm90 = ptxkit::gemm::sm90;
namespace mg = ptxkit::moe_gemm;

using sm90::Config;

struct WorkItem {
    mg::Tile tile;
    int32_t k_blocks;  // 0 for a tile without an expert
};

template <int BLOCK_N>
struct GroupedSchedule {
    static constexpr bool kClusters = false;
    const CUtensorMap& tma_a;
    const CUtensorMap& tma_b;
    const ptxkit_moe_gemm_params& p;
    mg::Walk<sm90::BLOCK_M> walk;
    int32_t k_blocks;
    bool swiglu;

    __device__ __forceinline__ void prefetch() const {
        ptx::prefetch_tensormap(&tma_a);
        ptx::prefetch_tensormap(&tma_b);
    }

    __device__ __forceinline__ int64_t items() const { return walk.count(); }

    __device__ __forceinline__ WorkItem item(int64_t index) const {
        WorkItem w;
        w.tile = walk.tile(index);
        w.k_blocks = w.tile.expert >= 0 ? k_blocks : 0;
        return w;
    }

    __device__ __forceinline__ void load(const WorkItem& w, int32_t kb, uint32_t a_dst, uint32_t b_dst,
                                         uint32_t full) const {
        const int32_t k = kb * sm90::BLOCK_K;
        ptx::tma_load_3d(a_dst, &tma_a, full, k, w.tile.m0, w.tile.batch);
        if (swiglu) {
            ptx::tma_load_3d(b_dst, &tma_b, full, k, w.tile.n0, w.tile.expert);
            ptx::tma_load_3d(b_dst + (BLOCK_N / 2) * sm90::kSwizzleRowBytes, &tma_b, full, k,
                             static_cast<int32_t>(p.n_out) + w.tile.n0, w.tile.expert);
        } else {
            ptx::tma_load_3d(b_dst, &tma_b, full, k, w.tile.n0, w.tile.expert);
        }
    }

    // acc[4j + 2h + e]: row row0 + 8h, column col0 + 8j + e of the tile.
    __device__ __forceinline__ void finish(int, int, int) const {}

    __device__ __forceinline__ void store(const WorkItem& w, const float (&acc)[Config<BLOCK_N>::kAccumulators],
                                          int consumer, int warp, int lane) const {
        if (w.tile.expert < 0) return;
        const int64_t row0 = w.tile.m0 + sm90::fragment_row(consumer, warp, lane);
        const int64_t col0 = w.tile.n0 + sm90::fragment_col(lane);
        const int64_t batch_at = int64_t(w.tile.batch) * p.d_batch_stride;
        if (swiglu) {
            constexpr int kUp = BLOCK_N / 16;  // fragment distance from a gate column to its up column
#pragma unroll
            for (int j = 0; j < BLOCK_N / 16; ++j) {
                const int64_t col = col0 + 8 * j;
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    const int64_t row = row0 + 8 * h;
                    if (row < w.tile.row_end) {
                        const float v0 = mg::silu_mul(acc[4 * j + 2 * h], acc[4 * (j + kUp) + 2 * h]);
                        const float v1 = mg::silu_mul(acc[4 * j + 2 * h + 1], acc[4 * (j + kUp) + 2 * h + 1]);
                        mg::store_columns(p, batch_at + row * p.ldd, col, v0, v1);
                    }
                }
            }
        } else {
#pragma unroll
            for (int j = 0; j < BLOCK_N / 8; ++j) {
                const int64_t col = col0 + 8 * j;
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    const int64_t row = row0 + 8 * h;
                    if (row < w.tile.row_end) {
                        mg::store_columns(p, batch_at + row * p.ldd, col, acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]);
                    }
                }
            }
        }
    }
};

template <int BLOCK_N, bool kBf16>
__device__ __forceinline__ void grouped_gemm(const CUtensorMap& tma_a, const CUtensorMap& tma_b,
                                             const ptxkit_moe_gemm_params& p) {
    __shared__ int32_t s_prefix[PTXKIT_MOE_GEMM_MAX_EXPERTS + 1];
    if (p.layout == PTXKIT_MOE_GEMM_MASKED && threadIdx.x < 32) {
        mg::masked_tile_prefix<sm90::BLOCK_M>(p, s_prefix, static_cast<int>(threadIdx.x));
    }
    __syncthreads();
    const bool swiglu = p.epilogue == PTXKIT_MOE_GEMM_EPILOGUE_SWIGLU;
    const GroupedSchedule<BLOCK_N> schedule{
        tma_a,
        tma_b,
        p,
        mg::Walk<sm90::BLOCK_M>::make(p, s_prefix, swiglu ? BLOCK_N / 2 : BLOCK_N),
        static_cast<int32_t>((p.k + sm90::BLOCK_K - 1) / sm90::BLOCK_K),
        swiglu};
    sm90::mainloop<BLOCK_N, kBf16>(schedule);
}

}  // namespace

#define PTXKIT_SM90_GROUPED_KERNEL(name, block_n, is_bf16)                                              \
    extern "C" __global__ void __launch_bounds__(sm90::kThreads, 1)                                     \
        name(const __grid_constant__ CUtensorMap tma_a, const __grid_constant__ CUtensorMap tma_b,      \
             const __grid_constant__ ptxkit_moe_gemm_params params) {                                   \
        grouped_gemm<block_n, is_bf16>(tma_a, tma_b, params);                                           \
    }

PTXKIT_SM90_GROUPED_KERNEL(ptxkit_moe_gemm_sm90_bf16_128x256, 256, true)
PTXKIT_SM90_GROUPED_KERNEL(ptxkit_moe_gemm_sm90_f16_128x256, 256, false)
PTXKIT_SM90_GROUPED_KERNEL(ptxkit_moe_gemm_sm90_bf16_128x128, 128, true)
PTXKIT_SM90_GROUPED_KERNEL(ptxkit_moe_gemm_sm90_f16_128x128, 128, false)
