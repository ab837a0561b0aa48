// The GEMM tile order, shared by the kernels (persistent CTAs walk linear
// tile indices b, b + gridDim.x, ...) and by the host tests that check every
// tile is visited exactly once. Header-only, host and device.
#pragma once

#include <stdint.h>

#if defined(__CUDACC__)
#define PTXKIT_HD __host__ __device__ __forceinline__
#else
#define PTXKIT_HD inline
#endif

namespace ptxkit::gemm_tiles {

struct TileCoord {
    int32_t m;      // tile row
    int32_t n;      // tile column
    int32_t split;  // split-K slice
};

// Linear index -> tile, grouped rasterisation: consecutive indices sweep
// `group_m` tile rows column by column, so CTAs running at the same time share
// A rows and B columns in L2. Split-K slices of one tile are adjacent.
PTXKIT_HD TileCoord tile_of(int64_t index, int32_t tiles_m, int32_t tiles_n, int32_t group_m, int32_t splits) {
    TileCoord t;
    t.split = static_cast<int32_t>(index % splits);
    const int64_t tile = index / splits;
    const int64_t per_group = static_cast<int64_t>(group_m) * tiles_n;
    const int64_t group = tile / per_group;
    const int64_t first_m = group * group_m;
    const int64_t rows = (tiles_m - first_m) < group_m ? (tiles_m - first_m) : group_m;
    const int64_t in_group = tile % per_group;
    t.m = static_cast<int32_t>(first_m + in_group % rows);
    t.n = static_cast<int32_t>(in_group / rows);
    return t;
}

PTXKIT_HD int64_t tile_count(int32_t tiles_m, int32_t tiles_n, int32_t splits) {
    return static_cast<int64_t>(tiles_m) * tiles_n * splits;
}

// Clusters of `ctas` CTAs along M (the sm90 GEMM's B-sharing pairs): the
// work items are groups of `ctas` tile rows, walked by tile_of, and the CTA
// of rank r takes row ctas * group + r of its item. With tiles_m not a
// multiple of ctas the last groups hold rows >= tiles_m: the kernel computes
// them (its peer needs its half of the shared B tile) but stores nothing.
PTXKIT_HD int32_t cluster_item_rows(int32_t tiles_m, int32_t ctas) { return (tiles_m + ctas - 1) / ctas; }

PTXKIT_HD TileCoord cluster_tile_of(int64_t index, int32_t tiles_m, int32_t tiles_n, int32_t group_m, int32_t splits,
                                    int32_t ctas, int32_t rank) {
    TileCoord t = tile_of(index, cluster_item_rows(tiles_m, ctas), tiles_n, group_m, splits);
    t.m = t.m * ctas + rank;
    return t;
}

}  // namespace ptxkit::gemm_tiles

#undef PTXKIT_HD
