// ptxkit-module: sass=sm_90a ptx=none hot=*
//
// Prefill attention for Hopper in the manner of FlashAttention-3: TMA loads
// into an mbarrier ring, wgmma on the tensor cores, warp specialisation,
// ping-pong consumers, persistent CTAs. Semantics: include/ptxkit/attention.hpp;
// parameters: attention/attention_params.h; design, budget and risks:
// docs/kernels/attention_sm90.md. Host side: src/ops/attention_sm90.cpp, which
// must agree with Config<D> below (tile sizes, stages, shared-memory layout).
//
// CTA of 384 threads = 3 warpgroups, one CTA per SM:
//   warpgroup 0    producer: setmaxnreg.dec; thread 0 loads, per work tile,
//                  the 128 x D Q tile once and the K and V tiles (BLOCK_N x D)
//                  into a ring of stages, each completing on its `full`
//                  mbarrier; it waits on `empty` mbarriers before reuse.
//   warpgroups 1,2 consumers: setmaxnreg.inc; consumer c owns query rows
//                  64c .. 64c + 63 of the tile. Per key block: S = Q K^T
//                  (wgmma, both operands in shared memory), online softmax in
//                  registers, P -> bf16/f16 A fragments in registers,
//                  O += P V (wgmma with A from registers, V N-major).
// Work tiles (query block, head, sequence) are walked persistently; producer
// and consumers derive the same key-block ranges from the same tile sequence,
// so every ring's stage index and phase simply continue from tile to tile.
#include <cuda.h>  // CUtensorMap

#include <cstdint>

#include "attention/attention_params.h"
#include "common/mbarrier.cuh"
#include "common/ptx_convert.cuh"
#include "common/ptx_math.cuh"
#include "common/ptx_warp.cuh"
#include "common/tma.cuh"
#include "common/wgmma.cuh"

namespace {

namespace ptx = ptxkit::ptx;

constexpr int kBlockM = 128;            // query rows per work tile: 64 per consumer
constexpr int kConsumerRows = 64;       // wgmma M
constexpr int kBoxElements = 64;        // 16-bit elements in one 128-byte swizzle row (TMA box width)
constexpr uint32_t kRowBytes = 128;     // bytes of one swizzled row
constexpr int kThreads = 384;
constexpr int kProducerRegisters = 24;
constexpr int kConsumerRegisters = 240;  // 128 x 24 + 256 x 240 = 64512 = 384 x 168 (the entry cap)
constexpr uint32_t kConsumerWarps = 8;   // arrivals on every `empty` barrier: lane 0 of each consumer warp
constexpr int kTurnThreads = 256;        // both consumer warpgroups take part in each turn barrier
constexpr int kTurnBarrier = 1;          // named barrier ids 1 (consumer 0's turn) and 2 (consumer 1's)
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kNegInf = -__builtin_huge_valf();

template <int D>
struct Config {
    static_assert(D == 64 || D == 128 || D == 256, "head dimension 64, 128 or 256");
    // D = 256 keeps 128 O accumulators per thread, so the key block shrinks to
    // 80 to leave registers for S and P (and 2 stages of K and V fit in 227 KB).
    static constexpr int kBlockN = D == 256 ? 80 : 128;
    static constexpr int kStages = D == 64 ? 4 : 2;
    static constexpr int kBoxes = D / kBoxElements;                   // 64-wide column boxes per row
    static constexpr uint32_t kQBoxBytes = kBlockM * kRowBytes;       // 16 KB
    static constexpr uint32_t kQBytes = kBoxes * kQBoxBytes;
    static constexpr uint32_t kKVBoxBytes = kBlockN * kRowBytes;
    static constexpr uint32_t kKVBytes = kBoxes * kKVBoxBytes;        // one stage of K (or of V)
    // [Q][K stages][V stages][barriers] from a 1024-aligned base.
    static constexpr uint32_t kKOffset = kQBytes;
    static constexpr uint32_t kVOffset = kKOffset + kStages * kKVBytes;
    static constexpr uint32_t kBarrierOffset = kVOffset + kStages * kKVBytes;
    // q_full, q_empty, k_full[S], k_empty[S], v_full[S], v_empty[S]
    static constexpr uint32_t kBarrierBytes = 8 * (2 + 4 * kStages);
    static constexpr uint32_t kSharedBytes = 1024 + kBarrierOffset + kBarrierBytes;  // with alignment slack
    static constexpr int kSAcc = kBlockN / 2;   // f32 of S per thread (64 x BLOCK_N over 128 threads)
    static constexpr int kOAcc = D / 2;         // f32 of O per thread
    static constexpr int kPRegs = kBlockN / 4;  // packed 16-bit pairs of P per thread
    static constexpr int kQkSteps = D / 16;
    static constexpr int kPvSteps = kBlockN / 16;
    static_assert(kQBoxBytes % 1024 == 0 && kKVBoxBytes % 1024 == 0,
                  "128B-swizzled boxes must start on 1024-byte boundaries");
    static_assert(kBlockN % 16 == 0 && kBlockN <= 256, "wgmma N and the TMA box height");
    static_assert(kSharedBytes <= 227 * 1024, "more shared memory than an H100 block can opt in to");
};

// ---------------------------------------------------------------------------
// Work decomposition, shared by producer and consumers (they must agree).

struct Tile {
    int32_t m_block, head, batch;
};

// Slowest index: the query block, highest first. With causal or right-window
// masks the last query blocks see the most keys, so the persistent walk starts
// the longest tiles first; among tiles of one block, heads of a KV group are
// adjacent (GQA: they read the same K and V from L2).
__device__ __forceinline__ Tile tile_of(const ptxkit_attention_params& p, uint32_t index) {
    const uint32_t per_block = static_cast<uint32_t>(p.heads_q) * static_cast<uint32_t>(p.batch);
    const uint32_t rank = index / per_block;
    const uint32_t rest = index - rank * per_block;
    Tile t;
    t.m_block = p.q_blocks - 1 - static_cast<int32_t>(rank);
    t.batch = static_cast<int32_t>(rest / static_cast<uint32_t>(p.heads_q));
    t.head = static_cast<int32_t>(rest) - t.batch * p.heads_q;
    return t;
}

struct Sequence {
    int32_t q_start, q_len, k_start, k_len;
    int32_t batch_coord;  // the TMA batch coordinate: b (fixed form) or 0 (packed: one batch of total rows)
};

__device__ __forceinline__ Sequence sequence_of(const ptxkit_attention_params& p, int32_t b) {
    Sequence s;
    if (p.cu_seqlens_q != nullptr) {
        s.q_start = p.cu_seqlens_q[b];
        s.q_len = p.cu_seqlens_q[b + 1] - s.q_start;
        s.k_start = p.cu_seqlens_k[b];
        s.k_len = p.cu_seqlens_k[b + 1] - s.k_start;
        s.batch_coord = 0;
    } else {
        s.q_start = 0;
        s.q_len = p.seqlen_q;
        s.k_start = 0;
        s.k_len = p.seqlen_k;
        s.batch_coord = b;
    }
    return s;
}

// Key blocks [lo, hi) that hold at least one key some row of the tile may see
// (hi <= lo: none). Bottom-right alignment: row i sits at key position
// i + k_len - q_len.
struct KeyBlocks {
    int32_t lo, hi;
};

template <int BLOCK_N>
__device__ __forceinline__ KeyBlocks key_blocks(const ptxkit_attention_params& p, int32_t m0, const Sequence& s) {
    const int64_t shift = int64_t(s.k_len) - s.q_len;
    const int64_t last_row = min(m0 + kBlockM, s.q_len) - 1;
    int64_t hi = s.k_len;  // exclusive
    if (p.window_right >= 0) hi = min(hi, last_row + shift + p.window_right + 1);
    int64_t lo = 0;
    if (p.window_left >= 0) lo = max(lo, int64_t(m0) + shift - p.window_left);
    KeyBlocks kb{0, 0};
    if (hi > lo) {  // then 0 <= lo < hi <= k_len < 2^31
        kb.lo = static_cast<int32_t>(static_cast<uint32_t>(lo) / BLOCK_N);
        kb.hi = static_cast<int32_t>((static_cast<uint32_t>(hi) + BLOCK_N - 1) / BLOCK_N);
    }
    return kb;
}

// ---------------------------------------------------------------------------
// Shared-memory map. Barrier addresses are 32-bit shared-window addresses.

template <int D>
struct Smem {
    uint32_t q, k, v;         // tile bases (1024-aligned)
    uint32_t q_full, q_empty;
    uint32_t k_full, k_empty, v_full, v_empty;  // stage s at + 8 s

    __device__ __forceinline__ explicit Smem(uint32_t base) {
        using Cfg = Config<D>;
        q = base;
        k = base + Cfg::kKOffset;
        v = base + Cfg::kVOffset;
        const uint32_t bars = base + Cfg::kBarrierOffset;
        q_full = bars;
        q_empty = bars + 8;
        k_full = bars + 16;
        k_empty = k_full + 8 * Cfg::kStages;
        v_full = k_empty + 8 * Cfg::kStages;
        v_empty = v_full + 8 * Cfg::kStages;
    }
};

// A ring position: stage index and the parity of the stage's current phase.
template <int STAGES>
struct Ring {
    uint32_t stage = 0, phase = 0;
    __device__ __forceinline__ void advance() {
        if (++stage == STAGES) {
            stage = 0;
            phase ^= 1u;
        }
    }
};

// ---------------------------------------------------------------------------
// Producer: one thread issues every TMA copy.

template <int D>
__device__ __forceinline__ void load_kv_block(const CUtensorMap* map, uint32_t ring_base, uint32_t full, uint32_t empty,
                                              Ring<Config<D>::kStages>& ring, int32_t kv_head, int32_t row,
                                              int32_t batch_coord) {
    using Cfg = Config<D>;
    // Wait until both consumers released this stage (passes at once on the first lap).
    ptx::mbarrier_wait_parity(empty + 8 * ring.stage, ring.phase ^ 1u);
    const uint32_t bar = full + 8 * ring.stage;
    // The full box is counted even where it reaches past the tensor's end
    // (those elements arrive as zeros), so the byte count is a constant.
    ptx::mbarrier_arrive_expect_tx(bar, Cfg::kKVBytes);
    const uint32_t dst = ring_base + ring.stage * Cfg::kKVBytes;
#pragma unroll
    for (int c = 0; c < Cfg::kBoxes; ++c) {
        ptx::tma_load_4d(dst + c * Cfg::kKVBoxBytes, map, bar, c * kBoxElements, kv_head, row, batch_coord);
    }
    ring.advance();
}

template <int D>
__device__ __forceinline__ void producer(const CUtensorMap* tma_q, const CUtensorMap* tma_k, const CUtensorMap* tma_v,
                                         const ptxkit_attention_params& p, const Smem<D>& sm) {
    using Cfg = Config<D>;
    constexpr int BN = Cfg::kBlockN;
    Ring<Cfg::kStages> k_ring, v_ring;
    uint32_t q_phase = 0;
    const int32_t group = p.heads_q / p.heads_kv;
    const uint32_t tiles = static_cast<uint32_t>(p.tiles);
    for (uint32_t index = blockIdx.x; index < tiles; index += gridDim.x) {
        const Tile t = tile_of(p, index);
        const Sequence s = sequence_of(p, t.batch);
        const int32_t m0 = t.m_block * kBlockM;
        if (m0 >= s.q_len) continue;
        const KeyBlocks kb = key_blocks<BN>(p, m0, s);
        if (kb.hi <= kb.lo) continue;  // consumers write zeros without reading anything

        // Q: once per tile, after both consumers finished the previous tile's last S.
        ptx::mbarrier_wait_parity(sm.q_empty, q_phase ^ 1u);
        ptx::mbarrier_arrive_expect_tx(sm.q_full, Cfg::kQBytes);
#pragma unroll
        for (int c = 0; c < Cfg::kBoxes; ++c) {
            ptx::tma_load_4d(sm.q + c * Cfg::kQBoxBytes, tma_q, sm.q_full, c * kBoxElements, t.head,
                             s.q_start + m0, s.batch_coord);
        }
        q_phase ^= 1u;

        // Key blocks from the highest down, in the order the consumers use
        // them: K(hi-1), then K(j) ahead of V(j+1) (S of block j is computed
        // before P V of block j + 1), then the last V.
        const int32_t kv_head = t.head / group;
        const int32_t k_row = s.k_start;
        load_kv_block<D>(tma_k, sm.k, sm.k_full, sm.k_empty, k_ring, kv_head, k_row + (kb.hi - 1) * BN,
                         s.batch_coord);
        for (int32_t j = kb.hi - 2; j >= kb.lo; --j) {
            load_kv_block<D>(tma_k, sm.k, sm.k_full, sm.k_empty, k_ring, kv_head, k_row + j * BN, s.batch_coord);
            load_kv_block<D>(tma_v, sm.v, sm.v_full, sm.v_empty, v_ring, kv_head, k_row + (j + 1) * BN,
                             s.batch_coord);
        }
        load_kv_block<D>(tma_v, sm.v, sm.v_full, sm.v_empty, v_ring, kv_head, k_row + kb.lo * BN, s.batch_coord);
    }
}

// ---------------------------------------------------------------------------
// Consumer pieces.

// S (64 x BLOCK_N) = Q_slab (64 x D) K^T: D/16 k16 steps, Q and K both K-major.
// Q box c holds columns 64c .. 64c + 63 of all 128 rows; this consumer's 64
// rows start 64 rows (8 KB) in; a k16 step inside a 128-byte row adds 32 bytes.
template <int D, bool kBf16>
__device__ __forceinline__ void issue_qk(float (&s)[Config<D>::kSAcc], uint64_t desc_q, uint64_t desc_k) {
    using Cfg = Config<D>;
#pragma unroll
    for (int kk = 0; kk < Cfg::kQkSteps; ++kk) {
        const uint32_t box = static_cast<uint32_t>(kk / 4), within = static_cast<uint32_t>(kk % 4) * 32u;
        // Descriptor start addresses are in 16-byte units in the low bits and
        // never carry out of their field, so offsets add directly.
        const uint64_t dq = desc_q + ((box * Cfg::kQBoxBytes + within) >> 4);
        const uint64_t dk = desc_k + ((box * Cfg::kKVBoxBytes + within) >> 4);
        const uint32_t accumulate = kk == 0 ? 0u : 1u;  // the first step overwrites the last block's S
        if constexpr (Cfg::kBlockN == 128) {
            if constexpr (kBf16) {
                ptx::wgmma_m64n128k16_f32_bf16_ss(s, dq, dk, accumulate);
            } else {
                ptx::wgmma_m64n128k16_f32_f16_ss(s, dq, dk, accumulate);
            }
        } else {
            if constexpr (kBf16) {
                ptx::wgmma_m64n80k16_f32_bf16_ss(s, dq, dk, accumulate);
            } else {
                ptx::wgmma_m64n80k16_f32_f16_ss(s, dq, dk, accumulate);
            }
        }
    }
}

// O (64 x D) += P (64 x BLOCK_N, registers) V (BLOCK_N x D, N-major): one k16
// step per 16 keys; 16 keys are 16 swizzled rows = 2048 bytes of every V box.
template <int D, bool kBf16>
__device__ __forceinline__ void issue_pv(float (&o)[Config<D>::kOAcc], const uint32_t (&pf)[Config<D>::kPRegs],
                                         uint64_t desc_v) {
    using Cfg = Config<D>;
#pragma unroll
    for (int kk = 0; kk < Cfg::kPvSteps; ++kk) {
        const uint64_t dv = desc_v + ((static_cast<uint32_t>(kk) * 16u * kRowBytes) >> 4);
        const uint32_t a0 = pf[4 * kk], a1 = pf[4 * kk + 1], a2 = pf[4 * kk + 2], a3 = pf[4 * kk + 3];
        if constexpr (D == 64) {
            if constexpr (kBf16) {
                ptx::wgmma_m64n64k16_f32_bf16_rs_transb(o, a0, a1, a2, a3, dv, 1u);
            } else {
                ptx::wgmma_m64n64k16_f32_f16_rs_transb(o, a0, a1, a2, a3, dv, 1u);
            }
        } else if constexpr (D == 128) {
            if constexpr (kBf16) {
                ptx::wgmma_m64n128k16_f32_bf16_rs_transb(o, a0, a1, a2, a3, dv, 1u);
            } else {
                ptx::wgmma_m64n128k16_f32_f16_rs_transb(o, a0, a1, a2, a3, dv, 1u);
            }
        } else {
            if constexpr (kBf16) {
                ptx::wgmma_m64n256k16_f32_bf16_rs_transb(o, a0, a1, a2, a3, dv, 1u);
            } else {
                ptx::wgmma_m64n256k16_f32_f16_rs_transb(o, a0, a1, a2, a3, dv, 1u);
            }
        }
    }
}

// Pins register operands of wgmma in place relative to the (volatile)
// fence / commit / wait instructions: reads of accumulators cannot be hoisted
// above a wait, and writes (softmax, rescale, P conversion) cannot sink below
// the wgmma.fence that must follow them.
template <class T, int N>
__device__ __forceinline__ void fence_operands(T (&x)[N]) {
#pragma unroll
    for (int i = 0; i < N; ++i) ptx::wgmma_fence_operand(x[i]);
}

// What one consumer thread needs to apply the softmax to a block of S.
// Accumulator fragment (wgmma.cuh): s[i] is row 16 warp + lane/4 + 8 ((i/2)%2)
// of the consumer's slab, column 8 (i/4) + 2 (lane%4) + (i%2) of the block;
// h = (i/2)%2 picks one of the thread's two rows.
struct SoftmaxState {
    float row_max[2];   // running max of the scaled logits, log2 units
    float row_sum[2];   // this thread's share of the running sum (quad-reduced at the end)
    float scale_in;     // logit multiplier before tanh (softcap) or 1
    float to_log2;      // multiplier of the (capped) logit into log2 units
    bool softcap;
    int32_t lo[2], hi[2];  // visible keys [lo, hi] of the two rows, minus 2 (lane % 4)
};

// Replaces the block's logits by exp2(logit - new max) and returns, per row,
// the factor by which everything accumulated so far must be rescaled.
template <int BLOCK_N>
__device__ __forceinline__ void softmax_block(float (&s)[BLOCK_N / 2], SoftmaxState& st, bool masked, int32_t n0,
                                              float (&rescale)[2]) {
    constexpr int N = BLOCK_N / 2;
    if (st.softcap) {
#pragma unroll
        for (int i = 0; i < N; ++i) s[i] = ptx::tanh_approx(s[i] * st.scale_in);
    }
#pragma unroll
    for (int i = 0; i < N; ++i) s[i] *= st.to_log2;
    if (masked) {
        // Masking after the cap: tanh would turn -inf back into -1.
        const int32_t lo0 = st.lo[0] - n0, hi0 = st.hi[0] - n0, lo1 = st.lo[1] - n0, hi1 = st.hi[1] - n0;
#pragma unroll
        for (int i = 0; i < N; ++i) {
            const int32_t col = 8 * (i / 4) + (i % 2);
            const bool second = ((i / 2) % 2) != 0;
            const int32_t lo = second ? lo1 : lo0, hi = second ? hi1 : hi0;
            if (col < lo || col > hi) s[i] = kNegInf;
        }
    }
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        float mx = kNegInf;
#pragma unroll
        for (int i = 0; i < N; ++i) {
            if (((i / 2) % 2) == h) mx = ptx::fmax_f32(mx, s[i]);
        }
        // The four lanes of a quad share the row.
        mx = ptx::fmax_f32(mx, ptx::shfl_xor_f32(mx, 1));
        mx = ptx::fmax_f32(mx, ptx::shfl_xor_f32(mx, 2));
        const float new_max = ptx::fmax_f32(st.row_max[h], mx);
        // A row with no visible key so far keeps max -inf; subtracting 0
        // instead keeps exp2(-inf - (-inf)) = NaN out: its terms are all 0.
        const float base = new_max == kNegInf ? 0.0f : new_max;
        rescale[h] = ptx::ex2_approx_ftz(st.row_max[h] - base);
        st.row_max[h] = new_max;
        float sum = 0.0f;
#pragma unroll
        for (int i = 0; i < N; ++i) {
            if (((i / 2) % 2) == h) {
                s[i] = ptx::ex2_approx_ftz(s[i] - base);
                sum += s[i];
            }
        }
        st.row_sum[h] = st.row_sum[h] * rescale[h] + sum;
    }
}

// P as A fragments: k16 step q of the P V product takes accumulators
// 8q .. 8q + 7 packed pairwise (wgmma.cuh, register form of A).
template <int BLOCK_N, bool kBf16>
__device__ __forceinline__ void convert_p(const float (&s)[BLOCK_N / 2], uint32_t (&pf)[BLOCK_N / 4]) {
#pragma unroll
    for (int j = 0; j < BLOCK_N / 4; ++j) {
        pf[j] = kBf16 ? ptx::cvt_rn_bf16x2_f32(s[2 * j], s[2 * j + 1]) : ptx::cvt_rn_f16x2_f32(s[2 * j], s[2 * j + 1]);
    }
}

template <int D>
__device__ __forceinline__ void rescale_o(float (&o)[D / 2], const float (&rescale)[2]) {
#pragma unroll
    for (int i = 0; i < D / 2; ++i) o[i] *= rescale[((i / 2) % 2)];
}

__device__ __forceinline__ void release(uint32_t bar, uint32_t lane) {
    if (lane == 0) ptx::mbarrier_arrive(bar);
}

// Ping-pong turns. Consumer wg issues its GEMMs only in its turn (it waits on
// barrier kTurnBarrier + wg), then hands the turn over (arrives on the other's
// barrier): one consumer's softmax runs while the tensor cores work on the
// other's GEMMs. Each barrier counts 128 waiting + 128 arriving threads. The
// branch (uniform per warpgroup) keeps the ids immediate.
__device__ __forceinline__ void wait_turn(uint32_t wg) {
    if (wg == 0) {
        ptx::named_barrier_sync<kTurnBarrier, kTurnThreads>();
    } else {
        ptx::named_barrier_sync<kTurnBarrier + 1, kTurnThreads>();
    }
}

__device__ __forceinline__ void pass_turn(uint32_t wg) {
    if (wg == 0) {
        ptx::named_barrier_arrive<kTurnBarrier + 1, kTurnThreads>();
    } else {
        ptx::named_barrier_arrive<kTurnBarrier, kTurnThreads>();
    }
}

// o = acc / sum for the thread's two rows (rows at or past q_len are not
// stored: in the packed form they belong to the next sequence); lse by the
// first lane of each quad. A row that saw no key has sum 0: o = 0, lse = -inf.
template <int D, bool kBf16>
__device__ __forceinline__ void store_tile(const ptxkit_attention_params& p, const float (&o)[D / 2],
                                           SoftmaxState& st, const Sequence& s, const Tile& t, int32_t row0,
                                           uint32_t lane) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        float sum = st.row_sum[h];
        sum += ptx::shfl_xor_f32(sum, 1);
        sum += ptx::shfl_xor_f32(sum, 2);
        st.row_sum[h] = sum;
    }
    const int64_t col = 2 * (lane % 4);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int32_t row = row0 + 8 * h;
        if (row >= s.q_len) continue;
        const float sum = st.row_sum[h];
        const float inv = sum > 0.0f ? ptx::rcp_approx_ftz(sum) : 0.0f;
        const int64_t q_row = int64_t(s.q_start) + row;
        uint16_t* out = static_cast<uint16_t*>(p.o) + int64_t(t.batch) * p.o_batch_stride + q_row * p.o_row_stride +
                        int64_t(t.head) * p.o_head_stride + col;
#pragma unroll
        for (int c = 0; c < D / 8; ++c) {
            const float v0 = o[4 * c + 2 * h] * inv, v1 = o[4 * c + 2 * h + 1] * inv;
            *reinterpret_cast<uint32_t*>(out + 8 * c) =
                kBf16 ? ptx::cvt_rn_bf16x2_f32(v0, v1) : ptx::cvt_rn_f16x2_f32(v0, v1);
        }
        if (p.lse != nullptr && (lane % 4) == 0) {
            // row_max is in log2 units: ln(sum_j e^s_j) = (max + log2 sum) ln 2.
            const float lse = sum > 0.0f ? (st.row_max[h] + ptx::lg2_approx_ftz(sum)) * kLn2 : kNegInf;
            p.lse[int64_t(t.batch) * p.lse_batch_stride + int64_t(t.head) * p.lse_head_stride + q_row] = lse;
        }
    }
}

template <int D, bool kBf16>
__device__ __forceinline__ void consumer(const ptxkit_attention_params& p, const Smem<D>& sm, uint32_t wg) {
    using Cfg = Config<D>;
    constexpr int BN = Cfg::kBlockN;
    const uint32_t lane = threadIdx.x % 32;
    const uint32_t warp = (threadIdx.x / 32) % 4;
    // Consumer 1 hands consumer 0 the first turn. From then on the turns
    // alternate strictly (each consumer waits for the other's hand-over before
    // it can hand over again), and both take the same number of turns: they
    // walk the same tiles with the same key-block counts.
    if (wg == 1) pass_turn(1);

    SoftmaxState st;
    st.softcap = p.softcap > 0.0f;
    // Capped: s = c tanh(x scale / c), in log2 units s log2(e). Uncapped:
    // s log2(e) = x (scale log2 e). rcp.approx: the cap is a user constant.
    st.scale_in = st.softcap ? p.softmax_scale * ptx::rcp_approx_ftz(p.softcap) : 1.0f;
    st.to_log2 = st.softcap ? p.softcap * kLog2e : p.softmax_scale_log2;

    const uint64_t desc_q = ptx::make_smem_desc_kmajor_sw128(sm.q + wg * (kConsumerRows * kRowBytes));
    const uint64_t desc_k = ptx::make_smem_desc_kmajor_sw128(sm.k);
    // Leading byte offset: one 64-column V box to the next (BLOCK_N rows of 128 bytes).
    const uint64_t desc_v = ptx::make_smem_desc_mnmajor_sw128(sm.v, Cfg::kKVBoxBytes);

    Ring<Cfg::kStages> k_ring, v_ring;
    uint32_t q_phase = 0;
    const uint32_t tiles = static_cast<uint32_t>(p.tiles);
    for (uint32_t index = blockIdx.x; index < tiles; index += gridDim.x) {
        const Tile t = tile_of(p, index);
        const Sequence s = sequence_of(p, t.batch);
        const int32_t m0 = t.m_block * kBlockM;
        if (m0 >= s.q_len) continue;
        const KeyBlocks kb = key_blocks<BN>(p, m0, s);
        const int32_t row0 = m0 + static_cast<int32_t>(wg * kConsumerRows + warp * 16 + lane / 4);

        float o[Cfg::kOAcc];
#pragma unroll
        for (int i = 0; i < Cfg::kOAcc; ++i) o[i] = 0.0f;
        st.row_max[0] = st.row_max[1] = kNegInf;
        st.row_sum[0] = st.row_sum[1] = 0.0f;

        if (kb.hi > kb.lo) {
            // Per-row visible key range [lo, hi], clamped into int32 (the
            // positions can leave it when a window reaches far), shifted by
            // this lane's column offset so the mask compares constants.
            const int64_t shift = int64_t(s.k_len) - s.q_len;
            const int32_t lane_col = static_cast<int32_t>(2 * (lane % 4));
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const int64_t pos = int64_t(row0 + 8 * h) + shift;
                int64_t hi = int64_t(s.k_len) - 1;
                if (p.window_right >= 0) hi = min(hi, pos + p.window_right);
                int64_t lo = 0;
                if (p.window_left >= 0) lo = max(lo, pos - p.window_left);
                st.hi[h] = static_cast<int32_t>(max(hi, int64_t(-1))) - lane_col;
                st.lo[h] = static_cast<int32_t>(min(lo, int64_t(s.k_len))) - lane_col;
            }
            // Key blocks that need the mask: past k_len or the first row's
            // right window (the highest blocks, processed first), or below
            // the last row's left window (the lowest ones).
            int64_t full_above = s.k_len;  // blocks ending at or below this need no right mask
            if (p.window_right >= 0) full_above = min(full_above, int64_t(m0) + shift + p.window_right + 1);
            int64_t full_below = 0;  // blocks starting at or above this need no left mask
            if (p.window_left >= 0) full_below = int64_t(min(m0 + kBlockM, s.q_len) - 1) + shift - p.window_left;
            const int32_t mask_above = static_cast<int32_t>(max(full_above, int64_t(0)));
            const int32_t mask_below = static_cast<int32_t>(min(max(full_below, int64_t(0)), int64_t(s.k_len)));

            float sacc[Cfg::kSAcc];
            uint32_t pf[Cfg::kPRegs];
            float rescale[2];
            const uint32_t last_block = static_cast<uint32_t>(kb.lo);

            ptx::mbarrier_wait_parity(sm.q_full, q_phase);
            q_phase ^= 1u;

            // First (highest) key block: S alone, nothing to overlap yet.
            int32_t j = kb.hi - 1;
            wait_turn(wg);
            ptx::mbarrier_wait_parity(sm.k_full + 8 * k_ring.stage, k_ring.phase);
            fence_operands(sacc);
            ptx::wgmma_fence();
            issue_qk<D, kBf16>(sacc, desc_q, desc_k + ((k_ring.stage * Cfg::kKVBytes) >> 4));
            ptx::wgmma_commit_group();
            pass_turn(wg);
            ptx::wgmma_wait_group<0>();
            fence_operands(sacc);
            release(sm.k_empty + 8 * k_ring.stage, lane);
            k_ring.advance();
            if (static_cast<uint32_t>(j) == last_block) release(sm.q_empty, lane);
            {
                const int32_t n0 = j * BN;
                const bool masked = n0 + BN > mask_above || n0 < mask_below;
                softmax_block<BN>(sacc, st, masked, n0, rescale);  // O is still 0: no rescale
            }
            convert_p<BN, kBf16>(sacc, pf);

            // Steady state: S(j) = Q K(j)^T and O += P(j+1) V(j+1) issued
            // together; the softmax of S(j) runs while P V is in flight.
            for (j = kb.hi - 2; j >= kb.lo; --j) {
                wait_turn(wg);
                ptx::mbarrier_wait_parity(sm.k_full + 8 * k_ring.stage, k_ring.phase);
                fence_operands(sacc);
                fence_operands(o);
                fence_operands(pf);
                ptx::wgmma_fence();  // orders the softmax's and rescale's register writes (S, P, O) before the wgmma
                issue_qk<D, kBf16>(sacc, desc_q, desc_k + ((k_ring.stage * Cfg::kKVBytes) >> 4));
                ptx::wgmma_commit_group();
                ptx::mbarrier_wait_parity(sm.v_full + 8 * v_ring.stage, v_ring.phase);
                // Again, after the wait loop: otherwise ptxas inserts this
                // fence itself (C7519) before the register-A wgmma.
                ptx::wgmma_fence();
                issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage * Cfg::kKVBytes) >> 4));
                ptx::wgmma_commit_group();
                pass_turn(wg);

                ptx::wgmma_wait_group<1>();  // S done; P V may still run
                fence_operands(sacc);
                release(sm.k_empty + 8 * k_ring.stage, lane);
                k_ring.advance();
                if (static_cast<uint32_t>(j) == last_block) release(sm.q_empty, lane);
                {
                    const int32_t n0 = j * BN;
                    const bool masked = n0 + BN > mask_above || n0 < mask_below;
                    softmax_block<BN>(sacc, st, masked, n0, rescale);
                }

                ptx::wgmma_wait_group<0>();  // P V done: O may be read, P overwritten
                fence_operands(o);
                fence_operands(sacc);
                release(sm.v_empty + 8 * v_ring.stage, lane);
                v_ring.advance();
                rescale_o<D>(o, rescale);
                convert_p<BN, kBf16>(sacc, pf);
            }

            // Last P V.
            wait_turn(wg);
            ptx::mbarrier_wait_parity(sm.v_full + 8 * v_ring.stage, v_ring.phase);
            fence_operands(o);
            fence_operands(pf);
            ptx::wgmma_fence();
            issue_pv<D, kBf16>(o, pf, desc_v + ((v_ring.stage * Cfg::kKVBytes) >> 4));
            ptx::wgmma_commit_group();
            pass_turn(wg);
            ptx::wgmma_wait_group<0>();
            fence_operands(o);
            release(sm.v_empty + 8 * v_ring.stage, lane);
            v_ring.advance();
        }
        store_tile<D, kBf16>(p, o, st, s, t, row0, lane);
    }
}

template <int D, bool kBf16>
__device__ __forceinline__ void prefill_sm90(const CUtensorMap& tma_q, const CUtensorMap& tma_k,
                                             const CUtensorMap& tma_v, const ptxkit_attention_params& p) {
    using Cfg = Config<D>;
    extern __shared__ __align__(1024) uint8_t smem_raw[];
    const Smem<D> sm((ptx::smem_u32(smem_raw) + 1023u) & ~1023u);

    if (threadIdx.x == 0) {
        ptx::prefetch_tensormap(&tma_q);
        ptx::prefetch_tensormap(&tma_k);
        ptx::prefetch_tensormap(&tma_v);
        ptx::mbarrier_init(sm.q_full, 1);  // the producer's arrive.expect_tx (+ the TMA bytes)
        ptx::mbarrier_init(sm.q_empty, kConsumerWarps);
#pragma unroll
        for (int s = 0; s < Cfg::kStages; ++s) {
            ptx::mbarrier_init(sm.k_full + 8 * s, 1);
            ptx::mbarrier_init(sm.k_empty + 8 * s, kConsumerWarps);
            ptx::mbarrier_init(sm.v_full + 8 * s, 1);
            ptx::mbarrier_init(sm.v_empty + 8 * s, kConsumerWarps);
        }
        ptx::fence_mbarrier_init();
    }
    __syncthreads();

    const uint32_t warpgroup = __shfl_sync(0xffffffffu, threadIdx.x / 128, 0);
    if (warpgroup == 0) {
        ptx::setmaxnreg_dec<kProducerRegisters>();
        if (threadIdx.x == 0) producer<D>(&tma_q, &tma_k, &tma_v, p, sm);
    } else {
        ptx::setmaxnreg_inc<kConsumerRegisters>();
        consumer<D, kBf16>(p, sm, warpgroup - 1);
    }
}

}  // namespace

#define PTXKIT_ATTENTION_SM90_KERNEL(name, head_dim, is_bf16)                                                  \
    extern "C" __global__ void __launch_bounds__(kThreads, 1)                                                  \
        name(const __grid_constant__ CUtensorMap tma_q, const __grid_constant__ CUtensorMap tma_k,             \
             const __grid_constant__ CUtensorMap tma_v, const __grid_constant__ ptxkit_attention_params params) { \
        prefill_sm90<head_dim, is_bf16>(tma_q, tma_k, tma_v, params);                                          \
    }

PTXKIT_ATTENTION_SM90_KERNEL(ptxkit_attention_prefill_sm90_bf16_d64, 64, true)
PTXKIT_ATTENTION_SM90_KERNEL(ptxkit_attention_prefill_sm90_f16_d64, 64, false)
PTXKIT_ATTENTION_SM90_KERNEL(ptxkit_attention_prefill_sm90_bf16_d128, 128, true)
PTXKIT_ATTENTION_SM90_KERNEL(ptxkit_attention_prefill_sm90_f16_d128, 128, false)
PTXKIT_ATTENTION_SM90_KERNEL(ptxkit_attention_prefill_sm90_bf16_d256, 256, true)
PTXKIT_ATTENTION_SM90_KERNEL(ptxkit_attention_prefill_sm90_f16_d256, 256, false)
