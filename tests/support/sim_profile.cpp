#include "support/sim_profile.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace ptxkit::testing {
namespace {

std::uint64_t field(const std::string& line, const char* name) {
    const std::regex re(std::string("\"") + name + "\":([0-9]+)");
    std::smatch m;
    if (!std::regex_search(line, m, re)) throw std::runtime_error(std::string("PTXSIM_PROFILE line without ") + name);
    return std::stoull(m[1].str());
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
    const std::regex kernel_re("\"kernel\":\"([^\"]+)\"");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, kernel_re)) continue;
        KernelAccessStats& s = out[m[1].str()];
        ++s.launches;
        s.shared_requests += field(line, "shared_requests");
        s.shared_wavefronts += field(line, "shared_wavefronts");
        s.global_requests += field(line, "global_requests");
        s.global_sectors += field(line, "global_sectors");
        // "shared_conflicts":[[ptx line, source line, requests, wavefronts],...]
        const std::regex conflict_re("\\[([0-9]+),([0-9]+),([0-9]+),([0-9]+)\\]");
        const auto at = line.find("\"shared_conflicts\"");
        if (at != std::string::npos) {
            const std::string rest = line.substr(at);
            for (std::sregex_iterator it(rest.begin(), rest.end(), conflict_re), end; it != end; ++it) {
                s.conflicts.push_back("PTX line " + (*it)[1].str() + " (source line " + (*it)[2].str() +
                                      "): " + (*it)[3].str() + " requests, " + (*it)[4].str() + " wavefronts");
            }
        }
    }
    return out;
}

}  // namespace ptxkit::testing
