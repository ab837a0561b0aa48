// The Hopper GEMM mainloop: TMA loads into a ring of shared-memory stages,
// wgmma from shared-memory descriptors, warp specialisation, persistent CTAs.
// One copy, used by the dense GEMM (gemm/sm90_gemm.cu) and the MoE grouped
// GEMM (moe/grouped_gemm_sm90.cu); what differs between them — which work
// items exist, where a K block's tiles come from, where the results go — is
// the caller's Schedule. Design and budget: docs/kernels/gemm_sm90.md.
//
// CTA of 384 threads = 3 warpgroups:
//   warpgroup 0   producer: setmaxnreg.dec to 40; thread 0 walks the work
//                 items and, for each K block, arms the next stage's `full`
//                 mbarrier with the stage's byte count and has the schedule
//                 issue the TMA copies of the A tile (128 x 64) and the B tile
//                 (BLOCK_N x 64, K-major or MN-major: BLayout) that complete
//                 on it.
//   warpgroups 1-2 consumers: setmaxnreg.inc to 232; consumer c computes rows
//                 64c .. 64c + 63 of the 128 x BLOCK_N tile with 4 wgmma
//                 m64n{BLOCK_N}k16 per K block, keeps one K block's group
//                 in flight behind the next and releases a stage on its
//                 `empty` mbarrier (one arrival per warp) once the group that
//                 read it has completed, and at the end of
//                 the work item hands its accumulators to the schedule.
// Producer and consumers walk the same item sequence (c, c + clusters, ...,
// c = the CTA's cluster index), so the ring's stage index and phase parity
// continue from item to item.
//
// Clusters (launched with cluster dimensions, %cluster_nctarank = 2): the two
// CTAs take the same work item (the schedule gives each its own tile of the
// pair) and share the B tile: each loads half of it and multicasts it to
// both. A stage is then written by both CTAs' producers, so it is free only
// when the consumers of both CTAs have released it: every consumer warp
// arrives on its own CTA's `empty` barrier and on the peer's (16 arrivals
// per phase). The CTAs synchronise (barrier.cluster) after initialising
// their barriers, before the peer can multicast into them, and before
// exiting, while the peer may still arrive on theirs.
//
// Schedule (a class with these const members, all inlined):
//   void prefetch()                     thread 0, before the barriers are set up
//   int64_t items()                     work items in all (the same on every thread)
//   Item item(int64_t index)            Item has `int32_t k_blocks` (0: nothing to load)
//   void load(const Item&, int32_t kb, uint32_t a_dst, uint32_t b_dst, uint32_t full_bar)
//                                       thread 0 of the producer: the TMA copies of K
//                                       block kb, exactly Config::kStageBytes in all
//   void store(const Item&, const float (&acc)[kAccumulators], int consumer, int warp, int lane)
//                                       every consumer thread, its fragment (below)
//   static constexpr bool kClusters     whether it may be launched in clusters of 2
//                                       (then load() multicasts this CTA's half of B)
//   void finish(int consumer, int warp, int lane)
//                                       every consumer thread, after its last item (e.g. to
//                                       wait for asynchronous stores that read shared memory)
//
// Shared memory (Config): the stage ring and its barriers, then, for a
// schedule that stages its epilogue (the dense GEMM's TMA store), kEpilogueBytes
// at kEpilogueOffset from the aligned base (aligned_smem_base()).
#pragma once

#include <cstdint>

#include "common/cluster.cuh"
#include "common/mbarrier.cuh"
#include "common/tma.cuh"
#include "common/wgmma.cuh"

namespace ptxkit::gemm::sm90 {

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
constexpr uint32_t kSwizzleRowBytes = BLOCK_K * kElementBytes;  // 128: one tile row in shared memory

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
    // Epilogue staging (optional, see above): per consumer two buffers of
    // 64 rows x 64 16-bit columns (8 KB, 128B-swizzled like a TMA box).
    static constexpr uint32_t kEpilogueBufferBytes = WGMMA_M * 64 * kElementBytes;
    static constexpr uint32_t kEpilogueOffset = (kEmptyOffset + kStages * 8 + 1023u) / 1024u * 1024u;
    static constexpr uint32_t kEpilogueBytes = kNumConsumers * 2 * kEpilogueBufferBytes;
    static constexpr uint32_t kSharedBytesWithEpilogue = 1024 + kEpilogueOffset + kEpilogueBytes;
    static_assert(kSharedBytesWithEpilogue <= 227 * 1024, "epilogue staging does not fit next to the ring");
    static_assert(kABytes % 1024 == 0 && kBBytes % 1024 == 0 && kConsumerABytes % 1024 == 0,
                  "128B-swizzled tiles must start on 1024-byte boundaries");
    static_assert(kSharedBytes <= 227 * 1024, "more shared memory than an H100 block can opt in to");
};

// How B's stage tile sits in shared memory.
//   KMajor  (B [N, K], a Linear weight): one TMA box of BLOCK_N rows x 64 K
//           elements, each row one 128-byte swizzled row along K, like A.
//   MNMajor (B [K, N]): BLOCK_N / 64 TMA boxes of 64 K rows x 64 N elements
//           (8 KB each, kBBoxBytes apart), each K row one 128-byte swizzled
//           row along N; wgmma reads it with imm-trans-b = 1 and an MN-major
//           descriptor whose leading byte offset steps from box to box.
enum class BLayout { KMajor, MNMajor };
constexpr uint32_t kBBoxBytes = BLOCK_K * kSwizzleRowBytes;  // 8 KB: one MN-major B box
constexpr int kBBoxN = 64;                                   // N elements per MN-major B box
constexpr uint32_t kMNMajorKStepBytes = WGMMA_K * kSwizzleRowBytes;  // 2048: 16 K rows

template <BLayout kB>
__device__ __forceinline__ uint64_t b_descriptor(uint32_t b_tile, int ks) {
    if constexpr (kB == BLayout::KMajor) {
        return ::ptxkit::ptx::make_smem_desc_kmajor_sw128(b_tile + ks * kKStepBytes);
    } else {
        return ::ptxkit::ptx::make_smem_desc_mnmajor_sw128(b_tile + ks * kMNMajorKStepBytes, kBBoxBytes);
    }
}

// One k16 step of one consumer: acc (64 x BLOCK_N) += A (64 x 16) * B (16 x BLOCK_N).
template <int BLOCK_N, bool kBf16, BLayout kB>
__device__ __forceinline__ void mma_k16(float (&acc)[Config<BLOCK_N>::kAccumulators], uint64_t desc_a,
                                        uint64_t desc_b) {
    constexpr int kTransB = kB == BLayout::MNMajor ? 1 : 0;
    if constexpr (BLOCK_N == 256) {
        if constexpr (kBf16) {
            ::ptxkit::ptx::wgmma_m64n256k16_f32_bf16_ss<kTransB>(acc, desc_a, desc_b, 1u);
        } else {
            ::ptxkit::ptx::wgmma_m64n256k16_f32_f16_ss<kTransB>(acc, desc_a, desc_b, 1u);
        }
    } else {
        if constexpr (kBf16) {
            ::ptxkit::ptx::wgmma_m64n128k16_f32_bf16_ss<kTransB>(acc, desc_a, desc_b, 1u);
        } else {
            ::ptxkit::ptx::wgmma_m64n128k16_f32_f16_ss<kTransB>(acc, desc_a, desc_b, 1u);
        }
    }
}

// Where a consumer thread's accumulators sit in the 128 x BLOCK_N tile
// (wgmma.cuh): acc[4j + 2h + e] is row fragment_row(...) + 8h, column
// fragment_col(lane) + 8j + e.
__device__ __forceinline__ int fragment_row(int consumer, int warp, int lane) {
    return consumer * WGMMA_M + warp * 16 + lane / 4;
}
__device__ __forceinline__ int fragment_col(int lane) { return 2 * (lane % 4); }

// The dynamic shared memory base rounded up to 1024 bytes (the 128B swizzle
// atom); the host adds 1024 bytes of slack.
__device__ __forceinline__ uint32_t aligned_smem_base() {
    extern __shared__ __align__(1024) uint8_t smem_raw[];
    return (::ptxkit::ptx::smem_u32(smem_raw) + 1023u) & ~1023u;
}

template <int BLOCK_N, bool kBf16, BLayout kB = BLayout::KMajor, class Schedule>
__device__ __forceinline__ void mainloop(const Schedule& s) {
    namespace ptx = ::ptxkit::ptx;
    using Cfg = Config<BLOCK_N>;
    constexpr int kStages = Cfg::kStages;

    const uint32_t smem = aligned_smem_base();
    // CTAs in the cluster: 1, or 2 when the B tile is shared; a schedule that
    // never clusters (kClusters false) gets the constant 1 and none of the code.
    auto ctas = [] { return Schedule::kClusters ? ptx::cluster_ctas() : 1u; };
    const uint32_t cluster_ctas = ctas();
    const uint32_t smem_a = smem;                         // stage s at + s * kABytes
    const uint32_t smem_b = smem + Cfg::kBOffset;         // stage s at + s * kBBytes
    const uint32_t full_bar = smem + Cfg::kFullOffset;    // stage s at + 8 s
    const uint32_t empty_bar = smem + Cfg::kEmptyOffset;  // stage s at + 8 s

    if (threadIdx.x == 0) {
        s.prefetch();
#pragma unroll
        for (int st = 0; st < kStages; ++st) {
            ptx::mbarrier_init(full_bar + 8 * st, 1);  // the producer's arrive.expect_tx (+ TMA bytes)
            ptx::mbarrier_init(empty_bar + 8 * st, kEmptyArrivals * cluster_ctas);
        }
        ptx::fence_mbarrier_init();
    }
    if (cluster_ctas > 1) {
        ptx::cluster_sync();  // the peer's barriers exist before anyone multicasts into them
    } else {
        __syncthreads();
    }

    // Both CTAs of a cluster walk the same items (1 or 2 CTAs: a shift, not a
    // division). Evaluated after setmaxnreg in each role: values kept live
    // across it were spilled by the 40-register producer.
    auto first_item = [&] { return int64_t(blockIdx.x >> (ctas() - 1u)); };
    auto item_step = [&] { return int64_t(gridDim.x >> (ctas() - 1u)); };
    const int warpgroup = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x / 128), 0);

    if (warpgroup == 0) {
        // ---- producer ----------------------------------------------------
        ptx::setmaxnreg_dec<kProducerRegisters>();
        if (threadIdx.x == 0) {
            uint32_t stage = 0, phase = 0;
            const int64_t items = s.items();
            const int64_t step = item_step();
            for (int64_t item = first_item(); item < items; item += step) {
                const auto w = s.item(item);
                for (int32_t kb = 0; kb < w.k_blocks; ++kb) {
                    // Wait until every consumer (of both CTAs in a cluster) released
                    // this stage (passes at once on the first lap).
                    ptx::mbarrier_wait_parity(empty_bar + 8 * stage, phase ^ 1u);
                    const uint32_t full = full_bar + 8 * stage;
                    ptx::mbarrier_arrive_expect_tx(full, Cfg::kStageBytes);
                    s.load(w, kb, smem_a + stage * Cfg::kABytes, smem_b + stage * Cfg::kBBytes, full);
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
        // Releases a stage: this CTA's barrier, and the peer's in a cluster.
        const bool clustered = ctas() > 1;
        const uint32_t peer = ptx::cluster_ctarank() ^ 1u;
        auto release = [&](uint32_t st) {
            if (lane == 0) {
                ptx::mbarrier_arrive(empty_bar + 8 * st);
                if (clustered) ptx::mbarrier_arrive_cluster(ptx::map_shared_to_cta(empty_bar + 8 * st, peer));
            }
        };
        const int64_t items = s.items();
        const int64_t step = item_step();
        for (int64_t item = first_item(); item < items; item += step) {
            const auto w = s.item(item);
#pragma unroll
            for (int i = 0; i < Cfg::kAccumulators; ++i) acc[i] = 0.0f;

            // One wgmma group in flight behind the one just issued: K block
            // kb's group is committed before kb - 1's is waited for, so the
            // tensor cores never wait on this warpgroup's issue, and a stage is
            // released only once the group that read it has completed.
            // Successive wgmma on the same accumulators need no fence between
            // them (PTX ISA, wgmma.fence); nothing else touches acc until the
            // final wait_group 0.
            uint32_t reading = 0;  // the stage the in-flight group reads
            for (int32_t kb = 0; kb < w.k_blocks; ++kb) {
                ptx::mbarrier_wait_parity(full_bar + 8 * stage, phase);
                const uint32_t a_tile = smem_a + stage * Cfg::kABytes + a_slab;
                const uint32_t b_tile = smem_b + stage * Cfg::kBBytes;
#pragma unroll
                for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
                ptx::wgmma_fence();
#pragma unroll
                for (int ks = 0; ks < BLOCK_K / WGMMA_K; ++ks) {
                    mma_k16<BLOCK_N, kBf16, kB>(acc, ptx::make_smem_desc_kmajor_sw128(a_tile + ks * kKStepBytes),
                                                b_descriptor<kB>(b_tile, ks));
                }
                ptx::wgmma_commit_group();
#pragma unroll
                for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
                ptx::wgmma_wait_group<1>();
#pragma unroll
                for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
                // K block kb - 1's group has completed: this warp's share of
                // its stage has been read, release it.
                if (kb > 0) release(reading);
                reading = stage;
                if (++stage == kStages) {
                    stage = 0;
                    phase ^= 1u;
                }
            }
            ptx::wgmma_wait_group<0>();
#pragma unroll
            for (int i = 0; i < Cfg::kAccumulators; ++i) ptx::wgmma_fence_operand(acc[i]);
            if (w.k_blocks > 0) release(reading);
            s.store(w, acc, consumer, warp, lane);
        }
        s.finish(consumer, warp, lane);
    }
    // The peer may still arrive on this CTA's barriers (and multicast into
    // its stages, for items this CTA also consumed): both leave together.
    if (ctas() > 1) ptx::cluster_sync();
}

}  // namespace ptxkit::gemm::sm90
