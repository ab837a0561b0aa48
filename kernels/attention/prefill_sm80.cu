// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// Prefill attention for sm_80 and later, FlashAttention-2 style: one CTA per
// (query block, query head, sequence), 4 warps each owning whole query rows,
// S = Q K^T and O += P V on mma.sync m16n8k16 (bf16/f16 in, fp32 accumulate),
// the softmax online in registers. K and V tiles stream through a ring of
// three XOR-swizzled shared-memory slots by cp.async (16-byte chunks; rows
// past the sequence are zero-filled) and are read with ldmatrix (.trans for
// V). Semantics: include/ptxkit/attention.hpp; parameters:
// attention/attention_params.h; planner and launcher: src/ops/attention_sm80.cpp;
// design notes: docs/kernels/attention_sm80.md.
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
constexpr float kNegInf = -__builtin_huge_valf();
// Keeps the folded scale a normal number: a masked -inf logit times 0 would be NaN.
constexpr float kMinFold = 1.17549435e-38f;

// A CTA tile: BM queries x BN keys per step, head dimension D, 4 warps that
// each own WM = BM / 4 consecutive query rows (MI m16 tiles). The K/V ring has
// three slots of one BN x D tile each (a K or a V tile: see the pipeline in
// attention_tile). kQInRegs keeps the Q fragments in registers for the whole
// key loop instead of re-reading them from shared memory each step; only D = 64
// can afford that next to its 32-row accumulators. The host planner mirrors
// these numbers (static_asserts below).
template <int kD, int kBM, int kBN, bool kQInRegs>
struct TileConfig {
    static constexpr int D = kD, BM = kBM, BN = kBN;
    static constexpr bool Q_IN_REGS = kQInRegs;
    static constexpr int WARPS = 4, THREADS = 32 * WARPS;
    static constexpr int WM = BM / WARPS;        // query rows per warp
    static constexpr int MI = WM / 16;           // m16 tiles per warp
    static constexpr int NT = BN / 8;            // n8 tiles of S per m16 tile
    static constexpr int KS = D / 16;            // k16 steps of Q K^T
    static constexpr int DT = D / 8;             // n8 tiles of O per m16 tile
    static constexpr int PK = BN / 16;           // k16 steps of P V
    static constexpr int ROW_CHUNKS = D / 8;     // 16-byte chunks per row of Q, K, V, O
    static constexpr int ROW_BYTES = 2 * D;
    static constexpr int Q_BYTES = BM * ROW_BYTES;
    static constexpr int SLOT_BYTES = BN * ROW_BYTES;
    static constexpr int SLOTS = 3;
    static constexpr int SMEM_BYTES = Q_BYTES + SLOTS * SLOT_BYTES;
    static constexpr int CHUNK_ROW_STEP = THREADS / ROW_CHUNKS;  // rows between one thread's chunks
    static constexpr int Q_CHUNKS = BM / CHUNK_ROW_STEP;         // chunks per thread per tile
    static constexpr int KV_CHUNKS = BN / CHUNK_ROW_STEP;
    static_assert(WM % 16 == 0 && BN % 16 == 0 && D % 16 == 0, "whole m16 / k16 / n16 steps");
    static_assert(ROW_CHUNKS % 8 == 0, "the swizzle permutes chunks within 128-byte groups");
    static_assert(THREADS % ROW_CHUNKS == 0 && BM % CHUNK_ROW_STEP == 0 && BN % CHUNK_ROW_STEP == 0,
                  "every thread copies the same chunk column of evenly spaced rows");
};

using TileD64 = TileConfig<64, 128, 64, true>;
using TileD128 = TileConfig<128, 128, 64, false>;
using TileD256 = TileConfig<256, 64, 32, false>;
// src/ops/attention_sm80.cpp asks for exactly these; 80 KiB keeps two CTAs per
// SM on A100 (164 KiB) and one on the 99 KiB parts (sm_86, sm_89).
static_assert(TileD64::SMEM_BYTES == 40960 && TileD64::THREADS == 128, "keep attention_sm80.cpp in step");
static_assert(TileD128::SMEM_BYTES == 81920 && TileD128::THREADS == 128, "keep attention_sm80.cpp in step");
static_assert(TileD256::SMEM_BYTES == 81920 && TileD256::THREADS == 128, "keep attention_sm80.cpp in step");

// Byte offset of 16-byte chunk `chunk` of row `row` in a tile of C::D-wide
// rows (128, 256 or 512 bytes: whole 128-byte lines). ldmatrix reads one
// chunk from each of 8 consecutive rows; unswizzled they would all sit in the
// same 4 banks (an 8-way conflict). XORing the chunk's low 3 bits with row & 7
// spreads any 8 consecutive rows over the 8 chunk slots of a line. Every
// ldmatrix here starts at a row that is a multiple of 8, so row & 7 is the
// address-giving lane's lane & 7.
template <class C>
__device__ __forceinline__ uint32_t tile_offset(uint32_t row, uint32_t chunk) {
    return row * uint32_t(C::ROW_BYTES) + ((chunk ^ (row & 7u)) << 4);
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

__device__ __forceinline__ int clamp_int(int64_t x, int lo, int hi) {
    return x < lo ? lo : x > hi ? hi : int(x);
}

// One CTA: query block, head and sequence from blockIdx.x.
template <class C, bool kBf16>
__device__ __forceinline__ void attention_tile(const ptxkit_attention_params& p) {
    extern __shared__ __align__(128) unsigned char smem[];

    // ---- Work item. The query block index is the slowest coordinate and
    // counts down from each sequence's last block, so under a causal mask the
    // blocks that see the most keys are scheduled first; the head is the
    // fastest, so neighbouring CTAs of one GQA group share their K/V in L2.
    const uint32_t heads = uint32_t(p.heads_q);
    const uint32_t heads_batch = heads * uint32_t(p.batch);  // <= tiles <= INT32_MAX (planner)
    const uint32_t block_rev = blockIdx.x / heads_batch;
    const uint32_t rest = blockIdx.x - block_rev * heads_batch;
    const int b = int(rest / heads);
    const int h = int(rest - uint32_t(b) * heads);

    int q_start = 0, k_start = 0;
    int seqlen_q = p.seqlen_q, seqlen_k = p.seqlen_k;
    if (p.cu_seqlens_q != nullptr) {
        // Device-side offsets cannot be checked by the host: clamp the lengths
        // to the maxima the grid was sized with and the starts to >= 0, so bad
        // input can neither run a loop away nor read before the tensors. (The
        // parameter block has no totals, so an end past them is not caught.)
        q_start = max(p.cu_seqlens_q[b], 0);
        k_start = max(p.cu_seqlens_k[b], 0);
        seqlen_q = clamp_int(int64_t(p.cu_seqlens_q[b + 1]) - q_start, 0, p.seqlen_q);
        seqlen_k = clamp_int(int64_t(p.cu_seqlens_k[b + 1]) - k_start, 0, p.seqlen_k);
    }
    const int q_blocks = seqlen_q / C::BM + (seqlen_q % C::BM != 0 ? 1 : 0);
    if (int(block_rev) >= q_blocks) return;  // past this sequence's end: the whole CTA leaves
    const int m0 = (q_blocks - 1 - int(block_rev)) * C::BM;
    const int rows = min(C::BM, seqlen_q - m0);  // valid query rows of the block, >= 1
    const int kvh = h / (p.heads_q / p.heads_kv);

    // ---- Keys the block can see. Row r of the block (query m0 + r) sits at
    // key position diag0 + r (bottom-right alignment). Both window bounds
    // grow with r, so the last valid row gives the block's end and row 0 its
    // start. In 64 bits: a window of INT32_MAX must not wrap.
    const int64_t diag0 = int64_t(m0) + seqlen_k - seqlen_q;
    const int wl = p.window_left, wr = p.window_right;
    int64_t key_hi = seqlen_k;
    if (wr >= 0) key_hi = min(key_hi, diag0 + rows - 1 + wr + 1);
    int64_t key_lo = 0;
    if (wl >= 0) key_lo = max(key_lo, diag0 - wl);
    const int n_lo = int(key_lo / C::BN);
    const int n_hi = key_hi > key_lo ? int((key_hi + C::BN - 1) / C::BN) : n_lo;
    const int n_iter = n_hi - n_lo;

    const int tid = int(threadIdx.x);
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int g = lane >> 2;  // fragment row (mma.cuh)
    const int t = lane & 3;   // fragment column pair
    const uint32_t smem_base = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
    const uint32_t q_smem = smem_base;
    const uint32_t kv_smem = smem_base + C::Q_BYTES;

    const uint16_t* const q_all = static_cast<const uint16_t*>(p.q);
    const uint16_t* const q_tile =
        q_all + b * p.q_batch_stride + (int64_t(q_start) + m0) * p.q_row_stride + h * p.q_head_stride;
    const uint16_t* const k_seq =
        static_cast<const uint16_t*>(p.k) + b * p.k_batch_stride + int64_t(k_start) * p.k_row_stride +
        int64_t(kvh) * p.k_head_stride;
    const uint16_t* const v_seq =
        static_cast<const uint16_t*>(p.v) + b * p.v_batch_stride + int64_t(k_start) * p.v_row_stride +
        int64_t(kvh) * p.v_head_stride;

    // ---- Copy plan: thread copies chunk column ld_col of rows ld_row + i *
    // CHUNK_ROW_STEP; 8 consecutive threads fill whole 128-byte lines.
    const int ld_col = tid % C::ROW_CHUNKS;
    const int ld_row = tid / C::ROW_CHUNKS;

    auto load_q = [&]() {
        const uint16_t* src = q_tile + ld_row * p.q_row_stride + 8 * ld_col;
        const int64_t step = C::CHUNK_ROW_STEP * p.q_row_stride;
#pragma unroll
        for (int i = 0; i < C::Q_CHUNKS; ++i) {
            const int r = ld_row + i * C::CHUNK_ROW_STEP;
            const bool ok = r < rows;
            ptx::cp_async_cg_16(q_smem + tile_offset<C>(uint32_t(r), uint32_t(ld_col)), ok ? src + i * step : q_tile,
                                ok ? 16u : 0u);
        }
    };
    // Key block nb of K or V into ring slot `slot`; rows at or past seqlen_k
    // are zero-filled, so masked logits meet finite zeros (never stale NaN).
    auto load_kv = [&](const uint16_t* seq, int64_t row_stride, int nb, uint32_t slot) {
        const int n0 = nb * C::BN;
        const int left = seqlen_k - n0 - ld_row;  // this thread's rows still inside the sequence
        const uint16_t* src = seq + (int64_t(n0) + ld_row) * row_stride + 8 * ld_col;
        const int64_t step = C::CHUNK_ROW_STEP * row_stride;
        const uint32_t dst = kv_smem + slot * uint32_t(C::SLOT_BYTES);
#pragma unroll
        for (int i = 0; i < C::KV_CHUNKS; ++i) {
            const bool ok = i * C::CHUNK_ROW_STEP < left;
            ptx::cp_async_cg_16(dst + tile_offset<C>(uint32_t(ld_row + i * C::CHUNK_ROW_STEP), uint32_t(ld_col)),
                                ok ? src + i * step : seq, ok ? 16u : 0u);
        }
    };

    // ---- ldmatrix addressing (ldmatrix.cuh: lanes 8i..8i+7 address the rows
    // of matrix i; mma.cuh for the fragment each register must hold).
    // Q (A operand), x4 per m16 tile and k16 step: lanes 0-15 rows 0-15 at
    // k 0-7, lanes 16-31 rows 0-15 at k 8-15 -> a0 (rows 0-7, k 0-7), a1 (rows
    // 8-15, k 0-7), a2 (rows 0-7, k 8-15), a3 (rows 8-15, k 8-15).
    const uint32_t qa_row = uint32_t(lane & 15);
    const uint32_t qa_chunk = uint32_t(lane >> 4);
    // K (B operand, "col": B[k][n] = K[n][k], so K rows are B columns), x4 per
    // pair of n8 tiles and k16 step: lanes 0-7 keys 0-7 / k 0-7 (b0 of tile 0),
    // 8-15 keys 0-7 / k 8-15 (b1 of tile 0), 16-23 keys 8-15 / k 0-7, 24-31
    // keys 8-15 / k 8-15. Lane l receives K[key l/4][k 2(l%4), +1] = b0's
    // B[2t, 2t+1][g].
    const uint32_t kb_row = uint32_t((lane & 7) | ((lane >> 4) << 3));
    const uint32_t kb_chunk = uint32_t((lane >> 3) & 1);
    // V (B operand, B[k][n] = V[key k][d n], stored key-major), x4.trans per
    // k16 step and pair of n8 (d) tiles: lanes 0-7 keys 0-7 / d 0-7, 8-15 keys
    // 8-15 / d 0-7, 16-23 keys 0-7 / d 8-15, 24-31 keys 8-15 / d 8-15. The
    // transpose hands lane l V[keys 2(l%4), +1][d l/4] = B[2t, 2t+1][g].
    const uint32_t vb_row = uint32_t((lane & 7) | (((lane >> 3) & 1) << 3));
    const uint32_t vb_chunk = uint32_t(lane >> 4);
    const uint32_t warp_row0 = uint32_t(warp * C::WM);

    // ---- Softmax constants. Without a cap the scale is folded into the
    // exponent: p = 2^(s * scale * log2e - m) with the row max m taken on the
    // raw s (one FFMA per element); that needs a positive factor, so a
    // negative scale is turned into a negated Q (exact in bf16/f16) below.
    // With a cap the logit is replaced by cap * log2e * tanh(s * scale / cap)
    // before the max, and the exponent factor is 1.
    const bool capped = p.softcap > 0.0f;
    const bool negate_q = p.softmax_scale < 0.0f;
    const float fold = capped ? 1.0f : fmaxf(fabsf(p.softmax_scale_log2), kMinFold);
    const float cap_in = capped ? fabsf(p.softmax_scale) / p.softcap : 0.0f;
    const float cap_out = p.softcap * kLog2e;

    float acc_o[C::MI][C::DT][4];
    float row_max[C::MI][2];  // log2 domain (already multiplied by fold)
    float row_sum[C::MI][2];  // this thread's share of the row; the quad is summed at the end
#pragma unroll
    for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
        for (int dt = 0; dt < C::DT; ++dt) {
#pragma unroll
            for (int e = 0; e < 4; ++e) acc_o[mi][dt][e] = 0.0f;
        }
#pragma unroll
        for (int hf = 0; hf < 2; ++hf) {
            row_max[mi][hf] = kNegInf;
            row_sum[mi][hf] = 0.0f;
        }
    }
    uint32_t q_frag[C::Q_IN_REGS ? C::MI : 1][C::Q_IN_REGS ? C::KS : 1][4];

    if (n_iter > 0) {
        // ---- Pipeline over key blocks nb = n_hi - 1 down to n_lo, as a ring
        // of half-steps K(0), V(0), K(1), V(1), ... in slots 0, 1, 2, 0, 1, ...
        // Each half-step's copy is issued one full block ahead, into the slot
        // that the previous half-step but one has just released:
        //   wait K(it); bar; copy K(it+1) -> slot of V(it-1); S = Q K(it)^T, softmax
        //   wait V(it); bar; copy V(it+1) -> slot of K(it);   O += P V(it)
        // One commit group per half-step (empty past the end, so "at most one
        // younger group pending" always means "mine has landed"). Each barrier
        // publishes the copies just waited for and proves every warp is done
        // with the slot the copy after it overwrites.
        load_q();
        load_kv(k_seq, p.k_row_stride, n_hi - 1, 0);
        ptx::cp_async_commit_group();
        load_kv(v_seq, p.v_row_stride, n_hi - 1, 1);
        ptx::cp_async_commit_group();
        ptx::cp_async_wait_group<1>();  // Q and K(0)
        if (negate_q) {
            // Each thread flips the sign bits of the chunks it copied itself
            // (its own cp.async results are visible to it after the wait).
#pragma unroll
            for (int i = 0; i < C::Q_CHUNKS; ++i) {
                const uint32_t off = tile_offset<C>(uint32_t(ld_row + i * C::CHUNK_ROW_STEP), uint32_t(ld_col));
                uint4* const chunk = reinterpret_cast<uint4*>(smem + off);
                uint4 v = *chunk;
                v.x ^= 0x80008000u;
                v.y ^= 0x80008000u;
                v.z ^= 0x80008000u;
                v.w ^= 0x80008000u;
                *chunk = v;
            }
        }
        __syncthreads();
        if constexpr (C::Q_IN_REGS) {
#pragma unroll
            for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
                for (int ks = 0; ks < C::KS; ++ks) {
                    ptx::ldmatrix_x4(q_frag[mi][ks],
                                     q_smem + tile_offset<C>(warp_row0 + mi * 16 + qa_row, 2 * ks + qa_chunk));
                }
            }
        }

        uint32_t k_slot = 0;
        for (int it = 0; it < n_iter; ++it) {
            const int nb = n_hi - 1 - it;
            const int n0 = nb * C::BN;
            const bool more = it + 1 < n_iter;
            const uint32_t v_slot = k_slot == 2 ? 0u : k_slot + 1;
            const uint32_t free_slot = v_slot == 2 ? 0u : v_slot + 1;

            ptx::cp_async_wait_group<1>();
            __syncthreads();
            if (more) load_kv(k_seq, p.k_row_stride, nb - 1, free_slot);
            ptx::cp_async_commit_group();

            // ---- S = Q K^T for this warp's rows: [MI][NT] m16n8 tiles.
            float s[C::MI][C::NT][4];
#pragma unroll
            for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
                for (int ni = 0; ni < C::NT; ++ni) {
#pragma unroll
                    for (int e = 0; e < 4; ++e) s[mi][ni][e] = 0.0f;
                }
            }
            const uint32_t k_tile = kv_smem + k_slot * uint32_t(C::SLOT_BYTES);
#pragma unroll
            for (int ks = 0; ks < C::KS; ++ks) {
                uint32_t qa[C::MI][4];
#pragma unroll
                for (int mi = 0; mi < C::MI; ++mi) {
                    if constexpr (C::Q_IN_REGS) {
#pragma unroll
                        for (int e = 0; e < 4; ++e) qa[mi][e] = q_frag[mi][ks][e];
                    } else {
                        ptx::ldmatrix_x4(qa[mi],
                                         q_smem + tile_offset<C>(warp_row0 + mi * 16 + qa_row, 2 * ks + qa_chunk));
                    }
                }
#pragma unroll
                for (int nj = 0; nj < C::NT / 2; ++nj) {
                    uint32_t r[4];
                    ptx::ldmatrix_x4(r, k_tile + tile_offset<C>(nj * 16 + kb_row, 2 * ks + kb_chunk));
                    const uint32_t b0[2] = {r[0], r[1]};
                    const uint32_t b1[2] = {r[2], r[3]};
#pragma unroll
                    for (int mi = 0; mi < C::MI; ++mi) {
                        mma<kBf16>(s[mi][2 * nj], qa[mi], b0);
                        mma<kBf16>(s[mi][2 * nj + 1], qa[mi], b1);
                    }
                }
            }

            // ---- Logit cap before the mask: tanh would turn a -inf back into a finite logit.
            if (capped) {
#pragma unroll
                for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
                    for (int ni = 0; ni < C::NT; ++ni) {
#pragma unroll
                        for (int e = 0; e < 4; ++e) s[mi][ni][e] = cap_out * ptx::tanh_approx(s[mi][ni][e] * cap_in);
                    }
                }
            }
            // Row r may see the block's columns [r + lo_off, min(r + hi_off,
            // end_col)). The offsets are block-uniform and clamped to
            // [-BM, BN], where they already mean "every column" or "none",
            // so the per-row bounds fit 32 bits. The block needs the mask
            // when row 0 stops short of its last column, when the last valid
            // row starts after its first column, or when it reaches past seqlen_k.
            const int64_t rel = diag0 - n0;
            const int hi_off = wr >= 0 ? clamp_int(rel + wr + 1, -C::BM, C::BN) : C::BN;
            const int lo_off = wl >= 0 ? clamp_int(rel - wl, -C::BM, C::BN) : -C::BM;
            const int end_col = seqlen_k - n0;
            const bool need_mask = end_col < C::BN || hi_off < C::BN || lo_off + rows - 1 > 0;
            if (need_mask) {
#pragma unroll
                for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
                    for (int hf = 0; hf < 2; ++hf) {
                        const int r = int(warp_row0) + mi * 16 + g + 8 * hf;
                        const int col_hi = min(r + hi_off, end_col);
                        const int col_lo = r + lo_off;
#pragma unroll
                        for (int ni = 0; ni < C::NT; ++ni) {
#pragma unroll
                            for (int e = 0; e < 2; ++e) {
                                const int col = ni * 8 + 2 * t + e;
                                if (col < col_lo || col >= col_hi) s[mi][ni][2 * hf + e] = kNegInf;
                            }
                        }
                    }
                }
            }

            // ---- Online softmax. Rows g and g + 8 of each m16 tile are spread
            // over the 4 lanes of a quad: the max is reduced across the quad
            // every step (all four must subtract the same value); the sum stays
            // per lane, rescaled by the same factor, and is reduced once at the
            // end. A row with nothing visible so far has max -inf: it
            // exponentiates against 0 instead, so masked entries give 0, not NaN.
            uint32_t pa[C::MI][C::PK][4];
#pragma unroll
            for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
                for (int hf = 0; hf < 2; ++hf) {
                    float mx = kNegInf;
#pragma unroll
                    for (int ni = 0; ni < C::NT; ++ni) {
                        mx = fmaxf(mx, fmaxf(s[mi][ni][2 * hf], s[mi][ni][2 * hf + 1]));
                    }
                    mx = fmaxf(mx, ptx::shfl_xor_f32(mx, 1));
                    mx = fmaxf(mx, ptx::shfl_xor_f32(mx, 2));
                    const float m_new = fmaxf(row_max[mi][hf], mx * fold);
                    const float m_base = m_new == kNegInf ? 0.0f : m_new;
                    const float correction = ptx::ex2_approx_ftz(row_max[mi][hf] - m_base);
                    row_max[mi][hf] = m_new;
                    float sum = 0.0f;
#pragma unroll
                    for (int ni = 0; ni < C::NT; ++ni) {
#pragma unroll
                        for (int e = 0; e < 2; ++e) {
                            const float pe = ptx::ex2_approx_ftz(fmaf(s[mi][ni][2 * hf + e], fold, -m_base));
                            s[mi][ni][2 * hf + e] = pe;
                            sum += pe;
                        }
                    }
                    row_sum[mi][hf] = row_sum[mi][hf] * correction + sum;
#pragma unroll
                    for (int dt = 0; dt < C::DT; ++dt) {
                        acc_o[mi][dt][2 * hf] *= correction;
                        acc_o[mi][dt][2 * hf + 1] *= correction;
                    }
                }
                // P as A fragments: the S accumulator of n8 tiles 2kk and 2kk+1
                // holds P[g / g+8][16kk + 2t, +1] and P[g / g+8][16kk + 8 + 2t, +1],
                // exactly a0..a3 of the k16 step kk of P V.
#pragma unroll
                for (int kk = 0; kk < C::PK; ++kk) {
                    pa[mi][kk][0] = pack2<kBf16>(s[mi][2 * kk][0], s[mi][2 * kk][1]);
                    pa[mi][kk][1] = pack2<kBf16>(s[mi][2 * kk][2], s[mi][2 * kk][3]);
                    pa[mi][kk][2] = pack2<kBf16>(s[mi][2 * kk + 1][0], s[mi][2 * kk + 1][1]);
                    pa[mi][kk][3] = pack2<kBf16>(s[mi][2 * kk + 1][2], s[mi][2 * kk + 1][3]);
                }
            }

            ptx::cp_async_wait_group<1>();
            __syncthreads();
            if (more) load_kv(v_seq, p.v_row_stride, nb - 1, k_slot);
            ptx::cp_async_commit_group();

            // ---- O += P V.
            const uint32_t v_tile = kv_smem + v_slot * uint32_t(C::SLOT_BYTES);
#pragma unroll
            for (int kk = 0; kk < C::PK; ++kk) {
#pragma unroll
                for (int nj = 0; nj < C::DT / 2; ++nj) {
                    uint32_t r[4];
                    ptx::ldmatrix_x4_trans(r, v_tile + tile_offset<C>(kk * 16 + vb_row, 2 * nj + vb_chunk));
                    const uint32_t b0[2] = {r[0], r[1]};
                    const uint32_t b1[2] = {r[2], r[3]};
#pragma unroll
                    for (int mi = 0; mi < C::MI; ++mi) {
                        mma<kBf16>(acc_o[mi][2 * nj], pa[mi][kk], b0);
                        mma<kBf16>(acc_o[mi][2 * nj + 1], pa[mi][kk], b1);
                    }
                }
            }
            k_slot = free_slot;
        }
        ptx::cp_async_wait_group<0>();  // only empty groups remain
    }

    // ---- Epilogue: 1 / sum, LSE, and O through this warp's own rows of the Q
    // region (no other warp reads or writes them, so a warp barrier suffices:
    // it orders this warp's last ldmatrix reads of Q before the overwrite).
    ptx::bar_warp_sync();
    float* const lse_seq =
        p.lse != nullptr ? p.lse + b * p.lse_batch_stride + h * p.lse_head_stride + q_start + m0 : nullptr;
#pragma unroll
    for (int mi = 0; mi < C::MI; ++mi) {
#pragma unroll
        for (int hf = 0; hf < 2; ++hf) {
            float l = row_sum[mi][hf];
            l += ptx::shfl_xor_f32(l, 1);
            l += ptx::shfl_xor_f32(l, 2);
            // l >= 1 whenever the row saw a key (its max contributes 2^0), so
            // l == 0 means a row that sees nothing: o = 0, lse = -inf.
            const bool seen = l > 0.0f;
            const float inv = seen ? ptx::rcp_approx_ftz(l) : 0.0f;
            const int row = int(warp_row0) + mi * 16 + g + 8 * hf;
            if (lse_seq != nullptr && t == 0 && row < rows) {
                lse_seq[row] = seen ? (row_max[mi][hf] + ptx::lg2_approx_ftz(l)) * kLn2 : kNegInf;
            }
#pragma unroll
            for (int dt = 0; dt < C::DT; ++dt) {
                const uint32_t packed = pack2<kBf16>(acc_o[mi][dt][2 * hf] * inv, acc_o[mi][dt][2 * hf + 1] * inv);
                *reinterpret_cast<uint32_t*>(smem + tile_offset<C>(uint32_t(row), uint32_t(dt)) + 4 * t) = packed;
            }
        }
    }
    ptx::bar_warp_sync();
    uint16_t* const o_tile = static_cast<uint16_t*>(p.o) + b * p.o_batch_stride +
                             (int64_t(q_start) + m0) * p.o_row_stride + h * p.o_head_stride;
    constexpr int kWarpChunks = C::WM * C::ROW_CHUNKS;
#pragma unroll
    for (int i = 0; i < kWarpChunks / 32; ++i) {
        const int e = lane + 32 * i;
        const int row = int(warp_row0) + e / C::ROW_CHUNKS;
        const int chunk = e % C::ROW_CHUNKS;
        if (row < rows) {
            const uint4 v = *reinterpret_cast<const uint4*>(smem + tile_offset<C>(uint32_t(row), uint32_t(chunk)));
            ptx::st_global_v4(o_tile + row * p.o_row_stride + 8 * chunk, v);
        }
    }
}

}  // namespace

#define PTXKIT_ATTN_PREFILL_SM80(name, tile, bf16)                                             \
    extern "C" __global__ void __launch_bounds__(tile::THREADS, 2)                             \
    name(const __grid_constant__ ptxkit_attention_params p) {                                  \
        attention_tile<tile, bf16>(p);                                                         \
    }

PTXKIT_ATTN_PREFILL_SM80(ptxkit_attn_prefill_sm80_bf16_d64, TileD64, true)
PTXKIT_ATTN_PREFILL_SM80(ptxkit_attn_prefill_sm80_f16_d64, TileD64, false)
PTXKIT_ATTN_PREFILL_SM80(ptxkit_attn_prefill_sm80_bf16_d128, TileD128, true)
PTXKIT_ATTN_PREFILL_SM80(ptxkit_attn_prefill_sm80_f16_d128, TileD128, false)
PTXKIT_ATTN_PREFILL_SM80(ptxkit_attn_prefill_sm80_bf16_d256, TileD256, true)
PTXKIT_ATTN_PREFILL_SM80(ptxkit_attn_prefill_sm80_f16_d256, TileD256, false)
