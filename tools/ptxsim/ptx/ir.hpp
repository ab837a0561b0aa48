// ptxsim's representation of a parsed PTX module (PTX ISA chapters 4-5, 11):
// the module's variables, and for each .entry its parameters, registers,
// shared/local variables and a flat list of instructions whose operands are
// resolved (registers to slots, labels to instruction indices, variables to
// symbol indices). Produced by parse_module (parser.hpp), read by the executor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ptxsim::ptx {

// Scalar types of PTX (ISA 5.2). Pred is the predicate type; B/U/S/F widths.
enum class Type : uint8_t {
    None, Pred,
    B8, B16, B32, B64, B128,
    U8, U16, U32, U64,
    S8, S16, S32, S64,
    F16, F16x2, BF16, BF16x2, F32, F64, TF32,
    E4M3, E5M2, E4M3x2, E5M2x2,
};
int type_bits(Type t);                 // 1 for Pred, 0 for None
Type type_from_name(const std::string& n);  // "u32" -> U32; None when unknown
const char* type_name(Type t);

// State spaces (ISA 5.1).
enum class Space : uint8_t { None, Reg, Sreg, Const, Global, Local, Param, Shared, SharedCluster, Generic };

// Special registers (ISA 10). Vector specials (%tid.x) carry their component.
enum class Special : uint8_t {
    None,
    Tid, Ntid, Ctaid, Nctaid,           // .x/.y/.z in Operand::comp
    Laneid, Warpid, Nwarpid, Smid, Nsmid, Gridid,
    LanemaskEq, LanemaskLe, LanemaskLt, LanemaskGe, LanemaskGt,
    Clock, Clock64, Globaltimer, GlobaltimerLo, GlobaltimerHi,
    ClusterCtarank, ClusterNctarank, ClusterCtaid, ClusterNctaid, Clusterid, Nclusterid, IsExplicitCluster,
    DynamicSmemSize, TotalSmemSize, AggrSmemSize,
};

enum class OperandKind : uint8_t {
    None,
    Reg,      // reg: slot
    Imm,      // imm: integer value, or the bits of a float immediate (0fXXXXXXXX f32, 0dXXXX... f64)
    Special,  // special + comp (0..2 for .x/.y/.z)
    Vec,      // elems: {a, b, c, d} (registers, immediates or sinks)
    Addr,     // [base + imm]: reg >= 0 base register, or symbol >= 0 a variable, or neither (absolute imm)
    Symbol,   // symbol: a variable used as a value (its address), e.g. mov.u32 %r1, smem_var;
    Label,    // label: target instruction index
    Sink,     // _
};

struct Operand {
    OperandKind kind = OperandKind::None;
    bool neg = false;          // !%p as a source predicate (e.g. selp/and.pred operands use plain regs; only guards and
                               // some forms use !): set for "!%p"
    Special special = Special::None;
    uint8_t comp = 0;          // .x .y .z of a special register
    int32_t reg = -1;          // register slot (Reg, or Addr base)
    int32_t symbol = -1;       // index into Function::symbols (Addr, Symbol)
    int32_t label = -1;        // instruction index (Label)
    int32_t param = -1;        // index into Function::params: [param] addresses and param names used as values
    int64_t imm = 0;           // Imm value / Addr offset
    bool imm_is_float = false; // Imm came from 0f/0d or a decimal float literal (imm holds its bits: f32 in low 32)
    bool imm_is_double = false;
    std::vector<Operand> elems;  // Vec; also Addr's tensor coordinates ([%rd1, {%r1, %r2}]); and the
                                 // pair of a "d|p" destination (shfl.sync %r1|%p1, ...): Vec {d, p}
    bool param_ret = false;    // param indexes Function::rets (a .func return parameter) instead of params
    int32_t func = -1;         // a function named as a value (call's callee): index into Module::functions (Symbol kind)
};

struct Instruction {
    std::string text;          // the opcode with every modifier, e.g. "ld.global.nc.v4.u32"
    std::string base;          // the first component, e.g. "ld"
    std::vector<std::string> mods;  // the rest, split at '.', e.g. {"global","nc","v4","u32"}
    int32_t guard = -1;        // predicate register slot of @%p / @!%p, -1 when unguarded
    bool guard_neg = false;
    std::vector<Operand> ops;  // in source order (destination first)
    int32_t ptx_line = 0;      // 1-based line in the module's PTX text
    int32_t src_file = -1;     // from the last .loc before it (index into Module::files), -1 when none
    int32_t src_line = 0;
    // Scratch for the executor's decoder (pre-decoded modifiers: rounding
    // mode, types, flags), filled once when the kernel is first launched.
    mutable uint64_t aux = 0;
    mutable uint64_t aux2 = 0;
};

// A variable: module scope (.global/.const/.shared), or function scope
// (.shared/.local inside the entry body, e.g. __local_depot).
struct Variable {
    std::string name;
    Space space = Space::None;
    Type type = Type::None;
    uint32_t align = 0;        // bytes (the type's size when .align is absent)
    uint64_t size = 0;         // bytes; 0 for .extern .shared x[] (dynamic shared memory)
    bool is_extern = false;
    std::vector<uint8_t> init; // initial bytes for .global/.const with an initializer (size bytes), empty otherwise
};

struct Param {
    std::string name;
    Type type = Type::None;    // element type (B8 for .b8 name[N])
    uint32_t align = 0;        // bytes
    uint32_t size = 0;         // bytes (element size x array count)
    uint32_t offset = 0;       // offset in the parameter buffer, aligned (filled by the parser, ISA 5.1.6)
};

struct RegisterInfo {
    std::string name;          // "%r12", or "p" for a scoped register of an inline-asm block
    Type type = Type::None;
};

struct Function {
    std::string name;
    bool is_entry = false;
    std::vector<Param> params;
    uint32_t param_bytes = 0;  // size of the parameter buffer
    std::vector<Param> rets;   // .func return parameters: .func (.param .b32 r) f(...) (offsets in their own buffer)
    uint32_t ret_bytes = 0;
    bool has_body = true;      // false for a prototype (.extern .func f(...);) kept only so call can name it
    std::vector<RegisterInfo> regs;          // indexed by slot
    std::vector<Variable> symbols;           // variables the body can name: the module's, then the function's own
    std::vector<Instruction> insts;
    // Performance-tuning directives (ISA 11.4): 0 when absent.
    uint32_t maxntid[3] = {0, 0, 0};
    uint32_t reqntid[3] = {0, 0, 0};
    uint32_t minnctapersm = 0;
    uint32_t maxnreg = 0;
    uint32_t reqnctapercluster[3] = {0, 0, 0};
    bool explicitcluster = false;
    int32_t decl_line = 0;
};

struct Module {
    std::string version;       // ".version 8.8"
    std::string target;        // "sm_90a" / "sm_80"
    uint32_t address_size = 64;
    std::vector<std::string> files;          // .file N "name": index N -> name ("" for missing)
    std::vector<Variable> globals;           // module-scope variables
    std::vector<Function> functions;         // entries (and any .func)
    const Function* find(const std::string& name) const;
};

}  // namespace ptxsim::ptx
