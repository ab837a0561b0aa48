// GPU test fixture: skips with the reason when no usable GPU is present, and
// runs in device 0's primary context otherwise.
#pragma once

#include <gtest/gtest.h>

#include "support/gpu.hpp"

namespace ptxkit::testing {

class GpuTest : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string why = gpu_unavailable_reason();
        if (!why.empty()) GTEST_SKIP() << "no GPU: " << why;
        use_primary_context(0);
    }
};

}  // namespace ptxkit::testing
