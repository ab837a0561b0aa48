#include "exec/profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <vector>

#include "exec/exec.hpp"

namespace ptxsim::exec {

void profile_shared(Stats& s, const uint32_t* addr, uint32_t lanes, uint32_t bytes, const ptx::Instruction& in) {
    if (lanes == 0) return;
    ++s.shared_requests;
    const uint64_t before = s.shared_wavefronts;
    // Accesses wider than 4 bytes are split by the hardware into phases of
    // 128 bytes (8 lanes for 16-byte, 16 for 8-byte accesses); within each
    // phase the busiest bank sets the wavefronts (distinct words, same word
    // broadcast).
    const uint32_t per_phase = bytes >= 16 ? 8 : bytes == 8 ? 16 : 32;
    for (uint32_t first = 0; first < lanes; first += per_phase) {
        std::set<uint32_t> words[32];
        for (uint32_t i = first; i < std::min(lanes, first + per_phase); ++i)
            for (uint32_t b = 0; b < std::max(bytes, 4u); b += 4) {
                const uint32_t word = (addr[i] + b) / 4;
                words[word % 32].insert(word);
            }
        std::size_t worst = 1;
        for (const auto& w : words) worst = std::max(worst, w.size());
        s.shared_wavefronts += worst;
    }
    const uint64_t wavefronts = s.shared_wavefronts - before;
    const uint32_t phases = (lanes + per_phase - 1) / per_phase;
    if (wavefronts > phases) {
        auto& c = s.shared_conflicts[in.ptx_line];
        ++c.requests;
        c.wavefronts += wavefronts;
        c.src_line = in.src_line;
    }
}

void profile_global(Stats& s, const uint64_t* addr, uint32_t lanes, uint32_t bytes) {
    if (lanes == 0) return;
    ++s.global_requests;
    std::set<uint64_t> sectors;
    for (uint32_t i = 0; i < lanes; ++i)
        for (uint64_t a = addr[i] / 32; a <= (addr[i] + bytes - 1) / 32; ++a) sectors.insert(a);
    s.global_sectors += sectors.size();
}

void record_stats(const Stats& s, const Launch& L) {
    const char* path = std::getenv("PTXSIM_PROFILE");
    if (path == nullptr || *path == '\0') return;
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    // The conflicting instructions, the worst first: [PTX line, source line,
    // requests, wavefronts].
    std::vector<std::pair<int32_t, Stats::Conflicts>> worst(s.shared_conflicts.begin(), s.shared_conflicts.end());
    std::sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) {
        return a.second.wavefronts - a.second.requests > b.second.wavefronts - b.second.requests;
    });
    std::string conflicts;
    for (std::size_t i = 0; i < worst.size() && i < 16; ++i) {
        const auto& c = worst[i].second;
        conflicts += fmt::format("{}[{},{},{},{}]", i ? "," : "", worst[i].first, c.src_line, c.requests, c.wavefronts);
    }
    if (FILE* f = std::fopen(path, "a")) {
        std::fprintf(f, "%s\n",
                     fmt::format("{{\"kernel\":\"{}\",\"grid\":[{},{},{}],\"block\":[{},{},{}],\"instructions\":{},"
                                 "\"shared_requests\":{},\"shared_wavefronts\":{},\"global_requests\":{},"
                                 "\"global_sectors\":{},\"shared_conflicts\":[{}]}}",
                                 s.kernel, L.grid[0], L.grid[1], L.grid[2], L.block[0], L.block[1], L.block[2],
                                 s.instructions, s.shared_requests, s.shared_wavefronts, s.global_requests,
                                 s.global_sectors, conflicts)
                         .c_str());
        std::fclose(f);
    }
}

}  // namespace ptxsim::exec
