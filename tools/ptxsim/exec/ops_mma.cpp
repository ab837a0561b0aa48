// The matrix instruction families: warp-level mma.sync (PTX ISA 9.7.14.5.14),
// ldmatrix / stmatrix (9.7.14.5.15 / 9.7.14.5.16), the warpgroup-level
// wgmma.* (9.7.15) and setmaxnreg ("Miscellaneous Instructions:
// setmaxnreg"). Section numbers are those of PTX ISA 8.5 (the kernels'
// headers use the same); section names are given too since the numbering
// moves between ISA versions.
//
// Semantics ported from the CPU emulator (tools/emulator/runtime/wgmma.cpp,
// warp.cpp, numeric.cpp), which ran the same kernels:
//   - products of the 16-bit / 8-bit inputs are exact in double; a tile's dot
//     products (over K = 8/16/32 for mma.sync, 16 for wgmma) are summed in
//     double (exact unless the terms' exponents spread over ~30 binades) and
//     added to the accumulator with ONE rounding to the accumulator type
//     (f32, or f16 round-to-nearest-even). The hardware's internal
//     accumulation order/precision is unspecified by the ISA; this model is
//     the exact-then-round-once reading (the emulator's too).
//   - wgmma.mma_async computes at issue from the operands' values at issue;
//     the accumulator registers hold NaN bits 0x7fbadbad from issue until the
//     wgmma.wait_group that completes their group, where the result lands. A
//     write to an in-flight accumulator (or to an in-flight register-A
//     fragment) is reported there; so is a change of the shared-memory operand
//     bytes before every warp of the warpgroup waited for the group (until
//     then wgmma_reads_inflight() reports the bytes, for the TMA family).
//   - wgmma.mma_async is warpgroup-collective: each warp arrives (blocked),
//     the fourth computes for all and releases the others. Checked: a full
//     warpgroup at the same instruction, identical descriptors / scale-d,
//     agreeing commit counts, a wgmma.fence since the warp's last
//     wgmma.wait_group, descriptor reserved bits, imm operands, and at the
//     end of the launch (mma_warp_finish) no wgmma left un-waited.
//   - mma.sync / ldmatrix / stmatrix / setmaxnreg: the whole warp (.aligned),
//     ldmatrix / stmatrix rows through shared_read / shared_write (bounds,
//     16-byte alignment, initcheck, racecheck, bank-conflict profile).
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "exec/exec.hpp"
#include "exec/numeric.hpp"
#include "exec/profile.hpp"

namespace ptxsim::exec {
namespace {

// Statuses (what the driver returns for the launch).
constexpr CUresult kIllegal = CUDA_ERROR_ILLEGAL_INSTRUCTION;  // misuse of an instruction form / .aligned rules
constexpr CUresult kFailed = CUDA_ERROR_LAUNCH_FAILED;         // broken async-protocol rules
constexpr LaneMask kFull = 0xffffffffu;
constexpr uint32_t kPoison = 0x7fbadbadu;  // what an in-flight wgmma accumulator holds (a NaN)

using ptx::Operand;
using ptx::OperandKind;

// ---------------------------------------------------------------------------
// Numbers (ISA 5.2.5.1 / 5.2.5.2 alternate floating point formats).
enum class El : uint8_t { F16, BF16, E4M3, E5M2, F32 };

// Input conversions are exact (numeric.hpp, shared with cvt).
double f16_value(uint16_t b) { return double(num::f16_to_f32(b)); }
double bf16_value(uint16_t b) { return double(num::bf16_to_f32(b)); }
// e4m3: bias 7, no infinities, S.1111.111 NaN; e5m2: IEEE-like, bias 15.
double e4m3_value(uint8_t b) { return double(num::e4m3_to_f32(b)); }
double e5m2_value(uint8_t b) { return double(num::e5m2_to_f32(b)); }

template <El T>
double elem_value(uint32_t bits) {
    if constexpr (T == El::F16) return f16_value(uint16_t(bits));
    else if constexpr (T == El::BF16) return bf16_value(uint16_t(bits));
    else if constexpr (T == El::E4M3) return e4m3_value(uint8_t(bits));
    else if constexpr (T == El::E5M2) return e5m2_value(uint8_t(bits));
    else return double(as_f32(bits));
}
uint16_t f16_bits_rn(double v) {
    const _Float16 h = static_cast<_Float16>(v);  // one rounding, to nearest even
    uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
}

// ---------------------------------------------------------------------------
// Operand helpers.
struct OpList {
    const Operand* p;
    std::size_t n;
};
// The registers of a vector operand {a, b, ...}; a plain register is a vector of one.
OpList list_of(const Operand& op) {
    if (op.kind == OperandKind::Vec) return {op.elems.data(), op.elems.size()};
    return {&op, 1};
}
bool all_regs(const Operand& op, std::size_t n) {
    const OpList l = list_of(op);
    if (l.n != n) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (l.p[i].kind != OperandKind::Reg) return false;
    return true;
}
bool is_value(const Operand& op) {
    return op.kind == OperandKind::Reg || op.kind == OperandKind::Imm;
}

// .sync.aligned warp-level instructions: the executor calls the handler once
// for the lanes that arrived together; all 32 lanes of a full warp must.
void require_full_warp(const Warp& w, LaneMask active, const char* what) {
    if (active != kFull || w.live() != kFull)
        fault(w, -1, Check::synccheck, kIllegal,
              fmt::format("{} (.sync.aligned) executed by lanes 0x{:08x} of a warp whose live lanes are 0x{:08x}: all "
                          "32 lanes of the warp must execute it together",
                          what, active, w.live()));
}

// ---------------------------------------------------------------------------
// mma.sync.aligned.m16n8k{8,16,32}.row.col (ISA 9.7.14.5.14), fragments per
// ISA 8.5 9.7.14.5.7 "Matrix Fragments for mma.m16n8k8", 9.7.14.5.8 "...
// mma.m16n8k16 with floating point type", 9.7.14.5.10 "... mma.m16n8k32".
// With groupID g = lane / 4, threadID_in_group t = lane % 4, and P elements
// per .b32 register (2 for f16/bf16, 4 for e4m3/e5m2; element j of a
// register in bits [j*32/P, (j+1)*32/P)):
//   A (16 x K, row): element i of the lane, register r = i / P, j = i % P:
//       row = g + 8 (r % 2),  col = P t + j + 4P (r / 2)
//     (k16: a0,a1 row g | a2,a3 row g+8 | a4,a5 row g, col+8 | a6,a7 row g+8, col+8;
//      k32: a0..a3 row g cols 4t.. | a4..a7 row g+8 | a8..a11 row g cols 4t+16.. | a12..a15 row g+8)
//   B (K x 8, col): element i, r = i / P, j = i % P:  row = P t + j + 4P r,  col = g
//   C, D (16 x 8): element i (0..3): row = g + 8 (i / 2), col = 2t + (i % 2);
//     f32: one register each; f16: register i / 2, half i % 2.
template <El T>
constexpr int per_reg() {
    return (T == El::E4M3 || T == El::E5M2) ? 4 : 2;
}

template <int K, El AT, El BT, El CT, El DT>
void h_mma_sync(Warp& w, const ptx::Instruction& in, LaneMask active) {
    require_full_warp(w, active, "mma.sync");
    constexpr int P = per_reg<AT>();
    constexpr int kAElems = K / 2;  // 16 * K / 32 per lane
    constexpr int kBElems = K / 4;  // K * 8 / 32 per lane
    constexpr int kBits = 32 / P;
    constexpr uint32_t kMask = P == 2 ? 0xffffu : 0xffu;
    const OpList d = list_of(in.ops[0]), a = list_of(in.ops[1]), b = list_of(in.ops[2]), c = list_of(in.ops[3]);
    double A[16][K], B[K][8], C[16][8];
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        for (int i = 0; i < kAElems; ++i) {
            const int r = i / P, j = i % P;
            const uint32_t v = uint32_t(src_bits(w, a.p[r], l) >> (j * kBits)) & kMask;
            A[g + 8 * (r % 2)][P * t + j + 4 * P * (r / 2)] = elem_value<AT>(v);
        }
        for (int i = 0; i < kBElems; ++i) {
            const int r = i / P, j = i % P;
            const uint32_t v = uint32_t(src_bits(w, b.p[r], l) >> (j * kBits)) & kMask;
            B[P * t + j + 4 * P * r][g] = elem_value<BT>(v);
        }
        for (int i = 0; i < 4; ++i) {
            double cv;
            if constexpr (CT == El::F32) cv = elem_value<El::F32>(uint32_t(src_bits(w, c.p[i], l)));
            else cv = f16_value(uint16_t(src_bits(w, c.p[i / 2], l) >> (16 * (i % 2))));
            C[g + 8 * (i / 2)][2 * t + i % 2] = cv;
        }
    }
    double D[16][8];
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 8; ++n) {
            double s = 0;
            for (int k = 0; k < K; ++k) s += A[m][k] * B[k][n];
            D[m][n] = C[m][n] + s;
        }
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        if constexpr (DT == El::F32) {
            for (int i = 0; i < 4; ++i)
                dst_write(w, d.p[i], l, bits_of(float(D[g + 8 * (i / 2)][2 * t + i % 2])));
        } else {
            for (int r = 0; r < 2; ++r) {
                const uint32_t lo = f16_bits_rn(D[g + 8 * r][2 * t]), hi = f16_bits_rn(D[g + 8 * r][2 * t + 1]);
                dst_write(w, d.p[r], l, uint64_t(lo | (hi << 16)));
            }
        }
    }
}

template <int K, El AT, El BT>
Handler pick_mma_cd(const std::string& dt, const std::string& ct) {
    if (dt == "f32" && ct == "f32") return h_mma_sync<K, AT, BT, El::F32, El::F32>;
    if (dt == "f32" && ct == "f16") return h_mma_sync<K, AT, BT, El::F16, El::F32>;
    if (dt == "f16" && ct == "f32") return h_mma_sync<K, AT, BT, El::F32, El::F16>;
    if (dt == "f16" && ct == "f16") return h_mma_sync<K, AT, BT, El::F16, El::F16>;
    return nullptr;
}

Handler decode_mma_sync(const ptx::Instruction& in) {
    // mma.sync.aligned.<shape>.row.col.<dtype>.<atype>.<btype>.<ctype>
    const auto& m = in.mods;
    if (m.size() != 9 || m[0] != "sync" || m[1] != "aligned" || m[3] != "row" || m[4] != "col") return nullptr;
    if (in.ops.size() != 4) return nullptr;
    const std::string &shape = m[2], &dt = m[5], &at = m[6], &bt = m[7], &ct = m[8];
    int K = 0;
    if (shape == "m16n8k8") K = 8;
    else if (shape == "m16n8k16") K = 16;
    else if (shape == "m16n8k32") K = 32;
    else return nullptr;
    const bool f8 = K == 32;
    const int P = f8 ? 4 : 2;
    // Register counts of each fragment (the ISA's tables).
    if (!all_regs(in.ops[1], std::size_t(K / 2 / P)) || !all_regs(in.ops[2], std::size_t(K / 4 / P))) return nullptr;
    if (!all_regs(in.ops[0], dt == "f32" ? 4 : 2) || !all_regs(in.ops[3], ct == "f32" ? 4 : 2)) return nullptr;
    if (K == 8 || K == 16) {
        if (at == "f16" && bt == "f16")
            return K == 8 ? pick_mma_cd<8, El::F16, El::F16>(dt, ct) : pick_mma_cd<16, El::F16, El::F16>(dt, ct);
        if (at == "bf16" && bt == "bf16" && dt == "f32" && ct == "f32")
            return K == 8 ? h_mma_sync<8, El::BF16, El::BF16, El::F32, El::F32>
                          : h_mma_sync<16, El::BF16, El::BF16, El::F32, El::F32>;
        return nullptr;
    }
    // m16n8k32 with .e4m3/.e5m2 inputs (sm_89+).
    if (at == "e4m3" && bt == "e4m3") return pick_mma_cd<32, El::E4M3, El::E4M3>(dt, ct);
    if (at == "e4m3" && bt == "e5m2") return pick_mma_cd<32, El::E4M3, El::E5M2>(dt, ct);
    if (at == "e5m2" && bt == "e4m3") return pick_mma_cd<32, El::E5M2, El::E4M3>(dt, ct);
    if (at == "e5m2" && bt == "e5m2") return pick_mma_cd<32, El::E5M2, El::E5M2>(dt, ct);
    return nullptr;
}

// ---------------------------------------------------------------------------
// ldmatrix / stmatrix .m8n8 .b16 (ISA 8.5 9.7.14.5.15 "Warp-level matrix load
// instruction: ldmatrix", 9.7.14.5.16 "... store instruction: stmatrix").
// Lanes 8i .. 8i+7 give the addresses of rows 0..7 of matrix i (i < num;
// the other lanes' addresses are not used); each row is 8 b16 elements, 16
// contiguous bytes, 16-byte aligned. Lane l's register i holds row l/4,
// columns 2(l%4) and 2(l%4)+1 of matrix i (lower column in the lower half);
// with .trans, column l/4, rows 2(l%4) and 2(l%4)+1. Without a state space
// the address is generic and must fall in the shared window.
uint32_t row_address(Warp& w, const Operand& op, int lane, bool generic, const char* what) {
    const uint64_t a = effective_address(w, op, lane);
    if (generic) {
        uint32_t off = 0;
        if (classify_generic(w, lane, a, &off) != Window::Shared || (off >> 24) != 0)
            fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                  fmt::format("{}: generic row address 0x{:x} is not in the CTA's shared memory", what, a));
        return off;
    }
    if (a > 0xffffffffull)
        fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
              fmt::format("{}: shared row address 0x{:x} does not fit the 32-bit shared window", what, a));
    return uint32_t(a);
}

template <int Num, bool Trans, bool Generic>
void h_ldmatrix(Warp& w, const ptx::Instruction& in, LaneMask active) {
    require_full_warp(w, active, "ldmatrix");
    uint16_t rows[Num][8][8];
    uint32_t addr[32];
    for (int i = 0; i < Num; ++i)
        for (int r = 0; r < 8; ++r) {
            const int lane = 8 * i + r;
            addr[lane] = row_address(w, in.ops[1], lane, Generic, "ldmatrix");
            shared_read(w, lane, addr[lane], rows[i][r], 16, 16);
        }
    if (Stats* s = w.cta->launch->stats) profile_shared(*s, addr, 8 * Num, 16, in);
    const OpList d = list_of(in.ops[0]);
    for (int l = 0; l < 32; ++l)
        for (int i = 0; i < Num; ++i) {
            const int q = l / 4, p = 2 * (l % 4);
            const uint32_t lo = Trans ? rows[i][p][q] : rows[i][q][p];
            const uint32_t hi = Trans ? rows[i][p + 1][q] : rows[i][q][p + 1];
            dst_write(w, d.p[i], l, uint64_t(lo | (hi << 16)));
        }
}

template <int Num, bool Trans, bool Generic>
void h_stmatrix(Warp& w, const ptx::Instruction& in, LaneMask active) {
    require_full_warp(w, active, "stmatrix");
    uint16_t rows[Num][8][8];
    const OpList s = list_of(in.ops[1]);
    for (int l = 0; l < 32; ++l)
        for (int i = 0; i < Num; ++i) {
            const uint32_t v = uint32_t(src_bits(w, s.p[i], l));
            const int q = l / 4, p = 2 * (l % 4);
            (Trans ? rows[i][p][q] : rows[i][q][p]) = uint16_t(v);
            (Trans ? rows[i][p + 1][q] : rows[i][q][p + 1]) = uint16_t(v >> 16);
        }
    uint32_t addr[32];
    for (int i = 0; i < Num; ++i)
        for (int r = 0; r < 8; ++r) {
            const int lane = 8 * i + r;
            addr[lane] = row_address(w, in.ops[0], lane, Generic, "stmatrix");
            shared_write(w, lane, addr[lane], rows[i][r], 16, 16);
        }
    if (Stats* st = w.cta->launch->stats) profile_shared(*st, addr, 8 * Num, 16, in);
}

template <bool Load, int Num, bool Trans>
Handler pick_ldst(bool generic) {
    if (Load) return generic ? h_ldmatrix<Num, Trans, true> : h_ldmatrix<Num, Trans, false>;
    return generic ? h_stmatrix<Num, Trans, true> : h_stmatrix<Num, Trans, false>;
}

Handler decode_ldst_matrix(const ptx::Instruction& in, bool load) {
    // {ld,st}matrix.sync.aligned.m8n8.<num>{.trans}{.shared{::cta}}.b16
    const auto& m = in.mods;
    if (m.size() < 5 || m[0] != "sync" || m[1] != "aligned" || m[2] != "m8n8" || m.back() != "b16") return nullptr;
    std::size_t i = 4;
    const bool trans = i < m.size() - 1 && m[i] == "trans";
    if (trans) ++i;
    bool generic = true;
    if (i < m.size() - 1 && (m[i] == "shared" || m[i] == "shared::cta")) {
        generic = false;
        ++i;
    }
    if (i != m.size() - 1) return nullptr;
    int num = 0;
    if (m[3] == "x1") num = 1;
    else if (m[3] == "x2") num = 2;
    else if (m[3] == "x4") num = 4;
    else return nullptr;
    if (in.ops.size() != 2) return nullptr;
    const Operand& regs = in.ops[load ? 0 : 1];
    const Operand& addr = in.ops[load ? 1 : 0];
    if (addr.kind != OperandKind::Addr) return nullptr;
    const OpList l = list_of(regs);
    if (l.n != std::size_t(num)) return nullptr;
    for (std::size_t k = 0; k < l.n; ++k)
        if (load ? l.p[k].kind != OperandKind::Reg && l.p[k].kind != OperandKind::Sink : !is_value(l.p[k]))
            return nullptr;
    if (load) {
        if (num == 1) return trans ? pick_ldst<true, 1, true>(generic) : pick_ldst<true, 1, false>(generic);
        if (num == 2) return trans ? pick_ldst<true, 2, true>(generic) : pick_ldst<true, 2, false>(generic);
        return trans ? pick_ldst<true, 4, true>(generic) : pick_ldst<true, 4, false>(generic);
    }
    if (num == 1) return trans ? pick_ldst<false, 1, true>(generic) : pick_ldst<false, 1, false>(generic);
    if (num == 2) return trans ? pick_ldst<false, 2, true>(generic) : pick_ldst<false, 2, false>(generic);
    return trans ? pick_ldst<false, 4, true>(generic) : pick_ldst<false, 4, false>(generic);
}

// ---------------------------------------------------------------------------
// setmaxnreg.{inc,dec}.sync.aligned.u32 N (ISA "Miscellaneous Instructions:
// setmaxnreg"):
// N a multiple of 8 in [24, 256]; .inc raises the warp's per-thread maximum
// from its current value to N, .dec lowers it to N. Registers are not
// modelled: the operand, the whole warp and, against the warp's previous
// setmaxnreg, the direction are checked.
template <bool Inc>
void h_setmaxnreg(Warp& w, const ptx::Instruction& in, LaneMask active) {
    require_full_warp(w, active, "setmaxnreg");
    const int64_t n = in.ops[0].imm;
    if (n < 24 || n > 256 || n % 8 != 0)
        fault(w, -1, Check::rule, kIllegal,
              fmt::format("setmaxnreg count {}: must be a multiple of 8 in [24, 256]", n));
    const uint32_t cur = w.mma.maxnreg;
    if (cur != 0 && (Inc ? uint32_t(n) < cur : uint32_t(n) > cur))
        fault(w, -1, Check::rule, kIllegal,
              fmt::format("setmaxnreg.{} {} after the warp's setmaxnreg {}: .inc must not lower and .dec must not "
                          "raise the per-thread register count",
                          Inc ? "inc" : "dec", n, cur));
    w.mma.maxnreg = uint32_t(n);
}

// ---------------------------------------------------------------------------
// wgmma (ISA 8.5 9.7.15 "Asynchronous Warpgroup Level Matrix Multiply-
// Accumulate Instructions"): 9.7.15.5.1.1 "Register Fragments",
// 9.7.15.5.1.2 "Shared Memory Matrix Layout" (canonical layouts, matrix
// descriptor format), and the sections of the instructions wgmma.mma_async,
// wgmma.fence, wgmma.commit_group and wgmma.wait_group that follow them.

Warp& warpgroup_leader(Warp& w) { return w.cta->warps[std::size_t(w.id / 4 * 4)]; }

WgmmaGroup& group_at(MmaWarpState& L, uint32_t g) {
    while (L.group_base + L.groups.size() <= g) L.groups.emplace_back();
    return L.groups[g - L.group_base];
}

// Matrix descriptor (ISA 9.7.15.5.1.2.2 "Matrix Descriptor Format"):
//   bits 0-13 start address >> 4, 16-29 leading byte offset >> 4,
//   32-45 stride byte offset >> 4, 49-51 base offset, 62-63 swizzle mode
//   (0 none / interleave, 1 128B, 2 64B, 3 32B); the rest reserved.
void check_desc(const Warp& w, uint64_t d, const char* which) {
    const uint64_t reserved = (3ull << 14) | (3ull << 30) | (7ull << 46) | (0x3FFull << 52);
    if (d & reserved)
        fault(w, -1, Check::rule, kIllegal,
              fmt::format("wgmma.mma_async {} 0x{:016x} has reserved bits set (0x{:016x}; ISA \"Matrix Descriptor "
                          "Format\")",
                          which, d, d & reserved));
    const uint32_t base_off = uint32_t((d >> 49) & 7), swz = uint32_t(d >> 62);
    if (base_off != 0 && swz == 0)
        fault(w, -1, Check::rule, kIllegal,
              fmt::format("wgmma.mma_async {} 0x{:016x}: a matrix base offset with no swizzling (the ISA defines "
                          "it only for the swizzled modes)",
                          which, d));
    if (base_off != 0)
        fault(w, -1, Check::unsupported, kIllegal,
              fmt::format("wgmma.mma_async {} 0x{:016x}: matrix base offset {} (a swizzle pattern not starting at "
                          "its boundary) is not modelled",
                          which, d, base_off));
}

// Byte address of the 16-byte chunk holding 8 consecutive elements of a
// 16-bit operand (T = 8 elements per 16 bytes), per ISA 9.7.15.5.1.2.1.3
// "Canonical Layouts" (CuTe notation, strides in elements, LBO/SBO bytes):
//   K-major (chunk = k .. k+7 of row mn, k % 8 == 0):
//     none:  ((8,m),(T,2k)):((1T,SBO),(1,LBO))   32B: ((8,m),(T,2k)):((2T,SBO),(1,T))
//     64B:   ((8,m),(T,2k)):((4T,SBO),(1,T))     128B: ((8,m),(T,2k)):((8T,SBO),(1,T))
//   MN-major (chunk = mn .. mn+7 of column k, mn % 8 == 0):
//     none:  ((T,1,m),(8,k)):((1,T,SBO),(1T,LBO)) 32B: ((T,2,m),(8,k)):((1,T,LBO),(2T,SBO))
//     64B:   ((T,4,m),(8,k)):((1,T,LBO),(4T,SBO)) 128B: ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO))
// then Swizzle<B,4,3> on the byte address (B = 3, 2, 1 for 128B, 64B, 32B:
// bits [4, 4+B) ^= bits [7, 7+B)), anchored at absolute address bits, i.e.
// the pattern repeats from 1024 / 512 / 256-byte boundaries (base offset 0).
uint32_t chunk_addr(uint64_t desc, bool mn_major, int mn, int k) {
    const uint32_t start = uint32_t(desc & 0x3FFF) << 4;
    const uint32_t lbo = uint32_t((desc >> 16) & 0x3FFF) << 4;
    const uint32_t sbo = uint32_t((desc >> 32) & 0x3FFF) << 4;
    const uint32_t swz = uint32_t(desc >> 62);
    const uint32_t width = swz == 1 ? 128 : swz == 2 ? 64 : swz == 3 ? 32 : 16;  // bytes of a swizzle row
    const uint32_t umn = uint32_t(mn), uk = uint32_t(k);
    uint32_t off;
    if (!mn_major) {
        if (swz == 0) off = (umn % 8) * 16 + (umn / 8) * sbo + (uk / 8) * lbo;
        else off = (umn % 8) * width + (umn / 8) * sbo + uk * 2;
    } else {
        if (swz == 0) {
            off = (umn / 8) * sbo + (uk % 8) * 16 + (uk / 8) * lbo;
        } else {
            const uint32_t e = width / 2;  // elements per swizzle row
            off = (umn % e) * 2 + (umn / e) * lbo + (uk % 8) * width + (uk / 8) * sbo;
        }
    }
    uint32_t a = start + off;
    if (swz == 1) a ^= ((a >> 7) & 7u) << 4;
    else if (swz == 2) a ^= ((a >> 7) & 3u) << 4;
    else if (swz == 3) a ^= ((a >> 7) & 1u) << 4;
    return a;
}

// Reads a `rows` x 16 operand (rows = M or N) from the descriptor into
// out[mn][k], recording every chunk in the group (operand-change check) and
// the warpgroup's in-flight map. Reads as the async proxy: bounds and
// initcheck apply, racecheck does not (the operands are ordered by the
// mbarrier / fence.proxy.async protocol, checked separately).
template <bool BF16>
void load_operand(Warp& w, MmaWarpState& L, WgmmaGroup& grp, uint64_t desc, bool mn_major, int rows, double scale,
                  double (*out)[16], const char* what) {
    Cta& c = *w.cta;
    if (L.inflight.size() < c.smem.size() / 16 + 1) L.inflight.resize(c.smem.size() / 16 + 1, 0);
    auto chunk = [&](int mn, int k, uint8_t (&buf)[16]) {
        const uint32_t a = chunk_addr(desc, mn_major, mn, k);
        check_shared_range(w, 0, a, 16, what);
        // wgmma reads its operands through the async proxy (ISA 9.7.15.4):
        // generic-proxy writes need a fence.proxy.async in between.
        check_async_proxy_read(w, -1, a, 16, what);
        shared_read(w, 0, a, buf, 16, 16, Unit::Wgmma);
        grp.chunk_addr.push_back(a);
        std::array<uint8_t, 16> v;
        std::memcpy(v.data(), buf, 16);
        grp.chunk_val.push_back(v);
        ++L.inflight[a / 16];
    };
    auto value = [&](const uint8_t* p) {
        const uint16_t h = uint16_t(p[0] | (p[1] << 8));
        return scale * (BF16 ? bf16_value(h) : f16_value(h));
    };
    uint8_t buf[16];
    if (!mn_major) {
        for (int mn = 0; mn < rows; ++mn)
            for (int k0 = 0; k0 < 16; k0 += 8) {
                chunk(mn, k0, buf);
                for (int e = 0; e < 8; ++e) out[mn][k0 + e] = value(buf + 2 * e);
            }
    } else {
        for (int mn0 = 0; mn0 < rows; mn0 += 8)
            for (int k = 0; k < 16; ++k) {
                chunk(mn0, k, buf);
                for (int e = 0; e < 8; ++e) out[mn0 + e][k] = value(buf + 2 * e);
            }
    }
}

// Accumulator fragment (ISA 9.7.15.5.1.1.1, figure "WGMMA .m64nNk16 register
// fragment layout for accumulator matrix D"): thread (warp q of the
// warpgroup, lane l) holds d[i], i < N/2, at
//   row 16q + l/4 + 8((i/2)%2), col 8(i/4) + 2(l%4) + (i%2).
inline int acc_row(int q, int l, int i) { return 16 * q + l / 4 + 8 * ((i / 2) % 2); }
inline int acc_col(int l, int i) { return 8 * (i / 4) + 2 * (l % 4) + (i % 2); }

std::string reg_name(const Warp& w, int slot) {
    const auto& regs = w.cta->launch->fn->regs;
    return std::size_t(slot) < regs.size() ? regs[std::size_t(slot)].name : fmt::format("slot {}", slot);
}

[[noreturn]] void accumulator_written(const Warp& w, int lane, int slot, uint32_t group, uint32_t bits) {
    fault(w, lane, Check::rule, kFailed,
          fmt::format("wgmma accumulator register {} was written (bits 0x{:08x}) while its wgmma-group {} was in "
                      "flight: accessing a wgmma.mma_async's accumulators before the wgmma.wait_group that completes "
                      "it is undefined (ISA wgmma.wait_group)",
                      reg_name(w, slot), bits, group));
}

// Everything of one wgmma.mma_async once the four warps of the warpgroup
// arrived (`w` the last of them).
template <bool BF16>
void wgmma_execute(Warp& w, int base) {
    Cta& c = *w.cta;
    Warp* ws[4];
    for (int q = 0; q < 4; ++q) ws[q] = &c.warps[std::size_t(base + q)];
    const ptx::Instruction& in = *ws[0]->mma.wg_in;
    for (int q = 1; q < 4; ++q)
        if (ws[q]->mma.wg_in != &in)
            fault(w, -1, Check::synccheck, kIllegal,
                  fmt::format("the warps of a warpgroup meet at different wgmma.mma_async instructions (warp {} at PTX "
                              "line {}, warp {} at PTX line {}): .aligned requires the same instruction",
                              ws[0]->id, in.ptx_line, ws[q]->id, ws[q]->mma.wg_in->ptx_line));
    const bool rs = in.ops[1].kind == OperandKind::Vec;
    const int n = int(in.ops[0].elems.size()) * 2;
    const Operand& op_b = in.ops[2];
    const Operand& op_sd = in.ops[3];
    const int64_t scale_a = in.ops[4].imm, scale_b = in.ops[5].imm;
    const int64_t trans_a = rs ? 0 : in.ops[6].imm, trans_b = in.ops[rs ? 6 : 7].imm;
    if ((scale_a != 1 && scale_a != -1) || (scale_b != 1 && scale_b != -1))
        fault(w, -1, Check::rule, kIllegal,
              fmt::format("wgmma.mma_async imm-scale-a {} / imm-scale-b {}: each must be 1 or -1", scale_a, scale_b));
    if ((trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1))
        fault(w, -1, Check::rule, kIllegal,
              fmt::format("wgmma.mma_async imm-trans-a {} / imm-trans-b {}: each must be 0 or 1", trans_a, trans_b));

    // Descriptors and scale-d: the same in every thread of the warpgroup.
    const uint64_t desc_a = rs ? 0 : src_bits(*ws[0], in.ops[1], 0);
    const uint64_t desc_b = src_bits(*ws[0], op_b, 0);
    const bool scale_d = (src_bits(*ws[0], op_sd, 0) & 1) != 0;
    for (int q = 0; q < 4; ++q)
        for (int l = 0; l < 32; ++l) {
            const uint64_t da = rs ? 0 : src_bits(*ws[q], in.ops[1], l), db = src_bits(*ws[q], op_b, l);
            const bool sd = (src_bits(*ws[q], op_sd, l) & 1) != 0;
            if (da != desc_a || db != desc_b || sd != scale_d)
                fault(*ws[q], l, Check::rule, kFailed,
                      fmt::format("wgmma.mma_async operands differ across the warpgroup: a-desc 0x{:x} b-desc 0x{:x} "
                                  "scale-d {} here, 0x{:x} 0x{:x} {} in warp {} lane 0 (the descriptors must be the "
                                  "same in all warps of the warpgroup)",
                                  da, db, int(sd), desc_a, desc_b, int(scale_d), ws[0]->id));
        }
    // The open group: the same in the four warps.
    const uint32_t g = ws[0]->mma.commits;
    for (int q = 1; q < 4; ++q)
        if (ws[q]->mma.commits != g)
            fault(*ws[q], -1, Check::rule, kFailed,
                  fmt::format("wgmma.mma_async: warp {} committed {} wgmma-groups, warp {} of its warpgroup {}: the "
                              "warps disagree on the open group",
                              ws[q]->id, ws[q]->mma.commits, ws[0]->id, g));
    MmaWarpState& L = ws[0]->mma;
    WgmmaGroup& grp = group_at(L, g);
    ++grp.mmas;
    ++L.wgmma_issued;

    static thread_local double A[64][16], Bt[256][16];
    static thread_local float D[64][256];
    if (!rs) {
        check_desc(w, desc_a, "a-desc");
        load_operand<BF16>(w, L, grp, desc_a, trans_a == 1, 64, double(scale_a), A, "wgmma.mma_async A operand read");
    } else {
        // Register A (ISA figure "WGMMA .m64nNk16 register fragment layout for
        // matrix A"): element e (0..7; register e/2, low half first) of
        // thread (warp q, lane l) at row 16q + l/4 + 8((e/2)%2),
        // col 2(l%4) + (e%2) + 8(e/4) -- the mma.m16n8k16 A fragment per warp.
        const OpList a = list_of(in.ops[1]);
        for (int q = 0; q < 4; ++q) {
            MmaWarpState& s = ws[q]->mma;
            for (int r = 0; r < 4; ++r) {
                const int slot = a.p[r].reg;
                WgmmaPendingReg snap;
                snap.group = g;
                for (int l = 0; l < 32; ++l) snap.bits[std::size_t(l)] = uint32_t(src_bits(*ws[q], a.p[r], l));
                auto it = s.areg.find(slot);
                if (it != s.areg.end() && it->second.bits != snap.bits)
                    fault(*ws[q], -1, Check::rule, kFailed,
                          fmt::format("wgmma register-A fragment {} changed while wgmma-group {} that reads it is in "
                                      "flight (ISA wgmma.wait_group: accessing it before the wait is undefined)",
                                      reg_name(*ws[q], slot), it->second.group));
                s.areg[slot] = snap;
                for (int l = 0; l < 32; ++l)
                    for (int h = 0; h < 2; ++h) {
                        const int e = 2 * r + h;
                        const uint16_t v = uint16_t(snap.bits[std::size_t(l)] >> (16 * h));
                        A[16 * q + l / 4 + 8 * ((e / 2) % 2)][2 * (l % 4) + (e % 2) + 8 * (e / 4)] =
                            double(scale_a) * (BF16 ? bf16_value(v) : f16_value(v));
                    }
            }
        }
    }
    check_desc(w, desc_b, "b-desc");
    load_operand<BF16>(w, L, grp, desc_b, trans_b == 1, n, double(scale_b), Bt, "wgmma.mma_async B operand read");

    // C: the registers, or for an accumulator of an earlier in-flight
    // wgmma, its pending result (the hardware orders wgmma.mma_async on the
    // same accumulators; ISA wgmma.fence).
    const OpList dl = list_of(in.ops[0]);
    for (int q = 0; q < 4; ++q) {
        MmaWarpState& s = ws[q]->mma;
        for (int i = 0; i < n / 2; ++i) {
            const int slot = dl.p[i].reg;
            auto it = s.acc.find(slot);
            for (int l = 0; l < 32; ++l) {
                const uint32_t bits = uint32_t(ws[q]->reg(slot, l));
                float cv = as_f32(bits);
                if (it != s.acc.end()) {
                    if (bits != kPoison) accumulator_written(*ws[q], l, slot, it->second.group, bits);
                    cv = as_f32(it->second.bits[std::size_t(l)]);
                }
                D[acc_row(q, l, i)][acc_col(l, i)] = scale_d ? cv : 0.0f;
            }
        }
    }
    for (int m = 0; m < 64; ++m)
        for (int nn = 0; nn < n; ++nn) {
            double s = 0;
            for (int k = 0; k < 16; ++k) s += A[m][k] * Bt[nn][k];
            D[m][nn] = float(double(D[m][nn]) + s);
        }
    for (int q = 0; q < 4; ++q) {
        MmaWarpState& s = ws[q]->mma;
        for (int i = 0; i < n / 2; ++i) {
            const int slot = dl.p[i].reg;
            WgmmaPendingReg& p = s.acc[slot];
            p.group = g;
            for (int l = 0; l < 32; ++l) {
                p.bits[std::size_t(l)] = uint32_t(bits_of(D[acc_row(q, l, i)][acc_col(l, i)]));
                dst_write(*ws[q], dl.p[i], l, kPoison);
            }
        }
    }
}

void h_wgmma_fence(Warp& w, const ptx::Instruction&, LaneMask active) {
    require_full_warp(w, active, "wgmma.fence");
    w.mma.fenced = true;
}

void h_wgmma_commit(Warp& w, const ptx::Instruction&, LaneMask active) {
    require_full_warp(w, active, "wgmma.commit_group");
    group_at(warpgroup_leader(w).mma, w.mma.commits);  // an empty group is a group too
    ++w.mma.commits;
}

// A group completes for the warpgroup once each of its four warps waited
// for it; then its operand bytes are compared with their values at issue.
void h_wgmma_wait(Warp& w, const ptx::Instruction& in, LaneMask active) {
    require_full_warp(w, active, "wgmma.wait_group");
    const int64_t n = in.ops[0].imm;
    if (n < 0) fault(w, -1, Check::rule, kIllegal, fmt::format("wgmma.wait_group {}: N must be non-negative", n));
    MmaWarpState& me = w.mma;
    Warp& lead = warpgroup_leader(w);
    MmaWarpState& L = lead.mma;
    const uint32_t target = me.commits > uint64_t(n) ? me.commits - uint32_t(n) : 0;
    const uint32_t bit = 1u << (w.id % 4);
    for (uint32_t g = std::max(me.done, L.group_base); g < target; ++g) group_at(L, g).waited |= bit;
    while (!L.groups.empty() && L.groups.front().waited == 0xFu) {
        WgmmaGroup& grp = L.groups.front();
        const Cta& c = *w.cta;
        for (std::size_t i = 0; i < grp.chunk_addr.size(); ++i) {
            const uint32_t a = grp.chunk_addr[i];
            if (std::memcmp(c.smem.data() + a, grp.chunk_val[i].data(), 16) != 0) {
                int b = 0;
                while (c.smem[a + uint32_t(b)] == grp.chunk_val[i][std::size_t(b)]) ++b;
                fault(w, -1, Check::rule, kFailed,
                      fmt::format("wgmma shared-memory operand byte 0x{:x} changed (0x{:02x} -> 0x{:02x}) while "
                                  "wgmma-group {} that reads it was in flight (operands must not be modified before "
                                  "every warp of the warpgroup waited for the group)",
                                  a + uint32_t(b), grp.chunk_val[i][std::size_t(b)], c.smem[a + uint32_t(b)],
                                  L.group_base));
            }
            --L.inflight[a / 16];
        }
        L.groups.pop_front();
        ++L.group_base;
    }
    // The accumulators of the groups this warp completed land in its registers.
    for (auto it = me.acc.begin(); it != me.acc.end();) {
        if (it->second.group >= target) {
            ++it;
            continue;
        }
        for (int l = 0; l < 32; ++l) {
            const uint32_t bits = uint32_t(w.reg(it->first, l));
            if (bits != kPoison) accumulator_written(w, l, it->first, it->second.group, bits);
        }
        Operand r;
        r.kind = OperandKind::Reg;
        r.reg = it->first;
        for (int l = 0; l < 32; ++l) dst_write(w, r, l, it->second.bits[std::size_t(l)]);
        it = me.acc.erase(it);
    }
    for (auto it = me.areg.begin(); it != me.areg.end();) {
        if (it->second.group >= target) {
            ++it;
            continue;
        }
        for (int l = 0; l < 32; ++l)
            if (uint32_t(w.reg(it->first, l)) != it->second.bits[std::size_t(l)])
                fault(w, l, Check::rule, kFailed,
                      fmt::format("wgmma register-A fragment {} changed (0x{:08x} -> 0x{:08x}) while wgmma-group {} "
                                  "that reads it was in flight (ISA wgmma.wait_group: undefined)",
                                  reg_name(w, it->first), it->second.bits[std::size_t(l)],
                                  uint32_t(w.reg(it->first, l)), it->second.group));
        it = me.areg.erase(it);
    }
    if (target > me.done) me.done = target;
    me.fenced = false;
}

template <bool BF16>
void h_wgmma_mma(Warp& w, const ptx::Instruction& in, LaneMask active) {
    require_full_warp(w, active, "wgmma.mma_async");
    Cta& c = *w.cta;
    const int q = w.id % 4, base = w.id - q;
    if (std::size_t(base + 4) > c.warps.size())
        fault(w, -1, Check::synccheck, kIllegal,
              fmt::format("wgmma.mma_async by warp {} of a {}-warp CTA: its warpgroup (warps {}..{}) is incomplete",
                          w.id, c.warps.size(), base, base + 3));
    for (int k = 0; k < 4; ++k) {
        const Warp& o = c.warps[std::size_t(base + k)];
        if (o.valid != kFull || o.live() != kFull)
            fault(w, -1, Check::synccheck, kIllegal,
                  fmt::format("wgmma.mma_async with a partial warpgroup: warp {} has live lanes 0x{:08x} (all 128 "
                              "threads of the warpgroup must execute it)",
                              o.id, o.live()));
    }
    if (!w.mma.fenced)
        fault(w, -1, Check::rule, kFailed,
              "wgmma.mma_async without a wgmma.fence since the warp's last wgmma.wait_group (ISA wgmma.fence: "
              "required before the first wgmma.mma_async and between register accesses and wgmma.mma_async)");
    MmaWarpState& L = c.warps[std::size_t(base)].mma;
    w.mma.wg_in = &in;
    L.wg_arrived |= 1u << q;
    if (L.wg_arrived != 0xFu) {
        w.block(active);
        return;
    }
    L.wg_arrived = 0;
    wgmma_execute<BF16>(w, base);
    for (int k = 0; k < 4; ++k) {
        Warp& o = c.warps[std::size_t(base + k)];
        o.mma.wg_in = nullptr;
        if (&o != &w) o.release(kFull);
    }
}

Handler decode_wgmma(const ptx::Instruction& in) {
    const auto& m = in.mods;
    if (m.size() < 3 || m[1] != "sync" || m[2] != "aligned") return nullptr;
    if (m.size() == 3) {
        if (m[0] == "fence" && in.ops.empty()) return h_wgmma_fence;
        if (m[0] == "commit_group" && in.ops.empty()) return h_wgmma_commit;
        if (m[0] == "wait_group" && in.ops.size() == 1 && in.ops[0].kind == OperandKind::Imm) return h_wgmma_wait;
        return nullptr;
    }
    // wgmma.mma_async.sync.aligned.m64nNk16.f32.{f16.f16,bf16.bf16}
    if (m[0] != "mma_async" || m.size() != 7 || m[4] != "f32" || m[5] != m[6]) return nullptr;
    const bool bf16 = m[5] == "bf16";
    if (!bf16 && m[5] != "f16") return nullptr;
    int n = 0;
    if (std::sscanf(m[3].c_str(), "m64n%dk16", &n) != 1 || m[3] != fmt::format("m64n{}k16", n)) return nullptr;
    if (n < 8 || n > 256 || n % 8 != 0) return nullptr;
    if (in.ops.empty() || !all_regs(in.ops[0], std::size_t(n / 2)) || in.ops[0].kind != OperandKind::Vec) return nullptr;
    const bool rs = in.ops.size() == 7 && in.ops[1].kind == OperandKind::Vec;
    const bool ss = in.ops.size() == 8 && is_value(in.ops[1]);
    if (rs && !all_regs(in.ops[1], 4)) return nullptr;
    if (!rs && !ss) return nullptr;
    if (!is_value(in.ops[2]) || !is_value(in.ops[3])) return nullptr;
    for (std::size_t i = 4; i < in.ops.size(); ++i)
        if (in.ops[i].kind != OperandKind::Imm) return nullptr;
    return bf16 ? h_wgmma_mma<true> : h_wgmma_mma<false>;
}

}  // namespace

// ---------------------------------------------------------------------------
Handler decode_mma(const ptx::Instruction& in) {
    if (in.base == "mma") return decode_mma_sync(in);
    if (in.base == "ldmatrix") return decode_ldst_matrix(in, true);
    if (in.base == "stmatrix") return decode_ldst_matrix(in, false);
    if (in.base == "wgmma") return decode_wgmma(in);
    if (in.base == "setmaxnreg") {
        const auto& m = in.mods;
        if (m.size() != 4 || m[1] != "sync" || m[2] != "aligned" || m[3] != "u32") return nullptr;
        if (in.ops.size() != 1 || in.ops[0].kind != OperandKind::Imm) return nullptr;
        if (m[0] == "inc") return h_setmaxnreg<true>;
        if (m[0] == "dec") return h_setmaxnreg<false>;
    }
    return nullptr;
}

// A warp that exits with wgmma work it never waited for: undefined (ISA
// wgmma.wait_group: the accumulators may not be accessed, the operands not
// released, before the wait), reported as a rule violation.
void mma_warp_finish(Warp& w) {
    const MmaWarpState& s = w.mma;
    if (s.commits > s.done || !s.acc.empty())
        fault(w, -1, Check::rule, kFailed,
              fmt::format("warp exited with wgmma work outstanding: {} committed wgmma-group(s) never waited for{} "
                          "(every wgmma.mma_async must be completed by a wgmma.wait_group before the warp exits)",
                          s.commits - std::min(s.done, s.commits),
                          s.acc.empty() ? "" : ", accumulators of wgmma.mma_async still in flight"));
}

bool wgmma_reads_inflight(const Cta& c, uint32_t addr, uint32_t bytes) {
    if (bytes == 0) return false;
    for (std::size_t b = 0; b < c.warps.size(); b += 4) {
        const std::vector<uint16_t>& f = c.warps[b].mma.inflight;
        if (f.empty()) continue;
        const uint64_t last = (uint64_t(addr) + bytes - 1) / 16;
        for (uint64_t k = addr / 16; k <= last && k < f.size(); ++k)
            if (f[k]) return true;
    }
    return false;
}

}  // namespace ptxsim::exec
