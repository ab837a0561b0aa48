// What a profiler would tell, counted by the simulator per kernel: shared-
// memory wavefronts per request (bank conflicts: a warp's access to 32 banks
// of 4 bytes needs one wavefront per distinct 4-byte word in the busiest
// bank) and global-memory sectors (32 bytes) per request, plus the
// instruction count. PTXSIM_PROFILE=<file> appends one line per launch.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ptx/ir.hpp"

namespace ptxsim::exec {

struct Launch;

struct Stats {
    explicit Stats(const ptx::Function& f) : kernel(f.name) {}
    std::string kernel;
    uint64_t instructions = 0;      // warp-instructions
    uint64_t shared_requests = 0;   // warp-level ld/st.shared (and ldmatrix/stmatrix)
    uint64_t shared_wavefronts = 0;
    uint64_t global_requests = 0;   // warp-level ld/st.global
    uint64_t global_sectors = 0;
    // Per PTX line of a shared access that conflicted, so that a report can
    // name the instructions behind the bank conflicts (and their source line).
    struct Conflicts {
        uint64_t requests = 0, wavefronts = 0;
        int32_t src_line = 0;
    };
    std::map<int32_t, Conflicts> shared_conflicts;
};

// Counts one warp-level shared access of instruction `in`: per-lane byte
// addresses and width.
void profile_shared(Stats& s, const uint32_t* addr, uint32_t lanes, uint32_t bytes, const ptx::Instruction& in);
void profile_global(Stats& s, const uint64_t* addr, uint32_t lanes, uint32_t bytes);
void record_stats(const Stats& s, const Launch& L);

}  // namespace ptxsim::exec
