#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"

namespace {

using ptxkit::testing::DeviceBuffer;

class FlushL2 : public ptxkit::testing::GpuTest {};

TEST_F(FlushL2, ScratchIsTwiceL2AndEveryWordIsTouched) {
    const std::size_t bytes = ptxkit::l2_flush_bytes();
    EXPECT_EQ(bytes, static_cast<std::size_t>(2 * ptxkit::device_properties(ptxkit::current_device()).l2_bytes));
    DeviceBuffer scratch(bytes);
    scratch.fill(0);
    ptxkit::flush_l2(scratch.get(), bytes, nullptr);
    // Every word got the same non-zero salt added, so each one was read and written.
    const auto words = scratch.to_host<std::uint32_t>(bytes / 4);
    ASSERT_NE(words[0], 0u);
    for (std::size_t i = 0; i < words.size(); ++i) ASSERT_EQ(words[i], words[0]) << "word " << i;
}

TEST_F(FlushL2, RejectsTooSmallScratch) {
    DeviceBuffer scratch(1 << 20);
    try {
        ptxkit::flush_l2(scratch.get(), scratch.bytes(), nullptr);
        FAIL() << "a 1 MiB scratch was accepted";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("argument 'bytes'"), std::string::npos) << e.what();
    }
}

}  // namespace
