// Routing ops reject bad input, naming the argument, before any driver call.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "ptxkit/ptxkit.hpp"
#include "support/expect_error.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;

void* fake(std::uintptr_t a) { return reinterpret_cast<void*>(a); }

template <class F>
std::string invalid(F&& f) {
    return ptxkit::testing::expect_invalid_argument(std::forward<F>(f));
}

struct Tensors {
    TensorView logits = TensorView::contiguous(fake(0x100000), DType::bf16, {4, 256});
    TensorView weights = TensorView::contiguous(fake(0x200000), DType::f32, {4, 8});
    TensorView ids = TensorView::contiguous(fake(0x300000), DType::i32, {4, 8});
    TensorView bias = TensorView::contiguous(fake(0x400000), DType::f32, {256});
};

TEST(MoeArguments, TopkSoftmax) {
    Tensors t;
    auto run = [&](int k) { ptxkit::moe::topk_softmax(t.logits, t.weights, t.ids, k, true, nullptr); };
    EXPECT_NE(invalid([&] { run(17); }).find("argument 'k': expected a value in [1, 16], got 17"), std::string::npos);
    EXPECT_NE(invalid([&] { run(4); }).find("argument 'weights'"), std::string::npos) << "k does not match [T, k]";
    t.ids.dtype = DType::i64;
    EXPECT_NE(invalid([&] { run(8); }).find("argument 'ids': expected dtype i32, got i64"), std::string::npos);
    t.ids.dtype = DType::i32;
    t.logits = TensorView::contiguous(fake(0x100000), DType::bf16, {4, 513});
    EXPECT_NE(invalid([&] { run(8); }).find("expected a value in [2, 512], got 513"), std::string::npos);
    t.logits = TensorView::contiguous(fake(0x100000), DType::i32, {4, 256});
    EXPECT_NE(invalid([&] { run(8); }).find("argument 'logits': expected dtype f32 or bf16 or f16"),
              std::string::npos);
    t.logits = TensorView::contiguous(fake(0x100000), DType::bf16, {4, 4});
    EXPECT_NE(invalid([&] { run(8); }).find("expected a value in [1, 4], got 8"), std::string::npos) << "k > E";
    t.logits = TensorView::contiguous(fake(0x200010), DType::f32, {4, 256});
    EXPECT_NE(invalid([&] { run(8); }).find("overlap"), std::string::npos);
}

TEST(MoeArguments, TopkGroupedSigmoid) {
    Tensors t;
    ptxkit::moe::GroupedTopkOptions o;  // DeepSeek-V3 defaults
    auto run = [&] { ptxkit::moe::topk_grouped_sigmoid(t.logits, t.bias, t.weights, t.ids, o, nullptr); };
    o.num_groups = 7;
    EXPECT_NE(invalid(run).find("argument 'num_groups': expected a divisor of the expert count 256, got 7"),
              std::string::npos);
    o.num_groups = 8;
    o.topk_group = 9;
    EXPECT_NE(invalid(run).find("argument 'topk_group': expected a value in [1, 8], got 9"), std::string::npos);
    o.topk_group = 4;
    t.logits = TensorView::contiguous(fake(0x100000), DType::bf16, {4, 16});
    o.topk_group = 3;  // 3 groups of 2 experts < k = 8
    EXPECT_NE(invalid(run).find("argument 'k': expected at most topk_group * experts per group = 6, got 8"),
              std::string::npos);
    t.logits = TensorView::contiguous(fake(0x100000), DType::bf16, {4, 256});
    o.topk_group = 4;
    t.bias = TensorView::contiguous(fake(0x400000), DType::f32, {128});
    EXPECT_NE(invalid(run).find("argument 'bias'"), std::string::npos);
    t.bias = TensorView::contiguous(fake(0x400000), DType::bf16, {256});
    EXPECT_NE(invalid(run).find("argument 'bias': expected dtype f32, got bf16"), std::string::npos);
    o.num_groups = 256;
    EXPECT_NE(invalid(run).find("argument 'num_groups': expected a value in [1, 32], got 256"), std::string::npos);
}

}  // namespace
