// Runs the REAL ptxkit::moe::grouped_gemm / grouped_gemm_masked host path
// (src/ops/moe_grouped_gemm.cpp: checks, the choice of path;
// moe_grouped_gemm_sm90.cpp: plan_sm90, launch_sm90, the 3-D tensor maps)
// against the emulated kernel (kernels/moe/grouped_gemm_sm90.cu, translated),
// and compares out with the float64 reference of tests/support/
// moe_gemm_reference.hpp under the GPU test's tolerance and comparison rule
// (tests/gpu/test_moe_grouped_gemm.cpp). Every output element the op must
// not write (rows past the total, rows of blocks without an expert, masked
// rows past the count, the padding columns) must keep its poison.
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
#include "moe/grouped_gemm_params.h"
#include "ops/moe_grouped_gemm_internal.hpp"
#include "ptxkit/moe.hpp"
#include "runtime/launch.hpp"
#include "runtime_stubs.hpp"
#include "support/moe_gemm_reference.hpp"

using Params = ptxkit_moe_gemm_params;
using Fn = void (*)(CUtensorMap, CUtensorMap, Params);
#define K(name) extern "C" void name(CUtensorMap, CUtensorMap, Params);
K(ptxkit_moe_gemm_sm90_bf16_128x256) K(ptxkit_moe_gemm_sm90_f16_128x256) K(ptxkit_moe_gemm_sm90_bf16_128x128)
K(ptxkit_moe_gemm_sm90_f16_128x128)
#undef K

namespace {
const std::map<std::string, Fn> kKernels = {
#define E(name) {#name, &name},
    E(ptxkit_moe_gemm_sm90_bf16_128x256) E(ptxkit_moe_gemm_sm90_f16_128x256) E(ptxkit_moe_gemm_sm90_bf16_128x128)
    E(ptxkit_moe_gemm_sm90_f16_128x128)
#undef E
};
// The kernel's static __shared__ prefix table (513 x i32), which the host
// budgets next to the dynamic shared memory (moe_grouped_gemm_sm90.cpp).
constexpr unsigned kStaticShared = (PTXKIT_MOE_GEMM_MAX_EXPERTS + 1) * 4;
}  // namespace

namespace ptxkit::detail {
// Runs the grid block after block (no clusters), after checking the launch.
void launch_raw(ContextState&, const Kernel& kernel, const LaunchConfig& c, CUstream, void** params,
                const std::size_t* sizes, std::size_t count) {
    emu::harness::record_launch(kernel, c);
    if (c.grid.y != 1 || c.grid.z != 1 || c.cluster.x > 1 || c.cluster.y > 1 || c.cluster.z > 1 || c.grid.x == 0)
        emu::harness::bad_launch("unexpected grid/cluster shape: grid " + std::to_string(c.grid.x) + " cluster " +
                   std::to_string(c.cluster.x));
    if (c.dynamic_shared_bytes + kStaticShared > unsigned(emu::harness::device().shared_memory_per_block_optin))
        emu::harness::bad_launch("dynamic + static shared memory " + std::to_string(c.dynamic_shared_bytes + kStaticShared) +
                   " above the opt-in limit");
    if (kernel.module != "moe.grouped_gemm_sm90") emu::harness::bad_launch("no emulated kernel " + kernel.module + ":" + kernel.name);
    auto it = kKernels.find(kernel.name);
    if (it == kKernels.end() || count != 3 || sizes[0] != sizeof(CUtensorMap) || sizes[1] != sizeof(CUtensorMap) ||
        sizes[2] != sizeof(Params) || c.block.x != 384)
        emu::harness::bad_launch("bad sm90 grouped launch of " + kernel.name);
    alignas(128) CUtensorMap ta, tb;
    std::memcpy(&ta, params[0], sizeof ta);
    std::memcpy(&tb, params[1], sizeof tb);
    const Params p = *static_cast<const Params*>(params[2]);
    const dim3e grid{c.grid.x, 1, 1};
    // One CTA at a time: the kernel's static __shared__ table is one per
    // process in the emulator (cuda_prelude.hpp), which is right only so.
    for (unsigned bx = 0; bx < c.grid.x; ++bx)
        emu::run_cluster(bx, 1, grid, int(c.block.x), c.dynamic_shared_bytes, [&] { it->second(ta, tb, p); });
}
}  // namespace ptxkit::detail

// The sm80 family is not linked: it declines, and never launches.
namespace ptxkit::detail::moe_gemm {
bool plan_sm80(const GroupedProblem&, const DeviceProperties&, GroupedPlan&, std::string& why) {
    why = "stub";
    return false;
}
void launch_sm80(ContextState&, const GroupedProblem&, const GroupedPlan&, CUstream) { std::_Exit(5); }
}  // namespace ptxkit::detail::moe_gemm

namespace {
using emu::harness::from16;
using emu::harness::guarded;
using emu::harness::to16;
using emu::moe_sm90::Case;
using ptxkit::DType;

constexpr unsigned char kPoison = 0xff;  // NaN in bf16, f16 and f32

// tests/gpu/test_moe_grouped_gemm.cpp's tolerance.
double tolerance(DType out, int64_t k, bool swiglu) {
    const double accumulation = (swiglu ? 4e-6 : 2e-6) * std::sqrt(double(k) + 1.0);
    if (out == DType::bf16) return 1.6e-2 + accumulation;
    if (out == DType::f16) return 2e-3 + accumulation;
    return 1e-5 + accumulation;
}

ptxkit::TensorView view(void* data, DType dtype, std::vector<int64_t> shape, std::vector<int64_t> stride) {
    ptxkit::TensorView t{};
    t.data = data;
    t.dtype = dtype;
    t.rank = int(shape.size());
    for (std::size_t i = 0; i < shape.size(); ++i) {
        t.shape[i] = shape[i];
        t.stride[i] = stride[i];
    }
    return t;
}

int run_case(const Case& cs, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    emu::harness::reset_device(cs.sms);
    const bool f16 = cs.f16;
    const DType ab = f16 ? DType::f16 : DType::bf16;
    const int E = cs.experts;
    const int64_t N = cs.n, Kd = cs.k, n_out = cs.swiglu ? N / 2 : N;
    auto r8 = [](int64_t x) { return (x + 7) / 8 * 8; };
    const int64_t lda = r8(Kd) + cs.pad, ldb = r8(Kd) + cs.pad, ldd = r8(n_out) + cs.pad;
    const std::size_t des = ptxkit::dtype_size(cs.out);

    // The row layout: for each output row, its expert (-1: not written) and whether A holds data there.
    std::vector<int32_t> block_expert;
    int32_t total = 0;
    int64_t rows = 0;          // contiguous: rows of A/out; masked: capacity
    std::vector<int> row_expert;  // contiguous: expert of each row < total (or -1)
    std::vector<char> row_data;   // contiguous: A row holds a pair (else a zero padding row)
    if (!cs.masked) {
        if (!cs.block_expert.empty()) {
            block_expert = cs.block_expert;
            total = int32_t(block_expert.size()) * cs.block_m;
            rows = total;
            for (int32_t r = 0; r < total; ++r) {
                row_expert.push_back(block_expert[r / cs.block_m]);
                row_data.push_back(1);
            }
        } else {
            for (int e = 0; e < E; ++e) {
                const int c = cs.counts[e], padded = (c + cs.block_m - 1) / cs.block_m * cs.block_m;
                for (int b = 0; b < padded / cs.block_m; ++b) block_expert.push_back(e);
                for (int r = 0; r < padded; ++r) {
                    row_expert.push_back(e);
                    row_data.push_back(r < c);
                }
            }
            total = int32_t(row_expert.size());
            rows = total + cs.extra_rows;
            // align's block_expert: [capacity / block_m] entries, -1 past the end.
            while (int64_t(block_expert.size()) * cs.block_m < rows) block_expert.push_back(-1);
        }
    } else {
        rows = cs.capacity;
    }
    const int64_t batches = cs.masked ? E : 1;
    const int64_t a_rows = batches * rows;

    // A: masked, every row random (unused capacity too); contiguous, pair rows
    // random, padding rows zero, rows past the total poison (NaN).
    auto* A = reinterpret_cast<uint16_t*>(guarded(std::max<int64_t>(a_rows * lda, 1) * 2).data());
    std::vector<double> av(a_rows * Kd);
    for (int64_t r = 0; r < a_rows; ++r)
        for (int64_t c = 0; c < lda; ++c) {
            uint16_t b = 0xffff;
            if (c < Kd) {
                const bool data = cs.masked || (r < total && row_data[r]);
                b = data ? to16(u(rng), f16) : (r < total ? 0 : 0xffff);
                av[r * Kd + c] = r < total || cs.masked ? from16(b, f16) : 0.0;
            }
            A[r * lda + c] = b;
        }
    auto* B = reinterpret_cast<uint16_t*>(guarded(E * N * ldb * 2).data());
    std::vector<double> bv(E * N * Kd);
    for (int64_t r = 0; r < E * N; ++r)
        for (int64_t c = 0; c < ldb; ++c) {
            const uint16_t b = c < Kd ? to16(u(rng), f16) : 0xffff;
            B[r * ldb + c] = b;
            if (c < Kd) bv[r * Kd + c] = from16(b, f16);
        }
    const int64_t out_elems = std::max<int64_t>(a_rows * ldd, 1);
    void* D = guarded(out_elems * des).data();
    std::memset(D, kPoison, out_elems * des);
    auto* be = reinterpret_cast<int32_t*>(guarded(std::max<std::size_t>(block_expert.size(), 1) * 4).data());
    std::copy(block_expert.begin(), block_expert.end(), be);
    auto* tp = reinterpret_cast<int32_t*>(guarded(4).data());
    *tp = total;
    auto* counts = reinterpret_cast<int32_t*>(guarded(E * 4).data());
    if (cs.masked) std::copy(cs.counts.begin(), cs.counts.end(), counts);

    emu::clear_regions();
    emu::register_region(A, a_rows * lda * 2);
    emu::register_region(B, E * N * ldb * 2);
    emu::register_region(D, out_elems * des);

    // Reference of every written element, and where it is.
    std::vector<double> ref;
    std::vector<std::size_t> where;
    std::vector<char> written(out_elems, 0);
    auto add_row = [&](int64_t a_row, int e, int64_t d_row) {
        const auto row = ptxkit::testing::grouped_row_reference(av.data() + a_row * Kd, bv.data() + e * N * Kd, N, Kd,
                                                                cs.swiglu);
        for (int64_t c = 0; c < n_out; ++c) {
            ref.push_back(row[c]);
            where.push_back(std::size_t(d_row * ldd + c));
            written[d_row * ldd + c] = 1;
        }
    };
    if (cs.masked) {
        for (int e = 0; e < E; ++e) {
            const int64_t valid = std::clamp<int64_t>(cs.counts[e], 0, cs.capacity);
            for (int64_t r = 0; r < valid; ++r) add_row(e * rows + r, e, e * rows + r);
        }
    } else {
        for (int64_t r = 0; r < std::min<int64_t>(total, rows); ++r)
            if (row_expert[r] >= 0 && row_expert[r] < E) add_row(r, row_expert[r], r);
    }

    ptxkit::moe::GroupedGemmOptions o;
    o.epilogue = cs.swiglu ? ptxkit::moe::GroupedEpilogue::swiglu : ptxkit::moe::GroupedEpilogue::none;
    o.path = ptxkit::GemmPath::sm90;
    const auto tw = view(B, ab, {E, N, Kd}, {N * ldb, ldb, 1});
    emu::harness::launches().clear();
    ptxkit::moe::GroupedGemmPlan plan;
    if (cs.masked) {
        const auto ta = view(A, ab, {E, rows, Kd}, {rows * lda, lda, 1});
        const auto tout = view(D, cs.out, {E, rows, n_out}, {rows * ldd, ldd, 1});
        const auto tc = view(counts, DType::i32, {E}, {1});
        plan = ptxkit::moe::grouped_gemm_masked_plan(ta, tw, tc, tout, o);
        ptxkit::moe::grouped_gemm_masked(ta, tw, tc, tout, o, nullptr);
    } else {
        const auto ta = view(A, ab, {rows, Kd}, {lda, 1});
        const auto tout = view(D, cs.out, {rows, n_out}, {ldd, 1});
        const auto tb = view(be, DType::i32, {int64_t(block_expert.size())}, {1});
        const auto tt = view(tp, DType::i32, {1}, {1});
        plan = ptxkit::moe::grouped_gemm_plan(ta, tw, tb, tt, cs.block_m, tout, o);
        ptxkit::moe::grouped_gemm(ta, tw, tb, tt, cs.block_m, tout, o, nullptr);
    }

    auto get = [&](std::size_t i) -> double {
        if (cs.out == DType::f32) return static_cast<const float*>(D)[i];
        return from16(static_cast<const uint16_t*>(D)[i], cs.out == DType::f16);
    };
    std::vector<double> got(ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) got[i] = get(where[i]);
    const double tol = tolerance(cs.out, Kd, cs.swiglu);
    const std::string failure = ptxkit::testing::compare_to_reference(got, ref, tol, "out");
    int bad = 0;
    double rms = 0;
    for (double r : ref) rms += r * r;
    rms = ref.empty() ? 0 : std::sqrt(rms / double(ref.size()));
    double worst = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const double err = std::fabs(got[i] - ref[i]);
        if (!(err <= tol * (std::fabs(ref[i]) + rms))) {
            if (++bad <= 6) {
                const int64_t row = int64_t(where[i]) / ldd, col = int64_t(where[i]) % ldd;
                std::printf("    out[row %lld, col %lld] = %.6g, want %.6g\n", (long long)row, (long long)col, got[i],
                            ref[i]);
            }
        }
        if (std::isfinite(err)) worst = std::max(worst, err / (rms + 1e-30));
    }
    // Elements the op must not write keep their poison.
    int64_t stray = 0;
    const auto* bytes = static_cast<const unsigned char*>(D);
    for (int64_t i = 0; i < a_rows * ldd; ++i) {
        if (written[i]) continue;
        for (std::size_t b = 0; b < des; ++b)
            if (bytes[i * des + b] != kPoison) {
                if (++stray <= 4)
                    std::printf("    out[row %lld, col %lld] written (must not be)\n", (long long)(i / ldd),
                                (long long)(i % ldd));
                break;
            }
    }
    std::string why;
    if (!failure.empty()) why += " [" + failure + "]";
    if (stray) why += " [" + std::to_string(stray) + " elements written that must not be]";
    if (cs.expect[0] && std::string(plan.kernel).find(cs.expect) == std::string::npos) why += " [kernel not as expected]";
    if (plan.path != ptxkit::GemmPath::sm90) why += " [not the sm90 path]";
    const bool ok = why.empty();
    std::printf("%s %-48s %s E=%d rows=%lld N=%lld K=%lld %s->%s%s kernel=%s grid=%u max_tiles=%lld worst=%.2e "
                "rms=%.3g%s\n",
                ok ? "PASS" : "FAIL", cs.name.c_str(), cs.masked ? "masked" : "contig", E, (long long)rows,
                (long long)N, (long long)Kd, f16 ? "f16" : "bf16", ptxkit::dtype_name(cs.out),
                cs.swiglu ? " swiglu" : "", plan.kernel, plan.grid, (long long)plan.max_tiles, worst, rms, why.c_str());
    for (auto& n : emu::harness::tensor_map_notes()) std::printf("      note: tensor map with %s (accepted)\n", n.c_str());
    if (!ok || emu::harness::options().show_launches)
        for (auto& s : emu::harness::launches()) std::printf("      launch: %s\n", s.c_str());
    if (bad) std::printf("    %d wrong elements\n", bad);
    const auto& s = emu::stats();
    std::printf("      emu: blocks=%lld tma_loads=%lld wgmma=%lld wholly-OOB boxes=%lld\n", s.blocks, s.tma_loads,
                s.wgmma, s.oob_boxes);
    return ok ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
    const auto all = emu::moe_sm90::cases();
    std::vector<std::string> names;
    for (const auto& c : all) names.push_back(c.name);
    return emu::harness::run_cases(argc, argv, names, 3000u,
                                   [&](std::size_t i, unsigned seed) { return run_case(all[i], seed); });
}
