#include "support/sim_profile.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace ptxkit::testing {
namespace {

// The number after "name": in one JSON line of the profile.
std::uint64_t field(const std::string& line, const char* name) {
    const std::string key = std::string("\"") + name + "\":";
    const auto at = line.find(key);
    if (at == std::string::npos) throw std::runtime_error(std::string("PTXSIM_PROFILE line without ") + name);
    return std::stoull(line.substr(at + key.size()));
}

// "shared_conflicts":[[ptx line, source line, requests, wavefronts],...]
std::vector<std::string> conflicts(const std::string& line) {
    std::vector<std::string> out;
    const std::string key = "\"shared_conflicts\":[";
    auto at = line.find(key);
    if (at == std::string::npos) return out;
    at += key.size();
    while (at < line.size() && line[at] == '[') {
        const auto end = line.find(']', at);
        if (end == std::string::npos) break;
        std::uint64_t v[4] = {};
        std::size_t pos = at + 1;
        for (auto& x : v) {
            std::size_t used = 0;
            x = std::stoull(line.substr(pos), &used);
            pos += used + 1;  // past the comma
        }
        out.push_back("PTX line " + std::to_string(v[0]) + " (source line " + std::to_string(v[1]) +
                      "): " + std::to_string(v[2]) + " requests, " + std::to_string(v[3]) + " wavefronts");
        at = end + 1;
        if (at < line.size() && line[at] == ',') ++at;
    }
    return out;
}

}  // namespace

SimProfile::SimProfile() {
    char name[] = "/tmp/ptxkit-sim-profile-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) throw std::runtime_error("SimProfile: mkstemp failed");
    ::close(fd);
    path_ = name;
    ::setenv("PTXSIM_PROFILE", path_.c_str(), 1);
}

SimProfile::~SimProfile() {
    ::unsetenv("PTXSIM_PROFILE");
    std::remove(path_.c_str());
}

std::map<std::string, KernelAccessStats> SimProfile::by_kernel() const {
    std::map<std::string, KernelAccessStats> out;
    std::ifstream in(path_);
    const std::string kernel_key = "\"kernel\":\"";
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(kernel_key);
        if (at == std::string::npos) continue;
        const auto begin = at + kernel_key.size();
        const auto end = line.find('"', begin);
        KernelAccessStats& s = out[line.substr(begin, end - begin)];
        ++s.launches;
        s.shared_requests += field(line, "shared_requests");
        s.shared_wavefronts += field(line, "shared_wavefronts");
        s.global_requests += field(line, "global_requests");
        s.global_sectors += field(line, "global_sectors");
        for (std::string& c : conflicts(line)) s.conflicts.push_back(std::move(c));
    }
    return out;
}

}  // namespace ptxkit::testing
