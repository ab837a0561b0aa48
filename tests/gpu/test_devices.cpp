// Which context serves a call when there are several devices: the one of the
// device that holds the tensors (docs/api.md, "Devices and contexts"). Needs
// two devices: on the software GPU, ctest runs these with
// PTXSIM_DEVICE_COUNT=2; elsewhere they skip on a one-GPU machine.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "driver/check.hpp"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/context.hpp"
#include "runtime/launch.hpp"
#include "support/expect_error.hpp"

namespace {

using ptxkit::testing::DeviceBuffer;

class Devices : public ptxkit::testing::GpuTest {
protected:
    void SetUp() override {
        GpuTest::SetUp();
        if (IsSkipped()) return;
        if (ptxkit::device_count() < 2) GTEST_SKIP() << "needs two devices, this machine has one";
    }

    static CUcontext current() {
        CUcontext ctx = nullptr;
        PTXKIT_CU(cuCtxGetCurrent, &ctx);
        return ctx;
    }
};

std::vector<std::uint8_t> pattern(std::size_t bytes) {
    std::vector<std::uint8_t> v(bytes);
    for (std::size_t i = 0; i < bytes; ++i) v[i] = static_cast<std::uint8_t>(i * 37 + 11);
    return v;
}

// Tensors on device 1, called with the default stream while device 0's
// context is current: the call runs on device 1 (in device 0's context its
// kernel would read memory of another device, an illegal address that kills
// the context), and device 0's context stays current afterwards.
TEST_F(Devices, DefaultStreamServesTheDeviceThatHoldsTheData) {
    const std::size_t bytes = 4096 + 48;
    ptxkit::testing::use_primary_context(1);
    const std::vector<std::uint8_t> host = pattern(bytes);
    DeviceBuffer src = DeviceBuffer::from(host);
    DeviceBuffer dst(bytes);
    dst.fill(0xA5);
    const std::vector<float> values{1.5f, -2.25f, 3.0f, 1e-3f, -7.0f, 65504.0f, 0.1f, -0.5f, 42.0f};
    DeviceBuffer f32 = DeviceBuffer::from(values);
    DeviceBuffer bf16(values.size() * 2);
    bf16.fill(0xFF);

    ptxkit::testing::use_primary_context(0);
    const CUcontext device0 = current();
    ptxkit::copy(dst.get(), src.get(), bytes, nullptr);
    ptxkit::convert(ptxkit::TensorView::contiguous(bf16.get(), ptxkit::DType::bf16,
                                                   {static_cast<std::int64_t>(values.size())}),
                    ptxkit::TensorView::contiguous(f32.get(), ptxkit::DType::f32,
                                                   {static_cast<std::int64_t>(values.size())}),
                    nullptr);
    EXPECT_EQ(current(), device0) << "the call left another context current";

    ptxkit::testing::use_primary_context(1);
    PTXKIT_CU(cuCtxSynchronize);
    EXPECT_EQ(dst.to_host<std::uint8_t>(bytes), host);
    const auto got = bf16.to_host<std::uint16_t>(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &values[i], 4);
        // Round to nearest even: the expected bf16 of an exactly representable
        // or nearly representable value.
        const std::uint32_t rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
        EXPECT_EQ(got[i], rounded) << "element " << i;
    }
    // Device 0's context ran nothing and is fine.
    ptxkit::testing::use_primary_context(0);
    EXPECT_EQ(ptxkit::detail::driver().cuCtxSynchronize(), CUDA_SUCCESS);
}

// With no context current at all, the data still decides.
TEST_F(Devices, NoCurrentContextServesTheDeviceThatHoldsTheData) {
    ptxkit::testing::use_primary_context(1);
    const std::vector<std::uint8_t> host = pattern(1024);
    DeviceBuffer src = DeviceBuffer::from(host);
    DeviceBuffer dst(host.size());
    dst.fill(0);
    PTXKIT_CU(cuCtxSetCurrent, nullptr);
    ptxkit::copy(dst.get(), src.get(), host.size(), nullptr);
    ptxkit::testing::use_primary_context(1);
    PTXKIT_CU(cuCtxSynchronize);
    EXPECT_EQ(dst.to_host<std::uint8_t>(host.size()), host);
}

TEST_F(Devices, TensorsOnTwoDevicesAreRejectedBeforeAnythingRuns) {
    ptxkit::testing::use_primary_context(1);
    DeviceBuffer src(256);
    ptxkit::testing::use_primary_context(0);
    DeviceBuffer dst(256);
    const std::uint64_t launches = ptxkit::detail::launches_on_this_thread();
    const std::string message =
        ptxkit::testing::expect_invalid_argument([&] { ptxkit::copy(dst.get(), src.get(), 256, nullptr); });
    EXPECT_NE(message.find("ptxkit::copy: argument 'src'"), std::string::npos) << message;
    EXPECT_NE(message.find("device 0 (where 'dst' is)"), std::string::npos) << message;
    EXPECT_NE(message.find("memory on device 1"), std::string::npos) << message;
    EXPECT_EQ(ptxkit::detail::launches_on_this_thread(), launches) << "a rejected call launched a kernel";
}

TEST_F(Devices, StreamOfAnotherDeviceIsRejected) {
    ptxkit::testing::use_primary_context(0);
    ptxkit::testing::Stream stream0;  // a stream of device 0's context
    ptxkit::testing::use_primary_context(1);
    DeviceBuffer a(512), b(512);
    const std::uint64_t launches = ptxkit::detail::launches_on_this_thread();
    const std::string message =
        ptxkit::testing::expect_invalid_argument([&] { ptxkit::copy(b.get(), a.get(), 512, stream0.get()); });
    EXPECT_NE(message.find("argument 'stream': expected a stream on device 1"), std::string::npos) << message;
    EXPECT_NE(message.find("on device 0"), std::string::npos) << message;
    EXPECT_EQ(ptxkit::detail::launches_on_this_thread(), launches);
}

// A stream of the data's device serves the call whatever context is current.
TEST_F(Devices, StreamOfTheDataDeviceServesFromAnyCurrentContext) {
    ptxkit::testing::use_primary_context(1);
    ptxkit::testing::Stream stream1;
    const std::vector<std::uint8_t> host = pattern(777);
    DeviceBuffer src = DeviceBuffer::from(host);
    DeviceBuffer dst(host.size());
    dst.fill(0);
    ptxkit::testing::use_primary_context(0);
    ptxkit::copy(dst.get(), src.get(), host.size(), stream1.get());
    stream1.synchronize();
    ptxkit::testing::use_primary_context(1);
    EXPECT_EQ(dst.to_host<std::uint8_t>(host.size()), host);
}

}  // namespace
