// The host reference conversions, checked against definitions: the GPU
// conversion tests compare every byte against them.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "support/numeric.hpp"

namespace {

using namespace ptxkit::testing;

// Round-to-nearest-even by brute force: the representable neighbours of x.
std::uint16_t nearest_f16_brute(float x) {
    const double v = x;
    std::uint16_t best = 0;
    double best_err = std::numeric_limits<double>::infinity();
    const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    for (std::uint32_t m = 0; m < 0x7c00; ++m) {
        const double c = f16_to_f32(static_cast<std::uint16_t>(sign | m));
        const double err = std::abs(c - v);
        if (err < best_err || (err == best_err && (m & 1u) == 0)) {
            best_err = err;
            best = static_cast<std::uint16_t>(sign | m);
        }
    }
    // Beyond the largest finite value plus half an ulp: infinity.
    if (std::abs(v) >= 65520.0) return static_cast<std::uint16_t>(sign | 0x7c00);
    return best;
}

TEST(Numeric, F16MatchesBruteForce) {
    const auto xs = random_floats(800, 42, 70000.0f);
    for (float x : xs) {
        if (std::isinf(x)) continue;
        ASSERT_EQ(f32_to_f16_rne(x), nearest_f16_brute(x)) << "x = " << x;
    }
    const auto small = random_floats(800, 7, 1e-4f);
    for (float x : small) {
        if (std::isinf(x)) continue;
        ASSERT_EQ(f32_to_f16_rne(x), nearest_f16_brute(x)) << "x = " << x;
    }
}

TEST(Numeric, F16KnownValues) {
    EXPECT_EQ(f32_to_f16_rne(1.0f), 0x3c00);
    EXPECT_EQ(f32_to_f16_rne(-2.0f), 0xc000);
    EXPECT_EQ(f32_to_f16_rne(65504.0f), 0x7bff);
    EXPECT_EQ(f32_to_f16_rne(65520.0f), 0x7c00);  // halfway to the next binade rounds to even: inf
    EXPECT_EQ(f32_to_f16_rne(5.9604645e-08f), 0x0001);  // smallest subnormal
    EXPECT_EQ(f32_to_f16_rne(2.9802322e-08f), 0x0000);  // exactly half of it: ties to even (0)
    EXPECT_EQ(f32_to_f16_rne(std::numeric_limits<float>::infinity()), 0x7c00);
    EXPECT_EQ(f32_to_f16_rne(-0.0f), 0x8000);
}

TEST(Numeric, F16RoundTripIsExact) {
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        const auto bits = static_cast<std::uint16_t>(h);
        if ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0) continue;  // NaN
        ASSERT_EQ(f32_to_f16_rne(f16_to_f32(bits)), bits) << std::hex << h;
    }
}

TEST(Numeric, Bf16KnownValuesAndTies) {
    EXPECT_EQ(f32_to_bf16_rne(1.0f), 0x3f80);
    EXPECT_EQ(f32_to_bf16_rne(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie, even stays
    EXPECT_EQ(f32_to_bf16_rne(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie, odd rounds up
    EXPECT_EQ(f32_to_bf16_rne(std::bit_cast<float>(0x3f808001u)), 0x3f81);
    EXPECT_EQ(f32_to_bf16_rne(std::numeric_limits<float>::max()), 0x7f80);  // overflows to inf
    EXPECT_EQ(f32_to_bf16_rne(-std::numeric_limits<float>::infinity()), 0xff80);
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        const auto bits = static_cast<std::uint16_t>(h);
        if ((bits & 0x7f80) == 0x7f80 && (bits & 0x7f) != 0) continue;  // NaN
        ASSERT_EQ(f32_to_bf16_rne(bf16_to_f32(bits)), bits) << std::hex << h;
    }
}

TEST(Numeric, RandomFloatsAreSeededAndNotZero) {
    const auto a = random_floats(1000, 1);
    const auto b = random_floats(1000, 1);
    EXPECT_EQ(a, b);
    int zeros = 0;
    for (float x : a) zeros += x == 0.0f;
    EXPECT_LT(zeros, 10);
    EXPECT_NE(random_floats(1000, 2), a);
}

}  // namespace
