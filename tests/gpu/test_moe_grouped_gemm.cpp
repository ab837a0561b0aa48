// The MoE grouped GEMM against float64 CPU references: both layouts
// (align's contiguous one, built by the host reference of align, and the
// masked one), every kernel family the device has (automatic, and each
// forced path that can run), bf16 / f16 in, 16-bit and f32 out, the plain and
// SwiGLU epilogues, N and K that are not tile multiples (K not even a
// multiple of 8, with padded row strides), experts with no rows, skewed
// routing, T in {1, 3, 255, 1000}. Inputs are fresh random values; outputs
// are poisoned (NaN) first, and the rows the op must not write are checked
// still poisoned. Reruns are bitwise equal (no atomics).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/moe_gemm_reference.hpp"
#include "support/moe_reference.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::GemmPath;
using ptxkit::TensorView;
using ptxkit::moe::GroupedEpilogue;
using ptxkit::moe::GroupedGemmOptions;
using ptxkit::testing::DeviceBuffer;
using I32 = std::vector<std::int32_t>;

constexpr std::uint8_t kPoison = 0xff;  // NaN in bf16, f16 and f32

// Values exactly representable in a 16-bit dtype, in [-scale, scale).
struct Values16 {
    std::vector<double> v;
    std::vector<std::uint16_t> bits;
};

std::uint16_t to_bits(float x, DType dtype) {
    return dtype == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(x) : ptxkit::testing::f32_to_f16_rne(x);
}
double from_bits(std::uint16_t b, DType dtype) {
    return dtype == DType::bf16 ? ptxkit::testing::bf16_to_f32(b) : ptxkit::testing::f16_to_f32(b);
}

// A [rows, cols] matrix with row stride ld (elements past cols hold poison
// bits, so a kernel that read them would be caught), values in v dense.
Values16 random_matrix(std::int64_t rows, std::int64_t cols, std::int64_t ld, DType dtype, std::mt19937_64& rng,
                       float scale = 1.0f) {
    std::uniform_real_distribution<float> dist(-scale, scale);
    Values16 m;
    m.v.resize(static_cast<std::size_t>(rows * cols));
    m.bits.assign(static_cast<std::size_t>(rows * ld), 0xffff);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
            const std::uint16_t b = to_bits(dist(rng), dtype);
            m.bits[static_cast<std::size_t>(r * ld + c)] = b;
            m.v[static_cast<std::size_t>(r * cols + c)] = from_bits(b, dtype);
        }
    }
    return m;
}

double tolerance(DType out, std::int64_t k, bool swiglu) {
    // Output rounding dominates 16-bit outputs; fp32 sums of K products
    // otherwise (SwiGLU multiplies two of them).
    const double accumulation = (swiglu ? 4e-6 : 2e-6) * std::sqrt(static_cast<double>(k) + 1.0);
    if (out == DType::bf16) return 1.6e-2 + accumulation;
    if (out == DType::f16) return 2e-3 + accumulation;
    return 1e-5 + accumulation;
}

// Decodes element i of a raw output buffer.
double element(const std::vector<std::uint8_t>& raw, std::size_t i, DType dtype) {
    if (dtype == DType::f32) {
        float f;
        std::memcpy(&f, raw.data() + 4 * i, 4);
        return f;
    }
    std::uint16_t b;
    std::memcpy(&b, raw.data() + 2 * i, 2);
    return from_bits(b, dtype);
}

bool poisoned(const std::vector<std::uint8_t>& raw, std::size_t i, DType dtype) {
    const std::size_t size = ptxkit::dtype_size(dtype);
    for (std::size_t b = 0; b < size; ++b) {
        if (raw[i * size + b] != kPoison) return false;
    }
    return true;
}

const char* path_name(GemmPath p) {
    return p == GemmPath::sm90 ? "sm90" : p == GemmPath::sm80 ? "sm80" : "auto";
}

// The paths to run: automatic, then every forced family the device can run
// this problem on (a forced path that cannot throws unsupported: skipped).
template <class Plan>
std::vector<GemmPath> runnable_paths(Plan&& plan) {
    std::vector<GemmPath> paths = {GemmPath::automatic};
    for (GemmPath p : {GemmPath::sm90, GemmPath::sm80}) {
        try {
            (void)plan(p);
            paths.push_back(p);
        } catch (const ptxkit::Error& e) {
            if (e.status() != ptxkit::Status::unsupported) throw;
        }
    }
    return paths;
}

enum class Routing { random, skewed, sparse };

I32 make_ids(std::int64_t tokens, int k, int experts, Routing routing, std::mt19937_64& rng) {
    I32 ids(static_cast<std::size_t>(tokens * k));
    std::vector<int> all(static_cast<std::size_t>(experts));
    for (int e = 0; e < experts; ++e) all[static_cast<std::size_t>(e)] = e;
    std::uniform_int_distribution<int> four(0, 3);
    for (std::int64_t t = 0; t < tokens; ++t) {
        for (int j = 0; j < k; ++j) {  // k distinct experts (k <= E): a partial shuffle
            std::uniform_int_distribution<int> rest(j, experts - 1);
            std::swap(all[static_cast<std::size_t>(j)], all[static_cast<std::size_t>(rest(rng))]);
        }
        for (int j = 0; j < k; ++j) {
            int e = all[static_cast<std::size_t>(j)];
            if (routing == Routing::skewed && j == 0 && four(rng) != 0) e = 0;  // 3/4 of the first slots: expert 0
            if (routing == Routing::sparse) e = (e / 3) * 3 % std::max(experts / 2, 1);  // many experts get nothing
            ids[static_cast<std::size_t>(t * k + j)] = e;
        }
    }
    return ids;
}

// ---- contiguous layout ----

struct ContiguousCase {
    std::int64_t tokens;
    int k;
    int experts;
    int block_m;
    std::int64_t n;
    std::int64_t kdim;
    DType ab = DType::bf16;
    DType out = DType::bf16;
    bool swiglu = false;
    Routing routing = Routing::random;
    bool tight = false;    // A holds T k + min(E, T k) (block_m - 1) rows, not align's capacity
    std::int64_t pad = 0;  // extra elements per row of A, the weights and out (a multiple of 8)

    std::string name() const {
        return "T=" + std::to_string(tokens) + " k=" + std::to_string(k) + " E=" + std::to_string(experts) +
               " block_m=" + std::to_string(block_m) + " N=" + std::to_string(n) + " K=" + std::to_string(kdim) +
               " " + ptxkit::dtype_name(ab) + "->" + ptxkit::dtype_name(out) + (swiglu ? " swiglu" : "") +
               " routing=" + std::to_string(static_cast<int>(routing)) + (tight ? " tight" : "") +
               " pad=" + std::to_string(pad);
    }
};

std::int64_t round_up8(std::int64_t v) { return (v + 7) / 8 * 8; }

void run_contiguous(const ContiguousCase& cs, std::uint64_t seed) {
    SCOPED_TRACE(cs.name() + " seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const I32 ids = make_ids(cs.tokens, cs.k, cs.experts, cs.routing, rng);
    const ptxkit::testing::AlignLayout layout =
        ptxkit::testing::align_reference(ids, cs.tokens, cs.k, cs.experts, cs.block_m);
    const std::int64_t capacity = ptxkit::moe::align_capacity(cs.tokens, cs.k, cs.experts, cs.block_m);
    const std::int64_t pairs = cs.tokens * cs.k;
    const std::int64_t rows =
        cs.tight ? std::min(capacity, pairs + std::min<std::int64_t>(cs.experts, pairs) * (cs.block_m - 1)) : capacity;
    ASSERT_LE(layout.total_padded, rows);
    const std::int64_t n_out = cs.swiglu ? cs.n / 2 : cs.n;
    const std::int64_t lda = round_up8(cs.kdim) + cs.pad;
    const std::int64_t ldd = round_up8(n_out) + cs.pad;

    // A: rows holding a pair random, padding rows zero (as permute writes
    // them), rows at and past the total poisoned (never written by permute).
    Values16 a = random_matrix(rows, cs.kdim, lda, cs.ab, rng);
    for (std::int64_t r = 0; r < rows; ++r) {
        const bool pair = r < layout.total_padded && layout.sorted_pairs[static_cast<std::size_t>(r)] >= 0;
        if (pair) continue;
        const std::uint16_t fill = r < layout.total_padded ? 0 : 0xffff;
        for (std::int64_t c = 0; c < cs.kdim; ++c) {
            a.bits[static_cast<std::size_t>(r * lda + c)] = fill;
            a.v[static_cast<std::size_t>(r * cs.kdim + c)] = 0.0;
        }
    }
    const Values16 w = random_matrix(cs.experts * cs.n, cs.kdim, lda, cs.ab, rng);
    DeviceBuffer a_dev = DeviceBuffer::from(a.bits);
    DeviceBuffer w_dev = DeviceBuffer::from(w.bits);
    DeviceBuffer blocks_dev = DeviceBuffer::from(layout.block_expert);
    DeviceBuffer total_dev = DeviceBuffer::from(I32{layout.total_padded});
    const std::size_t out_elem = ptxkit::dtype_size(cs.out);
    DeviceBuffer out_dev(static_cast<std::size_t>(rows * ldd) * out_elem);

    TensorView av = TensorView::contiguous(a_dev.get(), cs.ab, {rows, cs.kdim});
    av.stride[0] = lda;
    TensorView wv = TensorView::contiguous(w_dev.get(), cs.ab, {cs.experts, cs.n, cs.kdim});
    wv.stride[1] = lda;
    wv.stride[0] = cs.n * lda;
    TensorView ov = TensorView::contiguous(out_dev.get(), cs.out, {rows, n_out});
    ov.stride[0] = ldd;
    const TensorView bv =
        TensorView::contiguous(blocks_dev.get(), DType::i32, {static_cast<std::int64_t>(layout.block_expert.size())});
    const TensorView tv = TensorView::contiguous(total_dev.get(), DType::i32, {1});

    // The reference of every row below the total.
    std::vector<double> ref;
    std::vector<std::size_t> where;
    for (std::int64_t r = 0; r < layout.total_padded; ++r) {
        const int e = layout.block_expert[static_cast<std::size_t>(r / cs.block_m)];
        ASSERT_GE(e, 0);
        const auto row = ptxkit::testing::grouped_row_reference(a.v.data() + r * cs.kdim,
                                                                w.v.data() + e * cs.n * cs.kdim, cs.n, cs.kdim,
                                                                cs.swiglu);
        for (std::int64_t c = 0; c < n_out; ++c) {
            ref.push_back(row[static_cast<std::size_t>(c)]);
            where.push_back(static_cast<std::size_t>(r * ldd + c));
        }
    }

    GroupedGemmOptions o;
    o.epilogue = cs.swiglu ? GroupedEpilogue::swiglu : GroupedEpilogue::none;
    const auto paths = runnable_paths([&](GemmPath p) {
        GroupedGemmOptions forced = o;
        forced.path = p;
        return ptxkit::moe::grouped_gemm_plan(av, wv, bv, tv, cs.block_m, ov, forced);
    });
    for (const GemmPath path : paths) {
        SCOPED_TRACE(std::string("path=") + path_name(path));
        o.path = path;
        const ptxkit::moe::GroupedGemmPlan plan = ptxkit::moe::grouped_gemm_plan(av, wv, bv, tv, cs.block_m, ov, o);
        if (path != GemmPath::automatic) {
            EXPECT_EQ(plan.path, path);
        }
        EXPECT_EQ(cs.block_m % plan.block_m, 0);
        out_dev.fill(kPoison);
        ptxkit::moe::grouped_gemm(av, wv, bv, tv, cs.block_m, ov, o, nullptr);
        const auto raw = out_dev.to_host<std::uint8_t>(out_dev.bytes());
        std::vector<double> got(ref.size());
        for (std::size_t i = 0; i < ref.size(); ++i) got[i] = element(raw, where[i], cs.out);
        const std::string failure =
            ptxkit::testing::compare_to_reference(got, ref, tolerance(cs.out, cs.kdim, cs.swiglu), "out");
        ASSERT_TRUE(failure.empty()) << failure;
        // Rows at and past the total, and the gaps between rows, untouched.
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t c = 0; c < ldd; ++c) {
                if (r < layout.total_padded && c < n_out) continue;
                ASSERT_TRUE(poisoned(raw, static_cast<std::size_t>(r * ldd + c), cs.out))
                    << "out[" << r << ", " << c << "] was written (total_padded " << layout.total_padded << ")";
            }
        }
        // Bitwise reproducible: the same bits on a rerun over a fresh poison.
        out_dev.fill(0x00);
        ptxkit::moe::grouped_gemm(av, wv, bv, tv, cs.block_m, ov, o, nullptr);
        const auto again = out_dev.to_host<std::uint8_t>(out_dev.bytes());
        for (const std::size_t i : where) {
            ASSERT_EQ(std::memcmp(raw.data() + i * out_elem, again.data() + i * out_elem, out_elem), 0)
                << "a rerun differs at element " << i;
        }
    }
}

class MoeGroupedGemm : public ptxkit::testing::GpuTest {};

// Token counts on the software GPU: 255 -> 63 and 1000 -> 300, still partial
// row blocks, and at 300 several blocks for the busier experts.
std::int64_t sim_tokens(std::int64_t t) {
    if (!ptxkit::testing::on_simulator()) return t;
    return t == 255 ? 63 : t == 1000 ? 300 : t;
}

TEST_F(MoeGroupedGemm, TokenCountsDtypesAndEpilogues) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (const std::int64_t t : {std::int64_t{1}, std::int64_t{3}, sim_tokens(255), sim_tokens(1000)}) {
        for (const bool swiglu : {false, true}) {
            const std::int64_t n = swiglu ? 2 * 136 : 200;  // not multiples of the tile widths
            run_contiguous({t, 4, 8, 128, n, 136, DType::bf16, DType::bf16, swiglu}, seed + i++);
            if (HasFatalFailure()) return;
            run_contiguous({t, 2, 16, 128, n, 72, DType::f16, DType::f16, swiglu, Routing::random, true}, seed + i++);
            if (HasFatalFailure()) return;
            run_contiguous({t, 1, 4, 256, n, 64, DType::bf16, DType::f32, swiglu}, seed + i++);
            if (HasFatalFailure()) return;
        }
    }
}

TEST_F(MoeGroupedGemm, BlockM64SkewedAndSparseRouting) {
    const auto seed = ptxkit::testing::fresh_seed();
    run_contiguous({sim_tokens(255), 8, 64, 64, 96, 256, DType::bf16, DType::bf16, false, Routing::skewed}, seed);
    if (HasFatalFailure()) return;
    run_contiguous({sim_tokens(1000), 2, 64, 128, 2 * 100, 128, DType::bf16, DType::bf16, true, Routing::sparse},
                   seed + 1);
    if (HasFatalFailure()) return;
    run_contiguous({sim_tokens(1000), 6, 256, 128, 264, 64, DType::f16, DType::f32, false, Routing::skewed, true},
                   seed + 2);
    if (HasFatalFailure()) return;
    run_contiguous({3, 8, 256, 128, 2 * 264, 96, DType::bf16, DType::bf16, true, Routing::random, true}, seed + 3);
}

TEST_F(MoeGroupedGemm, OddKPaddedStridesAndOneExpert) {
    const auto seed = ptxkit::testing::fresh_seed();
    // K = 100: the last K block is partial and not a multiple of 8 (rows padded to 104 + 8).
    run_contiguous({sim_tokens(255), 2, 8, 128, 130, 100, DType::bf16, DType::bf16, false, Routing::random, false, 8},
                   seed);
    if (HasFatalFailure()) return;
    run_contiguous(
        {sim_tokens(255), 2, 8, 128, 2 * 66, 100, DType::f16, DType::f16, true, Routing::random, true, 16}, seed + 1);
    if (HasFatalFailure()) return;
    // One expert with every token: 1000 rows x N 512 x K 520 (software GPU:
    // 300 x 264 x 136, still partial in every dimension's last tile or K block).
    using ptxkit::testing::sim_or;
    run_contiguous({sim_tokens(1000), 1, 1, 128, sim_or<std::int64_t>(512, 264), sim_or<std::int64_t>(520, 136),
                    DType::bf16, DType::bf16, false},
                   seed + 2);
    if (HasFatalFailure()) return;
    run_contiguous({1, 1, 1, 64, 8, 8, DType::bf16, DType::bf16, false}, seed + 3);
}

// A block_expert entry that is not an expert: its rows are not written.
TEST_F(MoeGroupedGemm, BlocksWithoutAnExpertAreSkipped) {
    const std::int64_t rows = 512, k = 64, n = 64;
    const int experts = 2, block_m = 128;
    std::mt19937_64 rng(ptxkit::testing::fresh_seed());
    const Values16 a = random_matrix(rows, k, k, DType::bf16, rng);
    const Values16 w = random_matrix(experts * n, k, k, DType::bf16, rng);
    const I32 blocks = {1, -1, 7, 0};  // rows 128..383 have no expert
    DeviceBuffer a_dev = DeviceBuffer::from(a.bits), w_dev = DeviceBuffer::from(w.bits);
    DeviceBuffer b_dev = DeviceBuffer::from(blocks), t_dev = DeviceBuffer::from(I32{static_cast<std::int32_t>(rows)});
    DeviceBuffer out(static_cast<std::size_t>(rows * n) * 2);
    out.fill(kPoison);
    ptxkit::moe::grouped_gemm(TensorView::contiguous(a_dev.get(), DType::bf16, {rows, k}),
                              TensorView::contiguous(w_dev.get(), DType::bf16, {experts, n, k}),
                              TensorView::contiguous(b_dev.get(), DType::i32, {4}),
                              TensorView::contiguous(t_dev.get(), DType::i32, {1}), block_m,
                              TensorView::contiguous(out.get(), DType::bf16, {rows, n}), {}, nullptr);
    const auto raw = out.to_host<std::uint8_t>(out.bytes());
    std::vector<double> got, ref;
    for (std::int64_t r = 0; r < rows; ++r) {
        const int e = blocks[static_cast<std::size_t>(r / block_m)];
        const bool valid = e >= 0 && e < experts;
        const auto row = valid ? ptxkit::testing::grouped_row_reference(a.v.data() + r * k, w.v.data() + e * n * k, n,
                                                                        k, false)
                               : std::vector<double>{};
        for (std::int64_t c = 0; c < n; ++c) {
            const auto i = static_cast<std::size_t>(r * n + c);
            if (!valid) {
                ASSERT_TRUE(poisoned(raw, i, DType::bf16)) << "row " << r << " has no expert but was written";
                continue;
            }
            got.push_back(element(raw, i, DType::bf16));
            ref.push_back(row[static_cast<std::size_t>(c)]);
        }
    }
    const std::string failure = ptxkit::testing::compare_to_reference(got, ref, tolerance(DType::bf16, k, false), "out");
    EXPECT_TRUE(failure.empty()) << failure;
}

TEST_F(MoeGroupedGemm, TotalZeroAndNoRowsLaunchNothingHarmful) {
    const std::int64_t k = 64, n = 64;
    DeviceBuffer a(256 * k * 2), w(2 * n * k * 2), blocks(4 * 4), total(4), out(256 * n * 2);
    a.fill(0);
    w.fill(0);
    blocks.fill(0);
    total.fill(0);  // *total_padded = 0: no tile exists
    out.fill(kPoison);
    ptxkit::moe::grouped_gemm(TensorView::contiguous(a.get(), DType::bf16, {256, k}),
                              TensorView::contiguous(w.get(), DType::bf16, {2, n, k}),
                              TensorView::contiguous(blocks.get(), DType::i32, {2}),
                              TensorView::contiguous(total.get(), DType::i32, {1}), 128,
                              TensorView::contiguous(out.get(), DType::bf16, {256, n}), {}, nullptr);
    const auto raw = out.to_host<std::uint8_t>(out.bytes());
    for (std::size_t i = 0; i < raw.size(); ++i) ASSERT_EQ(raw[i], kPoison) << "byte " << i << " written";
    // Zero rows: a valid empty call.
    ptxkit::moe::grouped_gemm(TensorView::contiguous(nullptr, DType::bf16, {0, k}),
                              TensorView::contiguous(w.get(), DType::bf16, {2, n, k}),
                              TensorView::contiguous(blocks.get(), DType::i32, {0}),
                              TensorView::contiguous(total.get(), DType::i32, {1}), 128,
                              TensorView::contiguous(nullptr, DType::bf16, {0, n}), {}, nullptr);
}

TEST_F(MoeGroupedGemm, GeneralPathIsUnsupported) {
    DeviceBuffer a(128 * 64 * 2), w(64 * 64 * 2), blocks(4), total(4), out(128 * 64 * 2);
    GroupedGemmOptions o;
    o.path = GemmPath::general;
    try {
        ptxkit::moe::grouped_gemm(TensorView::contiguous(a.get(), DType::bf16, {128, 64}),
                                  TensorView::contiguous(w.get(), DType::bf16, {1, 64, 64}),
                                  TensorView::contiguous(blocks.get(), DType::i32, {1}),
                                  TensorView::contiguous(total.get(), DType::i32, {1}), 128,
                                  TensorView::contiguous(out.get(), DType::bf16, {128, 64}), o, nullptr);
        FAIL() << "the general path was accepted";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::unsupported) << e.what();
    }
}

// ---- masked layout ----

struct MaskedCase {
    int experts;
    std::int64_t capacity;
    std::int64_t n;
    std::int64_t kdim;
    DType ab = DType::bf16;
    DType out = DType::bf16;
    bool swiglu = false;

    std::string name() const {
        return "E=" + std::to_string(experts) + " capacity=" + std::to_string(capacity) + " N=" + std::to_string(n) +
               " K=" + std::to_string(kdim) + " " + ptxkit::dtype_name(ab) + "->" + ptxkit::dtype_name(out) +
               (swiglu ? " swiglu" : "");
    }
};

void run_masked(const MaskedCase& cs, const I32& counts, std::uint64_t seed) {
    SCOPED_TRACE(cs.name() + " seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::int64_t n_out = cs.swiglu ? cs.n / 2 : cs.n;
    const std::int64_t lda = round_up8(cs.kdim), ldd = round_up8(n_out);
    const std::int64_t rows = cs.experts * cs.capacity;
    // Every row random, the unused capacity too: it must not be read into the results.
    const Values16 a = random_matrix(rows, cs.kdim, lda, cs.ab, rng);
    const Values16 w = random_matrix(cs.experts * cs.n, cs.kdim, lda, cs.ab, rng);
    DeviceBuffer a_dev = DeviceBuffer::from(a.bits), w_dev = DeviceBuffer::from(w.bits);
    DeviceBuffer c_dev = DeviceBuffer::from(counts);
    const std::size_t out_elem = ptxkit::dtype_size(cs.out);
    DeviceBuffer out_dev(static_cast<std::size_t>(rows * ldd) * out_elem);

    TensorView av = TensorView::contiguous(a_dev.get(), cs.ab, {cs.experts, cs.capacity, cs.kdim});
    av.stride[1] = lda;
    av.stride[0] = cs.capacity * lda;
    TensorView wv = TensorView::contiguous(w_dev.get(), cs.ab, {cs.experts, cs.n, cs.kdim});
    wv.stride[1] = lda;
    wv.stride[0] = cs.n * lda;
    TensorView ov = TensorView::contiguous(out_dev.get(), cs.out, {cs.experts, cs.capacity, n_out});
    ov.stride[1] = ldd;
    ov.stride[0] = cs.capacity * ldd;
    const TensorView cv = TensorView::contiguous(c_dev.get(), DType::i32, {cs.experts});

    std::vector<double> ref;
    std::vector<std::size_t> where;
    for (int e = 0; e < cs.experts; ++e) {
        const std::int64_t valid = std::clamp<std::int64_t>(counts[static_cast<std::size_t>(e)], 0, cs.capacity);
        for (std::int64_t r = 0; r < valid; ++r) {
            const auto row = ptxkit::testing::grouped_row_reference(a.v.data() + (e * cs.capacity + r) * cs.kdim,
                                                                    w.v.data() + e * cs.n * cs.kdim, cs.n, cs.kdim,
                                                                    cs.swiglu);
            for (std::int64_t c = 0; c < n_out; ++c) {
                ref.push_back(row[static_cast<std::size_t>(c)]);
                where.push_back(static_cast<std::size_t>((e * cs.capacity + r) * ldd + c));
            }
        }
    }
    std::vector<bool> written(static_cast<std::size_t>(rows * ldd), false);
    for (const std::size_t i : where) written[i] = true;

    GroupedGemmOptions o;
    o.epilogue = cs.swiglu ? GroupedEpilogue::swiglu : GroupedEpilogue::none;
    const auto paths = runnable_paths([&](GemmPath p) {
        GroupedGemmOptions forced = o;
        forced.path = p;
        return ptxkit::moe::grouped_gemm_masked_plan(av, wv, cv, ov, forced);
    });
    for (const GemmPath path : paths) {
        SCOPED_TRACE(std::string("path=") + path_name(path));
        o.path = path;
        out_dev.fill(kPoison);
        ptxkit::moe::grouped_gemm_masked(av, wv, cv, ov, o, nullptr);
        const auto raw = out_dev.to_host<std::uint8_t>(out_dev.bytes());
        std::vector<double> got(ref.size());
        for (std::size_t i = 0; i < ref.size(); ++i) got[i] = element(raw, where[i], cs.out);
        const std::string failure =
            ptxkit::testing::compare_to_reference(got, ref, tolerance(cs.out, cs.kdim, cs.swiglu), "out");
        ASSERT_TRUE(failure.empty()) << failure;
        for (std::size_t i = 0; i < written.size(); ++i) {
            if (written[i]) continue;
            ASSERT_TRUE(poisoned(raw, i, cs.out)) << "out element " << i << " (expert "
                                                  << i / static_cast<std::size_t>(cs.capacity * ldd) << ") was written";
        }
    }
}

TEST_F(MoeGroupedGemm, MaskedCountsIncludingEmptyFullAndOutOfRange) {
    const auto seed = ptxkit::testing::fresh_seed();
    // 0 rows, one row, full capacity, past the capacity (clamped), negative (none).
    run_masked({8, 96, 200, 136}, {0, 1, 96, 500, -3, 37, 64, 65}, seed);
    if (HasFatalFailure()) return;
    run_masked({8, 96, 2 * 100, 72, DType::f16, DType::f16, true}, {5, 0, 0, 96, 33, 1, 0, 90}, seed + 1);
    if (HasFatalFailure()) return;
    // (K 512 -> 136 on the software GPU: still several K blocks, the last partial.)
    run_masked({4, 256, 128, ptxkit::testing::sim_or<std::int64_t>(512, 136), DType::bf16, DType::f32},
               {256, 129, 128, 0}, seed + 2);
    if (HasFatalFailure()) return;
    // Decode: many experts, a few rows each.
    std::mt19937_64 rng(seed + 3);
    I32 counts(64);
    std::uniform_int_distribution<int> few(0, 3);
    for (auto& c : counts) c = few(rng) == 0 ? few(rng) : 0;
    run_masked({64, 32, 2 * 136, 128, DType::bf16, DType::bf16, true}, counts, seed + 4);
}

TEST_F(MoeGroupedGemm, MaskedAllEmptyWritesNothing) {
    run_masked({16, 64, 64, 64}, I32(16, 0), ptxkit::testing::fresh_seed());
}

}  // namespace
