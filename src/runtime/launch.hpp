// The one way kernels are launched: cuLaunchKernelEx, with cluster dimensions
// and programmatic dependent launch as attributes, argument sizes checked
// against the kernel's parameter list, and a PTXKIT_LOG line per launch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/context.hpp"

namespace ptxkit::detail {

struct Dim3 {
    unsigned x = 1, y = 1, z = 1;
};

struct LaunchConfig {
    Dim3 grid;
    Dim3 block;
    unsigned dynamic_shared_bytes = 0;
    Dim3 cluster;  // {1,1,1}: no cluster
    bool programmatic_dependent_launch = false;
    // For PTXKIT_LOG: the op, its shapes and the configuration chosen.
    const char* op = "";
    std::string shapes;
    std::string config;
};

void launch_raw(ContextState& ctx, const Kernel& kernel, const LaunchConfig& config, CUstream stream,
                void** params, const std::size_t* param_sizes, std::size_t param_count);

// launch(ctx, kernel, config, stream, args...): each argument is passed by
// value, exactly as the kernel declares it (pointers, u64 counts, ...).
template <class... Args>
void launch(ContextState& ctx, const Kernel& kernel, const LaunchConfig& config, CUstream stream,
            const Args&... args) {
    std::array<void*, sizeof...(Args)> params{const_cast<void*>(static_cast<const void*>(&args))...};
    std::array<std::size_t, sizeof...(Args)> sizes{sizeof(Args)...};
    launch_raw(ctx, kernel, config, stream, params.data(), sizes.data(), sizeof...(Args));
}

// PTXKIT_LOG=1 (read once) turns on one stderr line per launch.
bool log_enabled() noexcept;

// Whether environment variable `name` is set to something other than "" or
// "0" (PTXKIT_LOG and the bring-up switches); callers cache the answer.
bool env_flag(const char* name) noexcept;

// Kernels this thread has handed to the driver: lets tests prove that a
// rejected call launched nothing (thread-local, so it costs no contention).
std::uint64_t launches_on_this_thread() noexcept;

}  // namespace ptxkit::detail
