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
// Attention is covered by a paged decode step with split-KV (page tables and
// lengths are inputs rewritten between replays, as an engine's scheduler
// would) and a packed prefill whose cu_seqlens change between replays.
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
    // Attention decode: 8 sequences of up to 2048 keys in pages of 16, Hq 16, Hkv 2, D 128.
    static constexpr std::int64_t kDecB = 8, kDecHq = 16, kDecHkv = 2, kHd = 128, kPage = 16, kMaxLen = 2048;
    static constexpr std::int64_t kPagesPerSeq = kMaxLen / kPage, kNumPages = kDecB * kPagesPerSeq;
    DeviceBuffer dec_q{kDecB * kDecHq * kHd * 2}, dec_k{kNumPages * kPage * kDecHkv * kHd * 2};
    DeviceBuffer dec_v{kNumPages * kPage * kDecHkv * kHd * 2}, dec_table{kDecB * kPagesPerSeq * 4}, dec_lens{kDecB * 4};
    DeviceBuffer dec_o{kDecB * kDecHq * kHd * 2}, dec_lse{kDecB * kDecHq * 4}, dec_workspace;
    // Attention prefill: two packed sequences, 512 queries and keys in total, Hq 8, Hkv 2, causal.
    static constexpr std::int64_t kPreTotal = 512, kPreHq = 8, kPreHkv = 2;
    DeviceBuffer pre_q{kPreTotal * kPreHq * kHd * 2}, pre_k{kPreTotal * kPreHkv * kHd * 2};
    DeviceBuffer pre_v{kPreTotal * kPreHkv * kHd * 2}, pre_o{kPreTotal * kPreHq * kHd * 2};
    DeviceBuffer pre_lse{kPreHq * kPreTotal * 4}, pre_cu{3 * 4};

    Sequence() {
        gemm_workspace = DeviceBuffer(std::max<std::size_t>(ptxkit::gemm_workspace_size(16, 512, 4096), 16));
        dec_workspace = DeviceBuffer(std::max<std::size_t>(
            ptxkit::attention_decode_workspace_size(kDecB, 1, kDecHq, kDecHkv, kHd, kMaxLen), 16));
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
                {"copy dst", &copy_dst, true},
                {"decode o", &dec_o, true},
                {"decode lse", &dec_lse, true},
                {"prefill o", &pre_o, true},
                {"prefill lse", &pre_lse, true}};
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

    ptxkit::DecodeAttentionArgs dec;
    dec.q = view(s.dec_q, DType::bf16, {Sequence::kDecB, 1, Sequence::kDecHq, Sequence::kHd});
    dec.k_cache = view(s.dec_k, DType::bf16, {Sequence::kNumPages, Sequence::kPage, Sequence::kDecHkv, Sequence::kHd});
    dec.v_cache = view(s.dec_v, DType::bf16, {Sequence::kNumPages, Sequence::kPage, Sequence::kDecHkv, Sequence::kHd});
    dec.page_table = view(s.dec_table, DType::i32, {Sequence::kDecB, Sequence::kPagesPerSeq});
    dec.seq_lens = view(s.dec_lens, DType::i32, {Sequence::kDecB});
    dec.o = view(s.dec_o, DType::bf16, {Sequence::kDecB, 1, Sequence::kDecHq, Sequence::kHd});
    dec.lse = view(s.dec_lse, DType::f32, {Sequence::kDecB, 1, Sequence::kDecHq});
    dec.max_seq_len = Sequence::kMaxLen;
    ptxkit::DecodeAttentionOptions dec_opts;
    dec_opts.workspace = s.dec_workspace.get();
    dec_opts.workspace_bytes = s.dec_workspace.bytes();
    ptxkit::attention_decode(dec, dec_opts, stream);

    ptxkit::VarlenAttentionArgs pre;
    pre.q = view(s.pre_q, DType::bf16, {Sequence::kPreTotal, Sequence::kPreHq, Sequence::kHd});
    pre.k = view(s.pre_k, DType::bf16, {Sequence::kPreTotal, Sequence::kPreHkv, Sequence::kHd});
    pre.v = view(s.pre_v, DType::bf16, {Sequence::kPreTotal, Sequence::kPreHkv, Sequence::kHd});
    pre.o = view(s.pre_o, DType::bf16, {Sequence::kPreTotal, Sequence::kPreHq, Sequence::kHd});
    pre.cu_seqlens_q = view(s.pre_cu, DType::i32, {3});
    pre.cu_seqlens_k = pre.cu_seqlens_q;
    pre.max_seqlen_q = pre.max_seqlen_k = Sequence::kPreTotal;
    pre.lse = view(s.pre_lse, DType::f32, {Sequence::kPreHq, Sequence::kPreTotal});
    ptxkit::AttentionOptions pre_opts;
    pre_opts.causal = true;
    ptxkit::attention_prefill(pre, pre_opts, stream);
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
    bf16(s.dec_q, false);
    bf16(s.dec_k, false);
    bf16(s.dec_v, false);
    bf16(s.pre_q, false);
    bf16(s.pre_k, false);
    bf16(s.pre_v, false);
    // Valid paged-cache metadata: a shuffled page pool, lengths 1..2048.
    std::vector<std::int32_t> pages(static_cast<std::size_t>(Sequence::kNumPages));
    for (std::size_t i = 0; i < pages.size(); ++i) pages[i] = static_cast<std::int32_t>(i);
    std::shuffle(pages.begin(), pages.end(), rng);
    s.dec_table.upload(pages.data(), pages.size() * 4);
    std::vector<std::int32_t> lens(static_cast<std::size_t>(Sequence::kDecB));
    for (auto& x : lens) x = static_cast<std::int32_t>(1 + rng() % Sequence::kMaxLen);
    s.dec_lens.upload(lens.data(), lens.size() * 4);
    const std::int32_t split = static_cast<std::int32_t>(1 + rng() % (Sequence::kPreTotal - 1));
    const std::int32_t cu[3] = {0, split, static_cast<std::int32_t>(Sequence::kPreTotal)};
    s.pre_cu.upload(cu, sizeof cu);
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

    // Three rounds of new inputs; two on the software GPU (still a replay
    // compared with the round before), where each run of the sequence costs
    // seconds (flush_l2 alone touches twice the modelled 50 MB L2).
    Snapshot previous;
    const std::uint64_t rounds = ptxkit::testing::sim_or<std::uint64_t>(3, 2);
    for (std::uint64_t round = 1; round <= rounds; ++round) {
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
