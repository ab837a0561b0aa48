// bench_attention: ptxkit's fused attention (include/ptxkit/attention.hpp)
// against the cuBLAS unfused path (common/cublas_attention.hpp: QK^T and PV as
// cublasGemmStridedBatchedEx calls around a masked softmax kernel), bf16 in
// and out, over the suites
//   prefill        FlashAttention-3's shapes (shapes::fa3_attention): 16k
//                  tokens, hidden 2048, seqlen 512..16k, D 64/128/256, causal
//                  and not; fixed-length batches
//   varlen         the same totals as one packed batch of random lengths
//                  (shapes::varlen_attention)
//   decode         one new token per sequence over a paged KV cache, GQA 32/8,
//                  D 128, batch 1/16/64 x context 1k/4k/16k x page 16/64
//                  (shapes::decode_attention)
//   model_prefill  (full mode) every model's prefill attention, one causal
//                  sequence of 1k..16k tokens (shapes::llm_attention)
//   model_decode   (full mode) every model's decode attention, batch 1..256
//                  over 4k cached tokens in 16-token pages
// Impls: "cublasUnfused" (the baseline; in decode it reads a dense,
// contiguous copy of the KV cache, not the pages) and "ptxkit"
// (attention_prefill / attention_decode on the automatic path, with the
// decode workspace it asks for; the plan that served each case is printed on
// stderr). Shapes ptxkit's attention does not take (DeepSeek-V3's MLA head
// dimensions) have a baseline row only.
//
// Counters: prefill TFLOPs (4 * S_q * S_k * H * D per sequence, halved when
// causal, as FlashAttention counts) and GBps (q, k, v read and o written
// once), pct_peak against whichever bounds; decode GBps only (K and V read
// once, q read, o written; the page table is not counted), pct_peak against
// the measured copy bandwidth.
//
// Verification, once per row before timing: the baseline's output is checked
// on sampled rows against a float64 CPU computation from the same bf16
// inputs, and then serves as the reference: every element of ptxkit's output
// is compared with it (common/attention_check.hpp has the bounds), after the
// same float64 spot check. Outputs are poisoned (NaN) before the checked run;
// the unused rows of the last page of each sequence hold NaN, so reading past
// a sequence's end shows.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "common/attention_check.hpp"
#include "common/cases.hpp"
#include "common/cublas_attention.hpp"
#include "common/device.hpp"
#include "common/environment.hpp"
#include "common/last_value_cache.hpp"
#include "common/main.hpp"
#include "common/random.hpp"
#include "ptxkit/attention.hpp"
#include "ptxkit/error.hpp"
#include "ptxkit/tensor.hpp"
#include "shapes/shapes.hpp"
#include "support/gpu.hpp"

namespace {

namespace bench = ptxkit::bench;
namespace shapes = ptxkit::bench::shapes;
using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;

constexpr const char* kBaseline = "cublasUnfused";
constexpr std::size_t kElementBytes = 2;      // bf16
constexpr std::uint16_t kBf16Nan = 0x7fc0u;  // what unused cache rows hold

// Why ptxkit's attention cannot run `s` ("" when it can): one head dimension
// D in {64, 128, 256} for q, k, v and o; 1..8 new queries in decode.
std::string ptxkit_unsupported(const shapes::AttentionShape& s) {
    if (s.head_dim_qk != s.head_dim_v) {
        return fmt::format("D_qk {} != D_v {} (ptxkit's attention has one head dimension)", s.head_dim_qk,
                           s.head_dim_v);
    }
    if (s.head_dim_qk != 64 && s.head_dim_qk != 128 && s.head_dim_qk != 256) {
        return fmt::format("head dimension {} (ptxkit's attention takes 64, 128 or 256)", s.head_dim_qk);
    }
    if (s.phase == shapes::Phase::decode && (s.q_len < 1 || s.q_len > 8)) return "decode q_len outside 1..8";
    return "";
}

std::vector<std::int64_t> lengths(const shapes::AttentionShape& s, std::int64_t each) {
    return s.is_varlen() ? s.seqlens : std::vector<std::int64_t>(static_cast<std::size_t>(s.batch), each);
}

bench::AttentionProblem problem_of(const shapes::AttentionShape& s) {
    bench::AttentionProblem p;
    p.seqlens_q = lengths(s, s.q_len);
    p.seqlens_k = lengths(s, s.kv_len);
    p.heads_q = s.q_heads;
    p.heads_kv = s.kv_heads;
    p.d_qk = s.head_dim_qk;
    p.d_v = s.head_dim_v;
    p.causal = s.causal;
    p.scale = 0.0f;  // 1 / sqrt(D_qk), for both impls
    return p;
}

// 2 * S_q * S_k * H * (D_qk + D_v) per sequence: the two GEMMs' multiply-adds;
// halved when causal (FlashAttention's convention for S_q = S_k).
double attention_flops(const shapes::AttentionShape& s) {
    const std::vector<std::int64_t> sq = lengths(s, s.q_len);
    const std::vector<std::int64_t> sk = lengths(s, s.kv_len);
    double flops = 0.0;
    for (std::size_t b = 0; b < sq.size(); ++b) {
        flops += 2.0 * static_cast<double>(sq[b]) * static_cast<double>(sk[b]) * s.q_heads *
                 (s.head_dim_qk + s.head_dim_v);
    }
    return s.causal ? flops / 2.0 : flops;
}

// q, k and v read once, o written once.
double attention_bytes(const shapes::AttentionShape& s) {
    const auto tq = static_cast<double>(s.total_q());
    const auto tk = static_cast<double>(s.total_k());
    return kElementBytes * (tq * s.q_heads * (s.head_dim_qk + s.head_dim_v) +
                            tk * s.kv_heads * (s.head_dim_qk + s.head_dim_v));
}

// The inputs of one problem, shared by its rows (and by the page sizes of a
// decode case), with the baseline's verified output once there is one.
struct Inputs {
    shapes::AttentionShape shape;  // the first row's (page size aside, every row's)
    bench::AttentionData data;
    // ptxkit's layout (token-major). Decode: q only; the paged K/V are built per row.
    DeviceBuffer q, k, v;
    DeviceBuffer cu_q, cu_k;  // i32 [batch + 1], varlen only
    // The baseline's layout (per-sequence head-major; decode: a dense cache).
    DeviceBuffer q_hm, k_hm, v_hm;
    // The baseline's output (token-major), once it passed the float64 check;
    // otherwise why not.
    std::vector<std::uint16_t> reference;
    std::string reference_error;
};

std::string inputs_key(const shapes::AttentionShape& s) {
    return fmt::format("b{}.q{}.k{}.h{}-{}.d{}-{}{}{}", s.batch, s.q_len, s.kv_len, s.q_heads, s.kv_heads,
                       s.head_dim_qk, s.head_dim_v, s.causal ? ".causal" : "",
                       s.is_varlen() ? fmt::format(".varlen{}", fmt::join(s.seqlens, ",")) : "");
}

DeviceBuffer upload(const std::vector<std::uint16_t>& host) { return DeviceBuffer::from(host); }

std::shared_ptr<Inputs> make_inputs(const shapes::AttentionShape& shape, std::uint64_t seed) {
    auto in = std::make_shared<Inputs>();
    in->shape = shape;
    in->data = bench::make_attention_data(problem_of(shape), seed);
    const bench::AttentionData& d = in->data;
    const bench::AttentionProblem& p = d.problem;
    in->q = upload(d.q);
    if (shape.phase == shapes::Phase::prefill) {
        in->k = upload(d.k);
        in->v = upload(d.v);
    }
    if (shape.is_varlen()) {
        std::vector<std::int32_t> cu(d.cu_q.begin(), d.cu_q.end());
        in->cu_q = DeviceBuffer::from(cu);
        cu.assign(d.cu_k.begin(), d.cu_k.end());
        in->cu_k = DeviceBuffer::from(cu);
    }
    in->q_hm = upload(bench::to_head_major(d.q, d.cu_q, p.heads_q, p.d_qk));
    in->k_hm = upload(bench::to_head_major(d.k, d.cu_k, p.heads_kv, p.d_qk));
    in->v_hm = upload(bench::to_head_major(d.v, d.cu_k, p.heads_kv, p.d_v));
    bench::wait_for_uploads();
    return in;
}

// ===========================================================================
// The cuBLAS unfused baseline

struct UnfusedRun {
    DeviceBuffer o;  // head-major
    std::unique_ptr<bench::CublasUnfusedAttention> attention;

    explicit UnfusedRun(const Inputs& in) : o(in.data.output_elements() * kElementBytes) {
        const bench::AttentionData& d = in.data;
        const bench::AttentionProblem& p = d.problem;
        bench::UnfusedAttentionConfig config;
        config.dtype = DType::bf16;
        config.s_dtype = DType::bf16;
        config.heads_per_group = p.group();
        config.d_qk = p.d_qk;
        config.d_v = p.d_v;
        config.causal = p.causal;
        config.softmax_scale = p.scale;
        const auto at = [](const DeviceBuffer& b, std::int64_t elements) {
            return static_cast<unsigned char*>(b.get()) + static_cast<std::size_t>(elements) * kElementBytes;
        };
        std::vector<bench::UnfusedSegment> segments;
        if (!in.shape.is_varlen()) {
            // One segment: every (sequence, KV head) pair has the same lengths.
            segments.push_back({in.q_hm.get(), in.k_hm.get(), in.v_hm.get(), o.get(), p.batch() * p.heads_kv,
                                p.seqlens_q[0], p.seqlens_k[0]});
        } else {
            // One segment per sequence, in the per-sequence head-major blocks.
            for (std::int64_t b = 0; b < p.batch(); ++b) {
                const auto i = static_cast<std::size_t>(b);
                if (p.seqlens_q[i] == 0 || p.seqlens_k[i] == 0) continue;
                segments.push_back({at(in.q_hm, d.cu_q[i] * p.heads_q * p.d_qk),
                                    at(in.k_hm, d.cu_k[i] * p.heads_kv * p.d_qk),
                                    at(in.v_hm, d.cu_k[i] * p.heads_kv * p.d_v), at(o, d.cu_q[i] * p.heads_q * p.d_v),
                                    p.heads_kv, p.seqlens_q[i], p.seqlens_k[i]});
            }
        }
        attention = std::make_unique<bench::CublasUnfusedAttention>(bench::env().cublas(), config,
                                                                    std::move(segments));
    }

    void run(CUstream s) const { attention->run(s); }

    // One run into a poisoned output; the result, token-major.
    std::vector<std::uint16_t> output(const Inputs& in, CUstream s) const {
        bench::poison(o, 0xff, s);
        run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        const bench::AttentionData& d = in.data;
        const std::vector<std::uint16_t> head_major = o.to_host<std::uint16_t>(d.output_elements());
        return bench::to_token_major(head_major, d.cu_q, d.problem.heads_q, d.problem.d_v);
    }
};

// Checks a baseline output and keeps it as the reference when it passes.
std::string accept_reference(Inputs& in, std::vector<std::uint16_t> out) {
    std::string wrong = bench::check_sampled_rows(in.data, out, kBaseline);
    if (!wrong.empty()) {
        in.reference_error = wrong;
    } else if (in.reference.empty()) {
        in.reference = std::move(out);
        in.reference_error.clear();
    }
    return wrong;
}

bench::Work unfused_work(std::shared_ptr<Inputs> in, const std::string& row) {
    auto run = std::make_shared<const UnfusedRun>(*in);
    fmt::print(stderr, "{}: {}{}\n", row, run->attention->description(),
               in->shape.phase == shapes::Phase::decode ? "; reads a dense contiguous KV cache, not the pages" : "");
    bench::Work w;
    w.run = [run](CUstream s) { run->run(s); };
    w.verify = [in, run](CUstream s) { return accept_reference(*in, run->output(*in, s)); };
    return w;
}

// The verified baseline output, computed now when the baseline row did not
// run (filtered out) or ran on other inputs; nullptr when the baseline fails.
const std::vector<std::uint16_t>* reference(Inputs& in, CUstream s) {
    if (in.reference.empty() && in.reference_error.empty()) {
        try {
            const UnfusedRun run(in);
            accept_reference(in, run.output(in, s));
        } catch (const ptxkit::Error& e) {
            if (e.status() == ptxkit::Status::context_unusable) throw;
            in.reference_error = e.what();
        }
    }
    return in.reference.empty() ? nullptr : &in.reference;
}

// ===========================================================================
// ptxkit

const char* path_name(ptxkit::AttentionPath path) {
    switch (path) {
        case ptxkit::AttentionPath::sm90: return "sm90";
        case ptxkit::AttentionPath::sm80: return "sm80";
        default: return "automatic";
    }
}

std::string describe_plan(const ptxkit::AttentionPlan& plan) {
    return fmt::format("ptxkit plan: path {} kernel {} config {} block {}x{} grid {} tiles {} splits {}",
                       path_name(plan.path), plan.kernel, plan.config, plan.block_m, plan.block_n, plan.grid,
                       plan.tiles, plan.splits);
}

TensorView view(const DeviceBuffer& b, DType dtype, std::initializer_list<std::int64_t> shape) {
    return TensorView::contiguous(b.get(), dtype, shape);
}

// attention_prefill on the token-major inputs (fixed-length or packed).
struct PtxkitPrefill {
    std::shared_ptr<Inputs> in;
    DeviceBuffer o;
    ptxkit::AttentionArgs fixed;
    ptxkit::VarlenAttentionArgs varlen;
    ptxkit::AttentionOptions options;
    std::string plan_label;

    PtxkitPrefill(std::shared_ptr<Inputs> inputs, const std::string& row)
        : in(std::move(inputs)), o(in->data.output_elements() * kElementBytes) {
        const shapes::AttentionShape& s = in->shape;
        const bench::AttentionProblem& p = in->data.problem;
        options.causal = p.causal;
        options.softmax_scale = p.scale;
        ptxkit::AttentionPlan plan;
        if (s.is_varlen()) {
            const std::int64_t tq = in->data.total_q();
            const std::int64_t tk = in->data.total_k();
            varlen.q = view(in->q, DType::bf16, {tq, p.heads_q, p.d_qk});
            varlen.k = view(in->k, DType::bf16, {tk, p.heads_kv, p.d_qk});
            varlen.v = view(in->v, DType::bf16, {tk, p.heads_kv, p.d_v});
            varlen.o = view(o, DType::bf16, {tq, p.heads_q, p.d_v});
            varlen.cu_seqlens_q = view(in->cu_q, DType::i32, {p.batch() + 1});
            varlen.cu_seqlens_k = view(in->cu_k, DType::i32, {p.batch() + 1});
            varlen.max_seqlen_q = *std::max_element(p.seqlens_q.begin(), p.seqlens_q.end());
            varlen.max_seqlen_k = *std::max_element(p.seqlens_k.begin(), p.seqlens_k.end());
            plan = ptxkit::attention_prefill_plan(varlen, options);
        } else {
            fixed.q = view(in->q, DType::bf16, {s.batch, s.q_len, p.heads_q, p.d_qk});
            fixed.k = view(in->k, DType::bf16, {s.batch, s.kv_len, p.heads_kv, p.d_qk});
            fixed.v = view(in->v, DType::bf16, {s.batch, s.kv_len, p.heads_kv, p.d_v});
            fixed.o = view(o, DType::bf16, {s.batch, s.q_len, p.heads_q, p.d_v});
            plan = ptxkit::attention_prefill_plan(fixed, options);
        }
        plan_label = describe_plan(plan);
        fmt::print(stderr, "{}: {}\n", row, plan_label);
    }

    void run(CUstream s) const {
        if (in->shape.is_varlen()) {
            ptxkit::attention_prefill(varlen, options, s);
        } else {
            ptxkit::attention_prefill(fixed, options, s);
        }
    }
};

// attention_decode over a paged copy of the inputs' K/V: each sequence's
// pages are scattered over the cache in a random order (from the input seed),
// and the rows of a last page past the sequence's end hold NaN.
struct PtxkitDecode {
    std::shared_ptr<Inputs> in;
    DeviceBuffer k_cache, v_cache, page_table, seq_lens, o, workspace;
    ptxkit::DecodeAttentionArgs args;
    std::string plan_label;
    ptxkit::DecodeAttentionOptions options;

    PtxkitDecode(std::shared_ptr<Inputs> inputs, int page_size, const std::string& row)
        : in(std::move(inputs)), o(in->data.output_elements() * kElementBytes) {
        const bench::AttentionData& d = in->data;
        const bench::AttentionProblem& p = d.problem;
        const std::int64_t batch = p.batch();
        const std::int64_t context = in->shape.kv_len;
        const std::int64_t q_len = in->shape.q_len;
        const std::int64_t pages_per_seq = (context + page_size - 1) / page_size;
        const std::int64_t num_pages = batch * pages_per_seq;

        std::vector<std::int32_t> table(static_cast<std::size_t>(num_pages));
        std::iota(table.begin(), table.end(), 0);
        const std::uint64_t shuffle = bench::derive_seed(d.seed, fmt::format("pages:{}", page_size));
        for (std::size_t i = table.size(); i > 1; --i) {  // Fisher-Yates
            const auto j = static_cast<std::size_t>(bench::mix64(shuffle + i) % i);
            std::swap(table[i - 1], table[j]);
        }
        const auto paged = [&](const std::vector<std::uint16_t>& x, int dim) {
            const auto row_elems = static_cast<std::size_t>(p.heads_kv) * static_cast<std::size_t>(dim);
            std::vector<std::uint16_t> cache(static_cast<std::size_t>(num_pages * page_size) * row_elems, kBf16Nan);
            for (std::int64_t b = 0; b < batch; ++b) {
                for (std::int64_t pos = 0; pos < context; ++pos) {
                    const auto page = table[static_cast<std::size_t>(b * pages_per_seq + pos / page_size)];
                    const auto slot = static_cast<std::size_t>(std::int64_t{page} * page_size + pos % page_size);
                    const auto from = static_cast<std::size_t>(d.cu_k[static_cast<std::size_t>(b)] + pos);
                    std::copy_n(x.data() + from * row_elems, row_elems, cache.data() + slot * row_elems);
                }
            }
            return cache;
        };
        k_cache = upload(paged(d.k, p.d_qk));
        v_cache = upload(paged(d.v, p.d_v));
        page_table = DeviceBuffer::from(table);
        seq_lens = DeviceBuffer::from(std::vector<std::int32_t>(static_cast<std::size_t>(batch),
                                                                static_cast<std::int32_t>(context)));
        bench::wait_for_uploads();

        args.q = view(in->q, DType::bf16, {batch, q_len, p.heads_q, p.d_qk});
        args.k_cache = view(k_cache, DType::bf16, {num_pages, page_size, p.heads_kv, p.d_qk});
        args.v_cache = view(v_cache, DType::bf16, {num_pages, page_size, p.heads_kv, p.d_v});
        args.page_table = view(page_table, DType::i32, {batch, pages_per_seq});
        args.seq_lens = view(seq_lens, DType::i32, {batch});
        args.o = view(o, DType::bf16, {batch, q_len, p.heads_q, p.d_v});
        args.max_seq_len = context;
        options.softmax_scale = p.scale;
        const std::size_t bytes =
            ptxkit::attention_decode_workspace_size(batch, q_len, p.heads_q, p.heads_kv, p.d_qk, context);
        if (bytes > 0) {
            workspace = DeviceBuffer(bytes);
            options.workspace = workspace.get();
            options.workspace_bytes = bytes;
        }
        plan_label = describe_plan(ptxkit::attention_decode_plan(args, options));
        fmt::print(stderr, "{}: {} (workspace {} bytes, {} pages of {})\n", row, plan_label, bytes, num_pages,
                   page_size);
    }

    void run(CUstream s) const { ptxkit::attention_decode(args, options, s); }
};

// Poisons the output, runs once, checks against float64 on sampled rows and
// then element by element against the baseline's output.
template <class Impl>
bench::Work ptxkit_work(std::shared_ptr<Impl> impl) {
    bench::Work w;
    w.label = impl->plan_label;
    w.run = [impl](CUstream s) { impl->run(s); };
    w.verify = [impl](CUstream s) -> std::string {
        Inputs& in = *impl->in;
        const std::vector<std::uint16_t>* ref = reference(in, s);
        bench::poison(impl->o, 0xff, s);
        impl->run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        const std::vector<std::uint16_t> out = impl->o.template to_host<std::uint16_t>(in.data.output_elements());
        if (std::string wrong = bench::check_sampled_rows(in.data, out, bench::kOurs); !wrong.empty()) return wrong;
        if (ref == nullptr) {
            fmt::print(stderr,
                       "warning: {}: checked on sampled rows only: the cuBLAS reference is unavailable: {}\n",
                       in.shape.name, in.reference_error);
            return "";
        }
        return bench::compare_outputs(in.data, out, *ref, bench::kOurs);
    };
    return w;
}

// ===========================================================================
// Registration

using InputCache = bench::LastValueCache<std::string, Inputs>;

void register_suite(const std::string& suite, const std::vector<shapes::AttentionShape>& list,
                    const std::shared_ptr<InputCache>& cache, std::uint64_t base_seed) {
    for (const shapes::AttentionShape& shape : list) {
        const std::string key = inputs_key(shape);
        const std::uint64_t seed = bench::derive_seed(base_seed, "attention:" + key);
        const auto inputs = [cache, shape, key, seed] {
            return cache->get(key, [&] { return make_inputs(shape, seed); });
        };
        const bool decode = shape.phase == shapes::Phase::decode;
        bench::Case c;
        c.suite = suite;
        c.name = shape.name;
        c.flops = decode ? 0.0 : attention_flops(shape);  // decode: GB/s is its measure
        c.bytes = attention_bytes(shape);

        const std::string baseline_row = fmt::format("{}/{}/{}", suite, kBaseline, shape.name);
        const auto baseline = [inputs, baseline_row] { return unfused_work(inputs(), baseline_row); };
        c.impl = kBaseline;
        c.setup = baseline;
        bench::register_case(c);

        // Ours after the baseline of the same case, so that vs_cublas uses the
        // cuBLAS median just measured and the reference is already there.
        if (const std::string why = ptxkit_unsupported(shape); !why.empty()) {
            fmt::print(stderr, "bench_attention: {}/{}: no ptxkit row: {}\n", suite, shape.name, why);
            continue;
        }
        const std::string row = fmt::format("{}/{}/{}", suite, bench::kOurs, shape.name);
        c.impl = bench::kOurs;
        if (decode) {
            const int page = shape.page_size > 0 ? shape.page_size : 16;
            c.setup = [inputs, page, row] {
                return ptxkit_work(std::make_shared<const PtxkitDecode>(inputs(), page, row));
            };
        } else {
            c.setup = [inputs, row] { return ptxkit_work(std::make_shared<const PtxkitPrefill>(inputs(), row)); };
        }
        c.cublas_fallback = baseline;
        bench::register_case(c);
    }
}

// Model shapes both impls can run, and DeepSeek-V3's prefill (expanded MLA,
// D_qk 192 / D_v 128) for the baseline alone. Its absorbed decode form
// (D_qk 576 / D_v 512, V the first 512 columns of the K latent) is left out:
// neither side models a V that lives inside K.
std::vector<shapes::AttentionShape> model_shapes(shapes::Phase phase) {
    std::vector<shapes::AttentionShape> out;
    for (shapes::AttentionShape& s : shapes::llm_attention(phase, /*quick=*/false)) {
        if (phase == shapes::Phase::decode && s.head_dim_qk != s.head_dim_v) {
            fmt::print(stderr, "bench_attention: model_decode/{}: left out: absorbed MLA (D_qk {}, D_v {} inside K)\n",
                       s.name, s.head_dim_qk, s.head_dim_v);
            continue;
        }
        out.push_back(std::move(s));
    }
    return out;
}

void register_cases(const bench::Options& options) {
    const auto cache = std::make_shared<InputCache>();
    register_suite("prefill", shapes::fa3_attention(options.quick), cache, options.seed);
    register_suite("varlen", shapes::varlen_attention(options.quick), cache, options.seed);
    register_suite("decode", shapes::decode_attention(options.quick), cache, options.seed);
    if (!options.quick) {
        register_suite("model_prefill", model_shapes(shapes::Phase::prefill), cache, options.seed);
        register_suite("model_decode", model_shapes(shapes::Phase::decode), cache, options.seed);
    }
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, "bench_attention", register_cases); }
