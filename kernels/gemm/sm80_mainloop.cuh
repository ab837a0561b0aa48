// The sm80 GEMM mainloop: mma.sync m16n8k16 (bf16/f16 in, fp32 accumulate),
// fed by a multi-stage cp.async pipeline into XOR-swizzled shared memory and
// read with ldmatrix. One copy, used by the dense GEMM (gemm/sm80_gemm.cu)
// and the MoE grouped GEMM (moe/grouped_gemm_sm80.cu); each computes one
// output tile per call from an Operands block that says where the tile's A
// rows and B rows are and how far they reach, and applies its own epilogue
// to the accumulators. Design notes: docs/kernels/gemm_sm80.md.
//
// Each K block of A [BM x 32] and B ([BN x 32] for B [N, K], [32 x BN] for
// B [K, N]) is copied as 16-byte chunks of 8 elements; chunks outside the
// operands are zero-filled by cp.async's src-size operand, and a chunk that
// straddles K (or N, for B [K, N]) copies only its valid elements and
// zero-fills the rest, so M, N and K need not be multiples of anything. Every
// base pointer and leading dimension must keep 16-byte chunks aligned.
#pragma once

#include <cstdint>

#include "common/cp_async.cuh"
#include "common/ldmatrix.cuh"
#include "common/mma.cuh"
#include "gemm/glu_layout.h"

namespace ptxkit::gemm::sm80 {

// A CTA tile: BM x BN outputs, K blocks of 32, kWarpsM x kWarpsN warps each
// owning a (BM / kWarpsM) x (BN / kWarpsN) block of mma tiles, kStages
// shared-memory stages. The host planners mirror these numbers.
template <int kBM, int kBN, int kWarpsM, int kWarpsN, int kStages>
struct TileConfig {
    static constexpr int BM = kBM, BN = kBN, BK = 32;
    static constexpr int WARPS_M = kWarpsM, WARPS_N = kWarpsN, STAGES = kStages;
    static constexpr int THREADS = 32 * kWarpsM * kWarpsN;
    static constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;  // warp tile
    static constexpr int MI = WM / 16, NI = WN / 8;             // m16n8 mma tiles per warp
    static constexpr int A_BYTES = BM * BK * 2;                  // one stage of A, [BM][BK]
    static constexpr int B_BYTES = BN * BK * 2;                  // one stage of B, [BN][BK] or [BK][BN]
    static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
    static constexpr int SMEM_BYTES = STAGES * STAGE_BYTES;
    static constexpr int A_CHUNKS = BM * BK / 8 / THREADS;       // 16-byte chunks per thread per stage
    static constexpr int B_CHUNKS = BN * BK / 8 / THREADS;
    static_assert(WM % 16 == 0 && WN % 16 == 0, "B fragments are loaded two n8 tiles at a time");
    static_assert(BM * BK / 8 % THREADS == 0 && BN * BK / 8 % THREADS == 0, "whole chunks per thread");
    static_assert(THREADS % (BN / 8) == 0, "B [K, N]: every thread keeps one chunk column");
    static_assert(STAGES >= 2, "a pipeline");
};

// 128x128 tile, 8 warps as 2 x 4 (warp tile 64x32), 4 stages: 64 KiB.
using Large = TileConfig<128, 128, 2, 4, 4>;
// 64x64 tile, 4 warps as 2 x 2 (warp tile 32x32), 4 stages: 32 KiB. For decode
// shapes (M <= 64) and for problems the large tile cannot spread over the SMs.
using Small = TileConfig<64, 64, 2, 2, 4>;

// Byte offset of 16-byte chunk `chunk` of row `row` in a swizzled tile whose
// rows are kRowChunks chunks long. Shared memory has 32 banks of 4 bytes, so
// a 128-byte line holds 8 chunk slots; an 8x8 ldmatrix reads one chunk from
// each of 8 rows and is conflict-free iff those 8 chunks land in 8 different
// slots. The chunk's slot within its 128-byte line is XORed with 3 bits taken
// from the line index:
//  - 64-byte rows (BK = 32 for A and B [N, K]): a line holds two rows, chunk
//    slot s = 4 (row & 1) + chunk, physical slot s ^ (line & 7) with line =
//    row / 2. Rows r..r+7 (r a multiple of 8) fill 4 lines whose (line & 7)
//    are 4 consecutive values 4j..4j+3, so slots {c, c + 4} ^ {4j..4j+3} are
//    8 distinct values.
//  - rows of 8k chunks (B [K, N]: 128 or 256 bytes): chunk ^ (row & 7) within
//    each group of 8 chunks; rows r..r+7 give 8 distinct slots.
// cp.async writes stay conflict-free too: each 8-thread phase writes whole
// 128-byte lines, permuted.
template <int kRowChunks>
__device__ __forceinline__ uint32_t swizzle(uint32_t row, uint32_t chunk) {
    if constexpr (kRowChunks == 4) {
        const uint32_t line = row >> 1;
        const uint32_t slot = ((row & 1u) << 2) | chunk;
        return (line << 7) | ((slot ^ (line & 7u)) << 4);
    } else {
        static_assert(kRowChunks % 8 == 0, "rows of 64 bytes or of a multiple of 128 bytes");
        return row * (kRowChunks * 16) + ((chunk ^ (row & 7u)) << 4);
    }
}

__device__ __forceinline__ uint32_t clamp_elems(int n) { return n <= 0 ? 0u : n >= 8 ? 8u : uint32_t(n); }

template <bool kBf16>
__device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    if constexpr (kBf16) {
        ::ptxkit::ptx::mma_m16n8k16_bf16_f32(d, a, b);
    } else {
        ::ptxkit::ptx::mma_m16n8k16_f16_f32(d, a, b);
    }
}

// Where one output tile's operands are. Rows of A at and past m_end (and of
// B past n_end) are read as zeros, and so are K elements at and past k_end.
struct Operands {
    const uint16_t* a;  // row r of A at a + r * lda
    const uint16_t* b;  // B [N, K]: row n at b + n * ldb; B [K, N]: row k at b + k * ldb
    int64_t lda, ldb;
    int64_t m0, m_end;  // the tile's first A row; A rows >= m_end are zeros
    int64_t n0, n_end;  // the tile's first B row (B [K, N]: column); those >= n_end are zeros
    int64_t k_begin;    // a multiple of BK (and so of 8)
    int64_t k_end;
    // B [N, K] only. 0: tile row r of B is row n0 + r. Otherwise the gated-unit
    // layout of gemm/glu_layout.h with warp groups of WN rows and the up half
    // at row glu_up: the tile covers the BN / 2 outputs n0 ..; outputs at and
    // past n_end read zeros.
    int64_t glu_up;
};

// acc = A[m0 .. m0 + BM) x B[n0 .. n0 + BN)^T over K [k_begin, k_end), for the
// whole CTA. Accumulator fragment: acc[mi][ni][2h + e] is tile row
// wm * WM + mi * 16 + lane / 4 + 8h, tile column wn * WN + ni * 8 + 2 (lane % 4) + e,
// with warp = wm * WARPS_N + wn. Leaves no copy in flight; the caller must
// synchronise the CTA before shared memory is written again.
template <class C, bool kBf16, bool kBKn>
__device__ __forceinline__ void mainloop(const Operands& o, uint32_t smem_base, float (&acc)[C::MI][C::NI][4]) {
    namespace ptx = ::ptxkit::ptx;
    const int64_t k_begin = o.k_begin;
    const int64_t k_end = o.k_end;
    const int k_tiles = k_end > k_begin ? int((k_end - k_begin + C::BK - 1) / C::BK) : 0;

    const int tid = int(threadIdx.x);
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int wm = warp / C::WARPS_N;
    const int wn = warp % C::WARPS_N;

    const uint16_t* const a_base = o.a;
    const uint16_t* const b_base = o.b;

    // ---- Copy plan: each thread's chunks, fixed for the whole K loop. ----
    // A [BM][BK]: thread copies chunk column tid % 4 of rows tid / 4 + j * THREADS / 4.
    const int a_col = tid % 4;
    const uint16_t* a_src[C::A_CHUNKS];
    bool a_row_ok[C::A_CHUNKS];
    uint32_t a_dst[C::A_CHUNKS];
#pragma unroll
    for (int j = 0; j < C::A_CHUNKS; ++j) {
        const int r = tid / 4 + j * (C::THREADS / 4);
        const int64_t gm = o.m0 + r;
        a_row_ok[j] = gm < o.m_end;
        a_src[j] = a_row_ok[j] ? a_base + gm * o.lda + k_begin + 8 * a_col : a_base;
        a_dst[j] = swizzle<4>(r, a_col);
    }
    // B [N, K] -> [BN][BK], as A. B [K, N] -> [BK][BN]: thread copies chunk column
    // tid % (BN / 8) (8 columns of N) of K rows tid / (BN / 8) + j * THREADS / (BN / 8).
    constexpr int kKnRowChunks = C::BN / 8;
    const int b_col = kBKn ? tid % kKnRowChunks : tid % 4;
    const int b_row0 = kBKn ? tid / kKnRowChunks : tid / 4;
    constexpr int kBRowStep = kBKn ? C::THREADS / kKnRowChunks : C::THREADS / 4;
    uint32_t b_kn_bytes = 0;  // B [K, N]: valid bytes of this thread's N chunk (fixed)
    const uint16_t* b_src[C::B_CHUNKS];
    bool b_row_ok[C::B_CHUNKS];
    uint32_t b_dst[C::B_CHUNKS];
    if constexpr (kBKn) {
        const int64_t gn = o.n0 + 8 * b_col;
        const int64_t left = o.n_end - gn;
        b_kn_bytes = 2u * (left <= 0 ? 0u : left >= 8 ? 8u : uint32_t(left));
    }
#pragma unroll
    for (int j = 0; j < C::B_CHUNKS; ++j) {
        const int r = b_row0 + j * kBRowStep;
        if constexpr (kBKn) {
            b_row_ok[j] = b_kn_bytes != 0;  // the K bound is checked per K block
            b_src[j] = b_row_ok[j] ? b_base + (k_begin + r) * o.ldb + o.n0 + 8 * b_col : b_base;
            b_dst[j] = swizzle<kKnRowChunks>(r, b_col);
        } else {
            int64_t gn = o.n0 + r;
            int64_t limit_index = gn;
            if (o.glu_up != 0) {
                const ::ptxkit::gemm_glu::GluRow g = ::ptxkit::gemm_glu::glu_row(r, C::WN, o.n0, o.glu_up);
                limit_index = g.out;
                gn = g.row;
            }
            b_row_ok[j] = limit_index < o.n_end;
            b_src[j] = b_row_ok[j] ? b_base + gn * o.ldb + k_begin + 8 * b_col : b_base;
            b_dst[j] = swizzle<4>(r, b_col);
        }
    }

    // Issues the copies of K block kt into `stage` (no commit).
    auto load_block = [&](int stage, int kt) {
        const int64_t k0 = k_begin + int64_t(kt) * C::BK;
        const int k_left = int(min(k_end - k0, int64_t(C::BK)));  // valid K in this block, 1..BK
        const uint32_t a_stage = smem_base + uint32_t(stage) * C::STAGE_BYTES;
        const uint32_t b_stage = a_stage + C::A_BYTES;
        const uint32_t a_bytes = 2u * clamp_elems(k_left - 8 * a_col);
#pragma unroll
        for (int j = 0; j < C::A_CHUNKS; ++j) {
            const uint32_t bytes = a_row_ok[j] ? a_bytes : 0u;
            ptx::cp_async_cg_16(a_stage + a_dst[j], bytes != 0 ? a_src[j] + kt * C::BK : a_base, bytes);
        }
        if constexpr (kBKn) {
#pragma unroll
            for (int j = 0; j < C::B_CHUNKS; ++j) {
                const uint32_t bytes = (b_row_ok[j] && b_row0 + j * kBRowStep < k_left) ? b_kn_bytes : 0u;
                ptx::cp_async_cg_16(b_stage + b_dst[j],
                                    bytes != 0 ? b_src[j] + int64_t(kt) * C::BK * o.ldb : b_base, bytes);
            }
        } else {
            const uint32_t b_bytes = 2u * clamp_elems(k_left - 8 * b_col);
#pragma unroll
            for (int j = 0; j < C::B_CHUNKS; ++j) {
                const uint32_t bytes = b_row_ok[j] ? b_bytes : 0u;
                ptx::cp_async_cg_16(b_stage + b_dst[j], bytes != 0 ? b_src[j] + kt * C::BK : b_base, bytes);
            }
        }
    };

    // ---- ldmatrix addressing (per lane, see ldmatrix.cuh and mma.cuh). ----
    // A, x4 per m16 tile: lanes 0-15 give rows 0-15 at k 0-7, lanes 16-31 rows
    // 0-15 at k 8-15 -> registers a0..a3 of the m16n8k16 A fragment. The tile
    // rows start at multiples of 16, so the swizzle depends on the lane only.
    // B [N, K], x4 per pair of n8 tiles: lanes 0-7 n 0-7 k 0-7 (b0 of tile 0),
    // 8-15 n 0-7 k 8-15 (b1 of tile 0), 16-23 n 8-15 k 0-7, 24-31 n 8-15 k 8-15.
    // B [K, N], x4.trans: lanes 0-7 rows k 0-7 at n 0-7, 8-15 k 8-15 at n 0-7,
    // 16-23 k 0-7 at n 8-15, 24-31 k 8-15 at n 8-15; the transpose hands lane l
    // B[k = 2(l%4), 2(l%4)+1][n = l/4], the same registers as the [N, K] case.
    const uint32_t a_lane_row = uint32_t(lane & 15);
    const uint32_t a_lane_chunk = uint32_t(lane >> 4);
    const uint32_t bnk_lane_row = uint32_t((lane & 7) | ((lane >> 4) << 3));
    const uint32_t bnk_lane_chunk = uint32_t((lane >> 3) & 1);
    const uint32_t bkn_lane_row = uint32_t((lane & 7) | (((lane >> 3) & 1) << 3));
    const uint32_t bkn_lane_chunk = uint32_t(lane >> 4);

#pragma unroll
    for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
        for (int ni = 0; ni < C::NI; ++ni) {
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[mi][ni][e] = 0.0f;
        }
    }

    auto compute_block = [&](int stage) {
        const uint32_t a_stage = smem_base + uint32_t(stage) * C::STAGE_BYTES;
        const uint32_t b_stage = a_stage + C::A_BYTES;
#pragma unroll
        for (int ks = 0; ks < C::BK / 16; ++ks) {
            uint32_t af[C::MI][4];
            uint32_t bf[C::NI][2];
#pragma unroll
            for (int mi = 0; mi < C::MI; ++mi) {
                const uint32_t row0 = uint32_t(wm * C::WM + mi * 16);
                ptx::ldmatrix_x4(af[mi], a_stage + row0 * (C::BK * 2) + swizzle<4>(a_lane_row, 2 * ks + a_lane_chunk));
            }
#pragma unroll
            for (int nj = 0; nj < C::NI / 2; ++nj) {
                uint32_t r[4];
                if constexpr (kBKn) {
                    const uint32_t row = uint32_t(16 * ks) + bkn_lane_row;
                    const uint32_t chunk = uint32_t((wn * C::WN + nj * 16) / 8) + bkn_lane_chunk;
                    ptx::ldmatrix_x4_trans(r, b_stage + swizzle<kKnRowChunks>(row, chunk));
                } else {
                    const uint32_t row0 = uint32_t(wn * C::WN + nj * 16);
                    ptx::ldmatrix_x4(r, b_stage + row0 * (C::BK * 2) +
                                            swizzle<4>(bnk_lane_row, 2 * ks + bnk_lane_chunk));
                }
                bf[2 * nj][0] = r[0];
                bf[2 * nj][1] = r[1];
                bf[2 * nj + 1][0] = r[2];
                bf[2 * nj + 1][1] = r[3];
            }
#pragma unroll
            for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
                for (int ni = 0; ni < C::NI; ++ni) mma<kBf16>(acc[mi][ni], af[mi], bf[ni]);
            }
        }
    };

    // ---- Pipeline. One commit group per K block (empty past the end, so the
    // count stays uniform): before block kt is used, groups 0..kt must be
    // complete, i.e. at most STAGES - 2 younger groups pending. The barrier
    // then makes every thread's copies visible to all warps, and also proves
    // every warp finished block kt - 1, whose stage the next copy overwrites.
    int load_stage = 0;
#pragma unroll
    for (int s = 0; s < C::STAGES - 1; ++s) {
        if (s < k_tiles) load_block(s, s);
        ptx::cp_async_commit_group();
    }
    load_stage = C::STAGES - 1;
    int read_stage = 0;
    for (int kt = 0; kt < k_tiles; ++kt) {
        ptx::cp_async_wait_group<C::STAGES - 2>();
        __syncthreads();
        const int next = kt + C::STAGES - 1;
        if (next < k_tiles) load_block(load_stage, next);
        ptx::cp_async_commit_group();
        load_stage = load_stage == C::STAGES - 1 ? 0 : load_stage + 1;
        compute_block(read_stage);
        read_stage = read_stage == C::STAGES - 1 ? 0 : read_stage + 1;
    }
    ptx::cp_async_wait_group<0>();  // only empty groups remain; leave nothing in flight
}

}  // namespace ptxkit::gemm::sm80
