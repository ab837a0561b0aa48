// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// Decode attention over a paged KV cache, split along the keys (split-KV),
// with a log-sum-exp merge. Semantics: include/ptxkit/attention.hpp; the
// parameter block: attention/attention_params.h; planner and launcher:
// src/ops/attention_decode.cpp; design notes: docs/kernels/attention_decode.md.
//
// ptxkit_attention_decode_d{64,128,256}_r{16,32,64}: one CTA per
// (row chunk, split, KV head, sequence), in that order from fastest to slowest
// in blockIdx.x. The rows of a KV head are its q_len x (Hq / Hkv) query rows,
// row r = t * group + j for query t and head kvh * group + j, so one CTA reads
// each K/V byte of its key range once for every query head that shares it.
// r16 / r32 / r64 name how many rows a CTA holds (padded to 16 per warp);
// more rows than 64 are cut into chunks of 64, one CTA each (the chunks of a
// KV head are adjacent in the grid, so the K/V re-reads mostly hit L2).
//
// Key blocks of BN keys (64 for D = 64, else 32) stream through a cp.async ring:
// every 16-byte chunk of K and V of a block is its own cp.async, its address
// taken from the page table, so a block spans BN / page_size pages and
// page_size 16 costs no more than 256. Warps own 16-row slices of the CTA's
// rows (WM of them) and 1/WN of every block's keys; S = Q K^T and O += P V are
// mma.sync m16n8k16 with fp32 accumulators, the softmax is online in log2
// units (ex2), and the WN warps that share rows merge at the end.
//
// ptxkit_attention_decode_merge: one warp per (sequence, query, head) row,
// combining the splits' normalised partial outputs by their log-sum-exp, in
// split order.
#include <cstdint>

#include "attention/attention_params.h"
#include "common/cp_async.cuh"
#include "common/ldmatrix.cuh"
#include "common/mma.cuh"
#include "common/ptx_convert.cuh"
#include "common/ptx_math.cuh"
#include "common/ptx_memory.cuh"
#include "common/ptx_sync.cuh"
#include "common/ptx_warp.cuh"

namespace {

namespace ptx = ptxkit::ptx;

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
// The merge keeps every split's weight in shared memory; the planner never
// asks for more (kMaxSplits in src/ops/attention_decode.cpp).
constexpr int kMaxSplits = 128;
constexpr int kMergeWarps = 4;

__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }
__device__ __forceinline__ float quiet_nan() { return __int_as_float(0x7fc00000); }

// A CTA configuration. The host planner mirrors ROWS, BN, THREADS and
// SMEM_BYTES (static_asserts below pin them).
// kKeyStep: keys per online-softmax step (bounds the S registers); kQInRegs:
// Q's A fragments (D / 4 registers) are kept for the whole split rather than
// re-read from shared memory for every step.
template <int kD, int kWarpsM, int kWarpsN, int kBlockN, int kStages, int kKeyStep, bool kQInRegs>
struct DecodeConfig {
    static constexpr int D = kD, WM = kWarpsM, WN = kWarpsN, BN = kBlockN, STAGES = kStages;
    static constexpr int THREADS = 32 * WM * WN;
    static constexpr int ROWS = 16 * WM;
    static constexpr int KW = BN / WN;                 // keys of a block each warp takes
    static constexpr int KSUB = kKeyStep;
    static constexpr int ROW_BYTES = 2 * D;
    static constexpr int CPR = D / 8;                  // 16-byte chunks per row
    static constexpr int TILE_BYTES = BN * ROW_BYTES;  // K (or V) of one block
    static constexpr int STAGE_BYTES = 2 * TILE_BYTES;
    static constexpr int Q_OFFSET = STAGES * STAGE_BYTES;
    static constexpr int Q_BYTES = ROWS * ROW_BYTES;
    static constexpr int STATS_OFFSET = Q_OFFSET + Q_BYTES;
    static constexpr int STATS = 64;                   // floats per statistics array (m, l, lse)
    static constexpr int SMEM_BYTES = STATS_OFFSET + 3 * STATS * 4;
    static constexpr int KV_CHUNKS = BN * CPR / THREADS;  // per thread, per tensor, per block
    static constexpr int KV_ROW_STEP = THREADS / CPR;
    static constexpr int Q_CHUNKS = ROWS * CPR / THREADS;
    static constexpr int SLOTS = BN / 16;              // pages one block can touch (page_size >= 16)
    static constexpr bool Q_IN_REGS = kQInRegs;
    // Staged fp32 row. The accumulator's float2 stores go out in half-warps:
    // lanes (g, tq), g = 0..3, tq = 0..3, at word g * O_STRIDE + 2 tq. With
    // O_STRIDE = 8 (mod 32) they fill the 32 banks exactly; D + 4 (4 mod 32)
    // would put rows g and g + 1 two banks apart, a 2-way conflict.
    static constexpr int O_STRIDE = D + 8;
    static constexpr int STAGING_BYTES = WN * ROWS * O_STRIDE * 4;

    static_assert(WM * WN * 32 == THREADS && (THREADS == 64 || THREADS == 128), "2 or 4 warps");
    static_assert(KW % 16 == 0 && KW % KSUB == 0 && KSUB % 16 == 0, "whole k16 steps of P V per warp");
    static_assert(D % 64 == 0, "swizzled rows are whole 128-byte lines");
    static_assert(BN * CPR % THREADS == 0 && ROWS * CPR % THREADS == 0 && THREADS % CPR == 0, "whole chunks");
    static_assert(WN * ROWS <= STATS, "statistics arrays hold every (warp column, row)");
    static_assert(STAGING_BYTES <= STATS_OFFSET, "the staged output fits over the K/V ring and Q");
    static_assert(STAGES >= 2, "a pipeline");
};

// The ring is 64 KiB in every configuration: 4 stages of 16 KiB (D = 64:
// 64 keys; D = 128: 32 keys), so three blocks stay in flight while one is
// used, or 2 stages of 32 KiB for D = 256 (two more would pass the 99 KiB a
// block may have on sm_86 / sm_89). Warps: r16 splits a block's keys over
// its warps (16 keys each), r32 is 2 x 2, r64 gives each of 4 warps 16 rows
// and all the keys of a block. Registers: Q stays in registers where that
// fits the occupancy the shared memory allows (ptxas figures in the design
// notes); for D = 256 the 128 O accumulators leave no room for it.
using D64R16 = DecodeConfig<64, 1, 4, 64, 4, 16, true>;
using D64R32 = DecodeConfig<64, 2, 2, 64, 4, 32, true>;
using D64R64 = DecodeConfig<64, 4, 1, 64, 4, 32, true>;
using D128R16 = DecodeConfig<128, 1, 2, 32, 4, 16, true>;
using D128R32 = DecodeConfig<128, 2, 2, 32, 4, 16, false>;
using D128R64 = DecodeConfig<128, 4, 1, 32, 4, 32, true>;
using D256R16 = DecodeConfig<256, 1, 2, 32, 2, 16, false>;
using D256R32 = DecodeConfig<256, 2, 2, 32, 2, 16, false>;
using D256R64 = DecodeConfig<256, 4, 1, 32, 2, 16, false>;
// Kept in step with kDecodeConfigs in src/ops/attention_decode.cpp.
static_assert(D64R16::SMEM_BYTES == 68352 && D64R32::SMEM_BYTES == 70400 && D64R64::SMEM_BYTES == 74496);
static_assert(D128R16::SMEM_BYTES == 70400 && D128R32::SMEM_BYTES == 74496 && D128R64::SMEM_BYTES == 82688);
static_assert(D256R16::SMEM_BYTES == 74496 && D256R32::SMEM_BYTES == 82688 && D256R64::SMEM_BYTES == 99072);
static_assert(D64R16::THREADS == 128 && D64R32::THREADS == 128 && D64R64::THREADS == 128);
static_assert(D128R16::THREADS == 64 && D128R32::THREADS == 128 && D128R64::THREADS == 128);
static_assert(D256R16::THREADS == 64 && D256R32::THREADS == 128 && D256R64::THREADS == 128);

// Tiles in shared memory are rows of kRowBytes (a multiple of 128) holding
// 16-byte chunks, chunk c of row r stored in slot c ^ (r & 7) of its 128-byte
// group. An 8x8 ldmatrix reads one chunk column from 8 consecutive rows, which
// would otherwise sit in the same 4 banks; the XOR puts the 8 reads in 8
// different slots. The cp.async writes (8 consecutive chunks of a row per 8
// threads) stay a permutation of one line, so they are conflict-free too.
//
// A lane's base offset is row * kRowBytes + ((c0 ^ (row & 7)) << 4) with c0 in
// 0..7; moving to chunk c0 + c (c even when c0 is 0 or 1, or c0 = 0) only
// flips bits 4..6 by c & 7 and adds the whole 8-chunk groups of c, so the
// per-step offsets are one XOR with a constant and an immediate.
template <int kRowBytes>
__device__ __forceinline__ uint32_t lane_offset(uint32_t row, uint32_t chunk0) {
    return row * uint32_t(kRowBytes) + ((chunk0 ^ (row & 7u)) << 4);
}

__device__ __forceinline__ uint32_t chunk_step(uint32_t base, int chunk) {
    return uint32_t(chunk & ~7) * 16u + (base ^ (uint32_t(chunk & 7) << 4));
}

template <bool kBf16>
__device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    if constexpr (kBf16) {
        ptx::mma_m16n8k16_bf16_f32(d, a, b);
    } else {
        ptx::mma_m16n8k16_f16_f32(d, a, b);
    }
}

template <bool kBf16>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
    if constexpr (kBf16) {
        return ptx::cvt_rn_bf16x2_f32(lo, hi);
    } else {
        return ptx::cvt_rn_f16x2_f32(lo, hi);
    }
}

// The split kernel for one CTA (see the file comment).
template <class C, bool kBf16>
__device__ __forceinline__ void decode_split(const ptxkit_attention_decode_params& p, unsigned char* smem) {
    constexpr int D = C::D;
    const int tid = int(threadIdx.x);
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int wm = warp / C::WN;
    const int wn = warp % C::WN;

    // ---- Work item. ----
    const int group = p.heads_q / p.heads_kv;
    const int rows_total = p.q_len * group;
    const int row_chunks = (rows_total + C::ROWS - 1) / C::ROWS;
    int item = int(blockIdx.x);
    const int row_chunk = item % row_chunks;
    item /= row_chunks;
    const int split = item % p.splits;
    item /= p.splits;
    const int kvh = item % p.heads_kv;
    const int b = item / p.heads_kv;
    const int row0 = row_chunk * C::ROWS;
    const int rows_here = min(C::ROWS, rows_total - row0);

    // ---- Key range. With a sliding window only the keys from the first
    // query's window on can be attended: the splits then divide
    // [window_base, seq_len) (window_base that key rounded down to a block,
    // so blocks never straddle two splits; the host sized keys_per_split
    // for q_len + window_left + BN - 1 keys), otherwise [0, seq_len).
    // keys_per_split is a multiple of BN. ----
    const int seq_len = max(0, min(p.seq_lens[b], p.max_seq_len));
    int64_t first_attended = 0;
    if (p.window_left >= 0) first_attended = max(int64_t(0), int64_t(seq_len) - p.q_len - p.window_left);
    const int64_t window_base = first_attended / C::BN * C::BN;
    // In 64 bits: the last split may end past INT32_MAX when max_seq_len is
    // near it (it runs to seq_len, so rounding can never leave keys out). A
    // split that starts at or past seq_len gets begin = end.
    const int64_t split_begin64 = window_base + int64_t(split) * p.keys_per_split;
    const int split_begin = int(min(split_begin64, int64_t(seq_len)));
    const int split_end =
        split == p.splits - 1 ? seq_len : int(min(int64_t(seq_len), split_begin64 + p.keys_per_split));
    const int first_key = int(max(int64_t(split_begin), first_attended));
    const int kv_first = first_key / C::BN * C::BN;
    const int n_blocks =
        split_end > split_begin && split_end > kv_first ? (split_end - kv_first + C::BN - 1) / C::BN : 0;

    const int32_t* const table = p.page_table + int64_t(b) * p.page_table_stride;
    const int lps = p.log2_page_size;
    const int page_mask = p.page_size - 1;
    const uint32_t num_pages = uint32_t(p.num_pages);
    const uint16_t* const k_base = static_cast<const uint16_t*>(p.k_cache);
    const uint16_t* const v_base = static_cast<const uint16_t*>(p.v_cache);
    const int64_t k_head = int64_t(kvh) * p.k_head_stride;
    const int64_t v_head = int64_t(kvh) * p.v_head_stride;
    const uint32_t smem_base = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
    const uint32_t q_tile = smem_base + C::Q_OFFSET;

    // ---- Copy plan. Thread tid copies chunk column tid % CPR of rows
    // tid / CPR + i * KV_ROW_STEP of K and V; every thread needs the page ids
    // of every page the block touches (KV_ROW_STEP <= 16 <= page_size). ----
    const int kv_col = tid % C::CPR;
    const int kv_row0 = tid / C::CPR;
    // Row kv_row0 + i * STEP has row & 7 = (kv_row0 & 7) | ((i * STEP) & 7):
    // for STEP >= 8 the second term is 0, for STEP in {2, 4} kv_row0 < STEP
    // so the bits are disjoint. Its swizzled slot is then a fixed XOR of this.
    const uint32_t copy_slot = uint32_t(kv_col ^ (kv_row0 & 7)) << 4;

    // Page ids of block `blk` into registers; -1 for slots past the range,
    // whose table entries may be garbage and are never read. Loaded one
    // block before their use so the table's latency hides behind a block.
    auto load_pages = [&](int blk, int (&pid)[C::SLOTS]) {
#pragma unroll
        for (int q = 0; q < C::SLOTS; ++q) pid[q] = -1;
        if (blk < n_blocks) {
            const int start = kv_first + blk * C::BN;
            const int end = split_end - start < C::BN ? split_end : start + C::BN;
            const int first_slot = start >> lps;
#pragma unroll
            for (int q = 0; q < C::SLOTS; ++q) {
                if ((int64_t(first_slot + q) << lps) < end) pid[q] = table[first_slot + q];
            }
        }
    };

    // Issues the cp.async of K and V of block `blk` into `stage` (no commit).
    // Keys past the range, keys before the first query's window and pages
    // outside the cache copy nothing and zero-fill, so P V never meets stale
    // (possibly NaN) shared memory, a bad page id is never dereferenced, and
    // a page that fell out of the window, which an engine may have recycled
    // and filled with anything (NaN: 0 * NaN is NaN), is never read.
    auto load_block = [&](int stage, int blk, const int (&pid)[C::SLOTS]) {
        const int start = kv_first + blk * C::BN;
        const int first_slot = start >> lps;
        const uint32_t k_tile = smem_base + uint32_t(stage) * C::STAGE_BYTES;
        const uint32_t v_tile = k_tile + C::TILE_BYTES;
#pragma unroll
        for (int i = 0; i < C::KV_CHUNKS; ++i) {
            const int r = kv_row0 + i * C::KV_ROW_STEP;
            const int key = start + r;
            const int slot = (key >> lps) - first_slot;
            int page = pid[0];
#pragma unroll
            for (int q = 1; q < C::SLOTS; ++q) page = slot == q ? pid[q] : page;
            const bool ok = key >= first_attended && key < split_end && uint32_t(page) < num_pages;
            const uint16_t* k_src = k_base;
            const uint16_t* v_src = v_base;
            if (ok) {
                const int64_t in_page = key & page_mask;
                k_src = k_base + int64_t(page) * p.k_page_stride + in_page * p.k_row_stride + k_head + 8 * kv_col;
                v_src = v_base + int64_t(page) * p.v_page_stride + in_page * p.v_row_stride + v_head + 8 * kv_col;
            }
            const uint32_t dst =
                uint32_t(r * C::ROW_BYTES) + (copy_slot ^ (uint32_t((i * C::KV_ROW_STEP) & 7) << 4));
            ptx::cp_async_cg_16(k_tile + dst, k_src, ok ? 16u : 0u);
            ptx::cp_async_cg_16(v_tile + dst, v_src, ok ? 16u : 0u);
        }
    };

    // ---- Q tile [ROWS][D], its own commit group; padding rows zero-filled.
    // A split with no keys copies nothing but still zero-fills the tile: its
    // Q fragments are loaded below whatever the split holds. ----
    {
        const uint16_t* const q_base = static_cast<const uint16_t*>(p.q) + int64_t(b) * p.q_batch_stride;
#pragma unroll
        for (int i = 0; i < C::Q_CHUNKS; ++i) {
            const int rl = kv_row0 + i * C::KV_ROW_STEP;  // the K/V copy mapping
            const bool ok = n_blocks > 0 && rl < rows_here;
            const uint16_t* src = q_base;
            if (ok) {
                const int r = row0 + rl;
                const int t = r / group;
                const int h = kvh * group + (r - t * group);
                src = q_base + int64_t(t) * p.q_row_stride + int64_t(h) * p.q_head_stride + 8 * kv_col;
            }
            const uint32_t dst =
                uint32_t(rl * C::ROW_BYTES) + (copy_slot ^ (uint32_t((i * C::KV_ROW_STEP) & 7) << 4));
            ptx::cp_async_cg_16(q_tile + dst, src, ok ? 16u : 0u);
        }
    }
    ptx::cp_async_commit_group();

    // ---- Pipeline prologue: blocks 0 .. STAGES-2, one group each (empty
    // groups past the end keep the count uniform). ----
    int pid[C::SLOTS];
    load_pages(0, pid);
#pragma unroll
    for (int s = 0; s < C::STAGES - 1; ++s) {
        int next[C::SLOTS];
        load_pages(s + 1, next);
        if (s < n_blocks) load_block(s, s, pid);
        ptx::cp_async_commit_group();
#pragma unroll
        for (int q = 0; q < C::SLOTS; ++q) pid[q] = next[q];
    }

    // ---- Poisoned page table: any id outside [0, num_pages) among the pages
    // of this split (window or not) turns the outputs into NaN. Scanned while
    // the first blocks are in flight. ----
    // Split 0 also scans the pages before the window's base, which no split
    // reads, so that a bad id anywhere in [0, seq_len) poisons the sequence.
    bool bad = false;
    const int scan_begin = split == 0 ? 0 : split_begin;
    if (split_end > scan_begin) {
        const int last_page = (split_end - 1) >> lps;
        for (int pg = (scan_begin >> lps) + tid; pg <= last_page; pg += C::THREADS) {
            bad |= uint32_t(table[pg]) >= num_pages;
        }
    }
    ptx::cp_async_wait_group<C::STAGES - 1>();  // the Q group (older than the STAGES-1 block groups)
    const bool poisoned = __syncthreads_or(bad) != 0;  // also publishes every thread's Q chunks

    // ---- Per-lane fragment addressing (ldmatrix.cuh, mma.cuh). ----
    // A (Q), x4: lanes 0-15 rows 0-15 at k chunk 2ks, lanes 16-31 at 2ks+1.
    // B (K, stored [key][d] = [n][k]), x4: lanes 0-7 keys 0-7 chunk 2ks, 8-15
    // keys 0-7 chunk 2ks+1, 16-23 keys 8-15 chunk 2ks, 24-31 keys 8-15 2ks+1
    // -> b0, b1 of key tile 0, b0, b1 of key tile 1.
    // B (V, stored [key][d] = [k][n]), x4.trans: lanes 0-7 keys 0-7 chunk c,
    // 8-15 keys 8-15 chunk c, 16-23 keys 0-7 chunk c+1, 24-31 keys 8-15 c+1
    // -> b0, b1 of d tile c, b0, b1 of d tile c+1.
    // Every step adds whole 16-row groups and even chunks to these (chunk_step).
    const uint32_t q_lane = lane_offset<C::ROW_BYTES>(uint32_t(lane & 15), uint32_t(lane >> 4));
    const uint32_t k_lane =
        lane_offset<C::ROW_BYTES>(uint32_t((lane & 7) | ((lane >> 4) << 3)), uint32_t((lane >> 3) & 1));
    const uint32_t v_lane =
        lane_offset<C::ROW_BYTES>(uint32_t((lane & 7) | (((lane >> 3) & 1) << 3)), uint32_t(lane >> 4));
    const uint32_t q_warp = q_tile + uint32_t(wm * 16 * C::ROW_BYTES);

    uint32_t qf[C::Q_IN_REGS ? D / 16 : 1][4];
    if constexpr (C::Q_IN_REGS) {
#pragma unroll
        for (int ks = 0; ks < D / 16; ++ks) {
            ptx::ldmatrix_x4(qf[ks], q_warp + chunk_step(q_lane, 2 * ks));
        }
    }

    // ---- Masks. This lane holds rows g and g + 8 of its warp's 16. Query t
    // sits at key position seq_len - q_len + t and sees keys in [lo, hi];
    // padding rows see none (their results are never stored). ----
    const int g = lane >> 2;
    const int tq = lane & 3;
    int hi[2], lo[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int rl = wm * 16 + g + 8 * h;
        hi[h] = -1;
        lo[h] = 0;
        if (rl < rows_here) {
            const int t = (row0 + rl) / group;
            hi[h] = seq_len - p.q_len + t;
            lo[h] = p.window_left >= 0 ? int(max(int64_t(hi[h]) - p.window_left, int64_t(0))) : 0;
        }
    }
    // Keys in [full_lo, full_hi] are visible to every query of the CTA, so
    // steps inside that range skip the per-element mask.
    const int full_hi = seq_len - p.q_len;
    const int full_lo = p.window_left >= 0 ? seq_len - 1 - p.window_left : 0;
    const bool warp_active = wm * 16 < rows_here;  // r32 / r64 CTAs with few rows idle whole warps

    const bool capped = p.softcap > 0.0f;
    const float scale_log2 = p.softmax_scale_log2;
    const float cap_in = capped ? p.softmax_scale / p.softcap : 0.0f;
    const float cap_out = p.softcap * kLog2e;

    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) o[n][e] = 0.0f;
    }
    float m[2] = {neg_inf(), neg_inf()};  // running row maxima, log2 units (quad-uniform)
    float l[2] = {0.0f, 0.0f};            // running row sums, this lane's columns only

    // One block from `stage`: this warp's KW keys, KSUB at a time.
    auto compute_block = [&](int stage, int start) {
        const uint32_t k_tile = smem_base + uint32_t(stage) * C::STAGE_BYTES;
        const uint32_t v_tile = k_tile + C::TILE_BYTES;
        // Not unrolled: ptxas would otherwise hoist the next step's K loads and
        // S above this step's softmax, doubling the live S registers.
#pragma unroll 1
        for (int sub = 0; sub < C::KW / C::KSUB; ++sub) {
            const int kofs = wn * C::KW + sub * C::KSUB;  // first key of the step within the block

            // S = Q K^T for 16 rows x KSUB keys.
            float s[C::KSUB / 8][4];
#pragma unroll
            for (int j = 0; j < C::KSUB / 8; ++j) {
#pragma unroll
                for (int e = 0; e < 4; ++e) s[j][e] = 0.0f;
            }
#pragma unroll
            for (int ks = 0; ks < D / 16; ++ks) {
                uint32_t a[4];
                if constexpr (C::Q_IN_REGS) {
#pragma unroll
                    for (int e = 0; e < 4; ++e) a[e] = qf[ks][e];
                } else {
                    ptx::ldmatrix_x4(a, q_warp + chunk_step(q_lane, 2 * ks));
                }
#pragma unroll
                for (int nj = 0; nj < C::KSUB / 16; ++nj) {
                    uint32_t r[4];
                    ptx::ldmatrix_x4(
                        r, k_tile + uint32_t((kofs + 16 * nj) * C::ROW_BYTES) + chunk_step(k_lane, 2 * ks));
                    const uint32_t b0[2] = {r[0], r[1]};
                    const uint32_t b1[2] = {r[2], r[3]};
                    mma<kBf16>(s[2 * nj], a, b0);
                    mma<kBf16>(s[2 * nj + 1], a, b1);
                }
            }

            // Logits in log2 units, capped and masked. s[j][e] is row
            // g + 8 * (e >> 1), key kofs + 8j + 2tq + (e & 1).
            const int key0 = start + kofs;
            const bool masked = key0 + C::KSUB - 1 > full_hi || key0 < full_lo;
            float row_max[2] = {neg_inf(), neg_inf()};
#pragma unroll
            for (int j = 0; j < C::KSUB / 8; ++j) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    float x = capped ? cap_out * ptx::tanh_approx(s[j][e] * cap_in) : s[j][e] * scale_log2;
                    if (masked) {
                        const int key = key0 + 8 * j + 2 * tq + (e & 1);
                        if (key > hi[e >> 1] || key < lo[e >> 1]) x = neg_inf();
                    }
                    s[j][e] = x;
                    row_max[e >> 1] = fmaxf(row_max[e >> 1], x);
                }
            }
            // A row's KSUB columns are spread over the 4 lanes of a quad.
            float alpha[2], m_use[2];
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                row_max[h] = fmaxf(row_max[h], ptx::shfl_xor_f32(row_max[h], 1));
                row_max[h] = fmaxf(row_max[h], ptx::shfl_xor_f32(row_max[h], 2));
                const float m_new = fmaxf(m[h], row_max[h]);
                // While a row has seen only masked keys its maximum is -inf;
                // subtracting 0 instead keeps ex2(-inf - -inf) = NaN away.
                m_use[h] = m_new == neg_inf() ? 0.0f : m_new;
                alpha[h] = ptx::ex2_approx_ftz(m[h] - m_use[h]);
                m[h] = m_new;
            }
            float row_sum[2] = {0.0f, 0.0f};
#pragma unroll
            for (int j = 0; j < C::KSUB / 8; ++j) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    s[j][e] = ptx::ex2_approx_ftz(s[j][e] - m_use[e >> 1]);
                    row_sum[e >> 1] += s[j][e];
                }
            }
#pragma unroll
            for (int h = 0; h < 2; ++h) l[h] = l[h] * alpha[h] + row_sum[h];
#pragma unroll
            for (int n = 0; n < D / 8; ++n) {
                o[n][0] *= alpha[0];
                o[n][1] *= alpha[0];
                o[n][2] *= alpha[1];
                o[n][3] *= alpha[1];
            }

            // O += P V. The S accumulators of key tiles 2kk, 2kk+1 are exactly
            // the A fragment of keys 16kk .. 16kk+15 (mma.cuh layouts).
#pragma unroll
            for (int kk = 0; kk < C::KSUB / 16; ++kk) {
                const uint32_t pa[4] = {pack2<kBf16>(s[2 * kk][0], s[2 * kk][1]),
                                        pack2<kBf16>(s[2 * kk][2], s[2 * kk][3]),
                                        pack2<kBf16>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                        pack2<kBf16>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
                for (int dj = 0; dj < D / 16; ++dj) {
                    uint32_t r[4];
                    ptx::ldmatrix_x4_trans(
                        r, v_tile + uint32_t((kofs + 16 * kk) * C::ROW_BYTES) + chunk_step(v_lane, 2 * dj));
                    const uint32_t b0[2] = {r[0], r[1]};
                    const uint32_t b1[2] = {r[2], r[3]};
                    mma<kBf16>(o[2 * dj], pa, b0);
                    mma<kBf16>(o[2 * dj + 1], pa, b1);
                }
            }
        }
    };

    // ---- Main loop. Before block blk is used, the Q group and block groups
    // 0..blk must be complete: at most STAGES-2 younger groups pending. The
    // barrier publishes everyone's copies and proves every warp is done with
    // block blk-1, whose stage the copy issued right after it overwrites. ----
    int load_stage = C::STAGES - 1;
    int read_stage = 0;
    for (int blk = 0; blk < n_blocks; ++blk) {
        ptx::cp_async_wait_group<C::STAGES - 2>();
        __syncthreads();
        const int next = blk + C::STAGES - 1;
        if (next < n_blocks) load_block(load_stage, next, pid);
        load_pages(next + 1, pid);
        ptx::cp_async_commit_group();
        load_stage = load_stage == C::STAGES - 1 ? 0 : load_stage + 1;
        if (warp_active) compute_block(read_stage, kv_first + blk * C::BN);
        read_stage = read_stage == C::STAGES - 1 ? 0 : read_stage + 1;
    }
    ptx::cp_async_wait_group<0>();  // only empty groups can remain
    __syncthreads();                // the ring and Q are free: the staging below overwrites them

    // ---- Epilogue. Full row sums (the quad's columns), then the WN warps of
    // a row slice merge: M = max of their maxima, L = sum of l * 2^(m - M),
    // and each warp scales its O by 2^(m - M) / L. The staged rows are then
    // summed over the warps in a fixed order, so the result is deterministic. ----
    float* const stats = reinterpret_cast<float*>(smem + C::STATS_OFFSET);
    float* const s_max = stats;
    float* const s_sum = stats + C::STATS;
    float* const s_lse = stats + 2 * C::STATS;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        l[h] += ptx::shfl_xor_f32(l[h], 1);
        l[h] += ptx::shfl_xor_f32(l[h], 2);
    }
    if constexpr (C::WN > 1) {
        if (tq == 0) {
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const int rl = wm * 16 + g + 8 * h;
                s_max[wn * C::ROWS + rl] = m[h];
                s_sum[wn * C::ROWS + rl] = l[h];
            }
        }
        __syncthreads();
    }
    float row_scale[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int rl = wm * 16 + g + 8 * h;
        float row_m = m[h];
        float row_l = l[h];
        if constexpr (C::WN > 1) {
            row_m = neg_inf();
#pragma unroll
            for (int w = 0; w < C::WN; ++w) row_m = fmaxf(row_m, s_max[w * C::ROWS + rl]);
            const float ref = row_m == neg_inf() ? 0.0f : row_m;
            row_l = 0.0f;
#pragma unroll
            for (int w = 0; w < C::WN; ++w) {
                row_l += s_sum[w * C::ROWS + rl] * ptx::ex2_approx_ftz(s_max[w * C::ROWS + rl] - ref);
            }
            const float inv = row_l > 0.0f ? ptx::rcp_approx_ftz(row_l) : 0.0f;
            row_scale[h] = ptx::ex2_approx_ftz(m[h] - ref) * inv;
        } else {
            row_scale[h] = row_l > 0.0f ? ptx::rcp_approx_ftz(row_l) : 0.0f;
        }
        if (wn == 0 && tq == 0) {
            s_lse[rl] = row_l > 0.0f ? (row_m + ptx::lg2_approx_ftz(row_l)) * kLn2 : neg_inf();
        }
    }
    {
        // 8-byte stores by the PTX wrapper: nvcc may split a float2 store in
        // two, and 4-byte stores of this layout conflict 2 ways.
        const uint32_t staged = smem_base + uint32_t((wn * C::ROWS + wm * 16) * C::O_STRIDE * 4);
#pragma unroll
        for (int n = 0; n < D / 8; ++n) {
            const int col = 8 * n + 2 * tq;
            ptx::st_shared_v2_f32(staged + uint32_t((g * C::O_STRIDE + col) * 4), o[n][0] * row_scale[0],
                                  o[n][1] * row_scale[0]);
            ptx::st_shared_v2_f32(staged + uint32_t(((g + 8) * C::O_STRIDE + col) * 4), o[n][2] * row_scale[1],
                                  o[n][3] * row_scale[1]);
        }
    }
    __syncthreads();

    // ---- Write-out, 8 elements (one 16-byte store of o, two of partial_o) per
    // item. Splits: partial_o only where the row saw keys (the merge skips
    // -inf and reads nothing for NaN). ----
    const uint32_t staged = smem_base;
    const bool to_workspace = p.splits > 1;
    const int64_t rows_all = int64_t(p.batch) * p.q_len * p.heads_q;
    for (int it = tid; it < C::ROWS * (D / 8); it += C::THREADS) {
        const int rl = it / (D / 8);
        const int c = it % (D / 8);
        if (rl >= rows_here) continue;
        const int r = row0 + rl;
        const int t = r / group;
        const int h = kvh * group + (r - t * group);
        const float lse = poisoned ? quiet_nan() : s_lse[rl];
        // The two float4 halves of the 8 elements, in the order that keeps a
        // phase of 8 lanes (c .. c + 7 of a row, 8 words apart) on 32
        // different banks: lanes with c & 4 read their upper half first
        // (reading the lower halves of all 8 would hit each bank twice).
        const int first = (c & 4) != 0 ? 4 : 0;
        float v[8];
        {
            const uint32_t src = staged + uint32_t((rl * C::O_STRIDE + 8 * c) * 4);
            const float4 xa = ptx::ld_shared_v4_f32(src + uint32_t(first * 4));
            const float4 xb = ptx::ld_shared_v4_f32(src + uint32_t((4 - first) * 4));
            const float4 lo = first == 0 ? xa : xb, hi = first == 0 ? xb : xa;
            v[0] = lo.x, v[1] = lo.y, v[2] = lo.z, v[3] = lo.w;
            v[4] = hi.x, v[5] = hi.y, v[6] = hi.z, v[7] = hi.w;
        }
#pragma unroll
        for (int w = 1; w < C::WN; ++w) {
            const uint32_t src = staged + uint32_t(((w * C::ROWS + rl) * C::O_STRIDE + 8 * c) * 4);
            const float4 xa = ptx::ld_shared_v4_f32(src + uint32_t(first * 4));
            const float4 xb = ptx::ld_shared_v4_f32(src + uint32_t((4 - first) * 4));
            const float4 lo = first == 0 ? xa : xb, hi = first == 0 ? xb : xa;
            v[0] += lo.x, v[1] += lo.y, v[2] += lo.z, v[3] += lo.w;
            v[4] += hi.x, v[5] += hi.y, v[6] += hi.z, v[7] += hi.w;
        }
        if (poisoned) {
#pragma unroll
            for (int e = 0; e < 8; ++e) v[e] = quiet_nan();
        }
        const int64_t out_row = (int64_t(b) * p.q_len + t) * p.heads_q + h;
        if (!to_workspace) {
            uint4 packed;
            packed.x = pack2<kBf16>(v[0], v[1]);
            packed.y = pack2<kBf16>(v[2], v[3]);
            packed.z = pack2<kBf16>(v[4], v[5]);
            packed.w = pack2<kBf16>(v[6], v[7]);
            uint16_t* const dst = static_cast<uint16_t*>(p.o) + int64_t(b) * p.o_batch_stride +
                                  int64_t(t) * p.o_row_stride + int64_t(h) * p.o_head_stride + 8 * c;
            ptx::st_global_v4(dst, packed);
            if (c == 0 && p.lse != nullptr) p.lse[out_row] = lse;
        } else {
            const int64_t prow = int64_t(split) * rows_all + out_row;
            if (c == 0) p.partial_lse[prow] = lse;
            if (lse > neg_inf()) {  // false for -inf and NaN
                float* const dst = p.partial_o + prow * D + 8 * c;
                ptx::st_global_cg_v4(dst, make_uint4(__float_as_uint(v[0]), __float_as_uint(v[1]),
                                                     __float_as_uint(v[2]), __float_as_uint(v[3])));
                ptx::st_global_cg_v4(dst + 4, make_uint4(__float_as_uint(v[4]), __float_as_uint(v[5]),
                                                         __float_as_uint(v[6]), __float_as_uint(v[7])));
            }
        }
    }
}

template <class C>
__device__ __forceinline__ void decode_kernel(const ptxkit_attention_decode_params& p) {
    extern __shared__ __align__(128) unsigned char smem[];
    if (p.dtype == PTXKIT_ATTN_BF16) {
        decode_split<C, true>(p, smem);
    } else {
        decode_split<C, false>(p, smem);
    }
}

__device__ __forceinline__ uint32_t warp_or(uint32_t v) {
#pragma unroll
    for (int mask = 16; mask > 0; mask >>= 1) v |= ptx::shfl_xor_b32(v, mask);
    return v;
}

}  // namespace

// Minimum blocks per SM: D = 64 fits 4 CTAs (128 registers), D = 128 3 (168);
// D = 256 is left the full 255 registers (its 128 O accumulators).
extern "C" __global__ void __launch_bounds__(D64R16::THREADS, 3)
ptxkit_attention_decode_d64_r16(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D64R16>(p);
}
extern "C" __global__ void __launch_bounds__(D64R32::THREADS, 3)
ptxkit_attention_decode_d64_r32(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D64R32>(p);
}
extern "C" __global__ void __launch_bounds__(D64R64::THREADS, 3)
ptxkit_attention_decode_d64_r64(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D64R64>(p);
}
extern "C" __global__ void __launch_bounds__(D128R16::THREADS, 3)
ptxkit_attention_decode_d128_r16(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D128R16>(p);
}
extern "C" __global__ void __launch_bounds__(D128R32::THREADS, 3)
ptxkit_attention_decode_d128_r32(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D128R32>(p);
}
extern "C" __global__ void __launch_bounds__(D128R64::THREADS, 2)
ptxkit_attention_decode_d128_r64(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D128R64>(p);
}
extern "C" __global__ void __launch_bounds__(D256R16::THREADS, 3)
ptxkit_attention_decode_d256_r16(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D256R16>(p);
}
extern "C" __global__ void __launch_bounds__(D256R32::THREADS, 2)
ptxkit_attention_decode_d256_r32(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D256R32>(p);
}
extern "C" __global__ void __launch_bounds__(D256R64::THREADS, 2)
ptxkit_attention_decode_d256_r64(const __grid_constant__ ptxkit_attention_decode_params p) {
    decode_kernel<D256R64>(p);
}

// One warp per output row (b, t, h) = row index (b * q_len + t) * Hq + h, the
// layout of partial_lse's planes and of lse. Weights 2^((lse_s - M) log2 e)
// for the splits that saw keys (-inf ones are skipped, their partial_o never
// read); any NaN (a poisoned page table) makes the row NaN.
extern "C" __global__ void __launch_bounds__(32 * kMergeWarps)
ptxkit_attention_decode_merge(const __grid_constant__ ptxkit_attention_decode_params p) {
    __shared__ float s_weight[kMergeWarps][kMaxSplits];
    const int lane = int(threadIdx.x) & 31;
    const int warp = int(threadIdx.x) >> 5;
    const int64_t rows_all = int64_t(p.batch) * p.q_len * p.heads_q;
    const int64_t row = int64_t(blockIdx.x) * kMergeWarps + warp;
    if (row >= rows_all) return;  // whole warps; no block-wide barrier follows
    const int h = int(row % p.heads_q);
    const int64_t bt = row / p.heads_q;
    const int t = int(bt % p.q_len);
    const int64_t b = bt / p.q_len;
    const int splits = min(p.splits, kMaxSplits);

    constexpr int kPerLane = kMaxSplits / 32;
    float lse_s[kPerLane];
    float row_max = neg_inf();
    uint32_t nan = 0;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
        const int s = lane + 32 * i;
        lse_s[i] = s < splits ? p.partial_lse[s * rows_all + row] : neg_inf();
        nan |= lse_s[i] != lse_s[i] ? 1u : 0u;
        row_max = fmaxf(row_max, lse_s[i]);  // fmaxf drops NaN; `nan` remembers it
    }
    row_max = ptx::warp_reduce_max(row_max);
    nan = warp_or(nan);
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
        const int s = lane + 32 * i;
        const float w = lse_s[i] > neg_inf() ? ptx::ex2_approx_ftz((lse_s[i] - row_max) * kLog2e) : 0.0f;
        if (s < splits) s_weight[warp][s] = w;
        sum += w;
    }
    const float total = ptx::warp_reduce_sum(sum);
    ptx::bar_warp_sync();  // every lane's weights visible to the warp
    const float inv = total > 0.0f ? ptx::rcp_approx_ftz(total) : 0.0f;

    const float* const po = p.partial_o + row * p.head_dim;
    const int64_t plane = rows_all * p.head_dim;
    uint16_t* const out = static_cast<uint16_t*>(p.o) + b * p.o_batch_stride + int64_t(t) * p.o_row_stride +
                          int64_t(h) * p.o_head_stride;
    for (int c = lane; c < p.head_dim / 4; c += 32) {
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int s0 = 0; s0 < splits; s0 += 4) {
            // Four loads in flight, then the adds in split order.
            float w[4];
            uint4 x[4];
#pragma unroll
            for (int u = 0; u < 4; ++u) {
                w[u] = s0 + u < splits ? s_weight[warp][s0 + u] : 0.0f;
                x[u] = w[u] != 0.0f ? ptx::ld_global_cg_v4(po + (s0 + u) * plane + 4 * c) : make_uint4(0, 0, 0, 0);
            }
#pragma unroll
            for (int u = 0; u < 4; ++u) {
                acc[0] += w[u] * __uint_as_float(x[u].x);
                acc[1] += w[u] * __uint_as_float(x[u].y);
                acc[2] += w[u] * __uint_as_float(x[u].z);
                acc[3] += w[u] * __uint_as_float(x[u].w);
            }
        }
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[e] = nan ? quiet_nan() : acc[e] * inv;
        uint2 packed;
        if (p.dtype == PTXKIT_ATTN_BF16) {
            packed.x = pack2<true>(acc[0], acc[1]);
            packed.y = pack2<true>(acc[2], acc[3]);
        } else {
            packed.x = pack2<false>(acc[0], acc[1]);
            packed.y = pack2<false>(acc[2], acc[3]);
        }
        ptx::st_global_v2(out + 4 * c, packed);
    }
    if (lane == 0 && p.lse != nullptr) {
        p.lse[row] = nan ? quiet_nan() : total > 0.0f ? row_max + ptx::lg2_approx_ftz(total) * kLn2 : neg_inf();
    }
}
