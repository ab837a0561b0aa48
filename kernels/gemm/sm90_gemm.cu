// ptxkit-module: sass=sm_90a ptx=none hot=*
//
// Hopper GEMM: TMA loads into a ring of shared-memory stages, wgmma from
// shared-memory descriptors, warp specialisation, persistent CTAs. The
// mainloop (producer and consumer warpgroups, the stage ring) is
// gemm/sm90_mainloop.cuh, shared with the MoE grouped GEMM; this file is the
// dense GEMM's schedule: its work items, its two 2-D TMA loads and its
// epilogue. Design, budget and status: docs/kernels/gemm_sm90.md. Host side:
// src/ops/gemm_sm90.cpp (plan_sm90, launch_sm90), which must agree with the
// constants of sm90_mainloop.cuh (tile sizes, stage counts, shared-memory
// layout).
//
// Work items (tile, K slice) are walked persistently: CTA b takes b,
// b + gridDim.x, ... in the order of ptxkit::gemm_tiles::tile_of. Launched
// in clusters of two along M, both CTAs take the same item (two vertically
// adjacent tiles) and share each B tile through TMA multicast.
//
// Requires (checked by plan_sm90): A [M, K], and B [N, K] (K-major, kernels
// ..._128xN) or [K, N] (N-major, kernels ..._128xN_kn), bf16 or f16,
// 16-byte aligned bases and leading dimensions a multiple of 8 elements; with
// split-K, k_per_split a multiple of BLOCK_K (so a K block never crosses into
// the next slice: TMA zero-fills only at the tensor's edges, not at a slice's).
#include <cuda.h>  // CUtensorMap

#include <cstdint>

#include "common/ldmatrix.cuh"
#include "common/tma.cuh"
#include "common/wgmma.cuh"
#include "gemm/epilogue.cuh"
#include "gemm/gemm_params.h"
#include "gemm/sm90_mainloop.cuh"
#include "gemm/tile_scheduler.h"

namespace {

namespace ptx = ptxkit::ptx;
namespace sm90 = ptxkit::gemm::sm90;

using sm90::BLayout;
using sm90::BLOCK_K;
using sm90::BLOCK_M;
using sm90::Config;

// One (tile, K slice) of the persistent walk.
struct WorkItem {
    int64_t m0, n0;     // first row and column of the output tile
    int64_t m_load;     // the row A is loaded from: m0, or in a cluster whose
                        // second tile lies past M, the first tile's (never stored)
    int64_t k_begin;    // first K element of the slice
    int32_t k_blocks;   // K blocks in the slice (0 when the slice is empty)
    int32_t split;
};

// Accumulator fragment (wgmma.cuh): acc[4j + 2h + e] is row
// row0 + 8h, column col0 + 8j + e, with row0 = 16 warp + lane / 4 and
// col0 = 2 (lane % 4) relative to the consumer's 64-row slab.
template <int BLOCK_N>
__device__ __forceinline__ void store_tile(const ptxkit_gemm_params& p, const float (&acc)[Config<BLOCK_N>::kAccumulators],
                                           int64_t row0, int64_t col0) {
#pragma unroll
    for (int j = 0; j < BLOCK_N / 8; ++j) {
        const int64_t col = col0 + 8 * j;
        if (col < p.n) {
            const bool pair = col + 1 < p.n;
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const int64_t row = row0 + 8 * h;
                if (row < p.m) {
                    const float v0 = ptxkit::gemm::epilogue_value(p, acc[4 * j + 2 * h], row, col);
                    if (pair) {
                        const float v1 = ptxkit::gemm::epilogue_value(p, acc[4 * j + 2 * h + 1], row, col + 1);
                        ptxkit::gemm::store_d_pair(p, row, col, v0, v1);
                    } else {
                        ptxkit::gemm::store_d(p, row, col, v0);
                    }
                }
            }
        }
    }
}

// Split-K: raw fp32 partial sums of slice `split` to workspace[split] ([M, N],
// leading dimension N); the reduction kernel applies the epilogue.
template <int BLOCK_N>
__device__ __forceinline__ void store_partial(const ptxkit_gemm_params& p, const float (&acc)[Config<BLOCK_N>::kAccumulators],
                                              int32_t split, int64_t row0, int64_t col0) {
    float* plane = p.workspace + int64_t(split) * p.m * p.n;
    // 8-byte stores need an even N (then every row start and slice plane is even)
    // and an 8-byte aligned workspace.
    const bool vector_ok = (p.n % 2) == 0 && (reinterpret_cast<uintptr_t>(p.workspace) % 8) == 0;
#pragma unroll
    for (int j = 0; j < BLOCK_N / 8; ++j) {
        const int64_t col = col0 + 8 * j;
        if (col < p.n) {
            const bool pair = col + 1 < p.n;
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const int64_t row = row0 + 8 * h;
                if (row < p.m) {
                    float* out = plane + row * p.n + col;
                    const float v0 = acc[4 * j + 2 * h], v1 = acc[4 * j + 2 * h + 1];
                    if (pair && vector_ok) {
                        *reinterpret_cast<float2*>(out) = make_float2(v0, v1);
                    } else {
                        out[0] = v0;
                        if (pair) out[1] = v1;
                    }
                }
            }
        }
    }
}

// The TMA-store epilogue (p.d_tma_store: 16-bit D, no split-K). Consumer
// c writes its 64-row slab in 64-column chunks: epilogue values packed to
// 16 bits, stmatrix into one of its two 8 KB staging buffers (128B-swizzled:
// row r at r * 128, 16-byte chunk j at j ^ (r % 8), as TMA expects for a
// {64 columns, 64 rows} box), fence.proxy.async, then one thread issues the
// TMA store, which clips rows >= M and columns >= N, and goes on: the copy
// overlaps the next chunk and the next tile's mainloop. A buffer is written
// again only after the store that read it has finished reading
// (cp.async.bulk.wait_group.read 1: the other buffer's may still run; 0 at
// a tile's first chunk).
// The 128 threads of one consumer warpgroup (barrier ids 1 and 2; 0 is
// __syncthreads). The id must be an immediate.
__device__ __forceinline__ void consumer_barrier(int consumer) {
    if (consumer == 0) {
        ptx::named_barrier_sync<1, 128>();
    } else {
        ptx::named_barrier_sync<2, 128>();
    }
}

template <int BLOCK_N>
__device__ __forceinline__ void store_tile_tma(const ptxkit_gemm_params& p, const CUtensorMap& tma_d,
                                               const float (&acc)[Config<BLOCK_N>::kAccumulators], int64_t slab_m0,
                                               int64_t n0, int consumer, int warp, int lane) {
    using Cfg = Config<BLOCK_N>;
    if (slab_m0 >= p.m) return;  // the whole slab is past M (uniform over the warpgroup)
    const uint32_t buffers =
        sm90::aligned_smem_base() + Cfg::kEpilogueOffset + uint32_t(consumer) * 2 * Cfg::kEpilogueBufferBytes;
    const bool issuer = warp == 0 && lane == 0;
    const bool bf16 = p.cd_dtype == PTXKIT_GEMM_BF16;
    // This lane's stmatrix row address: matrix lane / 8 of the x4 is column
    // block (lane / 16) of the pair, rows 8 ((lane / 8) % 2) + lane % 8 of the warp's 16.
    const int row_in_slab = warp * 16 + 8 * ((lane >> 3) & 1) + (lane & 7);
    const int block_of_pair = lane >> 4;
    const int64_t row_base = slab_m0 + warp * 16 + lane / 4;
    const int col_in_block = 2 * (lane % 4);
#pragma unroll
    for (int c = 0; c < BLOCK_N / 64; ++c) {
        const int64_t chunk_n0 = n0 + 64 * c;
        if (chunk_n0 >= p.n) break;  // uniform: the rest of the tile is past N
        const uint32_t buffer = buffers + uint32_t(c % 2) * Cfg::kEpilogueBufferBytes;
        // Chunk c - 2 used this buffer; at c = 0 the previous tile's last
        // chunk may have used either (it stops early at N), so wait for all.
        if (issuer) {
            if (c == 0) {
                ptx::tma_store_wait_read<0>();
            } else {
                ptx::tma_store_wait_read<1>();
            }
        }
        consumer_barrier(consumer);
#pragma unroll
        for (int jj = 0; jj < 8; jj += 2) {
            uint32_t packed[4];
#pragma unroll
            for (int m = 0; m < 4; ++m) {
                const int j = 8 * c + jj + m / 2;  // column block of the tile
                const int h = m % 2;               // rows +0 / +8
                const int64_t row = row_base + 8 * h;
                const int64_t col = n0 + 8 * j + col_in_block;
                float v0 = 0.0f, v1 = 0.0f;
                if (row < p.m) {
                    if (col < p.n) v0 = ptxkit::gemm::epilogue_value(p, acc[4 * j + 2 * h], row, col);
                    if (col + 1 < p.n) v1 = ptxkit::gemm::epilogue_value(p, acc[4 * j + 2 * h + 1], row, col + 1);
                }
                packed[m] = bf16 ? ptx::cvt_rn_bf16x2_f32(v0, v1) : ptx::cvt_rn_f16x2_f32(v0, v1);
            }
            const int block = jj + block_of_pair;  // 16-byte chunk of the 128-byte row, before the swizzle
            const uint32_t addr = buffer + uint32_t(row_in_slab) * 128u + (uint32_t(block ^ (row_in_slab & 7)) << 4);
            ptx::stmatrix_x4(addr, packed[0], packed[1], packed[2], packed[3]);
        }
        ptx::fence_proxy_async_shared_cta();
        consumer_barrier(consumer);
        if (issuer) {
            ptx::tma_store_2d(&tma_d, buffer, static_cast<int32_t>(chunk_n0), static_cast<int32_t>(slab_m0));
            ptx::tma_store_commit();
        }
    }
}

// The dense GEMM's schedule for sm90_mainloop.cuh. tma_b maps B [N, K]
// (KMajor: {K, N}, box 64 x BLOCK_N) or B [K, N] (MNMajor: {N, K}, box 64 x 64).
template <int BLOCK_N, BLayout kB>
struct GemmSchedule {
    static constexpr bool kClusters = true;
    const CUtensorMap& tma_a;
    const CUtensorMap& tma_b;
    const CUtensorMap& tma_d;  // used only when p.d_tma_store
    const ptxkit_gemm_params& p;
    // The cluster (%cluster_nctarank CTAs along M: 1, or 2 sharing each B
    // tile, tma_b's K-major box then covering BLOCK_N / 2 rows) and this
    // CTA's rank in it: special registers, read where needed rather than
    // kept live across the mainloop's setmaxnreg.
    __device__ __forceinline__ static int32_t ctas() { return int32_t(ptx::cluster_ctas()); }
    __device__ __forceinline__ static int32_t rank() { return int32_t(ptx::cluster_ctarank()); }

    __device__ __forceinline__ void prefetch() const {
        ptx::prefetch_tensormap(&tma_a);
        ptx::prefetch_tensormap(&tma_b);
        if (p.d_tma_store) ptx::prefetch_tensormap(&tma_d);
    }

    // Items are (group of `ctas` tile rows, tile column, K slice)
    // (tile_scheduler.h, cluster_tile_of).
    __device__ __forceinline__ int64_t items() const {
        return ptxkit::gemm_tiles::tile_count(ptxkit::gemm_tiles::cluster_item_rows(p.tiles_m, ctas()), p.tiles_n,
                                              p.splits);
    }

    __device__ __forceinline__ WorkItem item(int64_t index) const {
        const int32_t r = rank();
        const ptxkit::gemm_tiles::TileCoord t =
            ptxkit::gemm_tiles::cluster_tile_of(index, p.tiles_m, p.tiles_n, p.group_m, p.splits, ctas(), r);
        WorkItem w;
        w.m0 = int64_t(t.m) * BLOCK_M;
        // A tile past M (a cluster's second row at the bottom edge) loads the
        // group's first tile's rows of A, which exist (never stored).
        w.m_load = w.m0 < p.m ? w.m0 : w.m0 - int64_t(r) * BLOCK_M;
        w.n0 = int64_t(t.n) * BLOCK_N;
        w.split = t.split;
        w.k_begin = int64_t(t.split) * p.k_per_split;
        const int64_t k_end = min(p.k, w.k_begin + p.k_per_split);
        w.k_blocks = k_end > w.k_begin ? int32_t((k_end - w.k_begin + BLOCK_K - 1) / BLOCK_K) : 0;
        return w;
    }

    __device__ __forceinline__ void load(const WorkItem& w, int32_t kb, uint32_t a_dst, uint32_t b_dst,
                                         uint32_t full) const {
        const int32_t k = static_cast<int32_t>(w.k_begin + int64_t(kb) * BLOCK_K);
        ptx::tma_load_2d(a_dst, &tma_a, full, k, static_cast<int32_t>(w.m_load));
        // A box wholly past N (at the right edge) loads the tile's first box
        // again instead: the stage's byte count stays the constant the
        // mainloop expects without relying on how TMA counts a box that lies
        // entirely outside the tensor, and the accumulator columns it feeds
        // are never stored.
        auto column = [&](int64_t n) { return static_cast<int32_t>(n < p.n ? n : w.n0); };
        if (ctas() == 1) {
            if constexpr (kB == BLayout::KMajor) {
                ptx::tma_load_2d(b_dst, &tma_b, full, k, static_cast<int32_t>(w.n0));
            } else {
#pragma unroll
                for (int c = 0; c < BLOCK_N / sm90::kBBoxN; ++c) {
                    ptx::tma_load_2d(b_dst + c * sm90::kBBoxBytes, &tma_b, full, column(w.n0 + c * sm90::kBBoxN), k);
                }
            }
        } else {
            // Cluster of two: this CTA loads its half of the B tile into both
            // CTAs' stage (same offset) and completes both full barriers.
            constexpr uint16_t kBoth = 0x3;
            if constexpr (kB == BLayout::KMajor) {
                constexpr int kHalfRows = BLOCK_N / 2;
                const int32_t r = rank();
                ptx::tma_load_2d_multicast(b_dst + uint32_t(r * kHalfRows) * sm90::kSwizzleRowBytes, &tma_b, full, k,
                                           column(w.n0 + int64_t(r) * kHalfRows), kBoth);
            } else {
                constexpr int kHalfBoxes = BLOCK_N / sm90::kBBoxN / 2;
#pragma unroll
                for (int i = 0; i < kHalfBoxes; ++i) {
                    const int c = rank() * kHalfBoxes + i;
                    ptx::tma_load_2d_multicast(b_dst + c * sm90::kBBoxBytes, &tma_b, full,
                                               column(w.n0 + c * sm90::kBBoxN), k, kBoth);
                }
            }
        }
    }

    __device__ __forceinline__ void store(const WorkItem& w, const float (&acc)[Config<BLOCK_N>::kAccumulators],
                                          int consumer, int warp, int lane) const {
        const int64_t row0 = w.m0 + consumer * sm90::WGMMA_M + warp * 16 + lane / 4;
        const int64_t col0 = w.n0 + 2 * (lane % 4);
        if (p.splits > 1) {
            store_partial<BLOCK_N>(p, acc, w.split, row0, col0);
        } else if (p.d_tma_store) {
            store_tile_tma<BLOCK_N>(p, tma_d, acc, w.m0 + consumer * sm90::WGMMA_M, w.n0, consumer, warp, lane);
        } else {
            store_tile<BLOCK_N>(p, acc, row0, col0);
        }
    }

    // The last TMA stores must have read their staging buffers before the
    // CTA's shared memory goes away.
    __device__ __forceinline__ void finish(int, int warp, int lane) const {
        if (p.d_tma_store && warp == 0 && lane == 0) ptx::tma_store_wait<0>();
    }
};

}  // namespace

#define PTXKIT_SM90_GEMM_KERNEL(name, block_n, is_bf16, b_layout)                                           \
    extern "C" __global__ void __launch_bounds__(sm90::kThreads, 1)                                         \
        name(const __grid_constant__ CUtensorMap tma_a, const __grid_constant__ CUtensorMap tma_b,          \
             const __grid_constant__ CUtensorMap tma_d, const __grid_constant__ ptxkit_gemm_params params) {   \
        sm90::mainloop<block_n, is_bf16, b_layout>(                                                         \
            GemmSchedule<block_n, b_layout>{tma_a, tma_b, tma_d, params});                                  \
    }

PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_bf16_128x256, 256, true, BLayout::KMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_f16_128x256, 256, false, BLayout::KMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_bf16_128x128, 128, true, BLayout::KMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_f16_128x128, 128, false, BLayout::KMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_bf16_128x256_kn, 256, true, BLayout::MNMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_f16_128x256_kn, 256, false, BLayout::MNMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_bf16_128x128_kn, 128, true, BLayout::MNMajor)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_f16_128x128_kn, 128, false, BLayout::MNMajor)
