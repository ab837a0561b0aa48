// Host-side bit-exact conversions (round to nearest even), the references
// for the device conversion kernels, and seeded random inputs.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace ptxkit::testing {

std::uint16_t f32_to_bf16_rne(float x);
std::uint16_t f32_to_f16_rne(float x);
float bf16_to_f32(std::uint16_t h);
float f16_to_f32(std::uint16_t h);

// n floats in [-scale, scale), plus the special values the conversions must
// get right (zeros, subnormals, halfway cases, overflow, infinities) when
// `with_specials` is set. NaNs are never included (their payload is
// implementation-defined).
std::vector<float> random_floats(std::size_t n, std::uint64_t seed, float scale = 8.0f, bool with_specials = true);

// A fresh seed per call (from std::random_device), printed by the caller on failure.
std::uint64_t fresh_seed();

}  // namespace ptxkit::testing
