// Integer, logic, floating-point, comparison, selection, conversion and
// approximate-math instructions (PTX ISA 9.7.1 integer arithmetic, 9.7.3
// floating point, 9.7.6 comparison and selection, 9.7.7 logic and shift,
// 9.7.9.21 cvt, 9.7.3.x approximate math, 9.7.9.1 mov). Registers hold raw
// bits zero-extended to 64; each handler reads its operands at the
// instruction's type. The decoder packs the modifiers into Instruction::aux.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "exec/exec.hpp"
#include "exec/numeric.hpp"

namespace ptxsim::exec {
namespace {

using ptx::Type;
using num::Round;

// ---- decoded modifiers (Instruction::aux) ----
struct Mods {
    Type t = Type::None;    // the (destination) type
    Type t2 = Type::None;   // cvt's source type
    Round rnd = Round::none;
    bool ftz = false, sat = false, approx = false, relu = false, satfinite = false;
    uint8_t variant = 0;    // lo/hi/wide, cmp op, bool op ...
    uint8_t variant2 = 0;
};
static_assert(sizeof(Mods) <= 16);
Mods mods_of(const ptx::Instruction& in) {
    Mods m;
    std::memcpy(static_cast<void*>(&m), &in.aux, sizeof(uint64_t));
    std::memcpy(reinterpret_cast<char*>(static_cast<void*>(&m)) + 8, &in.aux2, sizeof(Mods) - 8);
    return m;
}
void store_mods(const ptx::Instruction& in, const Mods& m) {
    std::memcpy(&in.aux, &m, sizeof(uint64_t));
    uint64_t rest = 0;
    std::memcpy(&rest, reinterpret_cast<const char*>(&m) + 8, sizeof(Mods) - 8);
    in.aux2 = rest;
}

enum Variant : uint8_t { V_none, V_lo, V_hi, V_wide };
enum Cmp : uint8_t { C_eq, C_ne, C_lt, C_le, C_gt, C_ge, C_lo, C_ls, C_hi, C_hs, C_equ, C_neu, C_ltu, C_leu, C_gtu,
                     C_geu, C_num, C_nan, C_none };
enum BoolOp : uint8_t { B_none, B_and, B_or, B_xor };

bool is_float(Type t) { return t == Type::F32 || t == Type::F64 || t == Type::F16 || t == Type::BF16; }
bool is_signed(Type t) { return t == Type::S8 || t == Type::S16 || t == Type::S32 || t == Type::S64; }
int width(Type t) { return ptx::type_bits(t); }
uint64_t mask_bits(int bits) { return bits >= 64 ? ~0ull : ((1ull << bits) - 1); }

// Integer source at type t: sign- or zero-extended to 64 bits.
int64_t get_s(const Warp& w, const ptx::Operand& op, int lane, int bits) {
    const uint64_t v = src_bits(w, op, lane);
    if (bits >= 64) return int64_t(v);
    const uint64_t m = mask_bits(bits);
    const uint64_t x = v & m;
    const uint64_t sign = 1ull << (bits - 1);
    return int64_t((x ^ sign) - sign);
}
uint64_t get_u(const Warp& w, const ptx::Operand& op, int lane, int bits) { return src_bits(w, op, lane) & mask_bits(bits); }
float get_f32(const Warp& w, const ptx::Operand& op, int lane) {
    if (op.kind == ptx::OperandKind::Imm) {
        if (op.imm_is_double) return float(as_f64(uint64_t(op.imm)));
        if (!op.imm_is_float) return float(op.imm);
    }
    return as_f32(src_bits(w, op, lane));
}
double get_f64(const Warp& w, const ptx::Operand& op, int lane) {
    if (op.kind == ptx::OperandKind::Imm) {
        if (op.imm_is_float && !op.imm_is_double) return double(as_f32(uint64_t(op.imm)));
        if (!op.imm_is_float && !op.imm_is_double) return double(op.imm);
    }
    return as_f64(src_bits(w, op, lane));
}
void put(Warp& w, const ptx::Operand& op, int lane, uint64_t v, int bits) { dst_write(w, op, lane, v & mask_bits(bits)); }
void put_f32(Warp& w, const ptx::Operand& op, int lane, float f) { dst_write(w, op, lane, bits_of(f)); }
void put_f64(Warp& w, const ptx::Operand& op, int lane, double d) { dst_write(w, op, lane, bits_of(d)); }

float fin32(float x, const Mods& m) {
    if (m.ftz) x = num::ftz(x);
    return x;
}
float fout32(float x, const Mods& m) {
    if (m.ftz) x = num::ftz(x);
    if (m.sat) x = num::sat01(x);
    if (std::isnan(x)) x = num::f32_of(0x7fffffffu);  // canonical NaN
    return x;
}

[[noreturn]] void bad(const Warp& w, const char* what) {
    fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, what);
}

// ---- mov ----
void h_mov(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const auto& d = in.ops[0];
    const auto& s = in.ops[1];
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    if (d.kind == ptx::OperandKind::Vec) {  // unpack: mov.b64 {a, b}, x
        const int n = int(d.elems.size());
        const int eb = bits / n;
        for_lanes(act, [&](int l) {
            const uint64_t v = src_bits(w, s, l);
            for (int i = 0; i < n; ++i) put(w, d.elems[std::size_t(i)], l, v >> (i * eb), eb);
        });
    } else if (s.kind == ptx::OperandKind::Vec) {  // pack: mov.b64 x, {a, b}
        const int n = int(s.elems.size());
        const int eb = bits / n;
        for_lanes(act, [&](int l) {
            uint64_t v = 0;
            for (int i = 0; i < n; ++i) v |= (src_bits(w, s.elems[std::size_t(i)], l) & mask_bits(eb)) << (i * eb);
            put(w, d, l, v, bits);
        });
    } else if (m.t == Type::F32 && s.kind == ptx::OperandKind::Imm) {
        for_lanes(act, [&](int l) { put_f32(w, d, l, get_f32(w, s, l)); });
    } else if (m.t == Type::F64 && s.kind == ptx::OperandKind::Imm) {
        for_lanes(act, [&](int l) { put_f64(w, d, l, get_f64(w, s, l)); });
    } else {
        for_lanes(act, [&](int l) { put(w, d, l, src_bits(w, s, l), bits); });
    }
}

// ---- integer arithmetic ----
template <class Op>
void int_binary(Warp& w, const ptx::Instruction& in, LaneMask act, Op op) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        const int64_t a = sgn ? get_s(w, in.ops[1], l, bits) : int64_t(get_u(w, in.ops[1], l, bits));
        const int64_t b = sgn ? get_s(w, in.ops[2], l, bits) : int64_t(get_u(w, in.ops[2], l, bits));
        put(w, in.ops[0], l, uint64_t(op(a, b, bits, sgn)), bits);
    });
}

void h_add(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F32) {
        for_lanes(act, [&](int l) {
            put_f32(w, in.ops[0], l,
                    fout32(num::add_f32(fin32(get_f32(w, in.ops[1], l), m), fin32(get_f32(w, in.ops[2], l), m), m.rnd), m));
        });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) { put_f64(w, in.ops[0], l, get_f64(w, in.ops[1], l) + get_f64(w, in.ops[2], l)); });
        return;
    }
    if (m.sat) {  // add.sat.s32
        int_binary(w, in, act, [](int64_t a, int64_t b, int, bool) {
            const int64_t s = a + b;
            return s > INT32_MAX ? int64_t(INT32_MAX) : s < INT32_MIN ? int64_t(INT32_MIN) : s;
        });
        return;
    }
    int_binary(w, in, act, [](int64_t a, int64_t b, int, bool) { return int64_t(uint64_t(a) + uint64_t(b)); });
}
void h_sub(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F32) {
        for_lanes(act, [&](int l) {
            put_f32(w, in.ops[0], l,
                    fout32(num::add_f32(fin32(get_f32(w, in.ops[1], l), m), -fin32(get_f32(w, in.ops[2], l), m), m.rnd), m));
        });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) { put_f64(w, in.ops[0], l, get_f64(w, in.ops[1], l) - get_f64(w, in.ops[2], l)); });
        return;
    }
    int_binary(w, in, act, [](int64_t a, int64_t b, int, bool) { return int64_t(uint64_t(a) - uint64_t(b)); });
}

// 128-bit products (a GCC/Clang extension; __extension__ keeps -Wpedantic quiet).
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;
// The full product of two `bits`-wide integers.
void full_mul(int64_t a, int64_t b, bool sgn, u128& out) {
    if (sgn) out = static_cast<u128>(static_cast<i128>(a) * static_cast<i128>(b));
    else out = static_cast<u128>(uint64_t(a)) * uint64_t(b);
}

void h_mul(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F32) {
        for_lanes(act, [&](int l) {
            put_f32(w, in.ops[0], l,
                    fout32(num::mul_f32(fin32(get_f32(w, in.ops[1], l), m), fin32(get_f32(w, in.ops[2], l), m), m.rnd), m));
        });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) { put_f64(w, in.ops[0], l, get_f64(w, in.ops[1], l) * get_f64(w, in.ops[2], l)); });
        return;
    }
    const int bits = width(m.t);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        const int64_t a = sgn ? get_s(w, in.ops[1], l, bits) : int64_t(get_u(w, in.ops[1], l, bits));
        const int64_t b = sgn ? get_s(w, in.ops[2], l, bits) : int64_t(get_u(w, in.ops[2], l, bits));
        u128 p;
        full_mul(a, b, sgn, p);
        switch (m.variant) {
            case V_wide: put(w, in.ops[0], l, uint64_t(p), 2 * bits); break;
            case V_hi: put(w, in.ops[0], l, uint64_t(p >> bits), bits); break;
            default: put(w, in.ops[0], l, uint64_t(p), bits); break;
        }
    });
}

void h_mad(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F32) {  // mad.f32 is fma.rn.f32 (sm_20+)
        for_lanes(act, [&](int l) {
            put_f32(w, in.ops[0], l,
                    fout32(num::fma_f32(fin32(get_f32(w, in.ops[1], l), m), fin32(get_f32(w, in.ops[2], l), m),
                                        fin32(get_f32(w, in.ops[3], l), m), m.rnd),
                           m));
        });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) {
            put_f64(w, in.ops[0], l, std::fma(get_f64(w, in.ops[1], l), get_f64(w, in.ops[2], l), get_f64(w, in.ops[3], l)));
        });
        return;
    }
    const int bits = width(m.t);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        const int64_t a = sgn ? get_s(w, in.ops[1], l, bits) : int64_t(get_u(w, in.ops[1], l, bits));
        const int64_t b = sgn ? get_s(w, in.ops[2], l, bits) : int64_t(get_u(w, in.ops[2], l, bits));
        u128 p;
        full_mul(a, b, sgn, p);
        if (m.variant == V_wide) {
            const uint64_t c = src_bits(w, in.ops[3], l);
            put(w, in.ops[0], l, uint64_t(p) + c, 2 * bits);
        } else if (m.variant == V_hi) {
            const int64_t c = sgn ? get_s(w, in.ops[3], l, bits) : int64_t(get_u(w, in.ops[3], l, bits));
            int64_t r = int64_t(uint64_t(p >> bits)) ;
            if (sgn && bits == 32) r = int64_t(int32_t(uint32_t(p >> 32)));
            if (m.sat && sgn && bits == 32) {
                const int64_t s = r + c;
                put(w, in.ops[0], l, uint64_t(s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : s), bits);
            } else {
                put(w, in.ops[0], l, uint64_t(r) + uint64_t(c), bits);
            }
        } else {
            put(w, in.ops[0], l, uint64_t(p) + src_bits(w, in.ops[3], l), bits);
        }
    });
}

void h_fma(Warp& w, const ptx::Instruction& in, LaneMask act) { h_mad(w, in, act); }

void h_div(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F32) {
        for_lanes(act, [&](int l) {
            const float a = fin32(get_f32(w, in.ops[1], l), m), b = fin32(get_f32(w, in.ops[2], l), m);
            // div.approx / div.full: the ISA bounds their error (2 ulp); the
            // simulator returns the correctly rounded quotient.
            put_f32(w, in.ops[0], l, fout32(num::div_f32(a, b, m.approx ? Round::rn : m.rnd), m));
        });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) { put_f64(w, in.ops[0], l, get_f64(w, in.ops[1], l) / get_f64(w, in.ops[2], l)); });
        return;
    }
    int_binary(w, in, act, [](int64_t a, int64_t b, int bits, bool sgn) -> int64_t {
        if (b == 0) return -1;  // no trap on the GPU; all ones
        if (sgn) {
            if (bits == 64 && a == INT64_MIN && b == -1) return a;
            return a / b;
        }
        return int64_t(uint64_t(a) / uint64_t(b));
    });
}
void h_rem(Warp& w, const ptx::Instruction& in, LaneMask act) {
    int_binary(w, in, act, [](int64_t a, int64_t b, int bits, bool sgn) -> int64_t {
        if (b == 0) return a;
        if (sgn) {
            if (bits == 64 && a == INT64_MIN && b == -1) return 0;
            return a % b;
        }
        return int64_t(uint64_t(a) % uint64_t(b));
    });
}

float fmin_ptx(float a, float b) {
    if (std::isnan(a)) return std::isnan(b) ? num::f32_of(0x7fffffffu) : b;
    if (std::isnan(b)) return a;
    if (a == 0 && b == 0) return std::signbit(a) ? a : b;  // -0 < +0
    return a < b ? a : b;
}
float fmax_ptx(float a, float b) {
    if (std::isnan(a)) return std::isnan(b) ? num::f32_of(0x7fffffffu) : b;
    if (std::isnan(b)) return a;
    if (a == 0 && b == 0) return std::signbit(a) ? b : a;
    return a > b ? a : b;
}

// min / max (ISA 9.7.3.10/11, 9.7.1.10/11): one body, the comparison chosen by Max.
template <bool Max>
void h_minmax(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F32) {
        const auto pick = [](float a, float b) { return Max ? fmax_ptx(a, b) : fmin_ptx(a, b); };
        for_lanes(act, [&](int l) {
            float r = pick(fin32(get_f32(w, in.ops[1], l), m), fin32(get_f32(w, in.ops[2], l), m));
            if (in.ops.size() > 3) r = pick(r, fin32(get_f32(w, in.ops[3], l), m));
            put_f32(w, in.ops[0], l, fout32(r, m));
        });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) {
            const double a = get_f64(w, in.ops[1], l), b = get_f64(w, in.ops[2], l);
            put_f64(w, in.ops[0], l, Max ? std::fmax(a, b) : std::fmin(a, b));
        });
        return;
    }
    int_binary(w, in, act, [](int64_t a, int64_t b, int, bool sgn) {
        if (sgn) return Max ? std::max(a, b) : std::min(a, b);
        return int64_t(Max ? std::max(uint64_t(a), uint64_t(b)) : std::min(uint64_t(a), uint64_t(b)));
    });
}

void h_abs(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    if (m.t == Type::F32) {
        for_lanes(act, [&](int l) { put(w, in.ops[0], l, num::bits_f32(fin32(get_f32(w, in.ops[1], l), m)) & 0x7fffffffu, 32); });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) { put(w, in.ops[0], l, src_bits(w, in.ops[1], l) & 0x7fffffffffffffffull, 64); });
        return;
    }
    for_lanes(act, [&](int l) {
        const int64_t a = get_s(w, in.ops[1], l, bits);
        put(w, in.ops[0], l, uint64_t(a < 0 ? -a : a), bits);
    });
}
void h_neg(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    if (m.t == Type::F32) {
        for_lanes(act, [&](int l) { put(w, in.ops[0], l, num::bits_f32(fin32(get_f32(w, in.ops[1], l), m)) ^ 0x80000000u, 32); });
        return;
    }
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) { put(w, in.ops[0], l, src_bits(w, in.ops[1], l) ^ 0x8000000000000000ull, 64); });
        return;
    }
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, uint64_t(0) - src_bits(w, in.ops[1], l), bits); });
}

// ---- logic and shifts ----
void h_and(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, src_bits(w, in.ops[1], l) & src_bits(w, in.ops[2], l), bits); });
}
void h_or(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, src_bits(w, in.ops[1], l) | src_bits(w, in.ops[2], l), bits); });
}
void h_xor(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, src_bits(w, in.ops[1], l) ^ src_bits(w, in.ops[2], l), bits); });
}
void h_not(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, ~src_bits(w, in.ops[1], l), bits); });
}
void h_cnot(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, (src_bits(w, in.ops[1], l) & mask_bits(bits)) == 0 ? 1 : 0, bits); });
}
void h_shl(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) {
        const uint64_t a = src_bits(w, in.ops[1], l);
        const uint32_t s = uint32_t(src_bits(w, in.ops[2], l));
        put(w, in.ops[0], l, s >= uint32_t(bits) ? 0 : a << s, bits);
    });
}
void h_shr(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        uint32_t s = uint32_t(src_bits(w, in.ops[2], l));
        if (sgn) {
            const int64_t a = get_s(w, in.ops[1], l, bits);
            if (s >= uint32_t(bits)) s = uint32_t(bits) - 1;
            put(w, in.ops[0], l, uint64_t(a >> s), bits);
        } else {
            const uint64_t a = get_u(w, in.ops[1], l, bits);
            put(w, in.ops[0], l, s >= uint32_t(bits) ? 0 : a >> s, bits);
        }
    });
}
void h_shf(Warp& w, const ptx::Instruction& in, LaneMask act) {  // shf.{l,r}.{wrap,clamp}.b32 d, a, b, c
    const Mods m = mods_of(in);
    for_lanes(act, [&](int l) {
        const uint64_t a = src_bits(w, in.ops[1], l) & 0xffffffffu, b = src_bits(w, in.ops[2], l) & 0xffffffffu;
        uint32_t n = uint32_t(src_bits(w, in.ops[3], l));
        n = m.variant2 ? std::min(n, 32u) : (n & 31u);  // clamp : wrap
        const uint64_t x = (b << 32) | a;
        const uint64_t r = m.variant == V_lo /* l */ ? (x << n) >> 32 : (x >> n);
        put(w, in.ops[0], l, r, 32);
    });
}
// bfe (ISA 9.7.1.19): d[i] = (i < len && pos + i <= msb) ? a[pos + i] : sbit,
// sbit = a[min(pos + len - 1, msb)] for signed types (0 when len is 0), 0 for unsigned.
void h_bfe(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        const uint64_t a = get_u(w, in.ops[1], l, bits);
        const uint32_t pos = uint32_t(src_bits(w, in.ops[2], l)) & 0xff, len = uint32_t(src_bits(w, in.ops[3], l)) & 0xff;
        const uint32_t msb = uint32_t(bits) - 1;
        const bool sbit = sgn && len > 0 && ((a >> std::min(pos + len - 1, msb)) & 1);
        uint64_t r = 0;
        for (uint32_t i = 0; i < uint32_t(bits); ++i) {
            const bool bit = (i < len && pos + i <= msb) ? ((a >> (pos + i)) & 1) : sbit;
            r |= uint64_t(bit) << i;
        }
        put(w, in.ops[0], l, r, bits);
    });
}
void h_bfi(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) {
        const uint64_t a = src_bits(w, in.ops[1], l), b = src_bits(w, in.ops[2], l);
        const uint32_t pos = uint32_t(src_bits(w, in.ops[3], l)) & 0xff, len = uint32_t(src_bits(w, in.ops[4], l)) & 0xff;
        uint64_t r = b;
        if (len > 0 && pos < uint32_t(bits)) {
            const uint64_t fm = mask_bits(int(std::min<uint32_t>(len, uint32_t(bits) - pos))) << pos;
            r = (b & ~fm) | ((a << pos) & fm);
        }
        put(w, in.ops[0], l, r, bits);
    });
}
void h_popc(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) { put(w, in.ops[0], l, uint64_t(std::popcount(get_u(w, in.ops[1], l, bits))), 32); });
}
void h_clz(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) {
        const uint64_t a = get_u(w, in.ops[1], l, bits);
        put(w, in.ops[0], l, uint64_t(std::countl_zero(a) - (64 - bits)), 32);
    });
}
// bfind{.shiftamt}.type d, a: position of the most significant non-sign bit, 0xffffffff when none.
void h_bfind(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    for_lanes(act, [&](int l) {
        uint64_t a = get_u(w, in.ops[1], l, bits);
        if (is_signed(m.t) && (a >> (bits - 1) & 1)) a = ~a & mask_bits(bits);
        uint64_t r = 0xffffffffu;
        if (a != 0) {
            const int pos = 63 - std::countl_zero(a);
            r = m.variant == V_hi /* shiftamt */ ? uint64_t(bits - 1 - pos) : uint64_t(pos);
        }
        put(w, in.ops[0], l, r, 32);
    });
}
void h_brev(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int bits = width(mods_of(in).t);
    for_lanes(act, [&](int l) {
        uint64_t a = get_u(w, in.ops[1], l, bits), r = 0;
        for (int i = 0; i < bits; ++i) r |= ((a >> i) & 1) << (bits - 1 - i);
        put(w, in.ops[0], l, r, bits);
    });
}
void h_lop3(Warp& w, const ptx::Instruction& in, LaneMask act) {
    for_lanes(act, [&](int l) {
        const uint32_t a = uint32_t(src_bits(w, in.ops[1], l)), b = uint32_t(src_bits(w, in.ops[2], l)),
                       c = uint32_t(src_bits(w, in.ops[3], l));
        const uint32_t lut = uint32_t(src_bits(w, in.ops[4], l)) & 0xff;
        uint32_t r = 0;
        for (int i = 0; i < 32; ++i) {
            const uint32_t idx = (((a >> i) & 1) << 2) | (((b >> i) & 1) << 1) | ((c >> i) & 1);
            r |= ((lut >> idx) & 1u) << i;
        }
        put(w, in.ops[0], l, r, 32);
    });
}
void h_prmt(Warp& w, const ptx::Instruction& in, LaneMask act) {  // default mode only + f4e/b4e/rc8/ecl/ecr/rc16
    const Mods m = mods_of(in);
    for_lanes(act, [&](int l) {
        const uint64_t a = src_bits(w, in.ops[1], l) & 0xffffffffu, b = src_bits(w, in.ops[2], l) & 0xffffffffu;
        const uint32_t c = uint32_t(src_bits(w, in.ops[3], l));
        const uint64_t x = (b << 32) | a;
        auto byte = [&](uint32_t i) { return uint32_t((x >> (8 * (i & 7))) & 0xff); };
        uint32_t r = 0;
        switch (m.variant) {
            case 0:
                for (int i = 0; i < 4; ++i) {
                    const uint32_t sel = (c >> (4 * i)) & 0xf;
                    uint32_t v = byte(sel & 7);
                    if (sel & 8) v = (v & 0x80) ? 0xff : 0;
                    r |= v << (8 * i);
                }
                break;
            case 1: {  // f4e
                const uint32_t s = c & 3;
                for (uint32_t i = 0; i < 4; ++i) r |= byte(s + i) << (8 * i);
                break;
            }
            case 2: {  // b4e
                const uint32_t s = c & 3;
                for (uint32_t i = 0; i < 4; ++i) r |= byte((s + 8 - i) & 7) << (8 * i);
                break;
            }
            case 3: {  // rc8
                const uint32_t v = byte(c & 3);
                r = v * 0x01010101u;
                break;
            }
            case 4: {  // ecl: edge clamp left (3210, 3211, 3222, 3333)
                const uint32_t s = c & 3;
                for (uint32_t i = 0; i < 4; ++i) r |= byte(i > s ? i : s) << (8 * i);
                break;
            }
            case 5: {  // ecr: edge clamp right (0000, 1110, 2210, 3210)
                const uint32_t s = c & 3;
                for (uint32_t i = 0; i < 4; ++i) r |= byte(i < s ? i : s) << (8 * i);
                break;
            }
            default: {  // rc16
                const uint32_t h = (c & 1) ? uint32_t(a >> 16) : uint32_t(a & 0xffff);
                r = h | (h << 16);
                break;
            }
        }
        put(w, in.ops[0], l, r, 32);
    });
}

// ---- comparison and selection ----
bool compare(const Warp& w, const ptx::Operand& x, const ptx::Operand& y, int l, const Mods& m) {
    const Cmp c = Cmp(m.variant);
    if (m.t == Type::F32 || m.t == Type::F64) {
        const double a = m.t == Type::F32 ? double(fin32(get_f32(w, x, l), m)) : get_f64(w, x, l);
        const double b = m.t == Type::F32 ? double(fin32(get_f32(w, y, l), m)) : get_f64(w, y, l);
        const bool un = std::isnan(a) || std::isnan(b);
        switch (c) {
            case C_eq: return !un && a == b;
            case C_ne: return !un && a != b;
            case C_lt: return !un && a < b;
            case C_le: return !un && a <= b;
            case C_gt: return !un && a > b;
            case C_ge: return !un && a >= b;
            case C_equ: return un || a == b;
            case C_neu: return un || a != b;
            case C_ltu: return un || a < b;
            case C_leu: return un || a <= b;
            case C_gtu: return un || a > b;
            case C_geu: return un || a >= b;
            case C_num: return !un;
            case C_nan: return un;
            default: break;
        }
        bad(w, "setp: unknown float comparison");
    }
    const int bits = width(m.t);
    if (is_signed(m.t) && c <= C_ge) {
        const int64_t a = get_s(w, x, l, bits), b = get_s(w, y, l, bits);
        switch (c) {
            case C_eq: return a == b;
            case C_ne: return a != b;
            case C_lt: return a < b;
            case C_le: return a <= b;
            case C_gt: return a > b;
            case C_ge: return a >= b;
            default: break;
        }
    }
    const uint64_t a = get_u(w, x, l, bits), b = get_u(w, y, l, bits);
    switch (c) {
        case C_eq: return a == b;
        case C_ne: return a != b;
        case C_lt: case C_lo: return a < b;
        case C_le: case C_ls: return a <= b;
        case C_gt: case C_hi: return a > b;
        case C_ge: case C_hs: return a >= b;
        default: break;
    }
    bad(w, "setp: unknown integer comparison");
}
bool combine(bool r, bool c, uint8_t op) {
    switch (op) {
        case B_and: return r && c;
        case B_or: return r || c;
        case B_xor: return r != c;
        default: return r;
    }
}
void h_setp(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    // setp.CmpOp{.BoolOp}.type p[|q], a, b{, {!}c}; the parser gives p|q as a Vec of two.
    const ptx::Operand& d = in.ops[0];
    const bool pair = d.kind == ptx::OperandKind::Vec;
    for_lanes(act, [&](int l) {
        bool r = compare(w, in.ops[1], in.ops[2], l, m);
        bool rq = !r;
        if (m.variant2 != B_none) {
            const bool c = src_bits(w, in.ops[3], l) != 0;
            r = combine(r, c, m.variant2);
            rq = combine(rq, c, m.variant2);
        }
        if (pair) {
            dst_write(w, d.elems[0], l, r ? 1 : 0);
            if (d.elems.size() > 1) dst_write(w, d.elems[1], l, rq ? 1 : 0);
        } else {
            dst_write(w, d, l, r ? 1 : 0);
        }
    });
}
void h_set(Warp& w, const ptx::Instruction& in, LaneMask act) {  // set.CmpOp.dtype.stype
    Mods m = mods_of(in);
    const Type dt = m.t;
    m.t = m.t2;
    for_lanes(act, [&](int l) {
        const bool r = compare(w, in.ops[1], in.ops[2], l, m);
        if (dt == Type::F32) put_f32(w, in.ops[0], l, r ? 1.0f : 0.0f);
        else put(w, in.ops[0], l, r ? ~0ull : 0, width(dt));
    });
}
void h_selp(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    for_lanes(act, [&](int l) {
        const bool c = src_bits(w, in.ops[3], l) != 0;
        if (m.t == Type::F32) put_f32(w, in.ops[0], l, get_f32(w, in.ops[c ? 1 : 2], l));
        else put(w, in.ops[0], l, src_bits(w, in.ops[c ? 1 : 2], l), bits);
    });
}
void h_slct(Warp& w, const ptx::Instruction& in, LaneMask act) {  // slct.dtype.s32/f32 d, a, b, c: c >= 0 ? a : b
    const Mods m = mods_of(in);
    for_lanes(act, [&](int l) {
        const bool ge = m.t2 == Type::F32 ? !(get_f32(w, in.ops[3], l) < 0.0f) : get_s(w, in.ops[3], l, 32) >= 0;
        put(w, in.ops[0], l, src_bits(w, in.ops[ge ? 1 : 2], l), width(m.t));
    });
}

// ---- float-specific ----
void h_copysign(Warp& w, const ptx::Instruction& in, LaneMask act) {  // copysign d, a, b: |b| with a's sign
    const Mods m = mods_of(in);
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) {
            const uint64_t a = src_bits(w, in.ops[1], l), b = src_bits(w, in.ops[2], l);
            put(w, in.ops[0], l, (b & ~(1ull << 63)) | (a & (1ull << 63)), 64);
        });
        return;
    }
    for_lanes(act, [&](int l) {
        const uint32_t a = num::bits_f32(get_f32(w, in.ops[1], l)), b = num::bits_f32(get_f32(w, in.ops[2], l));
        put(w, in.ops[0], l, (b & 0x7fffffffu) | (a & 0x80000000u), 32);
    });
}
// y * (1 + rel * u), u in [-1, 1] a hash of x (same input, same error).
float noise(const Warp& w, float x, float y, double rel) {
    if (!w.cta->launch->approx_noise || !std::isfinite(y) || y == 0.0f) return y;
    uint32_t h = num::bits_f32(x);
    h ^= h >> 16; h *= 0x7feb352dU; h ^= h >> 15; h *= 0x846ca68bU; h ^= h >> 16;
    const double u = (double(h) / 4294967295.0) * 2.0 - 1.0;
    return float(double(y) * (1.0 + rel * u));
}
enum Math : uint8_t { M_rcp, M_sqrt, M_rsqrt, M_ex2, M_lg2, M_sin, M_cos, M_tanh };
void h_math(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    if (m.t == Type::F64) {
        for_lanes(act, [&](int l) {
            const double a = get_f64(w, in.ops[1], l);
            double r = 0;
            switch (Math(m.variant)) {
                case M_rcp: r = 1.0 / a; break;
                case M_sqrt: r = std::sqrt(a); break;
                case M_rsqrt: r = 1.0 / std::sqrt(a); break;
                default: bad(w, "f64 approximate math form");
            }
            put_f64(w, in.ops[0], l, r);
        });
        return;
    }
    if (m.t != Type::F32) bad(w, "approximate math on a non-f32 type (f16/bf16 forms are not implemented)");
    for_lanes(act, [&](int l) {
        const float a = fin32(get_f32(w, in.ops[1], l), m);
        float r = 0;
        switch (Math(m.variant)) {
            case M_rcp: r = m.approx ? noise(w, a, 1.0f / a, 0x1p-23) : num::rcp_f32(a, m.rnd); break;
            case M_sqrt: r = m.approx ? noise(w, a, std::sqrt(a), 0x1p-23) : num::sqrt_f32(a, m.rnd); break;
            case M_rsqrt: r = noise(w, a, float(1.0 / std::sqrt(double(a))), 0x1p-25); break;
            case M_ex2: r = noise(w, a, std::exp2(a), 0x1p-24); break;  // 2 ulp at most
            case M_lg2: {
                r = std::log2(a);
                if (w.cta->launch->approx_noise && std::isfinite(r)) r += (noise(w, a, 1.0f, 1.0) - 1.0f) * 0x1p-23f;
                break;
            }
            case M_sin:  // absolute error 2^-20.5 at most
                r = std::sin(a);
                if (w.cta->launch->approx_noise && std::isfinite(r)) r += (noise(w, a, 1.0f, 1.0) - 1.0f) * 0x1p-21f;
                break;
            case M_cos:
                r = std::cos(a);
                if (w.cta->launch->approx_noise && std::isfinite(r)) r += (noise(w, a, 1.0f, 1.0) - 1.0f) * 0x1p-21f;
                break;
            case M_tanh: r = noise(w, a, std::tanh(a), 0x1p-11); break;
        }
        put_f32(w, in.ops[0], l, fout32(r, m));
    });
}
void h_testp(Warp& w, const ptx::Instruction& in, LaneMask act) {  // testp.op.f32 p, a
    const Mods m = mods_of(in);
    for_lanes(act, [&](int l) {
        // Classified in the operand's own format (an f32 subnormal is a normal double);
        // zero counts as normal (ISA 9.7.3.1 testp).
        int cls;
        if (m.t == Type::F64) cls = std::fpclassify(get_f64(w, in.ops[1], l));
        else cls = std::fpclassify(get_f32(w, in.ops[1], l));
        bool r = false;
        switch (m.variant) {
            case 0: r = cls != FP_NAN && cls != FP_INFINITE; break;
            case 1: r = cls == FP_INFINITE; break;
            case 2: r = cls != FP_NAN; break;
            case 3: r = cls == FP_NAN; break;
            case 4: r = cls == FP_NORMAL || cls == FP_ZERO; break;
            default: r = cls == FP_SUBNORMAL; break;
        }
        dst_write(w, in.ops[0], l, r ? 1 : 0);
    });
}

// ---- cvt (9.7.9.21) ----
// Integer saturation of a float value to type t (NaN -> 0), as float-to-
// integer cvt always clamps.
uint64_t float_to_int(double x, Type t) {
    if (std::isnan(x)) return 0;
    const int bits = width(t);
    if (is_signed(t)) {
        const double lo = -std::ldexp(1.0, bits - 1), hi = std::ldexp(1.0, bits - 1) - 1;
        if (x <= lo) return uint64_t(int64_t(lo)) & mask_bits(bits);
        if (x >= hi) return bits == 64 ? uint64_t(INT64_MAX) : uint64_t(int64_t(hi));
        return uint64_t(int64_t(x)) & mask_bits(bits);
    }
    if (x <= 0) return 0;
    const double hi = std::ldexp(1.0, bits);
    if (x >= hi) return mask_bits(bits);
    return uint64_t(x);
}
int64_t int_saturate(int64_t v, bool src_signed, uint64_t raw, Type t) {
    const int bits = width(t);
    if (is_signed(t)) {
        const int64_t lo = bits == 64 ? INT64_MIN : -(int64_t(1) << (bits - 1));
        const int64_t hi = bits == 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1;
        if (!src_signed && raw > uint64_t(hi)) return hi;
        return std::clamp(v, lo, hi);
    }
    if (src_signed && v < 0) return 0;
    const uint64_t hi = mask_bits(bits);
    return int64_t(std::min<uint64_t>(src_signed ? uint64_t(v) : raw, hi));
}

void h_cvt(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const Type dt = m.t, st = m.t2;
    const auto& d = in.ops[0];
    // Packed conversions from two f32: cvt.rn{.relu}{.satfinite}.{f16x2,bf16x2}.f32 d, a, b (a -> upper half).
    if (dt == Type::F16x2 || dt == Type::BF16x2) {
        if (st == Type::F32) {
            for_lanes(act, [&](int l) {
                const float a = get_f32(w, in.ops[1], l), b = get_f32(w, in.ops[2], l);
                const auto one = [&](float x) {
                    return dt == Type::BF16x2 ? num::f32_to_bf16(x, m.rnd, m.relu, m.satfinite)
                                              : num::f32_to_f16(x, m.rnd, m.relu, m.satfinite);
                };
                put(w, d, l, (uint64_t(one(a)) << 16) | one(b), 32);
            });
            return;
        }
        if (st == Type::E4M3x2 || st == Type::E5M2x2) {  // cvt.rn.f16x2.e4m3x2 d, a (16-bit a)
            for_lanes(act, [&](int l) {
                const uint32_t a = uint32_t(src_bits(w, in.ops[1], l));
                uint32_t r = 0;
                for (int i = 0; i < 2; ++i) {
                    const uint8_t v = uint8_t(a >> (8 * i));
                    const float f = st == Type::E4M3x2 ? num::e4m3_to_f32(v) : num::e5m2_to_f32(v);
                    r |= uint32_t(num::f32_to_f16(f, Round::rn, m.relu)) << (16 * i);
                }
                put(w, d, l, r, 32);
            });
            return;
        }
    }
    if (dt == Type::E4M3x2 || dt == Type::E5M2x2) {  // cvt.rn.satfinite.e4m3x2.f32 d, a, b (a -> upper byte)
        for_lanes(act, [&](int l) {
            uint32_t hi, lo;
            if (st == Type::F32) {
                const float a = get_f32(w, in.ops[1], l), b = get_f32(w, in.ops[2], l);
                hi = dt == Type::E4M3x2 ? num::f32_to_e4m3(a, m.relu) : num::f32_to_e5m2(a, m.relu);
                lo = dt == Type::E4M3x2 ? num::f32_to_e4m3(b, m.relu) : num::f32_to_e5m2(b, m.relu);
            } else {  // from f16x2
                const uint32_t a = uint32_t(src_bits(w, in.ops[1], l));
                const float fa = num::f16_to_f32(uint16_t(a >> 16)), fb = num::f16_to_f32(uint16_t(a));
                hi = dt == Type::E4M3x2 ? num::f32_to_e4m3(fa, m.relu) : num::f32_to_e5m2(fa, m.relu);
                lo = dt == Type::E4M3x2 ? num::f32_to_e4m3(fb, m.relu) : num::f32_to_e5m2(fb, m.relu);
            }
            put(w, d, l, (hi << 8) | lo, 16);
        });
        return;
    }
    for_lanes(act, [&](int l) {
        // Read the source as a double (exact for every source type but 64-bit ints).
        const uint64_t raw = src_bits(w, in.ops[1], l);
        const bool sfloat = is_float(st);
        double x = 0;
        int64_t iv = 0;
        switch (st) {
            case Type::F32: x = double(fin32(get_f32(w, in.ops[1], l), m)); break;
            case Type::F64: x = get_f64(w, in.ops[1], l); break;
            case Type::F16: x = double(num::f16_to_f32(uint16_t(raw))); break;
            case Type::BF16: x = double(num::bf16_to_f32(uint16_t(raw))); break;
            default: iv = is_signed(st) ? get_s(w, in.ops[1], l, width(st)) : int64_t(get_u(w, in.ops[1], l, width(st)));
        }
        const uint64_t uraw = get_u(w, in.ops[1], l, sfloat ? 64 : width(st));
        switch (dt) {
            case Type::F32: {
                float f;
                if (sfloat) {
                    if (m.rnd == Round::rni || m.rnd == Round::rzi || m.rnd == Round::rmi || m.rnd == Round::rpi)
                        f = float(num::round_integral(x, m.rnd));
                    else
                        f = st == Type::F64 ? num::f64_to_f32(x, m.rnd) : float(x);
                } else {
                    // The integer as a double plus its exact residual (long double holds 64 bits).
                    const long double exact = is_signed(st) ? static_cast<long double>(iv) : static_cast<long double>(uraw);
                    const double dv = static_cast<double>(exact);
                    const double err = static_cast<double>(exact - static_cast<long double>(dv));
                    f = num::round_pair(dv, err, m.rnd == Round::none ? Round::rn : m.rnd);
                }
                put_f32(w, d, l, fout32(f, m));
                break;
            }
            case Type::F64: {
                double r = sfloat ? x : is_signed(st) ? double(iv) : double(uraw);
                if (m.rnd == Round::rni || m.rnd == Round::rzi || m.rnd == Round::rmi || m.rnd == Round::rpi)
                    r = num::round_integral(r, m.rnd);
                if (m.sat) r = std::isnan(r) ? 0.0 : std::clamp(r, 0.0, 1.0);
                put_f64(w, d, l, r);
                break;
            }
            case Type::F16: {
                const float f = sfloat ? float(x) : float(is_signed(st) ? double(iv) : double(uraw));
                put(w, d, l, num::f32_to_f16(f, m.rnd, m.relu, m.satfinite), 16);
                break;
            }
            case Type::BF16: {
                const float f = sfloat ? float(x) : float(is_signed(st) ? double(iv) : double(uraw));
                put(w, d, l, num::f32_to_bf16(f, m.rnd, m.relu, m.satfinite), 16);
                break;
            }
            default: {  // integer destination
                const int db = width(dt);
                if (sfloat) {
                    const double r = num::round_integral(x, m.rnd == Round::none ? Round::rzi : m.rnd);
                    put(w, d, l, float_to_int(r, dt), db);
                } else if (m.sat) {
                    put(w, d, l, uint64_t(int_saturate(iv, is_signed(st), uraw, dt)), db);
                } else {
                    // Integer to integer: sign- or zero-extend the source, then truncate.
                    uint64_t r = uint64_t(iv) & mask_bits(db);
                    // A signed result narrower than its register is sign-extended into it (ISA 6.4.4).
                    if (is_signed(dt) && db < 64 && d.kind == ptx::OperandKind::Reg) {
                        const int rb = ptx::type_bits(w.cta->launch->fn->regs[std::size_t(d.reg)].type);
                        if (rb > db && (r >> (db - 1) & 1)) r |= mask_bits(rb) & ~mask_bits(db);
                        put(w, d, l, r, std::max(rb, db));
                        return;
                    }
                    put(w, d, l, r, db);
                }
            }
        }
    });
}

// mul24 / mad24 (.lo/.hi of 24-bit operands)
void h_mul24(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        int64_t a = get_s(w, in.ops[1], l, 24), b = get_s(w, in.ops[2], l, 24);
        if (!sgn) { a = int64_t(get_u(w, in.ops[1], l, 24)); b = int64_t(get_u(w, in.ops[2], l, 24)); }
        const int64_t p = a * b;
        uint64_t r = m.variant == V_hi ? uint64_t(p >> 16) : uint64_t(p);
        if (in.base == "mad24") r += src_bits(w, in.ops[3], l);
        put(w, in.ops[0], l, r, 32);
    });
}
void h_sad(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const Mods m = mods_of(in);
    const int bits = width(m.t);
    const bool sgn = is_signed(m.t);
    for_lanes(act, [&](int l) {
        const int64_t a = sgn ? get_s(w, in.ops[1], l, bits) : int64_t(get_u(w, in.ops[1], l, bits));
        const int64_t b = sgn ? get_s(w, in.ops[2], l, bits) : int64_t(get_u(w, in.ops[2], l, bits));
        put(w, in.ops[0], l, uint64_t(a > b ? a - b : b - a) + src_bits(w, in.ops[3], l), bits);
    });
}

// ---- decoding ----
Round round_of(const std::string& s) {
    if (s == "rn") return Round::rn;
    if (s == "rz") return Round::rz;
    if (s == "rm") return Round::rm;
    if (s == "rp") return Round::rp;
    if (s == "rna") return Round::rna;
    if (s == "rni") return Round::rni;
    if (s == "rzi") return Round::rzi;
    if (s == "rmi") return Round::rmi;
    if (s == "rpi") return Round::rpi;
    if (s == "rs") return Round::rs;
    return Round::none;
}
Cmp cmp_of(const std::string& s) {
    static const char* names[] = {"eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs",
                                  "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan"};
    for (int i = 0; i < 18; ++i)
        if (s == names[i]) return Cmp(i);
    return C_none;
}

}  // namespace

Handler decode_alu(const ptx::Instruction& in) {
    const std::string& b = in.base;
    Mods m;
    std::vector<Type> types;
    bool saw_cc = false;
    for (const auto& mod : in.mods) {
        const Type t = ptx::type_from_name(mod);
        if (t != Type::None) { types.push_back(t); continue; }
        const Round r = round_of(mod);
        if (r != Round::none) { m.rnd = r; continue; }
        if ((b == "setp" || b == "set") && cmp_of(mod) != C_none) { m.variant = cmp_of(mod); continue; }
        if (mod == "ftz") m.ftz = true;
        else if (mod == "sat") m.sat = true;
        else if (mod == "approx") m.approx = true;
        else if (mod == "full") m.approx = true;
        else if (mod == "relu") m.relu = true;
        else if (mod == "satfinite") m.satfinite = true;
        else if (mod == "lo") m.variant = V_lo;
        else if (mod == "hi") m.variant = V_hi;
        else if (mod == "wide") m.variant = V_wide;
        else if (mod == "cc") saw_cc = true;
        else if (b == "bfind" && mod == "shiftamt") m.variant = V_hi;
        else if (b == "setp" || b == "set") {
            const Cmp c = cmp_of(mod);
            if (c != C_none) m.variant = c;
            else if (mod == "and") m.variant2 = B_and;
            else if (mod == "or") m.variant2 = B_or;
            else if (mod == "xor") m.variant2 = B_xor;
            else return nullptr;
        } else if (b == "shf") {
            if (mod == "l") m.variant = V_lo;
            else if (mod == "r") m.variant = V_hi;
            else if (mod == "clamp") m.variant2 = 1;
            else if (mod == "wrap") m.variant2 = 0;
            else return nullptr;
        } else if (b == "prmt") {
            static const char* modes[] = {"", "f4e", "b4e", "rc8", "ecl", "ecr", "rc16"};
            bool found = false;
            for (int i = 1; i < 7; ++i)
                if (mod == modes[i]) { m.variant = uint8_t(i); found = true; }
            if (!found) return nullptr;
        } else if (b == "testp") {
            static const char* ops[] = {"finite", "infinite", "number", "notanumber", "normal", "subnormal"};
            bool found = false;
            for (int i = 0; i < 6; ++i)
                if (mod == ops[i]) { m.variant = uint8_t(i); found = true; }
            if (!found) return nullptr;
        } else if (mod == "uni" || mod == "NaN" || mod == "xorsign" || mod == "abs") {
            if (mod != "uni") return nullptr;  // .NaN / .xorsign.abs forms not implemented
        } else {
            return nullptr;
        }
    }
    if (saw_cc) return nullptr;  // carry chains (add.cc / addc) are not implemented
    m.t = types.empty() ? Type::None : types[0];
    m.t2 = types.size() > 1 ? types[1] : Type::None;
    // Types the simulator does not compute with: packed f16/bf16 arithmetic.
    const bool arith = b == "add" || b == "sub" || b == "mul" || b == "fma" || b == "mad" || b == "min" || b == "max" ||
                       b == "neg" || b == "abs";
    if (arith && (m.t == Type::F16 || m.t == Type::F16x2 || m.t == Type::BF16 || m.t == Type::BF16x2)) return nullptr;
    Handler h = nullptr;
    if (b == "mov") h = h_mov;
    else if (b == "add") h = h_add;
    else if (b == "sub") h = h_sub;
    else if (b == "mul") h = h_mul;
    else if (b == "mad") h = h_mad;
    else if (b == "fma") h = h_fma;
    else if (b == "div") h = h_div;
    else if (b == "rem") h = h_rem;
    else if (b == "min") h = h_minmax<false>;
    else if (b == "max") h = h_minmax<true>;
    else if (b == "abs") h = h_abs;
    else if (b == "neg") h = h_neg;
    else if (b == "and") h = h_and;
    else if (b == "or") h = h_or;
    else if (b == "xor") h = h_xor;
    else if (b == "not") h = h_not;
    else if (b == "cnot") h = h_cnot;
    else if (b == "shl") h = h_shl;
    else if (b == "shr") h = h_shr;
    else if (b == "shf") h = h_shf;
    else if (b == "bfe") h = h_bfe;
    else if (b == "bfi") h = h_bfi;
    else if (b == "popc") h = h_popc;
    else if (b == "clz") h = h_clz;
    else if (b == "brev") h = h_brev;
    else if (b == "bfind") h = h_bfind;
    else if (b == "lop3") h = h_lop3;
    else if (b == "prmt") h = h_prmt;
    else if (b == "setp") h = h_setp;
    else if (b == "set") h = h_set;
    else if (b == "selp") h = h_selp;
    else if (b == "slct") h = h_slct;
    else if (b == "copysign") h = h_copysign;
    else if (b == "testp") h = h_testp;
    else if (b == "cvt") h = h_cvt;
    else if (b == "mul24" || b == "mad24") h = h_mul24;
    else if (b == "sad") h = h_sad;
    else if (b == "rcp" || b == "sqrt" || b == "rsqrt" || b == "ex2" || b == "lg2" || b == "sin" || b == "cos" ||
             b == "tanh") {
        h = h_math;
        m.variant = b == "rcp" ? M_rcp : b == "sqrt" ? M_sqrt : b == "rsqrt" ? M_rsqrt : b == "ex2" ? M_ex2
                  : b == "lg2" ? M_lg2 : b == "sin" ? M_sin : b == "cos" ? M_cos : M_tanh;
        if (b != "rcp" && b != "sqrt") m.approx = true;
    }
    if (h == nullptr) return nullptr;
    if (b == "cvt" && types.size() != 2) return nullptr;
    store_mods(in, m);
    return h;
}

}  // namespace ptxsim::exec
