// Runs the REAL ptxkit::attention_prefill host path (src/ops/attention.cpp:
// argument checks, describe(), plan choice; src/ops/attention_sm90.cpp:
// plan_prefill_sm90, launch_prefill_sm90, rank-4 tensor maps through
// src/ops/tensor_map.cpp) against the emulated kernel (kernels/attention/
// prefill_sm90.cu, translated), and compares o and lse with the float64
// reference of tests/support/attention_reference.cpp, with the tolerances of
// tests/gpu/attention_test_util.hpp. Outputs are poisoned (0xFF) first; every
// byte outside the logical output must stay poisoned.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "attention/attention_params.h"
#include "buffers.hpp"
#include "case_runner.hpp"
#include "cases.hpp"
#include "host.hpp"
#include "ops/attention_internal.hpp"
#include "ptxkit/attention.hpp"
#include "runtime/launch.hpp"
#include "runtime_stubs.hpp"
#include "support/attention_reference.hpp"

using Params = ptxkit_attention_params;
using AttnFn = void (*)(CUtensorMap, CUtensorMap, CUtensorMap, Params);
#define K(name) extern "C" void name(CUtensorMap, CUtensorMap, CUtensorMap, Params);
K(ptxkit_attention_prefill_sm90_bf16_d64) K(ptxkit_attention_prefill_sm90_f16_d64)
K(ptxkit_attention_prefill_sm90_bf16_d128) K(ptxkit_attention_prefill_sm90_f16_d128)
K(ptxkit_attention_prefill_sm90_bf16_d256) K(ptxkit_attention_prefill_sm90_f16_d256)
#undef K

namespace {
const std::map<std::string, AttnFn> kKernels = {
#define E(name) {#name, &name},
    E(ptxkit_attention_prefill_sm90_bf16_d64) E(ptxkit_attention_prefill_sm90_f16_d64)
    E(ptxkit_attention_prefill_sm90_bf16_d128) E(ptxkit_attention_prefill_sm90_f16_d128)
    E(ptxkit_attention_prefill_sm90_bf16_d256) E(ptxkit_attention_prefill_sm90_f16_d256)
#undef E
};
}  // namespace

namespace ptxkit::detail {
// Runs every CTA of the grid, one after the other, after checking the launch
// against the kernel.
void launch_raw(ContextState&, const Kernel& kernel, const LaunchConfig& c, CUstream, void** params,
                const std::size_t* sizes, std::size_t count) {
    emu::harness::record_launch(kernel, c);
    if (c.grid.y != 1 || c.grid.z != 1 || c.cluster.x != 1 || c.grid.x == 0 || c.block.x != 384)
        emu::harness::bad_launch("unexpected launch shape: grid " + std::to_string(c.grid.x) + " block " + std::to_string(c.block.x) +
                   " cluster " + std::to_string(c.cluster.x));
    if (c.dynamic_shared_bytes > unsigned(emu::harness::device().shared_memory_per_block_optin))
        emu::harness::bad_launch("dynamic shared memory " + std::to_string(c.dynamic_shared_bytes) + " above the opt-in limit");
    auto it = kKernels.find(kernel.name);
    if (kernel.module != "attention.prefill_sm90" || it == kKernels.end() || count != 4 ||
        sizes[0] != sizeof(CUtensorMap) || sizes[1] != sizeof(CUtensorMap) || sizes[2] != sizeof(CUtensorMap) ||
        sizes[3] != sizeof(Params))
        emu::harness::bad_launch("bad launch of " + kernel.module + ":" + kernel.name);
    // Kernel parameters are copied into the launch (aligned as the driver's
    // parameter buffer is); the kernel reads the copies.
    alignas(128) CUtensorMap tq, tk, tv;
    std::memcpy(&tq, params[0], sizeof tq);
    std::memcpy(&tk, params[1], sizeof tk);
    std::memcpy(&tv, params[2], sizeof tv);
    const Params p = *static_cast<const Params*>(params[3]);
    const dim3e grid{c.grid.x, 1, 1};
    for (unsigned bx = 0; bx < c.grid.x; ++bx)
        emu::run_block({bx, 0, 0}, grid, int(c.block.x), c.dynamic_shared_bytes, [&] { it->second(tq, tk, tv, p); });
}
}  // namespace ptxkit::detail

// The other attention paths are not linked: they decline, and never launch.
namespace ptxkit::detail::attention {
bool plan_prefill_sm80(const PrefillProblem&, const DeviceProperties&, PrefillPlan&, std::string& why) {
    why = "stub (emulator: sm90 only)";
    return false;
}
void launch_prefill_sm80(ContextState&, const PrefillProblem&, const PrefillPlan&, CUstream) { std::_Exit(5); }
DecodePlan plan_decode(std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                       std::size_t, int, const DeviceProperties&) {
    std::_Exit(5);
}
void launch_decode(ContextState&, const DecodeProblem&, const DecodePlan&, CUstream) { std::_Exit(5); }
}  // namespace ptxkit::detail::attention

namespace {
using emu::attention_sm90::Case;
using emu::harness::from16;
using emu::harness::Guarded;
using emu::harness::guarded;
using emu::harness::to16;
using ptxkit::DType;

// Element strides of a [rows(, batch), heads, D] operand in a layout.
struct Strides { int64_t batch, row, head, elems; };
Strides strides_of(int layout, int64_t batch, int64_t rows_per_batch, int64_t heads, int64_t d, int64_t qkv_row,
                   int64_t pad) {
    Strides s{};
    switch (layout) {
        case 2: s.head = d + 16; s.row = heads * s.head + 8; s.batch = rows_per_batch * s.row + 64; break;
        case 3: s.row = d; s.head = rows_per_batch * d; s.batch = heads * rows_per_batch * d; break;
        case 1: s.head = d; s.row = qkv_row; s.batch = rows_per_batch * s.row; break;
        default: s.head = d; s.row = heads * d + pad; s.batch = rows_per_batch * s.row; break;
    }
    s.elems = std::max<int64_t>(batch * s.batch, 1);
    if (layout == 2) s.elems += 64;
    return s;
}

int run_case(const Case& cs, unsigned seed) {
    std::mt19937_64 rng(seed);
    emu::harness::reset_device(cs.sms);
    const bool f16 = cs.f16;
    const DType dt = f16 ? DType::f16 : DType::bf16;
    const int64_t d = cs.d, B = int64_t(cs.lq.size());

    ptxkit::testing::AttentionProblem p;
    p.heads_q = cs.hq;
    p.heads_kv = cs.hkv;
    p.head_dim = cs.d;
    for (int64_t b = 0; b < B; ++b) {
        p.cu_q.push_back(p.cu_q.back() + cs.lq[b]);
        p.cu_k.push_back(p.cu_k.back() + cs.lk[b]);
    }
    const int64_t total_q = p.cu_q.back(), total_k = p.cu_k.back();
    p.scale = cs.scale != 0.0f ? cs.scale : 1.0 / std::sqrt(double(cs.d));
    p.softcap = cs.softcap;
    p.mask = {cs.wl, cs.causal ? 0 : cs.wr};
    auto gen = [&](int64_t n, double range, std::vector<double>& vals) {
        std::uniform_real_distribution<double> u(-range, range);
        std::vector<uint16_t> bits(n);
        vals.resize(n);
        for (int64_t i = 0; i < n; ++i) { bits[i] = to16(u(rng), f16); vals[i] = from16(bits[i], f16); }
        return bits;
    };
    const auto qb = gen(total_q * cs.hq * d, 2.0, p.q);
    const auto kb = gen(total_k * cs.hkv * d, 1.0, p.k);
    const auto vb = gen(total_k * cs.hkv * d, 1.0, p.v);

    // Fixed form: [B, S, H, D] (all lengths equal); packed: [total, H, D] (batch dim 1 in the layout helper).
    const int64_t sq = cs.varlen ? total_q : cs.lq[0], sk = cs.varlen ? total_k : cs.lk[0];
    const int64_t nb = cs.varlen ? 1 : B;
    const int64_t qkv_row = (cs.hq + 2 * cs.hkv) * d;
    const Strides qs = strides_of(cs.layout, nb, sq, cs.hq, d, qkv_row, 0);
    const Strides ks = strides_of(cs.layout, nb, sk, cs.hkv, d, qkv_row, 0);
    const Strides os = strides_of(cs.layout == 1 ? 0 : cs.layout, nb, sq, cs.hq, d, 0, cs.layout <= 1 ? cs.o_pad : 0);
    Guarded qbuf, kbuf, vbuf;
    uint16_t *qp, *kp, *vp;
    if (cs.layout == 1) {
        if (total_q != total_k || sq != sk) { std::printf("FAIL %s: layout 1 needs lq == lk\n", cs.name.c_str()); return 1; }
        qbuf = guarded(std::max<int64_t>(nb * sq * qkv_row, 8) * 2);
        qp = reinterpret_cast<uint16_t*>(qbuf.data());
        kp = qp + cs.hq * d;
        vp = qp + (cs.hq + cs.hkv) * d;
    } else {
        qbuf = guarded(qs.elems * 2);
        kbuf = guarded(std::max<int64_t>(ks.elems, 8) * 2);
        vbuf = guarded(std::max<int64_t>(ks.elems, 8) * 2);
        qp = reinterpret_cast<uint16_t*>(qbuf.data());
        kp = reinterpret_cast<uint16_t*>(kbuf.data());
        vp = reinterpret_cast<uint16_t*>(vbuf.data());
    }
    // Logical element (sequence-packed row r, head h, column e) -> offset.
    auto off = [&](const Strides& s, int64_t r, int64_t rows_per_batch, int64_t h, int64_t e) {
        const int64_t b = cs.varlen ? 0 : r / rows_per_batch, rr = cs.varlen ? r : r % rows_per_batch;
        return b * s.batch + rr * s.row + h * s.head + e;
    };
    for (int64_t r = 0; r < total_q; ++r)
        for (int h = 0; h < cs.hq; ++h)
            for (int64_t e = 0; e < d; ++e) qp[off(qs, r, sq, h, e)] = qb[(r * cs.hq + h) * d + e];
    for (int64_t r = 0; r < total_k; ++r)
        for (int h = 0; h < cs.hkv; ++h)
            for (int64_t e = 0; e < d; ++e) {
                kp[off(ks, r, sk, h, e)] = kb[(r * cs.hkv + h) * d + e];
                vp[off(ks, r, sk, h, e)] = vb[(r * cs.hkv + h) * d + e];
            }
    Guarded obuf = guarded(os.elems * 2);
    auto* op = reinterpret_cast<uint16_t*>(obuf.data());
    const int64_t lse_n = std::max<int64_t>(total_q * cs.hq, 1);
    Guarded lbuf = guarded(lse_n * 4);
    auto* lp = reinterpret_cast<float*>(lbuf.data());
    std::vector<int32_t> cuq(p.cu_q.begin(), p.cu_q.end()), cuk(p.cu_k.begin(), p.cu_k.end());

    // The buffers TMA may read (o and lse are written by plain stores).
    emu::clear_regions();
    emu::register_region(qbuf.data(), qbuf.bytes);  // all of Q, K and V in layout 1
    if (cs.layout != 1) {
        emu::register_region(kbuf.data(), kbuf.bytes);
        emu::register_region(vbuf.data(), vbuf.bytes);
    }

    auto view = [&](void* data, const Strides& s, int64_t rows_per_batch, int64_t heads) {
        ptxkit::TensorView t{};
        t.data = data;
        t.dtype = dt;
        if (cs.varlen) {
            t.rank = 3;
            t.shape[0] = rows_per_batch; t.shape[1] = heads; t.shape[2] = d;
            t.stride[0] = s.row; t.stride[1] = s.head; t.stride[2] = 1;
        } else {
            t.rank = 4;
            t.shape[0] = B; t.shape[1] = rows_per_batch; t.shape[2] = heads; t.shape[3] = d;
            t.stride[0] = s.batch; t.stride[1] = s.row; t.stride[2] = s.head; t.stride[3] = 1;
        }
        return t;
    };
    ptxkit::AttentionOptions o;
    o.causal = cs.causal;
    o.window_left = cs.wl;
    o.window_right = cs.causal ? -1 : cs.wr;
    o.softcap = cs.softcap;
    o.softmax_scale = cs.scale;
    o.path = ptxkit::AttentionPath::sm90;
    emu::harness::launches().clear();
    emu::harness::tensor_map_notes().clear();
    ptxkit::AttentionPlan plan;
    const auto tq = view(qp, qs, sq, cs.hq), tk = view(kp, ks, sk, cs.hkv), tv = view(vp, ks, sk, cs.hkv);
    const auto to = view(op, os, sq, cs.hq);
    if (cs.varlen) {
        ptxkit::VarlenAttentionArgs a{tq, tk, tv, to,
                                      ptxkit::TensorView::contiguous(cuq.data(), DType::i32, {B + 1}),
                                      ptxkit::TensorView::contiguous(cuk.data(), DType::i32, {B + 1}),
                                      *std::max_element(cs.lq.begin(), cs.lq.end()),
                                      *std::max_element(cs.lk.begin(), cs.lk.end()), ptxkit::TensorView{}};
        if (cs.lse) a.lse = ptxkit::TensorView::contiguous(lp, DType::f32, {cs.hq, total_q});
        plan = ptxkit::attention_prefill_plan(a, o);
        ptxkit::attention_prefill(a, o, nullptr);
    } else {
        ptxkit::AttentionArgs a{tq, tk, tv, to, ptxkit::TensorView{}};
        if (cs.lse) a.lse = ptxkit::TensorView::contiguous(lp, DType::f32, {B, cs.hq, sq});
        plan = ptxkit::attention_prefill_plan(a, o);
        ptxkit::attention_prefill(a, o, nullptr);
    }

    const auto ref = ptxkit::testing::reference_attention(p);
    // The tolerances of tests/gpu/attention_test_util.hpp: attention_tolerance()
    // plus softcap_score_error() (tanh.approx's error scaled by the cap).
    const double softcap_error = cs.softcap * (1.0 / 1024.0);
    // o: every logical element within tolerance, every other byte of the buffer still poisoned.
    const double tol = (f16 ? 4e-3 : 2.5e-2) + softcap_error;
    std::vector<char> logical(os.elems, 0);
    int bad = 0, nan = 0;
    double worst = 0, err_sq = 0, ref_sq = 0;
    auto where = [&](int64_t r, int64_t& b, int64_t& i) {
        b = int64_t(std::upper_bound(p.cu_q.begin(), p.cu_q.end(), r) - p.cu_q.begin()) - 1;
        i = r - p.cu_q[b];
    };
    for (int64_t r = 0; r < total_q; ++r)
        for (int h = 0; h < cs.hq; ++h)
            for (int64_t e = 0; e < d; ++e) {
                const int64_t at = off(os, r, sq, h, e);
                logical[at] = 1;
                const double g = from16(op[at], f16), w = ref.o[(r * cs.hq + h) * d + e];
                const double err = std::fabs(g - w);
                if (std::isnan(g)) ++nan;
                else { worst = std::max(worst, err); err_sq += err * err; ref_sq += w * w; }
                if (!(err <= tol)) {
                    if (++bad <= 6) {
                        int64_t b, i;
                        where(r, b, i);
                        std::printf("    o[seq %lld, row %lld, head %d, col %lld] = %.6g, want %.6g\n", (long long)b,
                                    (long long)i, h, (long long)e, g, w);
                    }
                }
            }
    const double rel = std::sqrt(err_sq / std::max(ref_sq, 1e-300));
    int pad_bad = 0;
    for (int64_t i = 0; i < os.elems; ++i)
        if (!logical[i] && op[i] != 0xFFFF) ++pad_bad;
    for (std::size_t i = 0; i < obuf.lead; ++i)
        if (obuf.span[i] != 0xFF) { ++pad_bad; break; }
    // lse
    int lse_bad = 0;
    double lse_worst = 0;
    if (cs.lse && total_q > 0) {
        for (int64_t r = 0; r < total_q; ++r)
            for (int h = 0; h < cs.hq; ++h) {
                int64_t b, i;
                where(r, b, i);
                const int64_t at = cs.varlen ? h * total_q + r : (b * cs.hq + h) * sq + i;
                const float g = lp[at];
                const double w = ref.lse[h * total_q + r];
                bool ok;
                if (std::isinf(w)) ok = std::isinf(g) && g < 0;
                else {
                    const double e = std::fabs(double(g) - w);
                    ok = e <= 2e-3 + softcap_error + 1e-4 * std::fabs(w);
                    if (std::isfinite(e)) lse_worst = std::max(lse_worst, e);
                }
                if (!ok && ++lse_bad <= 4)
                    std::printf("    lse[seq %lld, row %lld, head %d] = %.7g, want %.7g\n", (long long)b, (long long)i, h,
                                g, w);
            }
        for (std::size_t i = 0; i < lbuf.lead; ++i)
            if (lbuf.span[i] != 0xFF) { ++lse_bad; break; }
    } else {
        for (int64_t i = 0; i < lse_n; ++i) {
            uint32_t u; std::memcpy(&u, &lp[i], 4);
            if (u != 0xFFFFFFFFu) { ++lse_bad; break; }
        }
    }
    std::string why;
    if (bad) why += " [" + std::to_string(bad) + " o elements off]";
    if (nan) why += " [" + std::to_string(nan) + " o NaN/unwritten]";
    if (rel > tol / 2) why += " [rel frobenius above tol/2]";
    if (pad_bad) why += " [bytes outside o written]";
    if (lse_bad) why += " [lse wrong]";
    if (!cs.expect_kernel.empty() && std::string(plan.kernel).find(cs.expect_kernel) == std::string::npos)
        why += " [kernel not as expected]";
    if (plan.path != ptxkit::AttentionPath::sm90) why += " [not the sm90 path]";
    const bool ok = why.empty();
    const auto& s = emu::stats();
    std::printf("%s %-52s %s D=%d Hq=%d Hkv=%d grid=%u tiles=%lld max|err|=%.2e rel=%.2e lse|err|=%.1e%s\n",
                ok ? "PASS" : "FAIL", cs.name.c_str(), f16 ? "f16" : "bf16", cs.d, cs.hq, cs.hkv, plan.grid,
                (long long)plan.tiles, worst, rel, lse_worst, why.c_str());
    for (auto& n : emu::harness::tensor_map_notes()) std::printf("      note: tensor map with %s (accepted)\n", n.c_str());
    if (!ok || emu::harness::options().show_launches)
        for (auto& l : emu::harness::launches()) std::printf("      launch: %s\n", l.c_str());
    std::printf("      emu: blocks=%lld tma_loads=%lld (partly OOB %lld, wholly OOB %lld) wgmma=%lld (rs %lld)\n", s.blocks,
                s.tma_loads, s.partial_boxes, s.oob_boxes, s.wgmma, s.wgmma_rs);
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto all = emu::attention_sm90::cases();
    std::vector<std::string> names;
    for (const auto& c : all) names.push_back(c.name);
    return emu::harness::run_cases(argc, argv, names, 2000u,
                                   [&](std::size_t i, unsigned seed) { return run_case(all[i], seed); });
}
