// The gated-unit (SwiGLU) row layout of the sm80 mainloop's B tile, shared by
// gemm/sm80_mainloop.cuh and the host tests. Header-only, host and device.
//
// A weight [gate; up] (rows 0..I-1 gate, I..2I-1 up) times A gives G, and
// the output column o is silu(G[o]) * G[I + o]. The epilogue can form that
// product only where one thread holds both accumulators. An mma.sync warp
// tile covers warp_cols consecutive tile columns, and every thread holds the
// same column offsets in each of its n8 tiles; so inside each group of
// warp_cols tile rows, the first half are gate rows and the second half the
// up rows of the same outputs: tile row r of warp group w = r / warp_cols,
// s = r % warp_cols, is output o = n0 + w warp_cols / 2 + s % (warp_cols / 2),
// and reads weight row o (s < warp_cols / 2) or I + o. A thread's n8 tile ni
// (< NI / 2) then holds gate values whose up partners sit in tile ni + NI / 2.
#pragma once

#include <stdint.h>

#if defined(__CUDACC__)
#define PTXKIT_HD __host__ __device__ __forceinline__
#else
#define PTXKIT_HD inline
#endif

namespace ptxkit::gemm_glu {

struct GluRow {
    int64_t out;  // the output column the tile row feeds
    int64_t row;  // the weight row it reads
};

PTXKIT_HD GluRow glu_row(int r, int warp_cols, int64_t n0, int64_t up_offset) {
    const int within = r % warp_cols;
    const int half = warp_cols / 2;
    GluRow g;
    g.out = n0 + static_cast<int64_t>(r / warp_cols) * half + within % half;
    g.row = within < half ? g.out : up_offset + g.out;
    return g;
}

}  // namespace ptxkit::gemm_glu

#undef PTXKIT_HD
