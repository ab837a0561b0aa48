#include "support/attention_reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ptxkit::testing {

bool attention_key_visible(std::int64_t i, std::int64_t j, std::int64_t seqlen_q, std::int64_t seqlen_k,
                           const AttentionMaskSpec& mask) {
    if (j < 0 || j >= seqlen_k || i < 0 || i >= seqlen_q) return false;
    const std::int64_t pos = i + seqlen_k - seqlen_q;
    if (mask.window_left >= 0 && j < pos - mask.window_left) return false;
    if (mask.window_right >= 0 && j > pos + mask.window_right) return false;
    return true;
}

AttentionResult reference_attention(const AttentionProblem& p) {
    if (p.cu_q.size() != p.cu_k.size() || p.cu_q.empty()) throw std::invalid_argument("cu_q / cu_k sizes");
    if (p.heads_kv <= 0 || p.heads_q % p.heads_kv != 0) throw std::invalid_argument("heads");
    const std::int64_t total_q = p.cu_q.back();
    const std::int64_t d = p.head_dim;
    const int group = p.heads_q / p.heads_kv;
    AttentionResult r;
    r.o.assign(static_cast<std::size_t>(total_q * p.heads_q * d), 0.0);
    r.lse.assign(static_cast<std::size_t>(p.heads_q * total_q), -std::numeric_limits<double>::infinity());
    std::vector<double> s;
    for (std::size_t b = 0; b + 1 < p.cu_q.size(); ++b) {
        const std::int64_t q0 = p.cu_q[b], sq = p.cu_q[b + 1] - p.cu_q[b];
        const std::int64_t k0 = p.cu_k[b], sk = p.cu_k[b + 1] - p.cu_k[b];
        s.resize(static_cast<std::size_t>(std::max<std::int64_t>(sk, 1)));
        for (int h = 0; h < p.heads_q; ++h) {
            const int hk = h / group;
            for (std::int64_t i = 0; i < sq; ++i) {
                const double* qi = &p.q[static_cast<std::size_t>(((q0 + i) * p.heads_q + h) * d)];
                double max_s = -std::numeric_limits<double>::infinity();
                for (std::int64_t j = 0; j < sk; ++j) {
                    if (!attention_key_visible(i, j, sq, sk, p.mask)) {
                        s[j] = -std::numeric_limits<double>::infinity();
                        continue;
                    }
                    const double* kj = &p.k[static_cast<std::size_t>(((k0 + j) * p.heads_kv + hk) * d)];
                    double dot = 0;
                    for (std::int64_t e = 0; e < d; ++e) dot += qi[e] * kj[e];
                    double x = dot * p.scale;
                    if (p.softcap > 0) x = p.softcap * std::tanh(x / p.softcap);
                    s[j] = x;
                    max_s = std::max(max_s, x);
                }
                if (max_s == -std::numeric_limits<double>::infinity()) continue;  // o = 0, lse = -inf
                double sum = 0;
                for (std::int64_t j = 0; j < sk; ++j) {
                    s[j] = std::exp(s[j] - max_s);  // exp(-inf) = 0 for masked keys
                    sum += s[j];
                }
                double* oi = &r.o[static_cast<std::size_t>(((q0 + i) * p.heads_q + h) * d)];
                for (std::int64_t j = 0; j < sk; ++j) {
                    if (s[j] == 0.0) continue;
                    const double w = s[j] / sum;
                    const double* vj = &p.v[static_cast<std::size_t>(((k0 + j) * p.heads_kv + hk) * d)];
                    for (std::int64_t e = 0; e < d; ++e) oi[e] += w * vj[e];
                }
                r.lse[static_cast<std::size_t>(h * total_q + q0 + i)] = max_s + std::log(sum);
            }
        }
    }
    return r;
}

PagedLocation paged_location(const std::vector<std::int32_t>& page_table_row, std::int64_t position,
                             std::int64_t page_size) {
    const std::int64_t slot = position / page_size;
    if (position < 0 || slot >= static_cast<std::int64_t>(page_table_row.size())) {
        throw std::out_of_range("position beyond the page table");
    }
    return {page_table_row[static_cast<std::size_t>(slot)], position % page_size};
}

}  // namespace ptxkit::testing
