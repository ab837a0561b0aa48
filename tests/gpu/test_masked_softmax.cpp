// kernels/baseline/masked_softmax.cu, the softmax of the benchmarks' cuBLAS
// unfused attention baseline, against a float64 reference: every one of its
// 32 kernels (4 S/P dtype pairs x 8 row configurations), launched directly
// through the runtime as bench/common/cublas_attention.cpp launches them.
//
// Per kernel, on fresh random logits (the seed is in the trace):
//   - rows at the kernel's full capacity (an exact multiple of the 16-byte
//     vector), one key short of a vector boundary, at the bottom of the
//     range the host would pick the kernel for, and a single key;
//   - causal masks with fewer queries than keys (bottom-right offset), with
//     more queries than keys (rows that see no key: all zeros, as
//     masked_softmax_params.h defines), and the first queries of a square
//     causal problem (almost every vector of the row masked, never read);
//   - row counts of 1 and non-multiples of the 4 rows of a t32 CTA, and
//     row / seqlen_q wrap-around (several heads);
//   - logits far beyond exp's float range, positive and negative (what the
//     max subtraction is for), wide logits whose smallest terms flush to
//     zero, and exact ties;
//   - P in a separate, poisoned buffer (padding inside the last written
//     vector must be zero, past it untouched) and P in place over S (S's
//     bytes past the written vectors must be unchanged). Masked keys and S's
//     padding hold NaN and huge values: they must never reach a result.
// Not covered: logits with |max * scale_log2| beyond FLT_MAX (~3.4e38), where
// the kernel's m*c overflows (rows of zeros or NaN); the big logits here keep
// |max * scale_log2| near 250 (f32 exp itself overflows past 88).
//
// Tolerance (per element, from the kernel's arithmetic, c = scale_log2):
// the kernel computes p_j = ex2(fma(s_j, c, -m c)) * (1 / sum) in f32 and
// rounds once to P. Against the exact p_j = 2^(t_j) / sum_k 2^(t_k), with
// t_j = c (s_j - m) in float64 (the max m is exact, fmaxf):
//   - the rounding of m*c is the same shift in every term: it cancels;
//   - the fma's one rounding: |t_j| 2^-24 in the exponent, i.e. a relative
//     ln2 |t_j| 2^-24 in the term, and for the sum the 2^t-weighted mean of
//     those (tbar);
//   - ex2.approx: 2^-22 relative, in the term and in the sum;
//   - the sum's additions: one 2^-24 per level of its depth (the thread's
//     kVecs x kE terms, then log2(row threads) shuffle / shared levels);
//   - rcp.rn and the multiply: 2^-24 each;
// so the f32 value is within eps32 = ln2 (|t_j| + tbar) 2^-24 + 2^-21 +
// (depth + 2) 2^-24 of p_j, relatively; the final round to nearest adds half
// an ulp: 2^-8 of the value for bf16 (8 significant bits), 2^-11 for f16 (11).
// Below that, absolutely: for bf16 outputs, ex2.approx.ftz flushes terms
// below 2^-126 (p < 2^-126); for f16 outputs, subnormal rounding is 2^-25.
// Masked keys and rows that see no key must be exactly zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "baseline/masked_softmax_params.h"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/context.hpp"
#include "runtime/launch.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::testing::DeviceBuffer;
using ptxkit::testing::Stream;

constexpr const char* kModule = "baseline.masked_softmax";
constexpr double kLog2e = 1.4426950408889634;

// The kernels' configurations (PTXKIT_MASKED_SOFTMAX_CONFIGS), smallest first:
// threads per row, threads per CTA, 16-byte vectors per thread.
struct Config {
    int row_threads;
    int block_threads;
    int vectors;
};
constexpr Config kConfigs[] = {
    {32, 128, 1}, {32, 128, 2}, {32, 128, 4}, {128, 128, 2}, {128, 128, 4}, {256, 256, 4}, {512, 512, 4}, {512, 512, 8},
};

const char* type_name(DType t) {
    switch (t) {
        case DType::bf16: return "bf16";
        case DType::f16: return "f16";
        default: return "f32";
    }
}

std::int64_t round_up(std::int64_t x, std::int64_t m) { return (x + m - 1) / m * m; }

enum class Pattern {
    normal,  // N(0, 3), scale 1/8
    wide,    // N(0, 40), scale 1: most terms far below f32's range (flushed)
    big,     // +-B (1 - 0.07 u), B = 60000 (f16 S) or 1e30: exp(scale * s) overflows / underflows f32
    ties,    // three levels: exact ties
};

const char* pattern_name(Pattern p) {
    switch (p) {
        case Pattern::normal: return "normal";
        case Pattern::wide: return "wide";
        case Pattern::big: return "big";
        default: return "ties";
    }
}

struct Case {
    std::int64_t rows;
    int seqlen_q;
    int seqlen_k;
    bool causal;
    Pattern pattern;
    bool in_place;
};

// One dtype's element: stored bits and the value the kernel sees.
struct Element {
    std::uint32_t bits;
    double value;
};

Element encode(DType t, float x) {
    if (std::isnan(x)) {  // a quiet NaN of the type (the host f16 conversion excludes NaN)
        return {t == DType::bf16 ? 0x7fc0u : t == DType::f16 ? 0x7e00u : 0x7fc00000u, static_cast<double>(x)};
    }
    if (t == DType::bf16) {
        const std::uint16_t h = ptxkit::testing::f32_to_bf16_rne(x);
        return {h, ptxkit::testing::bf16_to_f32(h)};
    }
    if (t == DType::f16) {
        const std::uint16_t h = ptxkit::testing::f32_to_f16_rne(x);
        return {h, ptxkit::testing::f16_to_f32(h)};
    }
    std::uint32_t b = 0;
    std::memcpy(&b, &x, 4);
    return {b, x};
}

double decode_p(DType t, std::uint16_t h) {
    return t == DType::bf16 ? ptxkit::testing::bf16_to_f32(h) : ptxkit::testing::f16_to_f32(h);
}

float big_magnitude(DType s) { return s == DType::f16 ? 60000.0f : 1e30f; }

float pattern_scale(Pattern p, DType s) {
    switch (p) {
        case Pattern::normal: return 0.125f;
        case Pattern::wide: return 1.0f;
        case Pattern::big: return 12.0f / (0.07f * big_magnitude(s));  // ~17 (log2) across the row
        default: return 0.7f;
    }
}

void run_case(DType s_type, DType p_type, const Config& cfg, const Case& cs, std::uint64_t seed) {
    const std::string kernel_name = std::string("ptxkit_masked_softmax_") + type_name(s_type) + "_" +
                                    type_name(p_type) + "_t" + std::to_string(cfg.row_threads) + "_v" +
                                    std::to_string(cfg.vectors);
    SCOPED_TRACE(kernel_name + ": rows " + std::to_string(cs.rows) + ", seqlen_q " + std::to_string(cs.seqlen_q) +
                 ", seqlen_k " + std::to_string(cs.seqlen_k) + (cs.causal ? ", causal" : "") + ", " +
                 pattern_name(cs.pattern) + (cs.in_place ? ", in place" : "") + ", seed " + std::to_string(seed));

    const int s_size = s_type == DType::f32 ? 4 : 2;
    const int per_vec = 16 / s_size;  // keys per 16-byte vector of S
    const std::int64_t capacity = std::int64_t{cfg.row_threads} * cfg.vectors * per_vec;
    ASSERT_LE(cs.seqlen_k, capacity) << "test bug: row longer than the kernel holds";
    const std::int64_t vectors = (cs.seqlen_k + per_vec - 1) / per_vec;
    const std::int64_t written = vectors * per_vec;  // P elements the kernel writes per row
    // S rows padded by one more vector than needed (16-byte rows either way).
    const std::int64_t ld_s = round_up(cs.seqlen_k, per_vec) + per_vec;
    const std::int64_t ld_p = cs.in_place ? ld_s * s_size / 2 : round_up(cs.seqlen_k, 8) + 8;
    const float scale = pattern_scale(cs.pattern, s_type);
    const float scale_log2 = static_cast<float>(scale * kLog2e);
    const double c = scale_log2;  // the kernel's exponent is c (s - m): the reference uses the same c

    // Logits: visible keys from the pattern; causally masked keys NaN or
    // huge, padding NaN (neither may reach a result).
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::uniform_int_distribution<int> level(-1, 1);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float huge = s_type == DType::f16 ? 65504.0f : 3e38f;
    std::vector<std::uint32_t> s_bits(static_cast<std::size_t>(cs.rows * ld_s));
    std::vector<double> s_val(s_bits.size());
    std::vector<int> last(static_cast<std::size_t>(cs.rows));
    for (std::int64_t r = 0; r < cs.rows; ++r) {
        const int query = static_cast<int>(r % cs.seqlen_q);
        const int l = cs.causal ? std::min(cs.seqlen_k - 1, query + cs.seqlen_k - cs.seqlen_q) : cs.seqlen_k - 1;
        last[static_cast<std::size_t>(r)] = l;
        const float sign = (r % 2 == 0) ? 1.0f : -1.0f;
        for (std::int64_t j = 0; j < ld_s; ++j) {
            float x = nan;
            if (j <= l) {
                switch (cs.pattern) {
                    case Pattern::normal: x = 3.0f * normal(rng); break;
                    case Pattern::wide: x = 40.0f * normal(rng); break;
                    case Pattern::big: x = sign * big_magnitude(s_type) * (1.0f - 0.07f * unit(rng)); break;
                    case Pattern::ties: x = static_cast<float>(level(rng)); break;
                }
            } else if (j < cs.seqlen_k) {
                x = (j % 2) ? huge : nan;
            }
            const Element e = encode(s_type, x);
            s_bits[static_cast<std::size_t>(r * ld_s + j)] = e.bits;
            s_val[static_cast<std::size_t>(r * ld_s + j)] = e.value;
        }
    }
    std::vector<unsigned char> s_bytes(s_bits.size() * s_size);
    for (std::size_t i = 0; i < s_bits.size(); ++i) {
        if (s_size == 4) {
            std::memcpy(&s_bytes[i * 4], &s_bits[i], 4);
        } else {
            const auto h = static_cast<std::uint16_t>(s_bits[i]);
            std::memcpy(&s_bytes[i * 2], &h, 2);
        }
    }

    constexpr std::size_t kGuard = 64;  // poisoned bytes after each buffer
    DeviceBuffer s_dev(s_bytes.size() + kGuard);
    s_dev.fill(0xFF);
    s_dev.upload(s_bytes.data(), s_bytes.size());
    DeviceBuffer p_dev;
    const std::size_t p_bytes = static_cast<std::size_t>(cs.rows * ld_p) * 2;
    if (!cs.in_place) {
        p_dev = DeviceBuffer(p_bytes + kGuard);
        p_dev.fill(0xFF);
    }
    void* p_ptr = cs.in_place ? s_dev.get() : p_dev.get();

    ptxkit_masked_softmax_params params{};
    params.s = s_dev.get();
    params.p = p_ptr;
    params.rows = cs.rows;
    params.ld_s = ld_s;
    params.ld_p = ld_p;
    params.seqlen_q = cs.seqlen_q;
    params.seqlen_k = cs.seqlen_k;
    params.causal = cs.causal ? 1 : 0;
    params.scale_log2 = scale_log2;

    auto& ctx = ptxkit::detail::current_context_state();
    const ptxkit::detail::Kernel& kernel = ctx.kernel(kModule, kernel_name);
    const std::int64_t rows_per_cta = cfg.block_threads / cfg.row_threads;
    ptxkit::detail::LaunchConfig launch;
    launch.grid.x = static_cast<unsigned>((cs.rows + rows_per_cta - 1) / rows_per_cta);
    launch.block.x = static_cast<unsigned>(cfg.block_threads);
    launch.op = "test.masked_softmax";
    Stream stream;
    ptxkit::detail::launch(ctx, kernel, launch, stream.get(), params);
    stream.synchronize();

    // P's rows, and for in place S's bytes past what P's rows overwrite.
    const DeviceBuffer& out_dev = cs.in_place ? s_dev : p_dev;
    const auto out_bytes = out_dev.to_host<unsigned char>(out_dev.bytes());
    const std::size_t out_data = cs.in_place ? s_bytes.size() : p_bytes;
    for (std::size_t i = out_data; i < out_bytes.size(); ++i) {
        ASSERT_EQ(out_bytes[i], 0xFF) << "written past the end of the buffer (byte " << i - out_data << ")";
    }

    const double half_ulp = p_type == DType::bf16 ? 0x1p-8 : 0x1p-11;
    const double abs_floor = p_type == DType::bf16 ? 0x1p-126 + 0x1p-134 : 0x1p-25 + 0x1p-126;
    const double depth = cfg.vectors * per_vec + std::log2(cfg.row_threads);
    const std::int64_t row_bytes_s = ld_s * s_size;
    const std::int64_t written_bytes = written * 2;  // P bytes per row the kernel writes
    int bad = 0;
    for (std::int64_t r = 0; r < cs.rows; ++r) {
        const int l = last[static_cast<std::size_t>(r)];
        const double* sv = &s_val[static_cast<std::size_t>(r * ld_s)];
        double m = -std::numeric_limits<double>::infinity();
        for (int j = 0; j <= l; ++j) m = std::max(m, sv[j]);
        double sum = 0.0;
        double weighted_t = 0.0;
        for (int j = 0; j <= l; ++j) {
            const double t = c * (sv[j] - m);
            sum += std::exp2(t);
            weighted_t += std::exp2(t) * std::abs(t);
        }
        const double tbar = l >= 0 ? weighted_t / sum : 0.0;
        const unsigned char* prow = &out_bytes[static_cast<std::size_t>(r * ld_p * 2)];
        auto p_at = [&](std::int64_t j) {
            std::uint16_t h = 0;
            std::memcpy(&h, prow + j * 2, 2);
            return h;
        };
        for (std::int64_t j = 0; j < cs.seqlen_k; ++j) {
            const std::uint16_t h = p_at(j);
            const double got = decode_p(p_type, h);
            if (j > l) {
                if (got != 0.0 && bad++ < 10) {
                    ADD_FAILURE() << "row " << r << " key " << j << " (last visible " << l
                                  << "): masked key got " << got << " (bits 0x" << std::hex << h << std::dec << ")";
                }
                continue;
            }
            const double t = c * (sv[j] - m);
            const double want = std::exp2(t) / sum;
            const double eps32 = std::log(2.0) * (std::abs(t) + tbar) * 0x1p-24 + 0x1p-21 + (depth + 2) * 0x1p-24;
            const double tol = want * (half_ulp + eps32 * (1 + half_ulp)) + abs_floor;
            const double err = std::abs(got - want);
            if (!(err <= tol) && bad++ < 10) {
                ADD_FAILURE() << "row " << r << " key " << j << " of " << cs.seqlen_k << " (last visible " << l
                              << "): got " << got << " (bits 0x" << std::hex << h << std::dec << "), want " << want
                              << ", |err| " << err << " > tol " << tol << " (s " << sv[j] << ", max " << m << ")";
            }
        }
        // Padding inside the last written vector: written as masked keys, zero.
        for (std::int64_t j = cs.seqlen_k; j < written; ++j) {
            const std::uint16_t h = p_at(j);
            if (decode_p(p_type, h) != 0.0 && bad++ < 10) {
                ADD_FAILURE() << "row " << r << " padding element " << j << " inside the last vector: 0x" << std::hex
                              << h;
            }
        }
        if (!cs.in_place) {
            for (std::int64_t j = written; j < ld_p; ++j) {
                if (p_at(j) != 0xFFFF && bad++ < 10) {
                    ADD_FAILURE() << "row " << r << " padding element " << j << " past the last vector was written";
                }
            }
        } else {
            // S's bytes of this row past the written P vectors are untouched.
            const unsigned char* srow = &out_bytes[static_cast<std::size_t>(r * row_bytes_s)];
            const unsigned char* orig = &s_bytes[static_cast<std::size_t>(r * row_bytes_s)];
            for (std::int64_t b = written_bytes; b < row_bytes_s; ++b) {
                if (srow[b] != orig[b] && bad++ < 10) {
                    ADD_FAILURE() << "row " << r << " byte " << b << " of S past the written P vectors changed";
                }
            }
        }
    }
    EXPECT_EQ(bad, 0) << "mismatches in total";
}

// Every configuration of one dtype pair, each on the cases listed at the top.
void check_pair(DType s_type, DType p_type) {
    const std::uint64_t base_seed = ptxkit::testing::fresh_seed();
    SCOPED_TRACE("base seed " + std::to_string(base_seed));
    const int per_vec = s_type == DType::f32 ? 4 : 8;
    int previous = 0;  // the previous configuration's capacity in keys
    std::uint64_t n = 0;
    for (const Config& cfg : kConfigs) {
        const int cap = cfg.row_threads * cfg.vectors * per_vec;
        const int low = previous + 1;          // the smallest row the host picks this kernel for
        const int mid = low + (cap - low) / 3;  // inside the kernel's range
        // The t32 kernels (4 rows per CTA) get row counts that are not a
        // multiple of 4. On the software GPU a CTA of 512 threads costs tens
        // of milliseconds whatever the row length, so the CTA-row kernels
        // get few rows, their cases merged: full-length rows all the same.
        std::vector<Case> cases;
        if (cfg.row_threads == 32) {
            cases = {
                // Full capacity (an exact multiple of the vector), one row.
                {1, 1, cap, false, Pattern::normal, false},
                // One key into the last vector; 5 rows, huge logits of both signs.
                {5, 5, cap - per_vec + 1, false, Pattern::big, false},
                // Causal, 3 queries on longer keys (bottom-right offset), 2 heads: 6 rows.
                {6, 3, mid, true, Pattern::wide, false},
                // Queries 0..2 of a square causal problem: nearly every vector masked.
                {3, cap - 3, cap - 3, true, Pattern::ties, false},
                // More queries than keys: rows 0..3 see no key (all zeros), 4..8 see 1..5.
                {9, 9, 5, true, Pattern::normal, false},
                // Bottom of the kernel's range, causal, 7 rows, in place.
                {7, 7, low, true, Pattern::big, true},
                // Full row minus one, in place.
                {2, 2, cap - 1, false, Pattern::big, true},
                // A single key (p = 1), 4 rows of one query; less than one vector, in place.
                {4, 1, 1, false, Pattern::normal, false},
                {3, 3, per_vec - 1, false, Pattern::ties, true},
            };
        } else {
            cases = {
                {1, 1, cap, false, Pattern::normal, false},
                {2, 2, cap - per_vec + 1, false, Pattern::big, false},
                // Causal, 2 queries on longer keys, 2 heads' worth of rows: queries 0, 1, 0.
                {3, 2, mid, true, Pattern::wide, false},
                // One more query than keys: row 0 sees no key, rows 1 and 2 one and two.
                {3, cap - 2, cap - 3, true, Pattern::ties, false},
                {2, 2, low, true, Pattern::big, true},
                {1, 1, cap - 1, false, Pattern::big, true},
                {1, 1, per_vec - 1, false, Pattern::ties, true},
            };
        }
        for (const Case& cs : cases) {
            run_case(s_type, p_type, cfg, cs, base_seed + n++);
            if (::testing::Test::HasFatalFailure()) return;
        }
        previous = cap;
    }
}

class MaskedSoftmax : public ptxkit::testing::GpuTest {};

TEST_F(MaskedSoftmax, Bf16ToBf16) { check_pair(DType::bf16, DType::bf16); }
TEST_F(MaskedSoftmax, F16ToF16) { check_pair(DType::f16, DType::f16); }
TEST_F(MaskedSoftmax, F32ToBf16) { check_pair(DType::f32, DType::bf16); }
TEST_F(MaskedSoftmax, F32ToF16) { check_pair(DType::f32, DType::f16); }

}  // namespace
