// The C API: status codes, their names, and the thread-local last error.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"

namespace {

TEST(CApi, VersionAndStatusNames) {
    EXPECT_STREQ(ptxkit_version(), PTXKIT_VERSION_STRING);
    EXPECT_STREQ(ptxkit_status_string(PTXKIT_SUCCESS), "PTXKIT_SUCCESS");
    EXPECT_STREQ(ptxkit_status_string(PTXKIT_ERROR_INVALID_ARGUMENT), "PTXKIT_ERROR_INVALID_ARGUMENT");
    EXPECT_STREQ(ptxkit_status_string(PTXKIT_ERROR_NO_DRIVER), "PTXKIT_ERROR_NO_DRIVER");
    EXPECT_STREQ(ptxkit_status_string(PTXKIT_ERROR_CONTEXT_UNUSABLE), "PTXKIT_ERROR_CONTEXT_UNUSABLE");
    // An out-of-range status is checked from C (tests/cpu/test_c99.c): in C++
    // merely holding one in the enum type is undefined behaviour.
}

TEST(CApi, StatusValuesMatchTheCppEnum) {
    EXPECT_EQ(static_cast<int>(ptxkit::Status::invalid_argument), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::no_driver), PTXKIT_ERROR_NO_DRIVER);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::no_device), PTXKIT_ERROR_NO_DEVICE);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::unsupported), PTXKIT_ERROR_UNSUPPORTED);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::driver_error), PTXKIT_ERROR_DRIVER);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::context_unusable), PTXKIT_ERROR_CONTEXT_UNUSABLE);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::out_of_memory), PTXKIT_ERROR_OUT_OF_MEMORY);
    EXPECT_EQ(static_cast<int>(ptxkit::Status::internal), PTXKIT_ERROR_INTERNAL);
    EXPECT_EQ(static_cast<int>(ptxkit::DType::bf16), PTXKIT_BF16);
    EXPECT_EQ(static_cast<int>(ptxkit::DType::u8), PTXKIT_U8);
}

TEST(CApi, InvalidArgumentSetsStatusAndMessage) {
    int dummy = 0;
    EXPECT_EQ(ptxkit_copy(nullptr, &dummy, 4, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(), "ptxkit::copy: argument 'dst': expected a non-null device pointer, got null");

    EXPECT_EQ(ptxkit_convert(nullptr, nullptr, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(),
                 "ptxkit_convert: argument 'dst': expected a non-null ptxkit_tensor_t*, got null");

    ptxkit_tensor_t bad{};
    bad.rank = 7;
    EXPECT_EQ(ptxkit_convert(&bad, &bad, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(), "ptxkit_convert: argument 'dst': expected rank 0 to 4, got rank 7");

    bad.rank = 1;
    std::memset(&bad.dtype, 0x2a, 1);  // an out-of-range value, as a C caller could pass
    EXPECT_EQ(ptxkit_convert(&bad, &bad, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(), "ptxkit_convert: argument 'dst': expected a ptxkit_dtype_t value, got 42");

    EXPECT_EQ(ptxkit_device_count(nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(),
                 "ptxkit_device_count: argument 'count': expected a non-null output pointer, got null");
}

TEST(CApi, ZeroStridesMeanRowMajor) {
    // f32 [2, 3] -> bf16 [2, 3] with stride all zero: accepted as contiguous,
    // so the only failure left is the one about pointers.
    ptxkit_tensor_t src{};
    src.dtype = PTXKIT_F32;
    src.rank = 2;
    src.shape[0] = 2;
    src.shape[1] = 3;
    ptxkit_tensor_t dst = src;
    dst.dtype = PTXKIT_BF16;
    EXPECT_EQ(ptxkit_convert(&dst, &src, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_STREQ(ptxkit_last_error(), "ptxkit::convert: argument 'dst': expected a non-null device pointer, got null");
}

TEST(CApi, LastErrorIsPerThread) {
    int dummy = 0;
    ASSERT_EQ(ptxkit_copy(nullptr, &dummy, 4, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    std::string other_thread_error = "unset";
    std::thread([&] { other_thread_error = ptxkit_last_error(); }).join();
    EXPECT_EQ(other_thread_error, "");
    EXPECT_NE(std::string(ptxkit_last_error()), "");
}

TEST(CApi, SuccessLeavesTheLastErrorAlone) {
    int dummy = 0;
    ASSERT_EQ(ptxkit_copy(nullptr, &dummy, 4, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    const std::string before = ptxkit_last_error();
    EXPECT_EQ(ptxkit_copy(nullptr, nullptr, 0, nullptr), PTXKIT_SUCCESS);  // zero bytes: no-op
    EXPECT_EQ(before, ptxkit_last_error());
}

}  // namespace
