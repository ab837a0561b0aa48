#include "common/attention_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/random.hpp"
#include "ptxkit/error.hpp"
#include "support/numeric.hpp"

namespace ptxkit::bench {
namespace {

constexpr int kRandomRows = 12;

double to_double(std::uint16_t bf16) { return testing::bf16_to_f32(bf16); }

std::vector<std::int64_t> prefix_sums(const std::vector<std::int64_t>& lengths) {
    std::vector<std::int64_t> cu(lengths.size() + 1, 0);
    for (std::size_t b = 0; b < lengths.size(); ++b) cu[b + 1] = cu[b] + lengths[b];
    return cu;
}

// The last key query i of sequence b may see; < 0 when it sees none.
std::int64_t last_key(const AttentionProblem& p, std::int64_t b, std::int64_t i) {
    const std::int64_t sq = p.seqlens_q[static_cast<std::size_t>(b)];
    const std::int64_t sk = p.seqlens_k[static_cast<std::size_t>(b)];
    return p.causal ? std::min(sk - 1, i + sk - sq) : sk - 1;
}

// One output row (sequence b, query i, head h) in float64.
std::vector<double> reference_row(const AttentionData& data, std::int64_t b, std::int64_t i, int h) {
    const AttentionProblem& p = data.problem;
    const int g = h / p.group();
    const std::int64_t last = last_key(p, b, i);
    std::vector<double> out(static_cast<std::size_t>(p.d_v), 0.0);
    if (last < 0) return out;
    const std::uint16_t* q = data.q.data() + ((data.cu_q[static_cast<std::size_t>(b)] + i) * p.heads_q + h) * p.d_qk;
    std::vector<double> s(static_cast<std::size_t>(last + 1));
    double max = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j <= last; ++j) {
        const std::uint16_t* k =
            data.k.data() + ((data.cu_k[static_cast<std::size_t>(b)] + j) * p.heads_kv + g) * p.d_qk;
        double dot = 0.0;
        for (int d = 0; d < p.d_qk; ++d) dot += to_double(q[d]) * to_double(k[d]);
        s[static_cast<std::size_t>(j)] = dot * static_cast<double>(p.scale);
        max = std::max(max, s[static_cast<std::size_t>(j)]);
    }
    double sum = 0.0;
    for (double& x : s) {
        x = std::exp(x - max);
        sum += x;
    }
    for (std::int64_t j = 0; j <= last; ++j) {
        const std::uint16_t* v =
            data.v.data() + ((data.cu_k[static_cast<std::size_t>(b)] + j) * p.heads_kv + g) * p.d_v;
        const double w = s[static_cast<std::size_t>(j)] / sum;
        for (int d = 0; d < p.d_v; ++d) out[static_cast<std::size_t>(d)] += w * to_double(v[d]);
    }
    return out;
}

struct RowCheck {
    double sum_sq_diff = 0.0;
    double sum_sq_ref = 0.0;
    std::string first_failure;
};

// Compares one row of D_v elements; records the first failing element.
template <class Ref>
void check_row(const std::uint16_t* got, const Ref& ref, int d_v, RowCheck& acc, const char* ref_name,
               const std::string& where) {
    double sq = 0.0;
    for (int d = 0; d < d_v; ++d) sq += ref(d) * ref(d);
    const double rms = std::sqrt(sq / d_v);
    for (int d = 0; d < d_v; ++d) {
        const double g = to_double(got[d]);
        const double r = ref(d);
        const double diff = std::abs(g - r);
        const double bound = kElementTolerance * (std::abs(r) + rms);
        if (std::isfinite(g)) {
            acc.sum_sq_diff += diff * diff;
        } else {
            acc.sum_sq_diff = std::numeric_limits<double>::infinity();
        }
        acc.sum_sq_ref += r * r;
        if (acc.first_failure.empty() && !(std::isfinite(g) && diff <= bound)) {
            acc.first_failure = fmt::format("{}, element {}: got {:.6g}, {} {:.6g} (|diff| {:.3g} > {:.3g} = {} * "
                                            "(|ref| + row rms {:.3g}))",
                                            where, d, g, ref_name, r, diff, bound, kElementTolerance, rms);
        }
    }
}

std::string describe(const AttentionData& data) {
    const AttentionProblem& p = data.problem;
    return fmt::format("B={} total_q={} total_k={} Hq={} Hkv={} D_qk={} D_v={}{}, input seed {:#x}", p.batch(),
                       data.total_q(), data.total_k(), p.heads_q, p.heads_kv, p.d_qk, p.d_v,
                       p.causal ? " causal" : "", data.seed);
}

std::string rms_failure(const RowCheck& acc, const char* what) {
    const double rel = acc.sum_sq_ref > 0.0 ? std::sqrt(acc.sum_sq_diff / acc.sum_sq_ref)
                                            : (acc.sum_sq_diff > 0.0 ? std::numeric_limits<double>::infinity() : 0.0);
    if (rel <= kRmsTolerance) return "";
    return fmt::format("rms error {:.3g} of the {} > {}", rel, what, kRmsTolerance);
}

}  // namespace

AttentionData make_attention_data(AttentionProblem problem, std::uint64_t seed) {
    const AttentionProblem& p = problem;
    if (p.heads_q <= 0 || p.heads_kv <= 0 || p.heads_q % p.heads_kv != 0 || p.d_qk <= 0 || p.d_v <= 0 ||
        p.seqlens_q.empty() || p.seqlens_q.size() != p.seqlens_k.size()) {
        throw Error(Status::invalid_argument, "make_attention_data: bad sizes");
    }
    for (std::size_t b = 0; b < p.seqlens_q.size(); ++b) {
        if (p.seqlens_q[b] < 0 || p.seqlens_k[b] < 0) {
            throw Error(Status::invalid_argument, "make_attention_data: negative length");
        }
    }
    AttentionData data;
    data.problem = std::move(problem);
    if (data.problem.scale <= 0.0f) data.problem.scale = 1.0f / std::sqrt(static_cast<float>(data.problem.d_qk));
    data.seed = seed;
    data.cu_q = prefix_sums(data.problem.seqlens_q);
    data.cu_k = prefix_sums(data.problem.seqlens_k);
    const auto tq = static_cast<std::size_t>(data.total_q());
    const auto tk = static_cast<std::size_t>(data.total_k());
    data.q.resize(tq * static_cast<std::size_t>(data.problem.heads_q * data.problem.d_qk));
    data.k.resize(tk * static_cast<std::size_t>(data.problem.heads_kv * data.problem.d_qk));
    data.v.resize(tk * static_cast<std::size_t>(data.problem.heads_kv * data.problem.d_v));
    fill_random_bf16(data.q, derive_seed(seed, "q"));
    fill_random_bf16(data.k, derive_seed(seed, "k"));
    fill_random_bf16(data.v, derive_seed(seed, "v"));
    // q * 2: exact in bf16 (an exponent step), [-2, 2).
    for (std::uint16_t& x : data.q) x = testing::f32_to_bf16_rne(testing::bf16_to_f32(x) * 2.0f);
    return data;
}

std::vector<std::uint16_t> to_head_major(std::span<const std::uint16_t> x, const std::vector<std::int64_t>& cu,
                                         int heads, int d) {
    std::vector<std::uint16_t> out(x.size());
    const auto row = static_cast<std::size_t>(d);
    for (std::size_t b = 0; b + 1 < cu.size(); ++b) {
        const std::int64_t len = cu[b + 1] - cu[b];
        const std::size_t block = static_cast<std::size_t>(cu[b]) * static_cast<std::size_t>(heads) * row;
        for (std::int64_t t = 0; t < len; ++t) {
            for (int h = 0; h < heads; ++h) {
                const std::size_t from = block + (static_cast<std::size_t>(t) * heads + h) * row;
                const std::size_t to = block + (static_cast<std::size_t>(h) * len + t) * row;
                std::copy_n(x.data() + from, row, out.data() + to);
            }
        }
    }
    return out;
}

std::vector<std::uint16_t> to_token_major(std::span<const std::uint16_t> x, const std::vector<std::int64_t>& cu,
                                          int heads, int d) {
    std::vector<std::uint16_t> out(x.size());
    const auto row = static_cast<std::size_t>(d);
    for (std::size_t b = 0; b + 1 < cu.size(); ++b) {
        const std::int64_t len = cu[b + 1] - cu[b];
        const std::size_t block = static_cast<std::size_t>(cu[b]) * static_cast<std::size_t>(heads) * row;
        for (std::int64_t t = 0; t < len; ++t) {
            for (int h = 0; h < heads; ++h) {
                const std::size_t from = block + (static_cast<std::size_t>(h) * len + t) * row;
                const std::size_t to = block + (static_cast<std::size_t>(t) * heads + h) * row;
                std::copy_n(x.data() + from, row, out.data() + to);
            }
        }
    }
    return out;
}

std::string check_sampled_rows(const AttentionData& data, std::span<const std::uint16_t> o, const std::string& who) {
    const AttentionProblem& p = data.problem;
    if (o.size() != data.output_elements()) return fmt::format("{}: output has {} elements", who, o.size());
    struct Row {
        std::int64_t b, i;
        int h;
    };
    std::vector<Row> rows;
    const std::int64_t last_b = p.batch() - 1;
    const auto add = [&](std::int64_t b, std::int64_t i, int h) {
        if (p.seqlens_q[static_cast<std::size_t>(b)] > 0) rows.push_back({b, i, h});
    };
    add(0, 0, 0);
    add(0, p.seqlens_q[0] - 1, p.heads_q - 1);
    add(last_b, 0, p.heads_q - 1);
    add(last_b, p.seqlens_q[static_cast<std::size_t>(last_b)] - 1, 0);
    const std::uint64_t pick = derive_seed(data.seed, "sampled rows");
    for (int n = 0; n < kRandomRows; ++n) {
        const std::uint64_t r = mix64(pick + static_cast<std::uint64_t>(n));
        const auto b = static_cast<std::int64_t>(r % static_cast<std::uint64_t>(p.batch()));
        const std::int64_t len = p.seqlens_q[static_cast<std::size_t>(b)];
        if (len == 0) continue;
        const auto i = static_cast<std::int64_t>(mix64(r) % static_cast<std::uint64_t>(len));
        const auto h = static_cast<int>(mix64(r ^ 0x5bd1e995u) % static_cast<std::uint64_t>(p.heads_q));
        add(b, i, h);
    }
    RowCheck acc;
    for (const Row& row : rows) {
        const std::vector<double> ref = reference_row(data, row.b, row.i, row.h);
        const std::int64_t token = data.cu_q[static_cast<std::size_t>(row.b)] + row.i;
        const std::uint16_t* got = o.data() + (token * p.heads_q + row.h) * p.d_v;
        check_row(got, [&ref](int d) { return ref[static_cast<std::size_t>(d)]; }, p.d_v, acc, "float64 reference",
                  fmt::format("sequence {} query {} head {}", row.b, row.i, row.h));
        if (!acc.first_failure.empty()) return fmt::format("{}: {} ({})", who, acc.first_failure, describe(data));
    }
    if (std::string rms = rms_failure(acc, "sampled rows against float64"); !rms.empty()) {
        return fmt::format("{}: {} ({})", who, rms, describe(data));
    }
    return "";
}

std::string compare_outputs(const AttentionData& data, std::span<const std::uint16_t> o,
                            std::span<const std::uint16_t> reference, const std::string& who) {
    const AttentionProblem& p = data.problem;
    if (o.size() != data.output_elements() || reference.size() != o.size()) {
        return fmt::format("{}: output has {} elements, the reference {}", who, o.size(), reference.size());
    }
    RowCheck acc;
    for (std::int64_t b = 0; b < p.batch(); ++b) {
        for (std::int64_t i = 0; i < p.seqlens_q[static_cast<std::size_t>(b)]; ++i) {
            for (int h = 0; h < p.heads_q; ++h) {
                const std::size_t at =
                    static_cast<std::size_t>((data.cu_q[static_cast<std::size_t>(b)] + i) * p.heads_q + h) *
                    static_cast<std::size_t>(p.d_v);
                const std::uint16_t* ref = reference.data() + at;
                check_row(o.data() + at, [ref](int d) { return to_double(ref[d]); }, p.d_v, acc,
                          "the cuBLAS reference", fmt::format("sequence {} query {} head {}", b, i, h));
                if (!acc.first_failure.empty()) {
                    return fmt::format("{}: {} ({})", who, acc.first_failure, describe(data));
                }
            }
        }
    }
    if (std::string rms = rms_failure(acc, "whole output against the cuBLAS reference"); !rms.empty()) {
        return fmt::format("{}: {} ({})", who, rms, describe(data));
    }
    return "";
}

}  // namespace ptxkit::bench
