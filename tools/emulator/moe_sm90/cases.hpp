// The MoE grouped GEMM cases: both layouts, dtypes, the plain and SwiGLU
// epilogues, both tile widths, experts without rows, segments and counts that
// are not tile multiples, several tiles per CTA; shapes from
// tests/gpu/test_moe_grouped_gemm.cpp, scaled down to run in seconds.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ptxkit/tensor.hpp"

namespace emu::moe_sm90 {
struct Case {
    std::string name;
    bool masked = false;
    int experts = 1;
    // Contiguous: rows routed to each expert (segments padded to block_m, as
    // align lays them out). Masked: counts[e] as given to the op (clamped to
    // [0, capacity] by the op; negative and past-capacity values included).
    std::vector<int> counts;
    int block_m = 128;                        // contiguous: align's block_m
    std::vector<int> block_expert;            // contiguous: explicit blocks (then counts unused), total = rows
    int64_t extra_rows = 128;                 // contiguous: rows of A/out past the total (poisoned A rows)
    int64_t capacity = 0;                     // masked: rows per expert
    int64_t n = 0, k = 0;                     // weights [E, n, k]
    bool f16 = false;                         // A/weights dtype (else bf16)
    ptxkit::DType out = ptxkit::DType::bf16;  // out dtype (A's or f32)
    bool swiglu = false;
    int sms = 2;
    int64_t pad = 8;                          // extra elements per row of A, weights, out (multiple of 8)
    const char* expect = "";                  // substring the chosen kernel must contain
};
std::vector<Case> cases();
}  // namespace emu::moe_sm90
