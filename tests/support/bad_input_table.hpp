// The bad-input table: for every op, calls that are valid except for ONE
// argument, the substring the ptxkit::Error message must contain (the
// argument's name and "expected"), and whether the check needs a device.
//
// Used by tests/gpu/test_bad_input.cpp (real device buffers for the other
// arguments; also checks that nothing was launched and that each op's
// baseline call, with nothing broken, succeeds) and by
// tests/cpu/test_bad_input_cpu.cpp (fake, never dereferenced pointers; only
// the rows whose check runs before any driver call).
//
// Each op has a `...Call` struct: its arguments, `valid(arena)` (a call that
// succeeds on a GPU with the arena's buffers) and `run(arena)`. A row breaks
// one argument of the valid call. Rows whose sizes no real buffer could hold
// (tensors of 2^31 rows, byte sizes past 2^63) use the arena's `far` pointers:
// fake addresses 2^44 bytes apart, so that no overlap check fires before the
// size check the row is about. They never reach the driver.
//
// Device data cannot be checked on the host: ids outside [0, E) given to
// align are documented as dropped pairs, and sorted_pairs / inverse /
// total_padded values are trusted as align wrote them; no row covers them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "ptxkit/ptxkit.hpp"

namespace ptxkit::testing::bad_input {

// Bytes every slot holds (on a GPU: a zero-filled allocation of this size).
inline constexpr std::size_t kSlotBytes = std::size_t{1} << 20;
inline constexpr int kSlots = 8;

struct Arena {
    std::array<void*, kSlots> slot{};  // 256-byte aligned, kSlotBytes each, disjoint
    std::array<void*, kSlots> far{};   // fake, 2^44 bytes apart: for oversized rows only
    void* flush_scratch = nullptr;     // l2_flush_bytes() of scratch on a GPU; fake on the CPU
    std::size_t flush_bytes = 0;
    ::ptxkit::Stream stream = nullptr;  // the CUstream ops are given

    // Slot `i` shifted by `offset` bytes (misaligned views, overlapping views).
    void* at(int i, std::ptrdiff_t offset = 0) const { return static_cast<char*>(slot[static_cast<std::size_t>(i)]) + offset; }
    void* far_at(int i) const { return far[static_cast<std::size_t>(i)]; }
};

inline void* fake_address(std::uintptr_t address) { return reinterpret_cast<void*>(address); }

inline Arena fake_arena() {
    Arena a;
    for (int i = 0; i < kSlots; ++i) {
        a.slot[static_cast<std::size_t>(i)] = fake_address(0x10000000000ull + static_cast<std::uintptr_t>(i) * 0x1000000ull);
    }
    for (int i = 0; i < kSlots; ++i) {
        a.far[static_cast<std::size_t>(i)] = fake_address((1ull << 47) + static_cast<std::uintptr_t>(i) * (1ull << 44));
    }
    a.flush_scratch = fake_address(0x7f0000000000ull);
    a.flush_bytes = 0;
    return a;
}

inline TensorView tensor(void* data, DType dtype, std::initializer_list<std::int64_t> shape) {
    return TensorView::contiguous(data, dtype, shape);
}

// A 2-D view with explicit strides: for shapes whose row-major strides would
// not fit in int64 (TensorView::contiguous would overflow computing them).
inline TensorView raw2d(void* data, DType dtype, std::int64_t rows, std::int64_t cols, std::int64_t row_stride) {
    TensorView t;
    t.data = data;
    t.dtype = dtype;
    t.rank = 2;
    t.shape[0] = rows;
    t.shape[1] = cols;
    t.stride[0] = row_stride;
    t.stride[1] = 1;
    return t;
}

inline constexpr std::int64_t kTwo31 = std::int64_t{1} << 31;
inline constexpr std::int64_t kTwo32 = std::int64_t{1} << 32;
inline constexpr std::int64_t kTwo61 = std::int64_t{1} << 61;

// ---- one struct per op: its arguments, a valid call, the call ----

struct CopyCall {
    static constexpr const char* kOp = "ptxkit::copy";
    void* dst;
    const void* src;
    std::size_t bytes;
    static CopyCall valid(const Arena& m) { return {m.at(0), m.at(1), 4096}; }
    void run(const Arena& m) const { copy(dst, src, bytes, m.stream); }
};

struct ConvertCall {
    static constexpr const char* kOp = "ptxkit::convert";
    TensorView dst, src;
    static ConvertCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {64, 64}), tensor(m.at(1), DType::f32, {64, 64})};
    }
    void run(const Arena& m) const { convert(dst, src, m.stream); }
};

struct FlushL2Call {
    static constexpr const char* kOp = "ptxkit::flush_l2";
    void* scratch;
    std::size_t bytes;
    static FlushL2Call valid(const Arena& m) { return {m.flush_scratch, m.flush_bytes}; }
    void run(const Arena& m) const { flush_l2(scratch, bytes, m.stream); }
};

// D [64, 96] = A [64, 128] B[96, 128]^T + bias [96], bf16, automatic path.
struct GemmCall {
    static constexpr const char* kOp = "ptxkit::gemm";
    TensorView a, b, d;
    GemmOptions o;
    static GemmCall valid(const Arena& m) {
        GemmCall c{tensor(m.at(0), DType::bf16, {64, 128}), tensor(m.at(1), DType::bf16, {96, 128}),
                   tensor(m.at(2), DType::bf16, {64, 96}), {}};
        c.o.bias = tensor(m.at(3), DType::f32, {96});
        return c;
    }
    void run(const Arena& m) const { gemm(a, b, d, o, m.stream); }
};

// Mixtral-like routing: 32 tokens, 64 experts, k = 8.
struct TopkSoftmaxCall {
    static constexpr const char* kOp = "ptxkit::moe::topk_softmax";
    TensorView logits, weights, ids;
    int k;
    static TopkSoftmaxCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {32, 64}), tensor(m.at(1), DType::f32, {32, 8}),
                tensor(m.at(2), DType::i32, {32, 8}), 8};
    }
    void run(const Arena& m) const { moe::topk_softmax(logits, weights, ids, k, true, m.stream); }
};

// DeepSeek-V3 routing: 16 tokens, 256 experts in 8 groups, 4 groups kept, k = 8.
struct GroupedCall {
    static constexpr const char* kOp = "ptxkit::moe::topk_grouped_sigmoid";
    TensorView logits, bias, weights, ids;
    moe::GroupedTopkOptions o;
    static GroupedCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {16, 256}), tensor(m.at(3), DType::f32, {256}),
                tensor(m.at(1), DType::f32, {16, 8}), tensor(m.at(2), DType::i32, {16, 8}), {}};
    }
    void run(const Arena& m) const { moe::topk_grouped_sigmoid(logits, bias, weights, ids, o, m.stream); }
};

// ids [T, 8], E = 64, block_m = 16: capacity T*8 + 64*15, capacity / 16 blocks.
struct AlignCall {
    static constexpr const char* kOp = "ptxkit::moe::align";
    TensorView ids;
    int num_experts, block_m;
    moe::AlignOutputs out;
    void* workspace;
    std::size_t workspace_bytes;
    static AlignCall for_tokens(const Arena& m, std::int64_t tokens) {
        const std::int64_t capacity = tokens * 8 + 64 * 15;
        AlignCall c{tensor(m.at(0), DType::i32, {tokens, 8}), 64, 16, {}, nullptr, 0};
        c.out.counts = tensor(m.at(1), DType::i32, {64});
        c.out.padded_offsets = tensor(m.at(2), DType::i32, {65});
        c.out.sorted_pairs = tensor(m.at(3), DType::i32, {capacity});
        c.out.block_expert = tensor(m.at(4), DType::i32, {capacity / 16});
        c.out.inverse = tensor(m.at(5), DType::i32, {tokens, 8});
        c.out.total_padded = tensor(m.at(6), DType::i32, {1});
        return c;
    }
    // 256 pairs: one launch, no workspace.
    static AlignCall valid(const Arena& m) { return for_tokens(m, 32); }
    // 8192 pairs: two launches, a workspace (slot 7) of align_workspace_size bytes.
    static AlignCall valid_with_workspace(const Arena& m) {
        AlignCall c = for_tokens(m, 1024);
        c.workspace = m.at(7);
        c.workspace_bytes = moe::align_workspace_size(1024, 8, 64);
        return c;
    }
    void run(const Arena& m) const { moe::align(ids, num_experts, block_m, out, workspace, workspace_bytes, m.stream); }
};

// hidden [32, 128] bf16, k = 8 -> permuted [1216, 128] (AlignCall's capacity).
struct PermuteCall {
    static constexpr const char* kOp = "ptxkit::moe::permute";
    TensorView hidden, sorted_pairs, total_padded;
    int k;
    TensorView permuted;
    static PermuteCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {32, 128}), tensor(m.at(1), DType::i32, {1216}),
                tensor(m.at(2), DType::i32, {1}), 8, tensor(m.at(3), DType::bf16, {1216, 128})};
    }
    void run(const Arena& m) const { moe::permute(hidden, sorted_pairs, total_padded, k, permuted, m.stream); }
};

// y [1216, 128] bf16, weights / inverse [32, 8], out [32, 128] bf16, no shared.
struct CombineCall {
    static constexpr const char* kOp = "ptxkit::moe::combine";
    TensorView y, weights, inverse, shared, out;
    static CombineCall valid(const Arena& m) {
        return {tensor(m.at(0), DType::bf16, {1216, 128}), tensor(m.at(1), DType::f32, {32, 8}),
                tensor(m.at(2), DType::i32, {32, 8}), TensorView{}, tensor(m.at(4), DType::bf16, {32, 128})};
    }
    static CombineCall valid_with_shared(const Arena& m) {
        CombineCall c = valid(m);
        c.shared = tensor(m.at(3), DType::bf16, {32, 128});
        return c;
    }
    void run(const Arena& m) const { moe::combine(y, weights, inverse, shared, out, m.stream); }
};

// ---- the table ----

struct Row {
    const char* op;            // "ptxkit::copy": the message starts with "<op>: argument '"
    std::string what;          // what is wrong, for failure messages
    const char* expected;      // substring of the message; nullptr: accepted, nothing launched (a no-op)
    bool needs_device;         // the check runs after the driver is opened (GPU test only)
    std::function<void(const Arena&)> call;
};

// A call of `Call` that starts valid (`make`) and is broken by `brk`.
template <class Call, class Make, class Break>
Row make_row(std::string what, const char* expected, Make make, Break brk, bool needs_device = false) {
    return {Call::kOp, std::move(what), expected, needs_device, [make, brk](const Arena& m) {
                Call c = make(m);
                brk(c, m);
                c.run(m);
            }};
}

template <class Call, class Break>
Row bad(std::string what, const char* expected, Break brk, bool needs_device = false) {
    return make_row<Call>(std::move(what), expected, [](const Arena& m) { return Call::valid(m); }, brk, needs_device);
}

// Valid empty calls: accepted, nothing launched, no driver call.
template <class Call, class Break>
Row noop(std::string what, Break brk) {
    return make_row<Call>(std::move(what), nullptr, [](const Arena& m) { return Call::valid(m); }, brk);
}

// The valid calls the rows start from: on a GPU each must succeed and launch.
struct Baseline {
    const char* op;
    std::string what;
    std::function<void(const Arena&)> call;
};

}  // namespace ptxkit::testing::bad_input

#include "support/bad_input_attention.hpp"

namespace ptxkit::testing::bad_input {

inline std::vector<Baseline> baselines() {
    std::vector<Baseline> b = {
        {CopyCall::kOp, "4096 bytes", [](const Arena& m) { CopyCall::valid(m).run(m); }},
        {ConvertCall::kOp, "f32 -> bf16 [64, 64]", [](const Arena& m) { ConvertCall::valid(m).run(m); }},
        {FlushL2Call::kOp, "l2_flush_bytes()", [](const Arena& m) { FlushL2Call::valid(m).run(m); }},
        {GemmCall::kOp, "64x96x128 bf16 + bias", [](const Arena& m) { GemmCall::valid(m).run(m); }},
        {TopkSoftmaxCall::kOp, "T=32 E=64 k=8", [](const Arena& m) { TopkSoftmaxCall::valid(m).run(m); }},
        {GroupedCall::kOp, "T=16 E=256 DeepSeek-V3", [](const Arena& m) { GroupedCall::valid(m).run(m); }},
        {AlignCall::kOp, "T=32 k=8 E=64", [](const Arena& m) { AlignCall::valid(m).run(m); }},
        {AlignCall::kOp, "T=1024 k=8 E=64 with workspace",
         [](const Arena& m) { AlignCall::valid_with_workspace(m).run(m); }},
        {PermuteCall::kOp, "hidden [32, 128] bf16", [](const Arena& m) { PermuteCall::valid(m).run(m); }},
        {CombineCall::kOp, "out [32, 128] bf16", [](const Arena& m) { CombineCall::valid(m).run(m); }},
        {CombineCall::kOp, "out [32, 128] bf16 + shared",
         [](const Arena& m) { CombineCall::valid_with_shared(m).run(m); }},
    };
    append_attention_baselines(b);
    return b;
}

inline std::vector<Row> rows() {
    using A = const Arena&;
    constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
    std::vector<Row> r;

    // ---- copy (bytes only: no alignment requirement) ----
    r.push_back(bad<CopyCall>("null dst", "argument 'dst': expected a non-null device pointer",
                              [](CopyCall& c, A) { c.dst = nullptr; }));
    r.push_back(bad<CopyCall>("null src", "argument 'src': expected a non-null device pointer",
                              [](CopyCall& c, A) { c.src = nullptr; }));
    r.push_back(bad<CopyCall>("dst overlaps src", "argument 'dst': expected memory that does not overlap 'src'",
                              [](CopyCall& c, A m) { c.dst = m.at(1, 16); }));
    r.push_back(bad<CopyCall>("dst == src", "argument 'dst': expected memory that does not overlap 'src'",
                              [](CopyCall& c, A m) { c.dst = m.at(1); }));
    r.push_back(noop<CopyCall>("zero bytes, null pointers", [](CopyCall& c, A) {
        c.dst = nullptr;
        c.src = nullptr;
        c.bytes = 0;
    }));

    // ---- convert ----
    r.push_back(bad<ConvertCall>("null dst", "argument 'dst': expected a non-null device pointer",
                                 [](ConvertCall& c, A) { c.dst.data = nullptr; }));
    r.push_back(bad<ConvertCall>("null src", "argument 'src': expected a non-null device pointer",
                                 [](ConvertCall& c, A) { c.src.data = nullptr; }));
    r.push_back(bad<ConvertCall>("src i32", "argument 'src': expected dtype f32 or bf16 or f16, got i32",
                                 [](ConvertCall& c, A) { c.src.dtype = DType::i32; }));
    r.push_back(bad<ConvertCall>("f32 -> i32", "argument 'dst': expected dtype bf16 or f16, got i32",
                                 [](ConvertCall& c, A) { c.dst.dtype = DType::i32; }));
    r.push_back(bad<ConvertCall>("f32 -> f32", "argument 'dst': expected dtype bf16 or f16, got f32",
                                 [](ConvertCall& c, A) { c.dst.dtype = DType::f32; }));
    r.push_back(bad<ConvertCall>("bf16 -> f16 (no such pair)", "argument 'dst': expected dtype f32, got f16",
                                 [](ConvertCall& c, A m) {
                                     c.src = tensor(m.at(1), DType::bf16, {64, 64});
                                     c.dst.dtype = DType::f16;
                                 }));
    r.push_back(bad<ConvertCall>("dtype value 99", "argument 'src': expected a valid dtype, got dtype value 99",
                                 [](ConvertCall& c, A) { c.src.dtype = static_cast<DType>(99); }));
    r.push_back(bad<ConvertCall>("shapes differ", "argument 'dst': expected the shape of 'src', [64, 64], got [64, 32]",
                                 [](ConvertCall& c, A m) { c.dst = tensor(m.at(0), DType::bf16, {64, 32}); }));
    r.push_back(bad<ConvertCall>("negative size", "argument 'src': expected sizes >= 0, got shape [-1, 64]",
                                 [](ConvertCall& c, A m) { c.src = tensor(m.at(1), DType::f32, {-1, 64}); }));
    r.push_back(bad<ConvertCall>("negative stride", "argument 'src': expected strides >= 0",
                                 [](ConvertCall& c, A) { c.src.stride[0] = -64; }));
    r.push_back(bad<ConvertCall>("rank 5", "argument 'dst': expected rank 0 to 4, got rank 5",
                                 [](ConvertCall& c, A) { c.dst.rank = 5; }));
    r.push_back(bad<ConvertCall>("src not contiguous", "argument 'src': expected a contiguous",
                                 [](ConvertCall& c, A) { c.src.stride[0] = 128; }));
    r.push_back(bad<ConvertCall>("dst overlaps src", "argument 'dst': expected memory that does not overlap 'src'",
                                 [](ConvertCall& c, A m) { c.dst.data = m.at(1, 64); }));
    r.push_back(bad<ConvertCall>("element count past int64",
                                 "argument 'src': expected an element count that fits in 64 bits",
                                 [](ConvertCall& c, A m) { c.src = raw2d(m.far_at(1), DType::f32, kTwo32, kTwo32, kTwo32); }));
    r.push_back(bad<ConvertCall>("byte size past int64", "argument 'src': expected a byte size that fits in 64 bits",
                                 [](ConvertCall& c, A m) { c.src = raw2d(m.far_at(1), DType::f32, kTwo61, 2, 2); }));
    r.push_back(noop<ConvertCall>("zero elements, null pointers", [](ConvertCall& c, A) {
        c.dst = tensor(nullptr, DType::bf16, {0, 64});
        c.src = tensor(nullptr, DType::f32, {0, 64});
    }));

    // ---- flush_l2 ----
    r.push_back(bad<FlushL2Call>("null scratch", "argument 'scratch': expected a non-null device pointer",
                                 [](FlushL2Call& c, A) { c.scratch = nullptr; }));
    r.push_back(bad<FlushL2Call>("scratch misaligned by 8", "argument 'scratch': expected a pointer aligned to 16 bytes",
                                 [](FlushL2Call& c, A m) { c.scratch = m.at(0, 8); }));
    // The L2 size is the device's: checked once the context is open.
    r.push_back(bad<FlushL2Call>("16 bytes", "argument 'bytes': expected at least twice the L2 size",
                                 [](FlushL2Call& c, A m) {
                                     c.scratch = m.at(0);
                                     c.bytes = 16;
                                 },
                                 true));
    r.push_back(bad<FlushL2Call>("zero bytes", "argument 'bytes': expected at least twice the L2 size",
                                 [](FlushL2Call& c, A m) {
                                     c.scratch = m.at(0);
                                     c.bytes = 0;
                                 },
                                 true));

    // ---- gemm ----
    r.push_back(bad<GemmCall>("null a", "argument 'a': expected a non-null device pointer",
                              [](GemmCall& c, A) { c.a.data = nullptr; }));
    r.push_back(bad<GemmCall>("null b", "argument 'b': expected a non-null device pointer",
                              [](GemmCall& c, A) { c.b.data = nullptr; }));
    r.push_back(bad<GemmCall>("null d", "argument 'd': expected a non-null device pointer",
                              [](GemmCall& c, A) { c.d.data = nullptr; }));
    r.push_back(bad<GemmCall>("a rank 3", "argument 'a': expected a 2-D tensor, got rank 3",
                              [](GemmCall& c, A m) { c.a = tensor(m.at(0), DType::bf16, {1, 64, 128}); }));
    r.push_back(bad<GemmCall>("a inner stride 2", "argument 'a': expected unit stride along its second dimension",
                              [](GemmCall& c, A) {
                                  c.a.stride[1] = 2;
                                  c.a.stride[0] = 256;
                              }));
    r.push_back(bad<GemmCall>("a leading dimension < K",
                              "argument 'a': expected a leading dimension (stride[0]) of at least 128, got 64",
                              [](GemmCall& c, A) { c.a.stride[0] = 64; }));
    r.push_back(bad<GemmCall>("a f32", "argument 'a': expected dtype bf16 or f16, got f32",
                              [](GemmCall& c, A) { c.a.dtype = DType::f32; }));
    r.push_back(bad<GemmCall>("b f16 with a bf16", "argument 'b': expected dtype bf16, got f16",
                              [](GemmCall& c, A) { c.b.dtype = DType::f16; }));
    r.push_back(bad<GemmCall>("d i32", "argument 'd': expected dtype bf16 or f16 or f32, got i32",
                              [](GemmCall& c, A) { c.d.dtype = DType::i32; }));
    r.push_back(bad<GemmCall>("b's K differs", "argument 'b': expected b.shape[1] = K = 128",
                              [](GemmCall& c, A m) { c.b = tensor(m.at(1), DType::bf16, {96, 64}); }));
    r.push_back(bad<GemmCall>("b [K, N] with K differing", "argument 'b': expected b.shape[0] = K = 128",
                              [](GemmCall& c, A m) {
                                  c.o.b_is_kn = true;
                                  c.b = tensor(m.at(1), DType::bf16, {96, 128});
                              }));
    r.push_back(bad<GemmCall>("d [M, N-1]", "argument 'd': expected [M, N] = [64, 96], got [64, 95]",
                              [](GemmCall& c, A m) { c.d = tensor(m.at(2), DType::bf16, {64, 95}); }));
    r.push_back(bad<GemmCall>("negative M", "argument 'a': expected sizes >= 0",
                              [](GemmCall& c, A m) { c.a = tensor(m.at(0), DType::bf16, {-64, 128}); }));
    r.push_back(bad<GemmCall>("M = 2^31", "argument 'M (a.shape[0])': expected a value in [0, 2147483647], got 2147483648",
                              [](GemmCall& c, A m) {
                                  c.a = tensor(m.far_at(0), DType::bf16, {kTwo31, 128});
                                  c.d = tensor(m.far_at(2), DType::bf16, {kTwo31, 96});
                              }));
    r.push_back(bad<GemmCall>("N = 2^31", "argument 'N': expected a value in [0, 2147483647], got 2147483648",
                              [](GemmCall& c, A m) {
                                  c.b = tensor(m.far_at(1), DType::bf16, {kTwo31, 128});
                                  c.d = tensor(m.far_at(2), DType::bf16, {64, kTwo31});
                              }));
    r.push_back(bad<GemmCall>("K = 2^31", "argument 'K (a.shape[1])': expected a value in [0, 2147483647], got 2147483648",
                              [](GemmCall& c, A m) {
                                  c.a = tensor(m.far_at(0), DType::bf16, {64, kTwo31});
                                  c.b = tensor(m.far_at(1), DType::bf16, {96, kTwo31});
                              }));
    r.push_back(bad<GemmCall>("a element count past int64", "argument 'a': expected an element count that fits in 64 bits",
                              [](GemmCall& c, A m) { c.a = raw2d(m.far_at(0), DType::bf16, kTwo32, kTwo32, kTwo32); }));
    r.push_back(bad<GemmCall>("a byte size past int64", "argument 'a': expected a byte size that fits in 64 bits",
                              [](GemmCall& c, A m) { c.a = raw2d(m.far_at(0), DType::bf16, kTwo61, 2, 2); }));
    r.push_back(bad<GemmCall>("d overlaps a", "argument 'd': expected memory that does not overlap 'a'",
                              [](GemmCall& c, A m) { c.d.data = m.at(0, 256); }));
    r.push_back(bad<GemmCall>("d overlaps b", "argument 'd': expected memory that does not overlap 'b'",
                              [](GemmCall& c, A m) { c.d.data = m.at(1); }));
    r.push_back(bad<GemmCall>("d overlaps bias", "argument 'd': expected memory that does not overlap 'bias'",
                              [](GemmCall& c, A m) { c.o.bias.data = m.at(2, 64); }));
    r.push_back(bad<GemmCall>("beta without C", "argument 'beta': expected 0 when no C is given, got 1",
                              [](GemmCall& c, A) { c.o.beta = 1.0f; }));
    r.push_back(bad<GemmCall>("c f32 with d bf16", "argument 'c': expected dtype bf16, got f32",
                              [](GemmCall& c, A m) {
                                  c.o.beta = 1.0f;
                                  c.o.c = tensor(m.at(4), DType::f32, {64, 96});
                              }));
    r.push_back(bad<GemmCall>("c [M-1, N]", "argument 'c': expected [M, N] = [64, 96], got [63, 96]",
                              [](GemmCall& c, A m) {
                                  c.o.beta = 1.0f;
                                  c.o.c = tensor(m.at(4), DType::bf16, {63, 96});
                              }));
    r.push_back(bad<GemmCall>("c a shifted view of d", "argument 'd': expected memory that does not overlap 'c'",
                              [](GemmCall& c, A m) {
                                  c.o.beta = 1.0f;
                                  c.o.c = tensor(m.at(2, 2), DType::bf16, {64, 96});
                              }));
    r.push_back(bad<GemmCall>("bias [N-1]", "argument 'bias': expected [N] = [96], got [95]",
                              [](GemmCall& c, A m) { c.o.bias = tensor(m.at(3), DType::f32, {95}); }));
    r.push_back(bad<GemmCall>("bias i32", "argument 'bias': expected dtype f32 or bf16, got i32",
                              [](GemmCall& c, A) { c.o.bias.dtype = DType::i32; }));
    r.push_back(bad<GemmCall>("bias strided", "argument 'bias': expected a contiguous",
                              [](GemmCall& c, A) { c.o.bias.stride[0] = 2; }));
    r.push_back(bad<GemmCall>("activation 7", "argument 'activation': expected a value in [0, 3], got 7",
                              [](GemmCall& c, A) { c.o.activation = static_cast<Activation>(7); }));
    r.push_back(bad<GemmCall>("path -1", "argument 'path': expected a value in [0, 3], got -1",
                              [](GemmCall& c, A) { c.o.path = static_cast<GemmPath>(-1); }));
    r.push_back(bad<GemmCall>("workspace misaligned by 4", "argument 'workspace': expected a pointer aligned to 16 bytes",
                              [](GemmCall& c, A m) {
                                  c.o.workspace = m.at(5, 4);
                                  c.o.workspace_bytes = 4096;
                              }));
    r.push_back(noop<GemmCall>("M = 0, null pointers", [](GemmCall& c, A) {
        c.a = tensor(nullptr, DType::bf16, {0, 128});
        c.d = tensor(nullptr, DType::bf16, {0, 96});
    }));
    r.push_back(noop<GemmCall>("N = 0, null pointers", [](GemmCall& c, A) {
        c.b = tensor(nullptr, DType::bf16, {0, 128});
        c.d = tensor(nullptr, DType::bf16, {64, 0});
        c.o.bias = TensorView{};
    }));

    // ---- topk_softmax ----
    r.push_back(bad<TopkSoftmaxCall>("null logits", "argument 'logits': expected a non-null device pointer",
                                     [](TopkSoftmaxCall& c, A) { c.logits.data = nullptr; }));
    r.push_back(bad<TopkSoftmaxCall>("null weights", "argument 'weights': expected a non-null device pointer",
                                     [](TopkSoftmaxCall& c, A) { c.weights.data = nullptr; }));
    r.push_back(bad<TopkSoftmaxCall>("null ids", "argument 'ids': expected a non-null device pointer",
                                     [](TopkSoftmaxCall& c, A) { c.ids.data = nullptr; }));
    r.push_back(bad<TopkSoftmaxCall>("logits i32", "argument 'logits': expected dtype f32 or bf16 or f16, got i32",
                                     [](TopkSoftmaxCall& c, A) { c.logits.dtype = DType::i32; }));
    r.push_back(bad<TopkSoftmaxCall>("weights bf16", "argument 'weights': expected dtype f32, got bf16",
                                     [](TopkSoftmaxCall& c, A) { c.weights.dtype = DType::bf16; }));
    r.push_back(bad<TopkSoftmaxCall>("ids i64", "argument 'ids': expected dtype i32, got i64",
                                     [](TopkSoftmaxCall& c, A) { c.ids.dtype = DType::i64; }));
    r.push_back(bad<TopkSoftmaxCall>("logits rank 1", "argument 'logits': expected rank 2 [tokens, experts], got rank 1",
                                     [](TopkSoftmaxCall& c, A m) { c.logits = tensor(m.at(0), DType::bf16, {2048}); }));
    r.push_back(bad<TopkSoftmaxCall>("logits strided rows", "argument 'logits': expected a contiguous",
                                     [](TopkSoftmaxCall& c, A) { c.logits.stride[0] = 128; }));
    r.push_back(bad<TopkSoftmaxCall>("1 expert", "argument 'logits.shape[1] (experts)': expected a value in [2, 512], got 1",
                                     [](TopkSoftmaxCall& c, A m) { c.logits = tensor(m.at(0), DType::bf16, {32, 1}); }));
    r.push_back(bad<TopkSoftmaxCall>("513 experts",
                                     "argument 'logits.shape[1] (experts)': expected a value in [2, 512], got 513",
                                     [](TopkSoftmaxCall& c, A m) { c.logits = tensor(m.at(0), DType::bf16, {32, 513}); }));
    r.push_back(bad<TopkSoftmaxCall>("k = 0", "argument 'k': expected a value in [1, 16], got 0",
                                     [](TopkSoftmaxCall& c, A) { c.k = 0; }));
    r.push_back(bad<TopkSoftmaxCall>("k = -1", "argument 'k': expected a value in [1, 16], got -1",
                                     [](TopkSoftmaxCall& c, A) { c.k = -1; }));
    r.push_back(bad<TopkSoftmaxCall>("k = 17", "argument 'k': expected a value in [1, 16], got 17",
                                     [](TopkSoftmaxCall& c, A) { c.k = 17; }));
    r.push_back(bad<TopkSoftmaxCall>("k > E", "argument 'k': expected a value in [1, 4], got 8",
                                     [](TopkSoftmaxCall& c, A m) { c.logits = tensor(m.at(0), DType::bf16, {32, 4}); }));
    r.push_back(bad<TopkSoftmaxCall>("weights [T, k/2]",
                                     "argument 'weights': expected the shape of '[tokens, k]', [32, 8], got [32, 4]",
                                     [](TopkSoftmaxCall& c, A m) { c.weights = tensor(m.at(1), DType::f32, {32, 4}); }));
    r.push_back(bad<TopkSoftmaxCall>("ids [T-1, k]",
                                     "argument 'ids': expected the shape of '[tokens, k]', [32, 8], got [31, 8]",
                                     [](TopkSoftmaxCall& c, A m) { c.ids = tensor(m.at(2), DType::i32, {31, 8}); }));
    r.push_back(bad<TopkSoftmaxCall>("negative tokens", "argument 'logits': expected sizes >= 0",
                                     [](TopkSoftmaxCall& c, A m) { c.logits = tensor(m.at(0), DType::bf16, {-32, 64}); }));
    r.push_back(bad<TopkSoftmaxCall>("ids overlap weights", "argument 'weights': expected memory that does not overlap 'ids'",
                                     [](TopkSoftmaxCall& c, A m) { c.ids.data = m.at(1, 512); }));
    r.push_back(bad<TopkSoftmaxCall>("weights overlap logits",
                                     "argument 'weights': expected memory that does not overlap 'logits'",
                                     [](TopkSoftmaxCall& c, A m) { c.weights.data = m.at(0, 1024); }));
    r.push_back(bad<TopkSoftmaxCall>("2^28 tokens (grid limit)",
                                     "argument 'logits.shape[0] (tokens)': expected a value in [0, 268431360], got 268435456",
                                     [](TopkSoftmaxCall& c, A m) {
                                         const std::int64_t t = std::int64_t{1} << 28;
                                         c.logits = tensor(m.far_at(0), DType::bf16, {t, 64});
                                         c.weights = tensor(m.far_at(1), DType::f32, {t, 8});
                                         c.ids = tensor(m.far_at(2), DType::i32, {t, 8});
                                     }));
    r.push_back(bad<TopkSoftmaxCall>("logits byte size past int64",
                                     "argument 'logits': expected a byte size that fits in 64 bits",
                                     [](TopkSoftmaxCall& c, A m) { c.logits = raw2d(m.far_at(0), DType::f32, std::int64_t{1} << 55, 64, 64); }));
    r.push_back(noop<TopkSoftmaxCall>("zero tokens, null pointers", [](TopkSoftmaxCall& c, A) {
        c.logits = tensor(nullptr, DType::bf16, {0, 64});
        c.weights = tensor(nullptr, DType::f32, {0, 8});
        c.ids = tensor(nullptr, DType::i32, {0, 8});
    }));

    // ---- topk_grouped_sigmoid ----
    r.push_back(bad<GroupedCall>("null logits", "argument 'logits': expected a non-null device pointer",
                                 [](GroupedCall& c, A) { c.logits.data = nullptr; }));
    r.push_back(bad<GroupedCall>("null ids", "argument 'ids': expected a non-null device pointer",
                                 [](GroupedCall& c, A) { c.ids.data = nullptr; }));
    r.push_back(bad<GroupedCall>("logits u8", "argument 'logits': expected dtype f32 or bf16 or f16, got u8",
                                 [](GroupedCall& c, A) { c.logits.dtype = DType::u8; }));
    r.push_back(bad<GroupedCall>("k = 0", "argument 'k': expected a value in [1, 16], got 0",
                                 [](GroupedCall& c, A) { c.o.k = 0; }));
    r.push_back(bad<GroupedCall>("k = 17", "argument 'k': expected a value in [1, 16], got 17",
                                 [](GroupedCall& c, A) { c.o.k = 17; }));
    r.push_back(bad<GroupedCall>("num_groups 7", "argument 'num_groups': expected a divisor of the expert count 256, got 7",
                                 [](GroupedCall& c, A) { c.o.num_groups = 7; }));
    r.push_back(bad<GroupedCall>("num_groups 0", "argument 'num_groups': expected a value in [1, 32], got 0",
                                 [](GroupedCall& c, A) { c.o.num_groups = 0; }));
    r.push_back(bad<GroupedCall>("num_groups -8", "argument 'num_groups': expected a value in [1, 32], got -8",
                                 [](GroupedCall& c, A) { c.o.num_groups = -8; }));
    r.push_back(bad<GroupedCall>("num_groups 64", "argument 'num_groups': expected a value in [1, 32], got 64",
                                 [](GroupedCall& c, A) { c.o.num_groups = 64; }));
    r.push_back(bad<GroupedCall>("groups of 1 expert", "argument 'num_groups': expected groups of at least 2 experts",
                                 [](GroupedCall& c, A m) {
                                     c.logits = tensor(m.at(0), DType::bf16, {16, 32});
                                     c.bias = tensor(m.at(3), DType::f32, {32});
                                     c.o.num_groups = 32;
                                 }));
    r.push_back(bad<GroupedCall>("topk_group 0", "argument 'topk_group': expected a value in [1, 8], got 0",
                                 [](GroupedCall& c, A) { c.o.topk_group = 0; }));
    r.push_back(bad<GroupedCall>("topk_group 9", "argument 'topk_group': expected a value in [1, 8], got 9",
                                 [](GroupedCall& c, A) { c.o.topk_group = 9; }));
    r.push_back(bad<GroupedCall>("k above topk_group * group size",
                                 "argument 'k': expected at most topk_group * experts per group = 6, got 8",
                                 [](GroupedCall& c, A m) {
                                     c.logits = tensor(m.at(0), DType::bf16, {16, 16});
                                     c.bias = tensor(m.at(3), DType::f32, {16});
                                     c.o.topk_group = 3;
                                 }));
    r.push_back(bad<GroupedCall>("bias bf16", "argument 'bias': expected dtype f32, got bf16",
                                 [](GroupedCall& c, A) { c.bias.dtype = DType::bf16; }));
    r.push_back(bad<GroupedCall>("bias [E/2]", "argument 'bias': expected the shape of '[experts]', [256], got [128]",
                                 [](GroupedCall& c, A m) { c.bias = tensor(m.at(3), DType::f32, {128}); }));
    r.push_back(bad<GroupedCall>("bias strided", "argument 'bias': expected a contiguous",
                                 [](GroupedCall& c, A) { c.bias.stride[0] = 2; }));
    r.push_back(bad<GroupedCall>("bias negative size", "argument 'bias': expected sizes >= 0",
                                 [](GroupedCall& c, A m) { c.bias = tensor(m.at(3), DType::f32, {-256}); }));
    r.push_back(bad<GroupedCall>("weights overlap ids", "argument 'weights': expected memory that does not overlap 'ids'",
                                 [](GroupedCall& c, A m) { c.weights.data = m.at(2); }));
    r.push_back(bad<GroupedCall>("2^28 tokens (grid limit)",
                                 "argument 'logits.shape[0] (tokens)': expected a value in [0, 268431360], got 268435456",
                                 [](GroupedCall& c, A m) {
                                     const std::int64_t t = std::int64_t{1} << 28;
                                     c.logits = tensor(m.far_at(0), DType::bf16, {t, 256});
                                     c.weights = tensor(m.far_at(1), DType::f32, {t, 8});
                                     c.ids = tensor(m.far_at(2), DType::i32, {t, 8});
                                 }));
    r.push_back(noop<GroupedCall>("zero tokens, null pointers", [](GroupedCall& c, A) {
        c.logits = tensor(nullptr, DType::bf16, {0, 256});
        c.weights = tensor(nullptr, DType::f32, {0, 8});
        c.ids = tensor(nullptr, DType::i32, {0, 8});
    }));

    // ---- align ----
    r.push_back(bad<AlignCall>("null ids", "argument 'ids': expected a non-null device pointer",
                               [](AlignCall& c, A) { c.ids.data = nullptr; }));
    r.push_back(bad<AlignCall>("ids i64", "argument 'ids': expected dtype i32, got i64",
                               [](AlignCall& c, A) { c.ids.dtype = DType::i64; }));
    r.push_back(bad<AlignCall>("ids rank 1", "argument 'ids': expected rank 2 [tokens, k], got rank 1",
                               [](AlignCall& c, A m) { c.ids = tensor(m.at(0), DType::i32, {256}); }));
    r.push_back(bad<AlignCall>("ids misaligned by 2", "argument 'ids': expected a pointer aligned to 4 bytes",
                               [](AlignCall& c, A m) { c.ids.data = m.at(0, 2); }));
    r.push_back(bad<AlignCall>("ids strided", "argument 'ids': expected a contiguous",
                               [](AlignCall& c, A) { c.ids.stride[0] = 16; }));
    r.push_back(bad<AlignCall>("k = 0", "argument 'ids.shape[1] (k)': expected a value in [1, 16], got 0",
                               [](AlignCall& c, A m) { c.ids = tensor(m.at(0), DType::i32, {32, 0}); }));
    r.push_back(bad<AlignCall>("k = 17", "argument 'ids.shape[1] (k)': expected a value in [1, 16], got 17",
                               [](AlignCall& c, A m) { c.ids = tensor(m.at(0), DType::i32, {32, 17}); }));
    r.push_back(bad<AlignCall>("negative tokens", "argument 'ids': expected sizes >= 0",
                               [](AlignCall& c, A m) { c.ids = tensor(m.at(0), DType::i32, {-1, 8}); }));
    r.push_back(bad<AlignCall>("tokens * k > 2^24",
                               "argument 'tokens': expected a count in [0, 2097152] (tokens * k <= 2^24), got 2097153",
                               [](AlignCall& c, A m) { c.ids = tensor(m.far_at(0), DType::i32, {2097153, 8}); }));
    r.push_back(bad<AlignCall>("0 experts", "argument 'num_experts': expected a value in [1, 512], got 0",
                               [](AlignCall& c, A) { c.num_experts = 0; }));
    r.push_back(bad<AlignCall>("-1 experts", "argument 'num_experts': expected a value in [1, 512], got -1",
                               [](AlignCall& c, A) { c.num_experts = -1; }));
    r.push_back(bad<AlignCall>("513 experts", "argument 'num_experts': expected a value in [1, 512], got 513",
                               [](AlignCall& c, A) { c.num_experts = 513; }));
    for (int block_m : {0, -16, 8, 24, 512}) {
        static const char* const expected = "argument 'block_m': expected a power of two in [16, 256]";
        r.push_back(bad<AlignCall>("block_m " + std::to_string(block_m), expected,
                                   [block_m](AlignCall& c, A) { c.block_m = block_m; }));
    }
    r.push_back(bad<AlignCall>("null counts", "argument 'outputs.counts': expected a non-null device pointer",
                               [](AlignCall& c, A) { c.out.counts.data = nullptr; }));
    r.push_back(bad<AlignCall>("counts f32", "argument 'outputs.counts': expected dtype i32, got f32",
                               [](AlignCall& c, A) { c.out.counts.dtype = DType::f32; }));
    r.push_back(bad<AlignCall>("counts [E-1]",
                               "argument 'outputs.counts': expected the shape of '[num_experts]', [64], got [63]",
                               [](AlignCall& c, A m) { c.out.counts = tensor(m.at(1), DType::i32, {63}); }));
    r.push_back(bad<AlignCall>("counts misaligned by 2", "argument 'outputs.counts': expected a pointer aligned to 4 bytes",
                               [](AlignCall& c, A m) { c.out.counts.data = m.at(1, 2); }));
    r.push_back(bad<AlignCall>("padded_offsets [E]",
                               "argument 'outputs.padded_offsets': expected the shape of '[num_experts + 1]', [65], got [64]",
                               [](AlignCall& c, A m) { c.out.padded_offsets = tensor(m.at(2), DType::i32, {64}); }));
    r.push_back(bad<AlignCall>("sorted_pairs [capacity-1]", "argument 'outputs.sorted_pairs': expected the shape of",
                               [](AlignCall& c, A m) { c.out.sorted_pairs = tensor(m.at(3), DType::i32, {1215}); }));
    r.push_back(bad<AlignCall>("block_expert [capacity/block_m - 1]",
                               "argument 'outputs.block_expert': expected the shape of '[capacity / block_m]', [76], got [75]",
                               [](AlignCall& c, A m) { c.out.block_expert = tensor(m.at(4), DType::i32, {75}); }));
    r.push_back(bad<AlignCall>("inverse [T, k-1]", "argument 'outputs.inverse': expected the shape of 'ids, [tokens, k]'",
                               [](AlignCall& c, A m) { c.out.inverse = tensor(m.at(5), DType::i32, {32, 7}); }));
    r.push_back(bad<AlignCall>("total_padded [2]",
                               "argument 'outputs.total_padded': expected the shape of '[1]', [1], got [2]",
                               [](AlignCall& c, A m) { c.out.total_padded = tensor(m.at(6), DType::i32, {2}); }));
    r.push_back(bad<AlignCall>("null total_padded", "argument 'outputs.total_padded': expected a non-null device pointer",
                               [](AlignCall& c, A) { c.out.total_padded.data = nullptr; }));
    r.push_back(bad<AlignCall>("counts overlap ids", "argument 'outputs.counts': expected memory that does not overlap 'ids'",
                               [](AlignCall& c, A m) { c.out.counts.data = m.at(0, 64); }));
    r.push_back(bad<AlignCall>("inverse overlaps counts",
                               "argument 'outputs.inverse': expected memory that does not overlap 'outputs.counts'",
                               [](AlignCall& c, A m) { c.out.inverse.data = m.at(1); }));
    r.push_back(make_row<AlignCall>(
        "workspace needed, null", "argument 'workspace': expected a non-null device pointer",
        [](A m) { return AlignCall::valid_with_workspace(m); }, [](AlignCall& c, A) { c.workspace = nullptr; }));
    r.push_back(make_row<AlignCall>(
        "workspace_bytes too small", "argument 'workspace_bytes': expected at least",
        [](A m) { return AlignCall::valid_with_workspace(m); }, [](AlignCall& c, A) { c.workspace_bytes -= 4; }));
    r.push_back(make_row<AlignCall>(
        "workspace misaligned by 2", "argument 'workspace': expected a pointer aligned to 4 bytes",
        [](A m) { return AlignCall::valid_with_workspace(m); }, [](AlignCall& c, A m) { c.workspace = m.at(7, 2); }));
    r.push_back(make_row<AlignCall>(
        "workspace overlaps inverse", "argument 'workspace': expected memory that does not overlap 'outputs.inverse'",
        [](A m) { return AlignCall::valid_with_workspace(m); }, [](AlignCall& c, A m) { c.workspace = m.at(5); }));

    // ---- permute ----
    r.push_back(bad<PermuteCall>("null hidden", "argument 'hidden': expected a non-null device pointer",
                                 [](PermuteCall& c, A) { c.hidden.data = nullptr; }));
    r.push_back(bad<PermuteCall>("null permuted", "argument 'permuted': expected a non-null device pointer",
                                 [](PermuteCall& c, A) { c.permuted.data = nullptr; }));
    r.push_back(bad<PermuteCall>("hidden rank 3", "argument 'hidden': expected a 2-D tensor [rows, hidden], got rank 3",
                                 [](PermuteCall& c, A m) { c.hidden = tensor(m.at(0), DType::bf16, {32, 1, 128}); }));
    r.push_back(bad<PermuteCall>("hidden inner stride 2", "argument 'hidden': expected unit stride along its second dimension",
                                 [](PermuteCall& c, A) {
                                     c.hidden.stride[1] = 2;
                                     c.hidden.stride[0] = 256;
                                 }));
    r.push_back(bad<PermuteCall>("permuted row stride < H",
                                 "argument 'permuted': expected a row stride (stride[0]) of at least 128, got 64",
                                 [](PermuteCall& c, A) { c.permuted.stride[0] = 64; }));
    r.push_back(bad<PermuteCall>("hidden i32", "argument 'hidden': expected dtype f32 or bf16 or f16, got i32",
                                 [](PermuteCall& c, A) { c.hidden.dtype = DType::i32; }));
    r.push_back(bad<PermuteCall>("permuted f16, hidden bf16", "argument 'permuted': expected dtype bf16, got f16",
                                 [](PermuteCall& c, A) { c.permuted.dtype = DType::f16; }));
    r.push_back(bad<PermuteCall>("k = 0", "argument 'k': expected a value in [1, 16], got 0",
                                 [](PermuteCall& c, A) { c.k = 0; }));
    r.push_back(bad<PermuteCall>("k = 17", "argument 'k': expected a value in [1, 16], got 17",
                                 [](PermuteCall& c, A) { c.k = 17; }));
    r.push_back(bad<PermuteCall>("permuted H/2 columns", "argument 'permuted': expected 128 columns, as 'hidden'",
                                 [](PermuteCall& c, A m) { c.permuted = tensor(m.at(3), DType::bf16, {1216, 64}); }));
    r.push_back(bad<PermuteCall>("tokens * k >= 2^31",
                                 "argument 'hidden.shape[0] (tokens, tokens * k < 2^31)': expected a value in [0, 268435455], got 268435456",
                                 [](PermuteCall& c, A m) { c.hidden = tensor(m.far_at(0), DType::bf16, {std::int64_t{1} << 28, 128}); }));
    r.push_back(bad<PermuteCall>("capacity = 2^31",
                                 "argument 'permuted.shape[0] (capacity)': expected a value in [0, 2147483647], got 2147483648",
                                 [](PermuteCall& c, A m) { c.permuted = tensor(m.far_at(3), DType::bf16, {kTwo31, 128}); }));
    r.push_back(bad<PermuteCall>("hidden byte size past int64", "argument 'hidden': expected a byte size that fits in 64 bits",
                                 [](PermuteCall& c, A m) { c.hidden = raw2d(m.far_at(0), DType::f32, std::int64_t{1} << 54, 128, 128); }));
    r.push_back(bad<PermuteCall>("sorted_pairs [capacity-1]", "argument 'sorted_pairs': expected the shape of '[capacity]",
                                 [](PermuteCall& c, A m) { c.sorted_pairs = tensor(m.at(1), DType::i32, {1215}); }));
    r.push_back(bad<PermuteCall>("sorted_pairs i64", "argument 'sorted_pairs': expected dtype i32, got i64",
                                 [](PermuteCall& c, A) { c.sorted_pairs.dtype = DType::i64; }));
    r.push_back(bad<PermuteCall>("sorted_pairs misaligned by 2", "argument 'sorted_pairs': expected a pointer aligned to 4 bytes",
                                 [](PermuteCall& c, A m) { c.sorted_pairs.data = m.at(1, 2); }));
    r.push_back(bad<PermuteCall>("null total_padded", "argument 'total_padded': expected a non-null device pointer",
                                 [](PermuteCall& c, A) { c.total_padded.data = nullptr; }));
    r.push_back(bad<PermuteCall>("total_padded [2]", "argument 'total_padded': expected the shape of '[1]', [1], got [2]",
                                 [](PermuteCall& c, A m) { c.total_padded = tensor(m.at(2), DType::i32, {2}); }));
    r.push_back(bad<PermuteCall>("permuted overlaps hidden", "argument 'permuted': expected memory that does not overlap 'hidden'",
                                 [](PermuteCall& c, A m) { c.permuted.data = m.at(0, 4096); }));
    r.push_back(bad<PermuteCall>("permuted overlaps sorted_pairs",
                                 "argument 'permuted': expected memory that does not overlap 'sorted_pairs'",
                                 [](PermuteCall& c, A m) { c.sorted_pairs.data = m.at(3, 1024); }));
    r.push_back(noop<PermuteCall>("capacity 0", [](PermuteCall& c, A m) {
        c.permuted = tensor(nullptr, DType::bf16, {0, 128});
        c.sorted_pairs = tensor(nullptr, DType::i32, {0});
        c.total_padded = tensor(m.at(2), DType::i32, {1});
    }));

    // ---- combine ----
    r.push_back(bad<CombineCall>("null out", "argument 'out': expected a non-null device pointer",
                                 [](CombineCall& c, A) { c.out.data = nullptr; }));
    r.push_back(bad<CombineCall>("null y", "argument 'y': expected a non-null device pointer",
                                 [](CombineCall& c, A) { c.y.data = nullptr; }));
    r.push_back(bad<CombineCall>("null weights", "argument 'weights': expected a non-null device pointer",
                                 [](CombineCall& c, A) { c.weights.data = nullptr; }));
    r.push_back(bad<CombineCall>("null inverse", "argument 'inverse': expected a non-null device pointer",
                                 [](CombineCall& c, A) { c.inverse.data = nullptr; }));
    r.push_back(bad<CombineCall>("out i32", "argument 'out': expected dtype f32 or bf16 or f16, got i32",
                                 [](CombineCall& c, A) { c.out.dtype = DType::i32; }));
    r.push_back(bad<CombineCall>("y f16, out bf16", "argument 'y': expected dtype bf16 or f32, got f16",
                                 [](CombineCall& c, A) { c.y.dtype = DType::f16; }));
    r.push_back(bad<CombineCall>("y H/2 columns", "argument 'y': expected 128 columns, as 'out'",
                                 [](CombineCall& c, A m) { c.y = tensor(m.at(0), DType::bf16, {1216, 64}); }));
    r.push_back(bad<CombineCall>("weights bf16", "argument 'weights': expected dtype f32, got bf16",
                                 [](CombineCall& c, A) { c.weights.dtype = DType::bf16; }));
    r.push_back(bad<CombineCall>("weights rank 1", "argument 'weights': expected rank 2 [tokens, k], got rank 1",
                                 [](CombineCall& c, A m) { c.weights = tensor(m.at(1), DType::f32, {256}); }));
    r.push_back(bad<CombineCall>("weights misaligned by 2", "argument 'weights': expected a pointer aligned to 4 bytes",
                                 [](CombineCall& c, A m) { c.weights.data = m.at(1, 2); }));
    r.push_back(bad<CombineCall>("weights [T-1, k]", "argument 'weights': expected 32 rows, as 'out', got [31, 8]",
                                 [](CombineCall& c, A m) { c.weights = tensor(m.at(1), DType::f32, {31, 8}); }));
    r.push_back(bad<CombineCall>("k = 0", "argument 'weights.shape[1] (k)': expected a value in [1, 16], got 0",
                                 [](CombineCall& c, A m) {
                                     c.weights = tensor(m.at(1), DType::f32, {32, 0});
                                     c.inverse = tensor(m.at(2), DType::i32, {32, 0});
                                 }));
    r.push_back(bad<CombineCall>("k = 17", "argument 'weights.shape[1] (k)': expected a value in [1, 16], got 17",
                                 [](CombineCall& c, A m) {
                                     c.weights = tensor(m.at(1), DType::f32, {32, 17});
                                     c.inverse = tensor(m.at(2), DType::i32, {32, 17});
                                 }));
    r.push_back(bad<CombineCall>("inverse [T, k-1]",
                                 "argument 'inverse': expected the shape of 'weights, [tokens, k]', [32, 8], got [32, 7]",
                                 [](CombineCall& c, A m) { c.inverse = tensor(m.at(2), DType::i32, {32, 7}); }));
    r.push_back(bad<CombineCall>("inverse i64", "argument 'inverse': expected dtype i32, got i64",
                                 [](CombineCall& c, A) { c.inverse.dtype = DType::i64; }));
    r.push_back(make_row<CombineCall>(
        "shared f32, out bf16", "argument 'shared': expected dtype bf16, got f32",
        [](A m) { return CombineCall::valid_with_shared(m); }, [](CombineCall& c, A) { c.shared.dtype = DType::f32; }));
    r.push_back(make_row<CombineCall>(
        "shared [T, H/2]", "argument 'shared': expected the shape of 'out', [32, 128], got [32, 64]",
        [](A m) { return CombineCall::valid_with_shared(m); },
        [](CombineCall& c, A m) { c.shared = tensor(m.at(3), DType::bf16, {32, 64}); }));
    r.push_back(make_row<CombineCall>(
        "out overlaps shared", "argument 'out': expected memory that does not overlap 'shared'",
        [](A m) { return CombineCall::valid_with_shared(m); }, [](CombineCall& c, A m) { c.shared.data = m.at(4, 256); }));
    r.push_back(bad<CombineCall>("out overlaps y", "argument 'out': expected memory that does not overlap 'y'",
                                 [](CombineCall& c, A m) { c.out.data = m.at(0, 4096); }));
    r.push_back(bad<CombineCall>("out overlaps weights", "argument 'out': expected memory that does not overlap 'weights'",
                                 [](CombineCall& c, A m) { c.weights.data = m.at(4, 512); }));
    r.push_back(bad<CombineCall>("2^31 tokens", "argument 'out.shape[0] (tokens)': expected a value in [0, 2147483647], got 2147483648",
                                 [](CombineCall& c, A m) {
                                     c.out = tensor(m.far_at(4), DType::bf16, {kTwo31, 128});
                                     c.weights = tensor(m.far_at(1), DType::f32, {kTwo31, 8});
                                     c.inverse = tensor(m.far_at(2), DType::i32, {kTwo31, 8});
                                 }));
    r.push_back(bad<CombineCall>("hidden 2^31", "argument 'out.shape[1] (hidden)': expected a value in [0, 2147483647], got 2147483648",
                                 [](CombineCall& c, A m) {
                                     c.out = tensor(m.far_at(4), DType::bf16, {32, kTwo31});
                                     c.y = tensor(m.far_at(0), DType::bf16, {1216, kTwo31});
                                 }));
    r.push_back(bad<CombineCall>("capacity 2^31", "argument 'y.shape[0] (capacity)': expected a value in [0, 2147483647], got 2147483648",
                                 [](CombineCall& c, A m) { c.y = tensor(m.far_at(0), DType::bf16, {kTwo31, 128}); }));
    r.push_back(bad<CombineCall>("out element count past int64", "argument 'out': expected an element count that fits in 64 bits",
                                 [](CombineCall& c, A m) { c.out = raw2d(m.far_at(4), DType::bf16, kMax64, 2, 2); }));
    r.push_back(noop<CombineCall>("zero tokens", [](CombineCall& c, A) {
        c.out = tensor(nullptr, DType::bf16, {0, 128});
        c.weights = tensor(nullptr, DType::f32, {0, 8});
        c.inverse = tensor(nullptr, DType::i32, {0, 8});
    }));
    append_attention_rows(r);
    return r;
}

// Inputs the library accepts today but should reject: each would launch a
// kernel that faults (a misaligned access or an out-of-bounds range), which
// on a GPU is a sticky error that kills the context. They are never run on a
// GPU; the CPU test runs them (disabled by default) only without a driver,
// where an accepted row stops at "no driver" instead of launching. When the
// library gains the check, move the row to rows() with its message.
inline std::vector<Row> known_gaps() {
    using A = const Arena&;
    std::vector<Row> r;
    r.push_back(bad<CopyCall>("bytes = SIZE_MAX: the ranges wrap past the end of the address space", "argument 'bytes'",
                              [](CopyCall& c, A) { c.bytes = std::numeric_limits<std::size_t>::max(); }));
    r.push_back(bad<ConvertCall>("f32 src misaligned by 2 (4-byte loads)", "argument 'src': expected a pointer aligned to 4 bytes",
                                 [](ConvertCall& c, A m) { c.src.data = m.at(1, 2); }));
    r.push_back(bad<GemmCall>("bf16 a at an odd address (2-byte loads on the general path)",
                              "argument 'a': expected a pointer aligned to 2 bytes",
                              [](GemmCall& c, A m) { c.a.data = m.at(0, 1); }));
    r.push_back(bad<GemmCall>("a row stride 2^62: (M-1) * lda overflows int64 in the overlap check", "argument 'a'",
                              [](GemmCall& c, A) { c.a.stride[0] = std::int64_t{1} << 62; }));
    r.push_back(bad<TopkSoftmaxCall>("f32 weights misaligned by 2", "argument 'weights': expected a pointer aligned to 4 bytes",
                                     [](TopkSoftmaxCall& c, A m) { c.weights.data = m.at(1, 2); }));
    r.push_back(bad<PermuteCall>("bf16 hidden at an odd address (2-byte units)",
                                 "argument 'hidden': expected a pointer aligned to 2 bytes",
                                 [](PermuteCall& c, A m) { c.hidden.data = m.at(0, 1); }));
    r.push_back(bad<CombineCall>("bf16 out at an odd address", "argument 'out': expected a pointer aligned to 2 bytes",
                                 [](CombineCall& c, A m) { c.out.data = m.at(4, 1); }));
    return r;
}

}  // namespace ptxkit::testing::bad_input
