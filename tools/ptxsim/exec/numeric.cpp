#include "exec/numeric.hpp"

#include <cfenv>
#include <limits>

namespace ptxsim::num {
namespace {

// The exact sum a + b as s + err (Knuth's TwoSum).
void two_sum(double a, double b, double& s, double& err) {
    s = a + b;
    const double bb = s - a;
    err = (a - (s - bb)) + (b - bb);
}

}  // namespace

float round_pair(double s, double err, Round r) {
    float f = static_cast<float>(s);  // nearest (ties to even) of s
    if (r == Round::rn || r == Round::none || std::isnan(s)) {
        // s itself may sit on a tie between two floats with err breaking it.
        if (err != 0.0 && std::isfinite(f)) {
            const double d = static_cast<double>(f) - s;  // exact
            const float up = std::nextafter(f, std::numeric_limits<float>::infinity());
            const float dn = std::nextafter(f, -std::numeric_limits<float>::infinity());
            const double half_up = (static_cast<double>(up) - static_cast<double>(f)) / 2;
            const double half_dn = (static_cast<double>(f) - static_cast<double>(dn)) / 2;
            // distance of the exact value from f: (s + err) - f = err - d
            const double dist = err - d;
            if (dist > 0 && dist == half_up) f = (bits_f32(f) & 1) ? up : f;
            else if (dist > half_up) f = up;
            else if (dist < 0 && -dist == half_dn) f = (bits_f32(f) & 1) ? dn : f;
            else if (-dist > half_dn) f = dn;
        }
        return f;
    }
    if (std::isinf(s)) {
        // Overflowed already in double: directed modes clamp to the largest finite toward zero.
        if (r == Round::rz || (r == Round::rm && s > 0) || (r == Round::rp && s < 0))
            return std::copysign(std::numeric_limits<float>::max(), static_cast<float>(s));
        return static_cast<float>(s);
    }
    // Exact value v = s + err; compare f with v.
    const double d = std::isinf(f) ? 0.0 : static_cast<double>(f) - s;  // f - s, exact
    int cmp;  // sign of f - v
    if (std::isinf(f)) cmp = f > 0 ? 1 : -1;
    else cmp = d > err ? 1 : d < err ? -1 : 0;
    const bool toward_zero_needed = r == Round::rz;
    if (cmp == 0) return f;
    const double v_sign = s + err;
    if (r == Round::rm || (toward_zero_needed && v_sign > 0)) {
        if (cmp > 0) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
    } else if (r == Round::rp || (toward_zero_needed && v_sign < 0)) {
        if (cmp < 0) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    }
    if (std::isinf(f) && r != Round::rn) {
        if (r == Round::rz || (r == Round::rm && f > 0) || (r == Round::rp && f < 0))
            f = std::copysign(std::numeric_limits<float>::max(), f);
    }
    return f;
}

// An exact zero sum is +0 in every mode but round-toward-negative, where it
// is -0 unless both addends are +0 (IEEE 754 6.3).
float zero_sign(float res, float x, float y, Round r) {
    if (res != 0.0f || r != Round::rm) return res;
    return (x == 0.0f && y == 0.0f && !std::signbit(x) && !std::signbit(y)) ? 0.0f : -0.0f;
}

float add_f32(float a, float b, Round r) {
    if (r == Round::rn || r == Round::none) return a + b;
    double s, e;
    two_sum(a, b, s, e);  // a + b of two floats is exact in double but for huge exponent gaps
    return zero_sign(round_pair(s, e, r), a, b, r);
}
float mul_f32(float a, float b, Round r) {
    if (r == Round::rn || r == Round::none) return a * b;
    return round_pair(static_cast<double>(a) * b, 0.0, r);  // exact in double
}
float fma_f32(float a, float b, float c, Round r) {
    if (r == Round::rn || r == Round::none) return std::fma(a, b, c);
    double s, e;
    const double p = static_cast<double>(a) * b;
    two_sum(p, c, s, e);
    return zero_sign(round_pair(s, e, r), static_cast<float>(p), c, r);
}
float div_f32(float a, float b, Round r) {
    if (r == Round::rn || r == Round::none) return a / b;
    const double q = static_cast<double>(a) / b;
    const double e = std::fma(-q, static_cast<double>(b), static_cast<double>(a)) / b;  // residual / b
    return round_pair(q, e, r);
}
float sqrt_f32(float a, Round r) {
    if (r == Round::rn || r == Round::none) return std::sqrt(a);
    const double q = std::sqrt(static_cast<double>(a));
    const double e = std::fma(-q, q, static_cast<double>(a)) / (2 * q);
    return round_pair(q, e, r);
}
float rcp_f32(float a, Round r) { return div_f32(1.0f, a, r); }
float f64_to_f32(double d, Round r) {
    if (r == Round::rn || r == Round::none) return static_cast<float>(d);
    return round_pair(d, 0.0, r);
}

float bf16_to_f32(uint16_t b) { return f32_of(uint32_t(b) << 16); }
float f16_to_f32(uint16_t h) {
    _Float16 v;
    std::memcpy(&v, &h, 2);
    return static_cast<float>(v);
}

uint16_t f32_to_bf16(float f, Round r, bool relu, bool satfinite) {
    if (relu && !(f >= 0.0f) && !std::isnan(f)) f = 0.0f;
    uint32_t u = bits_f32(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fff;  // canonical NaN
    uint32_t out;
    switch (r) {
        case Round::rz: out = u >> 16; break;
        case Round::rm: out = (u >> 16) + ((u & 0xffff) && (u >> 31)); break;
        case Round::rp: out = (u >> 16) + ((u & 0xffff) && !(u >> 31)); break;
        default: out = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16; break;
    }
    if (satfinite && (out & 0x7fff) == 0x7f80) out = (out & 0x8000) | 0x7f7f;
    return uint16_t(out);
}

uint16_t f32_to_f16(float f, Round r, bool relu, bool satfinite) {
    if (relu && !(f >= 0.0f) && !std::isnan(f)) f = 0.0f;
    _Float16 h;
    if (r == Round::rn || r == Round::none) {
        h = static_cast<_Float16>(f);
    } else {
        const int old = std::fegetround();
        std::fesetround(r == Round::rz ? FE_TOWARDZERO : r == Round::rm ? FE_DOWNWARD : FE_UPWARD);
        volatile float vf = f;
        h = static_cast<_Float16>(vf);
        std::fesetround(old);
    }
    uint16_t b;
    std::memcpy(&b, &h, 2);
    if (std::isnan(f)) return 0x7fff;
    if (satfinite && (b & 0x7fff) == 0x7c00) b = uint16_t((b & 0x8000) | 0x7bff);
    return b;
}

namespace {
// Generic small-float encode with round-to-nearest-even and satfinite:
// `ebits` exponent bits, `mbits` mantissa bits, bias, the largest finite
// magnitude, and whether NaN is the all-ones pattern (e4m3: S.1111.111).
uint8_t encode_small(float f, int ebits, int mbits, int bias, float max_finite, bool relu) {
    if (std::isnan(f)) return 0x7f;
    if (relu && f < 0) f = 0;
    const uint8_t sign = std::signbit(f) ? 0x80 : 0;
    float a = std::fabs(f);
    if (a >= max_finite) a = max_finite;  // satfinite (also for infinities)
    if (a == 0) return sign;
    int e;
    std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    int exp = e - 1 + bias;  // biased exponent of 1.m form
    const int min_exp = 1;
    double scaled;
    if (exp < min_exp) {
        // subnormal: value = mant * 2^(1 - bias - mbits)
        scaled = std::ldexp(static_cast<double>(a), mbits - (1 - bias));
        exp = 0;
    } else {
        scaled = std::ldexp(static_cast<double>(a), mbits - (e - 1));  // in [2^mbits, 2^(mbits+1))
    }
    double q = std::nearbyint(scaled);  // ties to even (default mode)
    uint32_t mant = static_cast<uint32_t>(q);
    if (exp == 0) {
        if (mant >= (1u << mbits)) { exp = 1; mant -= (1u << mbits); }
    } else {
        if (mant >= (2u << mbits)) { mant >>= 1; ++exp; }
        mant -= (1u << mbits);
    }
    (void)ebits;
    uint8_t v = uint8_t(sign | (exp << mbits) | mant);
    return v;
}
float decode_small(uint8_t v, int mbits, int bias) {
    const bool neg = v & 0x80;
    const int exp = (v & 0x7f) >> mbits;
    const int mant = v & ((1 << mbits) - 1);
    double m = exp == 0 ? std::ldexp(double(mant), 1 - bias - mbits) : std::ldexp(double(mant + (1 << mbits)), exp - bias - mbits);
    return static_cast<float>(neg ? -m : m);
}
}  // namespace

uint8_t f32_to_e4m3(float f, bool relu) {
    uint8_t v = encode_small(f, 4, 3, 7, 448.0f, relu);
    return v;
}
uint8_t f32_to_e5m2(float f, bool relu) {
    if (std::isnan(f)) return 0x7f;
    return encode_small(f, 5, 2, 15, 57344.0f, relu);
}
float e4m3_to_f32(uint8_t v) {
    if ((v & 0x7f) == 0x7f) return std::numeric_limits<float>::quiet_NaN();
    return decode_small(v, 3, 7);
}
float e5m2_to_f32(uint8_t v) {
    const int exp = (v & 0x7f) >> 2;
    if (exp == 31) {
        if (v & 3) return std::numeric_limits<float>::quiet_NaN();
        return (v & 0x80) ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    }
    return decode_small(v, 2, 15);
}

double round_integral(double x, Round r) {
    switch (r) {
        case Round::rzi: return std::trunc(x);
        case Round::rmi: return std::floor(x);
        case Round::rpi: return std::ceil(x);
        default: return std::nearbyint(x);  // rni: ties to even
    }
}

}  // namespace ptxsim::num
