// Runs the REAL ptxkit::gemm host path (src/ops/gemm.cpp: checks, planning,
// split-K reduce launch; src/ops/gemm_sm90.cpp: plan_sm90, launch_sm90,
// tensor maps) against the emulated kernels (kernels/gemm/sm90_gemm.cu and
// splitk_reduce.cu, translated), and compares D with a float64 reference of
// act(alpha A op(B) + beta C + bias). The padding columns of D must keep
// their sentinel.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "buffers.hpp"
#include "case_runner.hpp"
#include "cases.hpp"
#include "host.hpp"
#include "ops/gemm_internal.hpp"
#include "ptxkit/gemm.hpp"
#include "runtime/launch.hpp"
#include "runtime_stubs.hpp"

using Params = ptxkit_gemm_params;
using Sm90Fn = void (*)(CUtensorMap, CUtensorMap, CUtensorMap, Params);
#define K(name) extern "C" void name(CUtensorMap, CUtensorMap, CUtensorMap, Params);
K(ptxkit_gemm_sm90_bf16_128x256) K(ptxkit_gemm_sm90_f16_128x256) K(ptxkit_gemm_sm90_bf16_128x128)
K(ptxkit_gemm_sm90_f16_128x128) K(ptxkit_gemm_sm90_bf16_128x256_kn) K(ptxkit_gemm_sm90_f16_128x256_kn)
K(ptxkit_gemm_sm90_bf16_128x128_kn) K(ptxkit_gemm_sm90_f16_128x128_kn)
#undef K
extern "C" void ptxkit_gemm_splitk_reduce(Params);

namespace {
const std::map<std::string, Sm90Fn> kSm90 = {
#define E(name) {#name, &name},
    E(ptxkit_gemm_sm90_bf16_128x256) E(ptxkit_gemm_sm90_f16_128x256) E(ptxkit_gemm_sm90_bf16_128x128)
    E(ptxkit_gemm_sm90_f16_128x128) E(ptxkit_gemm_sm90_bf16_128x256_kn) E(ptxkit_gemm_sm90_f16_128x256_kn)
    E(ptxkit_gemm_sm90_bf16_128x128_kn) E(ptxkit_gemm_sm90_f16_128x128_kn)
#undef E
};
}  // namespace

namespace ptxkit::detail {
// Runs the grid cluster after cluster (the sm90 kernels) or block after block
// (the split-K reduce), after checking the launch against the kernel.
void launch_raw(ContextState&, const Kernel& kernel, const LaunchConfig& c, CUstream, void** params,
                const std::size_t* sizes, std::size_t count) {
    emu::harness::record_launch(kernel, c);
    if (c.grid.y != 1 || c.grid.z != 1 || c.cluster.y != 1 || c.cluster.z != 1 || c.cluster.x < 1 || c.cluster.x > 8 ||
        c.grid.x % c.cluster.x != 0 || c.grid.x == 0)
        emu::harness::bad_launch("unexpected grid/cluster shape: grid " + std::to_string(c.grid.x) + " cluster " +
                   std::to_string(c.cluster.x));
    if (c.cluster.x > 1 && kernel.module != "gemm.sm90_gemm") emu::harness::bad_launch("cluster launch of " + kernel.name);
    if (c.dynamic_shared_bytes > unsigned(emu::harness::device().shared_memory_per_block_optin))
        emu::harness::bad_launch("dynamic shared memory " + std::to_string(c.dynamic_shared_bytes) + " above the opt-in limit");
    const dim3e grid{c.grid.x, 1, 1};
    if (kernel.module == "gemm.sm90_gemm") {
        auto it = kSm90.find(kernel.name);
        if (it == kSm90.end() || count != 4 || sizes[0] != sizeof(CUtensorMap) || sizes[1] != sizeof(CUtensorMap) ||
            sizes[2] != sizeof(CUtensorMap) || sizes[3] != sizeof(Params) || c.block.x != 384)
            emu::harness::bad_launch("bad sm90 launch of " + kernel.name);
        // Kernel parameters are copied into the launch (aligned as the
        // driver's parameter buffer is); the kernel reads the copies.
        alignas(128) CUtensorMap ta, tb, td;
        std::memcpy(&ta, params[0], sizeof ta);
        std::memcpy(&tb, params[1], sizeof tb);
        std::memcpy(&td, params[2], sizeof td);
        const Params p = *static_cast<const Params*>(params[3]);
        for (unsigned bx = 0; bx < c.grid.x; bx += c.cluster.x)
            emu::run_cluster(bx, c.cluster.x, grid, int(c.block.x), c.dynamic_shared_bytes,
                             [&] { it->second(ta, tb, td, p); });
    } else if (kernel.module == "gemm.splitk_reduce" && kernel.name == "ptxkit_gemm_splitk_reduce") {
        if (count != 1 || sizes[0] != sizeof(Params)) emu::harness::bad_launch("bad reduce launch");
        const Params p = *static_cast<const Params*>(params[0]);
        for (unsigned bx = 0; bx < c.grid.x; ++bx)
            emu::run_block({bx, 0, 0}, grid, int(c.block.x), c.dynamic_shared_bytes, [&] { ptxkit_gemm_splitk_reduce(p); });
    } else {
        emu::harness::bad_launch("no emulated kernel " + kernel.module + ":" + kernel.name);
    }
}
}  // namespace ptxkit::detail

// The other GEMM paths are not linked: they decline, and never launch.
namespace ptxkit::detail::gemm {
bool plan_sm80(const Problem&, const DeviceProperties&, Plan&, std::string& why) { why = "stub"; return false; }
bool plan_general(const Problem&, const DeviceProperties&, Plan&, std::string& why) { why = "stub"; return false; }
void launch_sm80(ContextState&, const Problem&, const Plan&, CUstream) { std::_Exit(5); }
void launch_general(ContextState&, const Problem&, const Plan&, CUstream) { std::_Exit(5); }
}  // namespace ptxkit::detail::gemm

namespace {
using emu::gemm_sm90::Case;
using emu::harness::from16;
using emu::harness::guarded;
using emu::harness::to16;
using ptxkit::DType;

int run_case(const Case& cs, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    emu::harness::reset_device(cs.sms);
    const bool f16 = cs.f16;
    const DType ab = f16 ? DType::f16 : DType::bf16;
    const int64_t M = cs.m, N = cs.n, Kd = cs.k;
    auto r8 = [](int64_t x) { return (x + 7) / 8 * 8; };
    const int64_t lda = r8(Kd) + cs.pad, ldb = r8(cs.b_kn ? N : Kd) + cs.pad, ldd = r8(N) + cs.pad;
    const int64_t brows = cs.b_kn ? Kd : N;
    auto* A = reinterpret_cast<uint16_t*>(guarded(M * lda * 2).data());
    auto* B = reinterpret_cast<uint16_t*>(guarded(brows * ldb * 2).data());
    for (int64_t i = 0; i < M * lda; ++i) A[i] = to16(u(rng), f16);
    for (int64_t i = 0; i < brows * ldb; ++i) B[i] = to16(u(rng), f16);
    const bool dout32 = cs.cd == DType::f32, d16f = cs.cd == DType::f16;
    const std::size_t des = dout32 ? 4 : 2;
    void* D = guarded(M * ldd * des).data();
    auto dget = [&](const void* base, int64_t i) -> double {
        if (dout32) return static_cast<const float*>(base)[i];
        return from16(static_cast<const uint16_t*>(base)[i], d16f);
    };
    auto dset = [&](void* base, int64_t i, double v) {
        if (dout32) static_cast<float*>(base)[i] = float(v);
        else static_cast<uint16_t*>(base)[i] = to16(v, d16f);
    };
    // D starts as a sentinel (or as C for in place).
    constexpr unsigned char kSentinel = 0x7b;
    std::memset(D, kSentinel, M * ldd * des);
    void* C = nullptr;
    std::vector<double> cval(M * N, 0.0);
    if (cs.c_mode) {
        C = cs.c_mode == 2 ? D : guarded(M * ldd * des).data();
        for (int64_t r = 0; r < M; ++r)
            for (int64_t c = 0; c < N; ++c) {
                dset(C, r * ldd + c, u(rng));
                cval[r * N + c] = dget(C, r * ldd + c);
            }
    }
    void* bias = nullptr;
    std::vector<double> bval(N, 0.0);
    if (cs.bias) {
        const bool b32 = cs.bias == 1 || dout32;
        bias = guarded(N * (b32 ? 4 : 2)).data();
        for (int64_t c = 0; c < N; ++c) {
            if (b32) {
                static_cast<float*>(bias)[c] = float(u(rng));
                bval[c] = static_cast<float*>(bias)[c];
            } else {
                static_cast<uint16_t*>(bias)[c] = to16(u(rng), d16f);
                bval[c] = from16(static_cast<uint16_t*>(bias)[c], d16f);
            }
        }
    }
    const std::size_t ws_bytes = cs.workspace ? std::size_t(16) * M * N * 4 + 64 : 0;
    float* ws = cs.workspace ? reinterpret_cast<float*>(guarded(ws_bytes).data()) : nullptr;
    if (ws)
        for (std::size_t i = 0; i < ws_bytes / 4; ++i) ws[i] = std::nanf("");

    emu::clear_regions();
    emu::register_region(A, M * lda * 2);
    emu::register_region(B, brows * ldb * 2);
    emu::register_region(D, M * ldd * des);
    if (C && C != D) emu::register_region(C, M * ldd * des);

    auto matrix = [](void* data, DType dtype, int64_t rows, int64_t cols, int64_t ld) {
        ptxkit::TensorView t{};
        t.data = data;
        t.dtype = dtype;
        t.rank = 2;
        t.shape[0] = rows;
        t.shape[1] = cols;
        t.stride[0] = ld;
        t.stride[1] = 1;
        return t;
    };
    const ptxkit::TensorView ta = matrix(A, ab, M, Kd, lda), tb = matrix(B, ab, brows, cs.b_kn ? N : Kd, ldb);
    const ptxkit::TensorView td = matrix(D, cs.cd, M, N, ldd);
    ptxkit::GemmOptions o;
    o.alpha = cs.alpha;
    o.beta = cs.beta;
    if (C) { o.c = td; o.c.data = C; }
    if (bias) {
        o.bias.data = bias; o.bias.dtype = (cs.bias == 1 || dout32) ? DType::f32 : cs.cd; o.bias.rank = 1;
        o.bias.shape[0] = N; o.bias.stride[0] = 1;
    }
    o.activation = cs.act;
    o.b_is_kn = cs.b_kn;
    o.path = ptxkit::GemmPath::sm90;
    o.workspace = ws;
    o.workspace_bytes = ws_bytes;
    emu::harness::launches().clear();
    emu::harness::set_max_active_clusters(cs.max_clusters);
    const ptxkit::GemmPlan plan = ptxkit::gemm_plan(ta, tb, td, o);
    ptxkit::gemm(ta, tb, td, o, nullptr);

    // Reference.
    auto act = [&](double x) {
        switch (cs.act) {
            case ptxkit::Activation::relu: return x > 0 ? x : 0.0;
            case ptxkit::Activation::silu: return x / (1.0 + std::exp(-x));
            case ptxkit::Activation::gelu_tanh:
                return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
            default: return x;
        }
    };
    std::vector<double> ref(M * N);
    double rms = 0;
    for (int64_t r = 0; r < M; ++r)
        for (int64_t c = 0; c < N; ++c) {
            double s = 0;
            for (int64_t k = 0; k < Kd; ++k) {
                const double bv = cs.b_kn ? from16(B[k * ldb + c], f16) : from16(B[c * ldb + k], f16);
                s += from16(A[r * lda + k], f16) * bv;
            }
            const double v = act(cs.alpha * s + (cs.c_mode ? cs.beta * cval[r * N + c] : 0.0) + bval[c]);
            ref[r * N + c] = v;
            rms += v * v;
        }
    rms = std::sqrt(rms / double(M * N));
    // Relative to the output's rms: the error of a K-term sum grows with its magnitude.
    const double tol = dout32 ? 2e-5 : (d16f ? 3e-3 : 1.2e-2);
    int bad = 0;
    double worst = 0;
    for (int64_t r = 0; r < M; ++r)
        for (int64_t c = 0; c < N; ++c) {
            const double got = dget(D, r * ldd + c), want = ref[r * N + c];
            const double err = std::fabs(got - want);
            if (!(err <= tol * (rms + std::fabs(want)))) {
                if (++bad <= 6) std::printf("    D[%lld,%lld] = %.6g, want %.6g\n", (long long)r, (long long)c, got, want);
            }
            if (std::isfinite(err)) worst = std::max(worst, err / (rms + 1e-30));
        }
    // Padding columns of D untouched (counts rows with a changed byte).
    int pad_bad = 0;
    const auto* dbytes = static_cast<const unsigned char*>(D);
    for (int64_t r = 0; r < M; ++r)
        for (int64_t b = N * int64_t(des); b < ldd * int64_t(des); ++b)
            if (dbytes[r * ldd * int64_t(des) + b] != kSentinel) { ++pad_bad; break; }
    const auto& launched = emu::harness::launches();
    std::string why;
    if (cs.expect[0] && std::string(plan.kernel).find(cs.expect) == std::string::npos) why += " [kernel not as expected]";
    if (cs.expect_splits && plan.splits != cs.expect_splits) why += " [splits not as expected]";
    if (cs.expect_config[0] && !std::getenv("PTXKIT_GEMM_SM90_NO_CLUSTER") &&
        (launched.empty() || launched[0].find(cs.expect_config) == std::string::npos))
        why += " [config not as expected]";
    const bool ok = bad == 0 && pad_bad == 0 && why.empty();
    std::printf("%s %-44s M=%lld N=%lld K=%lld %s->%s%s kernel=%s splits=%d grid=%u tiles=%lld worst=%.2e rms=%.3g%s%s\n",
                ok ? "PASS" : "FAIL", cs.name.c_str(), (long long)M, (long long)N, (long long)Kd, f16 ? "f16" : "bf16",
                dout32 ? "f32" : (d16f ? "f16" : "bf16"), cs.b_kn ? " B[K,N]" : "", plan.kernel, plan.splits, plan.grid,
                (long long)plan.tiles, worst, rms, pad_bad ? " [D padding overwritten]" : "", why.c_str());
    for (auto& n : emu::harness::tensor_map_notes()) std::printf("      note: tensor map with %s (accepted)\n", n.c_str());
    if (!ok || emu::harness::options().show_launches)
        for (auto& s : launched) std::printf("      launch: %s\n", s.c_str());
    if (bad) std::printf("    %d wrong elements\n", bad);
    const auto& s = emu::stats();
    std::printf("      emu: blocks=%lld tma_loads=%lld tma_stores=%lld wgmma=%lld stmatrix=%lld wholly-OOB boxes=%lld\n",
                s.blocks, s.tma_loads, s.tma_stores, s.wgmma, s.stmatrix, s.oob_boxes);
    return ok ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
    const auto all = emu::gemm_sm90::cases();
    std::vector<std::string> names;
    for (const auto& c : all) names.push_back(c.name);
    return emu::harness::run_cases(argc, argv, names, 1000u,
                                   [&](std::size_t i, unsigned seed) { return run_case(all[i], seed); });
}
