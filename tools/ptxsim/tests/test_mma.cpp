// Unit tests of the matrix families (exec/ops_mma.cpp): each form against a
// case worked out from the PTX ISA's fragment tables and layouts, written
// here independently of the implementation (the tables spelled out, the
// shared-memory layouts from the ISA's worked examples / the TMA swizzle
// description), and against a float64 matmul. The Warp / Cta / Launch objects
// are built by hand and the handler decode_mma returns is called directly.
//
// Build (links the executor's core):
//   g++ -std=c++20 -O2 -I tools/ptxsim -I $CUDA/include tools/ptxsim/exec/*.cpp tools/ptxsim/ptx/*.cpp
//     + tools/ptxsim/common/*.cpp tools/ptxsim/tests/test_mma.cpp -lgtest -lgtest_main -lfmt -pthread
// With -DPTXSIM_MMA_STANDALONE_TEST, only exec/{ops_mma,values,memory,numeric,profile}.cpp and ptx/parser.cpp
// are needed: this
// file then provides stand-ins of the scheduler's Warp methods and fault().
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "exec/exec.hpp"
#include "ptx/parser.hpp"

#ifdef PTXSIM_MMA_STANDALONE_TEST
// ---- stand-ins for scheduler.cpp (only what the handlers call) ----
namespace ptxsim::exec {
LaneMask Warp::live() const {
    LaneMask m = 0;
    for (int l = 0; l < 32; ++l)
        if ((valid >> l & 1) && state[std::size_t(l)] != LaneState::Exited) m |= 1u << l;
    return m;
}
void Warp::block(LaneMask lanes) {
    for (int l = 0; l < 32; ++l)
        if (lanes >> l & 1) state[std::size_t(l)] = LaneState::Blocked;
}
void Warp::release(LaneMask lanes) {
    for (int l = 0; l < 32; ++l)
        if ((lanes >> l & 1) && state[std::size_t(l)] == LaneState::Blocked) state[std::size_t(l)] = LaneState::Active;
}
uint32_t Warp::thread(int lane) const { return uint32_t(id) * 32u + uint32_t(lane); }
[[noreturn]] void fault(const Warp& w, int lane, Check, CUresult status, const std::string& what) {
    throw KernelFault(status, what + " (warp " + std::to_string(w.id) + ", lane " + std::to_string(lane) + ")");
}
[[noreturn]] void fault_cta(const Cta&, Check, CUresult status, const std::string& what) {
    throw KernelFault(status, what);
}
}  // namespace ptxsim::exec
namespace ptxsim {
AllocationTable& allocations() {
    static AllocationTable t;
    return t;
}
const Allocation* AllocationTable::find(uint64_t, uint64_t) const { return nullptr; }
}  // namespace ptxsim
#endif

namespace {

using namespace ptxsim;
using namespace ptxsim::exec;
using ptx::Operand;
using ptx::OperandKind;

constexpr LaneMask kFull = 0xffffffffu;
constexpr uint32_t kPoison = 0x7fbadbadu;

// ---------------------------------------------------------------------------
// Hand-made instructions and operands.
Operand reg(int slot) {
    Operand o;
    o.kind = OperandKind::Reg;
    o.reg = slot;
    return o;
}
Operand imm(int64_t v) {
    Operand o;
    o.kind = OperandKind::Imm;
    o.imm = v;
    return o;
}
Operand vec(int first, int n) {
    Operand o;
    o.kind = OperandKind::Vec;
    for (int i = 0; i < n; ++i) o.elems.push_back(reg(first + i));
    return o;
}
Operand addr(int slot, int64_t off = 0) {
    Operand o;
    o.kind = OperandKind::Addr;
    o.reg = slot;
    o.imm = off;
    return o;
}
ptx::Instruction inst(const std::string& text, std::vector<Operand> ops) {
    ptx::Instruction in;
    in.text = text;
    std::size_t p = 0, q;
    bool first = true;
    while ((q = text.find('.', p)) != std::string::npos) {
        (first ? in.base : in.mods.emplace_back()) = text.substr(p, q - p);
        first = false;
        p = q + 1;
    }
    (first ? in.base : in.mods.emplace_back()) = text.substr(p);
    in.ops = std::move(ops);
    in.ptx_line = 1;
    return in;
}

// ---------------------------------------------------------------------------
// A CTA of `nwarps` full warps with `nregs` registers and a shared window of
// 1 KB reserved + `smem` bytes, as setup_cta (scheduler.cpp) builds it.
struct Sim {
    ptx::Function fn;
    DeviceModel dev;
    Launch L;
    Cluster cl;
    Cta cta;

    Sim(int nwarps, int nregs, uint32_t smem) {
        fn.name = "test_mma_kernel";
        for (int i = 0; i < nregs; ++i) fn.regs.push_back({"%r" + std::to_string(i), ptx::Type::B32});
        L.fn = &fn;
        L.device = &dev;
        for (int i = 0; i < 3; ++i) L.grid[i] = L.block[i] = L.cluster[i] = 1;
        L.block[0] = uint32_t(32 * nwarps);
        L.static_smem_base = 1024;
        L.dyn_smem_base = 1024;
        L.dyn_smem = smem;
        L.smem_window = 1024 + smem;
        L.stats = nullptr;
        cl.launch = &L;
        cl.ctas.push_back(&cta);
        cta.launch = &L;
        cta.cluster = &cl;
        cta.smem.assign(L.smem_window, 0xCD);
        cta.smem_init.assign(L.smem_window, 0);
        cta.shadow_write.assign(L.smem_window, 0);
        cta.shadow_read.assign(L.smem_window, 0);
        cta.nthreads = L.block[0];
        cta.warps.resize(std::size_t(nwarps));
        for (int i = 0; i < nwarps; ++i) {
            Warp& w = cta.warps[std::size_t(i)];
            w.cta = &cta;
            w.id = i;
            w.valid = kFull;
            w.regs.assign(std::size_t(nregs) * 32, 0);
            w.state.fill(LaneState::Active);
            w.vc.t[std::size_t(i)] = 1;
        }
    }
    Warp& warp(int i) { return cta.warps[std::size_t(i)]; }
    void put(uint32_t a, const void* src, std::size_t n) {
        std::memcpy(cta.smem.data() + a, src, n);
        std::memset(cta.smem_init.data() + a, 1, n);
    }
    void put16(uint32_t a, uint16_t v) { put(a, &v, 2); }
    uint16_t get16(uint32_t a) const {
        uint16_t v;
        std::memcpy(&v, cta.smem.data() + a, 2);
        return v;
    }
    // Runs `in` on warp `wi` with `active` lanes, as the executor does.
    void run(int wi, const ptx::Instruction& in, LaneMask active = kFull) {
        Handler h = decode_mma(in);
        ASSERT_NE(h, nullptr) << "no handler for " << in.text;
        Warp& w = warp(wi);
        w.cur = &in;
        h(w, in, active);
    }
    // Runs a warpgroup-collective instruction on warps 4g .. 4g+3 in `order`.
    void run_wg(const ptx::Instruction& in, int g = 0, std::vector<int> order = {0, 1, 2, 3}) {
        for (int q : order) run(4 * g + q, in);
    }
    uint32_t& r32(int wi, int slot, int lane) { return *reinterpret_cast<uint32_t*>(&warp(wi).reg(slot, lane)); }
};

uint16_t bf16_of(float f) {  // exact for the small values used here
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return uint16_t(u >> 16);
}
uint16_t f16_of(float f) {
    _Float16 h = static_cast<_Float16>(f);
    uint16_t b;
    std::memcpy(&b, &h, 2);
    return b;
}
float f32_of_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
float f16_to_float(uint16_t b) {
    _Float16 h;
    std::memcpy(&h, &b, 2);
    return float(h);
}

template <class F>
void expect_fault(F&& f, CUresult status, const std::string& needle) {
    try {
        f();
    } catch (const KernelFault& e) {
        EXPECT_EQ(e.status, status) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        return;
    }
    ADD_FAILURE() << "expected a fault mentioning '" << needle << "'";
}

// ===========================================================================
// mma.sync m16n8k16 (ISA 9.7.14.5.8), the ISA's fragment tables spelled out
// per register (g = lane/4, t = lane%4):
//   A: a0,a1 (reg 0): A[g][2t], A[g][2t+1]     a2,a3 (reg 1): A[g+8][2t], A[g+8][2t+1]
//      a4,a5 (reg 2): A[g][2t+8], A[g][2t+9]   a6,a7 (reg 3): A[g+8][2t+8], A[g+8][2t+9]
//   B: b0,b1 (reg 0): B[2t][g], B[2t+1][g]     b2,b3 (reg 1): B[2t+8][g], B[2t+9][g]
//   C/D: c0: C[g][2t]  c1: C[g][2t+1]  c2: C[g+8][2t]  c3: C[g+8][2t+1]
struct Mma16816 {
    float A[16][16], B[16][8], C[16][8];
};
void pack_16816(Sim& s, const Mma16816& m, bool bf16, int a0, int b0, int c0) {
    auto h = [&](float v) -> uint32_t { return bf16 ? bf16_of(v) : f16_of(v); };
    auto pair = [&](float lo, float hi) { return h(lo) | (h(hi) << 16); };
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        s.r32(0, a0 + 0, l) = pair(m.A[g][2 * t], m.A[g][2 * t + 1]);
        s.r32(0, a0 + 1, l) = pair(m.A[g + 8][2 * t], m.A[g + 8][2 * t + 1]);
        s.r32(0, a0 + 2, l) = pair(m.A[g][2 * t + 8], m.A[g][2 * t + 9]);
        s.r32(0, a0 + 3, l) = pair(m.A[g + 8][2 * t + 8], m.A[g + 8][2 * t + 9]);
        s.r32(0, b0 + 0, l) = pair(m.B[2 * t][g], m.B[2 * t + 1][g]);
        s.r32(0, b0 + 1, l) = pair(m.B[2 * t + 8][g], m.B[2 * t + 9][g]);
        s.r32(0, c0 + 0, l) = uint32_t(bits_of(m.C[g][2 * t]));
        s.r32(0, c0 + 1, l) = uint32_t(bits_of(m.C[g][2 * t + 1]));
        s.r32(0, c0 + 2, l) = uint32_t(bits_of(m.C[g + 8][2 * t]));
        s.r32(0, c0 + 3, l) = uint32_t(bits_of(m.C[g + 8][2 * t + 1]));
    }
}
float d_16816(Sim& s, int d0, int row, int col) {
    // Inverse of the C/D table: which lane/register holds D[row][col].
    const int g = row % 8, t = col / 2, l = 4 * g + t;
    const int i = (row >= 8 ? 2 : 0) + col % 2;
    return f32_of_bits(s.r32(0, d0 + i, l));
}

TEST(MmaSync, M16n8k16Bf16IdentityPicksB) {
    // A = I (16x16): D = I * B + C = B + C; every D element names its source.
    Sim s(1, 32, 1024);
    Mma16816 m{};
    for (int r = 0; r < 16; ++r)
        for (int k = 0; k < 16; ++k) m.A[r][k] = r == k ? 1.0f : 0.0f;
    for (int k = 0; k < 16; ++k)
        for (int n = 0; n < 8; ++n) m.B[k][n] = float(k * 8 + n + 1);
    for (int r = 0; r < 16; ++r)
        for (int n = 0; n < 8; ++n) m.C[r][n] = 1000.0f * float(r) + float(n) / 4;
    pack_16816(s, m, true, 0, 4, 8);
    auto in = inst("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", {vec(12, 4), vec(0, 4), vec(4, 2), vec(8, 4)});
    s.run(0, in);
    for (int r = 0; r < 16; ++r)
        for (int n = 0; n < 8; ++n) EXPECT_EQ(d_16816(s, 12, r, n), m.B[r][n] + m.C[r][n]) << r << "," << n;
}

TEST(MmaSync, M16n8k16F16RandomVsFloat64InPlace) {
    Sim s(1, 32, 1024);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> d(-8, 8);
    Mma16816 m{};
    for (auto& r : m.A)
        for (float& v : r) v = float(d(rng)) / 4;
    for (auto& r : m.B)
        for (float& v : r) v = float(d(rng)) / 2;
    for (auto& r : m.C)
        for (float& v : r) v = float(d(rng)) * 3;
    pack_16816(s, m, false, 0, 4, 8);
    // d and c the same registers, as the kernels use it.
    auto in = inst("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", {vec(8, 4), vec(0, 4), vec(4, 2), vec(8, 4)});
    s.run(0, in);
    for (int r = 0; r < 16; ++r)
        for (int n = 0; n < 8; ++n) {
            double e = m.C[r][n];
            for (int k = 0; k < 16; ++k) e += double(m.A[r][k]) * double(m.B[k][n]);
            EXPECT_EQ(d_16816(s, 8, r, n), float(e));
        }
}

TEST(MmaSync, AccumulatesInDoubleRoundsOnce) {
    // 1 + 2^-30 - 1 in f32 step by step would give 0 or 2^-30 depending on
    // order; exact-then-round gives C + (2^-15 * 2^-15) = 2^-30 here with
    // C = 0: the product term survives.
    Sim s(1, 32, 1024);
    Mma16816 m{};
    m.A[0][0] = 1.0f, m.B[0][0] = 1.0f;                            // +1
    m.A[0][1] = 0x1p-15f, m.B[1][0] = 0x1p-15f;                     // +2^-30
    m.A[0][2] = -1.0f, m.B[2][0] = 1.0f;                            // -1
    pack_16816(s, m, true, 0, 4, 8);
    s.run(0, inst("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", {vec(12, 4), vec(0, 4), vec(4, 2), vec(8, 4)}));
    EXPECT_EQ(d_16816(s, 12, 0, 0), 0x1p-30f);
}

TEST(MmaSync, M16n8k8F16AccumulatorsF16) {
    // m16n8k8 (ISA 9.7.14.5.7): A a0,a1: A[g][2t..], a2,a3: A[g+8][2t..];
    // B b0,b1: B[2t][g], B[2t+1][g]; f16 C/D: reg 0 = {C[g][2t], C[g][2t+1]},
    // reg 1 = {C[g+8][2t], C[g+8][2t+1]}.
    Sim s(1, 16, 1024);
    float A[16][8], B[8][8], C[16][8];
    for (int r = 0; r < 16; ++r)
        for (int k = 0; k < 8; ++k) A[r][k] = float((r + 2 * k) % 5) - 2;
    for (int k = 0; k < 8; ++k)
        for (int n = 0; n < 8; ++n) B[k][n] = float((3 * k + n) % 7) - 3;
    for (int r = 0; r < 16; ++r)
        for (int n = 0; n < 8; ++n) C[r][n] = float(r - n) / 2;
    auto pair = [](float lo, float hi) { return uint32_t(f16_of(lo)) | (uint32_t(f16_of(hi)) << 16); };
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        s.r32(0, 0, l) = pair(A[g][2 * t], A[g][2 * t + 1]);
        s.r32(0, 1, l) = pair(A[g + 8][2 * t], A[g + 8][2 * t + 1]);
        s.r32(0, 2, l) = pair(B[2 * t][g], B[2 * t + 1][g]);
        s.r32(0, 3, l) = pair(C[g][2 * t], C[g][2 * t + 1]);
        s.r32(0, 4, l) = pair(C[g + 8][2 * t], C[g + 8][2 * t + 1]);
    }
    Operand b1;
    b1.kind = OperandKind::Vec;
    b1.elems.push_back(reg(2));
    s.run(0, inst("mma.sync.aligned.m16n8k8.row.col.f16.f16.f16.f16", {vec(5, 2), vec(0, 2), b1, vec(3, 2)}));
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        for (int i = 0; i < 4; ++i) {
            const int r = g + 8 * (i / 2), n = 2 * t + i % 2;
            double e = C[r][n];
            for (int k = 0; k < 8; ++k) e += double(A[r][k]) * double(B[k][n]);
            const uint16_t got = uint16_t(s.r32(0, 5 + i / 2, l) >> (16 * (i % 2)));
            EXPECT_EQ(f16_to_float(got), float(e)) << r << "," << n;
        }
    }
}

TEST(MmaSync, M16n8k32E4m3) {
    // m16n8k32 .e4m3 (ISA 9.7.14.5.10), 4 elements per register, byte j of
    // register r: A row g + 8(r%2), col 4t + j + 16(r/2); B row 4t + j + 16r, col g.
    // e4m3 codes: 0x38 = 1.0, 0x40 = 2.0, 0x30 = 0.5, 0xB8 = -1.0, 0x00 = 0, 0x01 = 2^-9 (subnormal).
    const uint8_t codes[] = {0x38, 0x40, 0x30, 0xB8, 0x00, 0x01};
    const double vals[] = {1.0, 2.0, 0.5, -1.0, 0.0, std::ldexp(1.0, -9)};
    Sim s(1, 16, 1024);
    int ai[16][32], bi[32][8];
    for (int r = 0; r < 16; ++r)
        for (int k = 0; k < 32; ++k) ai[r][k] = (r * 7 + k * 3) % 6;
    for (int k = 0; k < 32; ++k)
        for (int n = 0; n < 8; ++n) bi[k][n] = (k + 5 * n) % 6;
    for (int l = 0; l < 32; ++l) {
        const int g = l / 4, t = l % 4;
        for (int r = 0; r < 4; ++r) {
            uint32_t v = 0;
            for (int j = 0; j < 4; ++j) v |= uint32_t(codes[ai[g + 8 * (r % 2)][4 * t + j + 16 * (r / 2)]]) << (8 * j);
            s.r32(0, r, l) = v;
        }
        for (int r = 0; r < 2; ++r) {
            uint32_t v = 0;
            for (int j = 0; j < 4; ++j) v |= uint32_t(codes[bi[4 * t + j + 16 * r][g]]) << (8 * j);
            s.r32(0, 4 + r, l) = v;
        }
        for (int i = 0; i < 4; ++i) s.r32(0, 6 + i, l) = uint32_t(bits_of(0.25f));
    }
    s.run(0, inst("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32", {vec(10, 4), vec(0, 4), vec(4, 2), vec(6, 4)}));
    for (int row = 0; row < 16; ++row)
        for (int col = 0; col < 8; ++col) {
            double e = 0.25;
            for (int k = 0; k < 32; ++k) e += vals[ai[row][k]] * vals[bi[k][col]];
            EXPECT_EQ(d_16816(s, 10, row, col), float(e));
        }
}

TEST(MmaSync, PartialWarpFaults) {
    Sim s(1, 32, 1024);
    auto in = inst("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", {vec(12, 4), vec(0, 4), vec(4, 2), vec(8, 4)});
    expect_fault([&] { s.run(0, in, 0x0000ffffu); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "all 32 lanes");
    s.warp(0).state[31] = LaneState::Exited;  // a lane of the warp exited: the rest cannot execute it
    expect_fault([&] { s.run(0, in, 0x7fffffffu); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "all 32 lanes");
}

TEST(MmaSync, DecodeRejectsOtherForms) {
    EXPECT_EQ(decode_mma(inst("mma.sync.aligned.m16n8k16.row.row.f32.f16.f16.f32",
                              {vec(12, 4), vec(0, 4), vec(4, 2), vec(8, 4)})),
              nullptr);
    EXPECT_EQ(decode_mma(inst("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32",
                              {vec(12, 4), vec(0, 2), vec(4, 2), vec(8, 4)})),  // A needs 4 registers
              nullptr);
    EXPECT_EQ(decode_mma(inst("mma.sync.aligned.m16n8k16.row.col.f16.bf16.bf16.f16",
                              {vec(12, 2), vec(0, 4), vec(4, 2), vec(8, 2)})),  // bf16 has f32 accumulators only
              nullptr);
    EXPECT_EQ(decode_mma(inst("add.f32", {reg(0), reg(1), reg(2)})), nullptr);
}

// ===========================================================================
// ldmatrix / stmatrix (ISA 9.7.14.5.15 / 16). A shared tile whose b16 elements
// hold their own coordinates, code(i, r, c) = 0x1000 i + 0x100 r + c, with
// the rows of each matrix at scattered 16-byte-aligned places so that only
// the addresses given by lanes 8i + r can explain the result.
uint32_t row_addr(int i, int r) { return 2048 + uint32_t(i) * 256 + uint32_t((r * 5) % 8) * 32; }
uint16_t code(int i, int r, int c) { return uint16_t(0x1000 * i + 0x100 * r + c); }

void fill_tiles(Sim& s) {
    for (int i = 0; i < 4; ++i)
        for (int r = 0; r < 8; ++r)
            for (int c = 0; c < 8; ++c) s.put16(row_addr(i, r) + 2 * uint32_t(c), code(i, r, c));
}
void give_addresses(Sim& s, int num, int slot) {
    for (int l = 0; l < 32; ++l)
        s.warp(0).reg(slot, l) = l < 8 * num ? row_addr(l / 8, l % 8) : 3;  // unused lanes: garbage (misaligned)
}

class LdMatrix : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(LdMatrix, FragmentsPerIsa) {
    const auto [num, trans] = GetParam();
    Sim s(1, 16, 8192);
    fill_tiles(s);
    give_addresses(s, num, 10);
    const std::string text = std::string("ldmatrix.sync.aligned.m8n8.x") + std::to_string(num) + (trans ? ".trans" : "") +
                             ".shared.b16";
    s.run(0, inst(text, {vec(0, num), addr(10)}));
    for (int l = 0; l < 32; ++l)
        for (int i = 0; i < num; ++i) {
            // Lane l, register i: row l/4, columns 2(l%4), 2(l%4)+1 of matrix i; .trans: column l/4, rows 2(l%4), +1.
            const int a = l / 4, b = 2 * (l % 4);
            const uint32_t lo = trans ? code(i, b, a) : code(i, a, b);
            const uint32_t hi = trans ? code(i, b + 1, a) : code(i, a, b + 1);
            EXPECT_EQ(s.r32(0, i, l), lo | (hi << 16)) << "lane " << l << " reg " << i;
        }
}
INSTANTIATE_TEST_SUITE_P(MmaForms, LdMatrix,
                         ::testing::Combine(::testing::Values(1, 2, 4), ::testing::Values(false, true)));

TEST(LdMatrixChecks, MisalignedRowAndOutOfWindow) {
    Sim s(1, 16, 8192);
    fill_tiles(s);
    give_addresses(s, 4, 10);
    s.warp(0).reg(10, 5) += 8;  // lane 5's row address: 8-byte aligned only
    auto in = inst("ldmatrix.sync.aligned.m8n8.x4.shared.b16", {vec(0, 4), addr(10)});
    expect_fault([&] { s.run(0, in); }, CUDA_ERROR_MISALIGNED_ADDRESS, "16-byte alignment");
    give_addresses(s, 4, 10);
    s.warp(0).reg(10, 9) = 512;  // the reserved first KB
    expect_fault([&] { s.run(0, in); }, CUDA_ERROR_ILLEGAL_ADDRESS, "out-of-bounds");
    give_addresses(s, 4, 10);
    s.warp(0).reg(10, 30) = 2048 + 8192;  // past the window
    expect_fault([&] { s.run(0, in); }, CUDA_ERROR_ILLEGAL_ADDRESS, "out-of-bounds");
}

TEST(LdMatrixChecks, InitcheckSeesNeverWrittenRows) {
    Sim s(1, 16, 8192);
    give_addresses(s, 1, 10);
    expect_fault([&] { s.run(0, inst("ldmatrix.sync.aligned.m8n8.x1.shared::cta.b16", {reg(0), addr(10)})); },
                 CUDA_ERROR_LAUNCH_FAILED, "never-written");
}

TEST(LdMatrixChecks, GenericAddress) {
    Sim s(1, 16, 8192);
    fill_tiles(s);
    for (int l = 0; l < 32; ++l) s.warp(0).reg(10, l) = shared_to_generic(s.cta, row_addr(l / 8 % 2, l % 8));
    s.run(0, inst("ldmatrix.sync.aligned.m8n8.x2.b16", {vec(0, 2), addr(10)}));
    EXPECT_EQ(s.r32(0, 1, 4), uint32_t(code(1, 1, 0)) | (uint32_t(code(1, 1, 1)) << 16));
    s.warp(0).reg(10, 3) = 0x1000;  // not a shared address
    expect_fault([&] { s.run(0, inst("ldmatrix.sync.aligned.m8n8.x2.b16", {vec(0, 2), addr(10)})); },
                 CUDA_ERROR_ILLEGAL_ADDRESS, "not in the CTA's shared memory");
}

class StMatrix : public ::testing::TestWithParam<std::tuple<int, bool>> {};

TEST_P(StMatrix, InverseOfLdMatrix) {
    const auto [num, trans] = GetParam();
    Sim s(1, 16, 8192);
    give_addresses(s, num, 10);
    // Registers per the ldmatrix table: stmatrix must put each element at its coordinates.
    for (int l = 0; l < 32; ++l)
        for (int i = 0; i < num; ++i) {
            const int a = l / 4, b = 2 * (l % 4);
            const uint32_t lo = trans ? code(i, b, a) : code(i, a, b);
            const uint32_t hi = trans ? code(i, b + 1, a) : code(i, a, b + 1);
            s.r32(0, i, l) = lo | (hi << 16);
        }
    const std::string text = std::string("stmatrix.sync.aligned.m8n8.x") + std::to_string(num) + (trans ? ".trans" : "") +
                             ".shared.b16";
    s.run(0, inst(text, {addr(10), vec(0, num)}));
    for (int i = 0; i < num; ++i)
        for (int r = 0; r < 8; ++r)
            for (int c = 0; c < 8; ++c) EXPECT_EQ(s.get16(row_addr(i, r) + 2 * uint32_t(c)), code(i, r, c));
    for (int i = num; i < 4; ++i) EXPECT_EQ(s.cta.smem_init[row_addr(i, 0)], 0) << "matrix " << i << " written";
}
INSTANTIATE_TEST_SUITE_P(MmaForms, StMatrix,
                         ::testing::Combine(::testing::Values(1, 2, 4), ::testing::Values(false, true)));

TEST(StMatrixChecks, RaceWithAnotherWarpsUnorderedRead) {
    // stmatrix goes through shared_write: racecheck sees it (warp 1 read the
    // row with no barrier in between).
    Sim s(2, 16, 8192);
    fill_tiles(s);
    give_addresses(s, 1, 10);
    for (int l = 0; l < 32; ++l) s.warp(1).reg(10, l) = row_addr(0, l % 8);
    s.run(1, inst("ldmatrix.sync.aligned.m8n8.x1.shared.b16", {reg(0), addr(10)}));
    expect_fault([&] { s.run(0, inst("stmatrix.sync.aligned.m8n8.x1.shared.b16", {addr(10), reg(0)})); },
                 CUDA_ERROR_LAUNCH_FAILED, "write-after-read");
}

// ===========================================================================
TEST(SetMaxNReg, OperandAndDirection) {
    Sim s(1, 4, 1024);
    s.run(0, inst("setmaxnreg.dec.sync.aligned.u32", {imm(40)}));
    s.run(0, inst("setmaxnreg.inc.sync.aligned.u32", {imm(232)}));
    expect_fault([&] { s.run(0, inst("setmaxnreg.inc.sync.aligned.u32", {imm(100)})); },
                 CUDA_ERROR_ILLEGAL_INSTRUCTION, "multiple of 8");
    expect_fault([&] { s.run(0, inst("setmaxnreg.dec.sync.aligned.u32", {imm(16)})); },
                 CUDA_ERROR_ILLEGAL_INSTRUCTION, "multiple of 8 in [24, 256]");
    expect_fault([&] { s.run(0, inst("setmaxnreg.dec.sync.aligned.u32", {imm(240)})); },
                 CUDA_ERROR_ILLEGAL_INSTRUCTION, "must not");
    expect_fault([&] { s.run(0, inst("setmaxnreg.inc.sync.aligned.u32", {imm(240)}), 0xffu); },
                 CUDA_ERROR_ILLEGAL_INSTRUCTION, "all 32 lanes");
}

// ===========================================================================
// wgmma. Operands in shared memory are laid out here from the ISA's layout
// descriptions, independently of the implementation:
//  - swizzled K-major (the TMA / kernels' layout): row mn of W bytes
//    (W = 128/64/32) at (mn%8)*W + (mn/8)*SBO; its 16-byte chunk c stored at
//    chunk c ^ ((byte address >> 7) mod (W/16)) -- the pattern TMA's
//    CU_TENSOR_MAP_SWIZZLE_{128,64,32}B writes;
//  - swizzled MN-major: column k of W bytes (W/2 consecutive MN elements),
//    the same chunk swizzle, per the ISA's MN-major examples;
//  - no swizzle: the ISA's worked examples ("MN-major, no-swizzling, bf16":
//    ((8,1,2),(8,2)):((1,8,64),(8,128)) elements, and K-major
//    ((8,m),(T,2k)):((1T,SBO),(1,LBO))).
struct Layout {
    int swz;        // descriptor mode: 0 none, 1 128B, 2 64B, 3 32B
    bool mn_major;
    uint32_t lbo, sbo;
};
uint32_t swz_width(int swz) { return swz == 1 ? 128 : swz == 2 ? 64 : swz == 3 ? 32 : 16; }
uint32_t swizzle_bytes(int swz, uint32_t a) {
    if (swz == 0) return a;
    const uint32_t chunks = swz_width(swz) / 16;  // 8, 4, 2 chunks per row
    const uint32_t c = (a >> 4) & (chunks - 1);
    const uint32_t rowsel = (a >> 7) & (chunks - 1);
    return (a & ~((chunks - 1) << 4)) | ((c ^ rowsel) << 4);
}
uint32_t elem_addr(const Layout& L, uint32_t start, int mn, int k) {
    uint32_t off;
    const uint32_t W = swz_width(L.swz);
    if (!L.mn_major) {
        if (L.swz == 0) off = uint32_t(mn % 8) * 16 + uint32_t(mn / 8) * L.sbo + uint32_t(k % 8) * 2 + uint32_t(k / 8) * L.lbo;
        else off = uint32_t(mn % 8) * W + uint32_t(mn / 8) * L.sbo + uint32_t(k) * 2;
    } else {
        if (L.swz == 0) off = uint32_t(mn % 8) * 2 + uint32_t(mn / 8) * L.sbo + uint32_t(k % 8) * 16 + uint32_t(k / 8) * L.lbo;
        else {
            const uint32_t per = W / 2;  // MN elements per swizzle row
            off = uint32_t(mn % int(per)) * 2 + uint32_t(mn / int(per)) * L.lbo + uint32_t(k % 8) * W +
                  uint32_t(k / 8) * L.sbo;
        }
    }
    return swizzle_bytes(L.swz, start + off);
}
uint64_t make_desc(const Layout& L, uint32_t start) {
    return uint64_t(start >> 4) | (uint64_t(L.lbo >> 4) << 16) | (uint64_t(L.sbo >> 4) << 32) | (uint64_t(L.swz) << 62);
}

// The warpgroup's accumulator fragment (ISA figure "WGMMA .m64nNk16 register
// fragment layout for accumulator matrix D"): per warp q the m16n8 C fragment
// repeated over N/8 column blocks: d[4j + 0,1] = D[16q + g][8j + 2t, +1],
// d[4j + 2,3] = D[16q + g + 8][8j + 2t, +1].
float acc_at(Sim& s, int d0, int row, int col) {
    const int q = row / 16, rr = row % 16, g = rr % 8, t = (col % 8) / 2, j = col / 8;
    const int i = 4 * j + (rr >= 8 ? 2 : 0) + col % 2;
    return f32_of_bits(s.r32(q, d0 + i, 4 * g + t));
}

struct WgCase {
    int n;
    Layout la, lb;
    uint32_t a_start, b_start;
    bool bf16 = true;
};

// Fills A (64x16) and B (16xN) with small exact values at their layouts, runs
// fence / mma_async / commit / wait on the 4 warps and checks D = A B (+ C).
void run_wgmma_ss(const WgCase& c, int scale_a = 1, bool with_c = false) {
    const int n = c.n;
    Sim s(4, 200, 96 * 1024);
    std::vector<float> A(64 * 16), B(16 * std::size_t(n));
    std::mt19937 rng(uint32_t(n * 31 + c.lb.swz));
    std::uniform_int_distribution<int> d(-6, 6);
    auto enc = [&](float v) { return c.bf16 ? bf16_of(v) : f16_of(v); };
    for (int m = 0; m < 64; ++m)
        for (int k = 0; k < 16; ++k) {
            A[std::size_t(m * 16 + k)] = float(d(rng)) / 2;
            s.put16(elem_addr(c.la, c.a_start, m, k), enc(A[std::size_t(m * 16 + k)]));
        }
    for (int k = 0; k < 16; ++k)
        for (int nn = 0; nn < n; ++nn) {
            B[std::size_t(k * n + nn)] = float(d(rng));
            s.put16(elem_addr(c.lb, c.b_start, nn, k), enc(B[std::size_t(k * n + nn)]));
        }
    const int d0 = 10, ra = 2, rb = 4, rp = 6;
    for (int q = 0; q < 4; ++q)
        for (int l = 0; l < 32; ++l) {
            s.warp(q).reg(ra, l) = make_desc(c.la, c.a_start);
            s.warp(q).reg(rb, l) = make_desc(c.lb, c.b_start);
            s.warp(q).reg(rp, l) = with_c ? 1 : 0;
            for (int i = 0; i < n / 2; ++i) s.r32(q, d0 + i, l) = uint32_t(bits_of(with_c ? float(i + l) : 12345.0f));
        }
    // C as laid out before the instruction (for with_c).
    std::vector<float> C(64 * std::size_t(n));
    for (int r = 0; r < 64; ++r)
        for (int col = 0; col < n; ++col) C[std::size_t(r * n + col)] = acc_at(s, d0, r, col);
    const std::string ty = c.bf16 ? "bf16" : "f16";
    auto mma = inst("wgmma.mma_async.sync.aligned.m64n" + std::to_string(n) + "k16.f32." + ty + "." + ty,
                    {vec(d0, n / 2), reg(ra), reg(rb), reg(rp), imm(scale_a), imm(1), imm(c.la.mn_major ? 1 : 0),
                     imm(c.lb.mn_major ? 1 : 0)});
    s.run_wg(inst("wgmma.fence.sync.aligned", {}));
    for (int q = 0; q < 3; ++q) {
        s.run(q, mma);
        EXPECT_EQ(s.warp(q).state[0], LaneState::Blocked) << "warp " << q << " must wait for its warpgroup";
    }
    s.run(3, mma);
    for (int q = 0; q < 4; ++q) EXPECT_EQ(s.warp(q).state[5], LaneState::Active);
    EXPECT_EQ(s.r32(2, d0 + 1, 7), kPoison) << "in-flight accumulators hold the poison";
    s.run_wg(inst("wgmma.commit_group.sync.aligned", {}));
    s.run_wg(inst("wgmma.wait_group.sync.aligned", {imm(0)}), 0, {2, 0, 3, 1});
    for (int r = 0; r < 64; ++r)
        for (int col = 0; col < n; ++col) {
            double e = with_c ? C[std::size_t(r * n + col)] : 0.0;
            for (int k = 0; k < 16; ++k)
                e += double(scale_a) * double(A[std::size_t(r * 16 + k)]) * double(B[std::size_t(k * n + col)]);
            ASSERT_EQ(acc_at(s, d0, r, col), float(e)) << "row " << r << " col " << col;
        }
    for (int q = 0; q < 4; ++q) mma_warp_finish(s.warp(q));
    EXPECT_FALSE(wgmma_reads_inflight(s.cta, 1024, 96 * 1024));
}

// The kernels' layout: K-major 128B for A and B (make_smem_desc_kmajor_sw128:
// LBO 16, SBO 1024), the second k16 step of a 64-wide K box (+32 bytes).
TEST(Wgmma, SsKMajor128BAllN) {
    for (int n = 8; n <= 256; n += 8) {
        SCOPED_TRACE(n);
        const Layout k128{1, false, 16, 1024};
        run_wgmma_ss({n, k128, k128, 1024 + 32, 1024 + 8 * 1024 + 32});
    }
}
TEST(Wgmma, SsF16ScaleAMinusOneAccumulate) {
    const Layout k128{1, false, 16, 1024};
    WgCase c{64, k128, k128, 2048 + 64, 2048 + 16 * 1024};
    c.bf16 = false;
    run_wgmma_ss(c, -1, true);
}
// MN-major 128B B (make_smem_desc_mnmajor_sw128: LBO = the next 64-wide MN
// box, SBO 1024 between 8-row K groups), N = 128 so LBO matters.
TEST(Wgmma, SsMnMajor128B) {
    const Layout k128{1, false, 16, 1024};
    const Layout mn128{1, true, 2048, 1024};
    run_wgmma_ss({128, k128, mn128, 1024, 1024 + 8 * 1024});
    run_wgmma_ss({64, mn128, k128, 1024, 1024 + 8 * 1024});  // A MN-major too (imm-trans-a = 1)
}
// The ISA's worked examples: "MN-major, no-swizzling, bf16" (N 16, LBO 256,
// SBO 128), "MN-major, 32B swizzling" (N 32, LBO 256, SBO 512), "MN-major,
// 64B swizzling" (N 64, LBO 512, SBO 1024); K-major 64B / 32B / none.
TEST(Wgmma, SsOtherSwizzleModes) {
    const Layout k128{1, false, 16, 1024};
    run_wgmma_ss({16, k128, {0, true, 256, 128}, 1024, 1024 + 8192});
    run_wgmma_ss({32, k128, {3, true, 256, 512}, 1024, 1024 + 8192});
    run_wgmma_ss({64, k128, {2, true, 512, 1024}, 1024, 1024 + 8192});
    run_wgmma_ss({128, k128, {2, true, 512, 2048}, 1024, 1024 + 8192});  // four 32-wide boxes, LBO apart
    run_wgmma_ss({64, {2, false, 16, 512}, {2, false, 16, 512}, 1024 + 32, 1024 + 8192});
    run_wgmma_ss({64, {3, false, 16, 256}, {3, false, 16, 256}, 1024, 1024 + 8192});
    run_wgmma_ss({48, {0, false, 128, 256}, {0, false, 1024, 128}, 1024, 1024 + 8192});
    run_wgmma_ss({40, {0, true, 1024, 128}, {0, true, 1024, 128}, 1024, 1024 + 8192});
}

// Register A (ISA figure "WGMMA .m64nNk16 register fragment layout for matrix
// A"): per warp q, the m16n8k16 A fragment of rows 16q..16q+15:
// reg 0 = A[16q+g][2t, 2t+1], reg 1 = A[16q+g+8][2t, +1], reg 2 = A[16q+g][2t+8, +9],
// reg 3 = A[16q+g+8][2t+8, +9].
TEST(Wgmma, RsRegisterA) {
    const int n = 24;
    Sim s(4, 100, 32 * 1024);
    float A[64][16];
    for (int m = 0; m < 64; ++m)
        for (int k = 0; k < 16; ++k) A[m][k] = float((m * 3 + k * 5) % 9) - 4;
    const Layout k128{1, false, 16, 1024};
    std::vector<float> B(16 * n);
    for (int k = 0; k < 16; ++k)
        for (int nn = 0; nn < n; ++nn) {
            B[std::size_t(k * n + nn)] = float((k + nn) % 4) - 1.5f;
            s.put16(elem_addr(k128, 4096, nn, k), bf16_of(B[std::size_t(k * n + nn)]));
        }
    auto pair = [](float lo, float hi) { return uint32_t(bf16_of(lo)) | (uint32_t(bf16_of(hi)) << 16); };
    for (int q = 0; q < 4; ++q)
        for (int l = 0; l < 32; ++l) {
            const int g = l / 4, t = l % 4, r0 = 16 * q + g;
            s.r32(q, 0, l) = pair(A[r0][2 * t], A[r0][2 * t + 1]);
            s.r32(q, 1, l) = pair(A[r0 + 8][2 * t], A[r0 + 8][2 * t + 1]);
            s.r32(q, 2, l) = pair(A[r0][2 * t + 8], A[r0][2 * t + 9]);
            s.r32(q, 3, l) = pair(A[r0 + 8][2 * t + 8], A[r0 + 8][2 * t + 9]);
            s.warp(q).reg(4, l) = make_desc(k128, 4096);
            s.warp(q).reg(5, l) = 0;  // scale-d false: D = A B
        }
    auto mma = inst("wgmma.mma_async.sync.aligned.m64n24k16.f32.bf16.bf16",
                    {vec(20, n / 2), vec(0, 4), reg(4), reg(5), imm(1), imm(1), imm(0)});
    s.run_wg(inst("wgmma.fence.sync.aligned", {}));
    s.run_wg(mma, 0, {3, 1, 2, 0});
    s.run_wg(inst("wgmma.commit_group.sync.aligned", {}));
    s.run_wg(inst("wgmma.wait_group.sync.aligned", {imm(0)}));
    for (int r = 0; r < 64; ++r)
        for (int col = 0; col < n; ++col) {
            double e = 0;
            for (int k = 0; k < 16; ++k) e += double(A[r][k]) * double(B[std::size_t(k * n + col)]);
            ASSERT_EQ(acc_at(s, 20, r, col), float(e)) << r << "," << col;
        }
}

// A small warpgroup setup for the protocol tests: A and B K-major 128B, N 8,
// every element 1 so D = 16 per mma (+ C).
struct WgSmall {
    Sim s{8, 40, 32 * 1024};
    const Layout k128{1, false, 16, 1024};
    ptx::Instruction fence = inst("wgmma.fence.sync.aligned", {});
    ptx::Instruction commit = inst("wgmma.commit_group.sync.aligned", {});
    ptx::Instruction mma = inst("wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16",
                                {vec(10, 4), reg(2), reg(3), reg(4), imm(1), imm(1), imm(0), imm(0)});
    WgSmall() {
        for (int m = 0; m < 64; ++m)
            for (int k = 0; k < 16; ++k) s.put16(elem_addr(k128, 1024, m, k), bf16_of(1.0f));
        for (int nn = 0; nn < 8; ++nn)
            for (int k = 0; k < 16; ++k) s.put16(elem_addr(k128, 16384, nn, k), bf16_of(1.0f));
        for (int q = 0; q < 8; ++q)
            for (int l = 0; l < 32; ++l) {
                s.warp(q).reg(2, l) = make_desc(k128, 1024);
                s.warp(q).reg(3, l) = make_desc(k128, 16384);
                s.warp(q).reg(4, l) = 1;
            }
    }
    ptx::Instruction wait(int n) { return inst("wgmma.wait_group.sync.aligned", {imm(n)}); }
};

TEST(WgmmaRules, ChainedGroupsLandAtTheirWait) {
    WgSmall t;
    auto& s = t.s;
    auto mma2 = inst("wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16",
                     {vec(14, 4), reg(2), reg(3), reg(4), imm(1), imm(1), imm(0), imm(0)});
    s.run_wg(t.fence);
    s.run_wg(t.mma);  // group 0: 0 + 16
    s.run_wg(t.mma);  // chained on the same accumulators, same group: 32
    s.run_wg(t.commit);
    s.run_wg(mma2);   // group 1, other accumulators: 16
    s.run_wg(t.commit);
    EXPECT_TRUE(wgmma_reads_inflight(s.cta, 16384, 2));
    s.run_wg(t.wait(1));
    for (int r = 0; r < 64; ++r) EXPECT_EQ(acc_at(s, 10, r, 5), 32.0f) << "group 0 complete at wait_group 1";
    EXPECT_EQ(s.r32(1, 15, 3), kPoison) << "group 1 still in flight";
    EXPECT_TRUE(wgmma_reads_inflight(s.cta, 16384, 2));
    EXPECT_FALSE(wgmma_reads_inflight(s.cta, 16384 + 1024, 4096));
    s.run_wg(t.wait(0));
    for (int r = 0; r < 64; ++r) EXPECT_EQ(acc_at(s, 14, r, 5), 16.0f);
    EXPECT_FALSE(wgmma_reads_inflight(s.cta, 1024, 30 * 1024));
    for (int q = 0; q < 4; ++q) EXPECT_NO_THROW(mma_warp_finish(s.warp(q)));
}

TEST(WgmmaRules, ChainingAcrossGroupsReadsThePendingResult) {
    // A wgmma on accumulators of an earlier, still in-flight group builds on
    // that group's result (the hardware orders them); the registers show the
    // poison until the last group's wait.
    WgSmall t;
    auto& s = t.s;
    s.run_wg(t.fence);
    s.run_wg(t.mma);
    s.run_wg(t.commit);
    s.run_wg(t.mma);
    s.run_wg(t.commit);
    s.run_wg(t.wait(1));
    EXPECT_EQ(s.r32(0, 10, 0), kPoison);
    s.run_wg(t.wait(0));
    EXPECT_EQ(acc_at(s, 10, 63, 7), 32.0f);
}

TEST(WgmmaRules, OperandsStayInFlightUntilAllFourWarpsWaited) {
    WgSmall t;
    auto& s = t.s;
    s.run_wg(t.fence);
    s.run_wg(t.mma);
    s.run_wg(t.commit);
    for (int q = 0; q < 3; ++q) {
        s.run(q, t.wait(0));
        EXPECT_EQ(acc_at(s, 10, 16 * q, 0), 16.0f) << "the waiting warp's accumulators land";
        EXPECT_TRUE(wgmma_reads_inflight(s.cta, 1024, 16));
    }
    s.run(3, t.wait(0));
    EXPECT_FALSE(wgmma_reads_inflight(s.cta, 1024, 16));
}

TEST(WgmmaRules, SecondWarpgroupIsIndependent) {
    WgSmall t;
    auto& s = t.s;
    s.run_wg(t.fence, 1);
    s.run_wg(t.mma, 1);
    s.run_wg(t.commit, 1);
    EXPECT_EQ(s.warp(0).mma.commits, 0u);
    s.run_wg(t.wait(0), 1);
    EXPECT_EQ(acc_at(s, 10, 0, 0), 0.0f);  // warpgroup 0 untouched
    EXPECT_EQ(f32_of_bits(s.r32(4, 10, 0)), 16.0f);
}

TEST(WgmmaRules, MmaWithoutFence) {
    WgSmall t;
    expect_fault([&] { t.s.run(0, t.mma); }, CUDA_ERROR_LAUNCH_FAILED, "without a wgmma.fence");
    // A wait ends the fence's reach.
    WgSmall u;
    u.s.run_wg(u.fence);
    u.s.run_wg(u.mma);
    u.s.run_wg(u.commit);
    u.s.run_wg(u.wait(0));
    expect_fault([&] { u.s.run(0, u.mma); }, CUDA_ERROR_LAUNCH_FAILED, "without a wgmma.fence");
}

TEST(WgmmaRules, AccumulatorWrittenInFlight) {
    WgSmall t;
    auto& s = t.s;
    s.run_wg(t.fence);
    s.run_wg(t.mma);
    s.run_wg(t.commit);
    s.r32(2, 11, 9) = uint32_t(bits_of(0.0f));  // e.g. zeroing the accumulators before the wait
    s.run(0, t.wait(0));
    s.run(1, t.wait(0));
    expect_fault([&] { s.run(2, t.wait(0)); }, CUDA_ERROR_LAUNCH_FAILED, "accumulator register %r11 was written");
}

TEST(WgmmaRules, SharedOperandOverwrittenInFlight) {
    WgSmall t;
    auto& s = t.s;
    s.run_wg(t.fence);
    s.run_wg(t.mma);
    s.run_wg(t.commit);
    s.put16(elem_addr(t.k128, 16384, 3, 9), bf16_of(2.0f));  // e.g. the next TMA load into the stage
    for (int q = 0; q < 3; ++q) s.run(q, t.wait(0));
    expect_fault([&] { s.run(3, t.wait(0)); }, CUDA_ERROR_LAUNCH_FAILED, "changed");
}

TEST(WgmmaRules, RegisterAChangedInFlight) {
    WgSmall t;
    auto& s = t.s;
    auto rs = inst("wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16",
                   {vec(10, 4), vec(20, 4), reg(3), reg(4), imm(1), imm(1), imm(0)});
    s.run_wg(t.fence);
    s.run_wg(rs);
    s.run_wg(t.commit);
    s.r32(0, 21, 4) ^= 1;
    expect_fault([&] { s.run(0, t.wait(0)); }, CUDA_ERROR_LAUNCH_FAILED, "register-A fragment %r21 changed");
}

TEST(WgmmaRules, ExitWithGroupNotWaited) {
    WgSmall t;
    auto& s = t.s;
    s.run_wg(t.fence);
    s.run_wg(t.mma);
    expect_fault([&] { mma_warp_finish(s.warp(0)); }, CUDA_ERROR_LAUNCH_FAILED, "in flight");
    s.run_wg(t.commit);
    expect_fault([&] { mma_warp_finish(s.warp(1)); }, CUDA_ERROR_LAUNCH_FAILED, "1 committed wgmma-group");
}

TEST(WgmmaRules, DescriptorChecks) {
    {
        WgSmall t;
        for (int l = 0; l < 32; ++l)
            for (int q = 0; q < 4; ++q) t.s.warp(q).reg(3, l) |= 1ull << 47;
        t.s.run_wg(t.fence);
        expect_fault([&] { t.s.run_wg(t.mma); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "reserved bits");
    }
    {
        WgSmall t;
        for (int l = 0; l < 32; ++l)
            for (int q = 0; q < 4; ++q) t.s.warp(q).reg(2, l) |= 3ull << 49;
        t.s.run_wg(t.fence);
        expect_fault([&] { t.s.run_wg(t.mma); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "base offset");
    }
    {
        WgSmall t;  // descriptors must agree across the warpgroup
        t.s.warp(2).reg(3, 17) += 1;
        t.s.run_wg(t.fence);
        expect_fault([&] { t.s.run_wg(t.mma); }, CUDA_ERROR_LAUNCH_FAILED, "differ across the warpgroup");
    }
    {
        WgSmall t;  // operand outside the window
        for (int l = 0; l < 32; ++l)
            for (int q = 0; q < 4; ++q) t.s.warp(q).reg(3, l) = make_desc(t.k128, 1024 + 32 * 1024);
        t.s.run_wg(t.fence);
        expect_fault([&] { t.s.run_wg(t.mma); }, CUDA_ERROR_ILLEGAL_ADDRESS, "out-of-bounds");
    }
    {
        WgSmall t;  // never-written operand bytes
        for (int l = 0; l < 32; ++l)
            for (int q = 0; q < 4; ++q) t.s.warp(q).reg(3, l) = make_desc(t.k128, 24576);
        t.s.run_wg(t.fence);
        expect_fault([&] { t.s.run_wg(t.mma); }, CUDA_ERROR_LAUNCH_FAILED, "never-written");
    }
}

TEST(WgmmaRules, PartialWarpgroupAndImmediates) {
    {
        Sim s(2, 40, 4096);
        s.run(0, inst("wgmma.fence.sync.aligned", {}));
        auto mma = inst("wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16",
                        {vec(10, 4), reg(2), reg(3), reg(4), imm(1), imm(1), imm(0), imm(0)});
        expect_fault([&] { s.run(0, mma); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "incomplete");
    }
    {
        WgSmall t;
        t.s.warp(3).state[0] = LaneState::Exited;
        t.s.run(0, t.fence);
        expect_fault([&] { t.s.run(0, t.mma); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "partial warpgroup");
    }
    {
        WgSmall t;
        auto bad = inst("wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16",
                        {vec(10, 4), reg(2), reg(3), reg(4), imm(2), imm(1), imm(0), imm(0)});
        t.s.run_wg(t.fence);
        expect_fault([&] { t.s.run_wg(bad); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "imm-scale");
    }
    {
        WgSmall t;  // the warps must meet at the same instruction
        auto other = t.mma;
        t.s.run_wg(t.fence);
        t.s.run(0, t.mma);
        t.s.run(1, t.mma);
        t.s.run(2, t.mma);
        expect_fault([&] { t.s.run(3, other); }, CUDA_ERROR_ILLEGAL_INSTRUCTION, "different wgmma.mma_async");
    }
}

TEST(WgmmaDecode, Forms) {
    EXPECT_NE(decode_mma(inst("wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16",
                              {vec(0, 128), reg(200), reg(201), reg(202), imm(1), imm(1), imm(0), imm(1)})),
              nullptr);
    EXPECT_EQ(decode_mma(inst("wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16",  // D needs N/2 registers
                              {vec(0, 64), reg(200), reg(201), reg(202), imm(1), imm(1), imm(0), imm(1)})),
              nullptr);
    EXPECT_EQ(decode_mma(inst("wgmma.mma_async.sync.aligned.m64n12k16.f32.bf16.bf16",
                              {vec(0, 6), reg(200), reg(201), reg(202), imm(1), imm(1), imm(0), imm(1)})),
              nullptr);
    EXPECT_EQ(decode_mma(inst("wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3",
                              {vec(0, 4), reg(200), reg(201), reg(202), imm(1), imm(1)})),
              nullptr);
    EXPECT_NE(decode_mma(inst("wgmma.wait_group.sync.aligned", {imm(1)})), nullptr);
    EXPECT_EQ(decode_mma(inst("wgmma.wait_group.sync.aligned", {reg(1)})), nullptr);
}

// ===========================================================================
// The operand shapes the parser gives for the forms nvcc emits (operand
// order of wgmma.mma_async ss / rs as in /tmp/ptx: d, a-desc | {a}, b-desc,
// scale-d, imm-scale-a, imm-scale-b[, imm-trans-a], imm-trans-b), decoded and
// one wgmma run from the parsed text.
constexpr const char* kPtx = R"(
.version 8.4
.target sm_90a
.address_size 64
.visible .entry k()
{
    .reg .b32 %r<10>;
    .reg .b64 %rd<4>;
    .reg .f32 %f<8>;
    .reg .pred %p<2>;
    wgmma.fence.sync.aligned;
    {
    .reg .pred p;
    setp.ne.u32 p, %r1, 0;
    wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16
    {%f0, %f1, %f2, %f3},
    %rd1, %rd2, p, 1, 1, 0, 0;
    }
    wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16
    {%f4, %f5, %f6, %f7},
    {%r2, %r3, %r4, %r5}, %rd2, %p1, 1, -1, 1;
    wgmma.commit_group.sync.aligned;
    wgmma.wait_group.sync.aligned 0;
    ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%r2, %r3, %r4, %r5}, [%r6];
    ldmatrix.sync.aligned.m8n8.x1.shared::cta.b16 {%r2}, [%r6+16];
    stmatrix.sync.aligned.m8n8.x2.shared::cta.b16 [%r6+16], {%r2, %r3};
    mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%f0, %f1, %f2, %f3}, {%r2, %r3, %r4, %r5}, {%r6, %r7}, {%f0, %f1, %f2, %f3};
    mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 {%f0, %f1, %f2, %f3}, {%r2, %r3}, {%r6}, {%f0, %f1, %f2, %f3};
    mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e5m2.f32 {%f0, %f1, %f2, %f3}, {%r2, %r3, %r4, %r5}, {%r6, %r7}, {%f0, %f1, %f2, %f3};
    setmaxnreg.inc.sync.aligned.u32 240;
    ret;
}
)";

TEST(MmaParsedPtx, FormsDecodeAndWgmmaRuns) {
    const ptx::Module m = ptx::parse_module(kPtx);
    const ptx::Function& fn = m.functions.at(0);
    int family = 0;
    const ptx::Instruction* ss = nullptr;
    for (const auto& in : fn.insts) {
        const bool mine = in.base == "wgmma" || in.base == "mma" || in.base == "ldmatrix" || in.base == "stmatrix" ||
                          in.base == "setmaxnreg";
        if (!mine) continue;
        ++family;
        EXPECT_NE(decode_mma(in), nullptr) << in.text << " (PTX line " << in.ptx_line << ")";
        if (in.base == "wgmma" && !in.mods.empty() && in.mods[0] == "mma_async" && in.ops.size() == 8) ss = &in;
    }
    EXPECT_EQ(family, 12);
    ASSERT_NE(ss, nullptr);
    // Run the parsed ss form: A and B all ones (K-major 128B), scale-d from the scoped predicate p.
    Sim s(4, int(fn.regs.size()), 32 * 1024);
    const Layout k128{1, false, 16, 1024};
    for (int mn = 0; mn < 64; ++mn)
        for (int k = 0; k < 16; ++k) {
            s.put16(elem_addr(k128, 1024, mn, k), bf16_of(1.0f));
            s.put16(elem_addr(k128, 16384, mn, k), bf16_of(float(k)));
        }
    for (int q = 0; q < 4; ++q)
        for (int l = 0; l < 32; ++l) {
            s.warp(q).reg(ss->ops[1].reg, l) = make_desc(k128, 1024);
            s.warp(q).reg(ss->ops[2].reg, l) = make_desc(k128, 16384);
            s.warp(q).reg(ss->ops[3].reg, l) = 1;  // p: accumulate
            for (int i = 0; i < 4; ++i) s.r32(q, ss->ops[0].elems[std::size_t(i)].reg, l) = uint32_t(bits_of(0.5f));
        }
    s.run_wg(inst("wgmma.fence.sync.aligned", {}));
    s.run_wg(*ss);
    s.run_wg(inst("wgmma.commit_group.sync.aligned", {}));
    s.run_wg(inst("wgmma.wait_group.sync.aligned", {imm(0)}));
    // D = 0.5 + sum_k 1 * k = 120.5 everywhere.
    for (int q = 0; q < 4; ++q)
        for (int i = 0; i < 4; ++i) EXPECT_EQ(f32_of_bits(s.r32(q, ss->ops[0].elems[std::size_t(i)].reg, 13)), 120.5f);
}

#ifndef PTXSIM_MMA_STANDALONE_TEST
// ===========================================================================
// End to end through the scheduler (load_module / run_launch): a 128-thread
// kernel fills A (64x16, bf16 1.0) and B (16x8, bf16 2.0) with st.shared,
// bar.sync, then wgmma fence / mma_async / commit / wait and stores its
// accumulators: D = 0.5 + 16 * 1 * 2 = 32.5 everywhere. Variants: the
// accumulators stored before the wait (they read the in-flight NaN), no wait
// (a fault at exit), no fence (a fault).
std::string e2e_kernel(const std::string& body_end) {
    return std::string(R"(
.version 8.4
.target sm_90a
.address_size 64
.visible .entry wg_e2e(.param .u64 out)
{
    .reg .b32 %r<40>;
    .reg .b64 %rd<16>;
    .reg .f32 %f<8>;
    .reg .pred %p<4>;
    .shared .align 1024 .b8 tile[9216];
    mov.u32 %r1, %tid.x;
    mov.u32 %r2, tile;
    mov.u32 %r3, %r1;
$Lfill:
    setp.ge.u32 %p1, %r3, 2304;
    @%p1 bra $Ldone;
    setp.lt.u32 %p2, %r3, 2048;
    selp.b32 %r4, 1065369472, 1073758208, %p2;
    shl.b32 %r5, %r3, 2;
    add.s32 %r6, %r2, %r5;
    st.shared.u32 [%r6], %r4;
    add.s32 %r3, %r3, 128;
    bra $Lfill;
$Ldone:
    fence.proxy.async.shared::cta;
    bar.sync 0;
    cvt.u64.u32 %rd1, %r2;
    shr.u64 %rd2, %rd1, 4;
    or.b64 %rd3, %rd2, 4611686293305360384;
    add.s64 %rd4, %rd3, 512;
    mov.f32 %f0, 0f3F000000;
    mov.f32 %f1, 0f3F000000;
    mov.f32 %f2, 0f3F000000;
    mov.f32 %f3, 0f3F000000;
    mov.u32 %r7, 1;
    ld.param.u64 %rd5, [out];
    cvta.to.global.u64 %rd6, %rd5;
    mul.wide.u32 %rd7, %r1, 16;
    add.s64 %rd8, %rd6, %rd7;
)") + body_end + "\n    ret;\n}\n";
}
constexpr const char* kFence = "    wgmma.fence.sync.aligned;\n";
constexpr const char* kMma = R"(    {
    .reg .pred p;
    setp.ne.u32 p, %r7, 0;
    wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16
    {%f0, %f1, %f2, %f3},
    %rd3, %rd4, p, 1, 1, 0, 0;
    }
    wgmma.commit_group.sync.aligned;
)";
constexpr const char* kWait = "    wgmma.wait_group.sync.aligned 0;\n";
constexpr const char* kStore = "    st.global.v4.f32 [%rd8], {%f0, %f1, %f2, %f3};\n";

LaunchResult run_e2e(const std::string& ptx_text, std::vector<float>& out) {
    const DeviceModel dev = h100_model();
    ModulePtr m = load_module(ptx_text, dev);
    const KernelInfo* k = find_kernel(*m, "wg_e2e");
    EXPECT_NE(k, nullptr);
    out.assign(512, -1.0f);
    allocations().add(reinterpret_cast<uint64_t>(out.data()), out.size() * 4, "test output");
    LaunchConfig cfg;
    cfg.module = m.get();
    cfg.kernel = k;
    cfg.block[0] = 128;
    const uint64_t p = reinterpret_cast<uint64_t>(out.data());
    cfg.params.resize(8);
    std::memcpy(cfg.params.data(), &p, 8);
    const LaunchResult r = run_launch(cfg, dev);
    allocations().remove(reinterpret_cast<uint64_t>(out.data()));
    return r;
}

TEST(MmaEndToEnd, WgmmaThroughTheScheduler) {
    for (const char* seed : {"0", "3", "11"}) {
        SCOPED_TRACE(seed);
        setenv("PTXSIM_SEED", seed, 1);
        std::vector<float> out;
        const LaunchResult r = run_e2e(e2e_kernel(std::string(kFence) + kMma + kWait + kStore), out);
        ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
        for (float v : out) ASSERT_EQ(v, 32.5f);
    }
    unsetenv("PTXSIM_SEED");
}

TEST(MmaEndToEnd, AccumulatorsReadBeforeTheWaitAreNaN) {
    std::vector<float> out;
    const LaunchResult r = run_e2e(e2e_kernel(std::string(kFence) + kMma + kStore + kWait), out);
    ASSERT_EQ(r.status, CUDA_SUCCESS) << r.message;
    for (float v : out) {
        uint32_t u;
        std::memcpy(&u, &v, 4);
        ASSERT_EQ(u, kPoison);
    }
}

TEST(MmaEndToEnd, MissingWaitOrFenceFaults) {
    std::vector<float> out;
    LaunchResult r = run_e2e(e2e_kernel(std::string(kFence) + kMma + kStore), out);
    EXPECT_EQ(r.status, CUDA_ERROR_LAUNCH_FAILED);
    EXPECT_NE(r.message.find("wgmma work outstanding"), std::string::npos) << r.message;
    r = run_e2e(e2e_kernel(std::string(kMma) + kWait + kStore), out);
    EXPECT_EQ(r.status, CUDA_ERROR_LAUNCH_FAILED);
    EXPECT_NE(r.message.find("without a wgmma.fence"), std::string::npos) << r.message;
}
#endif

}  // namespace
