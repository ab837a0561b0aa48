// Paged decode attention against the float64 reference: every page size from
// 16 to 256, q_len 1 to 8 (causal among the new tokens), GQA ratios 1, 4, 8
// and MQA, every head dimension, random non-contiguous page tables, lengths
// 0, 1 and non-multiples of the page size, sliding window, softcap, the lse,
// split-KV forced off, heuristic and forced high, too little workspace, a
// page id out of range (that sequence NaN, the others right), and bitwise
// determinism. Inputs fresh random; outputs poisoned with NaN first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "attention_test_util.hpp"
#include "gpu_test.hpp"
#include "support/sim_profile.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/attention_reference.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;

enum class Workspace { none, heuristic, short_by_half };

struct DecodeCase {
    std::vector<std::int32_t> seq_lens;
    int q_len = 1;
    int hq = 8, hkv = 2, d = 128;
    int page_size = 16;
    DType dtype = DType::bf16;
    int window_left = -1;
    float softcap = 0.0f;
    int splits = 0;  // forced split count; 0: heuristic
    Workspace workspace = Workspace::heuristic;
    int extra_pages = 3;           // max_pages beyond what max_seq_len needs
    int bad_page_sequence = -1;    // this sequence gets a page id out of range
    std::int64_t max_seq_len = 0;  // 0: the largest of seq_lens
    bool nan_before_window = false;  // K and V of the keys no query's window reaches hold NaN (recycled pages)

    std::string name() const {
        std::string s = "lens=[";
        for (auto x : seq_lens) s += std::to_string(x) + ",";
        s += "] q_len=" + std::to_string(q_len) + " Hq=" + std::to_string(hq) + " Hkv=" + std::to_string(hkv) +
             " D=" + std::to_string(d) + " page=" + std::to_string(page_size) + " " + ptxkit::dtype_name(dtype) +
             " window_left=" + std::to_string(window_left) + " softcap=" + std::to_string(softcap) +
             " splits=" + std::to_string(splits) + " ws=" + std::to_string(static_cast<int>(workspace)) +
             " bad_page=" + std::to_string(bad_page_sequence) + (nan_before_window ? " nan_before_window" : "");
        return s;
    }
};

struct DecodeRun {
    std::vector<std::uint16_t> o;
    std::vector<float> lse;
    int splits = 0;
};

DecodeRun run_case(const DecodeCase& cs, std::uint64_t seed) {
    SCOPED_TRACE(cs.name() + " seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::int64_t batch = static_cast<std::int64_t>(cs.seq_lens.size());
    const std::int64_t max_len = cs.max_seq_len > 0
                                     ? cs.max_seq_len
                                     : std::max<std::int64_t>(*std::max_element(cs.seq_lens.begin(), cs.seq_lens.end()), 0);
    const std::int64_t ps = cs.page_size, d = cs.d;
    const std::int64_t max_pages = (max_len + ps - 1) / ps + cs.extra_pages;
    // Pages of all sequences, shuffled over a cache with spare pages, so that
    // tables are non-contiguous and unused pages hold other data.
    std::int64_t used = 0;
    for (auto len : cs.seq_lens) used += (len + ps - 1) / ps;
    const std::int64_t num_pages = used + 5;
    std::vector<std::int32_t> ids(static_cast<std::size_t>(num_pages));
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng);
    std::vector<std::int32_t> table(static_cast<std::size_t>(batch * max_pages), 0);
    std::size_t next = 0;
    for (std::int64_t b = 0; b < batch; ++b) {
        const std::int64_t pages = (cs.seq_lens[b] + ps - 1) / ps;
        for (std::int64_t j = 0; j < max_pages; ++j) {
            // Slots past a sequence's pages hold ids that must never be read:
            // out of range ones, so a kernel that reads them yields NaN.
            table[static_cast<std::size_t>(b * max_pages + j)] = j < pages ? ids[next++] : -7;
        }
    }
    if (cs.bad_page_sequence >= 0 && cs.seq_lens[cs.bad_page_sequence] > 0) {
        table[static_cast<std::size_t>(cs.bad_page_sequence * max_pages)] = static_cast<std::int32_t>(num_pages + 3);
    }

    std::vector<double> kv_values, vv_values, qv;
    const std::size_t cache_elems = static_cast<std::size_t>(num_pages * ps * cs.hkv * d);
    auto k_bits = ptxkit::testing::random_half(cache_elems, 1.0, cs.dtype, rng, kv_values);
    auto v_bits = ptxkit::testing::random_half(cache_elems, 1.0, cs.dtype, rng, vv_values);
    if (cs.nan_before_window && cs.window_left >= 0) {
        // Engines recycle the pages that fall out of every query's window:
        // what they hold then is anything, NaN included. The kernel must not
        // read those keys (0 * NaN would be NaN); the reference never does.
        const std::uint16_t nan_bits = cs.dtype == DType::bf16 ? 0x7FC0 : 0x7E00;
        for (std::int64_t b = 0; b < batch; ++b) {
            const std::int64_t len = std::min<std::int64_t>(cs.seq_lens[b], max_len);
            const std::int64_t first_attended = std::max<std::int64_t>(0, len - cs.q_len - cs.window_left);
            const std::vector<std::int32_t> row(table.begin() + b * max_pages, table.begin() + (b + 1) * max_pages);
            for (std::int64_t pos = 0; pos < first_attended; ++pos) {
                const auto loc = ptxkit::testing::paged_location(row, pos, ps);
                if (loc.page < 0 || loc.page >= num_pages) continue;
                const std::size_t base = static_cast<std::size_t>((loc.page * ps + loc.row) * cs.hkv * d);
                std::fill(k_bits.begin() + static_cast<std::ptrdiff_t>(base),
                          k_bits.begin() + static_cast<std::ptrdiff_t>(base + cs.hkv * d), nan_bits);
                std::fill(v_bits.begin() + static_cast<std::ptrdiff_t>(base),
                          v_bits.begin() + static_cast<std::ptrdiff_t>(base + cs.hkv * d), nan_bits);
            }
        }
    }
    const auto q_bits =
        ptxkit::testing::random_half(static_cast<std::size_t>(batch * cs.q_len * cs.hq * d), 2.0, cs.dtype, rng, qv);

    // The reference: each sequence's keys gathered through its page table.
    ptxkit::testing::AttentionProblem p;
    p.heads_q = cs.hq;
    p.heads_kv = cs.hkv;
    p.head_dim = cs.d;
    p.scale = 1.0 / std::sqrt(static_cast<double>(d));
    p.softcap = cs.softcap;
    p.mask = {cs.window_left, 0};
    p.q = qv;
    for (std::int64_t b = 0; b < batch; ++b) {
        const std::int64_t len = std::min<std::int64_t>(cs.seq_lens[b], max_len);
        p.cu_q.push_back(p.cu_q.back() + cs.q_len);
        p.cu_k.push_back(p.cu_k.back() + len);
        const std::vector<std::int32_t> row(table.begin() + b * max_pages, table.begin() + (b + 1) * max_pages);
        for (std::int64_t pos = 0; pos < len; ++pos) {
            auto loc = ptxkit::testing::paged_location(row, pos, ps);
            if (loc.page < 0 || loc.page >= num_pages) loc.page = 0;  // the poisoned sequence is not compared
            const std::size_t base = static_cast<std::size_t>((loc.page * ps + loc.row) * cs.hkv * d);
            p.k.insert(p.k.end(), kv_values.begin() + base, kv_values.begin() + base + cs.hkv * d);
            p.v.insert(p.v.end(), vv_values.begin() + base, vv_values.begin() + base + cs.hkv * d);
        }
    }
    const auto ref = ptxkit::testing::reference_attention(p);

    DeviceBuffer q_dev = DeviceBuffer::from(q_bits), k_dev = DeviceBuffer::from(k_bits), v_dev = DeviceBuffer::from(v_bits);
    DeviceBuffer table_dev = DeviceBuffer::from(table), lens_dev = DeviceBuffer::from(cs.seq_lens);
    const std::size_t out_elems = static_cast<std::size_t>(batch * cs.q_len * cs.hq * d);
    DeviceBuffer o_dev(out_elems * 2);
    o_dev.fill(0xFF);
    DeviceBuffer lse_dev(static_cast<std::size_t>(batch * cs.q_len * cs.hq) * 4);
    lse_dev.fill(0xFF);

    ptxkit::DecodeAttentionArgs a;
    a.q = TensorView::contiguous(q_dev.get(), cs.dtype, {batch, cs.q_len, cs.hq, d});
    a.k_cache = TensorView::contiguous(k_dev.get(), cs.dtype, {num_pages, ps, cs.hkv, d});
    a.v_cache = TensorView::contiguous(v_dev.get(), cs.dtype, {num_pages, ps, cs.hkv, d});
    a.page_table = TensorView::contiguous(table_dev.get(), DType::i32, {batch, max_pages});
    a.seq_lens = TensorView::contiguous(lens_dev.get(), DType::i32, {batch});
    a.o = TensorView::contiguous(o_dev.get(), cs.dtype, {batch, cs.q_len, cs.hq, d});
    a.lse = TensorView::contiguous(lse_dev.get(), DType::f32, {batch, cs.q_len, cs.hq});
    a.max_seq_len = max_len;
    ptxkit::DecodeAttentionOptions o;
    o.softcap = cs.softcap;
    o.window_left = cs.window_left;
    o.splits = cs.splits;
    DeviceBuffer workspace;
    if (cs.workspace != Workspace::none) {
        std::size_t bytes = ptxkit::attention_decode_workspace_size(batch, cs.q_len, cs.hq, cs.hkv, d, max_len);
        if (cs.splits > 1) {
            // Enough for the forced count: the plan query with unlimited workspace.
            bytes = static_cast<std::size_t>(cs.splits) * out_elems * 4 + static_cast<std::size_t>(cs.splits) *
                                                                                 static_cast<std::size_t>(batch * cs.q_len * cs.hq) * 4 + 4096;
        }
        if (cs.workspace == Workspace::short_by_half) bytes /= 2;
        workspace = DeviceBuffer(std::max<std::size_t>(bytes, 16));
        o.workspace = workspace.get();
        o.workspace_bytes = bytes;
    }
    DecodeRun run;
    try {
        run.splits = ptxkit::attention_decode_plan(a, o).splits;
        ptxkit::attention_decode(a, o, nullptr);
    } catch (const ptxkit::Error& e) {
        ADD_FAILURE() << "attention_decode threw: " << e.what();
        return run;
    }
    if (cs.workspace == Workspace::none) {
        EXPECT_EQ(run.splits, 1) << "split-KV without workspace";
    }
    run.o = o_dev.to_host<std::uint16_t>(out_elems);
    run.lse = lse_dev.to_host<float>(static_cast<std::size_t>(batch * cs.q_len * cs.hq));

    // Compare every sequence but the poisoned one, which must be NaN.
    std::vector<std::uint16_t> got;
    std::vector<double> want_o, want_lse;
    std::vector<float> got_lse;
    const std::int64_t total_q = batch * cs.q_len;
    for (std::int64_t b = 0; b < batch; ++b) {
        for (int t = 0; t < cs.q_len; ++t) {
            const std::int64_t row = b * cs.q_len + t;
            for (int h = 0; h < cs.hq; ++h) {
                const std::size_t at = static_cast<std::size_t>((row * cs.hq + h) * d);
                if (b == cs.bad_page_sequence && cs.seq_lens[b] > 0) {
                    EXPECT_TRUE(std::isnan(ptxkit::testing::from_bits(run.o[at], cs.dtype)))
                        << "sequence " << b << " read a page id out of range but its output is not NaN";
                    continue;
                }
                got.insert(got.end(), run.o.begin() + at, run.o.begin() + at + d);
                want_o.insert(want_o.end(), ref.o.begin() + at, ref.o.begin() + at + d);
                got_lse.push_back(run.lse[static_cast<std::size_t>(row * cs.hq + h)]);
                want_lse.push_back(ref.lse[static_cast<std::size_t>(h * total_q + row)]);
            }
        }
    }
    ptxkit::testing::compare_outputs(got, want_o, cs.dtype, "o", cs.softcap);
    ptxkit::testing::compare_lse(got_lse, want_lse, "lse", cs.softcap);
    return run;
}

class AttentionDecode : public ptxkit::testing::GpuTest {};

using ptxkit::testing::sim_or;

TEST_F(AttentionDecode, EveryPageSizeAndQLen) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: 1029 -> 517 (2 x 256 + 5: still past the last page at every page size).
    const std::int32_t longest = sim_or(1029, 517);
    for (int page : {16, 32, 64, 128, 256}) {
        for (int q_len : {1, 2, 5, 8}) {
            run_case({.seq_lens = {1, 17, 300, 0, longest, 64}, .q_len = q_len, .page_size = page}, seed + ++i);
        }
    }
}

TEST_F(AttentionDecode, HeadDimsGqaRatiosAndMqa) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // 17 to 32 query rows per KV head (q_len x group = 3 x 8): the 32-row kernels.
    for (int d : {64, 128, 256}) {
        run_case({.seq_lens = {sim_or(700, 200), 9}, .q_len = 3, .hq = 16, .hkv = 2, .d = d}, seed + ++i);
    }
    // Software GPU: 700 -> 300 and 500 -> 260 keys (still several pages and key blocks).
    for (int d : {64, 128, 256}) {
        for (int ratio : {1, 4, 8}) {
            run_case({.seq_lens = {sim_or(700, 300), 33, 2}, .q_len = 2, .hq = 8, .hkv = 8 / ratio, .d = d},
                     seed + ++i);
        }
    }
    // MQA with many query heads and q_len 8: 256 query rows per KV head.
    run_case({.seq_lens = {sim_or(500, 260), 9}, .q_len = 8, .hq = 32, .hkv = 1, .d = 128, .page_size = 64},
             seed + ++i);
    run_case({.seq_lens = {300}, .q_len = 4, .hq = 16, .hkv = 1, .d = 256, .page_size = 32}, seed + ++i);
}

TEST_F(AttentionDecode, WindowSoftcapAndFp16) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    run_case({.seq_lens = {900, 50, 3}, .q_len = 3, .window_left = 100}, seed + ++i);
    run_case({.seq_lens = {900, 50}, .q_len = 1, .page_size = 32, .softcap = 30.0f}, seed + ++i);
    run_case({.seq_lens = {400, 77}, .q_len = 2, .d = 64, .dtype = DType::f16}, seed + ++i);
    run_case({.seq_lens = {4000, 1}, .q_len = 1, .d = 256, .page_size = 128, .dtype = DType::f16, .window_left = 1000},
             seed + ++i);
}

// With a window the splits divide [window base, seq_len) only: long
// sequences, short windows, the heuristic and forced counts, sequences
// shorter than the window, a window of 0 (the query's own key), and a bad
// page id before the window (no split reads it; split 0 still scans it).
TEST_F(AttentionDecode, SplitsCoverOnlyTheWindow) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    const DecodeRun windowed = run_case({.seq_lens = {6000, 2500, 100}, .q_len = 2, .window_left = 500}, seed + ++i);
    EXPECT_GT(windowed.splits, 1) << "500 keys of 3 sequences x 2 KV heads should still split";
    run_case({.seq_lens = {6000, 2500, 100}, .q_len = 8, .hq = 8, .hkv = 1, .d = 64, .page_size = 64,
              .window_left = 257},
             seed + ++i);
    run_case({.seq_lens = {2000, 37, 0}, .q_len = 3, .d = 256, .page_size = 32, .window_left = 300, .splits = 20},
             seed + ++i);
    run_case({.seq_lens = {2000, 1999}, .window_left = 0}, seed + ++i);
    run_case({.seq_lens = {4100, 64}, .q_len = 4, .hq = 4, .hkv = 4, .d = 64, .window_left = 4000}, seed + ++i);
    run_case({.seq_lens = {5000, 3000}, .window_left = 200, .bad_page_sequence = 0}, seed + ++i);
    run_case({.seq_lens = {5000, 3000}, .window_left = 200, .splits = 4, .bad_page_sequence = 0}, seed + ++i);
}

// Keys before every query's window hold NaN (recycled pages): they are
// zero-filled, never read, so no output is NaN. Windows that start inside a
// key block and inside a page, several queries, forced splits, f16.
TEST_F(AttentionDecode, KeysBeforeTheWindowAreNeverRead) {
    const auto seed = ptxkit::testing::fresh_seed();
    int i = 0;
    run_case({.seq_lens = {900, 50, 300}, .q_len = 3, .window_left = 100, .nan_before_window = true}, seed + ++i);
    run_case({.seq_lens = {1000, 777}, .q_len = 1, .d = 64, .page_size = 32, .dtype = DType::f16, .window_left = 129,
              .splits = 3, .nan_before_window = true},
             seed + ++i);
    run_case({.seq_lens = {613}, .q_len = 4, .hq = 4, .hkv = 4, .d = 256, .page_size = 64, .window_left = 70,
              .nan_before_window = true},
             seed + ++i);
}

// Shared memory without bank conflicts in every decode kernel, as the
// software GPU's profiler counts them: the swizzled K/V/Q copies and
// ldmatrix reads, and the epilogue's staged float2 stores and float4 reads.
TEST_F(AttentionDecode, SharedMemoryConflictFree) {
    if (!ptxkit::testing::on_simulator()) GTEST_SKIP() << "counts accesses on ptxsim's profiler";
    const auto seed = ptxkit::testing::fresh_seed();
    int i = 0;
    for (int d : {64, 128, 256}) {
        ptxkit::testing::SimProfile profile;
        run_case({.seq_lens = {300, 17}, .q_len = 2, .d = d, .workspace = Workspace::none}, seed + ++i);
        int kernels = 0;
        for (const auto& [name, s] : profile.by_kernel()) {
            if (name.rfind("ptxkit_attention_decode_d", 0) != 0) continue;
            ++kernels;
            EXPECT_TRUE(s.conflicts.empty()) << name << ": " << s.conflicts.size()
                                             << " instructions with bank conflicts, the first: " << s.conflicts[0];
        }
        EXPECT_GE(kernels, 1) << "D=" << d;
    }
}

TEST_F(AttentionDecode, SplitCountsAndWorkspace) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: 5000 -> 1300 and 1500 -> 700 keys: the heuristic still
    // splits (5 ways) and 37 forced splits still fit (41 key blocks).
    const std::vector<std::int32_t> lens = {sim_or(5000, 1300), 3, 0, sim_or(1500, 700)};
    run_case({.seq_lens = lens, .splits = 1}, seed + ++i);
    const DecodeRun heuristic = run_case({.seq_lens = lens}, seed + ++i);
    EXPECT_GT(heuristic.splits, 1) << "a batch of 4 x 2 KV heads with 5000 keys should split";
    run_case({.seq_lens = lens, .splits = 37}, seed + ++i);
    run_case({.seq_lens = lens, .workspace = Workspace::none}, seed + ++i);
    run_case({.seq_lens = lens, .workspace = Workspace::short_by_half}, seed + ++i);
    // seq_lens above max_seq_len are clamped to it.
    run_case({.seq_lens = {300, 260}, .max_seq_len = 256}, seed + ++i);
}

TEST_F(AttentionDecode, PageIdOutOfRangePoisonsOnlyItsSequence) {
    const auto seed = ptxkit::testing::fresh_seed();
    run_case({.seq_lens = {200, 300, 100}, .q_len = 2, .bad_page_sequence = 1}, seed);
    run_case({.seq_lens = {5000, 3000}, .bad_page_sequence = 0}, seed + 1);
}

TEST_F(AttentionDecode, BitwiseDeterministic) {
    const auto seed = ptxkit::testing::fresh_seed();
    const DecodeCase cs{.seq_lens = {3000, 17, 900}, .q_len = 4};
    const DecodeRun first = run_case(cs, seed);
    const DecodeRun second = run_case(cs, seed);
    EXPECT_EQ(first.o, second.o);
    EXPECT_EQ(first.lse.size(), second.lse.size());
    for (std::size_t j = 0; j < first.lse.size() && j < second.lse.size(); ++j) {
        EXPECT_EQ(std::memcmp(&first.lse[j], &second.lse[j], 4), 0) << j;
    }
}

}  // namespace
