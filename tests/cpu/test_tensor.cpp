#include <gtest/gtest.h>

#include "ptxkit/ptxkit.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;

TEST(Tensor, ContiguousStridesAndCount) {
    const TensorView t = TensorView::contiguous(nullptr, DType::bf16, {2, 3, 4});
    EXPECT_EQ(t.rank, 3);
    EXPECT_EQ(t.stride[0], 12);
    EXPECT_EQ(t.stride[1], 4);
    EXPECT_EQ(t.stride[2], 1);
    EXPECT_EQ(t.numel(), 24);
    EXPECT_TRUE(t.is_contiguous());
}

TEST(Tensor, SizeOneDimensionsIgnoreTheirStride) {
    TensorView t = TensorView::contiguous(nullptr, DType::f32, {4, 1, 8});
    t.stride[1] = 12345;
    EXPECT_TRUE(t.is_contiguous());
    t.stride[0] = 9;
    EXPECT_FALSE(t.is_contiguous());
}

TEST(Tensor, RankZeroIsAScalar) {
    const TensorView t = TensorView::contiguous(nullptr, DType::f32, {});
    EXPECT_EQ(t.numel(), 1);
    EXPECT_TRUE(t.is_contiguous());
}

TEST(Tensor, DtypeSizesAndNames) {
    EXPECT_EQ(ptxkit::dtype_size(DType::f32), 4u);
    EXPECT_EQ(ptxkit::dtype_size(DType::bf16), 2u);
    EXPECT_EQ(ptxkit::dtype_size(DType::f16), 2u);
    EXPECT_EQ(ptxkit::dtype_size(DType::e4m3), 1u);
    EXPECT_EQ(ptxkit::dtype_size(DType::i64), 8u);
    EXPECT_STREQ(ptxkit::dtype_name(DType::e5m2), "e5m2");
    EXPECT_EQ(ptxkit::dtype_size(static_cast<DType>(99)), 0u);
}

TEST(Version, MatchesHeader) { EXPECT_STREQ(ptxkit::version(), PTXKIT_VERSION_STRING); }

}  // namespace
