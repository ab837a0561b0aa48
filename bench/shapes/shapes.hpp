// Shape suites for the benchmarks, in one place: square GEMM sweeps and the
// real layers of Llama-3-8B, Llama-3-70B, Qwen3-30B-A3B, Mixtral-8x7B and
// DeepSeek-V3 at decode and prefill token counts. Plain data, CPU only.
//
// Conventions
//   GEMM   D[m,n] = A[m,k] · B[n,k]ᵀ (PyTorch Linear: A the activations, one
//          row per token; B the weight, one row per output feature).
//   decode one new token per sequence; the token count is the batch of
//          sequences (GEMM m, attention batch, MoE tokens).
//   prefill one sequence of that many tokens (causal attention over itself).
//
// Case names are what the benchmarks put after "<suite>/<impl>/": they never
// contain '/', so that tools/report/report.py splits them back unambiguously.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptxkit::bench::shapes {

enum class Phase { decode, prefill };

const char* phase_name(Phase phase) noexcept;  // "decode", "prefill"

// How an MoE layer turns router logits into top-k expert weights.
enum class Routing {
    softmax_topk,         // softmax over all experts, top-k, no renormalisation
    softmax_topk_renorm,  // softmax, top-k, weights divided by their sum (Mixtral, Qwen3-MoE)
    grouped_sigmoid_topk  // DeepSeek-V3: sigmoid, group-limited top-k on biased scores, renormalised, scaled
};

const char* routing_name(Routing routing) noexcept;

// One model's dimensions, as its Hugging Face config.json gives them (field
// names in the comments). Zero where the model has no such part.
struct ModelConfig {
    const char* id = "";       // short name used in case names, e.g. "llama3-8b"
    const char* hf_repo = "";  // where config.json lives
    int hidden = 0;            // hidden_size
    int heads = 0;             // num_attention_heads
    int kv_heads = 0;          // num_key_value_heads
    int head_dim = 0;          // head_dim, or hidden_size / num_attention_heads when absent
    int dense_ffn = 0;         // intermediate_size of the dense MLP layers; 0 when every layer is MoE
    int vocab = 0;             // vocab_size
    // Mixture of experts (experts == 0: a dense model).
    int experts = 0;         // num_local_experts / num_experts / n_routed_experts
    int top_k = 0;           // num_experts_per_tok
    int expert_ffn = 0;      // moe_intermediate_size (Mixtral: intermediate_size, the width of each expert)
    int shared_experts = 0;  // n_shared_experts
    int groups = 1;          // n_group (group-limited routing)
    int topk_groups = 1;     // topk_group
    Routing routing = Routing::softmax_topk_renorm;
    double routed_scale = 1.0;  // routed_scaling_factor
    // Multi-head latent attention (DeepSeek-V3).
    int q_lora_rank = 0;       // q_lora_rank
    int kv_lora_rank = 0;      // kv_lora_rank
    int qk_nope_head_dim = 0;  // qk_nope_head_dim
    int qk_rope_head_dim = 0;  // qk_rope_head_dim
    int v_head_dim = 0;        // v_head_dim

    bool is_moe() const noexcept { return experts > 0; }
    bool is_mla() const noexcept { return kv_lora_rank > 0; }
};

// The five models, in a fixed order.
const std::vector<ModelConfig>& models();

struct GemmShape {
    std::string name;  // "4096x4096x4096", "llama3-8b.qkv:16x6144x4096"
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
};

struct AttentionShape {
    std::string name;  // "llama3-8b:b16.kv4096" (decode), "llama3-8b:t4096" (prefill)
    std::string model;
    Phase phase = Phase::decode;
    std::int64_t batch = 0;   // sequences
    std::int64_t q_len = 0;   // query tokens per sequence (1 in decode); varlen: the longest
    std::int64_t kv_len = 0;  // key/value tokens per sequence (the cached context in decode); varlen: the longest
    int q_heads = 0;
    int kv_heads = 0;     // GQA: q_heads / kv_heads query heads share one K/V head
    int head_dim_qk = 0;  // Q and K
    int head_dim_v = 0;   // V and O
    bool causal = false;
    // Variable-length prefill: every sequence's length (its queries and keys
    // alike, batch of them, summing to `total_tokens()`); empty: every
    // sequence has q_len queries and kv_len keys.
    std::vector<std::int64_t> seqlens;
    // Decode over a paged KV cache: tokens per page; 0 when not paged.
    int page_size = 0;

    bool is_varlen() const noexcept { return !seqlens.empty(); }
    std::int64_t total_q() const noexcept;  // query tokens over the batch
    std::int64_t total_k() const noexcept;  // key tokens over the batch
};

struct MoeShape {
    std::string name;  // "deepseek-v3:t16"
    std::string model;
    Phase phase = Phase::decode;
    std::int64_t tokens = 0;
    int hidden = 0;        // expert input / output width
    int expert_ffn = 0;    // expert width: gate and up are [expert_ffn, hidden], down is [hidden, expert_ffn]
    int experts = 0;       // routed experts
    int top_k = 0;         // experts per token
    int shared_experts = 0;
    int groups = 1;
    int topk_groups = 1;
    Routing routing = Routing::softmax_topk_renorm;
    double routed_scale = 1.0;
};

// Token counts: decode 1, 2, 4, ..., 256; prefill 1024, 2048, ..., 16384.
// quick: decode 1, 16, 128; prefill 4096.
std::vector<std::int64_t> token_counts(Phase phase, bool quick);

// m = n = k: powers of two 256..16384 plus sizes that are not multiples of
// any tile (1000, 4095, 4097, 8191). quick: 1024, 4096, 4095, 8192.
std::vector<GemmShape> square_gemms(bool quick);

// The dense projections of every model at every token count of `phase`:
// attention in/out (QKV, O; DeepSeek-V3's MLA down/up projections), the dense
// MLP (gate_up, down), DeepSeek-V3's shared expert, the MoE router, and the
// LM head (decode only: prefill computes logits for the last token only).
// MoE experts are in llm_moe().
std::vector<GemmShape> llm_gemms(Phase phase, bool quick);

// Attention of every model. decode: `decode_context` cached tokens per
// sequence, one query token each, in a paged cache of 16-token pages (vLLM's
// default block size); prefill: one causal sequence.
// DeepSeek-V3 decode uses the absorbed MLA form (one shared latent K/V head:
// QK dim kv_lora_rank + qk_rope_head_dim, V dim kv_lora_rank); its prefill the
// expanded form (128 heads, QK dim 192, V dim 128).
std::vector<AttentionShape> llm_attention(Phase phase, bool quick, std::int64_t decode_context = 4096);

// FlashAttention-3's forward benchmark shapes (the setting of the FA3 paper's
// H100 figures): 16384 tokens in all and hidden size 2048, so seqlen S in 512 .. 16384
// (powers of two), batch 16384 / S, heads 2048 / D (no GQA), D in 64, 128,
// 256, causal and not; one fixed-length batch each. Names
// "fa3.d<D>:b<B>.s<S>.h<H>" plus ".causal". quick: D 128, S 1024 and 4096.
std::vector<AttentionShape> fa3_attention(bool quick);

// Packed variable-length prefill with FA3's totals: lengths drawn once, from a
// fixed seed (so the case is the same in every run), between 64 and 4096 and
// summing to 16384 tokens; D 128, 16 heads, causal and not. Names
// "varlen.d128:t16384.n<sequences>.h16" plus ".causal". quick: causal only.
std::vector<AttentionShape> varlen_attention(bool quick);

// Paged decode, one new token per sequence: GQA 32 query heads over 8 KV
// heads (Llama-3-8B's attention), D 128, batch 1, 16, 64 x context 1024,
// 4096, 16384 x page size 16, 64. Names "gqa32-8.d128:b<B>.kv<C>.p<P>".
// quick: context 1024 and 4096.
std::vector<AttentionShape> decode_attention(bool quick);

// The MoE layers of the MoE models (Qwen3-30B-A3B, Mixtral-8x7B, DeepSeek-V3).
std::vector<MoeShape> llm_moe(Phase phase, bool quick);

}  // namespace ptxkit::bench::shapes
