// MoE align, permute and combine against the host references, exactly: every
// output word of align, every byte of permute, every bit of combine. Fresh
// random inputs, outputs and workspace poisoned before each run (with a
// value no output can take), rows the ops must not write checked untouched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/moe_reference.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::AlignLayout;
using ptxkit::testing::DeviceBuffer;
using I32 = std::vector<std::int32_t>;

const int kExpertCounts[] = {8, 60, 64, 128, 160, 256, 384, 512};
const int kTopK[] = {1, 2, 8, 16};
const int kBlockMs[] = {16, 64, 128, 256};
constexpr std::uint8_t kPoison = 0x7f;  // 0x7f7f7f7f: no row, pair, count or expert

// Token counts on the software GPU, of the same kind: 4096 -> 513 (T k still
// > 4096 for k >= 8: align's two-launch path with a workspace; <= 4096 for
// k <= 2: one launch), 8192 -> 1025, 16384 -> 2049, 65537 -> 2049 and
// 131072 -> 4096 (a power of two, or one past: T k > 4096 for every k >= 2,
// two launches and several chunks). 1, 3 and 255 as they are.
std::int64_t sim_tokens(std::int64_t t) {
    if (!ptxkit::testing::on_simulator()) return t;
    switch (t) {
        case 4096: return 513;
        case 8192: return 1025;
        case 16384: return 2049;
        case 65537: return 2049;
        case 131072: return 4096;
        default: return t;
    }
}
// Row widths (elements) on the software GPU: those above 1024 an eighth as
// wide, still multiples of 8 elements (16-byte units, vectorised).
std::int64_t sim_width(std::int64_t h) { return ptxkit::testing::on_simulator() && h > 1024 ? h / 8 : h; }

enum class Routing {
    random,   // k distinct experts per token (k <= E), uniform
    skewed,   // every pair to one expert
    sparse,   // only every third expert of the first half gets tokens
    dropped,  // random, with ~1/8 of the ids outside [0, E)
};

const char* name(Routing r) {
    switch (r) {
        case Routing::random:
            return "random";
        case Routing::skewed:
            return "skewed";
        case Routing::sparse:
            return "sparse";
        case Routing::dropped:
            return "dropped";
    }
    return "?";
}

I32 make_ids(std::int64_t tokens, int k, int experts, Routing routing, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    I32 ids(static_cast<std::size_t>(tokens * k));
    std::vector<int> all(static_cast<std::size_t>(experts));
    for (int e = 0; e < experts; ++e) all[static_cast<std::size_t>(e)] = e;
    std::uniform_int_distribution<int> any(0, experts - 1);
    std::uniform_int_distribution<int> eighth(0, 7);
    const std::int32_t bad[] = {-1, experts, experts + 7, std::numeric_limits<std::int32_t>::min(),
                                std::numeric_limits<std::int32_t>::max()};
    std::uniform_int_distribution<int> bad_pick(0, 4);
    const int hot = any(rng);
    for (std::int64_t t = 0; t < tokens; ++t) {
        // k distinct experts: a partial Fisher-Yates shuffle (k <= E), else independent draws.
        for (int j = 0; j < k && k <= experts; ++j) {
            std::uniform_int_distribution<int> rest(j, experts - 1);
            std::swap(all[static_cast<std::size_t>(j)], all[static_cast<std::size_t>(rest(rng))]);
        }
        for (int j = 0; j < k; ++j) {
            std::int32_t e = k <= experts ? all[static_cast<std::size_t>(j)] : any(rng);
            switch (routing) {
                case Routing::random:
                    break;
                case Routing::skewed:
                    e = hot;
                    break;
                case Routing::sparse:
                    e = (e / 2) / 3 * 3;
                    break;
                case Routing::dropped:
                    if (eighth(rng) == 0) e = bad[bad_pick(rng)];
                    break;
            }
            ids[static_cast<std::size_t>(t * k + j)] = e;
        }
    }
    return ids;
}

// Device buffers of one align call.
struct AlignBuffers {
    std::int64_t tokens = 0, capacity = 0, num_blocks = 0;
    int k = 0, experts = 0, block_m = 0;
    DeviceBuffer ids, counts, offsets, sorted, blocks, inverse, total, workspace;
    std::size_t workspace_bytes = 0;

    AlignBuffers(const I32& host_ids, std::int64_t t, int k_, int e, int bm)
        : tokens(t), k(k_), experts(e), block_m(bm) {
        capacity = ptxkit::moe::align_capacity(t, k, e, bm);
        num_blocks = capacity / bm;
        ids = DeviceBuffer::from(host_ids);
        counts = DeviceBuffer(static_cast<std::size_t>(e) * 4);
        offsets = DeviceBuffer(static_cast<std::size_t>(e + 1) * 4);
        sorted = DeviceBuffer(static_cast<std::size_t>(capacity) * 4);
        blocks = DeviceBuffer(static_cast<std::size_t>(num_blocks) * 4);
        inverse = DeviceBuffer(static_cast<std::size_t>(t * k) * 4);
        total = DeviceBuffer(4);
        workspace_bytes = ptxkit::moe::align_workspace_size(t, k, e);
        workspace = DeviceBuffer(workspace_bytes);
    }

    void poison(std::uint8_t byte) {
        for (DeviceBuffer* b : {&counts, &offsets, &sorted, &blocks, &inverse, &total, &workspace}) b->fill(byte);
    }

    ptxkit::moe::AlignOutputs outputs() const {
        return {TensorView::contiguous(counts.get(), DType::i32, {experts}),
                TensorView::contiguous(offsets.get(), DType::i32, {experts + 1}),
                TensorView::contiguous(sorted.get(), DType::i32, {capacity}),
                TensorView::contiguous(blocks.get(), DType::i32, {num_blocks}),
                TensorView::contiguous(inverse.get(), DType::i32, {tokens, k}),
                TensorView::contiguous(total.get(), DType::i32, {1})};
    }

    void run() const {
        ptxkit::moe::align(TensorView::contiguous(ids.get(), DType::i32, {tokens, k}), experts, block_m, outputs(),
                           workspace_bytes ? workspace.get() : nullptr, workspace_bytes, nullptr);
    }

    AlignLayout download() const {
        AlignLayout r;
        r.counts = counts.to_host<std::int32_t>(static_cast<std::size_t>(experts));
        r.padded_offsets = offsets.to_host<std::int32_t>(static_cast<std::size_t>(experts) + 1);
        r.sorted_pairs = sorted.to_host<std::int32_t>(static_cast<std::size_t>(capacity));
        r.block_expert = blocks.to_host<std::int32_t>(static_cast<std::size_t>(num_blocks));
        r.inverse = inverse.to_host<std::int32_t>(static_cast<std::size_t>(tokens * k));
        r.total_padded = total.to_host<std::int32_t>(1)[0];
        return r;
    }
};

// The first index where two vectors differ, for a readable failure.
void expect_same(const I32& got, const I32& want, const char* what, const std::string& where) {
    ASSERT_EQ(got.size(), want.size()) << what << " " << where;
    const auto m = std::mismatch(got.begin(), got.end(), want.begin());
    if (m.first != got.end()) {
        const auto i = m.first - got.begin();
        FAIL() << what << "[" << i << "] = " << *m.first << ", want " << *m.second << " (" << where << ")";
    }
}

void expect_layout(const AlignLayout& got, const AlignLayout& want, const std::string& where) {
    EXPECT_EQ(got.total_padded, want.total_padded) << where;
    expect_same(got.counts, want.counts, "counts", where);
    expect_same(got.padded_offsets, want.padded_offsets, "padded_offsets", where);
    expect_same(got.block_expert, want.block_expert, "block_expert", where);
    expect_same(got.inverse, want.inverse, "inverse", where);
    expect_same(got.sorted_pairs, want.sorted_pairs, "sorted_pairs", where);
}

std::string describe(std::int64_t t, int e, int k, int bm, Routing r, std::uint64_t seed) {
    return "T=" + std::to_string(t) + " E=" + std::to_string(e) + " k=" + std::to_string(k) +
           " block_m=" + std::to_string(bm) + " " + name(r) + " seed=" + std::to_string(seed);
}

void check_align(std::int64_t tokens, int experts, int k, int block_m, Routing routing, std::uint64_t seed) {
    const I32 ids = make_ids(tokens, k, experts, routing, seed);
    AlignBuffers b(ids, tokens, k, experts, block_m);
    b.poison(kPoison);
    b.run();
    expect_layout(b.download(), ptxkit::testing::align_reference(ids, tokens, k, experts, block_m),
                  describe(tokens, experts, k, block_m, routing, seed));
}

class MoeAlign : public ptxkit::testing::GpuTest {};

TEST_F(MoeAlign, EveryExpertCountKAndBlockM) {
    const auto seed = ptxkit::testing::fresh_seed();
    // Software GPU: each (T, E, k) with one block_m, rotating through all
    // four (a launch there costs ~0.1 s whatever its size), and T 513 for 4096.
    int rotate = 0;
    for (std::int64_t t : {std::int64_t{1}, std::int64_t{3}, std::int64_t{255}, sim_tokens(4096)}) {
        for (int e : kExpertCounts) {
            for (int k : kTopK) {
                if (k > e) continue;
                const int chosen = kBlockMs[(rotate++) % 4];
                for (int bm : kBlockMs) {
                    if (ptxkit::testing::on_simulator() && bm != chosen) continue;
                    check_align(t, e, k, bm, Routing::random,
                                seed + static_cast<std::uint64_t>(t * 131 + e * 7 + k + bm));
                    if (HasFatalFailure()) return;
                }
            }
        }
    }
}

TEST_F(MoeAlign, LargeTokenCounts) {
    // Two launches, up to 128 chunks; each (E, k) once, block_m rotating.
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::int64_t t : {sim_tokens(65537), sim_tokens(131072)}) {
        int i = 0;
        for (int e : kExpertCounts) {
            for (int k : kTopK) {
                if (k > e) continue;
                const int bm = kBlockMs[(i++) % 4];
                check_align(t, e, k, bm, Routing::random, seed + static_cast<std::uint64_t>(t + e * 17 + k));
                if (HasFatalFailure()) return;
            }
        }
    }
}

TEST_F(MoeAlign, SkewedSparseAndDroppedRouting) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (Routing r : {Routing::skewed, Routing::sparse, Routing::dropped}) {
        for (std::int64_t t : {std::int64_t{1}, std::int64_t{3}, std::int64_t{255}, sim_tokens(4096),
                               sim_tokens(65537), sim_tokens(131072)}) {
            for (int e : {8, 60, 160, 512}) {
                for (int k : {2, 8}) {
                    for (int bm : {16, 256}) {
                        // Software GPU: one of the two block_m per (T, E, k), alternating.
                        if (ptxkit::testing::on_simulator() && (bm == 16) != ((t + e / 4 + k) % 2 == 0)) continue;
                        check_align(t, e, k, bm, r, seed + static_cast<std::uint64_t>(t * 3 + e * 5 + k * 7 + bm));
                        if (HasFatalFailure()) return;
                    }
                }
            }
        }
    }
    // k = 16 into one expert: the largest segment there can be. Kept at full
    // size on the software GPU too: 2^21 pairs, align's 128-chunk limit.
    check_align(131072, 384, 16, 64, Routing::skewed, seed + 1);
}

TEST_F(MoeAlign, EveryIdDropped) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::int64_t t : {std::int64_t{3}, sim_tokens(8192)}) {
        I32 ids(static_cast<std::size_t>(t * 4), -1);
        ids[1] = 64;  // == E: out of range too
        AlignBuffers b(ids, t, 4, 64, 128);
        b.poison(kPoison);
        b.run();
        const AlignLayout got = b.download();
        EXPECT_EQ(got.total_padded, 0);
        expect_layout(got, ptxkit::testing::align_reference(ids, t, 4, 64, 128), "all dropped T=" + std::to_string(t));
    }
    (void)seed;
}

TEST_F(MoeAlign, NoTokens) {
    AlignBuffers b({}, 0, 8, 256, 64);
    b.poison(kPoison);
    b.run();
    expect_layout(b.download(), ptxkit::testing::align_reference({}, 0, 8, 256, 64), "T=0");
}

TEST_F(MoeAlign, DeterministicWhateverTheScratch) {
    // The same ids twice, outputs and workspace poisoned differently: bitwise the same layout.
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::int64_t t : {std::int64_t{255}, sim_tokens(131072)}) {
        const I32 ids = make_ids(t, 8, 256, Routing::dropped, seed + static_cast<std::uint64_t>(t));
        AlignBuffers b(ids, t, 8, 256, 128);
        b.poison(kPoison);
        b.run();
        const AlignLayout first = b.download();
        b.poison(0x00);
        b.run();
        expect_layout(b.download(), first, "rerun T=" + std::to_string(t));
        expect_layout(first, ptxkit::testing::align_reference(ids, t, 8, 256, 128), "T=" + std::to_string(t));
    }
}

// ---- permute ----

struct Rows {
    std::int64_t rows = 0, cols = 0, stride = 0;  // elements
    DType dtype = DType::bf16;
    std::size_t elem() const { return ptxkit::dtype_size(dtype); }
    std::size_t bytes() const { return static_cast<std::size_t>(rows * stride) * elem() + 64; }
};

struct PermuteCase {
    DType dtype;
    std::int64_t hidden;
    std::int64_t hidden_pad;    // hidden's row stride = hidden + pad
    std::int64_t permuted_pad;  // permuted's row stride = hidden + pad
    std::int64_t offset;        // elements from the allocation start (misaligns when odd)
};

void check_permute(std::int64_t tokens, int k, int experts, int block_m, const PermuteCase& c, Routing routing,
                   std::uint64_t seed) {
    const std::string where = describe(tokens, experts, k, block_m, routing, seed) + " " + ptxkit::dtype_name(c.dtype) +
                              " H=" + std::to_string(c.hidden) + " pads=" + std::to_string(c.hidden_pad) + "," +
                              std::to_string(c.permuted_pad) + " offset=" + std::to_string(c.offset);
    const I32 ids = make_ids(tokens, k, experts, routing, seed);
    AlignBuffers a(ids, tokens, k, experts, block_m);
    a.poison(kPoison);
    a.run();
    const AlignLayout layout = a.download();

    const std::size_t elem = ptxkit::dtype_size(c.dtype);
    const std::int64_t hs = c.hidden + c.hidden_pad, ps = c.hidden + c.permuted_pad;
    const std::size_t row_bytes = static_cast<std::size_t>(c.hidden) * elem;
    // Random bits in every byte of hidden (NaN patterns included: a copy keeps them).
    std::mt19937_64 rng(seed ^ 0x5bd1e995ull);
    std::vector<std::uint8_t> hidden_host(
        static_cast<std::size_t>((c.offset + tokens * hs) * static_cast<std::int64_t>(elem)));
    for (auto& x : hidden_host) x = static_cast<std::uint8_t>(rng());
    DeviceBuffer hidden = DeviceBuffer::from(hidden_host);
    const std::size_t permuted_bytes =
        static_cast<std::size_t>((c.offset + a.capacity * ps) * static_cast<std::int64_t>(elem));
    DeviceBuffer permuted(permuted_bytes);
    permuted.fill(kPoison);

    TensorView hv =
        TensorView::contiguous(static_cast<char*>(hidden.get()) + c.offset * elem, c.dtype, {tokens, c.hidden});
    hv.stride[0] = hs;
    TensorView pv =
        TensorView::contiguous(static_cast<char*>(permuted.get()) + c.offset * elem, c.dtype, {a.capacity, c.hidden});
    pv.stride[0] = ps;
    ptxkit::moe::permute(hv, TensorView::contiguous(a.sorted.get(), DType::i32, {a.capacity}),
                         TensorView::contiguous(a.total.get(), DType::i32, {1}), k, pv, nullptr);
    const auto got = permuted.to_host<std::uint8_t>(permuted_bytes);

    // The reference on densely packed rows.
    std::vector<std::uint8_t> dense(static_cast<std::size_t>(tokens) * row_bytes);
    for (std::int64_t t = 0; t < tokens; ++t) {
        std::memcpy(dense.data() + static_cast<std::size_t>(t) * row_bytes,
                    hidden_host.data() + static_cast<std::size_t>(c.offset + t * hs) * elem, row_bytes);
    }
    const auto want =
        ptxkit::testing::permute_reference(dense, tokens, row_bytes, layout.sorted_pairs, layout.total_padded, k);
    for (std::int64_t r = 0; r < a.capacity; ++r) {
        const std::uint8_t* g = got.data() + static_cast<std::size_t>(c.offset + r * ps) * elem;
        if (r < layout.total_padded) {
            const std::uint8_t* w = want.data() + static_cast<std::size_t>(r) * row_bytes;
            if (std::memcmp(g, w, row_bytes) != 0) {
                FAIL() << "permuted row " << r << " (pair " << layout.sorted_pairs[static_cast<std::size_t>(r)]
                       << ") differs: " << where;
            }
        } else {
            for (std::size_t i = 0; i < row_bytes; ++i) {
                if (g[i] != kPoison) FAIL() << "row " << r << " >= total_padded was written: " << where;
            }
        }
        // The padding between rows (row stride > hidden) is never written either.
        if (r + 1 < a.capacity) {
            for (std::size_t i = row_bytes; i < static_cast<std::size_t>(ps) * elem; ++i) {
                if (g[i] != kPoison) FAIL() << "row " << r << ": bytes past the row were written: " << where;
            }
        }
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(c.offset) * elem; ++i) {
        if (got[i] != kPoison) FAIL() << "bytes before permuted were written: " << where;
    }
}

class MoePermute : public ptxkit::testing::GpuTest {};

TEST_F(MoePermute, DtypesWidthsStridesAndAlignment) {
    const auto seed = ptxkit::testing::fresh_seed();
    const PermuteCase cases[] = {
        {DType::bf16, 7168, 0, 0, 0},  // 16-byte units
        {DType::f16, 2048, 8, 24, 0},  // 16-byte units, padded rows
        {DType::f32, 4096, 0, 4, 0},   // 16-byte units
        {DType::f32, 1000, 0, 0, 1},   // 4-byte units: misaligned pointers
        {DType::bf16, 100, 0, 0, 0},   // 200-byte rows: 4-byte units
        {DType::f16, 33, 3, 1, 1},     // odd everything: 2-byte units
        {DType::bf16, 8, 0, 0, 0},     // one 16-byte unit per row
    };
    for (PermuteCase c : cases) {
        c.hidden = sim_width(c.hidden);  // software GPU: 7168, 2048, 4096 -> 896, 256, 512
        for (std::int64_t t : {std::int64_t{1}, std::int64_t{255}, sim_tokens(4096)}) {
            // Keep the poisoned output under ~100 MB: no 4096-token runs of wide rows.
            if (t == sim_tokens(4096) && c.hidden * static_cast<std::int64_t>(ptxkit::dtype_size(c.dtype)) > 1024) {
                continue;
            }
            check_permute(t, 8, 64, 64, c, Routing::random, seed + static_cast<std::uint64_t>(t + c.hidden));
            if (HasFatalFailure()) return;
        }
    }
}

TEST_F(MoePermute, DroppedPairsAndLargeCounts) {
    const auto seed = ptxkit::testing::fresh_seed();
    check_permute(3, 2, 8, 16, {DType::bf16, 256, 0, 0, 0}, Routing::dropped, seed);
    check_permute(sim_tokens(4096), 8, 160, 128, {DType::bf16, 512, 0, 0, 0}, Routing::dropped, seed + 1);
    check_permute(sim_tokens(65537), 2, 8, 256, {DType::f16, 64, 0, 0, 0}, Routing::skewed, seed + 2);
    check_permute(sim_tokens(16384), 8, 256, 64, {DType::f32, 128, 0, 0, 0}, Routing::sparse, seed + 3);
}

// ---- combine ----

// Random values exactly representable in `dtype`, as floats, and their device bytes.
struct Values {
    std::vector<float> f;
    std::vector<std::uint8_t> bytes;
};

Values make_values(std::size_t n, DType dtype, std::uint64_t seed) {
    Values v;
    v.f = ptxkit::testing::random_floats(n, seed, 4.0f, false);
    if (dtype == DType::f32) {
        v.bytes.resize(n * 4);
        std::memcpy(v.bytes.data(), v.f.data(), n * 4);
        return v;
    }
    v.bytes.resize(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t h =
            dtype == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(v.f[i]) : ptxkit::testing::f32_to_f16_rne(v.f[i]);
        v.f[i] = dtype == DType::bf16 ? ptxkit::testing::bf16_to_f32(h) : ptxkit::testing::f16_to_f32(h);
        std::memcpy(v.bytes.data() + 2 * i, &h, 2);
    }
    return v;
}

struct CombineCase {
    DType y;
    DType out;
    std::int64_t hidden;
    bool shared;
    std::int64_t out_pad;  // out's row stride = hidden + pad
};

void check_combine(std::int64_t tokens, int k, int experts, int block_m, const CombineCase& c, Routing routing,
                   std::uint64_t seed) {
    const std::string where = describe(tokens, experts, k, block_m, routing, seed) + " y:" + ptxkit::dtype_name(c.y) +
                              " out:" + ptxkit::dtype_name(c.out) + " H=" + std::to_string(c.hidden) +
                              (c.shared ? " +shared" : "") + " pad=" + std::to_string(c.out_pad);
    const I32 ids = make_ids(tokens, k, experts, routing, seed);
    AlignBuffers a(ids, tokens, k, experts, block_m);
    a.poison(kPoison);
    a.run();
    const AlignLayout layout = a.download();

    const std::int64_t H = c.hidden;
    // Every row of y holds values (padding rows too: they must not be read).
    const Values y = make_values(static_cast<std::size_t>(a.capacity * H), c.y, seed + 11);
    const Values shared = make_values(static_cast<std::size_t>(tokens * H), c.out, seed + 12);
    const std::vector<float> weights =
        ptxkit::testing::random_floats(static_cast<std::size_t>(tokens * k), seed + 13, 1.0f, false);
    DeviceBuffer y_dev = DeviceBuffer::from(y.bytes);
    DeviceBuffer shared_dev = DeviceBuffer::from(shared.bytes);
    DeviceBuffer w_dev = DeviceBuffer::from(weights);
    const std::size_t elem = ptxkit::dtype_size(c.out);
    const std::int64_t os = H + c.out_pad;
    const std::size_t out_bytes = static_cast<std::size_t>(tokens * os) * elem;
    DeviceBuffer out(out_bytes);
    out.fill(0xff);  // NaN in every dtype

    TensorView ov = TensorView::contiguous(out.get(), c.out, {tokens, H});
    ov.stride[0] = os;
    ptxkit::moe::combine(TensorView::contiguous(y_dev.get(), c.y, {a.capacity, H}),
                         TensorView::contiguous(w_dev.get(), DType::f32, {tokens, k}),
                         TensorView::contiguous(a.inverse.get(), DType::i32, {tokens, k}),
                         c.shared ? TensorView::contiguous(shared_dev.get(), c.out, {tokens, H}) : TensorView{}, ov,
                         nullptr);
    const auto got = out.to_host<std::uint8_t>(out_bytes);
    const auto want = ptxkit::testing::combine_reference(y.f, a.capacity, H, weights, layout.inverse, tokens, k,
                                                         c.shared ? &shared.f : nullptr);
    for (std::int64_t t = 0; t < tokens; ++t) {
        for (std::int64_t col = 0; col < os; ++col) {
            const std::uint8_t* g = got.data() + static_cast<std::size_t>(t * os + col) * elem;
            if (col >= H) {  // the gap between rows stays untouched
                for (std::size_t i = 0; i < elem; ++i) {
                    if (g[i] != 0xff)
                        FAIL() << "token " << t << " column " << col << " past the row was written: " << where;
                }
                continue;
            }
            const float w = want[static_cast<std::size_t>(t * H + col)];
            if (c.out == DType::f32) {
                std::uint32_t gb, wb;
                std::memcpy(&gb, g, 4);
                std::memcpy(&wb, &w, 4);
                if (gb != wb) {
                    float gf;
                    std::memcpy(&gf, g, 4);
                    FAIL() << "out[" << t << ", " << col << "] = " << gf << ", want " << w << " (bits " << std::hex
                           << gb << " vs " << wb << std::dec << "): " << where;
                }
            } else {
                std::uint16_t gb;
                std::memcpy(&gb, g, 2);
                const std::uint16_t wb =
                    c.out == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(w) : ptxkit::testing::f32_to_f16_rne(w);
                if (gb != wb) {
                    FAIL() << "out[" << t << ", " << col << "] bits " << std::hex << gb << ", want " << wb << std::dec
                           << " (fp32 " << w << "): " << where;
                }
            }
        }
    }
}

class MoeCombine : public ptxkit::testing::GpuTest {};

TEST_F(MoeCombine, DtypesSharedAndWidths) {
    const auto seed = ptxkit::testing::fresh_seed();
    const CombineCase cases[] = {
        {DType::bf16, DType::bf16, 7168, true, 0}, {DType::bf16, DType::bf16, 2048, false, 0},
        {DType::f16, DType::f16, 1024, true, 8},   {DType::f32, DType::f32, 4096, true, 0},
        {DType::f32, DType::f32, 100, false, 3},   {DType::f32, DType::bf16, 2048, true, 0},
        {DType::f32, DType::f16, 512, false, 0},   {DType::bf16, DType::bf16, 100, true, 0},  // scalar
        {DType::f16, DType::f16, 33, false, 1},    {DType::f32, DType::bf16, 8, true, 0},
    };
    for (CombineCase c : cases) {
        c.hidden = sim_width(c.hidden);  // software GPU: 7168, 2048, 4096 -> 896, 256, 512
        for (std::int64_t t : {1, 255}) {
            for (int k : {1, 2, 8, 16}) {
                check_combine(t, k, 64, 64, c, Routing::random,
                              seed + static_cast<std::uint64_t>(t * 17 + k + c.hidden));
                if (HasFatalFailure()) return;
            }
        }
    }
}

TEST_F(MoeCombine, DroppedPairsAndManyTokens) {
    const auto seed = ptxkit::testing::fresh_seed();
    check_combine(sim_tokens(4096), 8, 160, 128, {DType::bf16, DType::bf16, 256, true, 0}, Routing::dropped, seed);
    check_combine(sim_tokens(4096), 2, 8, 16, {DType::f32, DType::bf16, 64, false, 0}, Routing::skewed, seed + 1);
    check_combine(sim_tokens(65537), 2, 8, 256, {DType::bf16, DType::bf16, 64, true, 0}, Routing::random, seed + 2);
}

// align -> permute -> combine with y = permuted (an identity expert): each token
// comes back as sum_j w_j * hidden[t] over its kept slots, in slot order.
TEST_F(MoeCombine, RoundTripThroughTheLayout) {
    const auto seed = ptxkit::testing::fresh_seed();
    const std::int64_t T = ptxkit::testing::sim_or<std::int64_t>(1000, 300), H = 512;  // 300: 2400 pairs
    const int k = 8, E = 160, bm = 64;
    const I32 ids = make_ids(T, k, E, Routing::dropped, seed);
    AlignBuffers a(ids, T, k, E, bm);
    a.poison(kPoison);
    a.run();
    const Values hidden = make_values(static_cast<std::size_t>(T * H), DType::bf16, seed + 1);
    const std::vector<float> weights =
        ptxkit::testing::random_floats(static_cast<std::size_t>(T * k), seed + 2, 1.0f, false);
    DeviceBuffer h_dev = DeviceBuffer::from(hidden.bytes);
    DeviceBuffer w_dev = DeviceBuffer::from(weights);
    DeviceBuffer permuted(static_cast<std::size_t>(a.capacity * H) * 2);
    DeviceBuffer out(static_cast<std::size_t>(T * H) * 2);
    permuted.fill(0xff);
    out.fill(0xff);
    ptxkit::moe::permute(TensorView::contiguous(h_dev.get(), DType::bf16, {T, H}),
                         TensorView::contiguous(a.sorted.get(), DType::i32, {a.capacity}),
                         TensorView::contiguous(a.total.get(), DType::i32, {1}), k,
                         TensorView::contiguous(permuted.get(), DType::bf16, {a.capacity, H}), nullptr);
    ptxkit::moe::combine(TensorView::contiguous(permuted.get(), DType::bf16, {a.capacity, H}),
                         TensorView::contiguous(w_dev.get(), DType::f32, {T, k}),
                         TensorView::contiguous(a.inverse.get(), DType::i32, {T, k}), TensorView{},
                         TensorView::contiguous(out.get(), DType::bf16, {T, H}), nullptr);
    const auto got = out.to_host<std::uint16_t>(static_cast<std::size_t>(T * H));
    for (std::int64_t t = 0; t < T; ++t) {
        for (std::int64_t c = 0; c < H; ++c) {
            float acc = 0.0f;
            for (int j = 0; j < k; ++j) {
                const std::int32_t e = ids[static_cast<std::size_t>(t * k + j)];
                if (e < 0 || e >= E) continue;
                acc = std::fma(weights[static_cast<std::size_t>(t * k + j)],
                               hidden.f[static_cast<std::size_t>(t * H + c)], acc);
            }
            const std::uint16_t want = ptxkit::testing::f32_to_bf16_rne(acc);
            ASSERT_EQ(got[static_cast<std::size_t>(t * H + c)], want)
                << "token " << t << " column " << c << " seed " << seed;
        }
    }
}

TEST_F(MoeCombine, ZeroTokensLaunchNothing) {
    ptxkit::moe::combine(TensorView::contiguous(nullptr, DType::bf16, {0, 64}),
                         TensorView::contiguous(nullptr, DType::f32, {0, 2}),
                         TensorView::contiguous(nullptr, DType::i32, {0, 2}), TensorView{},
                         TensorView::contiguous(nullptr, DType::bf16, {0, 64}), nullptr);
}

}  // namespace
