// Unit tests of the PTX parser (ptx/parser.cpp): each parses a small module
// written for the test and checks the IR against values worked out by hand.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "ptx/parser.hpp"

#ifndef PTXSIM_SOURCE_DIR
#define PTXSIM_SOURCE_DIR "/work/main"
#endif

using namespace ptxsim::ptx;

namespace {

// Wraps a body in a minimal module with one kernel "k" (params optional).
std::string kernel(const std::string& body, const std::string& params = "",
                   const std::string& globals = "") {
    return ".version 8.0\n.target sm_90a\n.address_size 64\n" + globals + ".visible .entry k(" + params +
           ")\n{\n" + body + "\n}\n";
}

const Function& only(const Module& m) {
    EXPECT_EQ(m.functions.size(), 1u);
    return m.functions.at(0);
}

int slot_of(const Function& f, const std::string& name) {
    for (size_t i = 0; i < f.regs.size(); ++i)
        if (f.regs[i].name == name) return static_cast<int>(i);
    return -1;
}

// The line of a ParseError thrown by parsing `text`, or -1 when none.
int error_line(const std::string& text, std::string* what = nullptr) {
    try {
        parse_module(text);
    } catch (const ParseError& e) {
        if (what) *what = e.what();
        return e.line();
    }
    return -1;
}

}  // namespace

TEST(Types, BitsAndNames) {
    EXPECT_EQ(type_bits(Type::Pred), 1);
    EXPECT_EQ(type_bits(Type::None), 0);
    EXPECT_EQ(type_bits(Type::B128), 128);
    EXPECT_EQ(type_bits(Type::BF16x2), 32);
    EXPECT_EQ(type_bits(Type::E4M3), 8);
    EXPECT_EQ(type_from_name("u32"), Type::U32);
    EXPECT_EQ(type_from_name("pred"), Type::Pred);
    EXPECT_EQ(type_from_name("f16x2"), Type::F16x2);
    EXPECT_EQ(type_from_name("q7"), Type::None);
    EXPECT_STREQ(type_name(Type::S64), "s64");
    EXPECT_STREQ(type_name(Type::E5M2x2), "e5m2x2");
}

TEST(Parser, ModuleHeader) {
    Module m = parse_module(kernel("ret;"));
    EXPECT_EQ(m.version, ".version 8.0");
    EXPECT_EQ(m.target, "sm_90a");
    EXPECT_EQ(m.address_size, 64u);
    ASSERT_NE(m.find("k"), nullptr);
    EXPECT_TRUE(m.find("k")->is_entry);
    EXPECT_EQ(m.find("nope"), nullptr);
}

TEST(Parser, RegisterRangesAndSlots) {
    Module m = parse_module(kernel(
        ".reg .pred %p<5>;\n.reg .b32 %r<3>;\n.reg .f32 %f1;\n.reg .b64 %SP;\n.reg .b32 a, b, c;\n"
        "mov.u32 %r2, %r0;\nmov.b32 c, a;\nmov.u64 %SP, 0;\n"));
    const Function& f = only(m);
    ASSERT_EQ(f.regs.size(), 5u + 3u + 1u + 1u + 3u);
    EXPECT_EQ(f.regs[0].name, "%p0");
    EXPECT_EQ(f.regs[4].name, "%p4");
    EXPECT_EQ(f.regs[4].type, Type::Pred);
    EXPECT_EQ(f.regs[5].name, "%r0");
    EXPECT_EQ(f.regs[7].name, "%r2");
    EXPECT_EQ(f.regs[7].type, Type::B32);
    EXPECT_EQ(f.regs[8].name, "%f1");
    EXPECT_EQ(f.regs[8].type, Type::F32);
    EXPECT_EQ(f.regs[9].name, "%SP");
    EXPECT_EQ(f.regs[12].name, "c");
    EXPECT_EQ(slot_of(f, "%r2"), 7);
    EXPECT_EQ(slot_of(f, "a"), 10);
    ASSERT_EQ(f.insts.size(), 3u);
    EXPECT_EQ(f.insts[0].ops[0].kind, OperandKind::Reg);
    EXPECT_EQ(f.insts[0].ops[0].reg, 7);
    EXPECT_EQ(f.insts[0].ops[1].reg, 5);
    EXPECT_EQ(f.insts[1].ops[0].reg, 12);
    EXPECT_EQ(f.insts[1].ops[1].reg, 10);
    EXPECT_EQ(f.insts[2].ops[0].reg, 9);
}

TEST(Parser, RangeUpperBoundIsExclusive) {
    std::string what;
    EXPECT_EQ(error_line(kernel(".reg .b32 %r<3>;\nmov.u32 %r3, 1;"), &what), 7);
    EXPECT_NE(what.find("%r3"), std::string::npos) << what;
}

TEST(Parser, ParamOffsetsAndAlignment) {
    Module m = parse_module(kernel("ret;", ".param .u32 a, .param .align 8 .b8 b[24], .param .u64 c"));
    const Function& f = only(m);
    ASSERT_EQ(f.params.size(), 3u);
    EXPECT_EQ(f.params[0].offset, 0u);
    EXPECT_EQ(f.params[0].size, 4u);
    EXPECT_EQ(f.params[1].offset, 8u);
    EXPECT_EQ(f.params[1].size, 24u);
    EXPECT_EQ(f.params[1].align, 8u);
    EXPECT_EQ(f.params[1].type, Type::B8);
    EXPECT_EQ(f.params[2].offset, 32u);
    EXPECT_EQ(f.params[2].align, 8u);
    EXPECT_EQ(f.param_bytes, 40u);
}

TEST(Parser, ParamPointerAttributesAndUses) {
    Module m = parse_module(kernel(".reg .b64 %rd<3>;\nld.param.u64 %rd1, [p1+8];\nmov.b64 %rd2, p0;\n"
                                   "ld.param.u8 %rd0, [p0];",
                                   ".param .u8 x, .param .u64 .ptr.global.align 16 p0, .param .align 8 .b8 p1[16]"));
    const Function& f = only(m);
    ASSERT_EQ(f.params.size(), 3u);
    EXPECT_EQ(f.params[1].offset, 8u);  // u64: aligned to 8, not the pointee's 16
    EXPECT_EQ(f.params[2].offset, 16u);
    EXPECT_EQ(f.param_bytes, 32u);
    const Operand& a = f.insts[0].ops[1];
    EXPECT_EQ(a.kind, OperandKind::Addr);
    EXPECT_EQ(a.param, 2);
    EXPECT_EQ(a.reg, -1);
    EXPECT_EQ(a.symbol, -1);
    EXPECT_EQ(a.imm, 8);
    const Operand& v = f.insts[1].ops[1];
    EXPECT_EQ(v.kind, OperandKind::Symbol);
    EXPECT_EQ(v.param, 1);
    EXPECT_EQ(v.symbol, -1);
    EXPECT_EQ(f.insts[2].ops[1].param, 1);
    EXPECT_EQ(f.insts[2].ops[1].imm, 0);
}

TEST(Parser, NestedScopesResolveInnermostFirst) {
    // Two inline-asm blocks reuse "p" and the label "again"; the inner block of
    // the second declares its own "p" again. Lines noted for the targets.
    const std::string body =
        ".reg .b32 %r<4>;\n"                       // 6
        "{\n"                                      // 7
        ".reg .pred p;\n"                          // 8
        "again:\n"                                 // 9
        "setp.ne.u32 p, %r1, 0;\n"                 // 10: inst 0
        "@!p bra again;\n"                         // 11: inst 1 -> 0
        "}\n"                                      // 12
        "{\n"                                      // 13
        ".reg .pred p;\n"                          // 14
        "@p bra again;\n"                          // 15: inst 2 -> 4 (forward)
        "{\n"
        ".reg .pred p;\n"
        "setp.eq.u32 p, %r2, 1;\n"                 // inst 3: innermost p
        "}\n"
        "again:\n"
        "setp.ne.u32 p, %r2, 0;\n"                 // inst 4: second block's p
        "@p bra again;\n"                          // inst 5 -> 4
        "}\n"
        "again: ret;\n";                           // inst 6 (function-scope label)
    Module m = parse_module(kernel(body));
    const Function& f = only(m);
    ASSERT_EQ(f.insts.size(), 7u);
    ASSERT_EQ(f.regs.size(), 4u + 3u);
    const int p1 = f.insts[0].ops[0].reg, p2 = f.insts[4].ops[0].reg, p3 = f.insts[3].ops[0].reg;
    EXPECT_EQ(p1, 4);
    EXPECT_EQ(p2, 5);
    EXPECT_EQ(p3, 6);
    EXPECT_EQ(f.regs[static_cast<size_t>(p1)].name, "p");
    EXPECT_EQ(f.regs[static_cast<size_t>(p1)].type, Type::Pred);
    EXPECT_EQ(f.insts[1].guard, p1);
    EXPECT_TRUE(f.insts[1].guard_neg);
    EXPECT_EQ(f.insts[1].ops[0].kind, OperandKind::Label);
    EXPECT_EQ(f.insts[1].ops[0].label, 0);
    EXPECT_EQ(f.insts[2].guard, p2);
    EXPECT_FALSE(f.insts[2].guard_neg);
    EXPECT_EQ(f.insts[2].ops[0].label, 4);
    EXPECT_EQ(f.insts[5].guard, p2);
    EXPECT_EQ(f.insts[5].ops[0].label, 4);
    EXPECT_EQ(f.insts[1].ptx_line, 11);
}

TEST(Parser, LabelAtEndTargetsNextIndex) {
    // A label after the last instruction targets one past the end.
    Module m = parse_module(
        kernel(".reg .pred %p<2>;\n.reg .b32 %r<2>;\n@%p1 bra $L__BB0_2;\nadd.s32 %r1, %r1, 1;\n$L__BB0_2:\n"));
    const Function& f = only(m);
    ASSERT_EQ(f.insts.size(), 2u);
    EXPECT_EQ(f.insts[0].ops[0].kind, OperandKind::Label);
    EXPECT_EQ(f.insts[0].ops[0].label, 2);
}

TEST(Parser, GuardsAndOpcodeModifiers) {
    Module m = parse_module(kernel(
        ".reg .pred %p<3>;\n.reg .b32 %r<4>;\n"
        "@%p1 add.s32 %r1, %r2, %r3;\n@!%p2 mbarrier.try_wait.parity.shared::cta.b64 %p0, [%r1], %r2;\n"
        "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%r1], [%r2], %r3, [%r0];\n"
        "ret;"));
    const Function& f = only(m);
    ASSERT_EQ(f.insts.size(), 4u);
    EXPECT_EQ(f.insts[0].guard, 1);
    EXPECT_FALSE(f.insts[0].guard_neg);
    EXPECT_EQ(f.insts[0].base, "add");
    EXPECT_EQ(f.insts[0].mods, (std::vector<std::string>{"s32"}));
    EXPECT_EQ(f.insts[1].guard, 2);
    EXPECT_TRUE(f.insts[1].guard_neg);
    EXPECT_EQ(f.insts[1].text, "mbarrier.try_wait.parity.shared::cta.b64");
    EXPECT_EQ(f.insts[1].mods, (std::vector<std::string>{"try_wait", "parity", "shared::cta", "b64"}));
    EXPECT_EQ(f.insts[2].base, "cp");
    EXPECT_EQ(f.insts[2].mods,
              (std::vector<std::string>{"async", "bulk", "shared::cluster", "global", "mbarrier::complete_tx::bytes"}));
    EXPECT_EQ(f.insts[2].ops.size(), 4u);
    EXPECT_EQ(f.insts[3].guard, -1);
    EXPECT_TRUE(f.insts[3].ops.empty());
}

TEST(Parser, VectorsSinksAndPairs) {
    Module m = parse_module(kernel(".reg .b32 %r<6>;\n.reg .pred %p<2>;\n.reg .b64 %rd<2>;\n"
                                   "ld.global.v4.u32 {%r1, %r2, _, %r4}, [%rd1];\n"
                                   "shfl.sync.idx.b32 %r2|%p1, %r3, 1, 31, -1;\n"
                                   "mov.b64 {%r1, %r2}, %rd0;\n"
                                   "cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group [%rd1, {%r3, %r5}], [%r0];"));
    const Function& f = only(m);
    const Operand& v = f.insts[0].ops[0];
    ASSERT_EQ(v.kind, OperandKind::Vec);
    ASSERT_EQ(v.elems.size(), 4u);
    EXPECT_EQ(v.elems[0].reg, 1);
    EXPECT_EQ(v.elems[2].kind, OperandKind::Sink);
    EXPECT_EQ(v.elems[3].reg, 4);
    const Operand& pair = f.insts[1].ops[0];
    ASSERT_EQ(pair.kind, OperandKind::Vec);
    ASSERT_EQ(pair.elems.size(), 2u);
    EXPECT_EQ(pair.elems[0].reg, 2);
    EXPECT_EQ(pair.elems[1].reg, 7);
    EXPECT_EQ(f.insts[1].ops[4].imm, -1);
    EXPECT_EQ(f.insts[2].ops[0].elems.size(), 2u);
    const Operand& t = f.insts[3].ops[0];
    EXPECT_EQ(t.kind, OperandKind::Addr);
    EXPECT_EQ(t.reg, 9);
    ASSERT_EQ(t.elems.size(), 2u);
    EXPECT_EQ(t.elems[0].reg, 3);
    EXPECT_EQ(t.elems[1].reg, 5);
}

TEST(Parser, AddressForms) {
    Module m = parse_module(kernel(".reg .b64 %rd<3>;\n.reg .b32 %r<3>;\n.shared .align 16 .b8 buf[64];\n"
                                   "ld.u32 %r0, [%rd1];\n"
                                   "ld.u32 %r0, [%rd1+16];\n"
                                   "ld.u32 %r0, [%rd1+-16];\n"
                                   "ld.shared.u32 %r0, [%r2-4];\n"
                                   "ld.shared.u32 %r0, [buf];\n"
                                   "ld.shared.u32 %r0, [buf+8];\n"
                                   "ld.u32 %r0, [%rd1+0];\n"
                                   "ld.u32 %r0, [0x1000];\n"
                                   "mov.u32 %r1, buf;\n"
                                   "mov.u32 %r1, buf+8;\n",
                                   "", ".global .align 4 .u32 g0;\n"));
    const Function& f = only(m);
    ASSERT_EQ(f.symbols.size(), 2u);  // module g0, then the function's buf
    EXPECT_EQ(f.symbols[0].name, "g0");
    EXPECT_EQ(f.symbols[1].name, "buf");
    EXPECT_EQ(f.symbols[1].space, Space::Shared);
    EXPECT_EQ(f.symbols[1].size, 64u);
    EXPECT_EQ(f.symbols[1].align, 16u);
    struct Want {
        int reg, symbol;
        int64_t imm;
    };
    const Want want[] = {{1, -1, 0}, {1, -1, 16}, {1, -1, -16}, {5, -1, -4},
                         {-1, 1, 0}, {-1, 1, 8},  {1, -1, 0},   {-1, -1, 0x1000}};
    for (size_t i = 0; i < std::size(want); ++i) {
        const Operand& a = f.insts[i].ops[1];
        EXPECT_EQ(a.kind, OperandKind::Addr) << i;
        EXPECT_EQ(a.reg, want[i].reg) << i;
        EXPECT_EQ(a.symbol, want[i].symbol) << i;
        EXPECT_EQ(a.param, -1) << i;
        EXPECT_EQ(a.imm, want[i].imm) << i;
    }
    EXPECT_EQ(f.insts[8].ops[1].kind, OperandKind::Symbol);
    EXPECT_EQ(f.insts[8].ops[1].symbol, 1);
    EXPECT_EQ(f.insts[8].ops[1].imm, 0);
    EXPECT_EQ(f.insts[9].ops[1].imm, 8);
}

TEST(Parser, Immediates) {
    Module m = parse_module(kernel(".reg .b32 %r<2>;\n.reg .f64 %fd1;\n"
                                   "mov.b32 %r1, 0f3F800000;\n"
                                   "mov.f64 %fd1, 0dBFF0000000000000;\n"
                                   "mov.b32 %r1, -42;\n"
                                   "mov.b32 %r1, 0xFFFFFFFF;\n"
                                   "mov.b32 %r1, 017;\n"
                                   "mov.b32 %r1, 0b101;\n"
                                   "mov.b32 %r1, 7U;\n"
                                   "mov.f64 %fd1, 1.5;\n"
                                   "mov.f64 %fd1, -2.5e-1;\n"
                                   "mov.b32 %r1, 0;\n"));
    const Function& f = only(m);
    auto imm = [&](size_t i) { return f.insts[i].ops[1]; };
    EXPECT_EQ(imm(0).imm, 0x3F800000);
    EXPECT_TRUE(imm(0).imm_is_float);
    EXPECT_FALSE(imm(0).imm_is_double);
    EXPECT_EQ(static_cast<uint64_t>(imm(1).imm), 0xBFF0000000000000ull);
    EXPECT_TRUE(imm(1).imm_is_double);
    EXPECT_EQ(imm(2).imm, -42);
    EXPECT_FALSE(imm(2).imm_is_float);
    EXPECT_EQ(imm(3).imm, 0xFFFFFFFFll);
    EXPECT_EQ(imm(4).imm, 15);
    EXPECT_EQ(imm(5).imm, 5);
    EXPECT_EQ(imm(6).imm, 7);
    EXPECT_EQ(static_cast<uint64_t>(imm(7).imm), std::bit_cast<uint64_t>(1.5));
    EXPECT_TRUE(imm(7).imm_is_double);
    EXPECT_EQ(static_cast<uint64_t>(imm(8).imm), std::bit_cast<uint64_t>(-0.25));
    EXPECT_EQ(imm(9).imm, 0);
    EXPECT_EQ(imm(9).kind, OperandKind::Imm);
}

TEST(Parser, SpecialRegisters) {
    Module m = parse_module(kernel(".reg .b32 %r<2>;\n.reg .b64 %rd1;\n"
                                   "mov.u32 %r1, %tid.x;\nmov.u32 %r1, %ntid.y;\nmov.u32 %r1, %ctaid.z;\n"
                                   "mov.u32 %r1, %laneid;\nmov.u64 %rd1, %clock64;\nmov.u32 %r1, %cluster_ctaid.y;\n"
                                   "mov.u32 %r1, %dynamic_smem_size;\nmov.u32 %r1, %lanemask_lt;\n"));
    const Function& f = only(m);
    struct Want {
        Special s;
        uint8_t comp;
    };
    const Want want[] = {{Special::Tid, 0},       {Special::Ntid, 1},         {Special::Ctaid, 2},
                         {Special::Laneid, 0},    {Special::Clock64, 0},      {Special::ClusterCtaid, 1},
                         {Special::DynamicSmemSize, 0}, {Special::LanemaskLt, 0}};
    for (size_t i = 0; i < std::size(want); ++i) {
        EXPECT_EQ(f.insts[i].ops[1].kind, OperandKind::Special) << i;
        EXPECT_EQ(f.insts[i].ops[1].special, want[i].s) << i;
        EXPECT_EQ(f.insts[i].ops[1].comp, want[i].comp) << i;
    }
    EXPECT_GT(error_line(kernel(".reg .b32 %r1;\nmov.u32 %r1, %tid;")), 0);
    EXPECT_GT(error_line(kernel(".reg .b32 %r1;\nmov.u32 %r1, %bogus;")), 0);
}

TEST(Parser, LocAttachesSourceLines) {
    const std::string text =
        ".version 8.0\n.target sm_80\n.address_size 64\n"
        ".visible .entry k()\n{\n"
        ".reg .b32 %r<2>;\n"
        "mov.u32 %r1, 0;\n"                                          // 7: no .loc yet
        ".loc 1 23 4\n"
        "mov.u32 %r1, 1; mov.u32 %r0,\n 2;\n"                        // 9-10: two on one line, one spans
        ".loc 2 40 24, function_name $L__info_string1, inlined_at 1 22 9\n"  // 11
        "ret;\n"                                                     // 12
        "}\n"
        ".file 1 \"/src/a.cu\"\n"
        ".file 2 \"/src/b.cuh\", 1700000000, 1234\n";
    Module m = parse_module(text);
    ASSERT_EQ(m.files.size(), 3u);
    EXPECT_EQ(m.files[0], "");
    EXPECT_EQ(m.files[1], "/src/a.cu");
    EXPECT_EQ(m.files[2], "/src/b.cuh");
    const Function& f = only(m);
    ASSERT_EQ(f.insts.size(), 4u);
    EXPECT_EQ(f.insts[0].src_file, -1);
    EXPECT_EQ(f.insts[0].ptx_line, 7);
    EXPECT_EQ(f.insts[1].src_file, 1);
    EXPECT_EQ(f.insts[1].src_line, 23);
    EXPECT_EQ(f.insts[1].ptx_line, 9);
    EXPECT_EQ(f.insts[2].ptx_line, 9);
    EXPECT_EQ(f.insts[2].ops[1].imm, 2);
    EXPECT_EQ(f.insts[3].src_file, 2);
    EXPECT_EQ(f.insts[3].src_line, 40);
    EXPECT_EQ(f.insts[3].ptx_line, 12);
}

TEST(Parser, ModuleGlobalsWithInitializers) {
    const std::string globals =
        ".global .align 4 .b8 bytes[6] = {1, 2, 0x10, 255};\n"
        ".const .align 4 .u32 words[2] = {0xDEADBEEF, -1};\n"
        ".global .f32 one = 0f3F800000;\n"
        ".global .f32 half = 0.5;\n"
        ".const .s16 grid[2][2] = {{1, 2}, {3, -4}};\n"
        ".global .u32 x;\n"
        ".shared .align 16 .b8 tile[1024];\n"
        ".extern .shared .align 1024 .b8 dyn[];\n";
    Module m = parse_module(kernel("ret;", "", globals));
    ASSERT_EQ(m.globals.size(), 8u);
    const Variable& b = m.globals[0];
    EXPECT_EQ(b.space, Space::Global);
    EXPECT_EQ(b.size, 6u);
    EXPECT_EQ(b.init, (std::vector<uint8_t>{1, 2, 0x10, 255, 0, 0}));
    EXPECT_EQ(m.globals[1].space, Space::Const);
    EXPECT_EQ(m.globals[1].init, (std::vector<uint8_t>{0xEF, 0xBE, 0xAD, 0xDE, 0xFF, 0xFF, 0xFF, 0xFF}));
    EXPECT_EQ(m.globals[2].init, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3F}));
    EXPECT_EQ(m.globals[2].align, 4u);
    EXPECT_EQ(m.globals[3].init, (std::vector<uint8_t>{0x00, 0x00, 0x00, 0x3F}));
    EXPECT_EQ(m.globals[4].size, 8u);
    EXPECT_EQ(m.globals[4].init, (std::vector<uint8_t>{1, 0, 2, 0, 3, 0, 0xFC, 0xFF}));
    EXPECT_EQ(m.globals[5].size, 4u);
    EXPECT_TRUE(m.globals[5].init.empty());
    EXPECT_EQ(m.globals[6].space, Space::Shared);
    EXPECT_EQ(m.globals[6].size, 1024u);
    EXPECT_EQ(m.globals[6].align, 16u);
    const Variable& d = m.globals[7];
    EXPECT_EQ(d.name, "dyn");
    EXPECT_TRUE(d.is_extern);
    EXPECT_EQ(d.size, 0u);
    EXPECT_EQ(d.align, 1024u);
    EXPECT_EQ(only(m).symbols.size(), 8u);
}

TEST(Parser, FunctionLocalsFollowGlobals) {
    Module m = parse_module(kernel(".local .align 8 .b8 __local_depot0[32];\n.reg .b64 %SP, %SPL;\n"
                                   "mov.u64 %SPL, __local_depot0;\nld.shared.u32 %SP, [dyn+4];",
                                   "", ".extern .shared .align 16 .b8 dyn[];\n"));
    const Function& f = only(m);
    ASSERT_EQ(f.symbols.size(), 2u);
    EXPECT_EQ(f.symbols[1].name, "__local_depot0");
    EXPECT_EQ(f.symbols[1].space, Space::Local);
    EXPECT_EQ(f.symbols[1].size, 32u);
    EXPECT_EQ(f.insts[0].ops[1].kind, OperandKind::Symbol);
    EXPECT_EQ(f.insts[0].ops[1].symbol, 1);
    EXPECT_EQ(f.insts[1].ops[1].symbol, 0);
    EXPECT_EQ(f.insts[1].ops[1].imm, 4);
}

TEST(Parser, PerformanceDirectives) {
    const std::string text =
        ".version 8.0\n.target sm_90a\n.address_size 64\n"
        ".visible .entry k(.param .u64 p)\n.maxntid 256, 1, 1\n.minnctapersm 2\n.maxnreg 128\n"
        ".reqnctapercluster 2, 1, 1\n.explicitcluster\n.maxclusterrank 8\n.pragma \"nounroll\";\n{\nret;\n}\n"
        ".entry k2()\n.reqntid 128\n.noreturn\n{\n.pragma \"nounroll\";\nexit;\n}\n";
    Module m = parse_module(text);
    ASSERT_EQ(m.functions.size(), 2u);
    const Function& f = m.functions[0];
    EXPECT_EQ(f.maxntid[0], 256u);
    EXPECT_EQ(f.maxntid[1], 1u);
    EXPECT_EQ(f.maxntid[2], 1u);
    EXPECT_EQ(f.minnctapersm, 2u);
    EXPECT_EQ(f.maxnreg, 128u);
    EXPECT_EQ(f.reqnctapercluster[0], 2u);
    EXPECT_TRUE(f.explicitcluster);
    EXPECT_EQ(f.decl_line, 4);
    const Function& g = m.functions[1];
    EXPECT_EQ(g.reqntid[0], 128u);
    EXPECT_EQ(g.reqntid[1], 1u);
    EXPECT_EQ(g.maxntid[0], 0u);
    ASSERT_EQ(g.insts.size(), 1u);  // the .pragma made no instruction
    EXPECT_EQ(g.insts[0].text, "exit");
}

TEST(Parser, FuncWithReturnParamAndCall) {
    const std::string text =
        ".version 8.0\n.target sm_80\n.address_size 64\n"
        ".func (.param .b32 retval) add1(.param .b32 x)\n{\n.reg .b32 %r<2>;\n"
        "ld.param.b32 %r0, [x];\nadd.s32 %r1, %r0, 1;\nst.param.b32 [retval], %r1;\nret;\n}\n"
        ".visible .entry k()\n{\n.reg .b32 %r<2>;\n"
        "{\n.param .b32 param0;\n.param .b32 retval0;\nst.param.b32 [param0], %r0;\n"
        "call.uni (retval0), add1, (param0);\nld.param.b32 %r1, [retval0];\n}\nret;\n}\n";
    Module m = parse_module(text);
    ASSERT_EQ(m.functions.size(), 2u);
    const Function& f = m.functions[0];
    EXPECT_FALSE(f.is_entry);
    ASSERT_EQ(f.rets.size(), 1u);
    EXPECT_EQ(f.ret_bytes, 4u);
    EXPECT_EQ(f.insts[2].ops[0].param, 0);
    EXPECT_TRUE(f.insts[2].ops[0].param_ret);
    const Function& k = m.functions[1];
    const Instruction& call = k.insts[1];
    ASSERT_EQ(call.ops.size(), 3u);
    EXPECT_EQ(call.ops[0].kind, OperandKind::Vec);
    EXPECT_EQ(call.ops[0].elems.at(0).kind, OperandKind::Symbol);
    EXPECT_EQ(call.ops[1].kind, OperandKind::Symbol);
    EXPECT_EQ(call.ops[1].func, 0);
    EXPECT_EQ(call.ops[2].kind, OperandKind::Vec);
}

TEST(Parser, DebugSectionsAndCommentsAreSkipped) {
    const std::string text =
        "// header\n.version 8.0 /* inline */\n.target sm_80\n.address_size 64\n"
        ".visible .entry k()\n{\n/* a\n multi-line comment */ ret; // trailing\n}\n"
        "\t.section\t.debug_str\n\t{\n$L__info_string0:\n.b8 95,90,0\n\t}\n"
        "@@DWARF .byte 1\n";
    Module m = parse_module(text);
    const Function& f = only(m);
    ASSERT_EQ(f.insts.size(), 1u);
    EXPECT_EQ(f.insts[0].ptx_line, 8);
}

TEST(Parser, UndeclaredRegisterThrowsWithLine) {
    std::string what;
    EXPECT_EQ(error_line(kernel(".reg .b32 %r<2>;\nmov.u32 %r1, 0;\nadd.s32 %r1, %r9, 1;"), &what), 8);
    EXPECT_NE(what.find("PTX line 8"), std::string::npos) << what;
    EXPECT_NE(what.find("%r9"), std::string::npos) << what;
    // A block's register is not visible after the block closes.
    EXPECT_EQ(error_line(kernel("{\n.reg .pred p;\n}\n@p ret;")), 9);
}

TEST(Parser, UnknownLabelThrowsWithLine) {
    std::string what;
    EXPECT_EQ(error_line(kernel("bra $L__nowhere;\nret;"), &what), 6);
    EXPECT_NE(what.find("$L__nowhere"), std::string::npos) << what;
    // A label inside a block is not visible outside it.
    EXPECT_EQ(error_line(kernel("{\ninner: ret;\n}\nbra inner;")), 9);
}

TEST(Parser, MalformedInputThrows) {
    EXPECT_GT(error_line(kernel(".reg .b32 %r1;\nmov.u32 %r1, [%r1+;")), 0);
    EXPECT_GT(error_line(kernel(".reg .b32 %r1;\nmov.u32 %r1 %r1;")), 0);
    EXPECT_GT(error_line(kernel(".reg .b32 %r1;\n.reg .b32 %r1;")), 0);
    EXPECT_GT(error_line(".version 8.0\n.bogus 1\n"), 0);
    EXPECT_GT(error_line(kernel("ret;").substr(0, 60)), 0);  // truncated
    // Unknown opcodes are the executor's business, not a parse error.
    EXPECT_EQ(error_line(kernel("frobnicate.sync.u32;")), -1);
}

TEST(Parser, HandWrittenCopyModule) {
    std::ifstream in(std::string(PTXSIM_SOURCE_DIR) + "/ptx/memory/copy.ptx");
    ASSERT_TRUE(in) << "cannot open ptx/memory/copy.ptx under " << PTXSIM_SOURCE_DIR;
    std::stringstream ss;
    ss << in.rdbuf();
    Module m = parse_module(ss.str());
    const Function* f = m.find("ptxkit_copy_v4");
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->is_entry);
    ASSERT_EQ(f->params.size(), 3u);
    EXPECT_EQ(f->param_bytes, 24u);
    EXPECT_EQ(f->params[2].offset, 16u);
    ASSERT_FALSE(f->insts.empty());
    EXPECT_EQ(f->insts[0].text, "ld.param.u64");
    EXPECT_EQ(f->insts[0].ops[1].param, 0);
    EXPECT_EQ(f->insts.back().text, "ret");
    for (const Instruction& in2 : f->insts)
        for (const Operand& o : in2.ops)
            if (o.kind == OperandKind::Label) {
                EXPECT_GE(o.label, 0);
                EXPECT_LE(o.label, static_cast<int32_t>(f->insts.size()));
            }
    EXPECT_NE(m.find("ptxkit_copy_u8"), nullptr);
}
