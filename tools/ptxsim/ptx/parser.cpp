// PTX parser: text -> ptx::Module (see ir.hpp for what is produced).
//
// One pass over the text with a hand-written tokenizer over string_views (no
// regex, few allocations): nvcc emits modules of several MB, and the
// simulator parses each module it loads. Section references are to the PTX
// ISA 8.x manual ("ISA 4.x" = chapter 4, Syntax; 5 = State Spaces, Types and
// Variables; 10 = Special Registers; 11 = Directives).
#include "ptx/parser.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <iterator>
#include <unordered_map>
#include <utility>

namespace ptxsim::ptx {

// ---------------------------------------------------------------------------
// Types (ISA 5.2.1 fundamental types, 5.2.2 restricted-use types)

int type_bits(Type t) {
    switch (t) {
    case Type::None: return 0;
    case Type::Pred: return 1;
    case Type::B8: case Type::U8: case Type::S8: case Type::E4M3: case Type::E5M2: return 8;
    case Type::B16: case Type::U16: case Type::S16: case Type::F16: case Type::BF16:
    case Type::E4M3x2: case Type::E5M2x2: return 16;
    case Type::B32: case Type::U32: case Type::S32: case Type::F32: case Type::F16x2: case Type::BF16x2:
    case Type::TF32: return 32;
    case Type::B64: case Type::U64: case Type::S64: case Type::F64: return 64;
    case Type::B128: return 128;
    }
    return 0;
}

namespace {
struct TypeNameEntry {
    std::string_view name;
    Type type;
};
constexpr std::array<TypeNameEntry, 25> kTypeNames{{
    {"pred", Type::Pred}, {"b8", Type::B8}, {"b16", Type::B16}, {"b32", Type::B32}, {"b64", Type::B64},
    {"b128", Type::B128}, {"u8", Type::U8}, {"u16", Type::U16}, {"u32", Type::U32}, {"u64", Type::U64},
    {"s8", Type::S8}, {"s16", Type::S16}, {"s32", Type::S32}, {"s64", Type::S64}, {"f16", Type::F16},
    {"f16x2", Type::F16x2}, {"bf16", Type::BF16}, {"bf16x2", Type::BF16x2}, {"f32", Type::F32},
    {"f64", Type::F64}, {"tf32", Type::TF32}, {"e4m3", Type::E4M3}, {"e5m2", Type::E5M2},
    {"e4m3x2", Type::E4M3x2}, {"e5m2x2", Type::E5M2x2},
}};

Type type_from_sv(std::string_view n) {
    for (const auto& e : kTypeNames)
        if (e.name == n) return e.type;
    return Type::None;
}
}  // namespace

Type type_from_name(const std::string& n) { return type_from_sv(n); }

const char* type_name(Type t) {
    if (t == Type::None) return "none";
    for (const auto& e : kTypeNames)
        if (e.type == t) return e.name.data();  // the literals are NUL-terminated
    return "?";
}

const Function* Module::find(const std::string& name) const {
    for (const auto& f : functions)
        if (f.name == name) return &f;
    return nullptr;
}

namespace {

// ---------------------------------------------------------------------------
// Tokenizer (ISA 4.1-4.5: source format, C/C++ comments, statements, identifiers,
// constants).
//
// A Word is a maximal run of identifier characters, which in PTX include '%'
// and '$' (ISA 4.4: identifiers "[a-zA-Z][a-zA-Z0-9_$]*|[_$%][a-zA-Z0-9_$]+"),
// '.' (so an opcode with its modifiers "ld.global.nc.v4.u32", a directive
// ".param", a special register "%tid.x" and a constant "0f3F800000"/"1.5" are
// one word each) and "::" (modifiers such as "shared::cta"; a single ':' ends
// a label). Everything else is one-character punctuation, or a string.

enum class Tok : uint8_t { End, Word, Punct, String };

struct Token {
    Tok kind = Tok::End;
    char punct = 0;
    std::string_view text;
    int line = 0;
};

constexpr std::array<bool, 256> make_word_chars() {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
    t['_'] = t['$'] = t['%'] = t['.'] = true;
    return t;
}
constexpr std::array<bool, 256> kWordChar = make_word_chars();

inline bool is_word_char(char c) { return kWordChar[static_cast<unsigned char>(c)]; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
    explicit Lexer(std::string_view text)
        : p_(text.data()), end_(text.data() + text.size()), last_end_(text.data()) {}

    const Token& peek() {
        if (!have_peek_) {
            peeked_ = lex();
            have_peek_ = true;
        }
        return peeked_;
    }
    Token next() {
        if (have_peek_) {
            have_peek_ = false;
        } else {
            peeked_ = lex();
        }
        last_end_ = peeked_.text.data() + peeked_.text.size() + (peeked_.kind == Tok::String ? 1 : 0);
        last_line_ = peeked_.line;
        return peeked_;
    }
    // Line of the next token (after skipping whitespace and comments).
    int line() { return peek().line; }

    // Drops the rest of the current line (for statements that end at the end
    // of the line without ';': .loc's trailing "function_name ..., inlined_at
    // ..." attributes, @@DWARF lines). Must be called with no token peeked past
    // the line, i.e. right after the last token consumed from it.
    void skip_line() {
        if (have_peek_) {
            // The peeked token may be on a later line: rescan from the end
            // of the last token consumed.
            p_ = last_end_;
            line_ = last_line_;
            have_peek_ = false;
        }
        while (p_ < end_ && *p_ != '\n') ++p_;
    }

private:
    void skip_space() {
        for (;;) {
            while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n' || *p_ == '\f' ||
                                 *p_ == '\v')) {
                if (*p_ == '\n') ++line_;
                ++p_;
            }
            if (p_ + 1 < end_ && p_[0] == '/' && p_[1] == '/') {
                while (p_ < end_ && *p_ != '\n') ++p_;
                continue;
            }
            if (p_ + 1 < end_ && p_[0] == '/' && p_[1] == '*') {
                const int start = line_;
                p_ += 2;
                while (p_ + 1 < end_ && !(p_[0] == '*' && p_[1] == '/')) {
                    if (*p_ == '\n') ++line_;
                    ++p_;
                }
                if (p_ + 1 >= end_) throw ParseError(start, "unterminated /* comment");
                p_ += 2;
                continue;
            }
            return;
        }
    }

    Token lex() {
        skip_space();
        Token t;
        t.line = line_;
        t.text = std::string_view(p_, 0);
        if (p_ >= end_) return t;
        const char* s = p_;
        const char c = *p_;
        if (is_word_char(c)) {
            // Decimal float constants may carry a signed exponent ("1.5e-3");
            // hex-ish forms (0x.., 0f.., 0d.., 0b..) never do.
            const bool decimal = is_digit(c) && !(c == '0' && p_ + 1 < end_ &&
                                                  std::strchr("xXfFdDbB", p_[1]) != nullptr && p_[1] != '\0');
            for (;;) {
                if (p_ < end_ && is_word_char(*p_)) {
                    ++p_;
                } else if (p_ + 1 < end_ && p_[0] == ':' && p_[1] == ':') {
                    p_ += 2;
                } else if (decimal && p_ + 1 < end_ && (p_[0] == '+' || p_[0] == '-') &&
                           (p_[-1] == 'e' || p_[-1] == 'E')) {
                    ++p_;
                } else {
                    break;
                }
            }
            t.kind = Tok::Word;
            t.text = std::string_view(s, static_cast<size_t>(p_ - s));
            return t;
        }
        if (c == '"') {
            ++p_;
            const char* b = p_;
            while (p_ < end_ && *p_ != '"') {
                if (*p_ == '\\' && p_ + 1 < end_) ++p_;
                if (*p_ == '\n') ++line_;
                ++p_;
            }
            if (p_ >= end_) throw ParseError(t.line, "unterminated string");
            t.kind = Tok::String;
            t.text = std::string_view(b, static_cast<size_t>(p_ - b));
            ++p_;
            return t;
        }
        ++p_;
        t.kind = Tok::Punct;
        t.punct = c;
        t.text = std::string_view(s, 1);
        return t;
    }

    const char* p_;
    const char* end_;
    int line_ = 1;
    Token peeked_;
    bool have_peek_ = false;
    const char* last_end_;  // end of the last token next() returned
    int last_line_ = 1;
};

std::string describe(const Token& t) {
    switch (t.kind) {
    case Tok::End: return "end of input";
    case Tok::String: return "string \"" + std::string(t.text) + "\"";
    default: return "'" + std::string(t.text) + "'";
    }
}

// ---------------------------------------------------------------------------
// Constants (ISA 4.5.1/4.5.2: integer constants are decimal, hex 0x, octal 0.., binary
// 0b, with an optional U suffix; 0fXXXXXXXX is an f32 and 0dXXXXXXXXXXXXXXXX an
// f64 given by its bits; decimal floating literals are f64).

struct Number {
    enum Kind : uint8_t { Int, F32Bits, F64Bits } kind = Int;
    uint64_t bits = 0;
};

bool parse_digits(std::string_view s, int base, uint64_t& out) {
    if (s.empty()) return false;
    const auto* first = s.data();
    const auto* last = s.data() + s.size();
    auto r = std::from_chars(first, last, out, base);
    return r.ec == std::errc() && r.ptr == last;
}

// Returns false when `s` is not a numeric constant.
bool parse_number(std::string_view s, Number& n) {
    if (s.empty() || !is_digit(s[0])) return false;
    if (s.size() > 2 && s[0] == '0') {
        const char k = s[1];
        if (k == 'f' || k == 'F') {
            n.kind = Number::F32Bits;
            return s.size() == 10 && parse_digits(s.substr(2), 16, n.bits);
        }
        if (k == 'd' || k == 'D') {
            n.kind = Number::F64Bits;
            return s.size() == 18 && parse_digits(s.substr(2), 16, n.bits);
        }
    }
    const bool is_float = s.find_first_of(".eE") != std::string_view::npos &&
                          !(s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'));
    if (is_float) {
        double d = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), d);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
        n.kind = Number::F64Bits;
        n.bits = std::bit_cast<uint64_t>(d);
        return true;
    }
    n.kind = Number::Int;
    if (s.back() == 'U' || s.back() == 'u') s.remove_suffix(1);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return parse_digits(s.substr(2), 16, n.bits);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) return parse_digits(s.substr(2), 2, n.bits);
    if (s.size() > 1 && s[0] == '0') return parse_digits(s.substr(1), 8, n.bits);
    return parse_digits(s, 10, n.bits);
}

// ---------------------------------------------------------------------------
// Special registers (ISA 10). Vector ones take .x/.y/.z.

struct SpecialEntry {
    std::string_view name;
    Special special;
    bool vector;
};
constexpr std::array<SpecialEntry, 30> kSpecials{{
    {"%tid", Special::Tid, true}, {"%ntid", Special::Ntid, true}, {"%ctaid", Special::Ctaid, true},
    {"%nctaid", Special::Nctaid, true}, {"%laneid", Special::Laneid, false}, {"%warpid", Special::Warpid, false},
    {"%nwarpid", Special::Nwarpid, false}, {"%smid", Special::Smid, false}, {"%nsmid", Special::Nsmid, false},
    {"%gridid", Special::Gridid, false}, {"%lanemask_eq", Special::LanemaskEq, false},
    {"%lanemask_le", Special::LanemaskLe, false}, {"%lanemask_lt", Special::LanemaskLt, false},
    {"%lanemask_ge", Special::LanemaskGe, false}, {"%lanemask_gt", Special::LanemaskGt, false},
    {"%clock", Special::Clock, false}, {"%clock64", Special::Clock64, false},
    {"%globaltimer", Special::Globaltimer, false}, {"%globaltimer_lo", Special::GlobaltimerLo, false},
    {"%globaltimer_hi", Special::GlobaltimerHi, false}, {"%cluster_ctarank", Special::ClusterCtarank, false},
    {"%cluster_nctarank", Special::ClusterNctarank, false}, {"%cluster_ctaid", Special::ClusterCtaid, true},
    {"%cluster_nctaid", Special::ClusterNctaid, true}, {"%clusterid", Special::Clusterid, true},
    {"%nclusterid", Special::Nclusterid, true}, {"%is_explicit_cluster", Special::IsExplicitCluster, false},
    {"%dynamic_smem_size", Special::DynamicSmemSize, false}, {"%total_smem_size", Special::TotalSmemSize, false},
    {"%aggr_smem_size", Special::AggrSmemSize, false},
}};

// Splits "a.b.c" (a directive word such as ".ptr.global.align") into its
// dot-separated components, skipping empty ones.
template <class F>
void for_each_component(std::string_view w, F&& f) {
    size_t i = 0;
    while (i < w.size()) {
        size_t j = w.find('.', i);
        if (j == std::string_view::npos) j = w.size();
        if (j > i) f(w.substr(i, j - i));
        i = j + 1;
    }
}

Space space_from(std::string_view s) {
    if (s == "global") return Space::Global;
    if (s == "shared" || s == "shared::cta") return Space::Shared;
    if (s == "shared::cluster") return Space::SharedCluster;
    if (s == "const") return Space::Const;
    if (s == "local") return Space::Local;
    if (s == "param") return Space::Param;
    if (s == "reg") return Space::Reg;
    return Space::None;
}

uint32_t align_up(uint32_t v, uint32_t a) { return a ? (v + a - 1) / a * a : v; }

// ---------------------------------------------------------------------------
// The parser proper.

// A register range "%r<120>" declares %r0..%r119 (ISA 5.4.6 "parameterized
// variable names"); it is kept as a prefix and a base slot rather than 120
// hash entries, as nvcc declares tens of thousands of registers per kernel.
struct Range {
    std::string_view prefix;
    int32_t base;
    uint32_t count;
};

// A reference to a label not yet resolved: instruction, operand, element.
struct Fixup {
    int32_t inst;
    int32_t op;
    int32_t elem;  // -1: the operand itself
    std::string_view name;
    int line;
};

// One lexical scope: the function body or a { } block inside it. ptxas
// accepts nested blocks whose declarations and labels are local to the block
// (CUDA inline asm is emitted as such a block, and one function holds many
// with the same names). Registers and labels resolve innermost first.
struct Scope {
    std::unordered_map<std::string_view, int32_t> regs;
    std::vector<Range> ranges;
    std::unordered_map<std::string_view, int32_t> labels;
    std::vector<Fixup> fixups;  // uses in this scope not resolved by it yet
    void clear() {
        regs.clear();
        ranges.clear();
        labels.clear();
        fixups.clear();
    }
};

class Parser {
public:
    explicit Parser(std::string_view text) : lx_(text) {}

    Module run() {
        parse_module_body();
        finish_module();
        return std::move(mod_);
    }

private:
    // -- token helpers -------------------------------------------------------

    [[noreturn]] void fail(int line, const std::string& msg) { throw ParseError(line, msg); }

    bool peek_punct(char c) {
        const Token& t = lx_.peek();
        return t.kind == Tok::Punct && t.punct == c;
    }
    bool accept_punct(char c) {
        if (peek_punct(c)) {
            lx_.next();
            return true;
        }
        return false;
    }
    void expect_punct(char c, const char* context) {
        Token t = lx_.next();
        if (t.kind != Tok::Punct || t.punct != c)
            fail(t.line, std::string("expected '") + c + "' " + context + ", found " + describe(t));
    }
    std::string_view expect_word(const char* what) {
        Token t = lx_.next();
        if (t.kind != Tok::Word) fail(t.line, std::string("expected ") + what + ", found " + describe(t));
        return t.text;
    }
    uint64_t expect_uint(const char* what) {
        Token t = lx_.next();
        Number n;
        if (t.kind != Tok::Word || !parse_number(t.text, n) || n.kind != Number::Int)
            fail(t.line, std::string("expected ") + what + ", found " + describe(t));
        return n.bits;
    }
    uint32_t expect_u32(const char* what) {
        const int line = lx_.line();
        uint64_t v = expect_uint(what);
        if (v > 0xFFFFFFFFu) fail(line, std::string(what) + " out of range");
        return static_cast<uint32_t>(v);
    }
    // Skips tokens through the next ';' (for statements whose content is not needed).
    void skip_statement() {
        for (;;) {
            Token t = lx_.next();
            if (t.kind == Tok::End) fail(t.line, "unexpected end of input (missing ';')");
            if (t.kind == Tok::Punct && t.punct == ';') return;
        }
    }
    static bool is_directive(const Token& t) { return t.kind == Tok::Word && t.text.size() > 1 && t.text[0] == '.'; }

    // -- module level (ISA 11.1: a module is a sequence of directives) ---------

    void parse_module_body() {
        bool is_extern = false;
        for (;;) {
            Token t = lx_.next();
            if (t.kind == Tok::End) return;
            if (t.kind == Tok::Punct && t.punct == '@') {
                // "@@DWARF ..." lines: debug data nvcc may emit with -G; ignored.
                lx_.skip_line();
                continue;
            }
            if (!is_directive(t)) fail(t.line, "expected a directive at module scope, found " + describe(t));
            const std::string_view d = t.text;
            if (d == ".version") {
                mod_.version = ".version " + std::string(expect_word("a version number"));
            } else if (d == ".target") {
                // ISA 11.1.2: ".target sm_90a[, texmode_..., debug]"; the first is the architecture.
                mod_.target = std::string(expect_word("a target"));
                while (accept_punct(',')) expect_word("a target option");
            } else if (d == ".address_size") {
                mod_.address_size = expect_u32("an address size");
            } else if (d == ".file") {
                parse_file_directive();
            } else if (d == ".visible" || d == ".weak" || d == ".common") {
                // Linkage (ISA 11.6): no effect on simulation.
                continue;
            } else if (d == ".extern") {
                is_extern = true;
                continue;
            } else if (d == ".entry" || d == ".func") {
                parse_function(d == ".entry", t.line);
            } else if (d == ".global" || d == ".const" || d == ".shared" || d == ".local") {
                parse_variables(space_from(d.substr(1)), is_extern, /*module_scope=*/true);
            } else if (d == ".section") {
                skip_section();
            } else if (d == ".pragma" || d == ".alias") {
                skip_statement();
            } else {
                fail(t.line, "unsupported module-scope directive " + std::string(d));
            }
            is_extern = false;
        }
    }

    // ISA 11.5.3: .file N "name" [, timestamp, size]
    void parse_file_directive() {
        const int line = lx_.line();
        const uint32_t n = expect_u32("a file number");
        Token s = lx_.next();
        if (s.kind != Tok::String) fail(s.line, "expected a file name string after .file " + std::to_string(n));
        if (n > 1u << 16) fail(line, "file number too large");
        if (mod_.files.size() <= n) mod_.files.resize(n + 1);
        mod_.files[n] = std::string(s.text);
        while (accept_punct(',')) expect_uint("a .file timestamp/size");
    }

    // ISA 11.5.2 .section: debug sections ({ ... } of data and labels) are
    // not needed for simulation; skipped by brace matching.
    void skip_section() {
        expect_word("a section name");
        if (!peek_punct('{')) return;
        const int line = lx_.line();
        int depth = 0;
        for (;;) {
            Token t = lx_.next();
            if (t.kind == Tok::End) fail(line, "unterminated .section block");
            if (t.kind != Tok::Punct) continue;
            if (t.punct == '{') ++depth;
            if (t.punct == '}' && --depth == 0) return;
        }
    }

    // -- declarations ----------------------------------------------------------

    // The attributes of a variable/parameter/register declaration after its
    // state space (ISA 5.4: ".align N", ".vN", the type; for kernel parameters
    // also ".ptr", a state space and ".align N", ISA 5.1.6.1).
    struct DeclAttrs {
        Type type = Type::None;
        uint32_t align = 0;
        uint32_t vec = 1;
    };

    DeclAttrs parse_decl_attrs() {
        DeclAttrs a;
        bool after_ptr = false;  // ".ptr .space .align N" gives the pointee's alignment (ISA 5.1.6.1)
        while (is_directive(lx_.peek())) {
            Token t = lx_.next();
            bool want_align = false, pointee_align = false;
            for_each_component(t.text, [&](std::string_view c) {
                if (c == "align") {
                    want_align = true;
                    pointee_align = after_ptr;
                } else if (c == "v2" || c == "v4" || c == "v8") {
                    a.vec = static_cast<uint32_t>(c[1] - '0');
                } else if (Type ty = type_from_sv(c); ty != Type::None) {
                    a.type = ty;
                } else if (c == "ptr" || space_from(c) != Space::None) {
                    // Pointer attributes of a kernel parameter: informational.
                    after_ptr = after_ptr || c == "ptr";
                } else if (c == "attribute") {
                    // .attribute(.managed): skipped below.
                } else {
                    fail(t.line, "unknown declaration attribute ." + std::string(c));
                }
            });
            if (want_align) {
                const int line = lx_.line();
                const uint32_t al = expect_u32("an alignment");
                if (al == 0 || (al & (al - 1)) != 0) fail(line, "alignment must be a power of two");
                if (!pointee_align) a.align = al;
            }
            if (t.text.ends_with("attribute") && peek_punct('(')) {
                while (!accept_punct(')')) {
                    if (lx_.next().kind == Tok::End) fail(t.line, "unterminated .attribute(");
                }
            }
        }
        if (a.type == Type::None) fail(lx_.line(), "expected a type in the declaration, found " + describe(lx_.peek()));
        return a;
    }

    static uint32_t elem_bytes(const DeclAttrs& a) {
        const int bits = type_bits(a.type);
        return static_cast<uint32_t>(bits < 8 ? 1 : bits / 8) * a.vec;
    }

    // Array dimensions "[N][M]" or "[]" (ISA 5.4.3); returns the element count,
    // sets `unsized` for "[]".
    uint64_t parse_dims(bool& unsized) {
        uint64_t count = 1;
        unsized = false;
        while (accept_punct('[')) {
            if (accept_punct(']')) {
                unsized = true;
                count = 0;
                continue;
            }
            const int line = lx_.line();
            const uint64_t dim = expect_uint("an array dimension");
            // Bound the total so sizes cannot overflow (2^40 bytes is far beyond any GPU's memory).
            if (dim > (1ull << 40) || count * dim > (1ull << 40)) fail(line, "array too large");
            count *= dim;
            expect_punct(']', "after an array dimension");
        }
        return count;
    }

    // .global/.const/.shared/.local/.param variables, module scope or
    // function scope (ISA 5.4). Several names may share one declaration.
    void parse_variables(Space space, bool is_extern, bool module_scope) {
        const DeclAttrs a = parse_decl_attrs();
        const uint32_t esize = elem_bytes(a);
        for (;;) {
            Variable v;
            const int nline = lx_.line();
            const std::string_view name = expect_word("a variable name");
            v.name = std::string(name);
            v.space = space;
            v.type = a.type;
            v.align = a.align ? a.align : esize;
            v.is_extern = is_extern;
            bool unsized = false;
            const uint64_t count = parse_dims(unsized);
            v.size = unsized ? 0 : count * esize;
            if (accept_punct('=')) {
                if (space != Space::Global && space != Space::Const)
                    fail(nline, "initializer on a variable outside .global/.const: " + v.name);
                parse_initializer(v, a);
            }
            add_variable(std::move(v), name, nline, module_scope);
            if (accept_punct(',')) continue;
            expect_punct(';', "after a variable declaration");
            return;
        }
    }

    // ISA 5.4.4 initializers: a constant or a {...} list (nested for
    // multi-dimensional arrays), flattened in order into little-endian bytes.
    void parse_initializer(Variable& v, const DeclAttrs& a) {
        const uint32_t esize = elem_bytes(a) / a.vec;
        std::vector<uint8_t> bytes;
        auto emit = [&](const Token& t, bool negative) {
            Number n;
            if (t.kind != Tok::Word || !parse_number(t.text, n))
                fail(t.line, "unsupported initializer element " + describe(t) + " (only numeric constants)");
            uint64_t bits = n.bits;
            if (a.type == Type::F32) {
                float f;
                if (n.kind == Number::F64Bits) f = static_cast<float>(std::bit_cast<double>(n.bits));
                else if (n.kind == Number::F32Bits) f = std::bit_cast<float>(static_cast<uint32_t>(n.bits));
                else f = static_cast<float>(n.bits);
                if (negative) f = -f;
                bits = std::bit_cast<uint32_t>(f);
            } else if (a.type == Type::F64) {
                double d;
                if (n.kind == Number::F64Bits) d = std::bit_cast<double>(n.bits);
                else if (n.kind == Number::F32Bits) d = std::bit_cast<float>(static_cast<uint32_t>(n.bits));
                else d = static_cast<double>(n.bits);
                if (negative) d = -d;
                bits = std::bit_cast<uint64_t>(d);
            } else {
                // Integer (and .b16 holding f16 bits) variables take integer constants only.
                if (n.kind != Number::Int)
                    fail(t.line, "floating-point initializer for a ." + std::string(type_name(a.type)) + " variable");
                if (negative) bits = ~bits + 1;
            }
            for (uint32_t i = 0; i < esize; ++i) bytes.push_back(static_cast<uint8_t>(bits >> (8 * (i < 8 ? i : 7))));
        };
        auto element = [&]() {
            const bool neg = accept_punct('-');
            emit(lx_.next(), neg);
        };
        if (peek_punct('{')) {
            int depth = 0;
            for (;;) {
                if (accept_punct('{')) {
                    ++depth;
                    continue;
                }
                if (accept_punct('}')) {
                    if (--depth == 0) break;
                    continue;
                }
                if (accept_punct(',')) continue;
                element();
            }
        } else {
            element();
        }
        if (v.size == 0) v.size = bytes.size();  // x[] = {...}: sized by the initializer
        if (bytes.size() > v.size) fail(lx_.line(), "too many initializer elements for " + v.name);
        if (v.size > (1ull << 32)) fail(lx_.line(), "initialized variable too large: " + v.name);
        bytes.resize(v.size, 0);
        v.init = std::move(bytes);
    }

    // `name` views the source text, which outlives the parse (all name tables
    // are keyed that way).
    void add_variable(Variable v, std::string_view name, int line, bool module_scope) {
        if (module_scope) {
            if (!global_index_.try_emplace(name, static_cast<int32_t>(mod_.globals.size())).second)
                fail(line, "duplicate module-scope variable " + v.name);
            mod_.globals.push_back(std::move(v));
            return;
        }
        if (param_index_.count(name) || !local_index_.try_emplace(name, static_cast<int32_t>(fn_->symbols.size())).second)
            fail(line, "duplicate variable " + v.name);
        fn_->symbols.push_back(std::move(v));
    }

    // Parameter lists (ISA 5.1.6 kernel parameters, 11.2.2 .func parameters):
    // "( .param <attrs> name[N], ... )". Offsets: each at the next multiple of
    // its alignment (the .align value, else the element size).
    uint32_t parse_param_list(std::vector<Param>& out, std::unordered_map<std::string_view, int32_t>& index) {
        expect_punct('(', "to open a parameter list");
        uint32_t offset = 0;
        if (accept_punct(')')) return 0;
        for (;;) {
            Token sp = lx_.next();
            if (!is_directive(sp) || !(sp.text == ".param" || sp.text == ".reg"))
                fail(sp.line, "expected .param in a parameter list, found " + describe(sp));
            const DeclAttrs a = parse_decl_attrs();
            const int nline = lx_.line();
            Param p;
            const std::string_view name = expect_word("a parameter name");
            p.name = std::string(name);
            p.type = a.type;
            const uint32_t esize = elem_bytes(a);
            bool unsized = false;
            const uint64_t count = parse_dims(unsized);
            if (count * esize > 0xFFFFFFFFu) fail(nline, "parameter too large: " + p.name);
            p.size = static_cast<uint32_t>(count * esize);
            p.align = a.align ? a.align : esize;
            offset = align_up(offset, p.align);
            p.offset = offset;
            offset += p.size;
            if (!index.try_emplace(name, static_cast<int32_t>(out.size())).second)
                fail(nline, "duplicate parameter " + p.name);
            out.push_back(std::move(p));
            if (accept_punct(',')) continue;
            expect_punct(')', "to close a parameter list");
            return offset;
        }
    }

    // -- functions (ISA 11.2 .entry / .func, 11.4 performance tuning) --------

    void parse_function(bool is_entry, int line) {
        Function f;
        f.is_entry = is_entry;
        f.decl_line = line;
        fn_ = &f;
        param_index_.clear();
        ret_index_.clear();
        local_index_.clear();
        if (!is_entry && peek_punct('(')) f.ret_bytes = parse_param_list(f.rets, ret_index_);
        const std::string_view name = expect_word("a function name");
        f.name = std::string(name);
        if (peek_punct('(')) f.param_bytes = parse_param_list(f.params, param_index_);
        // Register the function before its body so that it can call itself.
        int32_t findex;
        if (auto it = func_index_.find(f.name); it != func_index_.end()) {
            findex = it->second;
            if (mod_.functions[static_cast<size_t>(findex)].has_body && !peek_punct(';'))
                fail(line, "duplicate definition of " + f.name);
        } else {
            findex = static_cast<int32_t>(mod_.functions.size());
            Function proto;
            proto.name = f.name;
            proto.is_entry = is_entry;
            proto.has_body = false;
            proto.decl_line = line;
            mod_.functions.push_back(std::move(proto));
            func_index_.emplace(name, findex);
        }
        parse_perf_directives(f);
        if (accept_punct(';')) {  // a prototype: "[.extern] .func f(...);"
            fn_ = nullptr;
            return;
        }
        nglobals_at_fn_ = static_cast<int32_t>(mod_.globals.size());
        f.symbols = mod_.globals;
        parse_body(f);
        f.has_body = true;
        fn_ = nullptr;
        mod_.functions[static_cast<size_t>(findex)] = std::move(f);
        fn_nglobals_.resize(mod_.functions.size(), -1);
        fn_nglobals_[static_cast<size_t>(findex)] = nglobals_at_fn_;
    }

    void parse_triple(uint32_t (&v)[3], const char* what) {
        v[0] = expect_u32(what);
        v[1] = v[2] = 1;
        if (accept_punct(',')) v[1] = expect_u32(what);
        if (accept_punct(',')) v[2] = expect_u32(what);
    }

    // ISA 11.4 (and 11.7 cluster directives): between the parameter list and the body.
    void parse_perf_directives(Function& f) {
        while (is_directive(lx_.peek())) {
            Token t = lx_.next();
            const std::string_view d = t.text;
            if (d == ".maxntid") {
                parse_triple(f.maxntid, "a .maxntid dimension");
            } else if (d == ".reqntid") {
                parse_triple(f.reqntid, "a .reqntid dimension");
            } else if (d == ".minnctapersm") {
                f.minnctapersm = expect_u32("a .minnctapersm count");
            } else if (d == ".maxnctapersm") {  // deprecated synonym hint; ignored
                expect_u32("a .maxnctapersm count");
            } else if (d == ".maxnreg") {
                f.maxnreg = expect_u32("a .maxnreg count");
            } else if (d == ".reqnctapercluster") {
                parse_triple(f.reqnctapercluster, "a .reqnctapercluster dimension");
            } else if (d == ".explicitcluster") {
                f.explicitcluster = true;
            } else if (d == ".maxclusterrank") {
                expect_u32("a .maxclusterrank count");
            } else if (d == ".noreturn" || d == ".blocksareclusters") {
            } else if (d == ".pragma") {
                skip_statement();
            } else {
                fail(t.line, "unsupported function directive " + std::string(d));
            }
        }
    }

    // -- function bodies -------------------------------------------------------

    void push_scope() {
        ++depth_;
        if (scopes_.size() <= static_cast<size_t>(depth_)) scopes_.emplace_back();
        else scopes_[static_cast<size_t>(depth_)].clear();
    }

    // Closes the innermost scope: its label uses resolve against its labels;
    // the rest move to the enclosing scope (labels are visible in their whole
    // block, so a use may precede the definition: forward branches).
    void pop_scope() {
        Scope& s = scopes_[static_cast<size_t>(depth_)];
        Scope* parent = depth_ > 0 ? &scopes_[static_cast<size_t>(depth_ - 1)] : nullptr;
        for (const Fixup& fx : s.fixups) {
            auto it = s.labels.find(fx.name);
            if (it == s.labels.end()) {
                if (!parent) fail(fx.line, "unknown label or undeclared identifier '" + std::string(fx.name) + "'");
                parent->fixups.push_back(fx);
                continue;
            }
            Operand& op = fn_->insts[static_cast<size_t>(fx.inst)].ops[static_cast<size_t>(fx.op)];
            Operand& target = fx.elem < 0 ? op : op.elems[static_cast<size_t>(fx.elem)];
            target.kind = OperandKind::Label;
            target.label = it->second;
        }
        --depth_;
    }

    void parse_body(Function& f) {
        expect_punct('{', "to open the function body");
        depth_ = -1;
        push_scope();
        cur_file_ = -1;
        cur_line_ = 0;
        for (;;) {
            Token t = lx_.next();
            if (t.kind == Tok::End) fail(t.line, "unexpected end of input in the body of " + f.name);
            if (t.kind == Tok::Punct) {
                if (t.punct == '{') {
                    push_scope();
                    continue;
                }
                if (t.punct == '}') {
                    pop_scope();
                    if (depth_ < 0) return;
                    continue;
                }
                if (t.punct == '@') {
                    parse_instruction(lx_.next(), &t);
                    continue;
                }
                if (t.punct == ';') continue;  // empty statement
                fail(t.line, "unexpected " + describe(t) + " in a function body");
            }
            if (t.kind != Tok::Word) fail(t.line, "unexpected " + describe(t) + " in a function body");
            if (t.text[0] == '.') {
                parse_body_directive(t);
                continue;
            }
            if (peek_punct(':')) {  // "label:" before a statement (ISA 4.3.2 instruction statements)
                lx_.next();
                define_label(t);
                continue;
            }
            parse_instruction(t, nullptr);
        }
    }

    void define_label(const Token& t) {
        Scope& s = scopes_[static_cast<size_t>(depth_)];
        if (!s.labels.try_emplace(t.text, static_cast<int32_t>(fn_->insts.size())).second)
            fail(t.line, "duplicate label " + std::string(t.text));
        // "name: .callprototype ..." / "name: .branchtargets ..." (ISA 11.3,
        // 11.2.6) declare call/branch tables; calls are not simulated.
        const Token& n = lx_.peek();
        if (is_directive(n) && (n.text == ".callprototype" || n.text == ".branchtargets" || n.text == ".calltargets"))
            skip_statement();
    }

    void parse_body_directive(const Token& t) {
        const std::string_view d = t.text;
        if (d == ".reg") {
            parse_reg_decl();
        } else if (d == ".loc") {
            // ISA 11.5.4: .loc file line column [, function_name ..., inlined_at ...]
            const uint32_t file = expect_u32("a .loc file number");
            const uint32_t line = expect_u32("a .loc line number");
            lx_.skip_line();  // column and inlining attributes: not needed
            cur_file_ = static_cast<int32_t>(file);
            cur_line_ = static_cast<int32_t>(line);
        } else if (d == ".shared" || d == ".local" || d == ".param" || d == ".const" || d == ".global") {
            parse_variables(space_from(d.substr(1)), false, /*module_scope=*/false);
        } else if (d == ".pragma") {
            skip_statement();  // e.g. "nounroll", "used_bytes_mask N": hints only
        } else {
            fail(t.line, "unsupported directive in a function body: " + std::string(d));
        }
    }

    // ISA 5.4.1/5.4.2/5.4.6: ".reg [.vN] .type name[<N>] [, ...];"
    void parse_reg_decl() {
        const DeclAttrs a = parse_decl_attrs();
        Scope& s = scopes_[static_cast<size_t>(depth_)];
        for (;;) {
            Token n = lx_.next();
            if (n.kind != Tok::Word || n.text[0] == '.' || is_digit(n.text[0]))
                fail(n.line, "expected a register name, found " + describe(n));
            if (accept_punct('<')) {
                const uint32_t count = expect_u32("a register count");
                expect_punct('>', "after a register count");
                if (count > (1u << 20)) fail(n.line, "register range too large");
                for (const Range& r : s.ranges)
                    if (r.prefix == n.text) fail(n.line, "duplicate register range " + std::string(n.text));
                s.ranges.push_back(Range{n.text, static_cast<int32_t>(fn_->regs.size()), count});
                const size_t base = fn_->regs.size();
                fn_->regs.resize(base + count);
                char buf[16];
                for (uint32_t i = 0; i < count; ++i) {
                    RegisterInfo& r = fn_->regs[base + i];
                    auto res = std::to_chars(buf, buf + sizeof buf, i);
                    r.name.reserve(n.text.size() + static_cast<size_t>(res.ptr - buf));
                    r.name.assign(n.text);
                    r.name.append(buf, res.ptr);
                    r.type = a.type;
                }
            } else {
                if (!s.regs.try_emplace(n.text, static_cast<int32_t>(fn_->regs.size())).second)
                    fail(n.line, "duplicate register " + std::string(n.text));
                fn_->regs.push_back(RegisterInfo{std::string(n.text), a.type});
            }
            if (accept_punct(',')) continue;
            expect_punct(';', "after a register declaration");
            return;
        }
    }

    // Resolves a register name, innermost scope first; -1 when undeclared.
    int32_t lookup_reg(std::string_view name) const {
        // Split "%r123" into "%r" and 123 once for the range lookups.
        size_t k = name.size();
        while (k > 0 && is_digit(name[k - 1])) --k;
        for (int d = depth_; d >= 0; --d) {
            const Scope& s = scopes_[static_cast<size_t>(d)];
            if (!s.regs.empty()) {
                if (auto it = s.regs.find(name); it != s.regs.end()) return it->second;
            }
            if (k == name.size() || s.ranges.empty()) continue;
            // Any split point within the trailing digits (e.g. "%r1<10>" would
            // declare %r10..%r19); a number must not have a leading zero.
            for (size_t split = k; split < name.size(); ++split) {
                if (name[split] == '0' && split + 1 < name.size()) continue;
                const std::string_view prefix = name.substr(0, split);
                for (const Range& r : s.ranges) {
                    if (r.prefix != prefix) continue;
                    uint64_t idx = 0;
                    if (!parse_digits(name.substr(split), 10, idx)) continue;
                    if (idx < r.count) return r.base + static_cast<int32_t>(idx);
                }
            }
        }
        return -1;
    }

    int32_t lookup_local_symbol(std::string_view name) const {
        if (auto it = local_index_.find(name); it != local_index_.end()) return it->second;
        if (auto it = global_index_.find(name); it != global_index_.end()) return it->second;
        return -1;
    }

    // -- instructions (ISA 4.3.2: [label:] [@[!]p] opcode[.mods] operands;) --

    void parse_instruction(const Token& first, const Token* at) {
        Instruction in;
        Token op = first;
        if (at) {
            // Guard predicate (ISA 9.3 predicated execution): @p / @!p.
            if (op.kind == Tok::Punct && op.punct == '!') {
                in.guard_neg = true;
                op = lx_.next();
            }
            if (op.kind != Tok::Word) fail(op.line, "expected a guard predicate after '@', found " + describe(op));
            in.guard = lookup_reg(op.text);
            if (in.guard < 0) fail(op.line, "undeclared guard predicate " + std::string(op.text));
            op = lx_.next();
        }
        if (op.kind != Tok::Word || op.text[0] == '.' || op.text[0] == '%' || is_digit(op.text[0]))
            fail(op.line, "expected an instruction opcode, found " + describe(op));
        in.ptx_line = op.line;
        in.src_file = cur_file_;
        in.src_line = cur_line_;
        in.text.assign(op.text);
        {
            const std::string_view w = op.text;
            size_t dot = w.find('.');
            in.base.assign(w.substr(0, dot));
            in.mods.reserve(static_cast<size_t>(std::count(w.begin(), w.end(), '.')));
            while (dot != std::string_view::npos) {
                const size_t nd = w.find('.', dot + 1);
                const std::string_view m = w.substr(dot + 1, nd == std::string_view::npos ? nd : nd - dot - 1);
                if (m.empty()) fail(op.line, "empty modifier in opcode " + std::string(w));
                in.mods.emplace_back(m);
                dot = nd;
            }
        }
        const int32_t inst_index = static_cast<int32_t>(fn_->insts.size());
        fn_->insts.push_back(std::move(in));
        Instruction& ins = fn_->insts.back();
        if (accept_punct(';')) return;
        ins.ops.reserve(4);  // most instructions have 2-4 operands: avoids regrowing (Operands are large)
        for (;;) {
            const int32_t op_index = static_cast<int32_t>(ins.ops.size());
            ins.ops.emplace_back();
            parse_operand(ins.ops.back(), inst_index, op_index, -1);
            // "d|p": a destination pair (shfl.sync's value and validity
            // predicate, setp's two predicates; see those instructions in ISA
            // chapter 9): a Vec of the two.
            if (accept_punct('|')) {
                Operand pair;
                pair.kind = OperandKind::Vec;
                pair.elems.push_back(std::move(ins.ops.back()));
                pair.elems.emplace_back();
                parse_operand(pair.elems.back(), inst_index, op_index, 1);
                ins.ops.back() = std::move(pair);
            }
            if (accept_punct(',')) continue;
            Token t = lx_.next();
            if (t.kind == Tok::Punct && t.punct == ';') return;
            fail(t.line, "expected ',' or ';' after an operand of " + ins.text + ", found " + describe(t));
        }
    }

    // Resolves an identifier operand that is not a register: a variable, a
    // parameter, a function; else a label (resolved when its scope closes).
    void resolve_name(Operand& o, const Token& t, int32_t inst, int32_t opi, int32_t elem) {
        if (int32_t s = lookup_local_symbol(t.text); s >= 0) {
            o.kind = OperandKind::Symbol;
            o.symbol = s;
            return;
        }
        if (auto it = param_index_.find(t.text); it != param_index_.end()) {
            o.kind = OperandKind::Symbol;
            o.param = it->second;
            return;
        }
        if (auto it = ret_index_.find(t.text); it != ret_index_.end()) {
            o.kind = OperandKind::Symbol;
            o.param = it->second;
            o.param_ret = true;
            return;
        }
        if (auto it = func_index_.find(t.text); it != func_index_.end()) {
            o.kind = OperandKind::Symbol;
            o.func = it->second;
            return;
        }
        o.kind = OperandKind::Label;
        scopes_[static_cast<size_t>(depth_)].fixups.push_back(Fixup{inst, opi, elem, t.text, t.line});
    }

    void parse_number_operand(Operand& o, const Token& t, bool negative) {
        Number n;
        if (!parse_number(t.text, n)) fail(t.line, "malformed constant " + describe(t));
        o.kind = OperandKind::Imm;
        switch (n.kind) {
        case Number::Int: o.imm = static_cast<int64_t>(negative ? ~n.bits + 1 : n.bits); break;
        case Number::F32Bits:
            o.imm_is_float = true;
            o.imm = static_cast<int64_t>(negative ? n.bits ^ 0x80000000u : n.bits);
            break;
        case Number::F64Bits:
            o.imm_is_float = true;
            o.imm_is_double = true;
            o.imm = static_cast<int64_t>(negative ? n.bits ^ 0x8000000000000000ull : n.bits);
            break;
        }
    }

    // Optional "+ imm" / "- imm" / "+ -imm" after an address base or a symbol.
    int64_t parse_offset() {
        int64_t sign = 1;
        if (accept_punct('+')) {
            if (accept_punct('-')) sign = -1;
        } else if (accept_punct('-')) {
            sign = -1;
        } else {
            return 0;
        }
        Token t = lx_.next();
        Number n;
        if (t.kind != Tok::Word || !parse_number(t.text, n) || n.kind != Number::Int)
            fail(t.line, "expected an integer offset, found " + describe(t));
        return sign * static_cast<int64_t>(n.bits);
    }

    void parse_special(Operand& o, const Token& t) {
        std::string_view base = t.text;
        int comp = -1;
        if (const size_t dot = base.find('.'); dot != std::string_view::npos) {
            const std::string_view c = base.substr(dot + 1);
            if (c == "x") comp = 0;
            else if (c == "y") comp = 1;
            else if (c == "z") comp = 2;
            else fail(t.line, "unknown special register component in " + std::string(t.text));
            base = base.substr(0, dot);
        }
        for (const auto& e : kSpecials) {
            if (e.name != base) continue;
            if (e.vector != (comp >= 0))
                fail(t.line, std::string("special register ") + std::string(base) +
                                 (e.vector ? " needs a .x/.y/.z component" : " takes no component"));
            o.kind = OperandKind::Special;
            o.special = e.special;
            o.comp = static_cast<uint8_t>(comp < 0 ? 0 : comp);
            return;
        }
        fail(t.line, "undeclared register " + std::string(t.text));
    }

    // One operand (ISA 6: operands). `elem` >= 0 when inside a vector, for label fixups.
    void parse_operand(Operand& o, int32_t inst, int32_t opi, int32_t elem) {
        Token t = lx_.next();
        if (t.kind == Tok::Punct) {
            switch (t.punct) {
            case '!':  // negated predicate source "!p" (e.g. and.pred, selp-like forms)
                parse_operand(o, inst, opi, elem);
                if (o.kind != OperandKind::Reg) fail(t.line, "'!' applies only to a predicate register");
                o.neg = true;
                return;
            case '-': {
                Token n = lx_.next();
                if (n.kind != Tok::Word || !is_digit(n.text[0]))
                    fail(n.line, "expected a constant after '-', found " + describe(n));
                parse_number_operand(o, n, true);
                return;
            }
            case '{':    // vector operand {a, b, _, d} (ISA 6.4.3 vectors as operands)
            case '(': {  // call's argument/return lists (the call instruction, ISA ch. 9): kept as Vec
                const char close = t.punct == '{' ? '}' : ')';
                o.kind = OperandKind::Vec;
                if (accept_punct(close)) return;
                for (;;) {
                    o.elems.emplace_back();
                    if (elem != -1) {
                        // nested vectors only appear inside an address; label fixups there are unsupported
                        parse_operand(o.elems.back(), inst, opi, -2);
                    } else {
                        parse_operand(o.elems.back(), inst, opi, static_cast<int32_t>(o.elems.size() - 1));
                    }
                    if (accept_punct(',')) continue;
                    expect_punct(close, "to close a vector operand");
                    return;
                }
            }
            case '[':
                parse_address(o, t);
                return;
            default: fail(t.line, "malformed operand " + describe(t));
            }
        }
        if (t.kind != Tok::Word) fail(t.line, "malformed operand " + describe(t));
        const char c = t.text[0];
        if (is_digit(c)) {
            parse_number_operand(o, t, false);
            return;
        }
        if (t.text == "_") {
            o.kind = OperandKind::Sink;
            return;
        }
        if (c == '.') fail(t.line, "malformed operand " + describe(t));
        if (const int32_t r = lookup_reg(t.text); r >= 0) {
            o.kind = OperandKind::Reg;
            o.reg = r;
            return;
        }
        if (c == '%') {
            parse_special(o, t);
            return;
        }
        if (elem == -2) fail(t.line, "unsupported name in a nested vector: " + std::string(t.text));
        resolve_name(o, t, inst, opi, elem);
        if (o.kind == OperandKind::Symbol) o.imm = parse_offset();  // "name+8" (ISA 6.4.1 address expressions)
    }

    // ISA 6.4.1 address expressions: [reg], [reg+imm], [var], [var+imm],
    // [imm]; "+-imm" is nvcc's spelling of a negative offset. Tensor copies
    // add coordinates: [tmap, {c0, c1}] (cp.async.bulk.tensor, ISA ch. 9), kept in elems.
    void parse_address(Operand& o, const Token& open) {
        o.kind = OperandKind::Addr;
        Token b = lx_.next();
        if (b.kind == Tok::Word && is_digit(b.text[0])) {
            Number n;
            if (!parse_number(b.text, n) || n.kind != Number::Int) fail(b.line, "malformed address " + describe(b));
            o.imm = static_cast<int64_t>(n.bits);
        } else if (b.kind == Tok::Word && b.text[0] != '.') {
            if (const int32_t r = lookup_reg(b.text); r >= 0) {
                o.reg = r;
            } else if (const int32_t s = lookup_local_symbol(b.text); s >= 0) {
                o.symbol = s;
            } else if (auto it = param_index_.find(b.text); it != param_index_.end()) {
                o.param = it->second;
            } else if (auto it2 = ret_index_.find(b.text); it2 != ret_index_.end()) {
                o.param = it2->second;
                o.param_ret = true;
            } else if (b.text[0] == '%') {
                fail(b.line, "undeclared register " + std::string(b.text));
            } else {
                fail(b.line, "undeclared identifier " + std::string(b.text) + " in an address");
            }
        } else {
            fail(b.line, "malformed address operand after " + describe(open) + ": " + describe(b));
        }
        o.imm += parse_offset();
        if (accept_punct(',')) {
            Operand coords;
            parse_operand(coords, -1, -1, -2);
            if (coords.kind == OperandKind::Vec) o.elems = std::move(coords.elems);
            else o.elems.push_back(std::move(coords));
        }
        expect_punct(']', "to close an address");
    }

    // -- end of module -----------------------------------------------------------

    // Function::symbols holds every module variable, then the function's own;
    // a variable declared after a function body (legal, if unused by it) is
    // appended to that function's globals here, shifting its own variables.
    void finish_module() {
        const int32_t ng = static_cast<int32_t>(mod_.globals.size());
        for (size_t fi = 0; fi < mod_.functions.size(); ++fi) {
            Function& f = mod_.functions[fi];
            if (!f.has_body) continue;
            const int32_t had = fi < fn_nglobals_.size() ? fn_nglobals_[fi] : ng;
            if (had == ng) continue;
            const int32_t shift = ng - had;
            std::vector<Variable> syms(mod_.globals.begin(), mod_.globals.end());
            syms.insert(syms.end(), std::make_move_iterator(f.symbols.begin() + had),
                        std::make_move_iterator(f.symbols.end()));
            f.symbols = std::move(syms);
            auto fix = [&](Operand& o, auto&& self) -> void {
                if (o.symbol >= had) o.symbol += shift;
                for (Operand& e : o.elems) self(e, self);
            };
            for (Instruction& in : f.insts)
                for (Operand& o : in.ops) fix(o, fix);
        }
    }

    Lexer lx_;
    Module mod_;
    Function* fn_ = nullptr;
    std::vector<Scope> scopes_;
    int depth_ = -1;
    int32_t cur_file_ = -1;
    int32_t cur_line_ = 0;
    int32_t nglobals_at_fn_ = 0;
    std::vector<int32_t> fn_nglobals_;  // per function: module variables visible when it was parsed
    // Name tables, keyed by string_views into the source text.
    std::unordered_map<std::string_view, int32_t> global_index_;
    std::unordered_map<std::string_view, int32_t> local_index_;  // function's own variables -> symbols index
    std::unordered_map<std::string_view, int32_t> param_index_;
    std::unordered_map<std::string_view, int32_t> ret_index_;
    std::unordered_map<std::string_view, int32_t> func_index_;
};

}  // namespace

Module parse_module(std::string_view text) { return Parser(text).run(); }

}  // namespace ptxsim::ptx
