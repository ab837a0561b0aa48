// The runtime on a real driver: device properties, the primary context
// (shared with the CUDA runtime and PyTorch), module loading.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "driver/check.hpp"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/context.hpp"
#include "runtime/launch.hpp"

namespace {

using ptxkit::testing::DeviceBuffer;

class Runtime : public ptxkit::testing::GpuTest {};

TEST_F(Runtime, DriverAndDeviceProperties) {
    EXPECT_GE(ptxkit::driver_version(), ptxkit::required_driver_version());
    ASSERT_GE(ptxkit::device_count(), 1);
    const auto& p = ptxkit::device_properties(0);
    EXPECT_FALSE(p.name.empty());
    EXPECT_GE(p.cc_major, 8);
    EXPECT_GT(p.sm_count, 0);
    EXPECT_GT(p.l2_bytes, 0);
    EXPECT_GE(p.shared_memory_per_block_optin, 48 * 1024);
    EXPECT_EQ(&ptxkit::device_properties(0), &p) << "read once and cached";
    EXPECT_THROW(ptxkit::device_properties(ptxkit::device_count()), ptxkit::Error);
}

TEST_F(Runtime, NoCurrentContextMeansDevice0PrimaryContext) {
    PTXKIT_CU(cuCtxSetCurrent, nullptr);
    DeviceBuffer dummy;  // no allocation: size 0
    ptxkit::copy(nullptr, nullptr, 0, nullptr);  // no-op: must not create a context
    CUcontext current = nullptr;
    PTXKIT_CU(cuCtxGetCurrent, &current);
    EXPECT_EQ(current, nullptr) << "a no-op touched the context";

    EXPECT_EQ(ptxkit::current_device(), 0);
    PTXKIT_CU(cuCtxGetCurrent, &current);
    EXPECT_EQ(current, ptxkit::detail::primary_context(0)) << "not the primary context the runtime uses";
}

TEST_F(Runtime, KernelsLoadOncePerContextWithAttributesSetAtLoad) {
    auto& ctx = ptxkit::detail::current_context_state();
    const auto& a = ctx.kernel("memory.copy", "ptxkit_copy_v4");
    const auto& b = ctx.kernel("memory.copy", "ptxkit_copy_v4");
    EXPECT_EQ(&a, &b);
    EXPECT_NE(a.function, nullptr);
    EXPECT_GE(a.max_threads_per_block, 256);
    EXPECT_GT(a.max_dynamic_shared_bytes, 48 * 1024);
    if (!a.param_sizes.empty()) {
        EXPECT_EQ(a.param_sizes, (std::vector<std::size_t>{8, 8, 8}));
    }
    try {
        (void)ctx.kernel("memory.copy", "no_such_kernel");
        FAIL();
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::driver_error);
        EXPECT_NE(std::string(e.what()).find("cuModuleGetFunction"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("CUDA_ERROR_NOT_FOUND"), std::string::npos) << e.what();
    }
}

// cuOccupancyMaxActiveClusters is advisory: a failed query leaves that launch
// uncapped and is asked again next time, never cached as the answer.
TEST_F(Runtime, FailedClusterOccupancyQueryIsNotCached) {
    if (!ptxkit::testing::on_simulator()) GTEST_SKIP() << "needs ptxsim's PTXSIM_FAIL to make the driver fail";
    auto& ctx = ptxkit::detail::current_context_state();
    if (ctx.properties().cc_major < 9) GTEST_SKIP() << "clusters need sm_90";
    const auto& kernel = ctx.kernel("gemm.sm90_gemm", "ptxkit_gemm_sm90_bf16_128x128");
    const unsigned threads = 384, smem = 64 * 1024, cluster = 2;
    ::setenv("PTXSIM_FAIL", "cuOccupancyMaxActiveClusters", 1);
    const auto failed = ctx.max_active_clusters(kernel, threads, smem, cluster);
    ::unsetenv("PTXSIM_FAIL");
    EXPECT_EQ(failed.clusters, 0);
    EXPECT_EQ(failed.error, CUDA_ERROR_UNKNOWN);
    const auto answered = ctx.max_active_clusters(kernel, threads, smem, cluster);
    EXPECT_EQ(answered.error, CUDA_SUCCESS) << "the failure was cached";
    EXPECT_GT(answered.clusters, 0);
    ::setenv("PTXSIM_FAIL", "cuOccupancyMaxActiveClusters", 1);
    const auto cached = ctx.max_active_clusters(kernel, threads, smem, cluster);
    ::unsetenv("PTXSIM_FAIL");
    EXPECT_EQ(cached.error, CUDA_SUCCESS) << "an answer is cached";
    EXPECT_EQ(cached.clusters, answered.clusters);
}

TEST_F(Runtime, ConcurrentFirstUseFromManyThreads) {
    std::vector<std::thread> threads;
    std::vector<const ptxkit::detail::Kernel*> seen(16, nullptr);
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([t, &seen] {
            ptxkit::testing::use_primary_context(0);
            seen[t] = &ptxkit::detail::current_context_state().kernel("util.l2_flush", "ptxkit_l2_flush");
        });
    }
    for (auto& th : threads) th.join();
    for (auto* k : seen) EXPECT_EQ(k, seen[0]);
}

TEST_F(Runtime, BadLaunchIsRejectedBeforeTheDriver) {
    auto& ctx = ptxkit::detail::current_context_state();
    const auto& k = ctx.kernel("memory.copy", "ptxkit_copy_v4");
    ptxkit::detail::LaunchConfig c;
    c.op = "test";
    c.block.x = 256;
    if (!k.param_sizes.empty()) {
        const int wrong_arity = 1;
        EXPECT_THROW(ptxkit::detail::launch(ctx, k, c, nullptr, wrong_arity), ptxkit::Error);
    }
    c.block.x = 4096;
    const CUdeviceptr p = 0;
    const std::uint64_t n = 0;
    EXPECT_THROW(ptxkit::detail::launch(ctx, k, c, nullptr, p, p, n), ptxkit::Error);
}

}  // namespace
