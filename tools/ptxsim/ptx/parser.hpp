// Parses PTX text (as nvcc and ptxas accept it, PTX ISA 8.x) into ptx::Module.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "ptx/ir.hpp"

namespace ptxsim::ptx {

// A syntax error or an unsupported directive, with the PTX line.
class ParseError : public std::runtime_error {
public:
    ParseError(int line, const std::string& what)
        : std::runtime_error("PTX line " + std::to_string(line) + ": " + what), line_(line) {}
    int line() const noexcept { return line_; }

private:
    int line_;
};

Module parse_module(std::string_view text);

}  // namespace ptxsim::ptx
