#include "cases.hpp"

// mutate.py names cases by index: add new ones at the end.

namespace emu::moe_sm90 {
std::vector<Case> cases() {
    using ptxkit::DType;
    std::vector<Case> v;
    auto add = [&](Case c) { v.push_back(std::move(c)); };
    // Contiguous (align's layout): experts with 0 rows, segments not multiples of 128.
    add({.name = "contig bf16, 8 experts, 0-row experts", .experts = 8, .counts = {37, 0, 130, 5, 0, 1, 0, 90},
         .n = 200, .k = 136});
    add({.name = "contig bf16 SwiGLU N=2*136", .experts = 8, .counts = {37, 0, 130, 5, 0, 1, 0, 90}, .n = 272,
         .k = 136, .swiglu = true});
    add({.name = "contig f16->f16, 16 experts, tight rows", .experts = 16,
         .counts = {3, 0, 0, 17, 0, 0, 0, 129, 0, 0, 1, 0, 0, 0, 0, 60}, .extra_rows = 5, .n = 200, .k = 72,
         .f16 = true, .out = DType::f16});
    add({.name = "contig f16 SwiGLU N=2*100, K=72", .experts = 16,
         .counts = {3, 0, 0, 17, 0, 0, 0, 129, 0, 0, 1, 0, 0, 0, 0, 60}, .extra_rows = 0, .n = 200, .k = 72,
         .f16 = true, .out = DType::f16, .swiglu = true});
    add({.name = "contig bf16->f32, block_m 256", .experts = 4, .counts = {1, 300, 0, 20}, .block_m = 256, .n = 200,
         .k = 64, .out = DType::f32});
    add({.name = "contig bf16->f32 SwiGLU, block_m 256", .experts = 4, .counts = {1, 300, 0, 20}, .block_m = 256,
         .n = 200, .k = 64, .out = DType::f32, .swiglu = true});
    // Odd K (partial, not a multiple of 8), padded strides.
    add({.name = "contig K=100 N=130 pad 8", .experts = 8, .counts = {50, 0, 70, 0, 0, 0, 129, 2}, .n = 130, .k = 100});
    add({.name = "contig f16 SwiGLU N=2*66 K=100 pad 16", .experts = 8, .counts = {50, 0, 70, 0, 0, 0, 129, 2},
         .extra_rows = 3, .n = 132, .k = 100, .f16 = true, .out = DType::f16, .swiglu = true, .pad = 16});
    // Tile widths, several tiles per CTA.
    add({.name = "contig wide, 1 SM, 8 tiles", .experts = 2, .counts = {300, 0}, .n = 512, .k = 128, .sms = 1,
         .expect = "128x256"});
    add({.name = "contig narrow N=128, 2 SMs, several tiles", .experts = 3, .counts = {100, 200, 150}, .n = 128,
         .k = 64, .sms = 2, .expect = "128x128"});
    add({.name = "contig SwiGLU narrow, 132 SMs", .experts = 3, .counts = {100, 0, 150}, .n = 200, .k = 64,
         .swiglu = true, .sms = 132, .expect = "128x128"});
    add({.name = "contig SwiGLU wide, 1 SM", .experts = 2, .counts = {200, 100}, .n = 512, .k = 64, .swiglu = true,
         .sms = 1, .expect = "128x256"});
    add({.name = "contig one expert, one row, N=8 K=8", .experts = 1, .counts = {1}, .extra_rows = 0, .n = 8, .k = 8});
    // Blocks whose expert is outside [0, E), and a zero total.
    add({.name = "contig blocks {1,-1,7,0}: no-expert rows unwritten", .experts = 2, .block_expert = {1, -1, 7, 0},
         .n = 64, .k = 64, .pad = 0});
    add({.name = "contig total 0: nothing written", .experts = 2, .counts = {0, 0}, .extra_rows = 256, .n = 64,
         .k = 64});
    // Masked layout: counts 0, 1, full, past capacity, negative, partial.
    add({.name = "masked bf16 counts {0,1,96,500,-3,37,64,65}", .masked = true, .experts = 8,
         .counts = {0, 1, 96, 500, -3, 37, 64, 65}, .capacity = 96, .n = 200, .k = 136, .pad = 0});
    add({.name = "masked f16 SwiGLU N=2*100", .masked = true, .experts = 8, .counts = {5, 0, 0, 96, 33, 1, 0, 90},
         .capacity = 96, .n = 200, .k = 72, .f16 = true, .out = DType::f16, .swiglu = true, .pad = 0});
    add({.name = "masked bf16->f32 capacity 256", .masked = true, .experts = 4, .counts = {256, 129, 128, 0},
         .capacity = 256, .n = 128, .k = 256, .out = DType::f32, .pad = 0});
    add({.name = "masked decode 64 experts SwiGLU", .masked = true, .experts = 64,
         .counts = {0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
         .capacity = 32, .n = 272, .k = 128, .swiglu = true, .pad = 0});
    add({.name = "masked all empty", .masked = true, .experts = 16, .counts = std::vector<int>(16, 0),
         .capacity = 64, .n = 64, .k = 64, .pad = 0});
    add({.name = "masked wide, 40 experts, 1 SM, padded", .masked = true, .experts = 40,
         .counts = {0, 130, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 256},
         .capacity = 256, .n = 512, .k = 72, .sms = 1, .pad = 8, .expect = "128x256"});
    add({.name = "masked f16->f32 SwiGLU narrow, 3 SMs", .masked = true, .experts = 3, .counts = {200, 0, 129},
         .capacity = 200, .n = 264, .k = 96, .f16 = true, .out = DType::f32, .swiglu = true, .sms = 3, .pad = 8});
    return v;
}
}  // namespace emu::moe_sm90
