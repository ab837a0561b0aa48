// Argument checks: every rejection names the op, the argument, what was
// expected and what came, and is raised before any driver call (these tests
// pass on a machine with no driver at all).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "common/checks.hpp"
#include "support/expect_error.hpp"
#include "ptxkit/ptxkit.hpp"

namespace {

using ptxkit::DType;
using ptxkit::Error;
using ptxkit::Status;
using ptxkit::TensorView;

// A fake device address: never dereferenced, since the checks fail first.
void* fake_ptr(std::uintptr_t address) { return reinterpret_cast<void*>(address); }

template <class F>
std::string expect_invalid(F&& f) {
    return ptxkit::testing::expect_invalid_argument(std::forward<F>(f));
}

TEST(ArgCheck, MessageNamesOpArgumentExpectedAndGot) {
    const ptxkit::detail::ArgCheck check("ptxkit::demo");
    const std::string msg = expect_invalid([&] { check.in_range("k", 17, 1, 16); });
    EXPECT_EQ(msg, "ptxkit::demo: argument 'k': expected a value in [1, 16], got 17");
}

TEST(ArgCheck, NullPointer) {
    const ptxkit::detail::ArgCheck check("op");
    EXPECT_EQ(expect_invalid([&] { check.not_null("dst", nullptr); }),
              "op: argument 'dst': expected a non-null device pointer, got null");
    EXPECT_NO_THROW(check.not_null("dst", fake_ptr(0x1000)));
}

TEST(ArgCheck, Alignment) {
    const ptxkit::detail::ArgCheck check("op");
    EXPECT_NO_THROW(check.aligned("a", fake_ptr(0x1000), 16));
    const std::string msg = expect_invalid([&] { check.aligned("a", fake_ptr(0x1004), 16); });
    EXPECT_NE(msg.find("aligned to 16 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("offset 4"), std::string::npos) << msg;
}

TEST(ArgCheck, DtypeListsAllowed) {
    const ptxkit::detail::ArgCheck check("op");
    const std::string msg = expect_invalid([&] { check.dtype_in("a", DType::i32, {DType::bf16, DType::f16}); });
    EXPECT_EQ(msg, "op: argument 'a': expected dtype bf16 or f16, got i32");
}

TEST(ArgCheck, TensorValidity) {
    const ptxkit::detail::ArgCheck check("op");
    TensorView t = TensorView::contiguous(fake_ptr(0x1000), DType::f32, {4, 5});
    EXPECT_NO_THROW(check.valid_tensor("t", t));

    TensorView negative = t;
    negative.shape[1] = -1;
    EXPECT_NE(expect_invalid([&] { check.valid_tensor("t", negative); }).find("sizes >= 0"), std::string::npos);

    TensorView rank = t;
    rank.rank = 5;
    EXPECT_NE(expect_invalid([&] { check.valid_tensor("t", rank); }).find("rank 0 to 4"), std::string::npos);

    TensorView huge = TensorView::contiguous(fake_ptr(0x1000), DType::f32, {1ll << 40, 1ll << 30});
    EXPECT_NE(expect_invalid([&] { check.valid_tensor("t", huge); }).find("fits in 64 bits"), std::string::npos);

    TensorView bytes_overflow = TensorView::contiguous(fake_ptr(0x1000), DType::f32, {1ll << 31, 1ll << 31});
    EXPECT_NE(expect_invalid([&] { check.valid_tensor("t", bytes_overflow); }).find("byte size"), std::string::npos);

    TensorView null_data = t;
    null_data.data = nullptr;
    EXPECT_NE(expect_invalid([&] { check.valid_tensor("t", null_data); }).find("non-null"), std::string::npos);

    TensorView empty = TensorView::contiguous(nullptr, DType::f32, {0, 5});
    EXPECT_NO_THROW(check.valid_tensor("t", empty)) << "an empty tensor may have a null pointer";
}

TEST(ArgCheck, ContiguousAndShape) {
    const ptxkit::detail::ArgCheck check("op");
    TensorView t = TensorView::contiguous(fake_ptr(0x1000), DType::f32, {4, 5});
    TensorView transposed = t;
    transposed.stride[0] = 1;
    transposed.stride[1] = 4;
    EXPECT_NE(expect_invalid([&] { check.contiguous("t", transposed); }).find("strides [1, 4]"), std::string::npos);

    TensorView other = TensorView::contiguous(fake_ptr(0x2000), DType::f32, {5, 4});
    EXPECT_EQ(expect_invalid([&] { check.same_shape("dst", other, "src", t); }),
              "op: argument 'dst': expected the shape of 'src', [4, 5], got [5, 4]");
}

TEST(ArgCheck, Overlap) {
    const ptxkit::detail::ArgCheck check("op");
    EXPECT_NO_THROW(check.no_overlap("a", fake_ptr(0x1000), 16, "b", fake_ptr(0x1010), 16));
    EXPECT_NO_THROW(check.no_overlap("a", fake_ptr(0x1000), 0, "b", fake_ptr(0x1000), 16));
    expect_invalid([&] { check.no_overlap("a", fake_ptr(0x1000), 17, "b", fake_ptr(0x1010), 16); });
    expect_invalid([&] { check.no_overlap("a", fake_ptr(0x1010), 16, "b", fake_ptr(0x1000), 17); });
}

// The public ops reject bad input before they touch the driver.
TEST(OpArguments, CopyRejectsBeforeTouchingTheDriver) {
    EXPECT_EQ(expect_invalid([] { ptxkit::copy(nullptr, fake_ptr(0x1000), 64, nullptr); }),
              "ptxkit::copy: argument 'dst': expected a non-null device pointer, got null");
    EXPECT_NE(expect_invalid([] { ptxkit::copy(fake_ptr(0x1000), fake_ptr(0x1020), 64, nullptr); })
                  .find("does not overlap 'src'"),
              std::string::npos);
    EXPECT_NO_THROW(ptxkit::copy(nullptr, nullptr, 0, nullptr)) << "zero bytes is a no-op";
}

TEST(OpArguments, ConvertRejectsBadPairsShapesAndLayouts) {
    TensorView f32 = TensorView::contiguous(fake_ptr(0x10000), DType::f32, {8, 8});
    TensorView bf16 = TensorView::contiguous(fake_ptr(0x20000), DType::bf16, {8, 8});
    TensorView i32 = TensorView::contiguous(fake_ptr(0x30000), DType::i32, {8, 8});
    EXPECT_NE(expect_invalid([&] { ptxkit::convert(bf16, i32, nullptr); }).find("argument 'src'"),
              std::string::npos);
    EXPECT_EQ(expect_invalid([&] { ptxkit::convert(i32, f32, nullptr); }),
              "ptxkit::convert: argument 'dst': expected dtype bf16 or f16, got i32");
    EXPECT_EQ(expect_invalid([&] { ptxkit::convert(bf16, bf16, nullptr); }),
              "ptxkit::convert: argument 'dst': expected dtype f32, got bf16");
    TensorView wrong = TensorView::contiguous(fake_ptr(0x20000), DType::bf16, {8, 9});
    EXPECT_NE(expect_invalid([&] { ptxkit::convert(wrong, f32, nullptr); }).find("expected the shape of 'src'"),
              std::string::npos);
    TensorView strided = bf16;
    strided.stride[0] = 16;
    EXPECT_NE(expect_invalid([&] { ptxkit::convert(strided, f32, nullptr); }).find("contiguous"), std::string::npos);
    TensorView overlapping = TensorView::contiguous(fake_ptr(0x10010), DType::bf16, {8, 8});
    EXPECT_NE(expect_invalid([&] { ptxkit::convert(overlapping, f32, nullptr); }).find("overlap"), std::string::npos);
}

TEST(OpArguments, FlushL2NeedsAlignedScratch) {
    EXPECT_NE(expect_invalid([] { ptxkit::flush_l2(nullptr, 1 << 20, nullptr); }).find("'scratch'"),
              std::string::npos);
    EXPECT_NE(expect_invalid([] { ptxkit::flush_l2(fake_ptr(0x1001), 1 << 20, nullptr); }).find("aligned to 16"),
              std::string::npos);
}

}  // namespace
