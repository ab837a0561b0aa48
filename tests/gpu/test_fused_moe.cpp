// The fused MoE layer against a float64 CPU reference (routing by the routing
// references, then every token's experts in float64 without intermediate
// rounding): softmax top-k with and without renormalisation and DeepSeek's
// grouped sigmoid with a bias, bf16 and f16, with and without a shared
// expert's output, hidden and intermediate sizes that are not tile multiples,
// experts that get no tokens, skewed routing, T in {1, 3, 255, 1000}, every
// grouped GEMM path the device has. Output and workspace are poisoned before
// each run. Then: a CUDA graph capture replays bit for bit like eager runs,
// and T = 0 is a valid call that touches nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "driver/check.hpp"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/moe_gemm_reference.hpp"
#include "support/moe_reference.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::GemmPath;
using ptxkit::TensorView;
using ptxkit::moe::FusedMoeOptions;
using ptxkit::moe::MoeRouting;
using ptxkit::testing::DeviceBuffer;

constexpr std::uint8_t kPoison = 0xff;

struct Values16 {
    std::vector<double> v;
    std::vector<std::uint16_t> bits;
};

Values16 random_values(std::size_t n, DType dtype, std::mt19937_64& rng, double scale) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    Values16 m;
    m.v.reserve(n);
    m.bits.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const float x = static_cast<float>(dist(rng) * scale);
        const std::uint16_t b =
            dtype == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(x) : ptxkit::testing::f32_to_f16_rne(x);
        m.bits.push_back(b);
        m.v.push_back(dtype == DType::bf16 ? ptxkit::testing::bf16_to_f32(b) : ptxkit::testing::f16_to_f32(b));
    }
    return m;
}

enum class Skew { none, hot_experts };

struct Case {
    std::int64_t tokens;
    int experts;
    int k;
    std::int64_t hidden;
    std::int64_t inter;
    DType dtype = DType::bf16;
    MoeRouting routing = MoeRouting::softmax_topk;
    bool renormalize = true;
    bool shared = false;
    Skew skew = Skew::none;
    int num_groups = 8, topk_group = 4;

    std::string name() const {
        return "T=" + std::to_string(tokens) + " E=" + std::to_string(experts) + " k=" + std::to_string(k) +
               " H=" + std::to_string(hidden) + " I=" + std::to_string(inter) + " " + ptxkit::dtype_name(dtype) +
               (routing == MoeRouting::softmax_topk ? (renormalize ? " softmax+renorm" : " softmax")
                                                    : " grouped_sigmoid") +
               (shared ? " +shared" : "") + (skew == Skew::hot_experts ? " skewed" : "");
    }
};

double tolerance(DType dtype) { return dtype == DType::bf16 ? 2e-2 : 5e-3; }

// Inputs on the host (float64 values) and the device.
struct Inputs {
    Case cs;
    Values16 hidden, w13, w2, shared;
    std::vector<float> logits;
    std::vector<float> bias;
    DeviceBuffer hidden_dev, w13_dev, w2_dev, shared_dev, logits_dev, bias_dev;

    Inputs(const Case& c, std::uint64_t seed) : cs(c) {
        std::mt19937_64 rng(seed);
        const auto T = static_cast<std::size_t>(c.tokens), H = static_cast<std::size_t>(c.hidden),
                   I = static_cast<std::size_t>(c.inter), E = static_cast<std::size_t>(c.experts);
        hidden = random_values(T * H, c.dtype, rng, 1.0);
        // Weights scaled by 2 / sqrt(fan-in): activations stay of order one (f16's range).
        w13 = random_values(E * 2 * I * H, c.dtype, rng, 2.0 / std::sqrt(static_cast<double>(H)));
        w2 = random_values(E * H * I, c.dtype, rng, 2.0 / std::sqrt(static_cast<double>(I)));
        shared = random_values(T * H, c.dtype, rng, 0.25);
        std::uniform_real_distribution<float> logit(-4.0f, 4.0f);
        std::uniform_int_distribution<int> four(0, 3);
        logits.resize(T * E);
        for (std::size_t t = 0; t < T; ++t) {
            const bool hot = c.skew == Skew::hot_experts && four(rng) != 0;
            for (std::size_t e = 0; e < E; ++e) logits[t * E + e] = logit(rng) + (hot && e < 2 ? 12.0f : 0.0f);
        }
        std::uniform_int_distribution<int> level(-16, 16);
        bias.resize(E);
        for (auto& b : bias) b = static_cast<float>(level(rng)) / 64.0f;
        hidden_dev = DeviceBuffer::from(hidden.bits);
        w13_dev = DeviceBuffer::from(w13.bits);
        w2_dev = DeviceBuffer::from(w2.bits);
        shared_dev = DeviceBuffer::from(shared.bits);
        logits_dev = DeviceBuffer::from(logits);
        bias_dev = DeviceBuffer::from(bias);
    }

    FusedMoeOptions options(GemmPath path) const {
        FusedMoeOptions o;
        o.routing = cs.routing;
        o.k = cs.k;
        o.renormalize = cs.renormalize;
        o.num_groups = cs.num_groups;
        o.topk_group = cs.topk_group;
        o.routed_scaling_factor = 2.5f;
        if (cs.routing == MoeRouting::grouped_sigmoid_topk) {
            o.bias = TensorView::contiguous(bias_dev.get(), DType::f32, {cs.experts});
        }
        if (cs.shared) o.shared_output = TensorView::contiguous(shared_dev.get(), cs.dtype, {cs.tokens, cs.hidden});
        o.path = path;
        return o;
    }

    void run(void* out, void* workspace, std::size_t workspace_bytes, GemmPath path, CUstream stream) const {
        ptxkit::moe::fused_moe(TensorView::contiguous(hidden_dev.get(), cs.dtype, {cs.tokens, cs.hidden}),
                               TensorView::contiguous(logits_dev.get(), DType::f32, {cs.tokens, cs.experts}),
                               TensorView::contiguous(w13_dev.get(), cs.dtype, {cs.experts, 2 * cs.inter, cs.hidden}),
                               TensorView::contiguous(w2_dev.get(), cs.dtype, {cs.experts, cs.hidden, cs.inter}),
                               TensorView::contiguous(out, cs.dtype, {cs.tokens, cs.hidden}), options(path),
                               workspace, workspace_bytes, stream);
    }

    std::size_t workspace_bytes() const {
        return ptxkit::moe::fused_moe_workspace_size(cs.tokens, cs.hidden, cs.inter, cs.experts, cs.k, cs.dtype);
    }
};

// The paths the device can run both GEMMs of this case on (plans of the
// w13 GEMM's shape stand in: both GEMMs share the layout and the dtype).
std::vector<GemmPath> runnable_paths(const Inputs& in) {
    std::vector<GemmPath> paths = {GemmPath::automatic};
    const std::int64_t rows = 128, k = in.cs.hidden;
    DeviceBuffer a(static_cast<std::size_t>(rows * k) * 2), out(static_cast<std::size_t>(rows * in.cs.inter) * 2);
    DeviceBuffer blocks(4), total(4);
    ptxkit::moe::GroupedGemmOptions o;
    o.epilogue = ptxkit::moe::GroupedEpilogue::swiglu;
    for (GemmPath p : {GemmPath::sm90, GemmPath::sm80}) {
        o.path = p;
        try {
            (void)ptxkit::moe::grouped_gemm_plan(
                TensorView::contiguous(a.get(), in.cs.dtype, {rows, k}),
                TensorView::contiguous(in.w13_dev.get(), in.cs.dtype, {in.cs.experts, 2 * in.cs.inter, k}),
                TensorView::contiguous(blocks.get(), DType::i32, {1}), TensorView::contiguous(total.get(), DType::i32, {1}),
                ptxkit::moe::kGroupedGemmBlockM, TensorView::contiguous(out.get(), in.cs.dtype, {rows, in.cs.inter}), o);
            paths.push_back(p);
        } catch (const ptxkit::Error& e) {
            if (e.status() != ptxkit::Status::unsupported) throw;
        }
    }
    return paths;
}

void run_case(const Case& cs, std::uint64_t seed) {
    SCOPED_TRACE(cs.name() + " seed=" + std::to_string(seed));
    const Inputs in(cs, seed);
    const ptxkit::testing::RoutingResult routing =
        cs.routing == MoeRouting::softmax_topk
            ? ptxkit::testing::topk_softmax_reference(std::vector<double>(in.logits.begin(), in.logits.end()),
                                                      cs.tokens, cs.experts, cs.k, cs.renormalize)
            : [&] {
                  const std::vector<double> bias(in.bias.begin(), in.bias.end());
                  return ptxkit::testing::topk_grouped_sigmoid_reference(
                      std::vector<double>(in.logits.begin(), in.logits.end()), &bias, cs.tokens, cs.experts, cs.k,
                      cs.num_groups, cs.topk_group, 2.5);
              }();
    const std::vector<double> ref = ptxkit::testing::fused_moe_reference(
        in.hidden.v, cs.tokens, cs.hidden, cs.inter, in.w13.v, in.w2.v, routing, cs.k, cs.shared ? &in.shared.v : nullptr);

    const std::size_t ws_bytes = in.workspace_bytes();
    DeviceBuffer workspace(ws_bytes);
    DeviceBuffer out(static_cast<std::size_t>(cs.tokens * cs.hidden) * 2);
    for (const GemmPath path : runnable_paths(in)) {
        SCOPED_TRACE(std::string("path=") + (path == GemmPath::sm90 ? "sm90" : path == GemmPath::sm80 ? "sm80" : "auto"));
        workspace.fill(kPoison);
        out.fill(kPoison);
        in.run(out.get(), workspace.get(), ws_bytes, path, nullptr);
        const auto bits = out.to_host<std::uint16_t>(static_cast<std::size_t>(cs.tokens * cs.hidden));
        std::vector<double> got, want;
        std::int64_t skipped = 0;
        for (std::int64_t t = 0; t < cs.tokens; ++t) {
            if (!routing.robust[static_cast<std::size_t>(t)]) {
                ++skipped;  // a near-tie float32 may route either way
                continue;
            }
            for (std::int64_t c = 0; c < cs.hidden; ++c) {
                const auto i = static_cast<std::size_t>(t * cs.hidden + c);
                got.push_back(cs.dtype == DType::bf16 ? ptxkit::testing::bf16_to_f32(bits[i])
                                                      : ptxkit::testing::f16_to_f32(bits[i]));
                want.push_back(ref[i]);
            }
        }
        EXPECT_LE(skipped, cs.tokens / 20 + 1) << "too many near-tie tokens to check";
        const std::string failure = ptxkit::testing::compare_to_reference(got, want, tolerance(cs.dtype), "out");
        ASSERT_TRUE(failure.empty()) << failure;
    }
}

class FusedMoe : public ptxkit::testing::GpuTest {};

// Token counts on the software GPU: 255 -> 63 and 1000 -> 300 (still partial
// row blocks; several per expert at 300).
std::int64_t sim_tokens(std::int64_t t) {
    if (!ptxkit::testing::on_simulator()) return t;
    return t == 255 ? 63 : t == 1000 ? 300 : t;
}

TEST_F(FusedMoe, SoftmaxRoutingTokenCounts) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (const std::int64_t t : {std::int64_t{1}, std::int64_t{3}, sim_tokens(255), sim_tokens(1000)}) {
        Case c{t, 8, 2, 200, 72};  // Mixtral-like routing; H, I not multiples of the tiles
        c.shared = t % 2 == 1;
        run_case(c, seed + i++);
        if (HasFatalFailure()) return;
        Case d{t, 64, 6, 128, 96, DType::f16};
        d.renormalize = false;
        run_case(d, seed + i++);
        if (HasFatalFailure()) return;
    }
}

TEST_F(FusedMoe, GroupedSigmoidRoutingWithBias) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (const std::int64_t t : {std::int64_t{1}, std::int64_t{3}, sim_tokens(255), sim_tokens(1000)}) {
        Case c{t, 64, 6, 256, 128};
        c.routing = MoeRouting::grouped_sigmoid_topk;
        c.shared = t == sim_tokens(255);
        run_case(c, seed + i++);
        if (HasFatalFailure()) return;
    }
    // DeepSeek-V3's routing shape (E 256, k 8, 8 groups, 4 kept): most experts get no token.
    Case d{16, 256, 8, 128, 64};
    d.routing = MoeRouting::grouped_sigmoid_topk;
    run_case(d, seed + i++);
}

TEST_F(FusedMoe, SkewedRouting) {
    const auto seed = ptxkit::testing::fresh_seed();
    Case c{sim_tokens(1000), 32, 4, 136, 200};
    c.skew = Skew::hot_experts;
    c.shared = true;
    run_case(c, seed);
    if (HasFatalFailure()) return;
    Case d{sim_tokens(255), 16, 1, 64, 64, DType::f16};
    d.skew = Skew::hot_experts;
    run_case(d, seed + 1);
}

TEST_F(FusedMoe, WorkspaceSizes) {
    // T = 0 needs none; sizes grow with T; decode pads only the experts a token can reach.
    EXPECT_EQ(ptxkit::moe::fused_moe_workspace_size(0, 7168, 2048, 256, 8, DType::bf16), 0u);
    std::size_t previous = 0;
    for (std::int64_t t : {1, 16, 128, 1024, 4096}) {
        const std::size_t bytes = ptxkit::moe::fused_moe_workspace_size(t, 7168, 2048, 256, 8, DType::bf16);
        EXPECT_GT(bytes, previous) << "T=" << t;
        EXPECT_EQ(bytes % 256, 0u);
        previous = bytes;
    }
    const std::size_t decode = ptxkit::moe::fused_moe_workspace_size(1, 7168, 2048, 256, 8, DType::bf16);
    EXPECT_LT(decode, std::size_t{32} << 20) << "T=1 should need rows for 8 padded experts, not 256";
}

TEST_F(FusedMoe, ZeroTokensTouchNothing) {
    Case c{0, 8, 2, 64, 64};
    const Inputs in(c, 1);
    DeviceBuffer out(16);
    in.run(out.get(), nullptr, 0, GemmPath::automatic, nullptr);
}

// Captured once in a graph, replayed on new inputs: each replay equals an
// eager run bit for bit (routing, layout, GEMMs and combine are all
// deterministic), proving the op neither synchronises nor allocates.
TEST_F(FusedMoe, GraphReplayIsBitwiseEqualToEagerRuns) {
    Case c{sim_tokens(255), 64, 6, 256, 128};
    c.routing = MoeRouting::grouped_sigmoid_topk;
    c.shared = true;
    Inputs in(c, ptxkit::testing::fresh_seed());
    const std::size_t ws_bytes = in.workspace_bytes();
    DeviceBuffer workspace(ws_bytes), eager(static_cast<std::size_t>(c.tokens * c.hidden) * 2),
        replay(static_cast<std::size_t>(c.tokens * c.hidden) * 2);
    ptxkit::testing::Stream stream;
    in.run(eager.get(), workspace.get(), ws_bytes, GemmPath::automatic, stream.get());  // loads every module
    stream.synchronize();

    CUgraph graph = nullptr;
    CUgraphExec exec = nullptr;
    PTXKIT_CU(cuStreamBeginCapture, stream.get(), CU_STREAM_CAPTURE_MODE_GLOBAL);
    try {
        in.run(replay.get(), workspace.get(), ws_bytes, GemmPath::automatic, stream.get());
    } catch (...) {
        CUgraph broken = nullptr;
        ptxkit::detail::driver().cuStreamEndCapture(stream.get(), &broken);
        if (broken != nullptr) ptxkit::detail::driver().cuGraphDestroy(broken);
        throw;
    }
    PTXKIT_CU(cuStreamEndCapture, stream.get(), &graph);
    ASSERT_NE(graph, nullptr);
    PTXKIT_CU(cuGraphInstantiateWithFlags, &exec, graph, 0);

    std::mt19937_64 rng(7);
    for (int round = 0; round < 3; ++round) {
        // New hidden states and logits in the same buffers.
        in.hidden = random_values(in.hidden.bits.size(), c.dtype, rng, 1.0);
        in.hidden_dev.upload(in.hidden.bits.data(), in.hidden.bits.size() * 2);
        std::uniform_real_distribution<float> logit(-4.0f, 4.0f);
        for (auto& l : in.logits) l = logit(rng);
        in.logits_dev.upload(in.logits.data(), in.logits.size() * 4);

        eager.fill(kPoison);
        replay.fill(0x00);
        in.run(eager.get(), workspace.get(), ws_bytes, GemmPath::automatic, stream.get());
        stream.synchronize();
        PTXKIT_CU(cuGraphLaunch, exec, stream.get());
        stream.synchronize();
        const auto a = eager.to_host<std::uint8_t>(eager.bytes());
        const auto b = replay.to_host<std::uint8_t>(replay.bytes());
        ASSERT_EQ(a, b) << "round " << round << ": the replay differs from the eager run";
    }
    ptxkit::detail::driver().cuGraphExecDestroy(exec);
    ptxkit::detail::driver().cuGraphDestroy(graph);
}

}  // namespace
