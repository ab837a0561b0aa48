// Per-warp state of the matrix families (ops_mma.cpp): wgmma fence / group
// bookkeeping of each warp, the accumulator (and register-A) values of
// in-flight wgmma.mma_async, and, in the first warp of each warpgroup, the
// warpgroup's wgmma-groups with the shared-memory operand bytes they read.
// PTX ISA 9.7.15 "Asynchronous Warpgroup Level Matrix Multiply-Accumulate".
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

namespace ptxsim::ptx {
struct Instruction;
}

namespace ptxsim::exec {

struct Cta;

// One register slot of an in-flight wgmma.mma_async, per lane: for an
// accumulator the result that lands at the wgmma.wait_group completing
// `group` (the register holds the poison bits until then); for a register-A
// fragment the value read at issue (it must not change before that wait).
struct WgmmaPendingReg {
    uint32_t group = 0;
    std::array<uint32_t, 32> bits{};
};

// A wgmma-group of a warpgroup (ISA "wgmma.commit_group", 9.7.15.7.2 in ISA 9.x numbering).
struct WgmmaGroup {
    uint32_t waited = 0;        // warps of the warpgroup (bit warp % 4) whose wait_group covered it
    uint32_t mmas = 0;          // wgmma.mma_async issued into it
    // Shared-memory operand chunks (16 bytes, 16-aligned) read at issue, and their bytes then.
    std::vector<uint32_t> chunk_addr;
    std::vector<std::array<uint8_t, 16>> chunk_val;
};

struct MmaWarpState {
    // ---- this warp ----
    bool fenced = false;                        // wgmma.fence since the last wgmma.wait_group
    uint32_t commits = 0;                       // wgmma.commit_group executed (= index of the open group)
    uint32_t done = 0;                          // groups [0, done) waited for by this warp
    std::map<int32_t, WgmmaPendingReg> acc;     // accumulator slots of in-flight wgmma (by register slot)
    std::map<int32_t, WgmmaPendingReg> areg;    // register-A slots of in-flight wgmma (by register slot)
    const ptx::Instruction* wg_in = nullptr;    // the wgmma.mma_async this warp is blocked in, waiting for its warpgroup
    uint32_t maxnreg = 0;                       // last setmaxnreg count (0: none yet)

    // ---- the warpgroup (meaningful in the warpgroup's first warp only) ----
    uint32_t wg_arrived = 0;                    // warps (bit warp % 4) blocked in wgmma.mma_async
    uint32_t group_base = 0;                    // index of groups.front()
    std::deque<WgmmaGroup> groups;              // groups [group_base, ...) not yet complete
    std::vector<uint16_t> inflight;             // per 16-byte chunk of the shared window: reads by incomplete groups
    uint64_t wgmma_issued = 0;                  // statistics
};

// True when a wgmma.mma_async of any warpgroup of `c` whose group has not
// completed (not every warp of the warpgroup waited for it) reads one of the
// shared bytes [addr, addr + bytes): a TMA / bulk copy / store into them is
// undefined (the operands must stay unchanged until completion).
bool wgmma_reads_inflight(const Cta& c, uint32_t addr, uint32_t bytes);

}  // namespace ptxsim::exec
