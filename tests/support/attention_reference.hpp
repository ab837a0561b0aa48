// float64 reference of attention, written from the semantics in
// include/ptxkit/attention.hpp (not from any kernel): plain softmax(s) V per
// query row, with the bottom-right aligned causal/window mask and soft-capping.
#pragma once

#include <cstdint>
#include <vector>

namespace ptxkit::testing {

struct AttentionMaskSpec {
    int window_left = -1;   // < 0: unbounded
    int window_right = -1;  // < 0: unbounded; causal: 0
};

// Whether query i (of seqlen_q) may see key j (of seqlen_k).
bool attention_key_visible(std::int64_t i, std::int64_t j, std::int64_t seqlen_q, std::int64_t seqlen_k,
                           const AttentionMaskSpec& mask);

// Packed layouts, dense: q [total_q, Hq, D], k and v [total_k, Hkv, D].
// Sequence b spans rows cu_q[b] .. cu_q[b + 1] - 1 (and cu_k for keys).
struct AttentionProblem {
    int heads_q = 1, heads_kv = 1, head_dim = 64;
    std::vector<std::int64_t> cu_q{0}, cu_k{0};
    std::vector<double> q, k, v;
    double scale = 0.125;
    double softcap = 0.0;
    AttentionMaskSpec mask;
};

struct AttentionResult {
    std::vector<double> o;    // [total_q, Hq, D]
    std::vector<double> lse;  // [Hq, total_q], natural log; -inf where no key is visible
};

AttentionResult reference_attention(const AttentionProblem& p);

// Paged cache addressing, as the decode kernel does it: key position p of a
// sequence lives in page table[p / page_size], row p % page_size.
struct PagedLocation {
    std::int64_t page;
    std::int64_t row;
};
PagedLocation paged_location(const std::vector<std::int32_t>& page_table_row, std::int64_t position,
                             std::int64_t page_size);

}  // namespace ptxkit::testing
