// ptxkit-module: sass=sm_90a ptx=none hot=*
//
// Hopper GEMM: TMA loads into a ring of shared-memory stages, wgmma from
// shared-memory descriptors, warp specialisation, persistent CTAs.
// Design, budget and status: docs/kernels/gemm_sm90.md. Host side:
// src/ops/gemm_sm90.cpp (plan_sm90, launch_sm90), which must agree with the
// constants below (tile sizes, stage counts, shared-memory layout).
//
// CTA of 384 threads = 3 warpgroups:
//   warpgroup 0   producer: setmaxnreg.dec to 40; thread 0 issues, for every
//                 K block of every work item, one TMA copy of the A tile
//                 (128 x 64) and one of the B tile (BLOCK_N x 64) into the next
//                 stage, completing on that stage's `full` mbarrier.
//   warpgroups 1-2 consumers: setmaxnreg.inc to 232; consumer c computes rows
//                 64c .. 64c + 63 of the 128 x BLOCK_N tile with 4 wgmma
//                 m64n{BLOCK_N}k16 per K block, releases the stage on its
//                 `empty` mbarrier (one arrival per warp), and at the end of
//                 the work item runs the epilogue straight from registers.
// Work items (tile, K slice) are walked persistently: CTA b takes b,
// b + gridDim.x, ... in the order of ptxkit::gemm_tiles::tile_of; producer and
// consumers walk the same sequence, so the ring's stage index and phase
// parity simply continue from one item to the next.
//
// Requires (checked by plan_sm90): A [M, K] and B [N, K] (K-major), bf16 or f16,
// 16-byte aligned bases and leading dimensions a multiple of 8 elements; with
// split-K, k_per_split a multiple of BLOCK_K (so a K block never crosses into
// the next slice: TMA zero-fills only at the tensor's edges, not at a slice's).
#include <cuda.h>  // CUtensorMap

#include <cstdint>

#include "common/mbarrier.cuh"
#include "common/tma.cuh"
#include "common/wgmma.cuh"
#include "gemm/epilogue.cuh"
#include "gemm/gemm_params.h"
#include "gemm/tile_scheduler.h"

namespace {

namespace ptx = ptxkit::ptx;

constexpr int BLOCK_M = 128;
constexpr int BLOCK_K = 64;  // 64 16-bit elements = one 128-byte swizzle row
constexpr int WGMMA_M = 64;
constexpr int WGMMA_K = 16;
constexpr int kThreads = 384;
constexpr int kNumConsumers = 2;
constexpr int kProducerRegisters = 40;
constexpr int kConsumerRegisters = 232;  // 128 x 40 + 256 x 232 = 64512 = 384 x 168
constexpr uint32_t kEmptyArrivals = kNumConsumers * 4;  // lane 0 of every consumer warp
constexpr uint32_t kElementBytes = 2;
constexpr uint32_t kKStepBytes = WGMMA_K * kElementBytes;  // 32: descriptor advance per k16

template <int BLOCK_N>
struct Config {
    static_assert(BLOCK_N == 128 || BLOCK_N == 256, "BLOCK_N is 128 or 256");
    static constexpr int kStages = BLOCK_N == 256 ? 4 : 6;
    static constexpr uint32_t kABytes = BLOCK_M * BLOCK_K * kElementBytes;  // 16 KB
    static constexpr uint32_t kBBytes = BLOCK_N * BLOCK_K * kElementBytes;  // 32 or 16 KB
    static constexpr uint32_t kStageBytes = kABytes + kBBytes;
    static constexpr uint32_t kConsumerABytes = WGMMA_M * BLOCK_K * kElementBytes;  // 8 KB: 64 rows of A
    static constexpr int kAccumulators = WGMMA_M * BLOCK_N / 128;                  // f32 per thread
    // [A stages][B stages][full barriers][empty barriers], from a 1024-aligned base.
    static constexpr uint32_t kBOffset = kStages * kABytes;
    static constexpr uint32_t kFullOffset = kStages * kStageBytes;
    static constexpr uint32_t kEmptyOffset = kFullOffset + kStages * 8;
    static constexpr uint32_t kSharedBytes = 1024 + kEmptyOffset + kStages * 8;  // with alignment slack
    static_assert(kABytes % 1024 == 0 && kBBytes % 1024 == 0 && kConsumerABytes % 1024 == 0,
                  "128B-swizzled tiles must start on 1024-byte boundaries");
    static_assert(kSharedBytes <= 227 * 1024, "more shared memory than an H100 block can opt in to");
};

// One (tile, K slice) of the persistent walk.
struct WorkItem {
    int64_t m0, n0;     // first row and column of the output tile
    int64_t k_begin;    // first K element of the slice
    int32_t k_blocks;   // K blocks in the slice (0 when the slice is empty)
    int32_t split;
};

__device__ __forceinline__ WorkItem work_item(const ptxkit_gemm_params& p, int64_t index, int block_n) {
    const ptxkit::gemm_tiles::TileCoord t = ptxkit::gemm_tiles::tile_of(index, p.tiles_m, p.tiles_n, p.group_m, p.splits);
    WorkItem w;
    w.m0 = int64_t(t.m) * BLOCK_M;
    w.n0 = int64_t(t.n) * block_n;
    w.split = t.split;
    w.k_begin = int64_t(t.split) * p.k_per_split;
    const int64_t k_end = min(p.k, w.k_begin + p.k_per_split);
    w.k_blocks = k_end > w.k_begin ? int32_t((k_end - w.k_begin + BLOCK_K - 1) / BLOCK_K) : 0;
    return w;
}

// One k16 step of one consumer: acc (64 x BLOCK_N) += A (64 x 16) * B^T (16 x BLOCK_N).
template <int BLOCK_N, bool kBf16>
__device__ __forceinline__ void mma_k16(float (&acc)[Config<BLOCK_N>::kAccumulators], uint64_t desc_a,
                                        uint64_t desc_b) {
    if constexpr (BLOCK_N == 256) {
        if constexpr (kBf16) {
            ptx::wgmma_m64n256k16_f32_bf16_ss(acc, desc_a, desc_b, 1u);
        } else {
            ptx::wgmma_m64n256k16_f32_f16_ss(acc, desc_a, desc_b, 1u);
        }
    } else {
        if constexpr (kBf16) {
            ptx::wgmma_m64n128k16_f32_bf16_ss(acc, desc_a, desc_b, 1u);
        } else {
            ptx::wgmma_m64n128k16_f32_f16_ss(acc, desc_a, desc_b, 1u);
        }
    }
}

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

template <int BLOCK_N, bool kBf16>
__device__ __forceinline__ void sm90_gemm(const CUtensorMap& tma_a, const CUtensorMap& tma_b,
                                          const ptxkit_gemm_params& p) {
    using Cfg = Config<BLOCK_N>;
    constexpr int kStages = Cfg::kStages;

    extern __shared__ __align__(1024) uint8_t smem_raw[];
    const uint32_t smem = (ptx::smem_u32(smem_raw) + 1023u) & ~1023u;
    const uint32_t smem_a = smem;                      // stage s at + s * kABytes
    const uint32_t smem_b = smem + Cfg::kBOffset;      // stage s at + s * kBBytes
    const uint32_t full_bar = smem + Cfg::kFullOffset;    // stage s at + 8 s
    const uint32_t empty_bar = smem + Cfg::kEmptyOffset;  // stage s at + 8 s

    if (threadIdx.x == 0) {
        ptx::prefetch_tensormap(&tma_a);
        ptx::prefetch_tensormap(&tma_b);
#pragma unroll
        for (int s = 0; s < kStages; ++s) {
            ptx::mbarrier_init(full_bar + 8 * s, 1);  // the producer's arrive.expect_tx (+ TMA bytes)
            ptx::mbarrier_init(empty_bar + 8 * s, kEmptyArrivals);
        }
        ptx::fence_mbarrier_init();
    }
    __syncthreads();

    const int64_t items = ptxkit::gemm_tiles::tile_count(p.tiles_m, p.tiles_n, p.splits);
    const int warpgroup = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x / 128), 0);

    if (warpgroup == 0) {
        // ---- producer ----------------------------------------------------
        ptx::setmaxnreg_dec<kProducerRegisters>();
        if (threadIdx.x == 0) {
            uint32_t stage = 0, phase = 0;
            for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
                const WorkItem w = work_item(p, item, BLOCK_N);
                for (int32_t kb = 0; kb < w.k_blocks; ++kb) {
                    // Wait until both consumers released this stage (passes at once on the first lap).
                    ptx::mbarrier_wait_parity(empty_bar + 8 * stage, phase ^ 1u);
                    const uint32_t full = full_bar + 8 * stage;
                    ptx::mbarrier_arrive_expect_tx(full, Cfg::kStageBytes);
                    const int32_t k = static_cast<int32_t>(w.k_begin + int64_t(kb) * BLOCK_K);
                    ptx::tma_load_2d(smem_a + stage * Cfg::kABytes, &tma_a, full, k, static_cast<int32_t>(w.m0));
                    ptx::tma_load_2d(smem_b + stage * Cfg::kBBytes, &tma_b, full, k, static_cast<int32_t>(w.n0));
                    if (++stage == kStages) {
                        stage = 0;
                        phase ^= 1u;
                    }
                }
            }
        }
    } else {
        // ---- consumers ---------------------------------------------------
        ptx::setmaxnreg_inc<kConsumerRegisters>();
        const int consumer = warpgroup - 1;
        const int warp = static_cast<int>(threadIdx.x / 32) % 4;
        const int lane = static_cast<int>(threadIdx.x % 32);
        const uint32_t a_slab = static_cast<uint32_t>(consumer) * Cfg::kConsumerABytes;

        float acc[Cfg::kAccumulators];
        uint32_t stage = 0, phase = 0;
        for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
            const WorkItem w = work_item(p, item, BLOCK_N);
#pragma unroll
            for (int i = 0; i < Cfg::kAccumulators; ++i) acc[i] = 0.0f;

            for (int32_t kb = 0; kb < w.k_blocks; ++kb) {
                ptx::mbarrier_wait_parity(full_bar + 8 * stage, phase);
                const uint32_t a_tile = smem_a + stage * Cfg::kABytes + a_slab;
                const uint32_t b_tile = smem_b + stage * Cfg::kBBytes;
#pragma unroll
                for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
                ptx::wgmma_fence();
#pragma unroll
                for (int ks = 0; ks < BLOCK_K / WGMMA_K; ++ks) {
                    mma_k16<BLOCK_N, kBf16>(acc, ptx::make_smem_desc_kmajor_sw128(a_tile + ks * kKStepBytes),
                                            ptx::make_smem_desc_kmajor_sw128(b_tile + ks * kKStepBytes));
                }
                ptx::wgmma_commit_group();
#pragma unroll
                for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
                ptx::wgmma_wait_group<0>();
#pragma unroll
                for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
                // This warp's share of the stage has been read: release it.
                if (lane == 0) ptx::mbarrier_arrive(empty_bar + 8 * stage);
                if (++stage == kStages) {
                    stage = 0;
                    phase ^= 1u;
                }
            }

            const int64_t row0 = w.m0 + consumer * WGMMA_M + warp * 16 + lane / 4;
            const int64_t col0 = w.n0 + 2 * (lane % 4);
            if (p.splits > 1) {
                store_partial<BLOCK_N>(p, acc, w.split, row0, col0);
            } else {
                store_tile<BLOCK_N>(p, acc, row0, col0);
            }
        }
    }
}

}  // namespace

#define PTXKIT_SM90_GEMM_KERNEL(name, block_n, is_bf16)                                                     \
    extern "C" __global__ void __launch_bounds__(kThreads, 1)                                               \
        name(const __grid_constant__ CUtensorMap tma_a, const __grid_constant__ CUtensorMap tma_b,          \
             const __grid_constant__ ptxkit_gemm_params params) {                                           \
        sm90_gemm<block_n, is_bf16>(tma_a, tma_b, params);                                                  \
    }

PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_bf16_128x256, 256, true)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_f16_128x256, 256, false)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_bf16_128x128, 128, true)
PTXKIT_SM90_GEMM_KERNEL(ptxkit_gemm_sm90_f16_128x128, 128, false)
