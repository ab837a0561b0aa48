// Runs `f`, expects a ptxkit::Error with status invalid_argument, and returns
// its message (empty, with a test failure, when nothing was thrown).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ptxkit/error.hpp"

namespace ptxkit::testing {

template <class F>
std::string expect_invalid_argument(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_argument) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no ptxkit::Error thrown: the input was accepted";
    return "";
}

}  // namespace ptxkit::testing
