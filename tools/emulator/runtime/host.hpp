// The emulator's interface to a harness: the tensor-map encoding the stubbed
// driver writes, how a launch is run (execution model), the buffers TMA may
// touch, and counters of what a run exercised.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "emu.hpp"

namespace emu {
// The emulator's own encoding of a CUtensorMap: written by the stubbed
// cuTensorMapEncodeTiled, read by the emulated cp.async.bulk.tensor.
constexpr uint64_t kTensorMapMagic = 0x50414d54554d4545ull;
struct EmuTensorMap {
    uint64_t magic;
    int32_t dtype;  // CUtensorMapDataType
    int32_t rank;
    uint64_t base;
    uint64_t dims[4];
    uint64_t strides[3];  // bytes, dimensions 1 .. rank-1
    uint32_t box[4];
    uint8_t estr[4];
    int8_t interleave, swizzle, l2, oob;
    uint32_t esize;
};
static_assert(sizeof(EmuTensorMap) <= 128, "fits in a CUtensorMap");

// The execution model: the orders in which a correct kernel must still work.
struct RunConfig {
    bool lazy_tma = true;        // TMA loads land only when no thread can progress (else at issue)
    bool shuffle = false;        // a random thread order every scheduler round
    unsigned seed = 1;
    uint32_t window_offset = 0;  // where the dynamic shared memory starts in the shared window
    int approx_noise = 0;        // *.approx results: 0 exact, 1 off by their documented error,
                                 // 2 as 1 with tanh's error absolute instead of relative
};
RunConfig& config();

// Global memory TMA may read or write (every TMA element is checked against these).
void register_region(const void* base, std::size_t size);
void clear_regions();

struct Stats {
    long long tma_loads = 0, tma_stores = 0, wgmma = 0, wgmma_rs = 0, stmatrix = 0, oob_boxes = 0, partial_boxes = 0,
              blocks = 0;
};
Stats& stats();

// Runs a cluster of n CTAs (blockIdx.x = first .. first + n - 1) of `threads`
// threads each to completion; `kernel` is the kernel body every thread runs.
void run_cluster(unsigned first, unsigned n, dim3e grid, int threads, uint32_t dyn_bytes, std::function<void()> kernel);
void run_block(dim3e block, dim3e grid, int threads, uint32_t dyn_bytes, std::function<void()> kernel);
}  // namespace emu
