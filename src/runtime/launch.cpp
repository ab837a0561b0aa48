#include "runtime/launch.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "driver/check.hpp"

namespace ptxkit::detail {
namespace {

void check_config(const Kernel& kernel, const LaunchConfig& c, const std::size_t* sizes, std::size_t count) {
    auto fail = [&](const std::string& what) {
        throw Error(Status::internal, fmt::format("ptxkit: {}: bad launch of {}/{}: {}", c.op, kernel.module,
                                                  kernel.name, what));
    };
    if (!kernel.param_sizes.empty()) {
        if (kernel.param_sizes.size() != count) {
            fail(fmt::format("the kernel takes {} parameters, the launch passes {}", kernel.param_sizes.size(), count));
        }
        for (std::size_t i = 0; i < count; ++i) {
            if (kernel.param_sizes[i] != sizes[i]) {
                fail(fmt::format("parameter {} is {} bytes, the launch passes {}", i, kernel.param_sizes[i], sizes[i]));
            }
        }
    }
    const unsigned long long threads = 1ull * c.block.x * c.block.y * c.block.z;
    if (threads == 0 || threads > static_cast<unsigned long long>(kernel.max_threads_per_block)) {
        fail(fmt::format("{} threads per block; the kernel allows 1 to {}", threads, kernel.max_threads_per_block));
    }
    if (c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0) fail("empty grid");
    if (c.dynamic_shared_bytes > static_cast<unsigned>(kernel.max_dynamic_shared_bytes)) {
        fail(fmt::format("{} bytes of dynamic shared memory; the device allows {}", c.dynamic_shared_bytes,
                         kernel.max_dynamic_shared_bytes));
    }
}

void log_launch(const ContextState& ctx, const Kernel& kernel, const LaunchConfig& c, CUstream stream) {
    std::string line = fmt::format(
        "[ptxkit] op={} shapes={} kernel={}/{} config={} grid=({},{},{}) block=({},{},{}) smem={} cluster=({},{},{}) "
        "pdl={} device={} stream={}\n",
        c.op, c.shapes.empty() ? "-" : c.shapes, kernel.module, kernel.name, c.config.empty() ? "-" : c.config,
        c.grid.x, c.grid.y, c.grid.z, c.block.x, c.block.y, c.block.z, c.dynamic_shared_bytes, c.cluster.x,
        c.cluster.y, c.cluster.z, c.programmatic_dependent_launch ? 1 : 0, ctx.ordinal(),
        static_cast<const void*>(stream));
    std::fwrite(line.data(), 1, line.size(), stderr);  // one write: lines from threads do not interleave
}

thread_local std::uint64_t t_launches = 0;

}  // namespace

std::uint64_t launches_on_this_thread() noexcept { return t_launches; }

bool env_flag(const char* name) noexcept {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

bool log_enabled() noexcept {
    static const bool enabled = env_flag("PTXKIT_LOG");
    return enabled;
}

void launch_raw(ContextState& ctx, const Kernel& kernel, const LaunchConfig& c, CUstream stream, void** params,
                const std::size_t* param_sizes, std::size_t param_count) {
    check_config(kernel, c, param_sizes, param_count);

    CUlaunchAttribute attributes[2] = {};
    unsigned attribute_count = 0;
    if (c.cluster.x * c.cluster.y * c.cluster.z > 1) {
        auto& a = attributes[attribute_count++];
        a.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
        a.value.clusterDim.x = c.cluster.x;
        a.value.clusterDim.y = c.cluster.y;
        a.value.clusterDim.z = c.cluster.z;
    }
    if (c.programmatic_dependent_launch) {
        auto& a = attributes[attribute_count++];
        a.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
        a.value.programmaticStreamSerializationAllowed = 1;
    }
    CUlaunchConfig config{};
    config.gridDimX = c.grid.x;
    config.gridDimY = c.grid.y;
    config.gridDimZ = c.grid.z;
    config.blockDimX = c.block.x;
    config.blockDimY = c.block.y;
    config.blockDimZ = c.block.z;
    config.sharedMemBytes = c.dynamic_shared_bytes;
    config.hStream = stream;
    config.attrs = attributes;
    config.numAttrs = attribute_count;

    if (log_enabled()) log_launch(ctx, kernel, c, stream);
    const CUresult rc = driver().cuLaunchKernelEx(&config, kernel.function, params, nullptr);
    ++t_launches;
    if (rc != CUDA_SUCCESS) {
        const std::string where = fmt::format("op {}, kernel {}/{}", c.op, kernel.module, kernel.name);
        if (is_sticky(rc)) ctx.mark_unusable(fmt::format("{} in {}", driver_error_name(rc), where));
        throw_driver_error(rc, "cuLaunchKernelEx", where);
    }
}

}  // namespace ptxkit::detail
