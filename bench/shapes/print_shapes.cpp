// ptxkit-shapes: prints every shape suite, to review them without a GPU.
//   ptxkit-shapes [--mode=quick|full]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <string_view>

#include "shapes/shapes.hpp"

namespace shapes = ptxkit::bench::shapes;

namespace {

void print_gemms(std::string_view suite, const std::vector<shapes::GemmShape>& list) {
    fmt::print("{} ({} GEMMs, D[m,n] = A[m,k] * B[n,k]^T)\n", suite, list.size());
    for (const auto& s : list) fmt::print("  {:<44} m={:<6} n={:<7} k={}\n", s.name, s.m, s.n, s.k);
}

void print_attention(std::string_view suite, const std::vector<shapes::AttentionShape>& list) {
    fmt::print("attention {} ({} cases)\n", suite, list.size());
    for (const auto& s : list) {
        fmt::print("  {:<36} batch={:<4} q_len={:<6} kv_len={:<6} heads q/kv={}/{} dim qk/v={}/{}{}", s.name, s.batch,
                   s.q_len, s.kv_len, s.q_heads, s.kv_heads, s.head_dim_qk, s.head_dim_v, s.causal ? " causal" : "");
        if (s.page_size > 0) fmt::print(" page={}", s.page_size);
        if (s.is_varlen()) fmt::print(" seqlens={} (total {})", fmt::join(s.seqlens, ","), s.total_q());
        fmt::print("\n");
    }
}

void print_moe(shapes::Phase phase, bool quick) {
    const auto list = shapes::llm_moe(phase, quick);
    fmt::print("moe {} ({} cases)\n", shapes::phase_name(phase), list.size());
    for (const auto& s : list) {
        fmt::print("  {:<28} tokens={:<6} hidden={} width={} experts={} top_k={} shared={} groups={}/{} {} x{}\n",
                   s.name, s.tokens, s.hidden, s.expert_ffn, s.experts, s.top_k, s.shared_experts, s.topk_groups,
                   s.groups, shapes::routing_name(s.routing), s.routed_scale);
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--mode=quick" || arg == "--mode=full") {
            quick = arg == "--mode=quick";
        } else {
            std::fprintf(stderr, "usage: ptxkit-shapes [--mode=quick|full]\n");
            return arg == "--help" || arg == "-h" ? 0 : 1;
        }
    }
    fmt::print("models:\n");
    for (const auto& m : shapes::models()) {
        fmt::print("  {:<14} {:<30} hidden={} heads={}/{} head_dim={} ffn={} vocab={} experts={} top_k={} "
                   "expert_ffn={}\n",
                   m.id, m.hf_repo, m.hidden, m.heads, m.kv_heads, m.head_dim, m.dense_ffn, m.vocab, m.experts,
                   m.top_k, m.expert_ffn);
    }
    print_gemms("square", shapes::square_gemms(quick));
    print_gemms("decode", shapes::llm_gemms(shapes::Phase::decode, quick));
    print_gemms("prefill", shapes::llm_gemms(shapes::Phase::prefill, quick));
    print_attention("decode", shapes::llm_attention(shapes::Phase::decode, quick));
    print_attention("prefill", shapes::llm_attention(shapes::Phase::prefill, quick));
    print_attention("fa3", shapes::fa3_attention(quick));
    print_attention("varlen", shapes::varlen_attention(quick));
    print_attention("paged decode", shapes::decode_attention(quick));
    print_moe(shapes::Phase::decode, quick);
    print_moe(shapes::Phase::prefill, quick);
    return 0;
}
