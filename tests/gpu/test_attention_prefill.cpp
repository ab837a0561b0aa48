// Attention prefill against the float64 reference (tests/support/
// attention_reference.*): every head dimension, both dtypes, causal and not,
// sliding windows, soft-capping, GQA ratios 1, 4 and 8, packed batches with
// odd lengths (0, 1, 17, 100, 1000...), seqlen_q != seqlen_k on both sides,
// strided q/k/v taken from one packed QKV projection, the log-sum-exp, and
// every kernel family the device runs (forced through AttentionOptions::path).
// Inputs are fresh random values; outputs are poisoned with NaN first, and
// the padding between output rows must stay poisoned.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "attention_test_util.hpp"
#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/attention_reference.hpp"

namespace {

using ptxkit::AttentionPath;
using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;

struct PrefillCase {
    std::vector<std::int64_t> lq, lk;  // per sequence
    bool varlen = true;                // false: the fixed-length form (all lengths equal)
    int hq = 4, hkv = 1, d = 128;
    DType dtype = DType::bf16;
    bool causal = false;
    int window_left = -1, window_right = -1;
    float softcap = 0.0f;
    float scale = 0.0f;  // 0: 1/sqrt(D)
    bool strided_qkv = false;  // q, k, v slices of one [total, (Hq + 2 Hkv) D] buffer (needs lq == lk)
    bool lse = true;
    std::int64_t o_pad = 0;    // extra elements at the end of every output row

    std::string name() const {
        std::string s = (varlen ? "varlen" : "fixed");
        s += " lq=[";
        for (auto x : lq) s += std::to_string(x) + ",";
        s += "] lk=[";
        for (auto x : lk) s += std::to_string(x) + ",";
        s += "] Hq=" + std::to_string(hq) + " Hkv=" + std::to_string(hkv) + " D=" + std::to_string(d) + " " +
             ptxkit::dtype_name(dtype) + (causal ? " causal" : "") + " window=" + std::to_string(window_left) + "," +
             std::to_string(window_right) + " softcap=" + std::to_string(softcap) + (strided_qkv ? " qkv" : "") +
             " o_pad=" + std::to_string(o_pad);
        return s;
    }
};

bool device_is_hopper() { return ptxkit::device_properties(ptxkit::current_device()).cc_major == 9; }

std::vector<AttentionPath> paths_to_test() {
    std::vector<AttentionPath> p = {AttentionPath::sm80, AttentionPath::automatic};
    if (device_is_hopper()) p.push_back(AttentionPath::sm90);
    return p;
}

// A [rows, heads, D] view with the given row stride (or the fixed form's
// [B, S, heads, D] when `batch` > 0).
TensorView view(void* data, DType dtype, std::int64_t rows, std::int64_t heads, std::int64_t d,
                std::int64_t row_stride, std::int64_t batch) {
    TensorView t;
    t.data = data;
    t.dtype = dtype;
    if (batch > 0) {
        const std::int64_t s = rows / batch;
        t.rank = 4;
        t.shape[0] = batch;
        t.shape[1] = s;
        t.shape[2] = heads;
        t.shape[3] = d;
        t.stride[0] = s * row_stride;
        t.stride[1] = row_stride;
        t.stride[2] = d;
        t.stride[3] = 1;
    } else {
        t.rank = 3;
        t.shape[0] = rows;
        t.shape[1] = heads;
        t.shape[2] = d;
        t.stride[0] = row_stride;
        t.stride[1] = d;
        t.stride[2] = 1;
    }
    return t;
}

// Runs one case on one path; returns the raw output bits (for determinism
// checks) or an empty vector when the path does not serve the case.
std::vector<std::uint16_t> run_case(const PrefillCase& cs, AttentionPath path, std::uint64_t seed) {
    SCOPED_TRACE(cs.name() + " path=" + std::to_string(static_cast<int>(path)) + " seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    using ptxkit::testing::AttentionProblem;
    AttentionProblem p;
    p.heads_q = cs.hq;
    p.heads_kv = cs.hkv;
    p.head_dim = cs.d;
    for (std::size_t b = 0; b < cs.lq.size(); ++b) {
        p.cu_q.push_back(p.cu_q.back() + cs.lq[b]);
        p.cu_k.push_back(p.cu_k.back() + cs.lk[b]);
    }
    const std::int64_t total_q = p.cu_q.back(), total_k = p.cu_k.back();
    const std::int64_t batch = static_cast<std::int64_t>(cs.lq.size());
    p.scale = cs.scale != 0.0f ? cs.scale : 1.0 / std::sqrt(static_cast<double>(cs.d));
    p.softcap = cs.softcap;
    p.mask = {cs.window_left, cs.causal ? 0 : cs.window_right};

    const std::int64_t d = cs.d;
    std::vector<double> qv, kv, vv;
    // q spans a wider range so the softmax is peaked, not nearly uniform.
    const auto qb = ptxkit::testing::random_half(static_cast<std::size_t>(total_q * cs.hq * d), 2.0, cs.dtype, rng, qv);
    const auto kb = ptxkit::testing::random_half(static_cast<std::size_t>(total_k * cs.hkv * d), 1.0, cs.dtype, rng, kv);
    const auto vb = ptxkit::testing::random_half(static_cast<std::size_t>(total_k * cs.hkv * d), 1.0, cs.dtype, rng, vv);
    p.q = qv;
    p.k = kv;
    p.v = vv;

    // Device layouts.
    const std::int64_t q_cols = cs.hq * d, kv_cols = cs.hkv * d;
    DeviceBuffer qkv_dev, q_dev, k_dev, v_dev;
    void* q_ptr;
    void* k_ptr;
    void* v_ptr;
    std::int64_t q_rs = q_cols, k_rs = kv_cols;
    if (cs.strided_qkv) {
        EXPECT_EQ(total_q, total_k);
        const std::int64_t rs = q_cols + 2 * kv_cols;
        std::vector<std::uint16_t> packed(static_cast<std::size_t>(std::max<std::int64_t>(total_q, 1) * rs));
        for (std::int64_t r = 0; r < total_q; ++r) {
            std::copy_n(&qb[r * q_cols], q_cols, &packed[r * rs]);
            std::copy_n(&kb[r * kv_cols], kv_cols, &packed[r * rs + q_cols]);
            std::copy_n(&vb[r * kv_cols], kv_cols, &packed[r * rs + q_cols + kv_cols]);
        }
        qkv_dev = DeviceBuffer::from(packed);
        q_ptr = qkv_dev.get();
        k_ptr = static_cast<std::uint16_t*>(qkv_dev.get()) + q_cols;
        v_ptr = static_cast<std::uint16_t*>(qkv_dev.get()) + q_cols + kv_cols;
        q_rs = k_rs = rs;
    } else {
        auto nonempty = [](std::vector<std::uint16_t> v) {
            if (v.empty()) v.assign(8, 0);
            return v;
        };
        q_dev = DeviceBuffer::from(nonempty(qb));
        k_dev = DeviceBuffer::from(nonempty(kb));
        v_dev = DeviceBuffer::from(nonempty(vb));
        q_ptr = q_dev.get();
        k_ptr = k_dev.get();
        v_ptr = v_dev.get();
    }
    const std::int64_t o_rs = q_cols + cs.o_pad;
    DeviceBuffer o_dev(static_cast<std::size_t>(std::max<std::int64_t>(total_q, 1) * o_rs) * 2);
    o_dev.fill(0xFF);
    DeviceBuffer lse_dev(static_cast<std::size_t>(std::max<std::int64_t>(total_q * cs.hq, 1)) * 4);
    lse_dev.fill(0xFF);
    std::vector<std::int32_t> cu_q(p.cu_q.begin(), p.cu_q.end()), cu_k(p.cu_k.begin(), p.cu_k.end());
    DeviceBuffer cu_q_dev = DeviceBuffer::from(cu_q), cu_k_dev = DeviceBuffer::from(cu_k);

    ptxkit::AttentionOptions o;
    o.causal = cs.causal;
    o.window_left = cs.window_left;
    o.window_right = cs.causal ? -1 : cs.window_right;
    o.softcap = cs.softcap;
    o.softmax_scale = cs.scale;
    o.path = path;

    const std::int64_t fixed_b = cs.varlen ? 0 : batch;
    const TensorView qt = view(q_ptr, cs.dtype, total_q, cs.hq, d, q_rs, fixed_b);
    const TensorView kt = view(k_ptr, cs.dtype, total_k, cs.hkv, d, k_rs, fixed_b);
    const TensorView vt = view(v_ptr, cs.dtype, total_k, cs.hkv, d, k_rs, fixed_b);
    const TensorView ot = view(o_dev.get(), cs.dtype, total_q, cs.hq, d, o_rs, fixed_b);
    try {
        if (cs.varlen) {
            ptxkit::VarlenAttentionArgs a{qt, kt, vt, ot,
                                          TensorView::contiguous(cu_q_dev.get(), DType::i32, {batch + 1}),
                                          TensorView::contiguous(cu_k_dev.get(), DType::i32, {batch + 1}),
                                          *std::max_element(cs.lq.begin(), cs.lq.end()),
                                          *std::max_element(cs.lk.begin(), cs.lk.end()), TensorView{}};
            if (cs.lse) a.lse = TensorView::contiguous(lse_dev.get(), DType::f32, {cs.hq, total_q});
            if (path != AttentionPath::automatic) {
                EXPECT_EQ(ptxkit::attention_prefill_plan(a, o).path, path);
            }
            ptxkit::attention_prefill(a, o, nullptr);
        } else {
            const std::int64_t s = cs.lq[0];
            ptxkit::AttentionArgs a{qt, kt, vt, ot, TensorView{}};
            if (cs.lse) a.lse = TensorView::contiguous(lse_dev.get(), DType::f32, {batch, cs.hq, s});
            if (path != AttentionPath::automatic) {
                EXPECT_EQ(ptxkit::attention_prefill_plan(a, o).path, path);
            }
            ptxkit::attention_prefill(a, o, nullptr);
        }
    } catch (const ptxkit::Error& e) {
        ADD_FAILURE() << "attention_prefill threw: " << e.what();
        return {};
    }

    const auto ref = ptxkit::testing::reference_attention(p);
    const auto raw = o_dev.to_host<std::uint16_t>(static_cast<std::size_t>(total_q * o_rs));
    std::vector<std::uint16_t> dense(static_cast<std::size_t>(total_q * q_cols));
    for (std::int64_t r = 0; r < total_q; ++r) {
        std::copy_n(&raw[r * o_rs], q_cols, &dense[r * q_cols]);
        for (std::int64_t c = q_cols; c < o_rs; ++c) {
            EXPECT_EQ(raw[r * o_rs + c], 0xFFFF) << "padding of output row " << r << " was written";
        }
    }
    ptxkit::testing::compare_outputs(dense, ref.o, cs.dtype, "o", cs.softcap);
    if (cs.lse && total_q > 0) {
        const auto lse = lse_dev.to_host<float>(static_cast<std::size_t>(total_q * cs.hq));
        if (cs.varlen) {
            ptxkit::testing::compare_lse(lse, ref.lse, "lse [Hq, total_q]", cs.softcap);
        } else {
            // Fixed form: [B, Hq, S]; the reference is [Hq, total_q].
            const std::int64_t s = cs.lq[0];
            std::vector<double> want(lse.size());
            for (std::int64_t b = 0; b < batch; ++b)
                for (int h = 0; h < cs.hq; ++h)
                    for (std::int64_t i = 0; i < s; ++i)
                        want[static_cast<std::size_t>((b * cs.hq + h) * s + i)] =
                            ref.lse[static_cast<std::size_t>(h * total_q + b * s + i)];
            ptxkit::testing::compare_lse(lse, want, "lse [B, Hq, S]", cs.softcap);
        }
    }
    return dense;
}

class AttentionPrefill : public ptxkit::testing::GpuTest {};

using ptxkit::testing::sim_or;

TEST_F(AttentionPrefill, EveryHeadDimCausalAndNot) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: 136 = 128 + 8 = 80 + 56 = 2 x 64 + 8 = 4 x 32 + 8 per
    // sequence instead of 200: still a full and a partial block of queries
    // and of keys for every family's tile.
    const std::int64_t s = sim_or<std::int64_t>(200, 136);
    for (AttentionPath path : paths_to_test()) {
        for (int d : {64, 128, 256}) {
            for (bool causal : {false, true}) {
                run_case({.lq = {s, s}, .lk = {s, s}, .varlen = false, .hq = 4, .hkv = 1, .d = d,
                          .causal = causal},
                         path, seed + ++i);
            }
        }
    }
}

TEST_F(AttentionPrefill, VarlenOddLengthsAndGqaRatios) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: 300 -> 160 (still more than one 128-query block and
    // 2 to 5 key blocks), and {1000, 3} -> {300, 3} below.
    const std::vector<std::int64_t> lengths = {1, 17, 100, 0, sim_or<std::int64_t>(300, 160), 129};
    for (AttentionPath path : paths_to_test()) {
        for (int ratio : {1, 4, 8}) {
            for (bool causal : {false, true}) {
                run_case({.lq = lengths, .lk = lengths, .hq = 8, .hkv = 8 / ratio, .d = 128, .causal = causal}, path,
                         seed + ++i);
            }
        }
        const std::int64_t long_one = sim_or<std::int64_t>(1000, 300);
        run_case({.lq = {long_one, 3}, .lk = {long_one, 3}, .hq = 2, .hkv = 1, .d = 128, .causal = true}, path, seed + ++i);
    }
}

TEST_F(AttentionPrefill, QueriesShorterAndLongerThanKeys) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: 300 -> 160 (still several key blocks before the queries,
    // or several query blocks before the keys).
    const std::int64_t longer = sim_or<std::int64_t>(300, 160);
    for (AttentionPath path : paths_to_test()) {
        for (int d : {64, 256}) {
            // Chunked prefill: new queries after a cached prefix (bottom-right causal).
            run_case({.lq = {50, 7, 1}, .lk = {longer, 77, 64}, .hq = 4, .hkv = 2, .d = d, .causal = true}, path,
                     seed + ++i);
            // More queries than keys: the first rows see nothing (o = 0, lse = -inf).
            run_case({.lq = {longer, 20}, .lk = {50, 0}, .hq = 4, .hkv = 2, .d = d, .causal = true}, path, seed + ++i);
            run_case({.lq = {65, 20}, .lk = {130, 0}, .hq = 4, .hkv = 4, .d = d, .causal = false}, path, seed + ++i);
        }
    }
}

TEST_F(AttentionPrefill, WindowsSoftcapAndScale) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: 333 -> 211, 260 -> 180, 200 / 250 -> 130 / 170: odd
    // lengths still several blocks long and several windows wide.
    const std::int64_t a = sim_or<std::int64_t>(333, 211), b = sim_or<std::int64_t>(260, 180);
    const std::int64_t cq = sim_or<std::int64_t>(200, 130), ck = sim_or<std::int64_t>(250, 170);
    for (AttentionPath path : paths_to_test()) {
        for (int d : {64, 128, 256}) {
            run_case({.lq = {a}, .lk = {a}, .hq = 2, .hkv = 1, .d = d, .window_left = 64, .window_right = 16},
                     path, seed + ++i);
            run_case({.lq = {b, 31}, .lk = {b, 31}, .hq = 2, .hkv = 2, .d = d, .causal = true, .window_left = 100},
                     path, seed + ++i);
            run_case({.lq = {cq}, .lk = {ck}, .hq = 4, .hkv = 1, .d = d, .causal = true, .softcap = 5.0f}, path,
                     seed + ++i);
            run_case({.lq = {150}, .lk = {150}, .hq = 2, .hkv = 1, .d = d, .softcap = 30.0f, .scale = 0.3f}, path,
                     seed + ++i);
            // A window that leaves some queries without keys.
            run_case({.lq = {100}, .lk = {40}, .hq = 2, .hkv = 1, .d = d, .window_left = 10, .window_right = 0},
                     path, seed + ++i);
        }
    }
}

// Mask edges exactly on key-block boundaries (the kernels' decisions to skip
// a block, or to load it unmasked, are off by one there first): a causal
// diagonal that ends a block, windows whose left edge is a block boundary
// for 64-, 80- and 128-key blocks, and a window of 126 with no right edge.
TEST_F(AttentionPrefill, MaskEdgesOnKeyBlockBoundaries) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (AttentionPath path : paths_to_test()) {
        for (int d : {64, 128, 256}) {
            // One key block per sequence (its first block is its last), for
            // 16 heads: more work items than a 4-SM model has CTAs, so each
            // CTA loads a second Q tile after releasing the first (sms4.*).
            run_case({.lq = {2}, .lk = {128}, .hq = 16, .hkv = 1, .d = d, .causal = true}, path, seed + ++i);
            // One more key than queries, causal: the last row of each 64- or
            // 128-row query block needs the first key of the next key block.
            run_case({.lq = {200}, .lk = {201}, .hq = 2, .hkv = 1, .d = d, .causal = true}, path, seed + ++i);
            run_case({.lq = {400}, .lk = {400}, .hq = 2, .hkv = 1, .d = d, .causal = true, .window_left = 254}, path,
                     seed + ++i);
            run_case({.lq = {300}, .lk = {300}, .hq = 2, .hkv = 1, .d = d, .window_left = 126, .window_right = -1}, path,
                     seed + ++i);
            run_case({.lq = {256}, .lk = {320}, .hq = 2, .hkv = 1, .d = d, .window_left = 64, .window_right = 64}, path,
                     seed + ++i);
        }
    }
}

TEST_F(AttentionPrefill, Fp16StridedQkvAndPaddedOutput) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (AttentionPath path : paths_to_test()) {
        for (int d : {64, 128, 256}) {
            run_case({.lq = {130, 45}, .lk = {130, 45}, .hq = 8, .hkv = 2, .d = d, .dtype = DType::f16,
                      .causal = true, .strided_qkv = true, .o_pad = 8},
                     path, seed + ++i);
            run_case({.lq = {96, 96}, .lk = {96, 96}, .varlen = false, .hq = 4, .hkv = 4, .d = d,
                      .dtype = DType::f16, .strided_qkv = true, .lse = false},
                     path, seed + ++i);
        }
    }
}

TEST_F(AttentionPrefill, BitwiseDeterministic) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (AttentionPath path : paths_to_test()) {
        // Software GPU: 261 = 2 x 128 + 5 instead of 517 = 4 x 128 + 5.
        const std::int64_t s = sim_or<std::int64_t>(517, 261);
        const PrefillCase cs{.lq = {s, 3}, .lk = {s, 3}, .hq = 4, .hkv = 1, .d = 128, .causal = true};
        const auto first = run_case(cs, path, seed);
        const auto second = run_case(cs, path, seed);
        EXPECT_EQ(first, second) << "two runs of the same inputs differ";
    }
}

// Forcing the sm90 path runs it on Hopper and is `unsupported` anywhere else
// (the software GPU runs this test on a modelled H100 and A100).
TEST_F(AttentionPrefill, ForcedSm90OffHopperIsUnsupported) {
    DeviceBuffer buf(1 << 20);
    buf.fill(0);
    ptxkit::AttentionArgs a;
    a.q = TensorView::contiguous(buf.get(), DType::bf16, {1, 16, 1, 64});
    a.k = TensorView::contiguous(static_cast<char*>(buf.get()) + 4096, DType::bf16, {1, 16, 1, 64});
    a.v = TensorView::contiguous(static_cast<char*>(buf.get()) + 8192, DType::bf16, {1, 16, 1, 64});
    a.o = TensorView::contiguous(static_cast<char*>(buf.get()) + 12288, DType::bf16, {1, 16, 1, 64});
    ptxkit::AttentionOptions o;
    o.path = AttentionPath::sm90;
    if (device_is_hopper()) {
        EXPECT_NO_THROW(ptxkit::attention_prefill(a, o, nullptr));
        PTXKIT_CU(cuCtxSynchronize);
        return;
    }
    try {
        ptxkit::attention_prefill(a, o, nullptr);
        ADD_FAILURE() << "forced sm90 ran on a non-Hopper device";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::unsupported) << e.what();
    }
}

}  // namespace
