// Attention inputs and the once-per-case result checks of bench_attention.
//
// One host representation serves every case: the packed, token-major layout
// ptxkit reads (a fixed-length batch [B, S, H, D] is the packed layout with
// equal lengths; a decode step is the packed layout with one query per
// sequence and the cached context as its keys):
//   q [total_q, Hq,  D_qk]   sequence b's queries are rows cu_q[b] .. cu_q[b+1]-1
//   k [total_k, Hkv, D_qk]   its keys rows cu_k[b] .. cu_k[b+1]-1
//   v [total_k, Hkv, D_v]
//   o [total_q, Hq,  D_v]
// Semantics: include/ptxkit/attention.hpp (query i of a sequence with S_q
// queries and S_k keys sees keys j <= i + S_k - S_q when causal; query head h
// reads KV head h / (Hq / Hkv)).
//
// The checks:
//   check_sampled_rows   a few output rows (four corners and 12 random ones)
//                        against a float64 CPU computation from the same bf16
//                        inputs;
//   compare_outputs      every output element against a reference output
//                        (the cuBLAS baseline's, itself checked by the first).
// An element passes when
//   |o - ref| <= kElementTolerance * (|ref| + rms(ref row))
// with the rms over the D_v elements of its (query, head) row: relative to the
// element, with the row's typical magnitude as a floor, since an attention
// output is an average whose elements can cancel to near zero. The whole
// output must also agree in rms: sqrt(sum (o - ref)^2 / sum ref^2) <=
// kRmsTolerance. A row that sees no key must be exactly 0; NaN or inf never
// passes.
//
// The margins: the baseline rounds S, P and O to bf16 (fp32 accumulation); a
// CPU emulation of it against float64 (S 1k-4k, D 64-256, causal and not) had
// a worst element at 0.011 of (|ref| + row rms) over ~40k elements and an rms
// error of 0.003, i.e. a per-element spread of about 0.003. ptxkit against
// the baseline differs by both errors (spread ~0.0045 with fp32 S on our
// side), so over 33M elements the expected worst is ~0.025: 5e-2 leaves a 2x
// margin, 1e-2 on the rms about 2.5x. What the check exists to catch, a wrong
// mask, head, page or tile, moves elements by a sizeable part of the row rms
// and the rms error by 0.1 or more.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ptxkit::bench {

inline constexpr double kElementTolerance = 5e-2;
inline constexpr double kRmsTolerance = 1e-2;

struct AttentionProblem {
    std::vector<std::int64_t> seqlens_q;  // per sequence
    std::vector<std::int64_t> seqlens_k;  // per sequence
    int heads_q = 0;
    int heads_kv = 0;
    int d_qk = 0;
    int d_v = 0;
    bool causal = false;
    float scale = 0.0f;  // the softmax scale (1 / sqrt(d_qk) when built by make_attention_data with 0)

    std::int64_t batch() const noexcept { return static_cast<std::int64_t>(seqlens_q.size()); }
    int group() const noexcept { return heads_q / heads_kv; }  // query heads per KV head
};

// bf16 inputs (bit patterns), uniform in [-1, 1) for k and v and in [-2, 2)
// for q (so the logits have a standard deviation of about 2/3 at every D, and
// the softmax is neither flat nor one-hot).
struct AttentionData {
    AttentionProblem problem;
    std::uint64_t seed = 0;
    std::vector<std::int64_t> cu_q;  // [batch + 1], prefix sums of seqlens_q
    std::vector<std::int64_t> cu_k;  // [batch + 1]
    std::vector<std::uint16_t> q;    // [total_q, heads_q, d_qk]
    std::vector<std::uint16_t> k;    // [total_k, heads_kv, d_qk]
    std::vector<std::uint16_t> v;    // [total_k, heads_kv, d_v]

    std::int64_t total_q() const noexcept { return cu_q.back(); }
    std::int64_t total_k() const noexcept { return cu_k.back(); }
    std::size_t output_elements() const noexcept {
        return static_cast<std::size_t>(total_q()) * static_cast<std::size_t>(problem.heads_q) *
               static_cast<std::size_t>(problem.d_v);
    }
};

// Checks the sizes (Hq a multiple of Hkv, lengths >= 0) and fills the inputs
// from `seed`; scale 0 becomes 1 / sqrt(d_qk).
AttentionData make_attention_data(AttentionProblem problem, std::uint64_t seed);

// Token-major [total, heads, d] (sequence b at rows cu[b] ..) to the
// per-sequence head-major blocks [heads, seqlen_b, d], in sequence order, and
// back: the cuBLAS baseline's layout (common/cublas_attention.hpp).
std::vector<std::uint16_t> to_head_major(std::span<const std::uint16_t> x, const std::vector<std::int64_t>& cu,
                                         int heads, int d);
std::vector<std::uint16_t> to_token_major(std::span<const std::uint16_t> x, const std::vector<std::int64_t>& cu,
                                          int heads, int d);

// `o` (bf16 bits, token-major, complete) against the float64 computation on
// the corners and 12 rows drawn from the data's seed. "" when right, else the
// first failure, naming `who` and the seed.
std::string check_sampled_rows(const AttentionData& data, std::span<const std::uint16_t> o, const std::string& who);

// Every element of `o` against `reference` (both bf16 bits, token-major).
std::string compare_outputs(const AttentionData& data, std::span<const std::uint16_t> o,
                            std::span<const std::uint16_t> reference, const std::string& who);

}  // namespace ptxkit::bench
