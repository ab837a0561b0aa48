// The output tiles of the MoE grouped GEMM and the order persistent CTAs walk
// them in, shared by both kernel families (moe/grouped_gemm.cuh) and by the
// host tests that check every tile that exists is visited exactly once.
// Header-only, host and device. Layouts: moe/grouped_gemm_params.h.
//
// A walk has T tile rows (of kBlockM rows) x tiles_n tile columns, in the
// grouped order of gemm/tile_scheduler.h; CTA b takes items b, b + gridDim.x, ...
//   contiguous: T = ceil(min(*total_padded, rows) / kBlockM); tile row i is
//     rows [i kBlockM, (i + 1) kBlockM), whose expert is
//     block_expert[i kBlockM / block_m] (align's block_m is a multiple of
//     kBlockM, so a tile never straddles two experts). A block whose entry is
//     not an expert in [0, E), or which is past block_expert's end, has no
//     expert: nothing is loaded or stored for it.
//   masked: expert e has T_e = ceil(min(counts[e], rows) / kBlockM) tile rows,
//     T = sum T_e; prefix[e] = sum of T_e' for e' < e (prefix[E] = T) turns a
//     tile row into (expert, tile row inside it) by binary search, so the walk
//     holds only tiles that exist.
#pragma once

#include <stdint.h>

#include "gemm/tile_scheduler.h"

#if defined(__CUDACC__)
#define PTXKIT_HD __host__ __device__ __forceinline__
#else
#define PTXKIT_HD inline
#endif

namespace ptxkit::moe_gemm {

struct Tile {
    int32_t m0;       // first row of the tile inside its batch
    int32_t n0;       // first output column
    int32_t expert;   // whose weight; -1: no expert, nothing to load or store
    int32_t batch;    // batch of A and D: 0 (contiguous) or the expert (masked)
    int32_t row_end;  // rows of the batch below row_end are stored
};

// Rows of a batch that count: a device count clamped to [0, rows].
PTXKIT_HD int64_t valid_rows(int32_t count, int64_t rows) {
    const int64_t c = count < 0 ? 0 : count;
    return c < rows ? c : rows;
}

// The contiguous walk's tile `index` (< tiles_m * tiles_n).
PTXKIT_HD Tile contiguous_tile(int64_t index, int32_t tiles_m, int32_t tiles_n, int32_t group_m, int32_t block_m_tile,
                               int32_t log2_block_m, const int32_t* block_expert, int32_t num_blocks,
                               int32_t num_experts, int32_t total_rows, int32_t out_cols) {
    const ptxkit::gemm_tiles::TileCoord c = ptxkit::gemm_tiles::tile_of(index, tiles_m, tiles_n, group_m, 1);
    Tile t;
    t.n0 = c.n * out_cols;
    t.m0 = c.m * block_m_tile;
    t.batch = 0;
    const int32_t block = t.m0 >> log2_block_m;
    const int32_t e = block < num_blocks ? block_expert[block] : -1;
    const bool ok = static_cast<uint32_t>(e) < static_cast<uint32_t>(num_experts);
    t.expert = ok ? e : -1;
    t.row_end = ok ? total_rows : 0;
    return t;
}

// The masked walk's tile `index` (< prefix[E] * tiles_n).
PTXKIT_HD Tile masked_tile(int64_t index, const int32_t* prefix, int32_t num_experts, int32_t tiles_n,
                           int32_t group_m, int32_t block_m_tile, const int32_t* counts, int64_t rows,
                           int32_t out_cols) {
    const ptxkit::gemm_tiles::TileCoord c =
        ptxkit::gemm_tiles::tile_of(index, prefix[num_experts], tiles_n, group_m, 1);
    // The last expert whose first tile row is at or before c.m: experts
    // without rows share their start with the next one and never win.
    int32_t lo = 0, hi = num_experts - 1;
    while (lo < hi) {
        const int32_t mid = (lo + hi + 1) >> 1;
        if (prefix[mid] <= c.m) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Tile t;
    t.n0 = c.n * out_cols;
    t.expert = lo;
    t.batch = lo;
    t.m0 = (c.m - prefix[lo]) * block_m_tile;
    t.row_end = static_cast<int32_t>(valid_rows(counts[lo], rows));
    return t;
}

}  // namespace ptxkit::moe_gemm

#undef PTXKIT_HD
