// The align / permute / combine references on cases worked out by hand from
// their definitions, the sizes the host reports, and the ops' argument checks
// (C++ and C API), which run before any driver call.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ptxkit/ptxkit.h"
#include "ptxkit/ptxkit.hpp"
#include "support/expect_error.hpp"
#include "support/moe_reference.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::align_reference;
using I32 = std::vector<std::int32_t>;

TEST(MoeAlignReference, ByHand) {
    // T = 3, k = 2, E = 4, block_m = 16. Pairs 0..5 go to experts 2 0 0 1 2 2;
    // expert 3 gets nothing.
    const I32 ids = {2, 0, 0, 1, 2, 2};
    const auto r = align_reference(ids, 3, 2, 4, 16);
    EXPECT_EQ(r.counts, (I32{2, 1, 3, 0}));
    EXPECT_EQ(r.padded_offsets, (I32{0, 16, 32, 48, 48}));
    EXPECT_EQ(r.total_padded, 48);
    ASSERT_EQ(r.sorted_pairs.size(), 6u + 4u * 15u);  // capacity = T*k + E*(block_m - 1)
    I32 sorted(66, -1);
    sorted[0] = 1, sorted[1] = 2;                    // expert 0, ascending pair order
    sorted[16] = 3;                                  // expert 1
    sorted[32] = 0, sorted[33] = 4, sorted[34] = 5;  // expert 2
    EXPECT_EQ(r.sorted_pairs, sorted);
    EXPECT_EQ(r.block_expert, (I32{0, 1, 2, -1}));  // 66 / 16 = 4 blocks, the last past the end
    EXPECT_EQ(r.inverse, (I32{32, 0, 1, 16, 33, 34}));
}

TEST(MoeAlignReference, SegmentsAreMultiplesOfBlockM) {
    // 17 pairs to expert 1 need two blocks of 16; expert 0 is empty.
    const I32 ids(17, 1);
    const auto r = align_reference(ids, 17, 1, 2, 16);
    EXPECT_EQ(r.counts, (I32{0, 17}));
    EXPECT_EQ(r.padded_offsets, (I32{0, 0, 32}));
    ASSERT_EQ(r.block_expert.size(), (17u + 2u * 15u) / 16u);
    EXPECT_EQ(r.block_expert, (I32{1, 1}));
    for (int i = 0; i < 17; ++i) EXPECT_EQ(r.sorted_pairs[i], i);
    for (int i = 17; i < 47; ++i) EXPECT_EQ(r.sorted_pairs[i], -1);
}

TEST(MoeAlignReference, OutOfRangeIdsAreDropped) {
    const I32 ids = {-1, 1, 4, 1, std::numeric_limits<std::int32_t>::min(), 0, 1000, 3};
    const auto r = align_reference(ids, 4, 2, 4, 16);
    EXPECT_EQ(r.counts, (I32{1, 2, 0, 1}));
    EXPECT_EQ(r.padded_offsets, (I32{0, 16, 32, 32, 48}));
    EXPECT_EQ(r.inverse, (I32{-1, 16, -1, 17, -1, 0, -1, 32}));
    EXPECT_EQ(r.sorted_pairs[0], 5);
    EXPECT_EQ(r.sorted_pairs[16], 1);
    EXPECT_EQ(r.sorted_pairs[17], 3);
    EXPECT_EQ(r.sorted_pairs[32], 7);
    EXPECT_EQ(r.block_expert, (I32{0, 1, 3, -1}));  // capacity 8 + 60 = 68 -> 4 blocks
}

TEST(MoeAlignReference, NoTokens) {
    const auto r = align_reference({}, 0, 8, 4, 64);
    EXPECT_EQ(r.counts, (I32{0, 0, 0, 0}));
    EXPECT_EQ(r.padded_offsets, (I32{0, 0, 0, 0, 0}));
    EXPECT_EQ(r.total_padded, 0);
    EXPECT_EQ(r.sorted_pairs, I32(4 * 63, -1));
    EXPECT_EQ(r.block_expert, I32(4 * 63 / 64, -1));
}

TEST(MoePermuteReference, ByHand) {
    // 2 tokens of 2 bytes, k = 2; rows: pair 3 (token 1), padding, pair 0 (token 0).
    const std::vector<std::uint8_t> hidden = {1, 2, 3, 4};
    const auto out = ptxkit::testing::permute_reference(hidden, 2, 2, {3, -1, 0, 2}, 3, 2);
    EXPECT_EQ(out, (std::vector<std::uint8_t>{3, 4, 0, 0, 1, 2}));  // row 3 is past total_padded
}

TEST(MoeCombineReference, ByHand) {
    // 2 tokens, k = 2, hidden 2; y has 3 rows. Token 1's second slot is dropped.
    const std::vector<float> y = {1.0f, 2.0f, 10.0f, 20.0f, 100.0f, 200.0f};
    const std::vector<float> w = {0.5f, 0.25f, 2.0f, 1000.0f};
    const I32 inverse = {2, 0, 1, -1};
    const std::vector<float> shared = {1.0f, -1.0f, 0.5f, 0.5f};
    const auto out = ptxkit::testing::combine_reference(y, 3, 2, w, inverse, 2, 2, nullptr);
    EXPECT_EQ(out, (std::vector<float>{50.25f, 100.5f, 20.0f, 40.0f}));
    const auto with_shared = ptxkit::testing::combine_reference(y, 3, 2, w, inverse, 2, 2, &shared);
    EXPECT_EQ(with_shared, (std::vector<float>{51.25f, 99.5f, 20.5f, 40.5f}));
    // The sum is a chain of fmas in slot order: slot 0 gives -1, then
    // fma(1 + 2^-12, 1 + 2^-12, -1) = 2^-11 + 2^-24 exactly, where a rounded
    // product (1 + 2^-11) would have lost the 2^-24.
    const std::vector<float> y2 = {-1.0f, 0.0f, 1.0f + 0x1p-12f, 0.0f};
    const std::vector<float> w2 = {1.0f, 1.0f + 0x1p-12f};
    const auto chain = ptxkit::testing::combine_reference(y2, 2, 2, w2, {0, 1}, 1, 2, nullptr);
    EXPECT_EQ(chain[0], 0x1p-11f + 0x1p-24f);
    EXPECT_EQ(chain[1], 0.0f);
}

// ---- Sizes ----

TEST(MoeAlignSizes, CapacityAndWorkspace) {
    EXPECT_EQ(ptxkit::moe::align_capacity(3, 2, 4, 16), 66);
    EXPECT_EQ(ptxkit::moe::align_capacity(131072, 16, 512, 256), 131072 * 16 + 512 * 255);
    EXPECT_EQ(ptxkit::moe::align_capacity(0, 8, 256, 64), 256 * 63);
    // One launch and no workspace up to 4096 pairs; then one [chunks, E] i32 table.
    EXPECT_EQ(ptxkit::moe::align_workspace_size(512, 8, 256), 0u);
    EXPECT_EQ(ptxkit::moe::align_workspace_size(4097, 1, 256), 2u * 256u * 4u);
    EXPECT_EQ(ptxkit::moe::align_workspace_size(65537, 2, 64), 33u * 64u * 4u);       // 131074 pairs, chunks of 4096
    EXPECT_EQ(ptxkit::moe::align_workspace_size(131072, 16, 512), 128u * 512u * 4u);  // at most 128 chunks
}

// ---- Argument checks: nothing is launched, the message names the argument ----

void* fake(std::uintptr_t a) { return reinterpret_cast<void*>(a); }

template <class F>
std::string invalid(F&& f) {
    return ptxkit::testing::expect_invalid_argument(std::forward<F>(f));
}

bool has(const std::string& message, const char* part) { return message.find(part) != std::string::npos; }

struct AlignArgs {
    // T = 5000, k = 2, E = 64, block_m = 64: capacity 10000 + 64 * 63 = 14032, 219 blocks.
    int experts = 64;
    int block_m = 64;
    TensorView ids = TensorView::contiguous(fake(0x100000), DType::i32, {5000, 2});
    ptxkit::moe::AlignOutputs out{
        TensorView::contiguous(fake(0x200000), DType::i32, {64}),
        TensorView::contiguous(fake(0x300000), DType::i32, {65}),
        TensorView::contiguous(fake(0x400000), DType::i32, {14032}),
        TensorView::contiguous(fake(0x500000), DType::i32, {219}),
        TensorView::contiguous(fake(0x600000), DType::i32, {5000, 2}),
        TensorView::contiguous(fake(0x700000), DType::i32, {1}),
    };
    void* workspace = fake(0x800000);
    std::size_t workspace_bytes = 3 * 64 * 4;  // 10000 pairs: 3 chunks of 4096

    void run() const { ptxkit::moe::align(ids, experts, block_m, out, workspace, workspace_bytes, nullptr); }
};

TEST(MoeAlignArguments, ShapesDtypesAndSizes) {
    EXPECT_EQ(ptxkit::moe::align_workspace_size(5000, 2, 64), AlignArgs{}.workspace_bytes);
    {
        AlignArgs a;
        a.block_m = 48;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'block_m': expected a power of two in [16, 256], got 48"));
        a.block_m = 8;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "got 8"));
        a.block_m = 512;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "got 512"));
    }
    {
        AlignArgs a;
        a.experts = 513;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'num_experts': expected a value in [1, 512], got 513"));
        a.experts = 0;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'num_experts'"));
    }
    {
        AlignArgs a;
        a.ids.dtype = DType::i64;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'ids': expected dtype i32, got i64"));
        a.ids = TensorView::contiguous(fake(0x100000), DType::i32, {10000});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'ids': expected rank 2 [tokens, k], got rank 1"));
        a.ids = TensorView::contiguous(fake(0x100000), DType::i32, {500, 17});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'ids.shape[1] (k)': expected a value in [1, 16], got 17"));
        a.ids = TensorView::contiguous(fake(0x100002), DType::i32, {5000, 2});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'ids': expected a pointer aligned to 4 bytes"));
    }
    {
        AlignArgs a;  // k from ids must match the inverse's shape
        a.ids = TensorView::contiguous(fake(0x100000), DType::i32, {2500, 4});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'outputs.inverse'"));
    }
    {
        AlignArgs a;
        a.out.counts = TensorView::contiguous(fake(0x200000), DType::i32, {63});
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'outputs.counts': expected the shape of '[num_experts]', [64], got [63]"));
    }
    {
        AlignArgs a;
        a.out.padded_offsets = TensorView::contiguous(fake(0x300000), DType::i32, {64});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'outputs.padded_offsets'"));
    }
    {
        AlignArgs a;
        a.out.sorted_pairs = TensorView::contiguous(fake(0x400000), DType::i32, {10000});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'outputs.sorted_pairs'"));
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "[14032], got [10000]"));
    }
    {
        AlignArgs a;
        a.out.block_expert = TensorView::contiguous(fake(0x500000), DType::i32, {220});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'outputs.block_expert'"));
    }
    {
        AlignArgs a;
        a.out.total_padded.dtype = DType::f32;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'outputs.total_padded': expected dtype i32, got f32"));
    }
    {
        AlignArgs a;
        a.out.sorted_pairs.stride[0] = 2;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'outputs.sorted_pairs': expected a contiguous"));
    }
    {
        AlignArgs a;
        a.workspace_bytes -= 4;
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'workspace_bytes': expected at least 768 (align_workspace_size), got 764"));
        a.workspace_bytes += 4;
        a.workspace = nullptr;
        EXPECT_TRUE(
            has(invalid([&] { a.run(); }), "argument 'workspace': expected a non-null device pointer, got null"));
    }
    {
        AlignArgs a;  // tokens * k beyond 2^24
        a.ids = TensorView::contiguous(fake(0x100000), DType::i32, {(std::int64_t{1} << 23) + 1, 2});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'tokens'"));
        EXPECT_TRUE(has(invalid([] { (void)ptxkit::moe::align_capacity(-1, 2, 8, 16); }), "argument 'tokens'"));
        EXPECT_TRUE(has(invalid([] { (void)ptxkit::moe::align_capacity(1, 0, 8, 16); }), "argument 'k'"));
        EXPECT_TRUE(has(invalid([] { (void)ptxkit::moe::align_capacity(1, 2, 8, 24); }), "argument 'block_m'"));
        EXPECT_TRUE(
            has(invalid([] { (void)ptxkit::moe::align_workspace_size(1, 2, 1024); }), "argument 'num_experts'"));
    }
}

TEST(MoeAlignArguments, Overlaps) {
    {
        AlignArgs a;  // the inverse runs into the sorted pairs
        a.out.inverse.data = fake(0x400000 + 14032 * 4 - 4);
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'outputs.inverse': expected memory that does not overlap 'outputs.sorted_pairs'"));
    }
    {
        AlignArgs a;  // an output over the input
        a.out.counts.data = fake(0x100000 + 64);
        EXPECT_TRUE(
            has(invalid([&] { a.run(); }), "argument 'outputs.counts': expected memory that does not overlap 'ids'"));
    }
    {
        AlignArgs a;  // the workspace over an output
        a.workspace = fake(0x700000);
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'workspace': expected memory that does not overlap 'outputs.total_padded'"));
    }
    {
        // No workspace needed (<= 4096 pairs): a null one passes its checks, and
        // the overlap checked after it is what fails.
        AlignArgs a;
        a.ids = TensorView::contiguous(fake(0x100000), DType::i32, {2048, 2});
        a.out.inverse = TensorView::contiguous(fake(0x600000), DType::i32, {2048, 2});
        a.out.sorted_pairs = TensorView::contiguous(fake(0x400000), DType::i32, {4096 + 64 * 63});
        a.out.block_expert = TensorView::contiguous(fake(0x500000), DType::i32, {(4096 + 64 * 63) / 64});
        a.workspace = nullptr;
        a.workspace_bytes = 0;
        a.out.padded_offsets.data = fake(0x200000 + 8);
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'outputs.padded_offsets': expected memory that does not overlap 'outputs.counts'"));
    }
}

struct PermuteArgs {
    TensorView hidden = TensorView::contiguous(fake(0x100000), DType::bf16, {100, 256});
    TensorView sorted = TensorView::contiguous(fake(0x200000), DType::i32, {1000});
    TensorView total = TensorView::contiguous(fake(0x300000), DType::i32, {1});
    TensorView permuted = TensorView::contiguous(fake(0x1000000), DType::bf16, {1000, 256});
    int k = 8;
    void run() const { ptxkit::moe::permute(hidden, sorted, total, k, permuted, nullptr); }
};

TEST(MoePermuteArguments, Checks) {
    {
        PermuteArgs a;
        a.permuted.dtype = DType::f16;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'permuted': expected dtype bf16, got f16"));
        a.hidden.dtype = DType::i32;
        a.permuted.dtype = DType::i32;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'hidden': expected dtype f32 or bf16 or f16, got i32"));
    }
    {
        PermuteArgs a;
        a.k = 17;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'k': expected a value in [1, 16], got 17"));
    }
    {
        PermuteArgs a;
        a.permuted = TensorView::contiguous(fake(0x1000000), DType::bf16, {1000, 128});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'permuted': expected 256 columns"));
    }
    {
        PermuteArgs a;
        a.sorted = TensorView::contiguous(fake(0x200000), DType::i32, {999});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'sorted_pairs'"));
    }
    {
        PermuteArgs a;
        a.total = TensorView::contiguous(fake(0x300000), DType::i32, {2});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'total_padded'"));
    }
    {
        PermuteArgs a;
        a.hidden.stride[0] = 100;  // rows overlapping
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'hidden': expected a row stride (stride[0]) of at least 256, got 100"));
        a.hidden.stride[0] = 512;
        a.hidden.stride[1] = 2;
        EXPECT_TRUE(
            has(invalid([&] { a.run(); }), "argument 'hidden': expected unit stride along its second dimension"));
    }
    {
        PermuteArgs a;  // output over the input
        a.permuted.data = fake(0x100000 + 1000);
        EXPECT_TRUE(
            has(invalid([&] { a.run(); }), "argument 'permuted': expected memory that does not overlap 'hidden'"));
    }
    {
        PermuteArgs a;
        a.sorted.data = fake(0x1000000 + 4096);
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'permuted': expected memory that does not overlap 'sorted_pairs'"));
    }
}

struct CombineArgs {
    TensorView y = TensorView::contiguous(fake(0x1000000), DType::bf16, {1000, 256});
    TensorView weights = TensorView::contiguous(fake(0x100000), DType::f32, {100, 8});
    TensorView inverse = TensorView::contiguous(fake(0x200000), DType::i32, {100, 8});
    TensorView shared = TensorView::contiguous(fake(0x300000), DType::bf16, {100, 256});
    TensorView out = TensorView::contiguous(fake(0x400000), DType::bf16, {100, 256});
    void run() const { ptxkit::moe::combine(y, weights, inverse, shared, out, nullptr); }
};

TEST(MoeCombineArguments, Checks) {
    {
        CombineArgs a;
        a.y.dtype = DType::f16;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'y': expected dtype bf16 or f32, got f16"));
    }
    {
        CombineArgs a;
        a.out.dtype = DType::e4m3;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'out': expected dtype f32 or bf16 or f16, got e4m3"));
    }
    {
        CombineArgs a;
        a.shared.dtype = DType::f32;
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'shared': expected dtype bf16, got f32"));
        a.shared = TensorView::contiguous(fake(0x300000), DType::bf16, {100, 128});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'shared'"));
    }
    {
        CombineArgs a;
        a.weights = TensorView::contiguous(fake(0x100000), DType::f32, {100, 17});
        EXPECT_TRUE(
            has(invalid([&] { a.run(); }), "argument 'weights.shape[1] (k)': expected a value in [1, 16], got 17"));
        a.weights = TensorView::contiguous(fake(0x100000), DType::f32, {99, 8});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'weights': expected 100 rows"));
        a.weights = TensorView::contiguous(fake(0x100000), DType::bf16, {100, 8});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'weights': expected dtype f32, got bf16"));
    }
    {
        CombineArgs a;  // k of the weights vs the inverse
        a.inverse = TensorView::contiguous(fake(0x200000), DType::i32, {100, 4});
        EXPECT_TRUE(has(invalid([&] { a.run(); }),
                        "argument 'inverse': expected the shape of 'weights, [tokens, k]', [100, 8], got [100, 4]"));
    }
    {
        CombineArgs a;
        a.y = TensorView::contiguous(fake(0x1000000), DType::bf16, {1000, 255});
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'y': expected 256 columns"));
    }
    {
        CombineArgs a;
        a.out.data = fake(0x300000 + 512);
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'out': expected memory that does not overlap 'shared'"));
        a.out.data = fake(0x1000000 + 512);
        EXPECT_TRUE(has(invalid([&] { a.run(); }), "argument 'out': expected memory that does not overlap 'y'"));
    }
}

TEST(MoeAlignArguments, CApi) {
    std::int64_t capacity = 0;
    ASSERT_EQ(ptxkit_moe_align_capacity(3, 2, 4, 16, &capacity), PTXKIT_SUCCESS);
    EXPECT_EQ(capacity, 66);
    EXPECT_EQ(ptxkit_moe_align_capacity(3, 2, 4, 17, &capacity), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "argument 'block_m'"));
    EXPECT_EQ(ptxkit_moe_align_capacity(3, 2, 4, 16, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    std::size_t bytes = 1;
    ASSERT_EQ(ptxkit_moe_align_workspace_size(5000, 2, 64, &bytes), PTXKIT_SUCCESS);
    EXPECT_EQ(bytes, 3u * 64u * 4u);

    const ptxkit_tensor_t ids{fake(0x100000), PTXKIT_I32, 2, {5000, 2}, {}};
    ptxkit_moe_align_outputs_t out{};
    out.counts = {fake(0x200000), PTXKIT_I32, 1, {64}, {}};
    out.padded_offsets = {fake(0x300000), PTXKIT_I32, 1, {65}, {}};
    out.sorted_pairs = {fake(0x400000), PTXKIT_I32, 1, {14032}, {}};
    out.block_expert = {fake(0x500000), PTXKIT_I32, 1, {219}, {}};
    out.inverse = {fake(0x600000), PTXKIT_I32, 2, {5000, 2}, {}};
    out.total_padded = {fake(0x700000), PTXKIT_I32, 1, {1}, {}};
    EXPECT_EQ(ptxkit_moe_align(&ids, 64, 64, nullptr, fake(0x800000), 768, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "argument 'outputs'"));
    EXPECT_EQ(ptxkit_moe_align(&ids, 64, 64, &out, fake(0x800000), 764, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "argument 'workspace_bytes'"));
    out.block_expert.shape[0] = 218;
    EXPECT_EQ(ptxkit_moe_align(&ids, 64, 64, &out, fake(0x800000), 768, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "argument 'outputs.block_expert'"));

    const ptxkit_tensor_t hidden{fake(0x100000), PTXKIT_BF16, 2, {100, 256}, {}};
    const ptxkit_tensor_t sorted{fake(0x200000), PTXKIT_I32, 1, {1000}, {}};
    const ptxkit_tensor_t total{fake(0x300000), PTXKIT_I32, 1, {1}, {}};
    const ptxkit_tensor_t permuted{fake(0x1000000), PTXKIT_F16, 2, {1000, 256}, {}};
    EXPECT_EQ(ptxkit_moe_permute(&hidden, &sorted, &total, 8, &permuted, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "ptxkit::moe::permute: argument 'permuted': expected dtype bf16"));

    const ptxkit_tensor_t y{fake(0x1000000), PTXKIT_F32, 2, {1000, 256}, {}};
    const ptxkit_tensor_t weights{fake(0x100000), PTXKIT_F32, 2, {100, 8}, {}};
    const ptxkit_tensor_t inverse{fake(0x200000), PTXKIT_I32, 2, {100, 8}, {}};
    const ptxkit_tensor_t o{fake(0x400000), PTXKIT_BF16, 2, {100, 300}, {}};
    EXPECT_EQ(ptxkit_moe_combine(&y, &weights, &inverse, nullptr, &o, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "argument 'y': expected 300 columns"));
    EXPECT_EQ(ptxkit_moe_combine(&y, &weights, nullptr, nullptr, &o, nullptr), PTXKIT_ERROR_INVALID_ARGUMENT);
    EXPECT_TRUE(has(ptxkit_last_error(), "argument 'inverse'"));
}

}  // namespace
