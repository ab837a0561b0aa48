// Instruction semantics of the scalar, memory and control families
// (exec/ops_alu.cpp, exec/numeric.cpp, exec/ops_memory.cpp,
// exec/ops_control.cpp, exec/values.cpp), end to end through the parser and
// the scheduler (load_module / run_launch). Every expected value below was
// worked out by hand from the PTX ISA text (the section is cited next to
// each group), not from the implementation. Cases where ptxsim disagrees
// with the ISA are kept as tests marked `// BUG:` that skip, so the suite
// stays green while the failure stays documented.
//
// Harness: run_body() wraps a PTX fragment into a kernel. Each thread loads
// four 64-bit input words (a, b, c, x) from a global array into registers of
// every width (%la.. b64, %ra.. b32, %ha.. b16, %fa.. f32, %da.. f64, %pa =
// (x != 0)), runs the fragment, and stores %lr (b64), %rr (b32), %fr (f32),
// %hr (b16), %pr and %qr (pred) into a 32-byte output record.
//
// Build (by hand):
//   g++ -std=c++20 -O1 -DFMT_HEADER_ONLY -I tools/ptxsim -I $CUDA/include tools/ptxsim/ptx/*.cpp
//     tools/ptxsim/exec/*.cpp tools/ptxsim/common/*.cpp tools/ptxsim/tests/test_semantics.cpp
//     -lgtest -lgtest_main -pthread
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim.hpp"

namespace {

using namespace ptxsim;

const DeviceModel& dev() {
    static const DeviceModel d = h100_model();
    return d;
}

// Host memory registered as device global memory for the object's lifetime.
struct DevBuf {
    uint8_t* p = nullptr;
    std::size_t n = 0;
    explicit DevBuf(std::size_t bytes) : n(bytes) {
        p = static_cast<uint8_t*>(std::aligned_alloc(256, (bytes + 255) / 256 * 256));
        std::memset(p, 0, bytes);
        allocations().add(addr(), bytes, "test_semantics buffer");
    }
    ~DevBuf() {
        allocations().remove(addr());
        std::free(p);
    }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    uint64_t addr() const { return reinterpret_cast<uint64_t>(p); }
    template <class T>
    T* as() { return reinterpret_cast<T*>(p); }
};

struct Geometry {
    uint32_t grid[3] = {1, 1, 1};
    uint32_t block[3] = {32, 1, 1};
    uint32_t cluster[3] = {1, 1, 1};
    uint32_t dyn = 0;
};

// Loads a module and runs entry `name` with raw parameter bytes.
LaunchResult run_raw(const std::string& ptx, const std::vector<uint8_t>& params, const Geometry& g,
                     const std::string& name = "k") {
    ModulePtr m = load_module(ptx, dev());
    const KernelInfo* k = find_kernel(*m, name);
    if (!k) {
        LaunchResult r;
        r.status = CUDA_ERROR_NOT_FOUND;
        r.message = "no kernel " + name;
        return r;
    }
    LaunchConfig cfg;
    cfg.module = m.get();
    cfg.kernel = k;
    for (int i = 0; i < 3; ++i) {
        cfg.grid[i] = g.grid[i];
        cfg.block[i] = g.block[i];
        cfg.cluster[i] = g.cluster[i];
    }
    cfg.dyn_smem = g.dyn;
    cfg.params = params;
    return run_launch(cfg, dev());
}
// Parameters that are all 8-byte words (pointers, u64 values).
LaunchResult run_ptx(const std::string& ptx, const std::vector<uint64_t>& words, const Geometry& g,
                     const std::string& name = "k") {
    std::vector<uint8_t> bytes(words.size() * 8);
    if (!words.empty()) std::memcpy(bytes.data(), words.data(), bytes.size());
    return run_raw(ptx, bytes, g, name);
}

// The bugs these tests found are fixed; SKIP_BUG marks where each was
// reported and skips nothing.
#define SKIP_BUG(reason)                  \
    do {                                  \
        if (false) {                      \
            std::ostringstream unused_;   \
            unused_ << reason;            \
        }                                 \
    } while (0)

constexpr const char* kHead = ".version 8.4\n.target sm_90a\n.address_size 64\n";

// ---------------------------------------------------------------------------
// One-fragment kernels.
struct In {
    uint64_t a = 0, b = 0, c = 0, x = 0;
};
struct Out {
    uint64_t l;
    uint32_t r;
    uint32_t f;
    uint16_t h;
    uint16_t pad0;
    uint32_t p;
    uint32_t q;
    uint32_t pad1;
};
static_assert(sizeof(Out) == 32);

std::string body_kernel(const std::string& body) {
    return std::string(kHead) + R"(
.visible .entry k(.param .u64 pin, .param .u64 pout, .param .u64 pn)
{
    .reg .b64 %la, %lb, %lc, %lx, %lr, %pi, %po, %t1, %t2, %nn;
    .reg .b32 %ra, %rb, %rc, %rx, %rr, %tid, %tmp;
    .reg .b32 %r<16>;
    .reg .b64 %l<16>;
    .reg .f32 %fa, %fb, %fc, %fr;
    .reg .f32 %f<16>;
    .reg .f64 %da, %db, %dc, %dr;
    .reg .b16 %ha, %hb, %hc, %hr;
    .reg .b16 %h<8>;
    .reg .pred %pa, %pb, %pr, %qr, %pe;
    .reg .pred %p<8>;
    mov.u32 %tid, %tid.x;
    ld.param.u64 %nn, [pn];
    cvt.u64.u32 %t2, %tid;
    setp.ge.u64 %pe, %t2, %nn;
    @%pe bra $Ldone;
    ld.param.u64 %pi, [pin];
    ld.param.u64 %po, [pout];
    mul.wide.u32 %t1, %tid, 32;
    add.s64 %pi, %pi, %t1;
    add.s64 %po, %po, %t1;
    ld.global.b64 %la, [%pi];
    ld.global.b64 %lb, [%pi+8];
    ld.global.b64 %lc, [%pi+16];
    ld.global.b64 %lx, [%pi+24];
    ld.global.b32 %ra, [%pi];
    ld.global.b32 %rb, [%pi+8];
    ld.global.b32 %rc, [%pi+16];
    ld.global.b32 %rx, [%pi+24];
    ld.global.f32 %fa, [%pi];
    ld.global.f32 %fb, [%pi+8];
    ld.global.f32 %fc, [%pi+16];
    ld.global.f64 %da, [%pi];
    ld.global.f64 %db, [%pi+8];
    ld.global.f64 %dc, [%pi+16];
    ld.global.b16 %ha, [%pi];
    ld.global.b16 %hb, [%pi+8];
    ld.global.b16 %hc, [%pi+16];
    setp.ne.b64 %pa, %lx, 0;
    setp.ne.b64 %pb, %lc, 0;
    mov.b64 %lr, 0;
    mov.b32 %rr, 0;
    mov.b32 %fr, 0;
    mov.b16 %hr, 0;
    setp.ne.b32 %pr, %tid, %tid;
    setp.ne.b32 %qr, %tid, %tid;
)" + body + R"(
    st.global.b64 [%po], %lr;
    st.global.b32 [%po+8], %rr;
    st.global.f32 [%po+12], %fr;
    st.global.b16 [%po+16], %hr;
    selp.u32 %tmp, 1, 0, %pr;
    st.global.b32 [%po+20], %tmp;
    selp.u32 %tmp, 1, 0, %qr;
    st.global.b32 [%po+24], %tmp;
$Ldone:
    ret;
}
)";
}

// Runs `body` once per input (one thread each, up to 1024).
std::vector<Out> run_body(const std::string& body, const std::vector<In>& in, std::string* err = nullptr) {
    const std::size_t n = in.size();
    DevBuf bin(std::max<std::size_t>(n, 1) * 32), bout(std::max<std::size_t>(n, 1) * 32);
    std::memcpy(bin.p, in.data(), n * 32);
    std::memset(bout.p, 0xEE, n * 32);
    Geometry g;
    g.block[0] = uint32_t(std::max<std::size_t>(n, 1));
    LaunchResult r;
    try {
        r = run_ptx(body_kernel(body), {bin.addr(), bout.addr(), uint64_t(n)}, g);
    } catch (const std::exception& e) {
        r.status = CUDA_ERROR_INVALID_PTX;
        r.message = e.what();
    }
    if (err) *err = r.message;
    EXPECT_EQ(r.status, CUDA_SUCCESS) << "body:\n" << body << "\n" << r.message;
    std::vector<Out> out(n);
    std::memcpy(out.data(), bout.p, n * 32);
    return out;
}

enum Field { L, R, F, H, P, Q };
uint64_t field(const Out& o, Field f) {
    switch (f) {
        case L: return o.l;
        case R: return o.r;
        case F: return o.f;
        case H: return o.h;
        case P: return o.p;
        case Q: return o.q;
    }
    return 0;
}
// Expected-value markers: any NaN of the field's format.
constexpr uint64_t kNaN32 = 0xA5A5'0000'7fc0'0000ull;  // any f32 NaN (field F or R)
constexpr uint64_t kNaN16 = 0xA5A5'0000'0000'7e00ull;  // any f16 NaN (field H or a half of R)
bool matches(uint64_t got, uint64_t want) {
    if (want == kNaN32) return (got & 0x7f800000u) == 0x7f800000u && (got & 0x007fffffu) != 0;
    if (want == kNaN16) return (got & 0x7c00u) == 0x7c00u && (got & 0x03ffu) != 0;
    return got == want;
}

struct Case {
    In in;
    uint64_t want;
};
// Runs all cases of one fragment in one launch and compares field `f`.
void expect_cases(const std::string& body, Field f, const std::vector<Case>& cases, const char* cite) {
    std::vector<In> in;
    for (const auto& c : cases) in.push_back(c.in);
    const std::vector<Out> out = run_body(body, in);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const uint64_t got = field(out[i], f);
        EXPECT_TRUE(matches(got, cases[i].want))
            << cite << "\n  " << body << "\n  case " << i << ": a=0x" << std::hex << cases[i].in.a << " b=0x"
            << cases[i].in.b << " c=0x" << cases[i].in.c << " x=0x" << cases[i].in.x << "\n  want 0x"
            << cases[i].want << " got 0x" << got << std::dec;
    }
}

uint64_t Fb(float f) { return std::bit_cast<uint32_t>(f); }
uint64_t Db(double d) { return std::bit_cast<uint64_t>(d); }
float f32(uint64_t b) { return std::bit_cast<float>(uint32_t(b)); }
constexpr uint64_t ONE = 0x3f800000, MONE = 0xbf800000, NAN32 = 0x7fc00000, PINF = 0x7f800000,
                   NINF = 0xff800000, NEG0 = 0x80000000;

// ===========================================================================
// Integer arithmetic (ISA 9.7.1)
// ===========================================================================
TEST(SemanticsInt, AddSubWrapAndSaturate) {
    // 9.7.1.1 add / 9.7.1.2 sub: wrap modulo 2^n; add.sat.s32 clamps to [INT_MIN, INT_MAX].
    expect_cases("add.s32 %rr, %ra, %rb;", R, {{{0x7fffffff, 1}, 0x80000000}, {{0xffffffff, 2}, 1}}, "9.7.1.1 add");
    expect_cases("add.sat.s32 %rr, %ra, %rb;", R,
                 {{{0x7fffffff, 1}, 0x7fffffff}, {{0x80000000, 0xffffffff}, 0x80000000}, {{5, 0xfffffffd}, 2}},
                 "9.7.1.1 add.sat.s32");
    expect_cases("sub.u32 %rr, %ra, %rb;", R, {{{0, 1}, 0xffffffff}}, "9.7.1.2 sub");
    expect_cases("sub.s32 %rr, %ra, %rb;", R, {{{0x80000000, 1}, 0x7fffffff}}, "9.7.1.2 sub");
    expect_cases("add.s64 %lr, %la, %lb;", L, {{{0x7fffffffffffffff, 1}, 0x8000000000000000}}, "9.7.1.1 add.s64");
    expect_cases("sub.s64 %lr, %la, %lb;", L, {{{0, 1}, 0xffffffffffffffff}}, "9.7.1.2 sub.s64");
    expect_cases("add.u16 %hr, %ha, %hb;", H, {{{0xffff, 2}, 1}}, "9.7.1.1 add.u16");
}

TEST(SemanticsInt, MulLoHiWide) {
    // 9.7.1.3 mul: .lo = low n bits, .hi = high n bits of the 2n-bit product, .wide = all 2n bits.
    expect_cases("mul.lo.s32 %rr, %ra, %rb;", R, {{{0x80000000, 0xffffffff}, 0x80000000}, {{0x10000, 0x10000}, 0}},
                 "9.7.1.3 mul.lo");
    expect_cases("mul.hi.s32 %rr, %ra, %rb;", R,
                 {{{0x80000000, 0xffffffff}, 0},           // INT_MIN * -1 = 2^31: high word 0
                  {{0x80000000, 0x80000000}, 0x40000000},  // 2^62
                  {{0xffffffff, 1}, 0xffffffff},           // -1: all ones
                  {{0x7fffffff, 0x7fffffff}, 0x3fffffff}},  // 2^62 - 2^32 + 1
                 "9.7.1.3 mul.hi.s32");
    expect_cases("mul.hi.u32 %rr, %ra, %rb;", R, {{{0xffffffff, 0xffffffff}, 0xfffffffe}, {{0x80000000, 2}, 1}},
                 "9.7.1.3 mul.hi.u32");
    expect_cases("mul.wide.s32 %lr, %ra, %rb;", L,
                 {{{0xfffffffe, 3}, 0xfffffffffffffffa},
                  {{0x80000000, 0x80000000}, 0x4000000000000000},
                  {{0x80000000, 0x7fffffff}, 0xC000000080000000}},
                 "9.7.1.3 mul.wide.s32");
    expect_cases("mul.wide.u32 %lr, %ra, %rb;", L,
                 {{{0xffffffff, 0xffffffff}, 0xfffffffe00000001}, {{0xffffffff, 2}, 0x1fffffffe}},
                 "9.7.1.3 mul.wide.u32");
    expect_cases("mul.wide.s16 %rr, %ha, %hb;", R, {{{0x8000, 0x8000}, 0x40000000}, {{0xffff, 2}, 0xfffffffe}},
                 "9.7.1.3 mul.wide.s16");
    expect_cases("mul.wide.u16 %rr, %ha, %hb;", R, {{{0xffff, 0xffff}, 0xfffe0001}}, "9.7.1.3 mul.wide.u16");
    expect_cases("mul.lo.u64 %lr, %la, %lb;", L, {{{0xffffffffffffffff, 2}, 0xfffffffffffffffe}}, "9.7.1.3 mul.lo.u64");
    expect_cases("mul.hi.u64 %lr, %la, %lb;", L, {{{~0ull, ~0ull}, 0xfffffffffffffffe}}, "9.7.1.3 mul.hi.u64");
    expect_cases("mul.hi.s64 %lr, %la, %lb;", L,
                 {{{0x8000000000000000, 2}, 0xffffffffffffffff},
                  {{0x8000000000000000, 0x8000000000000000}, 0x4000000000000000}},
                 "9.7.1.3 mul.hi.s64");
}

TEST(SemanticsInt, MadLoHiWideSat) {
    // 9.7.1.4 mad: product as mul (.lo/.hi/.wide), plus c; mad.hi.sat.s32 saturates the sum.
    expect_cases("mad.lo.s32 %rr, %ra, %rb, %rc;", R, {{{3, 0xfffffffc, 100}, 88}, {{0x80000000, 2, 1}, 1}},
                 "9.7.1.4 mad.lo");
    expect_cases("mad.hi.u32 %rr, %ra, %rb, %rc;", R, {{{0xffffffff, 0xffffffff, 5}, 3}}, "9.7.1.4 mad.hi.u32");
    expect_cases("mad.hi.s32 %rr, %ra, %rb, %rc;", R, {{{0xffffffff, 1, 1}, 0}}, "9.7.1.4 mad.hi.s32");
    expect_cases("mad.hi.sat.s32 %rr, %ra, %rb, %rc;", R,
                 {{{0x7fffffff, 0x7fffffff, 0x7fffffff}, 0x7fffffff},  // 0x3fffffff + INT_MAX overflows
                  {{0x80000000, 0x7fffffff, 0x80000000}, 0x80000000},  // -2^30 + INT_MIN underflows
                  {{0x7fffffff, 0x7fffffff, 1}, 0x40000000}},
                 "9.7.1.4 mad.hi.sat.s32");
    expect_cases("mad.wide.s32 %lr, %ra, %rb, %lc;", L, {{{0xfffffffe, 3, 0x100000000}, 0xfffffffa}},
                 "9.7.1.4 mad.wide.s32");
    expect_cases("mad.wide.u32 %lr, %ra, %rb, %lc;", L, {{{0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff00000000}},
                 "9.7.1.4 mad.wide.u32");
    expect_cases("mad.lo.s64 %lr, %la, %lb, %lc;", L, {{{0x100000000, 0x100000000, 5}, 5}}, "9.7.1.4 mad.lo.s64");
}

TEST(SemanticsInt, Mul24Mad24Sad) {
    // 9.7.1.5 mul24: 48-bit product of 24-bit operands; .lo = bits 31..0, .hi = bits 47..16.
    expect_cases("mul24.lo.u32 %rr, %ra, %rb;", R, {{{0xffffff, 0xffffff}, 0xfe000001}}, "9.7.1.5 mul24.lo");
    expect_cases("mul24.hi.u32 %rr, %ra, %rb;", R, {{{0xffffff, 0xffffff}, 0xfffffe00}}, "9.7.1.5 mul24.hi");
    expect_cases("mul24.hi.s32 %rr, %ra, %rb;", R, {{{0xffffffff, 2}, 0xffffffff}}, "9.7.1.5 mul24.hi.s32");
    expect_cases("mul24.lo.s32 %rr, %ra, %rb;", R, {{{0xff800000, 2}, 0xff000000}}, "9.7.1.5 mul24.lo.s32");
    // 9.7.1.6 mad24
    expect_cases("mad24.lo.u32 %rr, %ra, %rb, %rc;", R, {{{0x1000, 0x1000, 7}, 0x1000007}}, "9.7.1.6 mad24.lo");
    expect_cases("mad24.hi.u32 %rr, %ra, %rb, %rc;", R, {{{0xffffff, 0xffffff, 1}, 0xfffffe01}}, "9.7.1.6 mad24.hi");
    // 9.7.1.7 sad: c + |a - b|
    expect_cases("sad.u32 %rr, %ra, %rb, %rc;", R, {{{3, 10, 100}, 107}, {{0xfffffffb, 3, 0}, 0xfffffff8}},
                 "9.7.1.7 sad.u32");
    expect_cases("sad.s32 %rr, %ra, %rb, %rc;", R, {{{0xfffffffb, 3, 0}, 8}}, "9.7.1.7 sad.s32");
}

TEST(SemanticsInt, DivRemSignsTruncateTowardZero) {
    // 9.7.1.8 div / 9.7.1.9 rem: the quotient truncates toward zero; rem has the sign of a.
    expect_cases("div.s32 %rr, %ra, %rb;", R,
                 {{{0xfffffff9, 2}, 0xfffffffd}, {{7, 0xfffffffe}, 0xfffffffd}, {{0xfffffff9, 0xfffffffe}, 3}},
                 "9.7.1.8 div.s32");
    expect_cases("rem.s32 %rr, %ra, %rb;", R,
                 {{{0xfffffff9, 2}, 0xffffffff}, {{7, 0xfffffffe}, 1}, {{0xfffffff9, 0xfffffffe}, 0xffffffff}},
                 "9.7.1.9 rem.s32");
    expect_cases("div.u32 %rr, %ra, %rb;", R, {{{0xfffffff9, 2}, 0x7ffffffc}}, "9.7.1.8 div.u32");
    expect_cases("rem.u32 %rr, %ra, %rb;", R, {{{0xfffffff9, 2}, 1}}, "9.7.1.9 rem.u32");
    expect_cases("div.s64 %lr, %la, %lb;", L, {{{0xfffffffffffffff9, 2}, 0xfffffffffffffffd}}, "9.7.1.8 div.s64");
    expect_cases("rem.s64 %lr, %la, %lb;", L, {{{0xfffffffffffffff9, 2}, 0xffffffffffffffff}}, "9.7.1.9 rem.s64");
}

TEST(SemanticsInt, DivRemByZeroAndOverflowDocumented) {
    // The ISA leaves division by zero and INT_MIN / -1 unspecified: no
    // assertion on the values, only that nothing faults. What ptxsim returns:
    const auto d = run_body("div.s32 %rr, %ra, %rb; rem.s32 %lr, %la, %lb;",
                            {{7, 0}, {0x80000000, 0xffffffff}});
    const auto u = run_body("div.u32 %rr, %ra, %rb; rem.u32 %lr, %la, %lb;", {{7, 0}});
    const auto w = run_body("div.s64 %lr, %la, %lb; rem.s64 %l1, %la, %lb; cvt.u32.u64 %rr, %l1;",
                            {{0x8000000000000000, 0xffffffffffffffff}});
    std::printf("[ptxsim] div.s32 7/0 = 0x%08x, rem.s32 7%%0 = 0x%08x; div.s32 INT_MIN/-1 = 0x%08x\n", d[0].r,
                uint32_t(d[0].l), d[1].r);
    std::printf("[ptxsim] div.u32 7/0 = 0x%08x, rem.u32 7%%0 = 0x%08x; div.s64 INT64_MIN/-1 = 0x%016llx\n", u[0].r,
                uint32_t(u[0].l), static_cast<unsigned long long>(w[0].l));
}

TEST(SemanticsInt, MinMaxAbsNeg) {
    // 9.7.1.12 min / 9.7.1.13 max: signed vs unsigned comparison by type.
    expect_cases("min.s32 %rr, %ra, %rb;", R, {{{0xffffffff, 1}, 0xffffffff}}, "9.7.1.12 min.s32");
    expect_cases("min.u32 %rr, %ra, %rb;", R, {{{0xffffffff, 1}, 1}}, "9.7.1.12 min.u32");
    expect_cases("max.s32 %rr, %ra, %rb;", R, {{{0xffffffff, 1}, 1}}, "9.7.1.13 max.s32");
    expect_cases("max.u32 %rr, %ra, %rb;", R, {{{0xffffffff, 1}, 0xffffffff}}, "9.7.1.13 max.u32");
    expect_cases("min.s64 %lr, %la, %lb;", L, {{{0x8000000000000000, 0x7fffffffffffffff}, 0x8000000000000000}},
                 "9.7.1.12 min.s64");
    expect_cases("max.u64 %lr, %la, %lb;", L, {{{0x8000000000000000, 0x7fffffffffffffff}, 0x8000000000000000}},
                 "9.7.1.13 max.u64");
    expect_cases("min.s16 %hr, %ha, %hb;", H, {{{0x8000, 1}, 0x8000}}, "9.7.1.12 min.s16");
    expect_cases("min.u16 %hr, %ha, %hb;", H, {{{0x8000, 1}, 1}}, "9.7.1.12 min.u16");
    // 9.7.1.10 abs / 9.7.1.11 neg (the most negative value maps to itself).
    expect_cases("abs.s32 %rr, %ra;", R, {{{0xfffffffb}, 5}, {{0x80000000}, 0x80000000}, {{7}, 7}}, "9.7.1.10 abs");
    expect_cases("neg.s32 %rr, %ra;", R, {{{5}, 0xfffffffb}, {{0x80000000}, 0x80000000}}, "9.7.1.11 neg");
    expect_cases("abs.s64 %lr, %la;", L, {{{0xfffffffffffffffb}, 5}}, "9.7.1.10 abs.s64");
    expect_cases("neg.s64 %lr, %la;", L, {{{1}, 0xffffffffffffffff}}, "9.7.1.11 neg.s64");
    expect_cases("abs.s16 %hr, %ha;", H, {{{0xfffb}, 5}}, "9.7.1.10 abs.s16");
}

TEST(SemanticsInt, ShiftsClampAtWidth) {
    // 9.7.8.x shl / shr: shift amounts above the width clamp to the width;
    // shr.s is arithmetic (fills with the sign), shr.u / shr.b logical.
    expect_cases("shl.b32 %rr, %ra, %rb;", R,
                 {{{1, 31}, 0x80000000}, {{1, 32}, 0}, {{0xffffffff, 0xffffffff}, 0}, {{3, 1}, 6}}, "shl.b32");
    expect_cases("shr.u32 %rr, %ra, %rb;", R, {{{0x80000000, 31}, 1}, {{0x80000000, 32}, 0}, {{0x80000000, 40}, 0}},
                 "shr.u32");
    expect_cases("shr.b32 %rr, %ra, %rb;", R, {{{0x80000000, 4}, 0x08000000}}, "shr.b32");
    expect_cases("shr.s32 %rr, %ra, %rb;", R,
                 {{{0x80000000, 4}, 0xf8000000},
                  {{0x80000000, 40}, 0xffffffff},
                  {{0x7fffffff, 100}, 0},
                  {{0x80000000, 0xffffffff}, 0xffffffff}},
                 "shr.s32");
    expect_cases("shl.b64 %lr, %la, %rb;", L, {{{1, 63}, 0x8000000000000000}, {{1, 64}, 0}}, "shl.b64");
    expect_cases("shr.s64 %lr, %la, %rb;", L, {{{0x8000000000000000, 70}, ~0ull}}, "shr.s64");
    expect_cases("shr.u64 %lr, %la, %rb;", L, {{{0x8000000000000000, 63}, 1}, {{0x8000000000000000, 64}, 0}},
                 "shr.u64");
    expect_cases("shl.b16 %hr, %ha, %rb;", H, {{{0x8001, 1}, 0x0002}, {{1, 16}, 0}}, "shl.b16");
    expect_cases("shr.s16 %hr, %ha, %rb;", H, {{{0x8000, 20}, 0xffff}}, "shr.s16");
}

TEST(SemanticsInt, BfeUnsignedAndInRangeSigned) {
    // 9.7.1.19 bfe: pos = b & 0xff, len = c & 0xff; d[i] = (i < len && pos + i <= msb) ? a[pos + i] : sbit,
    // sbit = 0 for .u / len == 0, else a[min(pos + len - 1, msb)].
    expect_cases("bfe.u32 %rr, %ra, %rb, %rc;", R,
                 {{{0x12345678, 8, 8}, 0x56},
                  {{0x12345678, 28, 8}, 0x1},
                  {{0x12345678, 40, 8}, 0},
                  {{0x12345678, 8, 0}, 0},
                  {{0x12345678, 0x108, 0x108}, 0x56},
                  {{0xffffffff, 0, 32}, 0xffffffff},
                  {{0xffffffff, 0, 255}, 0xffffffff}},
                 "9.7.1.19 bfe.u32");
    expect_cases("bfe.s32 %rr, %ra, %rb, %rc;", R,
                 {{{0x00008000, 8, 8}, 0xffffff80},
                  {{0x00007f00, 8, 8}, 0x7f},
                  {{0x80000000, 40, 4}, 0xffffffff},  // start beyond msb: replicated sign a[31]
                  {{0x7fffffff, 40, 4}, 0},
                  {{0x80000000, 0, 0}, 0},  // len 0 -> 0
                  {{0x80000000, 31, 1}, 0xffffffff},
                  {{0x40000000, 28, 8}, 0x4}},
                 "9.7.1.19 bfe.s32");
    expect_cases("bfe.u64 %lr, %la, %rb, %rc;", L, {{{0x123456789abcdef0, 36, 12}, 0x567}}, "9.7.1.19 bfe.u64");
}

TEST(SemanticsInt, BfeSignedFieldCrossingMsb) {
    // BUG: bfe.s32/s64 with pos < msb < pos + len - 1 and a[msb] = 1: the
    // field bits past the msb must be sbit = a[msb] (ISA 9.7.1.19: d[i] =
    // (i < len && pos + i <= msb) ? a[pos + i] : sbit), but ptxsim leaves
    // them 0 below bit len. bfe.s32 0x80000000, 28, 8 -> want 0xfffffff8, got 0xffffff08.
    SKIP_BUG("bfe.s sign fill of a field that crosses the msb (ops_alu.cpp h_bfe)");
    expect_cases("bfe.s32 %rr, %ra, %rb, %rc;", R,
                 {{{0x80000000, 28, 8}, 0xfffffff8}, {{0xf0000000, 28, 8}, 0xffffffff}}, "9.7.1.19 bfe.s32");
    expect_cases("bfe.s64 %lr, %la, %rb, %rc;", L, {{{0x8000000000000000, 60, 8}, 0xfffffffffffffff8}},
                 "9.7.1.19 bfe.s64");
}

TEST(SemanticsInt, Bfi) {
    // 9.7.1.20 bfi: for (i = 0; i < len && pos + i <= msb; i++) f[pos + i] = a[i], starting from f = b.
    expect_cases("bfi.b32 %rr, %ra, %rb, %rc, %rx;", R,
                 {{{0xff, 0x12345678, 8, 4}, 0x12345f78},
                  {{0x5, 0x12345678, 28, 8}, 0x52345678},
                  {{0xff, 0x12345678, 8, 0}, 0x12345678},
                  {{0xff, 0x12345678, 32, 4}, 0x12345678},
                  {{0xffffffff, 0, 0, 32}, 0xffffffff},
                  {{0xabc, 0x12345678, 0x104, 0x108}, 0x12345bc8}},
                 "9.7.1.20 bfi.b32");
    expect_cases("bfi.b64 %lr, %la, %lb, %rc, %rx;", L, {{{0xabc, 0, 60, 8}, 0xc000000000000000}}, "9.7.1.20 bfi.b64");
}

TEST(SemanticsInt, BfindPopcClzBrev) {
    // 9.7.1.16 bfind: bit position of the most significant non-sign bit; 0xffffffff when none;
    // .shiftamt returns the left-shift amount (msb - pos) instead.
    expect_cases("bfind.u32 %rr, %ra;", R, {{{0}, 0xffffffff}, {{1}, 0}, {{0x80000000}, 31}, {{0x00012345}, 16}},
                 "9.7.1.16 bfind.u32");
    expect_cases("bfind.shiftamt.u32 %rr, %ra;", R, {{{0}, 0xffffffff}, {{1}, 31}, {{0x80000000}, 0}},
                 "9.7.1.16 bfind.shiftamt.u32");
    expect_cases("bfind.s32 %rr, %ra;", R,
                 {{{0xffffffff}, 0xffffffff},
                  {{0xfffffffe}, 0},
                  {{0x80000000}, 30},
                  {{0x40000000}, 30},
                  {{0}, 0xffffffff},
                  {{1}, 0}},
                 "9.7.1.16 bfind.s32");
    expect_cases("bfind.shiftamt.s32 %rr, %ra;", R, {{{0x40000000}, 1}, {{0x80000000}, 1}},
                 "9.7.1.16 bfind.shiftamt.s32");
    expect_cases("bfind.u64 %rr, %la;", R, {{{0x8000000000000000}, 63}, {{0}, 0xffffffff}, {{1ull << 40}, 40}},
                 "9.7.1.16 bfind.u64");
    expect_cases("bfind.shiftamt.u64 %rr, %la;", R, {{{1}, 63}}, "9.7.1.16 bfind.shiftamt.u64");
    // 9.7.1.14 popc, 9.7.1.15 clz (results are .u32), 9.7.1.18 brev
    expect_cases("popc.b32 %rr, %ra;", R, {{{0xffffffff}, 32}, {{0}, 0}, {{0x80000001}, 2}}, "9.7.1.14 popc.b32");
    expect_cases("popc.b64 %rr, %la;", R, {{{0x8000000000000001}, 2}, {{~0ull}, 64}}, "9.7.1.14 popc.b64");
    expect_cases("clz.b32 %rr, %ra;", R, {{{0}, 32}, {{1}, 31}, {{0x80000000}, 0}}, "9.7.1.15 clz.b32");
    expect_cases("clz.b64 %rr, %la;", R, {{{0}, 64}, {{1}, 63}}, "9.7.1.15 clz.b64");
    expect_cases("brev.b32 %rr, %ra;", R, {{{1}, 0x80000000}, {{0x12345678}, 0x1e6a2c48}}, "9.7.1.18 brev.b32");
    expect_cases("brev.b64 %lr, %la;", L, {{{1}, 0x8000000000000000}, {{0xf0}, 0x0f00000000000000}},
                 "9.7.1.18 brev.b64");
}

constexpr uint64_t PA = 0x33221100, PB = 0x77665544;  // bytes 0..7 of {b, a} are 0x00, 0x11, ... 0x77
TEST(SemanticsInt, PrmtDefaultF4eB4eRc8Rc16) {
    // 9.7.9.7 prmt: default mode, selector nibble c[4i+3:4i] picks byte (sel & 7) of {b, a}; sel & 8
    // replicates that byte's msb.
    expect_cases("prmt.b32 %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0x3210}, 0x33221100},
                  {{PA, PB, 0x0123}, 0x00112233},
                  {{PA, PB, 0x7654}, 0x77665544},
                  {{PA, PB, 0x4567}, 0x44556677},
                  {{PA, PB, 0xabcd3210}, 0x33221100},  // only c[15:0]
                  {{0x80ff7f01, 0x44332211, 0x89ab}, 0x0000ffff}},
                 "9.7.9.7 prmt");
    // Mode table: f4e c[1:0]=0..3 -> b3..b0 = 3210 / 4321 / 5432 / 6543; b4e -> 5670 / 6701 / 7012 / 0123;
    // rc8 -> 0000 / 1111 / 2222 / 3333; rc16 -> 1010 / 3232 / 1010 / 3232.
    expect_cases("prmt.b32.f4e %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0}, 0x33221100},
                  {{PA, PB, 1}, 0x44332211},
                  {{PA, PB, 2}, 0x55443322},
                  {{PA, PB, 3}, 0x66554433},
                  {{PA, PB, 5}, 0x44332211}},
                 "9.7.9.7 prmt.f4e");
    expect_cases("prmt.b32.b4e %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0}, 0x55667700}, {{PA, PB, 1}, 0x66770011}, {{PA, PB, 2}, 0x77001122}, {{PA, PB, 3}, 0x00112233}},
                 "9.7.9.7 prmt.b4e");
    expect_cases("prmt.b32.rc8 %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0}, 0x00000000}, {{PA, PB, 2}, 0x22222222}, {{PA, PB, 3}, 0x33333333}}, "9.7.9.7 prmt.rc8");
    expect_cases("prmt.b32.rc16 %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0}, 0x11001100}, {{PA, PB, 1}, 0x33223322}, {{PA, PB, 2}, 0x11001100}, {{PA, PB, 3}, 0x33223322}},
                 "9.7.9.7 prmt.rc16");
}

TEST(SemanticsInt, PrmtEdgeClamp) {
    // BUG: the edge-clamp modes are swapped. ISA 9.7.9.7 prmt table:
    //   ecl c[1:0] = 0..3 -> d.b3 b2 b1 b0 = 3210 / 3211 / 3222 / 3333 (b_i = byte max(i, s))
    //   ecr c[1:0] = 0..3 -> d.b3 b2 b1 b0 = 0000 / 1110 / 2210 / 3210 (b_i = byte min(i, s))
    // ptxsim computes min(i, s) for .ecl and max(i, s) for .ecr.
    SKIP_BUG("prmt.ecl / prmt.ecr swapped (ops_alu.cpp h_prmt cases 4 and 5)");
    expect_cases("prmt.b32.ecl %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0}, 0x33221100}, {{PA, PB, 1}, 0x33221111}, {{PA, PB, 2}, 0x33222222}, {{PA, PB, 3}, 0x33333333}},
                 "9.7.9.7 prmt.ecl");
    expect_cases("prmt.b32.ecr %rr, %ra, %rb, %rc;", R,
                 {{{PA, PB, 0}, 0x00000000}, {{PA, PB, 1}, 0x11111100}, {{PA, PB, 2}, 0x22221100}, {{PA, PB, 3}, 0x33221100}},
                 "9.7.9.7 prmt.ecr");
}

TEST(SemanticsInt, Lop3Luts) {
    // 9.7.8.6 lop3: with a = 0xF0, b = 0xCC, c = 0xAA (per byte) the result is the LUT itself.
    for (uint32_t lut : {0x00u, 0xffu, 0x80u, 0xfeu, 0x96u, 0xeau, 0x30u, 0xe8u, 0x01u, 0x6au}) {
        expect_cases("lop3.b32 %rr, %ra, %rb, %rc, " + std::to_string(lut) + ";", R,
                     {{{0xF0F0F0F0, 0xCCCCCCCC, 0xAAAAAAAA}, uint64_t(lut) * 0x01010101u}}, "9.7.8.6 lop3");
    }
    const uint32_t a = 0x12345678, b = 0x9abcdef0, c = 0x0f0f0f0f;
    expect_cases("lop3.b32 %rr, %ra, %rb, %rc, 0xe8;", R, {{{a, b, c}, (a & b) | (a & c) | (b & c)}},
                 "9.7.8.6 lop3 majority");
    expect_cases("lop3.b32 %rr, %ra, %rb, %rc, 0x78;", R, {{{a, b, c}, a ^ (b & c)}}, "9.7.8.6 lop3 a^(b&c)");
    // 9.7.8.x and/or/xor/not/cnot
    expect_cases("cnot.b32 %rr, %ra;", R, {{{0}, 1}, {{5}, 0}}, "cnot");
    expect_cases("not.b32 %rr, %ra;", R, {{{0x0f0f0f0f}, 0xf0f0f0f0}}, "not");
    expect_cases("xor.b32 %rr, %ra, %rb;", R, {{{0xff00ff00, 0x0ff00ff0}, 0xf0f0f0f0}}, "xor");
}

TEST(SemanticsInt, ShfWrapClamp) {
    // 9.7.8.7 shf: shf.l -> upper 32 bits of ({b, a} << n); shf.r -> lower 32 bits of ({b, a} >> n);
    // .wrap: n = c & 31, .clamp: n = min(c, 32).
    const uint64_t a = 0x89abcdef, b = 0x01234567;
    expect_cases("shf.l.wrap.b32 %rr, %ra, %rb, %rc;", R, {{{a, b, 4}, 0x12345678}, {{a, b, 36}, 0x12345678}, {{a, b, 0}, b}},
                 "9.7.8.7 shf.l.wrap");
    expect_cases("shf.l.clamp.b32 %rr, %ra, %rb, %rc;", R, {{{a, b, 36}, a}, {{a, b, 32}, a}, {{a, b, 4}, 0x12345678}},
                 "9.7.8.7 shf.l.clamp");
    expect_cases("shf.r.wrap.b32 %rr, %ra, %rb, %rc;", R, {{{a, b, 4}, 0x789abcde}, {{a, b, 36}, 0x789abcde}},
                 "9.7.8.7 shf.r.wrap");
    expect_cases("shf.r.clamp.b32 %rr, %ra, %rb, %rc;", R, {{{a, b, 36}, b}, {{a, b, 0}, a}}, "9.7.8.7 shf.r.clamp");
}

// ===========================================================================
// Floating point f32 (ISA 9.7.3)
// ===========================================================================
TEST(SemanticsF32, AddRoundingModes) {
    // 9.7.3.1 add{.rnd}: IEEE 754 rounding of the exact sum. 1 + 2^-24 is a tie (half an ulp of 1):
    // rn -> 1 (even), rp -> 1 + 2^-23. 1 + 1.5 ulp: rn/rp -> 1 + 2 ulp, rz/rm -> 1 + 1 ulp.
    const uint64_t h = 0x33800000 /* 2^-24 */, h3 = 0x34400000 /* 1.5 * 2^-23 */;
    expect_cases("add.rn.f32 %fr, %fa, %fb;", F, {{{ONE, h}, ONE}, {{MONE, 0xb3800000}, MONE}, {{ONE, h3}, 0x3f800002}},
                 "9.7.3.1 add.rn");
    expect_cases("add.rz.f32 %fr, %fa, %fb;", F, {{{ONE, h}, ONE}, {{MONE, 0xb3800000}, MONE}, {{ONE, h3}, 0x3f800001}},
                 "9.7.3.1 add.rz");
    expect_cases("add.rm.f32 %fr, %fa, %fb;", F,
                 {{{ONE, h}, ONE}, {{MONE, 0xb3800000}, 0xbf800001}, {{ONE, h3}, 0x3f800001}}, "9.7.3.1 add.rm");
    expect_cases("add.rp.f32 %fr, %fa, %fb;", F,
                 {{{ONE, h}, 0x3f800001}, {{MONE, 0xb3800000}, MONE}, {{ONE, h3}, 0x3f800002}, {{ONE, MONE}, 0}},
                 "9.7.3.1 add.rp");
    // 9.7.3.2 sub: 1 - 2^-24 is exact (0x3f7fffff) in every mode; x - x is -0 only in rm.
    for (const char* m : {"rn", "rz", "rm", "rp"})
        expect_cases(std::string("sub.") + m + ".f32 %fr, %fa, %fb;", F, {{{ONE, h}, 0x3f7fffff}}, "9.7.3.2 sub");
    expect_cases("sub.rn.f32 %fr, %fa, %fb;", F, {{{ONE, ONE}, 0}}, "9.7.3.2 sub.rn");
}

TEST(SemanticsF32, MulRoundingModesAndOverflow) {
    // 9.7.3.4 mul{.rnd}: (1 + 2^-23)^2 = 1 + 2^-22 + 2^-46 -> rn/rz/rm 0x3f800002, rp 0x3f800003.
    // Overflow: rz/toward-zero modes give the largest finite value, rn/away give inf.
    const uint64_t A = 0x3f800001, nA = 0xbf800001, MAX = 0x7f7fffff, TWO = 0x40000000;
    expect_cases("mul.rn.f32 %fr, %fa, %fb;", F, {{{A, A}, 0x3f800002}, {{A, nA}, 0xbf800002}, {{MAX, TWO}, PINF}},
                 "9.7.3.4 mul.rn");
    expect_cases("mul.rz.f32 %fr, %fa, %fb;", F, {{{A, A}, 0x3f800002}, {{A, nA}, 0xbf800002}, {{MAX, TWO}, MAX}},
                 "9.7.3.4 mul.rz");
    expect_cases("mul.rm.f32 %fr, %fa, %fb;", F,
                 {{{A, A}, 0x3f800002}, {{A, nA}, 0xbf800003}, {{MAX, TWO}, MAX}, {{0xff7fffff, TWO}, NINF}},
                 "9.7.3.4 mul.rm");
    expect_cases("mul.rp.f32 %fr, %fa, %fb;", F,
                 {{{A, A}, 0x3f800003}, {{A, nA}, 0xbf800002}, {{MAX, TWO}, PINF}, {{0xff7fffff, TWO}, 0xff7fffff}},
                 "9.7.3.4 mul.rp");
}

TEST(SemanticsF32, FmaSingleRounding) {
    // 9.7.3.5 fma: a * b + c computed exactly, rounded once. (1 + 2^-23)^2 - 1 = 2^-22 + 2^-46, a tie
    // between 2^-22 and 2^-22 + 2^-45: rn -> 0x34800000 (even), rp -> 0x34800001.
    // (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46 exactly (0x28800000): unfused mul + add would give 0.
    const uint64_t A = 0x3f800001;
    expect_cases("fma.rn.f32 %fr, %fa, %fb, %fc;", F, {{{A, A, MONE}, 0x34800000}, {{A, A, 0xbf800002}, 0x28800000}},
                 "9.7.3.5 fma.rn");
    expect_cases("fma.rz.f32 %fr, %fa, %fb, %fc;", F, {{{A, A, MONE}, 0x34800000}, {{A, A, 0xbf800002}, 0x28800000}},
                 "9.7.3.5 fma.rz");
    expect_cases("fma.rm.f32 %fr, %fa, %fb, %fc;", F,
                 {{{A, A, MONE}, 0x34800000}, {{A, A, 0xbf800002}, 0x28800000}}, "9.7.3.5 fma.rm");
    expect_cases("fma.rp.f32 %fr, %fa, %fb, %fc;", F,
                 {{{A, A, MONE}, 0x34800001}, {{A, A, 0xbf800002}, 0x28800000}, {{ONE, ONE, MONE}, 0}},
                 "9.7.3.5 fma.rp");
    // 9.7.3.6 mad.rnd.f32 is fma.
    expect_cases("mad.rn.f32 %fr, %fa, %fb, %fc;", F, {{{A, A, 0xbf800002}, 0x28800000}}, "9.7.3.6 mad.rn.f32");
}

TEST(SemanticsF32, ExactZeroSumIsNegativeZeroInRm) {
    // BUG: an exact zero sum of operands of opposite sign is -0 under roundTowardNegative and +0 in
    // every other mode (IEEE 754-2008 6.3, which add/sub/fma.rnd follow: ISA 9.7.3.1/2/5 "IEEE 754
    // compliant"). add.rm.f32 1.0, -1.0 -> want 0x80000000, got 0x00000000 (also sub.rm 1 - 1 and
    // fma.rm 1 * 1 + -1). numeric.cpp round_pair returns the +0 of static_cast<float>(0.0).
    SKIP_BUG("add/sub/fma.rm exact zero gives +0 instead of -0 (numeric.cpp round_pair)");
    expect_cases("add.rm.f32 %fr, %fa, %fb;", F, {{{ONE, MONE}, NEG0}}, "9.7.3.1 add.rm");
    expect_cases("sub.rm.f32 %fr, %fa, %fb;", F, {{{ONE, ONE}, NEG0}}, "9.7.3.2 sub.rm");
    expect_cases("fma.rm.f32 %fr, %fa, %fb, %fc;", F, {{{ONE, ONE, MONE}, NEG0}}, "9.7.3.5 fma.rm");
}

TEST(SemanticsF32, FtzAndSat) {
    // .ftz: subnormal inputs and results flush to sign-preserving zero; without it they are kept.
    expect_cases("add.f32 %fr, %fa, %fb;", F, {{{1, 1}, 2}}, "9.7.3.1 add subnormal");
    expect_cases("add.ftz.f32 %fr, %fa, %fb;", F, {{{1, 0}, 0}, {{1, 1}, 0}}, "9.7.3.1 add.ftz");
    expect_cases("mul.f32 %fr, %fa, %fb;", F, {{{0x00800000, 0x3f000000}, 0x00400000}}, "9.7.3.4 mul subnormal out");
    expect_cases("mul.ftz.f32 %fr, %fa, %fb;", F, {{{0x00800000, 0x3f000000}, 0}, {{0x80800000, 0x3f000000}, NEG0}},
                 "9.7.3.4 mul.ftz");
    expect_cases("sub.ftz.f32 %fr, %fa, %fb;", F, {{{0x00800001, 0x00800000}, 0}}, "9.7.3.2 sub.ftz");
    // .sat: clamp to [0, 1], NaN -> +0.
    expect_cases("add.sat.f32 %fr, %fa, %fb;", F,
                 {{{0x3f400000, 0x3f000000}, ONE}, {{0xc0000000, ONE}, 0}, {{NAN32, ONE}, 0}}, "9.7.3.1 add.sat");
    expect_cases("mul.sat.f32 %fr, %fa, %fb;", F, {{{0x40000000, 0x40000000}, ONE}}, "9.7.3.4 mul.sat");
    expect_cases("fma.rn.sat.f32 %fr, %fa, %fb, %fc;", F, {{{0x3f000000, 0x3f000000, 0}, 0x3e800000}},
                 "9.7.3.5 fma.sat");
}

TEST(SemanticsF32, MinMaxNaNAndSignedZero) {
    // 9.7.3.11 min / 9.7.3.12 max: a NaN operand yields the other; both NaN -> NaN; -0.0 < +0.0.
    expect_cases("min.f32 %fr, %fa, %fb;", F,
                 {{{NAN32, ONE}, ONE},
                  {{ONE, NAN32}, ONE},
                  {{NAN32, NAN32}, kNaN32},
                  {{NEG0, 0}, NEG0},
                  {{0, NEG0}, NEG0},
                  {{MONE, ONE}, MONE}},
                 "9.7.3.11 min");
    expect_cases("max.f32 %fr, %fa, %fb;", F,
                 {{{NAN32, ONE}, ONE}, {{ONE, NAN32}, ONE}, {{NAN32, NAN32}, kNaN32}, {{NEG0, 0}, 0}, {{0, NEG0}, 0}},
                 "9.7.3.12 max");
    expect_cases("min.ftz.f32 %fr, %fa, %fb;", F, {{{0x80000001, 0x00000001}, NEG0}}, "9.7.3.11 min.ftz");
}

TEST(SemanticsF32, DivRcpSqrtRounding) {
    // 9.7.3.8 div.rnd: 1/3 = 1.0101...b x 2^-2: rn/rp 0x3eaaaaab, rz/rm 0x3eaaaaaa.
    const uint64_t THREE = 0x40400000;
    expect_cases("div.rn.f32 %fr, %fa, %fb;", F,
                 {{{ONE, THREE}, 0x3eaaaaab}, {{ONE, 0}, PINF}, {{0, 0}, kNaN32}, {{MONE, 0}, NINF}}, "9.7.3.8 div.rn");
    expect_cases("div.rz.f32 %fr, %fa, %fb;", F, {{{ONE, THREE}, 0x3eaaaaaa}, {{MONE, THREE}, 0xbeaaaaaa}},
                 "9.7.3.8 div.rz");
    expect_cases("div.rm.f32 %fr, %fa, %fb;", F, {{{ONE, THREE}, 0x3eaaaaaa}, {{MONE, THREE}, 0xbeaaaaab}},
                 "9.7.3.8 div.rm");
    expect_cases("div.rp.f32 %fr, %fa, %fb;", F, {{{ONE, THREE}, 0x3eaaaaab}, {{MONE, THREE}, 0xbeaaaaaa}},
                 "9.7.3.8 div.rp");
    // 9.7.3.14 rcp.rnd
    expect_cases("rcp.rn.f32 %fr, %fa;", F, {{{THREE}, 0x3eaaaaab}, {{0}, PINF}, {{NEG0}, NINF}}, "9.7.3.14 rcp.rn");
    expect_cases("rcp.rz.f32 %fr, %fa;", F, {{{THREE}, 0x3eaaaaaa}}, "9.7.3.14 rcp.rz");
    // 9.7.3.16 sqrt.rnd: sqrt(2) = 1.41421356.. lies between 0x3fb504f3 (1.41421354) and 0x3fb504f4, nearer the first.
    const uint64_t TWO = 0x40000000;
    expect_cases("sqrt.rn.f32 %fr, %fa;", F, {{{TWO}, 0x3fb504f3}, {{MONE}, kNaN32}, {{NEG0}, NEG0}}, "9.7.3.16 sqrt.rn");
    expect_cases("sqrt.rz.f32 %fr, %fa;", F, {{{TWO}, 0x3fb504f3}}, "9.7.3.16 sqrt.rz");
    expect_cases("sqrt.rm.f32 %fr, %fa;", F, {{{TWO}, 0x3fb504f3}}, "9.7.3.16 sqrt.rm");
    expect_cases("sqrt.rp.f32 %fr, %fa;", F, {{{TWO}, 0x3fb504f4}}, "9.7.3.16 sqrt.rp");
}

double ulp_of(float x) {
    x = std::fabs(x);
    return double(std::nextafter(x, std::numeric_limits<float>::infinity())) - double(x);
}

// Runs a unary f32 fragment on `xs` with and without PTXSIM_APPROX_NOISE and
// returns the worst error seen (in the unit `err` computes).
template <class Err>
double worst_error(const std::string& body, const std::vector<float>& xs, bool noise, Err err) {
    if (noise) setenv("PTXSIM_APPROX_NOISE", "1", 1);
    std::vector<In> in;
    for (float x : xs) in.push_back({Fb(x)});
    const auto out = run_body(body, in);
    if (noise) unsetenv("PTXSIM_APPROX_NOISE");
    double worst = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) worst = std::max(worst, err(double(xs[i]), f32(out[i].f)));
    return worst;
}
std::vector<float> sweep(float lo, float hi, int n) {
    std::vector<float> v;
    for (int i = 0; i < n; ++i) v.push_back(lo + (hi - lo) * float(i) / float(n - 1));
    return v;
}

TEST(SemanticsF32, ApproxDivWithinTwoUlp) {
    // 9.7.3.8 div.approx.f32 / div.full.f32: maximum error 2 ulp (|b| in [2^-126, 2^126] for .approx).
    std::vector<In> in;
    std::vector<std::pair<float, float>> ab;
    for (int i = 1; i <= 200; ++i) ab.push_back({float(i) * 0.37f - 11.0f, float(i % 17) * 1.3f + 0.7f});
    for (auto [a, b] : ab) in.push_back({Fb(a), Fb(b)});
    for (const char* form : {"div.approx.f32", "div.full.f32"}) {
        for (bool noise : {false, true}) {
            if (noise) setenv("PTXSIM_APPROX_NOISE", "1", 1);
            const auto out = run_body(std::string(form) + " %fr, %fa, %fb;", in);
            if (noise) unsetenv("PTXSIM_APPROX_NOISE");
            for (std::size_t i = 0; i < ab.size(); ++i) {
                const double exact = double(ab[i].first) / double(ab[i].second);
                EXPECT_LE(std::fabs(double(f32(out[i].f)) - exact), 2 * ulp_of(float(exact)))
                    << form << " " << ab[i].first << "/" << ab[i].second << (noise ? " (noise)" : "");
            }
        }
    }
}

TEST(SemanticsF32, ApproxTranscendentalsWithinIsaBounds) {
    // 9.7.3.21 ex2.approx.f32: max 2 ulp. 9.7.3.20 lg2.approx.f32: abs error 2^-22 on (0.5, 2),
    // relative 2^-22 elsewhere. 9.7.3.18/19 sin/cos.approx.f32: abs error 2^-20.5 on [-2pi, 2pi].
    // 9.7.3.22 tanh.approx.f32: relative error 2^-11.
    const auto ex2_ulps = [](double x, float got) { const double e = std::exp2(x); return std::fabs(got - e) / ulp_of(float(e)); };
    const auto lg2_err = [](double x, float got) {
        const double e = std::log2(x);
        return (x > 0.5 && x < 2) ? std::fabs(got - e) / 0x1p-22 : std::fabs(got - e) / std::fabs(e) / 0x1p-22;
    };
    const auto sin_err = [](double x, float got) { return std::fabs(got - std::sin(x)) / std::pow(2.0, -20.5); };
    const auto cos_err = [](double x, float got) { return std::fabs(got - std::cos(x)) / std::pow(2.0, -20.5); };
    const auto tanh_err = [](double x, float got) {
        const double e = std::tanh(x);
        return e == 0 ? std::fabs(got) : std::fabs(got - e) / std::fabs(e) / 0x1p-11;
    };
    for (bool noise : {false}) {
        EXPECT_LE(worst_error("ex2.approx.f32 %fr, %fa;", sweep(-20, 20, 301), noise, ex2_ulps), 2.0) << "ex2 (ulp)";
        EXPECT_LE(worst_error("lg2.approx.f32 %fr, %fa;", sweep(0.51f, 1.99f, 301), noise, lg2_err), 1.0) << "lg2";
        EXPECT_LE(worst_error("lg2.approx.f32 %fr, %fa;", sweep(2.5f, 1000.0f, 301), noise, lg2_err), 1.0) << "lg2";
        EXPECT_LE(worst_error("sin.approx.f32 %fr, %fa;", sweep(-6.28f, 6.28f, 301), noise, sin_err), 1.0) << "sin";
        EXPECT_LE(worst_error("cos.approx.f32 %fr, %fa;", sweep(-6.28f, 6.28f, 301), noise, cos_err), 1.0) << "cos";
        EXPECT_LE(worst_error("tanh.approx.f32 %fr, %fa;", sweep(-9, 9, 301), noise, tanh_err), 1.0) << "tanh";
    }
    // Corner-case tables of the same sections.
    expect_cases("ex2.approx.f32 %fr, %fa;", F, {{{NINF}, 0}, {{PINF}, PINF}, {{NEG0}, ONE}, {{0}, ONE}, {{NAN32}, kNaN32}},
                 "9.7.3.21 ex2 corner cases");
    expect_cases("lg2.approx.f32 %fr, %fa;", F,
                 {{{NINF}, kNaN32}, {{MONE}, kNaN32}, {{NEG0}, NINF}, {{0}, NINF}, {{PINF}, PINF}, {{NAN32}, kNaN32}},
                 "9.7.3.20 lg2 corner cases");
    expect_cases("sin.approx.f32 %fr, %fa;", F, {{{NINF}, kNaN32}, {{NEG0}, NEG0}, {{0}, 0}, {{PINF}, kNaN32}},
                 "9.7.3.18 sin corner cases");
    expect_cases("cos.approx.f32 %fr, %fa;", F, {{{NINF}, kNaN32}, {{NEG0}, ONE}, {{0}, ONE}, {{PINF}, kNaN32}},
                 "9.7.3.19 cos corner cases");
    expect_cases("tanh.approx.f32 %fr, %fa;", F, {{{NINF}, MONE}, {{NEG0}, NEG0}, {{0}, 0}, {{PINF}, ONE}, {{NAN32}, kNaN32}},
                 "9.7.3.22 tanh corner cases");
}

TEST(SemanticsF32, ApproxNoiseWithinIsaBounds) {
    // BUG: with PTXSIM_APPROX_NOISE=1 (".approx results off by the ISA's maximum error") the injected
    // error exceeds the ISA bounds: ex2 relative noise 2^-22 is up to ~4.5 ulp where the result's
    // mantissa is near 2 (ISA 9.7.3.21: 2 ulp); sin/cos relative 2^-20 of |result| <= 1 exceeds the
    // absolute 2^-20.5 (9.7.3.18/19) by ~1.41x; lg2 absolute 2^-22 plus the f32 rounding of the sum
    // reaches ~1.11 x 2^-22 (9.7.3.20); rsqrt relative 2^-22 exceeds 2^-22.9 (9.7.3.17) by ~2.3x.
    const auto ex2_ulps = [](double x, float got) { const double e = std::exp2(x); return std::fabs(got - e) / ulp_of(float(e)); };
    const auto lg2_err = [](double x, float got) { return std::fabs(got - std::log2(x)) / 0x1p-22; };
    const auto sin_err = [](double x, float got) { return std::fabs(got - std::sin(x)) / std::pow(2.0, -20.5); };
    const auto cos_err = [](double x, float got) { return std::fabs(got - std::cos(x)) / std::pow(2.0, -20.5); };
    const auto tanh_err = [](double x, float got) { const double e = std::tanh(x); return std::fabs(got - e) / std::fabs(e) / 0x1p-11; };
    const auto rsqrt_rel = [](double x, float got) {
        const double e = 1.0 / std::sqrt(x);
        return std::fabs(got - e) / e / std::pow(2.0, -22.9);
    };
    const double ex2_w = worst_error("ex2.approx.f32 %fr, %fa;", sweep(-20, 20, 301), true, ex2_ulps);
    const double lg2_w = worst_error("lg2.approx.f32 %fr, %fa;", sweep(0.51f, 1.99f, 301), true, lg2_err);
    const double sin_w = worst_error("sin.approx.f32 %fr, %fa;", sweep(-6.28f, 6.28f, 301), true, sin_err);
    const double cos_w = worst_error("cos.approx.f32 %fr, %fa;", sweep(-6.28f, 6.28f, 301), true, cos_err);
    const double tanh_w = worst_error("tanh.approx.f32 %fr, %fa;", sweep(-9, 9, 300), true, tanh_err);
    const double rsq_w = worst_error("rsqrt.approx.f32 %fr, %fa;", sweep(1.0f, 4.0f, 400), true, rsqrt_rel);
    std::printf("[ptxsim] PTXSIM_APPROX_NOISE worst error / ISA bound: ex2 %.2f (2 ulp = 1.0: %.2f ulp), lg2 %.2f, "
                "sin %.2f, cos %.2f, tanh %.2f, rsqrt %.2f\n", ex2_w / 2, ex2_w, lg2_w, sin_w, cos_w, tanh_w, rsq_w);
    if (ex2_w > 2.0 || lg2_w > 1.0 || sin_w > 1.0 || cos_w > 1.0 || tanh_w > 1.0 || rsq_w > 1.0)
        SKIP_BUG("PTXSIM_APPROX_NOISE exceeds the ISA error bounds (ops_alu.cpp noise() / h_math)");
    EXPECT_LE(ex2_w, 2.0);
    EXPECT_LE(lg2_w, 1.0);
    EXPECT_LE(sin_w, 1.0);
    EXPECT_LE(cos_w, 1.0);
    EXPECT_LE(tanh_w, 1.0);
    EXPECT_LE(rsq_w, 1.0);
}

TEST(SemanticsF32, CopysignAbsNegOfNaN) {
    // 9.7.3.x copysign d, a, b: the sign of a, the magnitude of b.
    expect_cases("copysign.f32 %fr, %fa, %fb;", F,
                 {{{MONE, 0x40000000}, 0xc0000000}, {{ONE, 0xc0000000}, 0x40000000}, {{NEG0, NAN32}, 0xffc00000}},
                 "copysign.f32");
    expect_cases("copysign.f64 %lr, %la, %lb;", L, {{{Db(-1.0), Db(2.0)}, Db(-2.0)}}, "copysign.f64");
    // 9.7.3.9 abs / 9.7.3.10 neg: NaN in -> a NaN out (payload unspecified); signed zeros flip.
    expect_cases("abs.f32 %fr, %fa;", F, {{{NAN32 | 0x80000000}, kNaN32}, {{NEG0}, 0}, {{NINF}, PINF}}, "9.7.3.9 abs");
    expect_cases("neg.f32 %fr, %fa;", F, {{{NAN32}, kNaN32}, {{0}, NEG0}, {{ONE}, MONE}}, "9.7.3.10 neg");
    expect_cases("abs.ftz.f32 %fr, %fa;", F, {{{0x80000001}, 0}}, "9.7.3.9 abs.ftz");
}

TEST(SemanticsF32, TestpClasses) {
    // 9.7.3.1 testp (ISA 9.1 numbering): finite / infinite / number / notanumber / normal / subnormal.
    const std::vector<In> v = {{ONE}, {PINF}, {NINF}, {NAN32}, {1}, {0x00800000}, {0x7f7fffff}};
    expect_cases("testp.finite.f32 %pr, %fa;", P,
                 {{v[0], 1}, {v[1], 0}, {v[2], 0}, {v[3], 0}, {v[4], 1}, {v[5], 1}, {v[6], 1}}, "testp.finite");
    expect_cases("testp.infinite.f32 %pr, %fa;", P,
                 {{v[0], 0}, {v[1], 1}, {v[2], 1}, {v[3], 0}, {v[4], 0}}, "testp.infinite");
    expect_cases("testp.number.f32 %pr, %fa;", P, {{v[0], 1}, {v[1], 1}, {v[3], 0}}, "testp.number");
    expect_cases("testp.notanumber.f32 %pr, %fa;", P, {{v[0], 0}, {v[3], 1}}, "testp.notanumber");
    expect_cases("testp.normal.f32 %pr, %fa;", P, {{v[0], 1}, {v[1], 0}, {v[3], 0}, {v[5], 1}, {v[6], 1}},
                 "testp.normal");
    expect_cases("testp.subnormal.f32 %pr, %fa;", P, {{v[0], 0}, {v[5], 0}, {v[1], 0}}, "testp.subnormal");
    expect_cases("testp.finite.f64 %pr, %da;", P, {{{Db(1.0)}, 1}, {{Db(INFINITY)}, 0}}, "testp.finite.f64");
}

TEST(SemanticsF32, TestpF32Subnormals) {
    // BUG: testp.normal/.subnormal.f32 classify the operand after widening it to double, where every
    // f32 subnormal is normal: testp.subnormal.f32 0x00000001 -> want 1, got 0; testp.normal.f32
    // 0x00000001 -> want 0, got 1 (ISA testp: "subnormal: True if the input is a subnormal number").
    SKIP_BUG("testp.{normal,subnormal}.f32 classify f32 subnormals as normal (ops_alu.cpp h_testp widens to double)");
    expect_cases("testp.subnormal.f32 %pr, %fa;", P, {{{1}, 1}, {{0x807fffff}, 1}, {{0x00800000}, 0}}, "testp.subnormal");
    expect_cases("testp.normal.f32 %pr, %fa;", P, {{{1}, 0}, {{0x807fffff}, 0}}, "testp.normal");
}

TEST(SemanticsF32, TestpZeroIsNormal) {
    // BUG: ISA 9.7.3.1 testp: "As a special case, positive and negative zero are considered normal
    // numbers." ptxsim uses std::isnormal (false for zero): testp.normal.f32 0.0 -> want 1, got 0;
    // testp.subnormal.f32 0.0 -> 0 (correct either way).
    SKIP_BUG("testp.normal of +-0.0 is false (ops_alu.cpp h_testp uses std::isnormal)");
    expect_cases("testp.normal.f32 %pr, %fa;", P, {{{0}, 1}, {{NEG0}, 1}}, "testp.normal zero");
    expect_cases("testp.normal.f64 %pr, %da;", P, {{{0}, 1}}, "testp.normal.f64 zero");
}

TEST(SemanticsF32, SetpAllComparisonsWithNaN) {
    // 9.7.6.1 setp: ordered comparisons are false with a NaN operand; the u variants are true;
    // num = neither NaN, nan = either NaN.
    const In lt{ONE, 0x40000000}, eq{ONE, ONE}, gt{0x40000000, ONE}, na{NAN32, ONE}, nn{NAN32, NAN32};
    struct Row { const char* op; int lt, eq, gt, nan; };
    const Row rows[] = {{"eq", 0, 1, 0, 0},  {"ne", 1, 0, 1, 0},  {"lt", 1, 0, 0, 0},  {"le", 1, 1, 0, 0},
                        {"gt", 0, 0, 1, 0},  {"ge", 0, 1, 1, 0},  {"equ", 0, 1, 0, 1}, {"neu", 1, 0, 1, 1},
                        {"ltu", 1, 0, 0, 1}, {"leu", 1, 1, 0, 1}, {"gtu", 0, 0, 1, 1}, {"geu", 0, 1, 1, 1},
                        {"num", 1, 1, 1, 0}, {"nan", 0, 0, 0, 1}};
    for (const Row& r : rows) {
        expect_cases(std::string("setp.") + r.op + ".f32 %pr, %fa, %fb;", P,
                     {{lt, uint64_t(r.lt)}, {eq, uint64_t(r.eq)}, {gt, uint64_t(r.gt)}, {na, uint64_t(r.nan)},
                      {nn, uint64_t(r.nan)}},
                     "9.7.6.1 setp.f32");
    }
    // -0 == +0
    expect_cases("setp.eq.f32 %pr, %fa, %fb;", P, {{{NEG0, 0}, 1}}, "9.7.6.1 setp -0 == +0");
    // Integer: signed vs unsigned and lo/ls/hi/hs.
    expect_cases("setp.lt.s32 %pr, %ra, %rb;", P, {{{0xffffffff, 1}, 1}}, "setp.lt.s32");
    expect_cases("setp.lt.u32 %pr, %ra, %rb;", P, {{{0xffffffff, 1}, 0}}, "setp.lt.u32");
    expect_cases("setp.ls.u32 %pr, %ra, %rb;", P, {{{2, 2}, 1}, {{3, 2}, 0}, {{1, 0xffffffff}, 1}}, "setp.ls");
    expect_cases("setp.hs.u32 %pr, %ra, %rb;", P, {{{2, 2}, 1}, {{1, 2}, 0}}, "setp.hs");
    expect_cases("setp.ge.s64 %pr, %la, %lb;", P, {{{0x8000000000000000, 0}, 0}}, "setp.ge.s64");
}

TEST(SemanticsF32, SetpLoHi) {
    // BUG: setp.lo / setp.hi (ISA 9.7.6.1: unsigned <, >) decode as the integer-multiply modifiers
    // .lo / .hi (decode_alu tests mod == "lo"/"hi" before the setp branch), so the comparison becomes
    // C_ne (V_lo = 1) resp. C_lt (V_hi = 2): setp.hi.u32 0xffffffff, 1 -> want 1, got 0;
    // setp.lo.u32 3, 2 -> want 0, got 1. set.lo / set.hi are affected the same way.
    SKIP_BUG("setp.lo / setp.hi decode as ne / lt (ops_alu.cpp decode_alu)");
    expect_cases("setp.lo.u32 %pr, %ra, %rb;", P, {{{1, 0xffffffff}, 1}, {{2, 2}, 0}, {{3, 2}, 0}}, "setp.lo");
    expect_cases("setp.hi.u32 %pr, %ra, %rb;", P, {{{0xffffffff, 1}, 1}, {{2, 2}, 0}, {{1, 2}, 0}}, "setp.hi");
}

TEST(SemanticsF32, SetpBoolCombineWithNegatedPredicate) {
    // 9.7.6.1 setp.CmpOp.BoolOp p|q, a, b, {!}c: p = (a cmp b) BoolOp c', q = !(a cmp b) BoolOp c'.
    // a=1 < b=2 holds; c' = !%pa where %pa = (x != 0).
    expect_cases("setp.lt.and.s32 %pr|%qr, %ra, %rb, !%pa;", P, {{{1, 2, 0, 0}, 1}, {{1, 2, 0, 1}, 0}, {{3, 2, 0, 0}, 0}},
                 "setp.and p");
    expect_cases("setp.lt.and.s32 %pr|%qr, %ra, %rb, !%pa;", Q, {{{1, 2, 0, 0}, 0}, {{1, 2, 0, 1}, 0}, {{3, 2, 0, 0}, 1}},
                 "setp.and q");
    expect_cases("setp.lt.or.s32 %pr|%qr, %ra, %rb, !%pa;", P, {{{3, 2, 0, 1}, 0}, {{3, 2, 0, 0}, 1}}, "setp.or p");
    expect_cases("setp.lt.or.s32 %pr|%qr, %ra, %rb, !%pa;", Q, {{{3, 2, 0, 1}, 1}, {{1, 2, 0, 1}, 0}}, "setp.or q");
    expect_cases("setp.lt.xor.s32 %pr|%qr, %ra, %rb, !%pa;", P, {{{1, 2, 0, 1}, 1}, {{1, 2, 0, 0}, 0}}, "setp.xor p");
    expect_cases("setp.lt.xor.s32 %pr|%qr, %ra, %rb, !%pa;", Q, {{{1, 2, 0, 1}, 0}, {{1, 2, 0, 0}, 1}}, "setp.xor q");
    // 9.7.6.3 selp d, a, b, c: c ? a : b
    expect_cases("selp.b32 %rr, %ra, %rb, %pa;", R, {{{7, 9, 0, 1}, 7}, {{7, 9, 0, 0}, 9}}, "selp.b32");
    expect_cases("selp.f32 %fr, %fa, %fb, %pa;", F, {{{ONE, MONE, 0, 0}, MONE}}, "selp.f32");
    expect_cases("selp.b64 %lr, %la, %lb, %pa;", L, {{{~0ull, 5, 0, 1}, ~0ull}}, "selp.b64");
}

// ===========================================================================
// cvt (ISA 9.7.9.21)
// ===========================================================================
constexpr uint64_t kNaNBF16 = 0xA5A5'0000'0000'7fc1ull;  // any bf16 NaN (field H)
void expect_bf16(const std::string& body, const std::vector<Case>& cases, const char* cite) {
    std::vector<In> in;
    for (const auto& c : cases) in.push_back(c.in);
    const auto out = run_body(body, in);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const uint16_t g = out[i].h;
        if (cases[i].want == kNaNBF16)
            EXPECT_TRUE((g & 0x7f80) == 0x7f80 && (g & 0x7f) != 0) << cite << " case " << i << std::hex << " got 0x" << g;
        else
            EXPECT_EQ(g, cases[i].want) << cite << " " << body << " case " << i;
    }
}

TEST(SemanticsCvt, F32ToF16AllRoundings) {
    // f16 has 10 fraction bits: 1 + 2^-11 is a tie (-> 1.0, even), 1 + 3*2^-11 a tie (-> 1 + 2^-9,
    // even), 1 + 2^-11 + 2^-20 above the tie. 65520 ties between 65504 and 2^16 -> even = inf.
    // Directed modes never round a finite value to inf away from their direction.
    const uint64_t T1 = 0x3f801000, T3 = 0x3f803000, AB = 0x3f801008, nAB = 0xbf801008, BIG = 0x49742400 /*1e6*/,
                   nBIG = 0xc9742400, M65520 = 0x477ff000;
    expect_cases("cvt.rn.f16.f32 %hr, %fa;", H,
                 {{{ONE}, 0x3c00},
                  {{T1}, 0x3c00},
                  {{T3}, 0x3c02},
                  {{AB}, 0x3c01},
                  {{M65520}, 0x7c00},
                  {{BIG}, 0x7c00},
                  {{0x33800000}, 0x0001},  // 2^-24: smallest subnormal
                  {{0x33000000}, 0x0000},  // 2^-25: tie -> even 0
                  {{0x33400000}, 0x0001},  // 0.75 * 2^-24
                  {{NAN32}, kNaN16},
                  {{NINF}, 0xfc00}},
                 "9.7.9.21 cvt.rn.f16.f32");
    expect_cases("cvt.rz.f16.f32 %hr, %fa;", H,
                 {{{T3}, 0x3c01}, {{M65520}, 0x7bff}, {{BIG}, 0x7bff}, {{nBIG}, 0xfbff}, {{nAB}, 0xbc00}},
                 "9.7.9.21 cvt.rz.f16.f32");
    expect_cases("cvt.rm.f16.f32 %hr, %fa;", H, {{{T3}, 0x3c01}, {{BIG}, 0x7bff}, {{nBIG}, 0xfc00}, {{nAB}, 0xbc01}},
                 "9.7.9.21 cvt.rm.f16.f32");
    expect_cases("cvt.rp.f16.f32 %hr, %fa;", H,
                 {{{T3}, 0x3c02}, {{0x33000000}, 0x0001}, {{nBIG}, 0xfbff}, {{BIG}, 0x7c00}, {{nAB}, 0xbc00}},
                 "9.7.9.21 cvt.rp.f16.f32");
    expect_cases("cvt.rn.satfinite.f16.f32 %hr, %fa;", H,
                 {{{BIG}, 0x7bff}, {{nBIG}, 0xfbff}, {{PINF}, 0x7bff}, {{NAN32}, kNaN16}}, "9.7.9.21 .satfinite");
    expect_cases("cvt.rn.relu.f16.f32 %hr, %fa;", H, {{{0xc0000000}, 0}, {{0x40000000}, 0x4000}, {{NAN32}, kNaN16}},
                 "9.7.9.21 .relu");
}

TEST(SemanticsCvt, F32ToBf16) {
    // bf16 keeps 7 fraction bits: 1 + 2^-8 ties -> 1.0; 1 + 3*2^-8 ties -> 0x3f82 (even); FLT_MAX rn -> inf.
    expect_bf16("cvt.rn.bf16.f32 %hr, %fa;",
                {{{0x3f808000}, 0x3f80}, {{0x3f818000}, 0x3f82}, {{0x3f808001}, 0x3f81}, {{0x7f7fffff}, 0x7f80},
                 {{NAN32}, kNaNBF16}, {{NINF}, 0xff80}},
                "9.7.9.21 cvt.rn.bf16.f32");
    expect_bf16("cvt.rz.bf16.f32 %hr, %fa;", {{{0x3f818000}, 0x3f81}, {{0x7f7fffff}, 0x7f7f}, {{0xbf81ffff}, 0xbf81}},
                "9.7.9.21 cvt.rz.bf16.f32");
    expect_bf16("cvt.rn.satfinite.bf16.f32 %hr, %fa;", {{{0x7f7fffff}, 0x7f7f}, {{PINF}, 0x7f7f}, {{NINF}, 0xff7f}},
                "9.7.9.21 cvt.rn.satfinite.bf16.f32");
    expect_bf16("cvt.rn.relu.bf16.f32 %hr, %fa;", {{{MONE}, 0}, {{ONE}, 0x3f80}}, "9.7.9.21 cvt.rn.relu.bf16.f32");
}

TEST(SemanticsCvt, HalfToF32) {
    expect_cases("cvt.f32.f16 %fr, %ha;", F,
                 {{{0x3c00}, ONE}, {{0x0001}, 0x33800000}, {{0x03ff}, 0x387fc000}, {{0x7c00}, PINF}, {{0xfc00}, NINF},
                  {{0x7e00}, kNaN32}, {{0x8000}, NEG0}},
                 "9.7.9.21 cvt.f32.f16");
    expect_cases("cvt.f32.bf16 %fr, %ha;", F, {{{0x3f80}, ONE}, {{0xff80}, NINF}, {{0x0001}, 0x00010000}},
                 "9.7.9.21 cvt.f32.bf16");
}

TEST(SemanticsCvt, PackedHalvesAGoesToUpper) {
    // cvt.rn.f16x2.f32 d, a, b: d = {cvt(a) << 16 | cvt(b)} (a -> upper half).
    expect_cases("cvt.rn.f16x2.f32 %rr, %fa, %fb;", R, {{{ONE, 0x40000000}, 0x3c004000}}, "9.7.9.21 cvt.rn.f16x2.f32");
    expect_cases("cvt.rn.bf16x2.f32 %rr, %fa, %fb;", R, {{{ONE, 0xc0000000}, 0x3f80c000}}, "9.7.9.21 cvt.rn.bf16x2.f32");
    expect_cases("cvt.rn.relu.f16x2.f32 %rr, %fa, %fb;", R, {{{MONE, 0x40400000}, 0x00004200}}, "cvt.rn.relu.f16x2.f32");
    expect_cases("cvt.rn.satfinite.f16x2.f32 %rr, %fa, %fb;", R, {{{0x49742400, 0xc9742400}, 0x7bfffbff}},
                 "cvt.rn.satfinite.f16x2.f32");
}

TEST(SemanticsCvt, Fp8PackAndUnpack) {
    // e4m3 (bias 7, 3 mantissa bits, max 448 = 0x7e, NaN 0x7f/0xff, no inf); e5m2 (bias 15, max 57344 = 0x7b).
    // cvt.rn.satfinite.e4m3x2.f32 d, a, b: a -> upper byte; .satfinite clamps |x| > max (and inf) to max.
    expect_cases("cvt.rn.satfinite.e4m3x2.f32 %hr, %fa, %fb;", H,
                 {{{ONE, 0x40000000}, 0x3840},
                  {{0xbfc00000, 0x43e00000}, 0xbc7e},   // -1.5, 448
                  {{0x447a0000, 0xc47a0000}, 0x7efe},   // 1000, -1000 saturate
                  {{PINF, NAN32}, 0x7e7f},              // inf -> max, NaN -> 0x7f
                  {{0x3b000000, 0x3a800000}, 0x0100},   // 2^-9 (min subnormal), 2^-10 ties to 0
                  {{0x3b400000, 0x3f880000}, 0x0238},   // 1.5 * 2^-9 ties to 2 * 2^-9; 1 + 1/16 ties to 1.0
                  {{0x3f980000, 0x43e80000}, 0x3a7e}},  // 1 + 3/16 ties to 1.25; 464 -> 448
                 "9.7.9.21 cvt.rn.satfinite.e4m3x2.f32");
    expect_cases("cvt.rn.satfinite.e5m2x2.f32 %hr, %fa, %fb;", H,
                 {{{ONE, 0x47600000}, 0x3c7b}, {{0x49742400, PINF}, 0x7b7b}, {{0x37800000, 0}, 0x0100}},
                 "9.7.9.21 cvt.rn.satfinite.e5m2x2.f32");
    {
        const auto o = run_body("cvt.rn.satfinite.e5m2x2.f32 %hr, %fa, %fb;", {{NAN32, ONE}});
        const uint32_t hi = o[0].h >> 8;
        EXPECT_TRUE((hi & 0x7c) == 0x7c && (hi & 3) != 0) << std::hex << o[0].h;
        EXPECT_EQ(o[0].h & 0xff, 0x3c);
    }
    // cvt.rn.f16x2.e4m3x2 d, a: upper byte of a -> upper half of d.
    expect_cases("cvt.rn.f16x2.e4m3x2 %rr, %ha;", R,
                 {{{0x3840}, 0x3c004000},
                  {{0x7e01}, 0x5f001800},   // 448, 2^-9
                  {{0x0701}, 0x23001800},   // 7 * 2^-9 = 1.75 * 2^-7
                  {{0x8000}, 0x80000000}},  // -0, +0
                 "9.7.9.21 cvt.rn.f16x2.e4m3x2");
    {
        const auto o = run_body("cvt.rn.f16x2.e4m3x2 %rr, %ha;", {{0x7f38}});
        EXPECT_TRUE(matches(o[0].r >> 16, kNaN16)) << std::hex << o[0].r;
        EXPECT_EQ(o[0].r & 0xffff, 0x3c00u);
    }
    expect_cases("cvt.rn.f16x2.e5m2x2 %rr, %ha;", R, {{{0x7c3c}, 0x7c003c00}, {{0x0180}, 0x01008000}},
                 "9.7.9.21 cvt.rn.f16x2.e5m2x2");
}

TEST(SemanticsCvt, FloatToIntRoundingNaNSaturation) {
    // Float -> integer: .rni/.rzi/.rmi/.rpi round to integral; NaN -> 0; out of range saturates
    // (cvt to an integer type always saturates, ISA 9.7.9.21 "saturation modifier ... implied").
    expect_cases("cvt.rni.s32.f32 %rr, %fa;", R,
                 {{{0x40200000}, 2},            // 2.5 -> 2 (even)
                  {{0x40600000}, 4},            // 3.5 -> 4
                  {{0xc0200000}, 0xfffffffe},   // -2.5 -> -2
                  {{NAN32}, 0},
                  {{0x4f32d05e}, 0x7fffffff},   // 3e9
                  {{0xcf32d05e}, 0x80000000},   // -3e9
                  {{0x4effffff}, 0x7fffff80},   // 2147483520
                  {{0x4f000000}, 0x7fffffff},   // 2^31
                  {{PINF}, 0x7fffffff},
                  {{NINF}, 0x80000000}},
                 "9.7.9.21 cvt.rni.s32.f32");
    expect_cases("cvt.rzi.s32.f32 %rr, %fa;", R, {{{0xc02ccccd}, 0xfffffffe}, {{0x402ccccd}, 2}}, "cvt.rzi.s32.f32");
    expect_cases("cvt.rmi.s32.f32 %rr, %fa;", R, {{{0xc00ccccd}, 0xfffffffd}, {{0x400ccccd}, 2}}, "cvt.rmi.s32.f32");
    expect_cases("cvt.rpi.s32.f32 %rr, %fa;", R, {{{0x400ccccd}, 3}, {{0xc00ccccd}, 0xfffffffe}}, "cvt.rpi.s32.f32");
    expect_cases("cvt.rzi.u32.f32 %rr, %fa;", R,
                 {{{MONE}, 0}, {{0x4f9502f9}, 0xffffffff}, {{PINF}, 0xffffffff}, {{NAN32}, 0}, {{0xbf000000}, 0}},
                 "cvt.rzi.u32.f32");
    expect_cases("cvt.rzi.s64.f32 %lr, %fa;", L,
                 {{{0x5f0ac723}, 0x7fffffffffffffff}, {{0xdf0ac723}, 0x8000000000000000}, {{NAN32}, 0},
                  {{0xc0200000}, 0xfffffffffffffffe}},
                 "cvt.rzi.s64.f32");
    expect_cases("cvt.rzi.u64.f32 %lr, %fa;", L,
                 {{{0x5f8ac723}, ~0ull}, {{0x5f800000}, ~0ull}, {{0x5f7fffff}, 0xffffff0000000000}, {{MONE}, 0}},
                 "cvt.rzi.u64.f32");
    expect_cases("cvt.rni.s32.f64 %rr, %da;", R, {{{Db(-2.5)}, 0xfffffffe}, {{Db(1e10)}, 0x7fffffff}}, "cvt.rni.s32.f64");
}

TEST(SemanticsCvt, IntToF32Rounding) {
    // 2^24 + 1 ties between 2^24 and 2^24 + 2 (-> even 2^24); 2^24 + 3 ties -> 2^24 + 4.
    expect_cases("cvt.rn.f32.u32 %fr, %ra;", F, {{{16777217}, 0x4b800000}, {{16777219}, 0x4b800002}, {{0xffffffff}, 0x4f800000}},
                 "cvt.rn.f32.u32");
    expect_cases("cvt.rz.f32.u32 %fr, %ra;", F, {{{16777219}, 0x4b800001}, {{0xffffffff}, 0x4f7fffff}}, "cvt.rz.f32.u32");
    expect_cases("cvt.rp.f32.u32 %fr, %ra;", F, {{{16777217}, 0x4b800001}}, "cvt.rp.f32.u32");
    expect_cases("cvt.rm.f32.u32 %fr, %ra;", F, {{{16777217}, 0x4b800000}}, "cvt.rm.f32.u32");
    expect_cases("cvt.rn.f32.s32 %fr, %ra;", F, {{{0xfeffffff}, 0xcb800000}}, "cvt.rn.f32.s32");
    expect_cases("cvt.rm.f32.s32 %fr, %ra;", F, {{{0xfeffffff}, 0xcb800001}}, "cvt.rm.f32.s32");
    expect_cases("cvt.rp.f32.s32 %fr, %ra;", F, {{{0xfeffffff}, 0xcb800000}}, "cvt.rp.f32.s32");
    // 64-bit: 2^63 + 2^39 ties between 2^63 and 2^63 + 2^40.
    expect_cases("cvt.rn.f32.u64 %fr, %la;", F,
                 {{{~0ull}, 0x5f800000}, {{0x8000008000000000}, 0x5f000000}, {{0x8000008000000001}, 0x5f000001},
                  {{0xFFFFFF8000000000}, 0x5f800000}},
                 "cvt.rn.f32.u64");
    expect_cases("cvt.rz.f32.u64 %fr, %la;", F, {{{0x8000008000000001}, 0x5f000000}, {{0xFFFFFF8000000001}, 0x5f7fffff}},
                 "cvt.rz.f32.u64");
    expect_cases("cvt.rp.f32.u64 %fr, %la;", F, {{{~0ull}, 0x5f800000}, {{0x8000008000000001}, 0x5f000001}},
                 "cvt.rp.f32.u64");
    expect_cases("cvt.rn.f32.s64 %fr, %la;", F, {{{0x7fffffffffffffff}, 0x5f000000}, {{0x8000000000000000}, 0xdf000000}},
                 "cvt.rn.f32.s64");
    expect_cases("cvt.rz.f32.s64 %fr, %la;", F, {{{0x7fffffffffffffff}, 0x5effffff}, {{0x8000000000000001}, 0xdeffffff}},
                 "cvt.rz.f32.s64");
    expect_cases("cvt.rm.f32.s64 %fr, %la;", F, {{{0x8000000000000001}, 0xdf000000}}, "cvt.rm.f32.s64");
}

TEST(SemanticsCvt, U64NearTwoTo64DirectedRounding) {
    // BUG: cvt.rz/.rm.f32.u64 of values above 1.8e19 whose double conversion rounds up to 2^64:
    // 0xffffffffffffffff (= 2^64 - 1) must round toward zero to 0x5f7fffff (2^64 - 2^40), ptxsim
    // returns 0x5f800000 (2^64): h_cvt treats the residual as 0 when dv > 1.8e19.
    SKIP_BUG("cvt.rz/rm.f32.u64 of 2^64-1 gives 2^64 (ops_alu.cpp h_cvt residual dropped above 1.8e19)");
    expect_cases("cvt.rz.f32.u64 %fr, %la;", F, {{{~0ull}, 0x5f7fffff}, {{0xFFFFFFFFFFFFF000}, 0x5f7fffff}},
                 "cvt.rz.f32.u64");
    expect_cases("cvt.rm.f32.u64 %fr, %la;", F, {{{~0ull}, 0x5f7fffff}}, "cvt.rm.f32.u64");
}

TEST(SemanticsCvt, IntToIntExtendTruncateSaturate) {
    // Integer -> integer: the source is read at its type (sign- or zero-extended by the source type),
    // then truncated to the destination; .sat clamps to the destination range.
    expect_cases("cvt.s32.s8 %rr, %ra;", R, {{{0x80}, 0xffffff80}, {{0x17f}, 0x7f}}, "cvt.s32.s8");
    expect_cases("cvt.u32.u8 %rr, %ra;", R, {{{0x180}, 0x80}}, "cvt.u32.u8");
    expect_cases("cvt.s32.s16 %rr, %ra;", R, {{{0x8000}, 0xffff8000}}, "cvt.s32.s16");
    expect_cases("cvt.u16.u32 %hr, %ra;", H, {{{0x12345678}, 0x5678}}, "cvt.u16.u32");
    expect_cases("cvt.s64.s32 %lr, %ra;", L, {{{0xffffffff}, ~0ull}}, "cvt.s64.s32");
    expect_cases("cvt.u64.u32 %lr, %ra;", L, {{{0xffffffff}, 0xffffffff}}, "cvt.u64.u32");
    expect_cases("cvt.u64.s32 %lr, %ra;", L, {{{0xffffffff}, ~0ull}}, "cvt.u64.s32 (sign-extends by source type)");
    expect_cases("cvt.s64.u32 %lr, %ra;", L, {{{0xffffffff}, 0xffffffff}}, "cvt.s64.u32");
    expect_cases("cvt.u32.u64 %rr, %la;", R, {{{0x123456789}, 0x23456789}}, "cvt.u32.u64");
    expect_cases("cvt.sat.s8.s32 %rr, %ra; and.b32 %rr, %rr, 0xff;", R, {{{300}, 0x7f}, {{0xfffffed4}, 0x80}, {{5}, 5}},
                 "cvt.sat.s8.s32");
    expect_cases("cvt.sat.u8.s32 %rr, %ra; and.b32 %rr, %rr, 0xff;", R, {{{0xfffffffb}, 0}, {{300}, 0xff}},
                 "cvt.sat.u8.s32");
    expect_cases("cvt.sat.u32.s32 %rr, %ra;", R, {{{0xffffffff}, 0}}, "cvt.sat.u32.s32");
    expect_cases("cvt.sat.s32.u32 %rr, %ra;", R, {{{0xffffffff}, 0x7fffffff}}, "cvt.sat.s32.u32");
    expect_cases("cvt.sat.s32.s64 %rr, %la;", R, {{{0x100000000}, 0x7fffffff}, {{0xffffffff00000000}, 0x80000000}},
                 "cvt.sat.s32.s64");
    expect_cases("cvt.sat.u16.u64 %hr, %la;", H, {{{0x10000}, 0xffff}}, "cvt.sat.u16.u64");
    expect_cases("cvt.sat.u64.s64 %lr, %la;", L, {{{~0ull}, 0}}, "cvt.sat.u64.s64");
    expect_cases("cvt.sat.s64.u64 %lr, %la;", L, {{{~0ull}, 0x7fffffffffffffff}}, "cvt.sat.s64.u64");
    const auto o = run_body("cvt.s8.s32 %rr, %ra;", {{0x1ff}});
    std::printf("[ptxsim] cvt.s8.s32 of 0x1ff into a .b32 register: 0x%08x\n", o[0].r);
}

TEST(SemanticsCvt, FloatToFloat) {
    expect_cases("cvt.rni.f32.f32 %fr, %fa;", F,
                 {{{0x40200000}, 0x40000000}, {{0x40600000}, 0x40800000}, {{NAN32}, kNaN32}, {{0xbf000000}, NEG0}},
                 "cvt.rni.f32.f32");
    expect_cases("cvt.rzi.f32.f32 %fr, %fa;", F, {{{0xc02ccccd}, 0xc0000000}}, "cvt.rzi.f32.f32");
    expect_cases("cvt.rmi.f32.f32 %fr, %fa;", F, {{{0xbf000000}, MONE}}, "cvt.rmi.f32.f32");
    expect_cases("cvt.rpi.f32.f32 %fr, %fa;", F, {{{0xbf000000}, NEG0}, {{0x3e4ccccd}, ONE}}, "cvt.rpi.f32.f32");
    expect_cases("cvt.ftz.f32.f32 %fr, %fa;", F, {{{1}, 0}, {{0x80000001}, NEG0}}, "cvt.ftz.f32.f32");
    expect_cases("cvt.sat.f32.f32 %fr, %fa;", F, {{{0x3fc00000}, ONE}, {{NAN32}, 0}, {{MONE}, 0}}, "cvt.sat.f32.f32");
    const double just_above = 1.0 + 0x1p-24 + 0x1p-40;
    expect_cases("cvt.rn.f32.f64 %fr, %da;", F, {{{Db(just_above)}, 0x3f800001}, {{Db(1e300)}, PINF}}, "cvt.rn.f32.f64");
    expect_cases("cvt.rz.f32.f64 %fr, %da;", F, {{{Db(just_above)}, ONE}, {{Db(1e300)}, 0x7f7fffff}}, "cvt.rz.f32.f64");
    expect_cases("cvt.f64.f32 %dr, %fa; mov.b64 %lr, %dr;", L, {{{1}, Db(0x1p-149)}}, "cvt.f64.f32");
}

// ===========================================================================
// Memory (ISA 9.7.9.8 ld, 9.7.9.10 st, 9.7.13.5 atom, 9.7.13.6 red, 9.7.9.19 cvta, 9.7.9.20 isspacep)
// ===========================================================================
TEST(SemanticsMemory, LdStEveryWidthAndVectors) {
    // Input byte i = 0x80 + i. ld.s8/.s16 sign-extend into the wider register (ISA 6.4.x operand size
    // rules); ld.u* zero-extend; vectors load consecutive elements, element 0 at the lowest address.
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pin, .param .u64 pout)
{
    .reg .b64 %a, %o, %l<4>;
    .reg .b32 %r<16>;
    .reg .b16 %h<8>;
    ld.param.u64 %a, [pin];
    ld.param.u64 %o, [pout];
    ld.global.u8 %r0, [%a];
    ld.global.s8 %r1, [%a];
    ld.global.u16 %r2, [%a+2];
    ld.global.s16 %r3, [%a+2];
    ld.global.u32 %r4, [%a+4];
    ld.global.u64 %l0, [%a+8];
    ld.global.v2.u32 {%r5, %r6}, [%a+8];
    ld.global.v4.u32 {%r7, %r8, %r9, %r10}, [%a+16];
    ld.global.v2.u64 {%l1, %l2}, [%a+16];
    ld.global.v4.u16 {%h0, %h1, %h2, %h3}, [%a+32];
    ld.global.s8 %h4, [%a+1];
    st.global.u32 [%o], %r0;
    st.global.u32 [%o+8], %r1;
    st.global.u32 [%o+16], %r2;
    st.global.u32 [%o+24], %r3;
    st.global.u32 [%o+32], %r4;
    st.global.u64 [%o+40], %l0;
    st.global.u32 [%o+48], %r5;
    st.global.u32 [%o+56], %r6;
    st.global.u32 [%o+64], %r7;
    st.global.u32 [%o+72], %r10;
    st.global.u64 [%o+80], %l1;
    st.global.u64 [%o+88], %l2;
    st.global.u16 [%o+96], %h0;
    st.global.u16 [%o+104], %h3;
    st.global.u16 [%o+112], %h4;
    st.global.u8 [%o+120], %r4;
    st.global.u16 [%o+128], %r4;
    st.global.v4.u32 [%o+144], {%r7, %r8, %r9, %r10};
    st.global.v2.u64 [%o+160], {%l1, %l2};
    st.global.v4.u16 [%o+176], {%h0, %h1, %h2, %h3};
    ret;
}
)";
    DevBuf in(64), out(256);
    for (int i = 0; i < 64; ++i) in.p[i] = uint8_t(0x80 + i);
    const LaunchResult r = run_ptx(ptx, {in.addr(), out.addr()}, Geometry{{1, 1, 1}, {1, 1, 1}});
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    const uint64_t* o = out.as<uint64_t>();
    EXPECT_EQ(o[0], 0x80u);
    EXPECT_EQ(o[1], 0xffffff80u);
    EXPECT_EQ(o[2], 0x8382u);
    EXPECT_EQ(o[3], 0xffff8382u);
    EXPECT_EQ(o[4], 0x87868584u);
    EXPECT_EQ(o[5], 0x8f8e8d8c8b8a8988u);
    EXPECT_EQ(o[6], 0x8b8a8988u);
    EXPECT_EQ(o[7], 0x8f8e8d8cu);
    EXPECT_EQ(o[8], 0x93929190u);
    EXPECT_EQ(o[9], 0x9f9e9d9cu);
    EXPECT_EQ(o[10], 0x9796959493929190u);
    EXPECT_EQ(o[11], 0x9f9e9d9c9b9a9998u);
    EXPECT_EQ(o[12], 0xa1a0u);
    EXPECT_EQ(o[13], 0xa7a6u);
    EXPECT_EQ(o[14], 0xff81u);
    EXPECT_EQ(o[15], 0x84u);    // st.u8 stores the low byte only
    EXPECT_EQ(o[16], 0x8584u);  // st.u16 the low half
    EXPECT_EQ(std::memcmp(out.p + 144, in.p + 16, 16), 0);
    EXPECT_EQ(std::memcmp(out.p + 160, in.p + 16, 16), 0);
    EXPECT_EQ(std::memcmp(out.p + 176, in.p + 32, 8), 0);
}

TEST(SemanticsMemory, LdParamStructAtOffsets) {
    // A .b8 array parameter read at byte offsets with ld.param (ISA 5.1.6.1 kernel parameters).
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pout, .param .align 8 .b8 sp[24])
{
    .reg .b64 %o, %l1;
    .reg .b32 %r<8>;
    ld.param.u64 %o, [pout];
    ld.param.u32 %r1, [sp+4];
    ld.param.u64 %l1, [sp+8];
    ld.param.u8 %r2, [sp+16];
    ld.param.s8 %r3, [sp+17];
    ld.param.v2.u32 {%r4, %r5}, [sp];
    st.global.u32 [%o], %r1;
    st.global.u64 [%o+8], %l1;
    st.global.u32 [%o+16], %r2;
    st.global.u32 [%o+24], %r3;
    st.global.u32 [%o+32], %r4;
    st.global.u32 [%o+40], %r5;
    ret;
}
)";
    DevBuf out(64);
    std::vector<uint8_t> params(32, 0);
    const uint64_t o = out.addr();
    std::memcpy(params.data(), &o, 8);
    const uint32_t w0 = 0x11111111, w1 = 0x22222222;
    const uint64_t q = 0x3333333344444444;
    std::memcpy(params.data() + 8, &w0, 4);
    std::memcpy(params.data() + 12, &w1, 4);
    std::memcpy(params.data() + 16, &q, 8);
    params[24] = 0x7e;
    params[25] = 0x9c;
    const LaunchResult r = run_raw(ptx, params, Geometry{{1, 1, 1}, {1, 1, 1}});
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    const uint64_t* v = out.as<uint64_t>();
    EXPECT_EQ(v[0], w1);
    EXPECT_EQ(v[1], q);
    EXPECT_EQ(v[2], 0x7eu);
    EXPECT_EQ(v[3], 0xffffff9cu);
    EXPECT_EQ(v[4], w0);
    EXPECT_EQ(v[5], w1);
}

TEST(SemanticsMemory, GenericAddressingSharedLocalIsspacep) {
    // cvta.shared / cvta.local produce generic addresses usable by generic ld/st; isspacep tells the
    // windows apart; cvta.to.shared inverts cvta.shared (ISA 9.7.9.19/20, 5.1.6 generic addressing).
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pout)
{
    .reg .b64 %o, %g, %s, %s2, %lcl, %gl, %t;
    .reg .b32 %r<12>;
    .reg .pred %p<8>;
    .shared .align 8 .b8 sm[256];
    .local .align 8 .b8 __local_depot0[32];
    ld.param.u64 %o, [pout];
    mov.u32 %r0, %tid.x;
    mul.wide.u32 %t, %r0, 64;
    add.s64 %o, %o, %t;
    mov.u64 %s, sm;
    cvta.shared.u64 %g, %s;
    mul.wide.u32 %t, %r0, 4;
    add.s64 %g, %g, %t;
    add.u32 %r1, %r0, 1000;
    st.u32 [%g], %r1;
    bar.sync 0;
    xor.b32 %r2, %r0, 1;
    shl.b32 %r2, %r2, 2;
    mov.u32 %r3, sm;
    add.u32 %r3, %r3, %r2;
    ld.shared.u32 %r4, [%r3];
    mov.u64 %lcl, __local_depot0;
    cvta.local.u64 %gl, %lcl;
    mul.lo.u32 %r5, %r0, 3;
    st.u32 [%gl+4], %r5;
    ld.local.u32 %r6, [%lcl+4];
    st.local.u32 [__local_depot0+8], %r1;
    ld.u32 %r7, [%gl+8];
    isspacep.shared %p1, %g;
    isspacep.local %p2, %gl;
    isspacep.global %p3, %o;
    isspacep.shared %p4, %o;
    isspacep.global %p5, %g;
    isspacep.local %p6, %g;
    cvta.to.shared.u64 %s2, %g;
    sub.s64 %s2, %s2, %t;
    setp.eq.u64 %p7, %s2, %s;
    st.global.u32 [%o], %r4;
    st.global.u32 [%o+4], %r6;
    st.global.u32 [%o+8], %r7;
    selp.u32 %r8, 1, 0, %p1;
    st.global.u32 [%o+12], %r8;
    selp.u32 %r8, 1, 0, %p2;
    st.global.u32 [%o+16], %r8;
    selp.u32 %r8, 1, 0, %p3;
    st.global.u32 [%o+20], %r8;
    selp.u32 %r8, 1, 0, %p4;
    st.global.u32 [%o+24], %r8;
    selp.u32 %r8, 1, 0, %p5;
    st.global.u32 [%o+28], %r8;
    selp.u32 %r8, 1, 0, %p6;
    st.global.u32 [%o+32], %r8;
    selp.u32 %r8, 1, 0, %p7;
    st.global.u32 [%o+36], %r8;
    ret;
}
)";
    DevBuf out(64 * 32);
    const LaunchResult r = run_ptx(ptx, {out.addr()}, Geometry{});
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    for (uint32_t t = 0; t < 32; ++t) {
        const uint32_t* v = reinterpret_cast<uint32_t*>(out.p + 64 * t);
        EXPECT_EQ(v[0], (t ^ 1) + 1000) << t;  // the neighbour's generic store, read through ld.shared
        EXPECT_EQ(v[1], 3 * t) << t;           // generic store to local, ld.local
        EXPECT_EQ(v[2], t + 1000) << t;        // st.local, generic load
        EXPECT_EQ(v[3], 1u);
        EXPECT_EQ(v[4], 1u);
        EXPECT_EQ(v[5], 1u);
        EXPECT_EQ(v[6], 0u);
        EXPECT_EQ(v[7], 0u);
        EXPECT_EQ(v[8], 0u);
        EXPECT_EQ(v[9], 1u);
    }
}

std::string atom_kernel() {
    return std::string(kHead) + R"(
.visible .entry k(.param .u64 pg, .param .u64 pold)
{
    .reg .b64 %g, %o, %t, %l<8>;
    .reg .b32 %r<24>, %tid;
    .reg .f32 %f<4>;
    .reg .pred %p<4>;
    .shared .align 8 .b8 sm[64];
    ld.param.u64 %g, [pg];
    ld.param.u64 %o, [pold];
    mov.u32 %tid, %tid.x;
    mul.wide.u32 %t, %tid, 16;
    add.s64 %o, %o, %t;
    setp.ne.u32 %p1, %tid, 0;
    @%p1 bra $Linit_done;
    mov.u32 %r0, 0;
    st.shared.u32 [sm], %r0;
    st.shared.u32 [sm+4], %r0;
    mov.u64 %l0, 0;
    st.shared.u64 [sm+8], %l0;
    st.shared.u32 [sm+16], %r0;
    st.shared.u32 [sm+20], %r0;
    st.shared.u32 [sm+24], %r0;
    st.shared.u32 [sm+28], %r0;
$Linit_done:
    bar.sync 0;
    atom.global.add.u32 %r1, [%g], 1;
    add.u32 %r2, %tid, 1;
    cvt.u64.u32 %l1, %r2;
    atom.global.add.u64 %l2, [%g+8], %l1;
    atom.global.add.f32 %f1, [%g+16], 0f3F800000;
    sub.s32 %r3, %tid, 32;
    atom.global.min.s32 %r4, [%g+20], %r3;
    atom.global.max.s32 %r4, [%g+24], %r3;
    add.u32 %r5, %tid, 5;
    atom.global.min.u32 %r4, [%g+28], %r5;
    atom.global.max.u32 %r4, [%g+32], %r3;
    atom.global.inc.u32 %r4, [%g+36], 9;
    atom.global.dec.u32 %r4, [%g+40], 9;
    and.b32 %r6, %tid, 31;
    shl.b32 %r7, 1, %r6;
    not.b32 %r8, %r7;
    atom.global.and.b32 %r4, [%g+44], %r8;
    atom.global.or.b32 %r4, [%g+48], %r7;
    atom.global.xor.b32 %r4, [%g+52], %r7;
    atom.global.exch.b32 %r9, [%g+56], %tid;
    add.u32 %r10, %tid, 100;
    atom.global.cas.b32 %r11, [%g+60], 0, %r10;
    red.global.add.u32 [%g+64], 2;
    red.global.max.s32 [%g+68], %r3;
    red.global.add.f32 [%g+72], 0f3F000000;
    atom.global.max.u64 %l3, [%g+80], %l1;
    atom.global.min.s64 %l3, [%g+88], %l1;
    atom.global.exch.b64 %l3, [%g+96], %l1;
    atom.shared.add.u32 %r12, [sm], 1;
    atom.shared.add.u64 %l4, [sm+8], %l1;
    atom.shared.exch.b32 %r13, [sm+4], %tid;
    atom.shared.cas.b32 %r14, [sm+16], 0, %r10;
    atom.shared.min.s32 %r15, [sm+20], %r3;
    atom.shared.add.f32 %f2, [sm+24], 0f40000000;
    red.shared.add.u32 [sm+28], 3;
    st.global.u32 [%o], %r1;
    st.global.u32 [%o+4], %r9;
    st.global.u32 [%o+8], %r11;
    st.global.u32 [%o+12], %r12;
    bar.sync 0;
    @%p1 bra $Lend;
    ld.shared.u32 %r16, [sm];
    st.global.u32 [%g+128], %r16;
    ld.shared.u64 %l5, [sm+8];
    st.global.u64 [%g+136], %l5;
    ld.shared.u32 %r16, [sm+4];
    st.global.u32 [%g+144], %r16;
    ld.shared.u32 %r16, [sm+16];
    st.global.u32 [%g+148], %r16;
    ld.shared.u32 %r16, [sm+20];
    st.global.u32 [%g+152], %r16;
    ld.shared.u32 %r16, [sm+24];
    st.global.u32 [%g+156], %r16;
    ld.shared.u32 %r16, [sm+28];
    st.global.u32 [%g+160], %r16;
$Lend:
    ret;
}
)";
}

TEST(SemanticsMemory, AtomicsGlobalAndSharedManyLanesOneAddress) {
    // ISA 9.7.13.5 atom: each operation is an atomic read-modify-write returning the old value.
    // inc: old >= b ? 0 : old + 1; dec: (old == 0 || old > b) ? b : old - 1; cas: old == b ? c : old.
    // 64 threads hit each address; totals must not lose an update, in any interleaving (two seeds).
    // racecheck off: atomics of different warps on one shared address are reported as a race (see
    // SharedAtomicsAreNotARace below).
    setenv("PTXSIM_CHECKS", "norace", 1);
    for (const char* seed : {"0", "7"}) {
        SCOPED_TRACE(seed);
        setenv("PTXSIM_SEED", seed, 1);
        DevBuf g(256), old(64 * 16);
        uint32_t* w = g.as<uint32_t>();
        w[11] = 0xffffffff;            // and
        w[7] = 0xffffffff;             // min.u32
        w[6] = 0x80000000;             // max.s32
        w[17] = 0x80000000;            // red.max.s32
        g.as<uint64_t>()[11] = 0x7fffffffffffffff;  // min.s64 at +88
        const LaunchResult r = run_ptx(atom_kernel(), {g.addr(), old.addr()}, Geometry{{1, 1, 1}, {64, 1, 1}});
        unsetenv("PTXSIM_SEED");
        ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
        EXPECT_EQ(w[0], 64u);                                 // add.u32
        EXPECT_EQ(g.as<uint64_t>()[1], 64u * 65 / 2);         // add.u64 of 1..64
        EXPECT_EQ(f32(w[4]), 64.0f);                          // add.f32
        EXPECT_EQ(w[5], uint32_t(-32));                       // min.s32 (init 0)
        EXPECT_EQ(w[6], 31u);                                 // max.s32
        EXPECT_EQ(w[7], 5u);                                  // min.u32
        EXPECT_EQ(w[8], 0xffffffffu);                         // max.u32 of (t - 32) as unsigned
        EXPECT_EQ(w[9], 4u);                                  // 64 incs modulo 10
        EXPECT_EQ(w[10], 6u);                                 // 64 decs from 0 wrapping at 9: -64 mod 10
        EXPECT_EQ(w[11], 0u);                                 // and
        EXPECT_EQ(w[12], 0xffffffffu);                        // or
        EXPECT_EQ(w[13], 0u);                                 // xor: every bit toggled twice
        EXPECT_EQ(w[16], 128u);                               // red.add
        EXPECT_EQ(w[17], 31u);                                // red.max.s32
        EXPECT_EQ(f32(w[18]), 32.0f);                         // red.add.f32
        EXPECT_EQ(g.as<uint64_t>()[10], 64u);                 // max.u64
        EXPECT_EQ(g.as<uint64_t>()[11], 1u);                  // min.s64
        std::set<uint32_t> adds, exch, cas_old, sadds;
        for (int t = 0; t < 64; ++t) {
            const uint32_t* o = reinterpret_cast<uint32_t*>(old.p + 16 * t);
            adds.insert(o[0]);
            exch.insert(o[1]);
            cas_old.insert(o[2]);
            sadds.insert(o[3]);
        }
        EXPECT_EQ(adds.size(), 64u);  // old values of add: a permutation of 0..63
        EXPECT_EQ(*adds.rbegin(), 63u);
        EXPECT_EQ(sadds.size(), 64u);
        EXPECT_EQ(*sadds.rbegin(), 63u);
        exch.insert(w[14]);  // the old values plus the final value are {0 (init), 0..63}
        EXPECT_EQ(exch.size(), 64u);
        // cas(cmp 0): exactly one winner saw 0; the rest saw 100 + winner.
        ASSERT_EQ(cas_old.size(), 2u);
        EXPECT_EQ(*cas_old.begin(), 0u);
        EXPECT_EQ(*cas_old.rbegin(), w[15]);
        EXPECT_GE(w[15], 100u);
        // shared
        EXPECT_EQ(w[32], 64u);
        EXPECT_EQ(g.as<uint64_t>()[17], 64u * 65 / 2);
        EXPECT_LT(w[36], 64u);
        EXPECT_GE(w[37], 100u);
        EXPECT_EQ(w[38], uint32_t(-32));
        EXPECT_EQ(f32(w[39]), 128.0f);
        EXPECT_EQ(w[40], 192u);
    }
    unsetenv("PTXSIM_CHECKS");
}

TEST(SemanticsMemory, SharedAtomicsAreNotARace) {
    // BUG: two warps doing atom.shared.add on one address with no barrier between are atomic
    // read-modify-writes, not a data race (ISA 8 memory consistency model: atomic operations are
    // morally strong and never form a data race; compute-sanitizer racecheck does not report
    // atomic-atomic pairs). ptxsim's racecheck reports "read-after-write hazard on shared byte ...
    // at atom.shared.add.u32" because h_atom goes through shared_read/shared_write as plain accesses.
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pout)
{
    .reg .b32 %r<4>;
    .reg .b64 %o;
    .reg .pred %p1;
    .shared .align 4 .b32 cnt;
    mov.u32 %r0, %tid.x;
    setp.ne.u32 %p1, %r0, 0;
    @%p1 bra $L1;
    mov.u32 %r1, 0;
    st.shared.u32 [cnt], %r1;
$L1:
    bar.sync 0;
    atom.shared.add.u32 %r2, [cnt], 1;
    bar.sync 0;
    @%p1 bra $L2;
    ld.shared.u32 %r3, [cnt];
    ld.param.u64 %o, [pout];
    st.global.u32 [%o], %r3;
$L2:
    ret;
}
)";
    DevBuf out(8);
    const LaunchResult r = run_ptx(ptx, {out.addr()}, Geometry{{1, 1, 1}, {64, 1, 1}});
    if (r.status != CUDA_SUCCESS) SKIP_BUG("racecheck reports atom.shared vs atom.shared of two warps: " << r.message);
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    EXPECT_EQ(out.as<uint32_t>()[0], 64u);
}

// True when the PTX is rejected at load or its launch fails.
bool rejected(const std::string& src) {
    try {
        const LaunchResult r = run_ptx(src, {0}, Geometry{{1, 1, 1}, {1, 1, 1}});
        if (r.status != CUDA_SUCCESS) std::printf("[ptxsim] %s\n", r.message.substr(0, r.message.find('\n')).c_str());
        return r.status != CUDA_SUCCESS;
    } catch (const std::exception& e) {
        std::printf("[ptxsim] rejected at load: %s\n", e.what());
        return true;
    }
}

TEST(SemanticsMemory, StoreToParamFaults) {
    // Kernel parameters are read-only (ISA 5.1.6.1: "kernel parameters ... read-only"); st.param
    // names only function parameters.
    const std::string pparam = std::string(kHead) + R"(
.visible .entry k(.param .u32 p)
{
    .reg .b32 %r1;
    mov.u32 %r1, 5;
    st.param.u32 [p], %r1;
    ret;
}
)";
    EXPECT_TRUE(rejected(pparam));
}

TEST(SemanticsMemory, StoreToConstFaults) {
    // BUG: st.const is not a valid form (ISA 9.7.9.10 st: .ss = {.global, .local, .param, .shared});
    // the constant bank is read-only (5.1.3). ptxsim's decode_memory accepts the "const" space for st
    // and the store succeeds (writes the module's constant memory).
    const std::string pconst = std::string(kHead) + R"(
.const .align 4 .b32 cv[4] = {1, 2, 3, 4};
.visible .entry k()
{
    .reg .b32 %r1;
    mov.u32 %r1, 5;
    st.const.u32 [cv], %r1;
    ret;
}
)";
    if (!rejected(pconst)) SKIP_BUG("st.const.u32 is accepted and writes the constant bank (ops_memory.cpp decode_memory)");
    EXPECT_TRUE(rejected(pconst));
}

TEST(SemanticsMemory, GenericStoreToConstFaults) {
    // A generic store into the constant bank (cvta.const then st) writes read-only memory.
    const std::string ptx = std::string(kHead) + R"(
.const .align 4 .b32 cv[4] = {1, 2, 3, 4};
.visible .entry k(.param .u64 pout)
{
    .reg .b32 %r<4>;
    .reg .b64 %c, %g, %o;
    mov.u64 %c, cv;
    cvta.const.u64 %g, %c;
    mov.u32 %r1, 5;
    st.u32 [%g], %r1;
    ld.const.u32 %r2, [cv];
    ld.param.u64 %o, [pout];
    st.global.u32 [%o], %r2;
    ret;
}
)";
    DevBuf out(8);
    LaunchResult r;
    bool rejected = false;
    try {
        r = run_ptx(ptx, {out.addr()}, Geometry{{1, 1, 1}, {1, 1, 1}});
        rejected = r.status != CUDA_SUCCESS;
    } catch (const std::exception&) {
        rejected = true;
    }
    if (!rejected)
        SKIP_BUG("a generic st to a cvta.const address succeeds and modifies the constant bank (ld.const then reads "
                 << out.as<uint32_t>()[0] << "); ops_memory.cpp does not classify const generic addresses");
    EXPECT_TRUE(rejected);
}

// ===========================================================================
// Control flow and warp collectives (ISA 9.7.12, 9.7.13)
// ===========================================================================
std::vector<In> lanes(uint32_t n, uint64_t (*a)(uint32_t), uint64_t (*x)(uint32_t) = nullptr,
                      uint64_t (*b)(uint32_t) = nullptr, uint64_t (*c)(uint32_t) = nullptr) {
    std::vector<In> v(n);
    for (uint32_t l = 0; l < n; ++l) v[l] = {a ? a(l) : 0, b ? b(l) : 0, c ? c(l) : 0, x ? x(l) : 0};
    return v;
}

TEST(SemanticsControl, DivergentLoopReconverges) {
    // Lane l runs iterations i = 0..(l & 7); odd i adds 3i, even i adds i + 100 (if/else inside the
    // loop); lanes leave at different iterations. A full-mask ballot after the loop must see every lane.
    const std::string body = R"(
    mov.u32 %r1, 0;
    mov.u32 %r2, 0;
    and.b32 %r3, %tid, 7;
$Lloop:
    and.b32 %r4, %r1, 1;
    setp.eq.u32 %p1, %r4, 0;
    @%p1 bra $Leven;
    mul.lo.u32 %r5, %r1, 3;
    add.u32 %r2, %r2, %r5;
    bra $Ljoin;
$Leven:
    add.u32 %r2, %r2, %r1;
    add.u32 %r2, %r2, 100;
$Ljoin:
    add.u32 %r1, %r1, 1;
    setp.le.u32 %p2, %r1, %r3;
    @%p2 bra $Lloop;
    vote.sync.ballot.b32 %rr, %pe, 0xffffffff;
    not.b32 %rr, %rr;
    cvt.u64.u32 %lr, %r2;
)";
    const auto out = run_body(body, lanes(32, [](uint32_t l) { return uint64_t(l); }));
    for (uint32_t l = 0; l < 32; ++l) {
        uint32_t acc = 0;
        for (uint32_t i = 0; i <= (l & 7); ++i) acc += (i & 1) ? 3 * i : i + 100;
        EXPECT_EQ(out[l].l, acc) << l;
        EXPECT_EQ(out[l].r, 0xffffffffu) << l;  // ballot of !%pe (all lanes in range)
    }
}

TEST(SemanticsControl, ActivemaskUnderDivergence) {
    // activemask: the lanes currently executing. Inside each side of a divergent branch.
    const std::string body = R"(
    setp.lt.u32 %p1, %tid, 10;
    @%p1 bra $La;
    activemask.b32 %rr;
    bra $Lb;
$La:
    activemask.b32 %rr;
$Lb:
)";
    const auto out = run_body(body, lanes(32, nullptr));
    for (uint32_t l = 0; l < 32; ++l) EXPECT_EQ(out[l].r, l < 10 ? 0x3ffu : 0xfffffc00u) << l;
}

std::string exit_bar_kernel(bool partial, const char* bar) {
    return std::string(kHead) + R"(
.visible .entry k(.param .u64 pout)
{
    .reg .b32 %r<8>;
    .reg .b64 %o, %t;
    .reg .pred %p<4>;
    .shared .align 4 .b32 sm[128];
    mov.u32 %r0, %tid.x;
    shr.u32 %r1, %r0, 5;
    setp.eq.u32 %p1, %r1, 1;
    @%p1 exit;
    setp.eq.u32 %p1, %r1, 2;
    @%p1 exit;
    setp.ge.u32 %p2, %r0, 16;
    setp.lt.u32 %p3, %r0, 32;
    and.pred %p2, %p2, %p3;
    setp.ne.u32 %p3, )" + std::string(partial ? "1" : "0") + R"(, 0;
    and.pred %p2, %p2, %p3;
    @%p2 exit;
    shl.b32 %r2, %r0, 2;
    mov.u32 %r3, sm;
    add.u32 %r3, %r3, %r2;
    add.u32 %r4, %r0, 1;
    st.shared.u32 [%r3], %r4;
    )" + bar + R"( 0;
    and.b32 %r5, %r0, 0xffffffef;
    xor.b32 %r5, %r5, 96;
    shl.b32 %r5, %r5, 2;
    mov.u32 %r6, sm;
    add.u32 %r6, %r6, %r5;
    setp.lt.u32 %p3, %r0, 32;
    @%p3 bra $Lskip;
    ld.shared.u32 %r7, [%r6];
    ld.param.u64 %o, [pout];
    mul.wide.u32 %t, %r0, 4;
    add.s64 %o, %o, %t;
    st.global.u32 [%o], %r7;
$Lskip:
    ret;
}
)";
}

TEST(SemanticsControl, ExitedWarpsDoNotBlockBarSync) {
    // Warps 1 and 2 of a 128-thread CTA exit wholly; warps 0 and 3 bar.sync and warp 3 reads warp 0's
    // shared slots of lanes 0..15 (ISA 9.7.13.1: the barrier waits for the CTA's threads that have not exited).
    DevBuf out(128 * 4);
    const LaunchResult r = run_ptx(exit_bar_kernel(false, "bar.sync"), {out.addr()}, Geometry{{1, 1, 1}, {128, 1, 1}});
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    for (uint32_t t = 96; t < 128; ++t) EXPECT_EQ(out.as<uint32_t>()[t], ((t & ~16u) ^ 96) + 1) << t;
}

TEST(SemanticsControl, PartlyExitedWarpAtBarrierDocumented) {
    // Lanes 16..31 of warp 0 exit too. bar.sync is .aligned (every thread of the warp must execute
    // it), so what happens is not pinned down by the ISA; print ptxsim's behaviour for bar.sync and
    // for the non-aligned barrier.sync.
    for (const char* bar : {"bar.sync", "barrier.sync"}) {
        DevBuf out(128 * 4);
        const LaunchResult r = run_ptx(exit_bar_kernel(true, bar), {out.addr()}, Geometry{{1, 1, 1}, {128, 1, 1}});
        std::printf("[ptxsim] %s after a partial-warp exit: %s\n", bar,
                    r.status == CUDA_SUCCESS ? "completes" : r.message.substr(0, r.message.find('\n')).c_str());
    }
}

uint64_t lane_val(uint32_t l) { return l * 10 + 1; }
TEST(SemanticsControl, ShflAllModesAndPredicate) {
    // 9.7.8.6 shfl.sync: maxLane = (lane & segmask) | (cval & ~segmask), minLane = lane & segmask;
    // up: j = lane - b, p = j >= maxLane; down: j = lane + b, p = j <= maxLane; bfly: j = lane ^ b;
    // idx: j = minLane | (b[4:0] & ~segmask); !p -> j = lane (own value).
    const auto in = lanes(32, lane_val, nullptr, [](uint32_t l) { return uint64_t(31 - l); });
    struct Mode { const char* body; uint32_t (*src)(uint32_t); bool (*p)(uint32_t); };
    const Mode modes[] = {
        {"shfl.sync.up.b32 %rr|%pr, %ra, 3, 0, 0xffffffff;", [](uint32_t l) { return l >= 3 ? l - 3 : l; },
         [](uint32_t l) { return l >= 3; }},
        {"shfl.sync.down.b32 %rr|%pr, %ra, 3, 0x1f, 0xffffffff;", [](uint32_t l) { return l <= 28 ? l + 3 : l; },
         [](uint32_t l) { return l <= 28; }},
        {"shfl.sync.bfly.b32 %rr|%pr, %ra, 5, 0x1f, 0xffffffff;", [](uint32_t l) { return l ^ 5; },
         [](uint32_t) { return true; }},
        {"shfl.sync.idx.b32 %rr|%pr, %ra, %rb, 0x1f, 0xffffffff;", [](uint32_t l) { return 31 - l; },
         [](uint32_t) { return true; }},
        {"shfl.sync.idx.b32 %rr|%pr, %ra, 40, 0x1f, 0xffffffff;", [](uint32_t) { return 8u; },  // b[4:0] = 8
         [](uint32_t) { return true; }},
        // __shfl_sync(m, v, 3, 16): c = ((32 - 16) << 8) | 0x1f
        {"shfl.sync.idx.b32 %rr|%pr, %ra, 3, 0x101f, 0xffffffff;", [](uint32_t l) { return (l & 16) | 3; },
         [](uint32_t) { return true; }},
        // __shfl_down_sync(m, v, 4, 16)
        {"shfl.sync.down.b32 %rr|%pr, %ra, 4, 0x101f, 0xffffffff;",
         [](uint32_t l) { return (l & 15) <= 11 ? l + 4 : l; }, [](uint32_t l) { return (l & 15) <= 11; }},
        // __shfl_up_sync(m, v, 4, 16): c = (32 - 16) << 8
        {"shfl.sync.up.b32 %rr|%pr, %ra, 4, 0x1000, 0xffffffff;",
         [](uint32_t l) { return (l & 15) >= 4 ? l - 4 : l; }, [](uint32_t l) { return (l & 15) >= 4; }},
        // __shfl_xor_sync(m, v, 16, 16): lanes of the upper segment may read the lower one, not vice versa
        {"shfl.sync.bfly.b32 %rr|%pr, %ra, 16, 0x101f, 0xffffffff;", [](uint32_t l) { return l >= 16 ? l - 16 : l; },
         [](uint32_t l) { return l >= 16; }},
        // __shfl_sync(m, v, 9, 8): j = (lane & 0x18) | (9 & 7)
        {"shfl.sync.idx.b32 %rr|%pr, %ra, 9, 0x181f, 0xffffffff;", [](uint32_t l) { return (l & 0x18) | 1; },
         [](uint32_t) { return true; }},
    };
    for (const Mode& m : modes) {
        const auto out = run_body(m.body, in);
        for (uint32_t l = 0; l < 32; ++l) {
            EXPECT_EQ(out[l].r, lane_val(m.src(l))) << m.body << " lane " << l;
            EXPECT_EQ(out[l].p, m.p(l) ? 1u : 0u) << m.body << " lane " << l;
        }
    }
}

TEST(SemanticsControl, VoteWithMembermask) {
    // 9.7.13.3 vote.sync: all / any / uni over the membermask lanes; ballot returns the mask of lanes
    // whose predicate is true. {!}a negates the operand.
    const auto third = lanes(32, nullptr, [](uint32_t l) { return uint64_t(l % 3 == 0); });
    const auto allt = lanes(32, nullptr, [](uint32_t) { return uint64_t(1); });
    uint32_t mask3 = 0;
    for (uint32_t l = 0; l < 32; l += 3) mask3 |= 1u << l;
    auto check = [](const std::string& body, const std::vector<In>& in, Field f, uint64_t want) {
        const auto out = run_body(body, in);
        for (uint32_t l = 0; l < 32; ++l) EXPECT_EQ(field(out[l], f), want) << body << " lane " << l;
    };
    check("vote.sync.ballot.b32 %rr, %pa, 0xffffffff;", third, R, mask3);
    check("vote.sync.ballot.b32 %rr, !%pa, 0xffffffff;", third, R, ~mask3);
    check("vote.sync.all.pred %pr, %pa, 0xffffffff;", third, P, 0);
    check("vote.sync.all.pred %pr, %pa, 0xffffffff;", allt, P, 1);
    check("vote.sync.any.pred %pr, %pa, 0xffffffff;", third, P, 1);
    check("vote.sync.any.pred %pr, !%pa, 0xffffffff;", allt, P, 0);
    check("vote.sync.uni.pred %pr, %pa, 0xffffffff;", third, P, 0);
    check("vote.sync.uni.pred %pr, %pa, 0xffffffff;", allt, P, 1);
    check("vote.sync.uni.pred %pr, !%pa, 0xffffffff;", allt, P, 1);
    // Only lanes 0..15 execute, naming membermask 0x0000ffff; odd lanes vote true.
    const auto out = run_body(R"(
    setp.lt.u32 %p1, %tid, 16;
    @!%p1 bra $Lskip;
    vote.sync.ballot.b32 %rr, %pa, 0x0000ffff;
    vote.sync.all.pred %pr, %pa, 0x0000aaaa;
$Lskip:
)", lanes(32, nullptr, [](uint32_t l) { return uint64_t(l & 1); }));
    for (uint32_t l = 0; l < 32; ++l) EXPECT_EQ(out[l].r, l < 16 ? 0x0000aaaau : 0u) << l;
    for (uint32_t l = 0; l < 16; ++l) EXPECT_EQ(out[l].p, 1u) << l;  // all over the odd lanes
}

TEST(SemanticsControl, MatchElectRedux) {
    // 9.7.13.4 match.any: the mask of lanes in membermask with the same value; match.all: membermask
    // and p = 1 when all equal, else 0 and p = 0.
    const auto mod3 = lanes(32, nullptr, nullptr, nullptr, [](uint32_t l) { return uint64_t(l % 3); });
    auto out = run_body("match.any.sync.b32 %rr, %rc, 0xffffffff;", mod3);
    for (uint32_t l = 0; l < 32; ++l) {
        uint32_t want = 0;
        for (uint32_t j = 0; j < 32; ++j)
            if (j % 3 == l % 3) want |= 1u << j;
        EXPECT_EQ(out[l].r, want) << l;
    }
    out = run_body("match.any.sync.b64 %rr, %lc, 0xffffffff;", mod3);
    EXPECT_EQ(out[4].r, out[1].r);
    out = run_body("match.all.sync.b32 %rr|%pr, %rc, 0xffffffff;", mod3);
    for (uint32_t l = 0; l < 32; ++l) EXPECT_TRUE(out[l].r == 0 && out[l].p == 0) << l;
    out = run_body("match.all.sync.b32 %rr|%pr, %rc, 0xffffffff;",
                   lanes(32, nullptr, nullptr, nullptr, [](uint32_t) { return uint64_t(7); }));
    for (uint32_t l = 0; l < 32; ++l) EXPECT_TRUE(out[l].r == 0xffffffff && out[l].p == 1) << l;
    // 9.7.13.11 elect.sync d|p, membermask: d = the leader's lane (the lowest of membermask), p = (lane == leader).
    out = run_body("elect.sync %rr|%pr, 0xffffffff;", lanes(32, nullptr));
    for (uint32_t l = 0; l < 32; ++l) EXPECT_TRUE(out[l].r == 0 && out[l].p == (l == 0)) << l;
    out = run_body(R"(
    setp.lt.u32 %p1, %tid, 4;
    @%p1 bra $Lskip;
    elect.sync %rr|%pr, 0xfffffff0;
$Lskip:
)", lanes(32, nullptr));
    for (uint32_t l = 4; l < 32; ++l) EXPECT_TRUE(out[l].r == 4 && out[l].p == (l == 4)) << l;
    // 9.7.13.12 redux.sync over values l - 16.
    const auto v = lanes(32, [](uint32_t l) { return uint64_t(uint32_t(int32_t(l) - 16)); });
    uint32_t a = ~0u, o = 0, x = 0;
    for (uint32_t l = 0; l < 32; ++l) { a &= uint32_t(int32_t(l) - 16); o |= uint32_t(int32_t(l) - 16); x ^= uint32_t(int32_t(l) - 16); }
    const std::pair<const char*, uint32_t> reds[] = {
        {"redux.sync.add.s32 %rr, %ra, 0xffffffff;", uint32_t(-16)},  // sum of -16..15
        {"redux.sync.add.u32 %rr, %ra, 0xffffffff;", uint32_t(-16)},
        {"redux.sync.min.s32 %rr, %ra, 0xffffffff;", uint32_t(-16)},
        {"redux.sync.max.s32 %rr, %ra, 0xffffffff;", 15u},
        {"redux.sync.min.u32 %rr, %ra, 0xffffffff;", 0u},
        {"redux.sync.max.u32 %rr, %ra, 0xffffffff;", 0xffffffffu},
        {"redux.sync.and.b32 %rr, %ra, 0xffffffff;", a},
        {"redux.sync.or.b32 %rr, %ra, 0xffffffff;", o},
        {"redux.sync.xor.b32 %rr, %ra, 0xffffffff;", x},
    };
    for (const auto& [body, want] : reds) {
        out = run_body(body, v);
        for (uint32_t l = 0; l < 32; ++l) EXPECT_EQ(out[l].r, want) << body << " lane " << l;
    }
    out = run_body(R"(
    setp.lt.u32 %p1, %tid, 16;
    @!%p1 bra $Lskip;
    redux.sync.add.s32 %rr, %ra, 0x0000ffff;
$Lskip:
)", v);
    for (uint32_t l = 0; l < 16; ++l) EXPECT_EQ(out[l].r, uint32_t(-136)) << l;  // sum of -16..-1
}

TEST(SemanticsControl, BarRedPopcAndOr) {
    // 9.7.13.1 bar.red: popc counts the threads with a true predicate; .and / .or reduce it; every
    // thread of the CTA (128 here) gets the result.
    const auto third = lanes(128, nullptr, [](uint32_t t) { return uint64_t(t % 3 == 0); },
                             nullptr, [](uint32_t) { return uint64_t(1); });
    const std::pair<std::pair<const char*, Field>, uint64_t> cases[] = {
        {{"bar.red.popc.u32 %rr, 0, %pa;", R}, 43},  // 0, 3, ..., 126
        {{"bar.red.and.pred %pr, 0, %pa;", P}, 0},
        {{"bar.red.and.pred %pr, 0, %pb;", P}, 1},
        {{"bar.red.or.pred %pr, 1, %pa;", P}, 1},
        {{"bar.red.or.pred %pr, 1, !%pb;", P}, 0},
        {{"bar.red.popc.u32 %rr, 2, !%pa;", R}, 85},
    };
    for (const auto& [c, want] : cases) {
        const auto out = run_body(c.first, third);
        for (uint32_t t = 0; t < 128; ++t) EXPECT_EQ(field(out[t], c.second), want) << c.first << " thread " << t;
    }
}

// ===========================================================================
// Special registers (ISA 10)
// ===========================================================================
TEST(SemanticsSpecialRegs, ThreeDLaunchLanesWarps) {
    // Block (8,4,2) = 64 threads = 2 warps, grid (2,3,2), 4096 bytes of dynamic shared memory.
    // %tid.x is the fastest-varying: linear thread t = x + 8 (y + 4 z); %laneid = t % 32.
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pout)
{
    .reg .b32 %r<24>;
    .reg .b64 %o, %t;
    mov.u32 %r0, %tid.x;
    mov.u32 %r1, %tid.y;
    mov.u32 %r2, %tid.z;
    mov.u32 %r3, %ntid.x;
    mov.u32 %r4, %ntid.y;
    mov.u32 %r5, %ntid.z;
    mov.u32 %r6, %ctaid.x;
    mov.u32 %r7, %ctaid.y;
    mov.u32 %r8, %ctaid.z;
    mov.u32 %r9, %nctaid.x;
    mov.u32 %r10, %nctaid.y;
    mov.u32 %r11, %nctaid.z;
    mov.u32 %r12, %laneid;
    mov.u32 %r13, %warpid;
    mov.u32 %r14, %lanemask_eq;
    mov.u32 %r15, %lanemask_lt;
    mov.u32 %r16, %lanemask_le;
    mov.u32 %r17, %lanemask_gt;
    mov.u32 %r18, %lanemask_ge;
    mov.u32 %r19, %dynamic_smem_size;
    mad.lo.u32 %r20, %r8, %r10, %r7;
    mad.lo.u32 %r20, %r20, %r9, %r6;
    mad.lo.u32 %r21, %r2, %r4, %r1;
    mad.lo.u32 %r21, %r21, %r3, %r0;
    mad.lo.u32 %r20, %r20, 64, %r21;
    ld.param.u64 %o, [pout];
    mul.wide.u32 %t, %r20, 80;
    add.s64 %o, %o, %t;
    st.global.v4.u32 [%o], {%r0, %r1, %r2, %r3};
    st.global.v4.u32 [%o+16], {%r4, %r5, %r6, %r7};
    st.global.v4.u32 [%o+32], {%r8, %r9, %r10, %r11};
    st.global.v4.u32 [%o+48], {%r12, %r13, %r14, %r15};
    st.global.v4.u32 [%o+64], {%r16, %r17, %r18, %r19};
    ret;
}
)";
    const uint32_t ncta = 12, nt = 64;
    DevBuf out(ncta * nt * 80);
    std::memset(out.p, 0xEE, out.n);
    Geometry g{{2, 3, 2}, {8, 4, 2}};
    g.dyn = 4096;
    const LaunchResult r = run_ptx(ptx, {out.addr()}, g);
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    for (uint32_t cz = 0; cz < 2; ++cz)
        for (uint32_t cy = 0; cy < 3; ++cy)
            for (uint32_t cx = 0; cx < 2; ++cx) {
                uint32_t warp_of[2] = {~0u, ~0u};
                for (uint32_t t = 0; t < nt; ++t) {
                    const uint32_t x = t % 8, y = (t / 8) % 4, z = t / 32;
                    const uint32_t rec = ((cz * 3 + cy) * 2 + cx) * 64 + t;
                    const uint32_t* v = reinterpret_cast<uint32_t*>(out.p + 80 * rec);
                    const uint32_t lane = t % 32;
                    const uint32_t want[20] = {x, y, z, 8, 4, 2, cx, cy, cz, 2, 3, 2, lane, v[13], 1u << lane,
                                               (1u << lane) - 1, (lane == 31 ? ~0u : (2u << lane) - 1),
                                               lane == 31 ? 0u : ~((2u << lane) - 1), ~((1u << lane) - 1), 4096};
                    for (int i = 0; i < 20; ++i) ASSERT_EQ(v[i], want[i]) << "record " << rec << " field " << i;
                    // %warpid: the same for a warp's threads, different between the CTA's warps (ISA 10.4: volatile,
                    // not necessarily tid / 32).
                    if (warp_of[t / 32] == ~0u) warp_of[t / 32] = v[13];
                    EXPECT_EQ(v[13], warp_of[t / 32]);
                }
                EXPECT_NE(warp_of[0], warp_of[1]);
            }
}

TEST(SemanticsSpecialRegs, ClusterRegisters) {
    // Grid (4,2,1) in clusters of (2,1,1): %cluster_ctaid = ctaid % cluster dims, %clusterid = ctaid /
    // cluster dims, %cluster_ctarank = x + 2 y within the cluster, %cluster_nctarank = 2,
    // %nclusterid = (2,2,1), %is_explicit_cluster = 1 (ISA 10.x cluster special registers).
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pout)
{
    .reg .b32 %r<16>;
    .reg .b64 %o, %t;
    .reg .pred %p1;
    mov.u32 %r0, %tid.x;
    setp.ne.u32 %p1, %r0, 0;
    @%p1 bra $Ldone;
    mov.u32 %r1, %cluster_ctarank;
    mov.u32 %r2, %cluster_nctarank;
    mov.u32 %r3, %cluster_ctaid.x;
    mov.u32 %r4, %cluster_ctaid.y;
    mov.u32 %r5, %cluster_nctaid.x;
    mov.u32 %r6, %cluster_nctaid.y;
    mov.u32 %r7, %clusterid.x;
    mov.u32 %r8, %clusterid.y;
    mov.u32 %r9, %nclusterid.x;
    mov.u32 %r10, %nclusterid.y;
    mov.u32 %r11, %is_explicit_cluster;
    mov.u32 %r12, %ctaid.x;
    mov.u32 %r13, %ctaid.y;
    mad.lo.u32 %r14, %r13, 4, %r12;
    ld.param.u64 %o, [pout];
    mul.wide.u32 %t, %r14, 48;
    add.s64 %o, %o, %t;
    st.global.v4.u32 [%o], {%r1, %r2, %r3, %r4};
    st.global.v4.u32 [%o+16], {%r5, %r6, %r7, %r8};
    st.global.v4.u32 [%o+32], {%r9, %r10, %r11, %r12};
$Ldone:
    ret;
}
)";
    DevBuf out(8 * 48);
    Geometry g{{4, 2, 1}, {32, 1, 1}, {2, 1, 1}};
    const LaunchResult r = run_ptx(ptx, {out.addr()}, g);
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    for (uint32_t y = 0; y < 2; ++y)
        for (uint32_t x = 0; x < 4; ++x) {
            const uint32_t* v = reinterpret_cast<uint32_t*>(out.p + 48 * (y * 4 + x));
            const uint32_t want[12] = {x % 2, 2, x % 2, 0, 2, 1, x / 2, y, 2, 2, 1, x};
            for (int i = 0; i < 12; ++i) EXPECT_EQ(v[i], want[i]) << "cta (" << x << "," << y << ") field " << i;
        }
}

// ===========================================================================
// Throughput (prints only; run with --gtest_also_run_disabled_tests)
// ===========================================================================
TEST(SemanticsThroughput, DISABLED_LoopKernelThreadInstructionsPerSecond) {
    // 16 CTAs x 256 threads, 2048 iterations of a 6-instruction loop body (+ setup): ~50M
    // thread-instructions.
    const std::string ptx = std::string(kHead) + R"(
.visible .entry k(.param .u64 pout)
{
    .reg .b32 %r<8>;
    .reg .f32 %f<4>;
    .reg .b64 %o, %t;
    .reg .pred %p1;
    mov.u32 %r0, %tid.x;
    mov.u32 %r1, 0;
    mov.u32 %r2, 0;
    mov.f32 %f0, 0f3F800000;
$Lloop:
    add.u32 %r2, %r2, %r1;
    fma.rn.f32 %f0, %f0, 0f3F7FFFFF, 0f3A000000;
    xor.b32 %r2, %r2, %r0;
    add.u32 %r1, %r1, 1;
    setp.lt.u32 %p1, %r1, 2048;
    @%p1 bra $Lloop;
    ld.param.u64 %o, [pout];
    mov.u32 %r3, %ctaid.x;
    mad.lo.u32 %r4, %r3, 256, %r0;
    mul.wide.u32 %t, %r4, 4;
    add.s64 %o, %o, %t;
    st.global.u32 [%o], %r2;
    ret;
}
)";
    DevBuf out(16 * 256 * 4);
    const auto t0 = std::chrono::steady_clock::now();
    const LaunchResult r = run_ptx(ptx, {out.addr()}, Geometry{{16, 1, 1}, {256, 1, 1}});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    const double thread_insts = 16.0 * 256 * (2048.0 * 6 + 12);
    std::printf("[ptxsim] %.1fM thread-instructions in %.3f s: %.1fM thread-instructions/s\n", thread_insts / 1e6, s,
                thread_insts / s / 1e6);
}

}  // namespace
