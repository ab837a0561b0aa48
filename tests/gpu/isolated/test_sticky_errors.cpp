// Sticky errors: after a kernel faults, the context is unusable, and ptxkit
// must notice it from whichever driver call reports it first, not only from a
// launch. Its own binary: the test kills device 0's primary context on
// purpose, which would fail every test that ran after it in the same process.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "driver/check.hpp"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/launch.hpp"

namespace {

using ptxkit::testing::DeviceBuffer;

class StickyErrors : public ptxkit::testing::GpuTest {};

ptxkit::Status status_of(const auto& call, std::string& message) {
    try {
        call();
    } catch (const ptxkit::Error& e) {
        message = e.what();
        return e.status();
    }
    message.clear();
    return ptxkit::Status::success;
}

TEST_F(StickyErrors, FirstSeenOutsideALaunchStillStopsEveryLaterOp) {
    DeviceBuffer src(4096);
    src.fill(1);
    const DeviceBuffer f32(64), bf16(32);  // allocated while the context is healthy
    // 64 KiB in: no allocation is there, on a GPU or on ptxsim.
    void* unmapped = reinterpret_cast<void*>(std::uintptr_t{1} << 16);
    ptxkit::copy(unmapped, src.get(), 4096, nullptr);  // asynchronous: the fault comes later
    // Seen by a call outside ptxkit first (unchecked, so ptxkit is not told).
    const CUresult seen = ptxkit::detail::driver().cuCtxSynchronize();
    ASSERT_TRUE(ptxkit::detail::is_sticky(seen)) << ptxkit::detail::driver_error_name(seen);

    // The first op that needs a module not loaded yet meets the error in
    // cuModuleLoadDataEx, before any launch.
    std::string message;
    const auto convert = [&] {
        ptxkit::convert(ptxkit::TensorView::contiguous(bf16.get(), ptxkit::DType::bf16, {16}),
                        ptxkit::TensorView::contiguous(f32.get(), ptxkit::DType::f32, {16}), nullptr);
    };
    const std::uint64_t launches = ptxkit::detail::launches_on_this_thread();
    EXPECT_EQ(status_of(convert, message), ptxkit::Status::context_unusable) << message;
    EXPECT_NE(message.find("cuModuleLoadDataEx"), std::string::npos) << message;
    EXPECT_EQ(ptxkit::detail::launches_on_this_thread(), launches);

    // Every later op fails fast, before it reaches the driver's launch.
    const auto copy = [&] { ptxkit::copy(bf16.get(), f32.get(), 32, nullptr); };
    EXPECT_EQ(status_of(copy, message), ptxkit::Status::context_unusable) << message;
    EXPECT_NE(message.find("unusable after an earlier sticky error"), std::string::npos) << message;
    EXPECT_NE(message.find("from cuModuleLoadDataEx"), std::string::npos) << message;
    EXPECT_EQ(ptxkit::detail::launches_on_this_thread(), launches) << "an op launched on an unusable context";
}

}  // namespace
