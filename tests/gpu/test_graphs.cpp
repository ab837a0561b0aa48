// Ops captured in a CUDA graph: a sequence of every op family is captured on
// a non-blocking stream in CU_STREAM_CAPTURE_MODE_GLOBAL (the strictest mode:
// any potentially unsafe call - a synchronisation, an allocation, a
// synchronous copy or memset, a stream or event query - from any thread
// fails the call and invalidates the capture), instantiated once, and then
// replayed on NEW inputs written into the same device buffers. Each replay's
// outputs must equal, bit for bit, a fresh eager run of the same ops on the
// same inputs. This proves that the ops do no host synchronisation,
// allocation or stream query while they enqueue work, that everything they
// launch is recorded in the graph, and that replays read the buffers'
// current contents (nothing is baked into the graph but pointers, shapes and
// the configuration).
//
// The warm-up rule: the first use of a kernel in a context loads its module
// (cuModuleLoadDataEx), which is not allowed while a stream is capturing.
// Run every op once eagerly, with the same shapes and dtypes (so the same
// kernels), before capturing (docs/determinism.md).
//
// Not covered yet: attention decode and the grouped expert GEMM do not exist
// yet; add them to enqueue_sequence() when they land.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "driver/check.hpp"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/launch.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;
using ptxkit::testing::Stream;

constexpr std::int64_t kTokens = 1024;  // T*k = 8192 > 4096: align runs its two-launch path
constexpr int kTopK = 8;
constexpr int kExperts = 256;           // DeepSeek-V3 routing
constexpr int kSoftmaxExperts = 128;    // Qwen3-MoE-like routing
constexpr int kBlockM = 64;
constexpr std::int64_t kHidden = 256;
constexpr std::size_t kCopyBytes = (std::size_t{1} << 20) + 5;
constexpr std::size_t kCopyOffset = 3;  // u8 head, 16-byte body, u8 tail: three launches

// Every buffer of the sequence. Inputs are rewritten between replays;
// outputs are poisoned before each run and compared.
struct Sequence {
    // GEMM, automatic path: D [256, 512] = A [256, 384] B [512, 384]^T + bias [512], bf16.
    DeviceBuffer a{256 * 384 * 2}, b{512 * 384 * 2}, bias{512 * 4}, d{256 * 512 * 2};
    // GEMM, a skinny decode shape given workspace: split-K where the planner picks it.
    DeviceBuffer a2{16 * 4096 * 2}, b2{512 * 4096 * 2}, d2{16 * 512 * 4}, gemm_workspace;
    // Routing.
    DeviceBuffer logits_g{kTokens * kExperts * 2}, bias_g{kExperts * 4};
    DeviceBuffer weights_g{kTokens * kTopK * 4}, ids_g{kTokens * kTopK * 4};
    DeviceBuffer logits_s{kTokens * kSoftmaxExperts * 4};
    DeviceBuffer weights_s{kTokens * kTopK * 4}, ids_s{kTokens * kTopK * 4};
    // convert f32 -> bf16: the hidden states permute reads.
    DeviceBuffer hidden_f32{kTokens * kHidden * 4}, hidden{kTokens * kHidden * 2};
    // align (on the grouped routing's ids), permute, combine.
    std::int64_t capacity = ptxkit::moe::align_capacity(kTokens, kTopK, kExperts, kBlockM);
    DeviceBuffer counts{kExperts * 4}, offsets{(kExperts + 1) * 4};
    DeviceBuffer sorted{static_cast<std::size_t>(capacity) * 4}, blocks{static_cast<std::size_t>(capacity / kBlockM) * 4};
    DeviceBuffer inverse{kTokens * kTopK * 4}, total{4};
    DeviceBuffer align_workspace{ptxkit::moe::align_workspace_size(kTokens, kTopK, kExperts)};
    DeviceBuffer permuted{static_cast<std::size_t>(capacity * kHidden) * 2};
    DeviceBuffer shared{kTokens * kHidden * 2}, out{kTokens * kHidden * 2};
    // copy, misaligned by the same amount on both sides.
    DeviceBuffer copy_src{kCopyBytes + kCopyOffset}, copy_dst{kCopyBytes + kCopyOffset};
    // flush_l2: its scratch contents are unspecified (never compared).
    DeviceBuffer flush_scratch{ptxkit::l2_flush_bytes()};

    Sequence() {
        gemm_workspace = DeviceBuffer(std::max<std::size_t>(ptxkit::gemm_workspace_size(16, 512, 4096), 16));
    }

    struct Output {
        const char* name;
        DeviceBuffer* buffer;
        bool varies;  // differs between two random inputs (the padded layout may well not: ~32 pairs per expert)
    };
    std::vector<Output> outputs() {
        return {{"gemm d", &d, true},
                {"gemm split-K d", &d2, true},
                {"grouped weights", &weights_g, true},
                {"grouped ids", &ids_g, true},
                {"softmax weights", &weights_s, true},
                {"softmax ids", &ids_s, true},
                {"converted hidden", &hidden, true},
                {"align counts", &counts, true},
                {"align padded_offsets", &offsets, false},
                {"align sorted_pairs", &sorted, true},
                {"align block_expert", &blocks, false},
                {"align inverse", &inverse, true},
                {"align total_padded", &total, false},
                {"permuted", &permuted, true},
                {"combined", &out, true},
                {"copy dst", &copy_dst, true}};
    }
};

TensorView view(const DeviceBuffer& buf, DType dtype, std::initializer_list<std::int64_t> shape) {
    return TensorView::contiguous(buf.get(), dtype, shape);
}

// The captured sequence: every op family, with data flowing between ops
// (routing -> align -> permute -> combine, convert -> permute) as in a layer.
void enqueue_sequence(Sequence& s, CUstream stream) {
    ptxkit::flush_l2(s.flush_scratch.get(), s.flush_scratch.bytes(), stream);
    ptxkit::copy(static_cast<char*>(s.copy_dst.get()) + kCopyOffset, static_cast<char*>(s.copy_src.get()) + kCopyOffset,
                 kCopyBytes, stream);

    ptxkit::GemmOptions o;
    o.bias = view(s.bias, DType::f32, {512});
    ptxkit::gemm(view(s.a, DType::bf16, {256, 384}), view(s.b, DType::bf16, {512, 384}),
                 view(s.d, DType::bf16, {256, 512}), o, stream);
    ptxkit::GemmOptions o2;
    o2.workspace = s.gemm_workspace.get();
    o2.workspace_bytes = s.gemm_workspace.bytes();
    ptxkit::gemm(view(s.a2, DType::bf16, {16, 4096}), view(s.b2, DType::bf16, {512, 4096}),
                 view(s.d2, DType::f32, {16, 512}), o2, stream);

    ptxkit::moe::topk_softmax(view(s.logits_s, DType::f32, {kTokens, kSoftmaxExperts}),
                              view(s.weights_s, DType::f32, {kTokens, kTopK}), view(s.ids_s, DType::i32, {kTokens, kTopK}),
                              kTopK, true, stream);
    ptxkit::moe::GroupedTopkOptions dsv3;  // k 8, 8 groups, 4 kept, scale 2.5
    ptxkit::moe::topk_grouped_sigmoid(view(s.logits_g, DType::bf16, {kTokens, kExperts}),
                                      view(s.bias_g, DType::f32, {kExperts}),
                                      view(s.weights_g, DType::f32, {kTokens, kTopK}),
                                      view(s.ids_g, DType::i32, {kTokens, kTopK}), dsv3, stream);

    ptxkit::convert(view(s.hidden, DType::bf16, {kTokens, kHidden}), view(s.hidden_f32, DType::f32, {kTokens, kHidden}),
                    stream);

    const ptxkit::moe::AlignOutputs layout{view(s.counts, DType::i32, {kExperts}),
                                           view(s.offsets, DType::i32, {kExperts + 1}),
                                           view(s.sorted, DType::i32, {s.capacity}),
                                           view(s.blocks, DType::i32, {s.capacity / kBlockM}),
                                           view(s.inverse, DType::i32, {kTokens, kTopK}),
                                           view(s.total, DType::i32, {1})};
    ptxkit::moe::align(view(s.ids_g, DType::i32, {kTokens, kTopK}), kExperts, kBlockM, layout, s.align_workspace.get(),
                       s.align_workspace.bytes(), stream);
    ptxkit::moe::permute(view(s.hidden, DType::bf16, {kTokens, kHidden}), layout.sorted_pairs, layout.total_padded, kTopK,
                         view(s.permuted, DType::bf16, {s.capacity, kHidden}), stream);
    // The expert GEMM would run between permute and combine; combine the permuted rows back.
    ptxkit::moe::combine(view(s.permuted, DType::bf16, {s.capacity, kHidden}),
                         view(s.weights_g, DType::f32, {kTokens, kTopK}), layout.inverse,
                         view(s.shared, DType::bf16, {kTokens, kHidden}), view(s.out, DType::bf16, {kTokens, kHidden}),
                         stream);
}

// Fresh random inputs: bf16/f32 values in [-1, 1), logits N(0, 2).
void write_inputs(Sequence& s, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    auto bf16 = [&](DeviceBuffer& buf, bool logits) {
        std::vector<std::uint16_t> h(buf.bytes() / 2);
        for (auto& x : h) x = ptxkit::testing::f32_to_bf16_rne(logits ? normal(rng) : uniform(rng));
        buf.upload(h.data(), h.size() * 2);
    };
    auto f32 = [&](DeviceBuffer& buf, bool logits, float scale) {
        std::vector<float> h(buf.bytes() / 4);
        for (auto& x : h) x = scale * (logits ? normal(rng) : uniform(rng));
        buf.upload(h.data(), h.size() * 4);
    };
    bf16(s.a, false);
    bf16(s.b, false);
    f32(s.bias, false, 1.0f);
    bf16(s.a2, false);
    bf16(s.b2, false);
    bf16(s.logits_g, true);
    f32(s.bias_g, false, 0.05f);
    f32(s.logits_s, true, 1.0f);
    f32(s.hidden_f32, false, 4.0f);
    bf16(s.shared, false);
    std::vector<std::uint8_t> bytes(s.copy_src.bytes());
    for (auto& x : bytes) x = static_cast<std::uint8_t>(rng());
    s.copy_src.upload(bytes.data(), bytes.size());  // cuMemcpyHtoD, then the context is synchronised
}

using Snapshot = std::vector<std::vector<std::uint8_t>>;

void poison_outputs(Sequence& s) {
    for (const auto& o : s.outputs()) o.buffer->fill(0xFF);
}

Snapshot read_outputs(Sequence& s) {
    Snapshot out;
    for (const auto& o : s.outputs()) out.push_back(o.buffer->to_host<std::uint8_t>(o.buffer->bytes()));
    return out;
}

// The graph and its executable, destroyed in order.
struct Graph {
    CUgraph graph = nullptr;
    CUgraphExec exec = nullptr;
    Graph() = default;
    Graph(const Graph&) = delete;
    Graph& operator=(const Graph&) = delete;
    ~Graph() {
        if (exec != nullptr) ptxkit::detail::driver().cuGraphExecDestroy(exec);
        if (graph != nullptr) ptxkit::detail::driver().cuGraphDestroy(graph);
    }
};

// Captures enqueue_sequence() in GLOBAL mode. On an exception the capture is
// ended (and its graph dropped) so that the stream is usable again.
void capture(Sequence& s, CUstream stream, Graph& g) {
    PTXKIT_CU(cuStreamBeginCapture, stream, CU_STREAM_CAPTURE_MODE_GLOBAL);
    try {
        enqueue_sequence(s, stream);
        CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
        PTXKIT_CU(cuStreamIsCapturing, stream, &status);
        EXPECT_EQ(status, CU_STREAM_CAPTURE_STATUS_ACTIVE) << "an op invalidated the capture";
    } catch (...) {
        CUgraph broken = nullptr;
        ptxkit::detail::driver().cuStreamEndCapture(stream, &broken);
        if (broken != nullptr) ptxkit::detail::driver().cuGraphDestroy(broken);
        throw;
    }
    PTXKIT_CU(cuStreamEndCapture, stream, &g.graph);
    ASSERT_NE(g.graph, nullptr);
}

class Graphs : public ptxkit::testing::GpuTest {};

TEST_F(Graphs, CapturedSequenceReplaysNewInputsBitwiseAsEagerRuns) {
    const std::uint64_t seed = ptxkit::testing::fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    Sequence s;
    Stream stream;  // non-blocking: the legacy stream cannot be captured

    // Warm-up: loads every module the sequence uses (not allowed during capture).
    write_inputs(s, seed);
    const std::uint64_t before_warm_up = ptxkit::detail::launches_on_this_thread();
    enqueue_sequence(s, stream.get());
    stream.synchronize();
    const std::uint64_t warm_up_launches = ptxkit::detail::launches_on_this_thread() - before_warm_up;

    Graph g;
    const std::uint64_t before_capture = ptxkit::detail::launches_on_this_thread();
    capture(s, stream.get(), g);
    if (HasFatalFailure()) return;
    EXPECT_EQ(ptxkit::detail::launches_on_this_thread() - before_capture, warm_up_launches)
        << "the captured sequence launched a different number of kernels than the eager one";
    PTXKIT_CU(cuGraphInstantiateWithFlags, &g.exec, g.graph, 0);

    Snapshot previous;
    for (std::uint64_t round = 1; round <= 3; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        write_inputs(s, seed + round);  // new data, same buffers

        poison_outputs(s);
        PTXKIT_CU(cuGraphLaunch, g.exec, stream.get());
        stream.synchronize();
        const Snapshot replay = read_outputs(s);

        poison_outputs(s);
        enqueue_sequence(s, stream.get());
        stream.synchronize();
        const Snapshot eager = read_outputs(s);

        const auto outputs = s.outputs();
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            ASSERT_EQ(replay[i].size(), eager[i].size());
            std::size_t first = replay[i].size();
            for (std::size_t j = 0; j < replay[i].size() && first == replay[i].size(); ++j) {
                if (replay[i][j] != eager[i][j]) first = j;
            }
            EXPECT_EQ(first, replay[i].size())
                << outputs[i].name << ": the replay differs from the eager run from byte " << first;
            // The replay read this round's inputs, not those of the capture or the last round.
            if (!previous.empty() && outputs[i].varies) {
                EXPECT_NE(replay[i], previous[i]) << outputs[i].name << " did not change with the inputs";
            }
        }
        previous = replay;
    }
}

}  // namespace
