// Parses every PTX file named on the command line and prints what it found
// and how long parsing took (a check of the parser against real nvcc output).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "ptx/parser.hpp"

namespace {

// Consistency of the resolved IR: every index in range, no operand left
// unresolved. Returns the number of problems (printed).
int check(const char* file, const ptxsim::ptx::Function& f) {
    using ptxsim::ptx::OperandKind;
    int bad = 0;
    auto report = [&](const ptxsim::ptx::Instruction& in, const char* what) {
        if (bad++ < 5) std::fprintf(stderr, "%s: %s line %d (%s): %s\n", file, f.name.c_str(), in.ptx_line,
                                    in.text.c_str(), what);
    };
    auto check_op = [&](const ptxsim::ptx::Instruction& in, const ptxsim::ptx::Operand& o, auto&& self) -> void {
        const auto nregs = static_cast<int32_t>(f.regs.size());
        switch (o.kind) {
        case OperandKind::None: report(in, "operand of kind None"); break;
        case OperandKind::Reg:
            if (o.reg < 0 || o.reg >= nregs) report(in, "register slot out of range");
            break;
        case OperandKind::Label:
            if (o.label < 0 || o.label > static_cast<int32_t>(f.insts.size())) report(in, "label out of range");
            break;
        case OperandKind::Addr:
            if (o.reg >= nregs || o.symbol >= static_cast<int32_t>(f.symbols.size()) ||
                o.param >= static_cast<int32_t>(f.params.size()))
                report(in, "address base out of range");
            break;
        case OperandKind::Symbol:
            if (o.symbol < 0 && o.param < 0 && o.func < 0) report(in, "symbol operand names nothing");
            break;
        default: break;
        }
        for (const auto& e : o.elems) self(in, e, self);
    };
    for (const auto& in : f.insts) {
        if (in.guard >= static_cast<int32_t>(f.regs.size())) report(in, "guard out of range");
        for (const auto& o : in.ops) check_op(in, o, check_op);
    }
    return bad;
}

}  // namespace

int main(int argc, char** argv) {
    int failures = 0;
    double total_s = 0;
    size_t total_bytes = 0;
    for (int i = 1; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "%s: cannot open\n", argv[i]);
            ++failures;
            continue;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        try {
            const auto t0 = std::chrono::steady_clock::now();
            const ptxsim::ptx::Module m = ptxsim::ptx::parse_module(text);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            total_s += s;
            total_bytes += text.size();
            size_t insts = 0, regs = 0;
            for (const auto& f : m.functions) {
                failures += check(argv[i], f) ? 1 : 0;
                insts += f.insts.size();
                regs += f.regs.size();
            }
            std::printf("%-60s %9zu bytes %3zu functions %8zu insts %7zu regs %3zu globals %7.3f s %6.1f MB/s\n",
                        argv[i], text.size(), m.functions.size(), insts, regs, m.globals.size(), s,
                        static_cast<double>(text.size()) / 1e6 / s);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: %s\n", argv[i], e.what());
            ++failures;
        }
    }
    if (total_s > 0)
        std::printf("total %zu bytes in %.3f s (%.1f MB/s), %d failures\n", total_bytes, total_s,
                    static_cast<double>(total_bytes) / 1e6 / total_s, failures);
    return failures ? 1 : 0;
}
