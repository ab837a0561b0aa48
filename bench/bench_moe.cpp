// bench_moe: the mixture-of-experts layers of Qwen3-30B-A3B, Mixtral-8x7B and
// DeepSeek-V3 (shapes::llm_moe) at decode and prefill token counts, over the
// suites
//   routing       router logits [T, E] (bf16) -> top-k weights [T, k] (f32)
//                 and expert ids [T, k] (i32), with the model's own rule:
//                 Mixtral (E=8, k=2) and Qwen3 (E=128, k=8):
//                 ptxkit::moe::topk_softmax with renormalisation; DeepSeek-V3
//                 (E=256, 8 groups, 4 kept, k=8, scale 2.5, with a bias):
//                 ptxkit::moe::topk_grouped_sigmoid. Impl "ptxkit" only:
//                 cuBLAS has no routing, so there is no vs_cublas. Cases
//                 "<model>:t<T>".
//   grouped_gemm  the experts' gate/up projection: T tokens routed top-k give
//                 T·k rows spread over E experts; expert e computes
//                 [rows_e, hidden] · [2·expert_ffn, hidden]ᵀ (bf16 in/out,
//                 fp32 accumulation; common/grouped_gemm_check.hpp has the
//                 layouts, common/cublas_grouped_gemm.hpp the cuBLAS mapping).
//                 Routing: balanced and deterministic (token t's j-th expert
//                 is (t·k + j) mod E, so every expert gets floor or ceil of
//                 T·k/E rows), the rows already permuted into expert order.
//                 Impls "cublasGroupedBatched" (one cublasGemmGroupedBatchedEx
//                 call, one group per expert with rows), "cublasLtLoop"
//                 (one cublasLtMatmul per expert with rows, on one stream)
//                 and "ptxkit" (ptxkit::moe::grouped_gemm, one persistent
//                 launch over align's layout: the same rows with every
//                 expert's segment padded to 128 rows, the padding zero;
//                 the padding's work is part of our time, not of the
//                 useful FLOPs). Cases "<model>.gate_up:t<T>".
//   fused_moe     the whole routed-expert layer, ptxkit::moe::fused_moe:
//                 DeepSeek-V3 (H 7168, I 2048, E 256, k 8, grouped sigmoid
//                 routing with a bias), T = 1, 16, 128, 1024, 4096 (quick:
//                 1, 128): routing, align, permute, the w13 GEMM with the
//                 SwiGLU epilogue, the w2 GEMM, combine. Impl "ptxkit" only
//                 (cuBLAS has no fused layer). Cases "deepseek-v3:t<T>".
//                 FLOPs are 6 T k H I; bytes the weights of the experts the
//                 routing reaches plus hidden, logits and out.
// Every row is checked once before timing: routing against the float64 CPU
// references of tests/support/moe_reference.hpp, GEMMs on sampled outputs
// against float64 dot products (ptxkit's grouped GEMM also element by
// element against cuBLAS's result), the fused layer on sampled tokens
// against a float64 evaluation of the layer.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/cases.hpp"
#include "common/cublas_gemm.hpp"
#include "common/cublas_grouped_gemm.hpp"
#include "common/device.hpp"
#include "common/environment.hpp"
#include "common/grouped_gemm_check.hpp"
#include "common/last_value_cache.hpp"
#include "common/main.hpp"
#include "common/random.hpp"
#include "driver/check.hpp"
#include "ptxkit/moe.hpp"
#include "ptxkit/tensor.hpp"
#include "shapes/shapes.hpp"
#include "support/gpu.hpp"
#include "support/moe_gemm_reference.hpp"
#include "support/moe_reference.hpp"
#include "support/numeric.hpp"

namespace {

namespace bench = ptxkit::bench;
namespace shapes = ptxkit::bench::shapes;
using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;

// ===========================================================================
// routing

// Logits uniform in [-4, 4) (the [-1, 1) bf16 values times 4: exact). The
// bias of the grouped rule is j/64 for j uniform in [-16, 16] (exact in f32).
// With these, about 1% of DeepSeek-V3's tokens have a near-tie that float32
// may order either way (the reference marks them); see check_routing.
constexpr float kLogitScale = 4.0f;
constexpr int kBiasLevels = 16;
constexpr float kBiasStep = 1.0f / 64.0f;

// Weights to 2e-5 relative where the reference marks the token robust; the
// sum of a token's weights to 1e-4 relative on every token.
constexpr double kWeightTolerance = 2e-5;
constexpr double kWeightSumTolerance = 1e-4;

bool is_grouped(const shapes::MoeShape& s) { return s.routing == shapes::Routing::grouped_sigmoid_topk; }

struct RoutingInputs {
    shapes::MoeShape shape;
    std::uint64_t seed = 0;
    std::vector<double> logits;  // [T, E]: the bf16 values the device reads
    std::vector<double> bias;    // [E]; empty without a bias
    DeviceBuffer logits_dev;     // bf16
    DeviceBuffer bias_dev;       // f32
};

// The logits as bf16 bits (and their values in in.logits) and the bias
// values, on the host only.
std::vector<std::uint16_t> fill_routing_host(RoutingInputs& in, const shapes::MoeShape& shape, std::uint64_t seed) {
    in.shape = shape;
    in.seed = seed;
    const auto count = static_cast<std::size_t>(shape.tokens) * static_cast<std::size_t>(shape.experts);
    std::vector<std::uint16_t> bits(count);
    bench::fill_random_bf16(bits, seed);
    in.logits.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        bits[i] = ptxkit::testing::f32_to_bf16_rne(ptxkit::testing::bf16_to_f32(bits[i]) * kLogitScale);
        in.logits[i] = ptxkit::testing::bf16_to_f32(bits[i]);
    }
    in.bias.clear();
    if (is_grouped(shape)) {
        in.bias.resize(static_cast<std::size_t>(shape.experts));
        for (std::size_t e = 0; e < in.bias.size(); ++e) {
            const auto level = static_cast<int>(bench::mix64(bench::mix64(seed) + e) % (2 * kBiasLevels + 1));
            in.bias[e] = static_cast<float>(level - kBiasLevels) * kBiasStep;
        }
    }
    return bits;
}

std::shared_ptr<const RoutingInputs> make_routing_inputs(const shapes::MoeShape& shape, std::uint64_t seed) {
    auto in = std::make_shared<RoutingInputs>();
    const std::vector<std::uint16_t> bits = fill_routing_host(*in, shape, seed);
    in->logits_dev = DeviceBuffer::from(bits);
    if (is_grouped(shape)) {
        const std::vector<float> bias(in->bias.begin(), in->bias.end());  // exact: multiples of 1/64
        in->bias_dev = DeviceBuffer::from(bias);
    }
    bench::wait_for_uploads();
    return in;
}

// The routing reference of the shape's own rule on these inputs.
ptxkit::testing::RoutingResult routing_reference(const RoutingInputs& in) {
    const shapes::MoeShape& s = in.shape;
    return is_grouped(s) ? ptxkit::testing::topk_grouped_sigmoid_reference(in.logits, &in.bias, s.tokens, s.experts,
                                                                           s.top_k, s.groups, s.topk_groups,
                                                                           s.routed_scale)
                         : ptxkit::testing::topk_softmax_reference(in.logits, s.tokens, s.experts, s.top_k,
                                                                   s.routing == shapes::Routing::softmax_topk_renorm);
}

// Logits read, bias read (when there is one), f32 weights and i32 ids written.
double routing_bytes(const shapes::MoeShape& s) {
    const auto t = static_cast<double>(s.tokens);
    const double bias = is_grouped(s) ? 4.0 * s.experts : 0.0;
    return 2.0 * t * s.experts + bias + (4.0 + 4.0) * t * s.top_k;
}

// The routing output of one run (stream synchronised) against the float64
// reference: every token has k distinct ids in [0, E) and finite weights
// whose sum is 1 (renormalised softmax) or routed_scale (grouped) to 1e-4;
// tokens the reference marks robust have exactly its ids, in its order, and
// its weights to 2e-5 relative. Near-tie tokens (not robust) only get the
// first checks; more than 1 in 20 of them (+1) would leave too little
// checked, and fails.
std::string check_routing(const RoutingInputs& in, const std::vector<float>& weights,
                          const std::vector<std::int32_t>& ids) {
    const shapes::MoeShape& s = in.shape;
    const int k = s.top_k;
    const ptxkit::testing::RoutingResult ref = routing_reference(in);
    const double weight_sum = is_grouped(s)                                       ? s.routed_scale
                              : s.routing == shapes::Routing::softmax_topk_renorm ? 1.0
                                                                                  : 0.0;  // 0: not checked
    const auto where = [&](std::int64_t t, int slot) {
        return fmt::format("token {} slot {} ({} T={} E={} k={}, logits seed {:#x})", t, slot,
                           shapes::routing_name(s.routing), s.tokens, s.experts, k, in.seed);
    };
    std::int64_t loose = 0;
    for (std::int64_t t = 0; t < s.tokens; ++t) {
        std::set<std::int32_t> distinct;
        double sum = 0.0;
        for (int i = 0; i < k; ++i) {
            const auto at = static_cast<std::size_t>(t * k + i);
            if (ids[at] < 0 || ids[at] >= s.experts) return fmt::format("{}: id {} out of range", where(t, i), ids[at]);
            if (!std::isfinite(weights[at])) return fmt::format("{}: weight {}", where(t, i), weights[at]);
            distinct.insert(ids[at]);
            sum += weights[at];
        }
        if (static_cast<int>(distinct.size()) != k) return fmt::format("{}: an expert chosen twice", where(t, 0));
        if (weight_sum > 0.0 && !(std::abs(sum - weight_sum) <= kWeightSumTolerance * weight_sum)) {
            return fmt::format("{}: the weights sum to {}, not {}", where(t, 0), sum, weight_sum);
        }
        if (!ref.robust[static_cast<std::size_t>(t)]) {
            ++loose;
            continue;
        }
        for (int i = 0; i < k; ++i) {
            const auto at = static_cast<std::size_t>(t * k + i);
            if (ids[at] != ref.ids[at]) {
                return fmt::format("{}: expert {} but the reference chose {}", where(t, i), ids[at], ref.ids[at]);
            }
            const double want = ref.weights[at];
            if (!(std::abs(weights[at] - want) <= kWeightTolerance * std::abs(want))) {
                return fmt::format("{}: weight {} but the float64 reference is {} (relative error {:.3g} > {:.3g})",
                                   where(t, i), weights[at], want, std::abs(weights[at] - want) / std::abs(want),
                                   kWeightTolerance);
            }
        }
    }
    if (loose > s.tokens / 20 + 1) {
        return fmt::format("{} of {} tokens are near-ties that only get loose checks (logits seed {:#x})", loose,
                           s.tokens, in.seed);
    }
    return "";
}

// ptxkit's routing op for the model, on the inputs, into its own outputs.
struct PtxkitRouting {
    std::shared_ptr<const RoutingInputs> in;
    DeviceBuffer weights;  // [T, k] f32
    DeviceBuffer ids;      // [T, k] i32
    TensorView logits_view, bias_view, weights_view, ids_view;

    explicit PtxkitRouting(std::shared_ptr<const RoutingInputs> inputs) : in(std::move(inputs)) {
        const shapes::MoeShape& s = in->shape;
        const std::int64_t t = s.tokens;
        const std::int64_t k = s.top_k;
        weights = DeviceBuffer(static_cast<std::size_t>(t * k) * sizeof(float));
        ids = DeviceBuffer(static_cast<std::size_t>(t * k) * sizeof(std::int32_t));
        logits_view = TensorView::contiguous(in->logits_dev.get(), DType::bf16, {t, s.experts});
        if (is_grouped(s)) bias_view = TensorView::contiguous(in->bias_dev.get(), DType::f32, {s.experts});
        weights_view = TensorView::contiguous(weights.get(), DType::f32, {t, k});
        ids_view = TensorView::contiguous(ids.get(), DType::i32, {t, k});
    }

    void run(CUstream stream) const {
        const shapes::MoeShape& s = in->shape;
        if (is_grouped(s)) {
            ptxkit::moe::GroupedTopkOptions options;
            options.k = s.top_k;
            options.num_groups = s.groups;
            options.topk_group = s.topk_groups;
            options.routed_scaling_factor = static_cast<float>(s.routed_scale);
            ptxkit::moe::topk_grouped_sigmoid(logits_view, bias_view, weights_view, ids_view, options, stream);
        } else {
            ptxkit::moe::topk_softmax(logits_view, weights_view, ids_view, s.top_k,
                                      s.routing == shapes::Routing::softmax_topk_renorm, stream);
        }
    }
};

bench::Work routing_work(std::shared_ptr<const RoutingInputs> inputs) {
    auto routing = std::make_shared<const PtxkitRouting>(std::move(inputs));
    bench::Work w;
    w.run = [routing](CUstream s) { routing->run(s); };
    w.verify = [routing](CUstream s) {
        bench::poison(routing->weights, 0xff, s);  // NaN
        bench::poison(routing->ids, 0xff, s);      // -1
        routing->run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        const auto n = static_cast<std::size_t>(routing->in->shape.tokens * routing->in->shape.top_k);
        return check_routing(*routing->in, routing->weights.to_host<float>(n),
                             routing->ids.to_host<std::int32_t>(n));
    };
    return w;
}

void register_routing(const bench::Options& options) {
    for (const shapes::Phase phase : {shapes::Phase::decode, shapes::Phase::prefill}) {
        for (const shapes::MoeShape& shape : shapes::llm_moe(phase, options.quick)) {
            const std::uint64_t seed = bench::derive_seed(options.seed, "moe.routing:" + shape.name);
            bench::Case c;
            c.suite = "routing";
            c.impl = bench::kOurs;
            c.name = shape.name;
            c.bytes = routing_bytes(shape);
            c.setup = [shape, seed] { return routing_work(make_routing_inputs(shape, seed)); };
            // No cublas_fallback: there is no cuBLAS routing to compare with.
            bench::register_case(std::move(c));
        }
    }
}

// ===========================================================================
// grouped_gemm

constexpr int kLtCandidates = 4;  // heuristic results timed to pick the loop's algorithm

struct GroupedKey {
    std::string model;
    std::int64_t tokens = 0;
    bool operator==(const GroupedKey&) const = default;
};
using WeightCache = bench::LastValueCache<std::string, const bench::ExpertWeights>;
using InputCache = bench::LastValueCache<GroupedKey, const bench::GroupedGemmInputs>;

// The gate/up projection of one expert: [2 · expert_ffn, hidden].
std::int64_t gate_up_n(const shapes::MoeShape& s) { return 2 * std::int64_t{s.expert_ffn}; }

// A grouped GEMM implementation (anything with run(CUstream) writing D):
// verification poisons D with NaNs, runs once and checks sampled outputs.
template <class Gemm>
bench::Work grouped_work(std::shared_ptr<const bench::GroupedGemmInputs> inputs, std::shared_ptr<DeviceBuffer> d,
                         std::shared_ptr<Gemm> gemm) {
    bench::Work w;
    w.run = [inputs, d, gemm](CUstream s) { gemm->run(s); };  // gemm points into inputs and d
    w.verify = [inputs, d, gemm](CUstream s) {
        bench::poison(*d, 0xff, s);
        gemm->run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        return bench::check_grouped_gemm_bf16(*inputs, d->address());
    };
    return w;
}

bench::GroupedGemmOperands operands(const bench::GroupedGemmInputs& in, const DeviceBuffer& d) {
    return {in.a_dev.get(), in.weights->dev.get(), d.get(), in.rows, in.n(), in.k()};
}

bench::Work grouped_batched_work(std::shared_ptr<const bench::GroupedGemmInputs> inputs) {
    auto d = std::make_shared<DeviceBuffer>(bench::grouped_gemm_output_bytes(*inputs));
    auto gemm = std::make_shared<bench::CublasGroupedBatchedGemm>(bench::env().cublas(), operands(*inputs, *d));
    return grouped_work(std::move(inputs), std::move(d), std::move(gemm));
}

bench::Work lt_loop_work(std::shared_ptr<const bench::GroupedGemmInputs> inputs) {
    bench::Environment& e = bench::env();
    auto d = std::make_shared<DeviceBuffer>(bench::grouped_gemm_output_bytes(*inputs));
    auto gemm = std::make_shared<bench::CublasLtExpertLoop>(e.cublas(), operands(*inputs, *d));
    gemm->select_fastest(e.timer(), kLtCandidates, bench::CublasLtGemm::selection_timing(e.options().timing));
    return grouped_work(std::move(inputs), std::move(d), std::move(gemm));
}

// ---- ptxkit's row: align's layout of the same rows ----

constexpr int kBlockM = ptxkit::moe::kGroupedGemmBlockM;
constexpr std::size_t kBf16 = 2;
// The full comparison with cuBLAS covers at most this many elements (every
// row when D is smaller, evenly spaced rows otherwise).
constexpr std::int64_t kCompareElements = std::int64_t{1} << 26;
constexpr double kVsCublasTolerance = 2e-2;  // bf16 D from two accumulation orders: a couple of ulps

// ptxkit::moe::grouped_gemm on a case's rows in align's layout: expert e's
// rows at padded_offsets[e] (segments padded to kBlockM rows with zero rows,
// as permute writes them), block_expert and total_padded on the device.
struct PtxkitGroupedGemm {
    std::shared_ptr<const bench::GroupedGemmInputs> in;
    std::vector<std::int64_t> padded_offsets;  // [E + 1]
    std::int64_t total = 0;
    DeviceBuffer a_pad, d_pad, blocks, total_dev;
    TensorView a, w, block_expert, total_padded, out;

    explicit PtxkitGroupedGemm(std::shared_ptr<const bench::GroupedGemmInputs> inputs) : in(std::move(inputs)) {
        const int experts = in->experts();
        const std::int64_t k = in->k(), n = in->n();
        padded_offsets.assign(static_cast<std::size_t>(experts) + 1, 0);
        for (int e = 0; e < experts; ++e) {
            const std::int64_t rows = in->rows[static_cast<std::size_t>(e)];
            padded_offsets[static_cast<std::size_t>(e) + 1] =
                padded_offsets[static_cast<std::size_t>(e)] + (rows + kBlockM - 1) / kBlockM * kBlockM;
        }
        total = padded_offsets.back();
        std::vector<std::int32_t> block_of(static_cast<std::size_t>(total / kBlockM), -1);
        for (int e = 0; e < experts; ++e) {
            for (std::int64_t r = padded_offsets[static_cast<std::size_t>(e)];
                 r < padded_offsets[static_cast<std::size_t>(e) + 1]; r += kBlockM) {
                block_of[static_cast<std::size_t>(r / kBlockM)] = e;
            }
        }
        a_pad = DeviceBuffer(static_cast<std::size_t>(total * k) * kBf16);
        d_pad = DeviceBuffer(static_cast<std::size_t>(total * n) * kBf16);
        blocks = DeviceBuffer::from(block_of);
        total_dev = DeviceBuffer::from(std::vector<std::int32_t>{static_cast<std::int32_t>(total)});
        a_pad.fill(0);
        for (int e = 0; e < experts; ++e) {
            const std::int64_t rows = in->rows[static_cast<std::size_t>(e)];
            if (rows == 0) continue;
            PTXKIT_CU(cuMemcpyDtoDAsync,
                      a_pad.address() + static_cast<std::size_t>(padded_offsets[static_cast<std::size_t>(e)] * k) * kBf16,
                      in->a_dev.address() + static_cast<std::size_t>(in->offsets[static_cast<std::size_t>(e)] * k) * kBf16,
                      static_cast<std::size_t>(rows * k) * kBf16, nullptr);
        }
        bench::wait_for_uploads();
        a = TensorView::contiguous(a_pad.get(), DType::bf16, {total, k});
        w = TensorView::contiguous(in->weights->dev.get(), DType::bf16, {experts, n, k});
        block_expert = TensorView::contiguous(blocks.get(), DType::i32, {total / kBlockM});
        total_padded = TensorView::contiguous(total_dev.get(), DType::i32, {1});
        out = TensorView::contiguous(d_pad.get(), DType::bf16, {total, n});
        const ptxkit::moe::GroupedGemmPlan plan =
            ptxkit::moe::grouped_gemm_plan(a, w, block_expert, total_padded, kBlockM, out, {});
        fmt::print(stderr, "ptxkit grouped gemm E={} rows={} (padded {}) N={} K={}: kernel {} config {} grid {}\n",
                   experts, in->total_rows(), total, n, k, plan.kernel, plan.config, plan.grid);
    }

    void run(CUstream s) const { ptxkit::moe::grouped_gemm(a, w, block_expert, total_padded, kBlockM, out, {}, s); }

    // Every expert's rows of the padded D into `compact` [rows, n], the
    // baselines' layout, ordered on `s`.
    void compact_output(const DeviceBuffer& compact, CUstream s) const {
        const std::int64_t n = in->n();
        for (std::size_t e = 0; e < in->rows.size(); ++e) {
            if (in->rows[e] == 0) continue;
            PTXKIT_CU(cuMemcpyDtoDAsync, compact.address() + static_cast<std::size_t>(in->offsets[e] * n) * kBf16,
                      d_pad.address() + static_cast<std::size_t>(padded_offsets[e] * n) * kBf16,
                      static_cast<std::size_t>(in->rows[e] * n) * kBf16, s);
        }
    }
};

// D from ptxkit against D from cuBLAS, element by element (rows spaced out
// past kCompareElements): |ours - cuBLAS| <= tol * (|cuBLAS| + rms(cuBLAS)).
std::string compare_with_cublas(const bench::GroupedGemmInputs& in, const DeviceBuffer& ours,
                                const DeviceBuffer& cublas) {
    const std::int64_t rows = in.total_rows(), n = in.n();
    const std::int64_t step = std::max<std::int64_t>(1, rows * n / kCompareElements);
    std::vector<double> got, want;
    std::vector<std::int64_t> where;
    std::vector<std::uint16_t> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < rows; r += step) {
        ours.download(a.data(), a.size() * kBf16, static_cast<std::size_t>(r * n) * kBf16);
        cublas.download(b.data(), b.size() * kBf16, static_cast<std::size_t>(r * n) * kBf16);
        for (std::int64_t c = 0; c < n; ++c) {
            got.push_back(ptxkit::testing::bf16_to_f32(a[static_cast<std::size_t>(c)]));
            want.push_back(ptxkit::testing::bf16_to_f32(b[static_cast<std::size_t>(c)]));
        }
    }
    const std::string failure = ptxkit::testing::compare_to_reference(
        got, want, kVsCublasTolerance,
        fmt::format("ptxkit vs cublasGroupedBatched (every {}th row, N={} K={}, {} rows over {} experts)", step, n,
                    in.k(), rows, in.experts()));
    return failure;
}

bench::Work ptxkit_grouped_work(std::shared_ptr<const bench::GroupedGemmInputs> inputs) {
    auto gemm = std::make_shared<PtxkitGroupedGemm>(inputs);
    // The baselines' layout, for the float64 samples and the cuBLAS comparison.
    auto compact = std::make_shared<DeviceBuffer>(bench::grouped_gemm_output_bytes(*inputs));
    auto cublas_d = std::make_shared<DeviceBuffer>(bench::grouped_gemm_output_bytes(*inputs));
    auto cublas = std::make_shared<bench::CublasGroupedBatchedGemm>(bench::env().cublas(), operands(*inputs, *cublas_d));
    bench::Work w;
    w.run = [gemm](CUstream s) { gemm->run(s); };
    w.verify = [inputs, gemm, compact, cublas_d, cublas](CUstream s) {
        bench::poison(gemm->d_pad, 0xff, s);
        bench::poison(*compact, 0xff, s);
        gemm->run(s);
        gemm->compact_output(*compact, s);
        cublas->run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        std::string failure = bench::check_grouped_gemm_bf16(*inputs, compact->address());
        if (failure.empty()) failure = compare_with_cublas(*inputs, *compact, *cublas_d);
        return failure;
    };
    return w;
}

void register_grouped_gemm(const bench::Options& options, const std::shared_ptr<WeightCache>& weight_cache) {
    const auto input_cache = std::make_shared<InputCache>();
    // Model by model (decode then prefill token counts), so that each model's
    // expert weights (DeepSeek-V3: 256 × 4096 × 7168 bf16, 15 GB) are built
    // and uploaded once.
    std::vector<shapes::MoeShape> all = shapes::llm_moe(shapes::Phase::decode, options.quick);
    for (shapes::MoeShape& s : shapes::llm_moe(shapes::Phase::prefill, options.quick)) all.push_back(std::move(s));
    std::vector<std::string> models;
    for (const shapes::MoeShape& s : all) {
        if (std::find(models.begin(), models.end(), s.model) == models.end()) models.push_back(s.model);
    }
    for (const std::string& model : models) {
        for (const shapes::MoeShape& shape : all) {
            if (shape.model != model) continue;
            const std::int64_t n = gate_up_n(shape);
            const std::int64_t k = shape.hidden;
            const std::vector<std::int64_t> rows = bench::balanced_expert_rows(shape.tokens, shape.top_k,
                                                                               shape.experts);
            const std::uint64_t weight_seed = bench::derive_seed(options.seed, "moe.gate_up.weights:" + model);
            const std::uint64_t seed = bench::derive_seed(options.seed, "moe.gate_up:" + shape.name);
            // The previous inputs (and with them, on a new model, the previous
            // weights) are dropped before the new ones are built.
            const auto inputs = [weight_cache, input_cache, shape, n, k, rows, weight_seed, seed] {
                return input_cache->get(GroupedKey{shape.model, shape.tokens}, [&] {
                    auto weights = weight_cache->get(shape.model, [&] {
                        return bench::make_expert_weights(shape.experts, n, k, weight_seed);
                    });
                    return bench::make_grouped_gemm_inputs(std::move(weights), rows, seed);
                });
            };
            bench::Case c;
            c.suite = "grouped_gemm";
            c.name = fmt::format("{}.gate_up:t{}", shape.model, shape.tokens);
            c.flops = bench::grouped_gemm_flops(rows, n, k);
            c.bytes = bench::grouped_gemm_bytes(rows, n, k);

            c.impl = "cublasGroupedBatched";
            c.setup = [inputs] { return grouped_batched_work(inputs()); };
            bench::register_case(c);

            c.impl = "cublasLtLoop";
            c.setup = [inputs] { return lt_loop_work(inputs()); };
            bench::register_case(c);

            // Ours after the baselines of the same case, so that vs_cublas
            // uses the cuBLAS medians just measured.
            c.impl = bench::kOurs;
            c.setup = [inputs] { return ptxkit_grouped_work(inputs()); };
            c.cublas_fallback = [inputs] { return grouped_batched_work(inputs()); };
            bench::register_case(c);
        }
    }
}

// ===========================================================================
// fused_moe

constexpr double kFusedTolerance = 3e-2;  // bf16 h and y rounded on the way, fp32 sums
constexpr int kFusedSampledTokens = 3;

// The w13 weight seed is the gate/up suite's, so both suites share one upload.
std::uint64_t gate_up_weight_seed(std::uint64_t base, const std::string& model) {
    return bench::derive_seed(base, "moe.gate_up.weights:" + model);
}

struct FusedInputs {
    shapes::MoeShape shape;
    std::shared_ptr<const bench::ExpertWeights> w13;  // [E, 2 I, H]
    std::shared_ptr<const bench::ExpertWeights> w2;   // [E, H, I]
    std::shared_ptr<const RoutingInputs> routing;     // logits [T, E] bf16, bias [E]
    std::uint64_t seed = 0;
    std::vector<std::uint16_t> hidden;  // [T, H] bf16 bits
    DeviceBuffer hidden_dev;
};

struct PtxkitFusedMoe {
    std::shared_ptr<const FusedInputs> in;
    DeviceBuffer out, workspace;
    TensorView hidden, logits, w13, w2, out_view;
    ptxkit::moe::FusedMoeOptions options;

    explicit PtxkitFusedMoe(std::shared_ptr<const FusedInputs> inputs) : in(std::move(inputs)) {
        const shapes::MoeShape& s = in->shape;
        const std::int64_t t = s.tokens, h = s.hidden, i = s.expert_ffn;
        out = DeviceBuffer(static_cast<std::size_t>(t * h) * kBf16);
        const std::size_t bytes = ptxkit::moe::fused_moe_workspace_size(t, h, i, s.experts, s.top_k, DType::bf16);
        workspace = DeviceBuffer(bytes);
        hidden = TensorView::contiguous(in->hidden_dev.get(), DType::bf16, {t, h});
        logits = TensorView::contiguous(in->routing->logits_dev.get(), DType::bf16, {t, s.experts});
        w13 = TensorView::contiguous(in->w13->dev.get(), DType::bf16, {s.experts, 2 * i, h});
        w2 = TensorView::contiguous(in->w2->dev.get(), DType::bf16, {s.experts, h, i});
        out_view = TensorView::contiguous(out.get(), DType::bf16, {t, h});
        options.k = s.top_k;
        if (is_grouped(s)) {
            options.routing = ptxkit::moe::MoeRouting::grouped_sigmoid_topk;
            options.num_groups = s.groups;
            options.topk_group = s.topk_groups;
            options.routed_scaling_factor = static_cast<float>(s.routed_scale);
            options.bias = TensorView::contiguous(in->routing->bias_dev.get(), DType::f32, {s.experts});
        } else {
            options.routing = ptxkit::moe::MoeRouting::softmax_topk;
            options.renormalize = s.routing == shapes::Routing::softmax_topk_renorm;
        }
        fmt::print(stderr, "ptxkit fused_moe {}: workspace {:.1f} MiB\n", s.name, static_cast<double>(bytes) / (1 << 20));
    }

    void run(CUstream s) const {
        ptxkit::moe::fused_moe(hidden, logits, w13, w2, out_view, options, workspace.get(), workspace.bytes(), s);
    }
};

// sum_k a[k] b[k] over bf16 bits in float64.
double dot_bf16(const std::uint16_t* a, const std::uint16_t* b, std::int64_t n) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(ptxkit::testing::bf16_to_f32(a[i])) * ptxkit::testing::bf16_to_f32(b[i]);
    }
    return sum;
}

// The layer's output for token t in float64, from the reference routing.
std::vector<double> fused_token_reference(const FusedInputs& in, const ptxkit::testing::RoutingResult& routing,
                                          std::int64_t t) {
    const shapes::MoeShape& s = in.shape;
    const std::int64_t h = s.hidden, inter = s.expert_ffn;
    const std::uint16_t* x = in.hidden.data() + t * h;
    std::vector<double> out(static_cast<std::size_t>(h), 0.0), act(static_cast<std::size_t>(inter));
    std::vector<std::uint16_t> act_bits(static_cast<std::size_t>(inter));
    for (int j = 0; j < s.top_k; ++j) {
        const auto slot = static_cast<std::size_t>(t * s.top_k + j);
        const std::int64_t e = routing.ids[slot];
        const std::uint16_t* gate_up = in.w13->host.data() + e * 2 * inter * h;
        for (std::int64_t i = 0; i < inter; ++i) {
            act[static_cast<std::size_t>(i)] =
                ptxkit::testing::silu(dot_bf16(x, gate_up + i * h, h)) * dot_bf16(x, gate_up + (inter + i) * h, h);
        }
        const std::uint16_t* down = in.w2->host.data() + e * h * inter;
        for (std::int64_t c = 0; c < h; ++c) {
            const std::uint16_t* row = down + c * inter;
            double sum = 0.0;
            for (std::int64_t i = 0; i < inter; ++i) sum += act[static_cast<std::size_t>(i)] * ptxkit::testing::bf16_to_f32(row[i]);
            out[static_cast<std::size_t>(c)] += routing.weights[slot] * sum;
        }
    }
    return out;
}

// Tokens first, middle and last (those the reference marks robust) against
// the float64 layer: tol * (|ref| + rms(ref)) per element.
std::string check_fused(const FusedInputs& in, const DeviceBuffer& out) {
    const shapes::MoeShape& s = in.shape;
    const ptxkit::testing::RoutingResult routing = routing_reference(*in.routing);
    std::set<std::int64_t> tokens;
    for (int i = 0; i < kFusedSampledTokens; ++i) tokens.insert(s.tokens * i / std::max(kFusedSampledTokens - 1, 1));
    tokens.insert(s.tokens - 1);
    std::vector<double> got, want;
    std::vector<std::uint16_t> row(static_cast<std::size_t>(s.hidden));
    int checked = 0;
    for (std::int64_t t : tokens) {
        t = std::min(t, s.tokens - 1);
        if (!routing.robust[static_cast<std::size_t>(t)]) continue;  // a near-tie float32 may route either way
        ++checked;
        out.download(row.data(), row.size() * kBf16, static_cast<std::size_t>(t * s.hidden) * kBf16);
        const std::vector<double> ref = fused_token_reference(in, routing, t);
        for (std::int64_t c = 0; c < s.hidden; ++c) {
            got.push_back(ptxkit::testing::bf16_to_f32(row[static_cast<std::size_t>(c)]));
            want.push_back(ref[static_cast<std::size_t>(c)]);
        }
    }
    if (checked == 0) return fmt::format("no robust token among the sampled ones (seed {:#x})", in.seed);
    return ptxkit::testing::compare_to_reference(
        got, want, kFusedTolerance,
        fmt::format("fused_moe {} ({} sampled tokens, seeds {:#x} / {:#x} / {:#x})", s.name, checked, in.seed,
                    in.w13->seed, in.w2->seed));
}

bench::Work fused_work(std::shared_ptr<const FusedInputs> inputs) {
    auto moe = std::make_shared<PtxkitFusedMoe>(inputs);
    bench::Work w;
    w.run = [moe](CUstream s) { moe->run(s); };
    w.verify = [moe](CUstream s) {
        bench::poison(moe->out, 0xff, s);
        bench::poison(moe->workspace, 0xff, s);
        moe->run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        return check_fused(*moe->in, moe->out);
    };
    return w;
}

// Weights of the experts the routing reaches (each read once), hidden and
// logits read, out written.
double fused_bytes(const shapes::MoeShape& s, std::uint64_t routing_seed) {
    RoutingInputs host;
    (void)fill_routing_host(host, s, routing_seed);
    const ptxkit::testing::RoutingResult r = routing_reference(host);
    const std::set<std::int32_t> active(r.ids.begin(), r.ids.end());
    const double per_expert = 3.0 * s.hidden * static_cast<double>(s.expert_ffn) * kBf16;
    return static_cast<double>(active.size()) * per_expert + 2.0 * static_cast<double>(s.tokens) * s.hidden * kBf16 +
           static_cast<double>(s.tokens) * s.experts * kBf16;
}

void register_fused_moe(const bench::Options& options, const std::shared_ptr<WeightCache>& gate_up_cache) {
    const auto down_cache = std::make_shared<WeightCache>();
    const std::vector<std::int64_t> token_counts =
        options.quick ? std::vector<std::int64_t>{1, 128} : std::vector<std::int64_t>{1, 16, 128, 1024, 4096};
    shapes::MoeShape base;
    for (const shapes::MoeShape& s : shapes::llm_moe(shapes::Phase::decode, false)) {
        if (s.model == "deepseek-v3") {
            base = s;
            break;
        }
    }
    if (base.model.empty()) return;
    for (const std::int64_t t : token_counts) {
        shapes::MoeShape shape = base;
        shape.tokens = t;
        shape.name = fmt::format("{}:t{}", base.model, t);
        const std::uint64_t routing_seed = bench::derive_seed(options.seed, "moe.fused.routing:" + shape.name);
        const std::uint64_t hidden_seed = bench::derive_seed(options.seed, "moe.fused.hidden:" + shape.name);
        const std::uint64_t w13_seed = gate_up_weight_seed(options.seed, shape.model);
        const std::uint64_t w2_seed = bench::derive_seed(options.seed, "moe.down.weights:" + shape.model);
        bench::Case c;
        c.suite = "fused_moe";
        c.impl = bench::kOurs;
        c.name = shape.name;
        c.flops = 6.0 * static_cast<double>(t) * shape.top_k * shape.hidden * static_cast<double>(shape.expert_ffn);
        c.bytes = fused_bytes(shape, routing_seed);
        c.setup = [gate_up_cache, down_cache, shape, routing_seed, hidden_seed, w13_seed, w2_seed] {
            auto in = std::make_shared<FusedInputs>();
            in->shape = shape;
            in->seed = hidden_seed;
            in->w13 = gate_up_cache->get(shape.model, [&] {
                return bench::make_expert_weights(shape.experts, gate_up_n(shape), shape.hidden, w13_seed);
            });
            in->w2 = down_cache->get(shape.model, [&] {
                return bench::make_expert_weights(shape.experts, shape.hidden, shape.expert_ffn, w2_seed);
            });
            in->routing = make_routing_inputs(shape, routing_seed);
            in->hidden.resize(static_cast<std::size_t>(shape.tokens * shape.hidden));
            bench::fill_random_bf16(in->hidden, hidden_seed);
            in->hidden_dev = DeviceBuffer::from(in->hidden);
            bench::wait_for_uploads();
            return fused_work(std::move(in));
        };
        // No cublas_fallback: cuBLAS has no fused MoE layer.
        bench::register_case(std::move(c));
    }
}

void register_cases(const bench::Options& options) {
    register_routing(options);
    // One expert-weight cache for both suites: DeepSeek-V3's w13 (15 GB) is
    // built and uploaded once, by the last grouped_gemm model and the fused layer.
    const auto gate_up_weights = std::make_shared<WeightCache>();
    register_grouped_gemm(options, gate_up_weights);
    register_fused_moe(options, gate_up_weights);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, "bench_moe", register_cases); }
