#include "support/numeric.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace ptxkit::testing {

std::uint16_t f32_to_bf16_rne(float x) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
    // Round to nearest, ties to even, on the 16 bits that are dropped.
    const std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
    return static_cast<std::uint16_t>((u + rounding) >> 16);
}

std::uint16_t f32_to_f16_rne(float x) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
    const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
    const std::uint32_t abs = u & 0x7fffffffu;
    if (abs > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);   // NaN: a quiet NaN
    if (abs == 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // inf
    // Work in the float's own bits: fp16 keeps 10 mantissa bits, exponent bias 15.
    const int exponent = static_cast<int>(abs >> 23) - 127;
    if (exponent > 15) return static_cast<std::uint16_t>(sign | 0x7c00u);
    std::uint32_t mantissa = (abs & 0x7fffffu) | (abs >= 0x00800000u ? 0x800000u : 0u);
    int shift;  // bits to drop from the 24-bit significand
    std::uint32_t base_exponent;
    if (exponent >= -14) {
        shift = 13;
        base_exponent = static_cast<std::uint32_t>(exponent + 15);
    } else {
        shift = 13 + (-14 - exponent);
        base_exponent = 0;
        if (shift > 24) return sign;  // below half of the smallest subnormal
    }
    const std::uint32_t kept = mantissa >> shift;
    const std::uint32_t dropped = mantissa & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1);
    std::uint32_t rounded = kept + ((dropped > half || (dropped == half && (kept & 1u))) ? 1u : 0u);
    std::uint32_t bits;
    if (base_exponent == 0) {
        bits = rounded;  // subnormal; a carry into bit 10 makes it the smallest normal, as it should
    } else {
        bits = (base_exponent << 10) + (rounded - 0x400u);  // carry bumps the exponent, up to inf
    }
    return static_cast<std::uint16_t>(sign | bits);
}

float bf16_to_f32(std::uint16_t h) { return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16); }

float f16_to_f32(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    if (exponent == 0) {
        const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -magnitude : magnitude;
    }
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

std::vector<float> random_floats(std::size_t n, std::uint64_t seed, float scale, bool with_specials) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    if (with_specials) {
        const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(),
                                  1e-40f, 6e-8f, 3e-8f, 65504.0f, 65520.0f, 70000.0f, -1e30f, 1.0f + 0x1p-8f,
                                  1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, 3.3895e38f, 1.00390625f, 5.9604645e-08f};
        std::uniform_int_distribution<std::size_t> pos(0, n ? n - 1 : 0);
        for (float s : specials) {
            if (n) v[pos(rng)] = s;
        }
    }
    return v;
}

std::uint64_t fresh_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace ptxkit::testing
