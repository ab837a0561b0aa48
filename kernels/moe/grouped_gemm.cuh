// What the sm90 and sm80 MoE grouped GEMM kernels share: the walk over the
// output tiles that exist (moe/grouped_tiles.h; read from device memory, so
// the launch needs no host synchronisation), the per-CTA prefix table of the
// masked layout, and the stores of the epilogue. Parameters and the two
// layouts: moe/grouped_gemm_params.h.
#pragma once

#include <cstdint>

#include "common/ptx_convert.cuh"
#include "common/ptx_warp.cuh"
#include "gemm/gemm_params.h"
#include "moe/grouped_gemm_params.h"
#include "moe/grouped_tiles.h"

namespace ptxkit::moe_gemm {

// Masked layout, called by the 32 lanes of one warp: prefix[e] = tile rows of
// the experts before e, prefix[E] = all of them. Lane l sums the experts
// [l P, l P + P), P = ceil(E / 32) <= 16, then a warp scan places each run.
template <int kBlockM>
__device__ __forceinline__ void masked_tile_prefix(const ptxkit_moe_gemm_params& p, int32_t* prefix, int lane) {
    constexpr int kMaxPerLane = PTXKIT_MOE_GEMM_MAX_EXPERTS / 32;
    const int experts = p.num_experts;
    const int per_lane = (experts + 31) / 32;
    int32_t tiles[kMaxPerLane];
    int32_t sum = 0;
#pragma unroll
    for (int i = 0; i < kMaxPerLane; ++i) {
        const int e = lane * per_lane + i;
        tiles[i] = 0;
        if (i < per_lane && e < experts) {
            tiles[i] = static_cast<int32_t>((valid_rows(p.counts[e], p.rows) + kBlockM - 1) / kBlockM);
        }
        sum += tiles[i];
    }
    int32_t inclusive = sum;
#pragma unroll
    for (int d = 1; d < 32; d <<= 1) {
        const auto up = static_cast<int32_t>(
            ::ptxkit::ptx::shfl_idx_b32(static_cast<uint32_t>(inclusive), lane >= d ? lane - d : lane));
        if (lane >= d) inclusive += up;
    }
    int32_t run = inclusive - sum;
#pragma unroll
    for (int i = 0; i < kMaxPerLane; ++i) {
        const int e = lane * per_lane + i;
        if (i < per_lane && e < experts) {
            prefix[e] = run;
            run += tiles[i];
        }
    }
    if (lane == 31) prefix[experts] = inclusive;
}

template <int kBlockM>
struct Walk {
    const ptxkit_moe_gemm_params* p;
    const int32_t* prefix;  // masked: the shared table above
    int32_t tiles_m;        // tile rows that exist
    int32_t total_rows;     // contiguous: min(*total_padded, rows)
    int32_t out_cols;       // output columns per tile

    // After the prefix table (if any) is complete and visible to the thread.
    static __device__ __forceinline__ Walk make(const ptxkit_moe_gemm_params& params, const int32_t* table,
                                                int32_t columns) {
        Walk w;
        w.p = &params;
        w.prefix = table;
        w.out_cols = columns;
        if (params.layout == PTXKIT_MOE_GEMM_MASKED) {
            w.total_rows = 0;
            w.tiles_m = table[params.num_experts];
        } else {
            const int64_t total = valid_rows(params.total_padded[0], params.rows);
            w.total_rows = static_cast<int32_t>(total);
            w.tiles_m = static_cast<int32_t>((total + kBlockM - 1) / kBlockM);
        }
        return w;
    }

    __device__ __forceinline__ int64_t count() const { return int64_t(tiles_m) * p->tiles_n; }

    __device__ __forceinline__ Tile tile(int64_t index) const {
        if (p->layout == PTXKIT_MOE_GEMM_MASKED) {
            return masked_tile(index, prefix, p->num_experts, p->tiles_n, p->group_m, kBlockM, p->counts, p->rows,
                               out_cols);
        }
        return contiguous_tile(index, tiles_m, p->tiles_n, p->group_m, kBlockM, p->log2_block_m, p->block_expert,
                               p->num_blocks, p->num_experts, total_rows, out_cols);
    }
};

// SwiGLU's gate activation times the up value, as the GEMM epilogue's silu.
__device__ __forceinline__ float silu_mul(float gate, float up) { return gate / (1.0f + expf(-gate)) * up; }

// D at element offset `at` (from p.d) and, for a pair, at + 1. A pair needs an
// even offset, which the host guarantees by requiring even strides.
__device__ __forceinline__ void store_pair(const ptxkit_moe_gemm_params& p, int64_t at, float v0, float v1) {
    if (p.d_dtype == PTXKIT_GEMM_F32) {
        *reinterpret_cast<float2*>(static_cast<float*>(p.d) + at) = make_float2(v0, v1);
    } else {
        const uint32_t packed = p.d_dtype == PTXKIT_GEMM_BF16 ? ::ptxkit::ptx::cvt_rn_bf16x2_f32(v0, v1)
                                                              : ::ptxkit::ptx::cvt_rn_f16x2_f32(v0, v1);
        *reinterpret_cast<uint32_t*>(static_cast<uint16_t*>(p.d) + at) = packed;
    }
}

__device__ __forceinline__ void store_one(const ptxkit_moe_gemm_params& p, int64_t at, float v) {
    if (p.d_dtype == PTXKIT_GEMM_F32) {
        static_cast<float*>(p.d)[at] = v;
    } else {
        const uint32_t packed = p.d_dtype == PTXKIT_GEMM_BF16 ? ::ptxkit::ptx::cvt_rn_bf16x2_f32(v, 0.0f)
                                                              : ::ptxkit::ptx::cvt_rn_f16x2_f32(v, 0.0f);
        static_cast<uint16_t*>(p.d)[at] = static_cast<uint16_t>(packed & 0xffffu);
    }
}

// Columns col and col + 1 (col even) of one row starting at element `row_at`.
__device__ __forceinline__ void store_columns(const ptxkit_moe_gemm_params& p, int64_t row_at, int64_t col, float v0,
                                              float v1) {
    if (col + 1 < p.n_out) {
        store_pair(p, row_at + col, v0, v1);
    } else if (col < p.n_out) {
        store_one(p, row_at + col, v0);
    }
}

}  // namespace ptxkit::moe_gemm
