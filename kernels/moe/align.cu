// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// MoE align: router ids [T, k] -> the expert-contiguous layout the grouped
// GEMM reads. A stable counting sort of the N = T*k (token, slot) pairs by
// expert, each expert's segment padded to a multiple of block_m rows.
//
// The N pairs are cut into C chunks of S pairs (S a multiple of 4096, C <= 128).
//
//   ptxkit_moe_align_count   (C blocks; skipped when C == 1)
//       block c: per-expert counts of chunk c -> workspace[c][e]
//   ptxkit_moe_align_scatter (C + F blocks)
//       every block: total[e] = sum_c workspace[c][e], before[e] = sum_{c < b}
//         (with C == 1 every block counts the <= 4096 ids itself instead);
//         padded offsets by a block scan over the experts;
//       block 0: counts, padded_offsets, total_padded;
//       all blocks, grid-strided: -1 on the padding rows, block_expert;
//       block b < C: places chunk b's pairs. Warp w owns a contiguous slice of
//         the chunk; a first pass counts each warp's pairs per expert, a scan
//         over the warps gives each warp its first row per expert, and a second
//         pass walks the slice in order, 32 pairs a step: lanes with the same
//         expert (match.any) take consecutive rows in lane order.
//
// A pair's row is padded_offsets[e] + (pairs of e before it in earlier chunks,
// earlier warps of its chunk, earlier steps of its warp, lower lanes of its
// step): its rank among the pairs of e, so the order inside a segment is the
// pair order and the layout depends on the ids alone. The only atomics are
// shared-memory integer additions of counts, whose order cannot change a sum.
#include <cstdint>

#include "common/ptx_sync.cuh"
#include "common/ptx_warp.cuh"
#include "moe/align_params.h"

namespace {

constexpr int kThreads = PTXKIT_MOE_ALIGN_THREADS;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxExperts = PTXKIT_MOE_ALIGN_MAX_EXPERTS;
constexpr int kBatch = 8;       // steps of 32 pairs whose ids a warp loads before using them
constexpr int kTableGroup = 8;  // chunk counts a thread loads before adding them
static_assert(PTXKIT_MOE_ALIGN_CHUNK_QUANTUM == kWarps * 32 * kBatch, "chunk quantum: one batch per warp");
static_assert(kMaxExperts <= kThreads, "the scatter kernel's thread e handles expert e");

// The expert of a pair, or -1 when dropped (id outside [0, E)) or past `end`.
__device__ __forceinline__ int expert_at(const int32_t* ids, int p, int end, int num_experts) {
    if (p >= end) return -1;
    const int32_t x = ids[p];
    return static_cast<uint32_t>(x) < static_cast<uint32_t>(num_experts) ? x : -1;
}

// counts[e] += the pairs of [begin, end) routed to e; every thread of the block
// calls it. Lanes with the same expert are merged by match.any, and the
// lowest of them adds their number: one shared atomic per expert per warp step.
__device__ void count_range(const int32_t* ids, int begin, int end, int num_experts, uint32_t* counts) {
    constexpr int kRound = kThreads * kBatch;
    for (int base = begin; base < end; base += kRound) {
        int x[kBatch];
#pragma unroll
        for (int i = 0; i < kBatch; ++i)
            x[i] = expert_at(ids, base + i * kThreads + int(threadIdx.x), end, num_experts);
#pragma unroll
        for (int i = 0; i < kBatch; ++i) {
            const uint32_t peers = ptxkit::ptx::match_any_b32(static_cast<uint32_t>(x[i]));
            if (x[i] >= 0 && (peers & ptxkit::ptx::lanemask_lt()) == 0) {
                ptxkit::ptx::red_shared_add_u32(&counts[x[i]], __popc(peers));
            }
        }
    }
}

// Inclusive prefix sum over the warp (Kogge-Stone with indexed shuffles).
__device__ __forceinline__ int warp_inclusive_sum(int v, int lane) {
#pragma unroll
    for (int d = 1; d < 32; d <<= 1) {
        const int up =
            static_cast<int>(ptxkit::ptx::shfl_idx_b32(static_cast<uint32_t>(v), lane >= d ? lane - d : lane));
        if (lane >= d) v += up;
    }
    return v;
}

}  // namespace

extern "C" __global__ void __launch_bounds__(kThreads)
    ptxkit_moe_align_count(const __grid_constant__ ptxkit_moe_align_params p) {
    __shared__ uint32_t s_count[kMaxExperts];
    const int tid = static_cast<int>(threadIdx.x);
    if (tid < p.num_experts) s_count[tid] = 0;
    __syncthreads();
    const int begin = static_cast<int>(blockIdx.x) * p.chunk_size;
    const int end = min(begin + p.chunk_size, p.num_pairs);
    count_range(p.ids, begin, end, p.num_experts, s_count);
    __syncthreads();
    if (tid < p.num_experts) p.chunk_counts[blockIdx.x * p.num_experts + tid] = static_cast<int32_t>(s_count[tid]);
}

extern "C" __global__ void __launch_bounds__(kThreads)
    ptxkit_moe_align_scatter(const __grid_constant__ ptxkit_moe_align_params p) {
    __shared__ uint32_t s_total[kMaxExperts];      // pairs of expert e
    __shared__ uint32_t s_before[kMaxExperts];     // pairs of e in the chunks before this block's
    __shared__ int32_t s_offset[kMaxExperts + 1];  // padded offsets; [E] = total rows
    __shared__ int32_t s_warp_sum[kWarps];
    __shared__ int32_t s_run[kWarps][kMaxExperts];  // per warp: next row of each expert

    const int tid = static_cast<int>(threadIdx.x);
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int block = static_cast<int>(blockIdx.x);
    const int num_experts = p.num_experts;

    // 1. Pairs per expert, in all and before this block's chunk.
    if (tid < num_experts) {
        s_total[tid] = 0;
        s_before[tid] = 0;
    }
    __syncthreads();
    if (p.num_chunks == 1) {
        count_range(p.ids, 0, p.num_pairs, num_experts, s_total);  // <= 4096 ids: before[] stays 0
    } else {
        // kThreads / E threads per expert (at least 1), each summing groups of
        // kTableGroup chunks: up to kTableGroup independent loads in flight per
        // thread, and every thread busy when E is small.
        const int per_expert = kThreads / num_experts;
        const int expert = tid % num_experts;
        const int part = tid / num_experts;
        if (part < per_expert) {
            const int32_t* column = p.chunk_counts + expert;
            uint32_t total = 0, before = 0;
            for (int c0 = part * kTableGroup; c0 < p.num_chunks; c0 += per_expert * kTableGroup) {
                uint32_t v[kTableGroup];
#pragma unroll
                for (int i = 0; i < kTableGroup; ++i) {
                    v[i] = c0 + i < p.num_chunks ? static_cast<uint32_t>(column[(c0 + i) * num_experts]) : 0u;
                }
#pragma unroll
                for (int i = 0; i < kTableGroup; ++i) {
                    total += v[i];
                    before += c0 + i < block ? v[i] : 0u;
                }
            }
            ptxkit::ptx::red_shared_add_u32(&s_total[expert], total);  // integer sums: any order
            ptxkit::ptx::red_shared_add_u32(&s_before[expert], before);
        }
    }
    __syncthreads();

    // 2. Padded offsets: exclusive scan of the padded segment sizes, thread e = expert e.
    const int block_m_mask = (1 << p.log2_block_m) - 1;
    const int padded = tid < num_experts ? (static_cast<int>(s_total[tid]) + block_m_mask) & ~block_m_mask : 0;
    const int inclusive = warp_inclusive_sum(padded, lane);
    if (lane == 31) s_warp_sum[warp] = inclusive;
    __syncthreads();
    int warp_base = 0;
    for (int w = 0; w < warp; ++w) warp_base += s_warp_sum[w];
    if (tid < num_experts) s_offset[tid] = warp_base + inclusive - padded;
    if (tid == kThreads - 1) s_offset[num_experts] = warp_base + inclusive;  // threads >= E add 0
    __syncthreads();
    const int total_rows = s_offset[num_experts];

    // 3. The small outputs.
    if (block == 0) {
        if (tid < num_experts) {
            p.counts[tid] = static_cast<int32_t>(s_total[tid]);
            p.padded_offsets[tid] = s_offset[tid];
        }
        if (tid == 0) {
            p.padded_offsets[num_experts] = total_rows;
            p.total_padded[0] = total_rows;
        }
    }

    // 4. Grid-strided: -1 on the rows that hold no pair, and block_expert.
    const int stride = static_cast<int>(gridDim.x) * kThreads;
    const int first = block * kThreads + tid;
    for (int i = first; i < (num_experts << p.log2_block_m); i += stride) {
        const int e = i >> p.log2_block_m;
        const int row = s_offset[e] + static_cast<int>(s_total[e]) + (i & block_m_mask);
        if (row < s_offset[e + 1]) p.sorted_pairs[row] = -1;
    }
    for (int row = total_rows + first; row < p.capacity; row += stride) p.sorted_pairs[row] = -1;
    for (int i = first; i < p.num_blocks; i += stride) {
        const int row = i << p.log2_block_m;
        int expert = -1;
        if (row < total_rows) {
            // The last expert whose segment starts at or before `row`; empty
            // segments before it start there too but end there as well.
            int lo = 0, hi = num_experts - 1;
            while (lo < hi) {
                const int mid = (lo + hi + 1) >> 1;
                if (s_offset[mid] <= row)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            expert = lo;
        }
        p.block_expert[i] = expert;
    }

    if (block >= p.num_chunks) return;  // a fill-only block

    // 5. Place this block's chunk. Warp w owns pairs [slice_begin, slice_end).
    const int slice = p.chunk_size / kWarps;  // a multiple of 32 * kBatch
    const int chunk_end = min((block + 1) * p.chunk_size, p.num_pairs);
    const int slice_begin = block * p.chunk_size + warp * slice;
    const int slice_end = min(slice_begin + slice, chunk_end);
    int32_t* run = s_run[warp];
    for (int e = lane; e < num_experts; e += 32) run[e] = 0;
    ptxkit::ptx::bar_warp_sync();

    // 5a. Pairs per expert in this warp's slice.
    for (int base = slice_begin; base < slice_end; base += 32 * kBatch) {
        int x[kBatch];
#pragma unroll
        for (int i = 0; i < kBatch; ++i) x[i] = expert_at(p.ids, base + i * 32 + lane, slice_end, num_experts);
#pragma unroll
        for (int i = 0; i < kBatch; ++i) {
            const uint32_t peers = ptxkit::ptx::match_any_b32(static_cast<uint32_t>(x[i]));
            if (x[i] >= 0 && (peers & ptxkit::ptx::lanemask_lt()) == 0) run[x[i]] += __popc(peers);
            ptxkit::ptx::bar_warp_sync();  // the next step's leader may be another lane
        }
    }
    __syncthreads();

    // 5b. Each warp's first row per expert: the expert's segment start, plus its
    // pairs in earlier chunks, plus those in the earlier warps' slices.
    if (tid < num_experts) {
        int next = s_offset[tid] + static_cast<int>(s_before[tid]);
#pragma unroll
        for (int w = 0; w < kWarps; ++w) {
            const int c = s_run[w][tid];
            s_run[w][tid] = next;
            next += c;
        }
    }
    __syncthreads();

    // 5c. The slice in pair order: the lanes of a step with the same expert take
    // consecutive rows in lane order; the lowest of them reads and advances the
    // warp's next row for that expert.
    for (int base = slice_begin; base < slice_end; base += 32 * kBatch) {
        int x[kBatch];
#pragma unroll
        for (int i = 0; i < kBatch; ++i) x[i] = expert_at(p.ids, base + i * 32 + lane, slice_end, num_experts);
#pragma unroll
        for (int i = 0; i < kBatch; ++i) {
            const int pair = base + i * 32 + lane;
            const uint32_t peers = ptxkit::ptx::match_any_b32(static_cast<uint32_t>(x[i]));
            const int rank = __popc(peers & ptxkit::ptx::lanemask_lt());
            const int leader = __ffs(peers) - 1;
            const int start = x[i] >= 0 && rank == 0 ? run[x[i]] : 0;
            const int first_row = static_cast<int>(ptxkit::ptx::shfl_idx_b32(static_cast<uint32_t>(start), leader));
            if (x[i] >= 0) {
                if (rank == 0) run[x[i]] = first_row + __popc(peers);
                const int row = first_row + rank;
                p.sorted_pairs[row] = pair;
                p.inverse[pair] = row;
            } else if (pair < slice_end) {
                p.inverse[pair] = -1;  // dropped: its id is outside [0, E)
            }
            ptxkit::ptx::bar_warp_sync();
        }
    }
}
