#include "common/environment.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "ptxkit/error.hpp"
#include "ptxkit/memory.hpp"
#include "ptxkit/runtime.hpp"

#ifndef PTXKIT_BENCH_COMMIT
#define PTXKIT_BENCH_COMMIT "unknown"
#endif

namespace ptxkit::bench {
namespace {

Environment* g_environment = nullptr;

// The kernel driver's release ("550.90.07") from /proc/driver/nvidia/version;
// the driver API only gives the CUDA version it supports.
std::string kernel_driver_release() {
    std::ifstream file("/proc/driver/nvidia/version");
    std::string line;
    if (!std::getline(file, line)) return "";
    std::smatch match;
    static const std::regex release(R"(\b(\d{2,4}\.\d+(\.\d+)?)\b)");
    return std::regex_search(line, match, release) ? match[1].str() : "";
}

DeviceInfo describe_device(int ordinal, const CublasHandles& cublas) {
    const DeviceProperties& p = device_properties(ordinal);
    DeviceInfo info;
    info.device = fmt::format("{} (sm_{}{}, {} SMs, {} MiB L2)", p.name, p.cc_major, p.cc_minor, p.sm_count,
                              p.l2_bytes >> 20);
    const int cuda = driver_version();
    const std::string release = kernel_driver_release();
    info.driver = fmt::format("{}{}CUDA {}.{}{}", release, release.empty() ? "" : " (", cuda / 1000,
                              cuda % 1000 / 10, release.empty() ? "" : ")");
    if (const char* clocks = std::getenv("PTXKIT_BENCH_CLOCKS"); clocks != nullptr && *clocks != '\0') {
        info.clocks = clocks;
    } else {
        info.clocks = fmt::format("max: sm {} MHz, mem {} MHz (driver-reported; set PTXKIT_BENCH_CLOCKS when locked)",
                                  p.sm_clock_khz / 1000, p.memory_clock_khz / 1000);
    }
    info.commit = PTXKIT_BENCH_COMMIT;
    info.cublas = cublas.version();
    return info;
}

}  // namespace

Environment::PrimaryContext::PrimaryContext() { testing::use_primary_context(0); }

Environment::Environment(Options options)
    : options_(std::move(options)),
      flush_scratch_(l2_flush_bytes()),
      timer_(stream_.get(), flush_scratch_),
      cublas_(stream_.get()),
      info_(describe_device(current_device(), cublas_)) {
    g_environment = this;
}

Environment::~Environment() { g_environment = nullptr; }

Environment& env() {
    if (g_environment == nullptr) throw Error(Status::internal, "ptxkit::bench::env(): no benchmark environment");
    return *g_environment;
}

}  // namespace ptxkit::bench
