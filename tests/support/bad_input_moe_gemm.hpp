// The bad-input rows of the grouped expert GEMM and the fused MoE layer, in
// the form of bad_input_table.hpp (Row, Baseline, bad, noop): each row breaks
// one argument of a valid call. tests/cpu/test_bad_input_cpu.cpp and
// tests/gpu/test_bad_input.cpp run them next to the table's own rows. The
// valid calls fit the arena's 1 MiB slots; on a GPU the slots are zero-filled,
// so *total_padded and every count are 0 (the grouped GEMMs find no tile and
// write nothing) and the fused layer routes zero logits (ties: experts 0 and
// 1) over zero weights: valid calls that launch and stay in bounds.
#pragma once

#include <cstdint>
#include <vector>

#include "ptxkit/moe.hpp"
#include "support/bad_input_table.hpp"

namespace ptxkit::testing::bad_input {

// a [256, 128] bf16, weights [8, 96, 128], block_expert [2], total_padded [1],
// out [256, 96], align block_m 128.
struct GroupedGemmCall {
    static constexpr const char* kOp = "ptxkit::moe::grouped_gemm";
    TensorView a, weights, block_expert, total_padded;
    int block_m;
    TensorView out;
    moe::GroupedGemmOptions o;
    static GroupedGemmCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {256, 128}), tensor(m.at(1), DType::bf16, {8, 96, 128}),
                tensor(m.at(2), DType::i32, {2}),         tensor(m.at(3), DType::i32, {1}),
                128,                                      tensor(m.at(4), DType::bf16, {256, 96}),
                {}};
    }
    void run(const Arena& m) const {
        moe::grouped_gemm(a, weights, block_expert, total_padded, block_m, out, o, m.stream);
    }
};

// a [8, 64, 128] bf16, weights [8, 96, 128], counts [8], out [8, 64, 96] f32.
struct GroupedGemmMaskedCall {
    static constexpr const char* kOp = "ptxkit::moe::grouped_gemm_masked";
    TensorView a, weights, counts, out;
    moe::GroupedGemmOptions o;
    static GroupedGemmMaskedCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {8, 64, 128}), tensor(m.at(1), DType::bf16, {8, 96, 128}),
                tensor(m.at(2), DType::i32, {8}), tensor(m.at(4), DType::f32, {8, 64, 96}), {}};
    }
    void run(const Arena& m) const { moe::grouped_gemm_masked(a, weights, counts, out, o, m.stream); }
};

// hidden [16, 128] bf16, router_logits [16, 8] f32, w13 [8, 128, 128] (I 64),
// w2 [8, 128, 64], out [16, 128], k 2, workspace in slot 5.
struct FusedMoeCall {
    static constexpr const char* kOp = "ptxkit::moe::fused_moe";
    TensorView hidden, logits, w13, w2, out;
    moe::FusedMoeOptions o;
    void* workspace;
    std::size_t workspace_bytes;
    static FusedMoeCall valid(const Arena& m) {
        FusedMoeCall c{tensor(m.at(0), DType::bf16, {16, 128}),
                       tensor(m.at(1), DType::f32, {16, 8}),
                       tensor(m.at(2), DType::bf16, {8, 128, 128}),
                       tensor(m.at(3), DType::bf16, {8, 128, 64}),
                       tensor(m.at(4), DType::bf16, {16, 128}),
                       {},
                       m.at(5),
                       moe::fused_moe_workspace_size(16, 128, 64, 8, 2, DType::bf16)};
        c.o.k = 2;
        return c;
    }
    void run(const Arena& m) const {
        moe::fused_moe(hidden, logits, w13, w2, out, o, workspace, workspace_bytes, m.stream);
    }
};

inline std::vector<Baseline> moe_gemm_baselines() {
    return {
        {GroupedGemmCall::kOp, "a [256, 128] bf16, 8 experts", [](const Arena& m) { GroupedGemmCall::valid(m).run(m); }},
        {GroupedGemmMaskedCall::kOp, "a [8, 64, 128] bf16 -> f32",
         [](const Arena& m) { GroupedGemmMaskedCall::valid(m).run(m); }},
        {FusedMoeCall::kOp, "T=16 H=128 I=64 E=8 k=2", [](const Arena& m) { FusedMoeCall::valid(m).run(m); }},
    };
}

inline std::vector<Row> moe_gemm_rows() {
    using A = const Arena&;
    using G = GroupedGemmCall;
    using M = GroupedGemmMaskedCall;
    using F = FusedMoeCall;
    std::vector<Row> r;

    // ---- grouped_gemm ----
    r.push_back(bad<G>("null a", "argument 'a': expected a non-null device pointer", [](G& c, A) { c.a.data = nullptr; }));
    r.push_back(bad<G>("null weights", "argument 'weights': expected a non-null device pointer",
                       [](G& c, A) { c.weights.data = nullptr; }));
    r.push_back(bad<G>("a f16, weights bf16", "argument 'a': expected dtype bf16, got f16",
                       [](G& c, A) { c.a.dtype = DType::f16; }));
    r.push_back(bad<G>("a K 64, weights K 128", "argument 'a': expected K = 128 columns",
                       [](G& c, A m) { c.a = tensor(m.at(0), DType::bf16, {256, 64}); }));
    r.push_back(bad<G>("out N 95", "argument 'out': expected [rows, N] = [256, 96], got [256, 95]",
                       [](G& c, A m) { c.out = tensor(m.at(4), DType::bf16, {256, 95}); }));
    r.push_back(bad<G>("SwiGLU with out [rows, N]", "argument 'out': expected [rows, N / 2] = [256, 48]",
                       [](G& c, A) { c.o.epilogue = moe::GroupedEpilogue::swiglu; }));
    r.push_back(bad<G>("block_m 32", "argument 'block_m': expected align's block_m, a power of two in [64, 256]",
                       [](G& c, A) { c.block_m = 32; }));
    r.push_back(bad<G>("block_m 96", "argument 'block_m': expected align's block_m",
                       [](G& c, A) { c.block_m = 96; }));
    r.push_back(bad<G>("block_expert too short", "argument 'block_expert': expected at least rows / block_m = 2 entries",
                       [](G& c, A m) { c.block_expert = tensor(m.at(2), DType::i32, {1}); }));
    r.push_back(bad<G>("total_padded i64", "argument 'total_padded': expected dtype i32, got i64",
                       [](G& c, A) { c.total_padded.dtype = DType::i64; }));
    r.push_back(bad<G>("a misaligned by 8 bytes", "argument 'a': expected a pointer aligned to 16 bytes",
                       [](G& c, A m) { c.a.data = m.at(0, 8); }));
    r.push_back(bad<G>("weights row stride 100", "argument 'weights': expected a row stride (stride[1]) that is a multiple of 8",
                       [](G& c, A m) {
                           c.a = tensor(m.at(0), DType::bf16, {256, 100});
                           c.weights = tensor(m.at(1), DType::bf16, {8, 96, 100});
                       }));
    r.push_back(bad<G>("513 experts", "argument 'weights.shape[0] (E)': expected a value in [1, 512], got 513",
                       [](G& c, A m) { c.weights = tensor(m.far_at(1), DType::bf16, {513, 96, 128}); }));
    r.push_back(bad<G>("out overlaps a", "argument 'out': expected memory that does not overlap 'a'",
                       [](G& c, A m) { c.out.data = m.at(0, 4096); }));
    r.push_back(bad<G>("epilogue 2", "argument 'options.epilogue': expected a value in [0, 1], got 2",
                       [](G& c, A) { c.o.epilogue = static_cast<moe::GroupedEpilogue>(2); }));
    r.push_back(noop<G>("zero rows", [](G& c, A) {
        c.a = tensor(nullptr, DType::bf16, {0, 128});
        c.out = tensor(nullptr, DType::bf16, {0, 96});
    }));

    // ---- grouped_gemm_masked ----
    r.push_back(bad<M>("a for 7 experts", "argument 'a': expected [E, capacity, K] with E = 8 and K = 128",
                       [](M& c, A m) { c.a = tensor(m.at(0), DType::bf16, {7, 64, 128}); }));
    r.push_back(bad<M>("counts [9]", "argument 'counts': expected [E] = [8], one count per expert, got [9]",
                       [](M& c, A m) { c.counts = tensor(m.at(2), DType::i32, {9}); }));
    r.push_back(bad<M>("out capacity 63", "argument 'out': expected [E, capacity, N] = [8, 64, 96], got [8, 63, 96]",
                       [](M& c, A m) { c.out = tensor(m.at(4), DType::f32, {8, 63, 96}); }));
    r.push_back(bad<M>("out f16 for bf16 in", "argument 'out': expected dtype bf16 or f32, got f16",
                       [](M& c, A) { c.out.dtype = DType::f16; }));
    r.push_back(bad<M>("experts overlap in a", "argument 'a': expected a stride[0] of at least shape[1] * stride[1]",
                       [](M& c, A) { c.a.stride[0] = 64; }));
    r.push_back(bad<M>("null counts", "argument 'counts': expected a non-null device pointer",
                       [](M& c, A) { c.counts.data = nullptr; }));
    r.push_back(bad<M>("path general-like value 5", "argument 'options.path': expected a value in [0, 3], got 5",
                       [](M& c, A) { c.o.path = static_cast<GemmPath>(5); }));
    r.push_back(noop<M>("zero capacity", [](M& c, A) {
        c.a = tensor(nullptr, DType::bf16, {8, 0, 128});
        c.out = tensor(nullptr, DType::f32, {8, 0, 96});
    }));

    // ---- fused_moe ----
    r.push_back(bad<F>("w13 for 7 experts", "argument 'w13': expected [E, 2 I, H] with E = 8",
                       [](F& c, A m) { c.w13 = tensor(m.at(2), DType::bf16, {7, 128, 128}); }));
    r.push_back(bad<F>("w2 I mismatch", "argument 'w2': expected [E, H, I] = [8, 128, 64], got [8, 128, 32]",
                       [](F& c, A m) { c.w2 = tensor(m.at(3), DType::bf16, {8, 128, 32}); }));
    r.push_back(bad<F>("w13 odd rows", "argument 'w13': expected [E, 2 I, H] with an even, nonzero 2 I",
                       [](F& c, A m) { c.w13 = tensor(m.at(2), DType::bf16, {8, 127, 128}); }));
    r.push_back(bad<F>("router_logits 15 rows", "argument 'router_logits': expected 16 rows, as 'hidden'",
                       [](F& c, A m) { c.logits = tensor(m.at(1), DType::f32, {15, 8}); }));
    r.push_back(bad<F>("k 9 > E", "argument 'options.k': expected a value in [1, 8], got 9",
                       [](F& c, A) { c.o.k = 9; }));
    r.push_back(bad<F>("out f16", "argument 'out': expected dtype bf16, got f16", [](F& c, A) { c.out.dtype = DType::f16; }));
    r.push_back(bad<F>("grouped routing, 3 groups", "argument 'options.num_groups': expected a divisor of the expert count 8",
                       [](F& c, A) {
                           c.o.routing = moe::MoeRouting::grouped_sigmoid_topk;
                           c.o.num_groups = 3;
                       }));
    r.push_back(bad<F>("workspace too small", "argument 'workspace_bytes': expected at least",
                       [](F& c, A) { c.workspace_bytes = 1024; }));
    r.push_back(bad<F>("null workspace", "argument 'workspace': expected a non-null device pointer",
                       [](F& c, A) { c.workspace = nullptr; }));
    r.push_back(bad<F>("workspace misaligned", "argument 'workspace': expected a pointer aligned to 256 bytes",
                       [](F& c, A m) { c.workspace = m.at(5, 128); }));
    r.push_back(bad<F>("workspace overlaps w2", "argument 'workspace': expected memory that does not overlap 'w2'",
                       [](F& c, A m) { c.workspace = m.at(3); }));
    r.push_back(bad<F>("out overlaps hidden", "argument 'out': expected memory that does not overlap 'hidden'",
                       [](F& c, A m) { c.out.data = m.at(0, 512); }));
    r.push_back(bad<F>("shared_output [16, 64]", "argument 'options.shared_output': expected the shape of 'out'",
                       [](F& c, A m) { c.o.shared_output = tensor(m.at(6), DType::bf16, {16, 64}); }));
    r.push_back(noop<F>("zero tokens", [](F& c, A) {
        c.hidden = tensor(nullptr, DType::bf16, {0, 128});
        c.logits = tensor(nullptr, DType::f32, {0, 8});
        c.out = tensor(nullptr, DType::bf16, {0, 128});
        c.workspace = nullptr;
        c.workspace_bytes = 0;
    }));
    return r;
}

}  // namespace ptxkit::testing::bad_input
