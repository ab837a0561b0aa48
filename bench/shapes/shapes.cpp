#include "shapes/shapes.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ptxkit::bench::shapes {
namespace {

// The model dimensions, from each model's config.json on Hugging Face (the
// field names are in ModelConfig's comments):
//
// meta-llama/Meta-Llama-3-8B: hidden_size 4096, num_attention_heads 32,
//   num_key_value_heads 8 (no head_dim field: 4096 / 32 = 128),
//   intermediate_size 14336, vocab_size 128256.
// meta-llama/Meta-Llama-3-70B: hidden_size 8192, num_attention_heads 64,
//   num_key_value_heads 8 (head dim 8192 / 64 = 128), intermediate_size 28672,
//   vocab_size 128256.
// Qwen/Qwen3-30B-A3B: hidden_size 2048, num_attention_heads 32,
//   num_key_value_heads 4, head_dim 128 (so the attention width 32 * 128 = 4096
//   is not hidden_size), num_experts 128, num_experts_per_tok 8,
//   moe_intermediate_size 768, norm_topk_prob true, vocab_size 151936; every
//   layer is MoE (decoder_sparse_step 1, mlp_only_layers []), so its
//   intermediate_size 6144 is unused.
// mistralai/Mixtral-8x7B-v0.1: hidden_size 4096, num_attention_heads 32,
//   num_key_value_heads 8 (head dim 128), num_local_experts 8,
//   num_experts_per_tok 2, intermediate_size 14336 (the width of each expert;
//   every layer is MoE), vocab_size 32000. Routing renormalises the top-2
//   softmax weights.
// deepseek-ai/DeepSeek-V3: hidden_size 7168, num_attention_heads 128,
//   num_key_value_heads 128, q_lora_rank 1536, kv_lora_rank 512,
//   qk_nope_head_dim 128, qk_rope_head_dim 64, v_head_dim 128,
//   intermediate_size 18432 (the first_k_dense_replace = 3 dense layers),
//   n_routed_experts 256, n_shared_experts 1, num_experts_per_tok 8,
//   moe_intermediate_size 2048, n_group 8, topk_group 4,
//   routed_scaling_factor 2.5, scoring_func "sigmoid", norm_topk_prob true,
//   vocab_size 129280.
const std::vector<ModelConfig> kModels = {
    {.id = "llama3-8b",
     .hf_repo = "meta-llama/Meta-Llama-3-8B",
     .hidden = 4096,
     .heads = 32,
     .kv_heads = 8,
     .head_dim = 128,
     .dense_ffn = 14336,
     .vocab = 128256},
    {.id = "llama3-70b",
     .hf_repo = "meta-llama/Meta-Llama-3-70B",
     .hidden = 8192,
     .heads = 64,
     .kv_heads = 8,
     .head_dim = 128,
     .dense_ffn = 28672,
     .vocab = 128256},
    {.id = "qwen3-30b-a3b",
     .hf_repo = "Qwen/Qwen3-30B-A3B",
     .hidden = 2048,
     .heads = 32,
     .kv_heads = 4,
     .head_dim = 128,
     .dense_ffn = 0,
     .vocab = 151936,
     .experts = 128,
     .top_k = 8,
     .expert_ffn = 768,
     .routing = Routing::softmax_topk_renorm},
    {.id = "mixtral-8x7b",
     .hf_repo = "mistralai/Mixtral-8x7B-v0.1",
     .hidden = 4096,
     .heads = 32,
     .kv_heads = 8,
     .head_dim = 128,
     .dense_ffn = 0,
     .vocab = 32000,
     .experts = 8,
     .top_k = 2,
     .expert_ffn = 14336,
     .routing = Routing::softmax_topk_renorm},
    {.id = "deepseek-v3",
     .hf_repo = "deepseek-ai/DeepSeek-V3",
     .hidden = 7168,
     .heads = 128,
     .kv_heads = 128,
     .head_dim = 128,  // v_head_dim; QK heads are qk_nope_head_dim + qk_rope_head_dim = 192
     .dense_ffn = 18432,
     .vocab = 129280,
     .experts = 256,
     .top_k = 8,
     .expert_ffn = 2048,
     .shared_experts = 1,
     .groups = 8,
     .topk_groups = 4,
     .routing = Routing::grouped_sigmoid_topk,
     .routed_scale = 2.5,
     .q_lora_rank = 1536,
     .kv_lora_rank = 512,
     .qk_nope_head_dim = 128,
     .qk_rope_head_dim = 64,
     .v_head_dim = 128},
};

// One weight matrix: [n, k] (out features, in features).
struct Layer {
    const char* name;
    std::int64_t n;
    std::int64_t k;
};

std::vector<Layer> dense_layers(const ModelConfig& c, Phase phase) {
    std::vector<Layer> layers;
    if (c.is_mla()) {
        // MLA: hidden -> [q latent | kv latent | shared rope key] in one GEMM
        // (q_a_proj and kv_a_proj_with_mqa fused, as vLLM and SGLang run them),
        // then the per-head up projections from the latents.
        const std::int64_t qk_head = c.qk_nope_head_dim + c.qk_rope_head_dim;
        layers.push_back({"qkv_a", c.q_lora_rank + c.kv_lora_rank + c.qk_rope_head_dim, c.hidden});
        layers.push_back({"q_b", std::int64_t{c.heads} * qk_head, c.q_lora_rank});
        layers.push_back({"kv_b", std::int64_t{c.heads} * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank});
        layers.push_back({"o", c.hidden, std::int64_t{c.heads} * c.v_head_dim});
    } else {
        layers.push_back({"qkv", std::int64_t{c.heads + 2 * c.kv_heads} * c.head_dim, c.hidden});
        layers.push_back({"o", c.hidden, std::int64_t{c.heads} * c.head_dim});
    }
    if (c.dense_ffn > 0) {
        layers.push_back({"gate_up", 2 * std::int64_t{c.dense_ffn}, c.hidden});
        layers.push_back({"down", c.hidden, c.dense_ffn});
    }
    if (c.shared_experts > 0) {
        const std::int64_t width = std::int64_t{c.shared_experts} * c.expert_ffn;
        layers.push_back({"shared_gate_up", 2 * width, c.hidden});
        layers.push_back({"shared_down", c.hidden, width});
    }
    if (c.is_moe()) layers.push_back({"router", c.experts, c.hidden});
    if (phase == Phase::decode) layers.push_back({"lm_head", c.vocab, c.hidden});
    return layers;
}

}  // namespace

const char* phase_name(Phase phase) noexcept { return phase == Phase::decode ? "decode" : "prefill"; }

const char* routing_name(Routing routing) noexcept {
    switch (routing) {
        case Routing::softmax_topk: return "softmax_topk";
        case Routing::softmax_topk_renorm: return "softmax_topk_renorm";
        case Routing::grouped_sigmoid_topk: return "grouped_sigmoid_topk";
    }
    return "?";
}

const std::vector<ModelConfig>& models() { return kModels; }

std::vector<std::int64_t> token_counts(Phase phase, bool quick) {
    if (phase == Phase::decode) {
        if (quick) return {1, 16, 128};
        return {1, 2, 4, 8, 16, 32, 64, 128, 256};
    }
    if (quick) return {4096};
    return {1024, 2048, 4096, 8192, 16384};
}

std::vector<GemmShape> square_gemms(bool quick) {
    const std::vector<std::int64_t> sizes = quick ? std::vector<std::int64_t>{1024, 4096, 4095, 8192}
                                                  : std::vector<std::int64_t>{256,  512,  1000, 1024, 2048, 4095,
                                                                              4096, 4097, 8191, 8192, 16384};
    std::vector<GemmShape> out;
    for (const std::int64_t s : sizes) out.push_back({fmt::format("{0}x{0}x{0}", s), s, s, s});
    return out;
}

std::vector<GemmShape> llm_gemms(Phase phase, bool quick) {
    std::vector<GemmShape> out;
    for (const ModelConfig& c : kModels) {
        for (const Layer& layer : dense_layers(c, phase)) {
            for (const std::int64_t m : token_counts(phase, quick)) {
                out.push_back({fmt::format("{}.{}:{}x{}x{}", c.id, layer.name, m, layer.n, layer.k), m, layer.n,
                               layer.k});
            }
        }
    }
    return out;
}

std::vector<AttentionShape> llm_attention(Phase phase, bool quick, std::int64_t decode_context) {
    std::vector<AttentionShape> out;
    for (const ModelConfig& c : kModels) {
        for (const std::int64_t t : token_counts(phase, quick)) {
            AttentionShape s;
            s.model = c.id;
            s.phase = phase;
            s.q_heads = c.heads;
            if (phase == Phase::decode) {
                s.name = fmt::format("{}:b{}.kv{}", c.id, t, decode_context);
                s.batch = t;
                s.q_len = 1;
                s.kv_len = decode_context;
                s.causal = false;  // the one new token sees the whole context
                s.page_size = 16;
            } else {
                s.name = fmt::format("{}:t{}", c.id, t);
                s.batch = 1;
                s.q_len = t;
                s.kv_len = t;
                s.causal = true;
            }
            if (c.is_mla() && phase == Phase::decode) {
                // Absorbed MLA: every query head attends to the one latent
                // cache entry per token ([kv latent | rope key]).
                s.kv_heads = 1;
                s.head_dim_qk = c.kv_lora_rank + c.qk_rope_head_dim;
                s.head_dim_v = c.kv_lora_rank;
            } else if (c.is_mla()) {
                s.kv_heads = c.kv_heads;
                s.head_dim_qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
                s.head_dim_v = c.v_head_dim;
            } else {
                s.kv_heads = c.kv_heads;
                s.head_dim_qk = c.head_dim;
                s.head_dim_v = c.head_dim;
            }
            out.push_back(s);
        }
    }
    return out;
}

std::int64_t AttentionShape::total_q() const noexcept {
    std::int64_t total = 0;
    for (const std::int64_t len : seqlens) total += len;
    return seqlens.empty() ? batch * q_len : total;
}

std::int64_t AttentionShape::total_k() const noexcept {
    std::int64_t total = 0;
    for (const std::int64_t len : seqlens) total += len;
    return seqlens.empty() ? batch * kv_len : total;
}

std::vector<AttentionShape> fa3_attention(bool quick) {
    constexpr std::int64_t kTokens = 16384;
    constexpr int kHidden = 2048;
    const std::vector<int> dims = quick ? std::vector<int>{128} : std::vector<int>{64, 128, 256};
    const std::vector<std::int64_t> seqlens = quick ? std::vector<std::int64_t>{1024, 4096}
                                                    : std::vector<std::int64_t>{512, 1024, 2048, 4096, 8192, 16384};
    std::vector<AttentionShape> out;
    for (const int d : dims) {
        for (const std::int64_t seqlen : seqlens) {
            for (const bool causal : {false, true}) {
                AttentionShape s;
                s.model = "fa3";
                s.phase = Phase::prefill;
                s.batch = kTokens / seqlen;
                s.q_len = seqlen;
                s.kv_len = seqlen;
                s.q_heads = kHidden / d;
                s.kv_heads = s.q_heads;
                s.head_dim_qk = d;
                s.head_dim_v = d;
                s.causal = causal;
                s.name = fmt::format("fa3.d{}:b{}.s{}.h{}{}", d, s.batch, seqlen, s.q_heads, causal ? ".causal" : "");
                out.push_back(s);
            }
        }
    }
    return out;
}

std::vector<AttentionShape> varlen_attention(bool quick) {
    constexpr std::int64_t kTokens = 16384;
    constexpr std::int64_t kMin = 64;
    constexpr std::int64_t kMax = 4096;
    // The lengths are part of the case, not of the run's inputs: a fixed
    // splitmix64 stream, so every run (and every seed) times the same batch.
    std::uint64_t state = 0x7661726c656e3136ull;  // "varlen16"
    const auto next = [&state] {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    };
    std::vector<std::int64_t> lengths;
    std::int64_t total = 0;
    while (total < kTokens) {
        std::int64_t len = kMin + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(kMax - kMin + 1));
        len = std::min(len, kTokens - total);
        if (len < kMin) {  // a short remainder joins the previous sequence
            lengths.back() += len;
        } else {
            lengths.push_back(len);
        }
        total += len;
    }
    std::vector<AttentionShape> out;
    for (const bool causal : {false, true}) {
        if (quick && !causal) continue;
        AttentionShape s;
        s.model = "varlen";
        s.phase = Phase::prefill;
        s.batch = static_cast<std::int64_t>(lengths.size());
        s.q_len = *std::max_element(lengths.begin(), lengths.end());
        s.kv_len = s.q_len;
        s.q_heads = 16;
        s.kv_heads = 16;
        s.head_dim_qk = 128;
        s.head_dim_v = 128;
        s.causal = causal;
        s.seqlens = lengths;
        s.name = fmt::format("varlen.d128:t{}.n{}.h16{}", kTokens, lengths.size(), causal ? ".causal" : "");
        out.push_back(s);
    }
    return out;
}

std::vector<AttentionShape> decode_attention(bool quick) {
    const std::vector<std::int64_t> contexts = quick ? std::vector<std::int64_t>{1024, 4096}
                                                     : std::vector<std::int64_t>{1024, 4096, 16384};
    std::vector<AttentionShape> out;
    for (const std::int64_t batch : {1, 16, 64}) {
        for (const std::int64_t context : contexts) {
            for (const int page : {16, 64}) {
                AttentionShape s;
                s.model = "gqa32-8";
                s.phase = Phase::decode;
                s.batch = batch;
                s.q_len = 1;
                s.kv_len = context;
                s.q_heads = 32;
                s.kv_heads = 8;
                s.head_dim_qk = 128;
                s.head_dim_v = 128;
                s.page_size = page;
                s.name = fmt::format("gqa32-8.d128:b{}.kv{}.p{}", batch, context, page);
                out.push_back(s);
            }
        }
    }
    return out;
}

std::vector<MoeShape> llm_moe(Phase phase, bool quick) {
    std::vector<MoeShape> out;
    for (const ModelConfig& c : kModels) {
        if (!c.is_moe()) continue;
        for (const std::int64_t t : token_counts(phase, quick)) {
            MoeShape s;
            s.name = fmt::format("{}:t{}", c.id, t);
            s.model = c.id;
            s.phase = phase;
            s.tokens = t;
            s.hidden = c.hidden;
            s.expert_ffn = c.expert_ffn;
            s.experts = c.experts;
            s.top_k = c.top_k;
            s.shared_experts = c.shared_experts;
            s.groups = c.groups;
            s.topk_groups = c.topk_groups;
            s.routing = c.routing;
            s.routed_scale = c.routed_scale;
            out.push_back(s);
        }
    }
    return out;
}

}  // namespace ptxkit::bench::shapes
