// Number formats and rounding shared by the instruction families: f16, bf16,
// e4m3/e5m2 conversions (PTX ISA 5.2.2 / 9.7.9.21 cvt), directed rounding of
// f32 results computed exactly, flush-to-zero.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace ptxsim::num {

enum class Round : uint8_t { none, rn, rz, rm, rp, rna, rni, rzi, rmi, rpi, rs };

inline float f32_of(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t bits_f32(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

inline float ftz(float x) { return std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(0.0f, x) : x; }
inline float sat01(float x) { return std::isnan(x) ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }

// f32 nearest to the exact value s + err (s a double, err the exact residual
// of s, |err| <= ulp(s)/2), rounded in direction `r`.
float round_pair(double s, double err, Round r);
// Correctly rounded f32 results in any IEEE mode.
float add_f32(float a, float b, Round r);
float mul_f32(float a, float b, Round r);
float fma_f32(float a, float b, float c, Round r);
float div_f32(float a, float b, Round r);
float sqrt_f32(float a, Round r);
float rcp_f32(float a, Round r);
// double -> f32 in mode r.
float f64_to_f32(double d, Round r);

uint16_t f32_to_bf16(float f, Round r, bool relu = false, bool satfinite = false);
uint16_t f32_to_f16(float f, Round r, bool relu = false, bool satfinite = false);
float bf16_to_f32(uint16_t b);
float f16_to_f32(uint16_t h);
uint8_t f32_to_e4m3(float f, bool relu = false);  // .rn.satfinite
uint8_t f32_to_e5m2(float f, bool relu = false);
float e4m3_to_f32(uint8_t v);
float e5m2_to_f32(uint8_t v);

// Integer value of a float rounded in mode r (rni/rzi/rmi/rpi).
double round_integral(double x, Round r);

}  // namespace ptxsim::num
