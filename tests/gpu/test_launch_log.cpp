// PTXKIT_LOG=1 (set by ctest for this binary) logs every launch: op, shapes,
// kernel, configuration and grid.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"

namespace {

class LaunchLog : public ptxkit::testing::GpuTest {};

TEST_F(LaunchLog, CopyLogsKernelConfigAndGrid) {
    std::vector<unsigned char> host(1 << 12, 0x5A);
    auto src = ptxkit::testing::DeviceBuffer::from(host);
    ptxkit::testing::DeviceBuffer dst(host.size());
    ::testing::internal::CaptureStderr();
    ptxkit::copy(dst.get(), src.get(), host.size(), nullptr);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("[ptxkit] op=copy shapes=bytes:4096 kernel=memory.copy/ptxkit_copy_v4 config=v4x4 block=256"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("grid=("), std::string::npos) << log;
    EXPECT_EQ(dst.to_host<unsigned char>(host.size()), host);
}

}  // namespace
