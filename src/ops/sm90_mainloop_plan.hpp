// Host-side mirror of the sm90 TMA + wgmma mainloop
// (kernels/gemm/sm90_mainloop.cuh, Config<BLOCK_N>), shared by the planners
// of every kernel built on it: the dense GEMM (gemm_sm90.cpp) and the MoE
// grouped expert GEMM (moe_grouped_gemm_sm90.cpp). The kernel's
// static_asserts guard the device side of these numbers.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ptxkit::detail::sm90_mainloop {

inline constexpr int kBlockM = 128;
inline constexpr int kBlockK = 64;          // 64 16-bit elements: one 128-byte swizzle row
inline constexpr unsigned kThreads = 384;   // producer warpgroup + 2 consumer warpgroups

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Dynamic shared memory: [stages x A 128x64][stages x B BNx64][stages full]
// [stages empty] mbarriers, from a base the kernel aligns up to 1024 bytes
// (128B swizzle).
inline unsigned shared_bytes(int block_n, int stages) {
    const unsigned a = kBlockM * kBlockK * 2;
    const unsigned b = static_cast<unsigned>(block_n) * kBlockK * 2;
    return 1024 + static_cast<unsigned>(stages) * (a + b) + 2 * static_cast<unsigned>(stages) * 8;
}

// With the epilogue staging of a TMA-store epilogue after the ring
// (Config::kSharedBytesWithEpilogue): from the next 1024-byte boundary, two
// 64 x 64 16-bit buffers per consumer warpgroup.
inline constexpr unsigned kEpilogueBytes = 2 * 2 * 64 * 64 * 2;
inline unsigned shared_bytes_with_epilogue(int block_n, int stages) {
    const unsigned ring = shared_bytes(block_n, stages) - 1024;
    return 1024 + (ring + 1023) / 1024 * 1024 + kEpilogueBytes;
}

// Which tile width: a persistent grid of min(tiles, SMs) CTAs takes
// ceil(tiles / SMs) rounds of tiles, so the run time is about
// rounds x (time of one tile). A 128x256 tile does twice the work of a
// 128x128 one but, with a higher arithmetic intensity per byte of shared
// memory, in less than twice the time; we model the 128x128 tile as 0.555 of
// a 128x256 one (about 90% of its throughput). True for the wide tile (also
// on a tie): in effect for large outputs, while the narrow tile wins when it
// fills the SMs better (few tiles, or a last round mostly empty).
inline bool prefer_wide_tile(std::int64_t tile_rows, std::int64_t wide_tile_columns,
                             std::int64_t narrow_tile_columns, int sm_count) {
    const std::int64_t sms = std::max(sm_count, 1);
    const double wide = static_cast<double>(ceil_div(tile_rows * wide_tile_columns, sms));
    const double narrow = 0.555 * static_cast<double>(ceil_div(tile_rows * narrow_tile_columns, sms));
    return wide <= narrow;
}

}  // namespace ptxkit::detail::sm90_mainloop
