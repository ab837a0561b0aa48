// Without a usable driver: loading the library works, the first call that
// needs the driver throws ptxkit::Error saying why, argument checks still
// come first. Run twice by ctest: with PTXKIT_LIBCUDA_PATH pointing nowhere
// and at the toolkit's stub libcuda (a path with "/stubs/" in it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"

namespace {

std::string expectation() {
    const char* path = std::getenv("PTXKIT_LIBCUDA_PATH");
    if (path == nullptr) return "";
    return std::string(path).find("/stubs/") != std::string::npos ? "stub" : "missing";
}

std::string expected_phrase() {
    return expectation() == "stub" ? "stub library" : "could not be opened";
}

void* fake_ptr(std::uintptr_t address) { return reinterpret_cast<void*>(address); }

TEST(NoDriver, ReportedNotThrownByAvailability) {
    ASSERT_FALSE(expectation().empty()) << "run through ctest, which sets PTXKIT_LIBCUDA_PATH";
    EXPECT_FALSE(ptxkit::driver_available());
    const std::string reason = ptxkit::driver_unavailable_reason();
    EXPECT_NE(reason.find("no usable NVIDIA driver"), std::string::npos) << reason;
    EXPECT_NE(reason.find(expected_phrase()), std::string::npos) << reason;
    EXPECT_NE(reason.find(std::getenv("PTXKIT_LIBCUDA_PATH")), std::string::npos) << reason;
}

TEST(NoDriver, FirstDriverCallThrowsNoDriver) {
    try {
        (void)ptxkit::device_count();
        FAIL() << "device_count() returned without a driver";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::no_driver) << e.what();
        EXPECT_NE(std::string(e.what()).find(expected_phrase()), std::string::npos) << e.what();
    }
}

TEST(NoDriver, OpsWithValidArgumentsThrowNoDriver) {
    try {
        ptxkit::copy(fake_ptr(0x10000), fake_ptr(0x20000), 64, nullptr);
        FAIL() << "copy() returned without a driver";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::no_driver) << e.what();
    }
}

TEST(NoDriver, ArgumentChecksComeFirst) {
    try {
        ptxkit::copy(nullptr, fake_ptr(0x20000), 64, nullptr);
        FAIL();
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::invalid_argument) << e.what();
    }
}

TEST(NoDriver, CApiReportsStatusAndMessage) {
    EXPECT_EQ(ptxkit_driver_available(), 0);
    int count = -1;
    EXPECT_EQ(ptxkit_device_count(&count), PTXKIT_ERROR_NO_DRIVER);
    EXPECT_EQ(count, -1);
    EXPECT_NE(std::string(ptxkit_last_error()).find(expected_phrase()), std::string::npos) << ptxkit_last_error();
    EXPECT_EQ(ptxkit_copy(fake_ptr(0x10000), fake_ptr(0x20000), 64, nullptr), PTXKIT_ERROR_NO_DRIVER);
}

TEST(NoDriver, EmbeddedTableNeedsNoDriver) { EXPECT_FALSE(ptxkit::embedded_kernels().empty()); }

}  // namespace
