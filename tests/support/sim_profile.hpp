// On the software GPU: what its profiler (PTXSIM_PROFILE, docs/ptxsim.md)
// says about the launches made while a SimProfile is alive: per kernel,
// shared-memory requests and wavefronts (bank conflicts) and global requests
// and 32-byte sectors (coalescing). Lets a test pin a memory-access pattern
// that only a GPU's speed would otherwise reveal.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ptxkit::testing {

struct KernelAccessStats {
    std::uint64_t launches = 0;
    // Wavefronts count phases too: a conflict-free 16-byte access by 32 lanes
    // takes 4 (128 bytes each); bank conflicts are in `conflicts`.
    std::uint64_t shared_requests = 0, shared_wavefronts = 0;
    std::uint64_t global_requests = 0, global_sectors = 0;
    // The shared accesses that took more wavefronts than their phases, per
    // instruction: "PTX line L (source line S): R requests, W wavefronts".
    std::vector<std::string> conflicts;
    double sectors_per_request() const {
        return global_requests ? static_cast<double>(global_sectors) / static_cast<double>(global_requests) : 0;
    }
};

class SimProfile {
public:
    SimProfile();  // sets PTXSIM_PROFILE to a fresh file (ptxsim reads it at every launch)
    ~SimProfile();  // unsets it and removes the file
    SimProfile(const SimProfile&) = delete;
    SimProfile& operator=(const SimProfile&) = delete;

    // The launches so far (ptxsim runs a launch when it is issued), by kernel.
    std::map<std::string, KernelAccessStats> by_kernel() const;

private:
    std::string path_;
};

}  // namespace ptxkit::testing
