// Conversions (PTX ISA "cvt": round to nearest even, NaN canonical) and the
// approximate math instructions. The .approx results are exact by default; in
// the noise models (RunConfig::approx_noise) they are off by about the ISA's
// documented maximum error, deterministically per input, so that a kernel's
// tolerance to that error is tested.
#include <cmath>

#include "internal.hpp"

namespace emu::detail {
float bf16f(uint16_t b) { uint32_t u = uint32_t(b) << 16; float f; std::memcpy(&f, &u, 4); return f; }
float f16f(uint16_t b) { _Float16 h; std::memcpy(&h, &b, 2); return static_cast<float>(h); }
}  // namespace emu::detail

namespace emu::px {
using namespace detail;
namespace {
uint32_t bf16_rn(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;  // canonical NaN
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}
uint32_t f16_rn(float f) {
    _Float16 h = static_cast<_Float16>(f);  // round to nearest even
    uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
}
// y * (1 + rel * u), u in [-1, 1] a hash of x (the same input always gets the same error).
float noise(float x, float y, double rel) {
    if (!cfg.approx_noise || !std::isfinite(y) || y == 0.0f) return y;
    uint32_t h;
    std::memcpy(&h, &x, 4);
    h ^= h >> 16; h *= 0x7feb352dU; h ^= h >> 15; h *= 0x846ca68bU; h ^= h >> 16;
    const double u = (double(h) / 4294967295.0) * 2.0 - 1.0;
    return float(double(y) * (1.0 + rel * u));
}
float ftz(float x) { return std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(0.0f, x) : x; }
}  // namespace

// cvt.rn.{bf16x2,f16x2}.f32 d, a, b: a -> upper half of d, b -> lower half.
uint32_t cvt_rn_bf16x2_f32(float a, float b) { return (bf16_rn(a) << 16) | bf16_rn(b); }
uint32_t cvt_rn_f16x2_f32(float a, float b) { return (f16_rn(a) << 16) | f16_rn(b); }
float cvt_f32_f16(uint16_t h) { return f16f(h); }

float ex2_approx_ftz(float x) { x = ftz(x); return ftz(noise(x, std::exp2(x), 2.0 * 0x1p-23)); }  // relative 2^-22
float lg2_approx_ftz(float x) {
    x = ftz(x);
    const float y = std::log2(x);
    if (!cfg.approx_noise || !std::isfinite(y)) return y;
    return y + float(noise(x, 1.0f, 1.0) - 1.0f) * 0x1p-22f;  // absolute 2^-22
}
// Relative 2^-11 by default. An assumption: the ISA quotes 2^-10.987 for the
// 16-bit forms; approx_noise 2 applies that as an ABSOLUTE error, larger near
// 0, which is the bound a soft-capped score (softcap * tanh) is tested with.
float tanh_approx(float x) {
    if (cfg.approx_noise == 2) return std::tanh(x) + (noise(x, 1.0f, 1.0) - 1.0f) * 0x1.02p-11f;
    return noise(x, std::tanh(x), 0x1p-11);
}
float rcp_approx_ftz(float x) { x = ftz(x); return ftz(noise(x, 1.0f / x, 0x1p-23)); }  // relative 2^-23
}  // namespace emu::px
