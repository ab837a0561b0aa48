// GEMM against a float64 CPU reference: every kernel family (forced through
// GemmOptions::path), sizes around tile edges, every epilogue, beta != 0, both
// B layouts, every output dtype, split-K, unaligned views, K = 0. Inputs are
// fresh random values (never zeros); outputs are poisoned with NaN first.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gpu_test.hpp"
#include "support/sim_profile.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::Activation;
using ptxkit::DType;
using ptxkit::GemmPath;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;

struct Case {
    std::int64_t m, n, k;
    DType ab = DType::bf16;
    DType cd = DType::bf16;
    bool b_kn = false;
    Activation act = Activation::none;
    float alpha = 1.0f, beta = 0.0f;
    bool bias = false;
    DType bias_dtype = DType::f32;
    GemmPath path = GemmPath::automatic;
    std::int64_t pad = 0;          // extra elements per row (leading dimension = cols + pad)
    std::int64_t offset = 0;       // elements by which every base pointer is shifted
    bool split_workspace = false;  // give the planner workspace for split-K
    bool c_in_place = false;       // C is D itself
    bool expect_cluster = false;   // the sm90 plan must use 2-CTA clusters (B shared by multicast)
    std::int64_t one_row_stride = 0;  // M = 1: a's, C's and D's stride[0] (any value; 0: the leading dimension)
    bool expect_tensor_cores = false;  // the automatic plan must not be the general path
    const char* expect_config = nullptr;  // the plan's configuration must contain this

    std::string name() const {
        return "M=" + std::to_string(m) + " N=" + std::to_string(n) + " K=" + std::to_string(k) + " " +
               ptxkit::dtype_name(ab) + "->" + ptxkit::dtype_name(cd) + (b_kn ? " B[K,N]" : " B[N,K]") +
               " act=" + std::to_string(static_cast<int>(act)) + " alpha=" + std::to_string(alpha) +
               " beta=" + std::to_string(beta) + (bias ? " bias" : "") + " path=" +
               std::to_string(static_cast<int>(path)) + " pad=" + std::to_string(pad) +
               " offset=" + std::to_string(offset) + (split_workspace ? " splitK" : "") +
               (c_in_place ? " C=D" : "");
    }
};

// Host values exactly representable in `dtype`, and their device bits.
struct HostMatrix {
    std::vector<double> values;        // [rows, cols], dense
    std::vector<std::uint16_t> bits16;  // [rows, ld] for 16-bit dtypes
    std::vector<float> bits32;          // [rows, ld] for f32
};

HostMatrix random_matrix(std::int64_t rows, std::int64_t cols, std::int64_t ld, DType dtype, std::mt19937_64& rng) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    HostMatrix h;
    h.values.resize(static_cast<std::size_t>(rows * cols));
    if (dtype == DType::f32) {
        h.bits32.assign(static_cast<std::size_t>(rows * ld), 0.0f);
    } else {
        h.bits16.assign(static_cast<std::size_t>(rows * ld), 0);
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
            const float x = dist(rng);
            double v = x;
            if (dtype == DType::f32) {
                h.bits32[r * ld + c] = x;
            } else {
                const auto b = dtype == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(x) : ptxkit::testing::f32_to_f16_rne(x);
                h.bits16[r * ld + c] = b;
                v = dtype == DType::bf16 ? ptxkit::testing::bf16_to_f32(b) : ptxkit::testing::f16_to_f32(b);
            }
            h.values[r * cols + c] = v;
        }
    }
    return h;
}

// Uploads with `offset` leading elements of garbage before the matrix.
DeviceBuffer upload(const HostMatrix& h, DType dtype, std::int64_t offset, std::size_t extra_bytes = 0) {
    const std::size_t elem = ptxkit::dtype_size(dtype);
    const std::size_t n = dtype == DType::f32 ? h.bits32.size() : h.bits16.size();
    DeviceBuffer buf((n + offset) * elem + extra_bytes + 16);
    buf.fill(0x7F);
    buf.upload(dtype == DType::f32 ? static_cast<const void*>(h.bits32.data()) : h.bits16.data(), n * elem,
               offset * elem);
    return buf;
}

double activate(double x, Activation a) {
    switch (a) {
        case Activation::relu: return x > 0 ? x : 0;
        case Activation::gelu_tanh: return 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        case Activation::silu: return x / (1 + std::exp(-x));
        case Activation::none: break;
    }
    return x;
}

double tolerance(DType cd, std::int64_t k) {
    // Output rounding dominates for 16-bit outputs; fp32 sums of K products otherwise.
    const double accumulation = 2e-6 * std::sqrt(static_cast<double>(k) + 1.0);
    if (cd == DType::bf16) return 1.6e-2 + accumulation;
    if (cd == DType::f16) return 2e-3 + accumulation;
    return 1e-5 + accumulation;
}

void run_case(const Case& cs, std::uint64_t seed) {
    SCOPED_TRACE(cs.name() + " seed=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::int64_t lda = cs.k + cs.pad, ldd = cs.n + cs.pad;
    const std::int64_t b_rows = cs.b_kn ? cs.k : cs.n, b_cols = cs.b_kn ? cs.n : cs.k;
    const std::int64_t ldb = b_cols + cs.pad;
    const HostMatrix a = random_matrix(cs.m, cs.k, lda, cs.ab, rng);
    const HostMatrix b = random_matrix(b_rows, b_cols, ldb, cs.ab, rng);
    const bool has_c = cs.beta != 0.0f;
    const HostMatrix c = random_matrix(cs.m, cs.n, ldd, cs.cd, rng);
    const HostMatrix bias = random_matrix(1, cs.n, cs.n, cs.bias_dtype, rng);

    DeviceBuffer a_dev = upload(a, cs.ab, cs.offset);
    DeviceBuffer b_dev = upload(b, cs.ab, cs.offset);
    DeviceBuffer bias_dev = upload(bias, cs.bias_dtype, 0);
    const std::size_t elem_d = ptxkit::dtype_size(cs.cd);
    const std::size_t d_bytes = static_cast<std::size_t>(cs.m * ldd + cs.offset) * elem_d + 16;
    DeviceBuffer c_dev = upload(c, cs.cd, cs.offset);
    DeviceBuffer d_own(d_bytes);
    d_own.fill(0xFF);  // NaN in every dtype
    DeviceBuffer& d_dev = cs.c_in_place ? c_dev : d_own;

    auto view = [&cs](const DeviceBuffer& buf, DType dt, std::int64_t off, std::int64_t rows, std::int64_t cols,
                      std::int64_t ld) {
        TensorView t = TensorView::contiguous(static_cast<char*>(buf.get()) + off * ptxkit::dtype_size(dt), dt,
                                              {rows, cols});
        t.stride[0] = rows == 1 && cs.one_row_stride != 0 ? cs.one_row_stride : ld;
        return t;
    };
    ptxkit::GemmOptions o;
    o.alpha = cs.alpha;
    o.beta = cs.beta;
    o.activation = cs.act;
    o.b_is_kn = cs.b_kn;
    o.path = cs.path;
    if (has_c) o.c = view(c_dev, cs.cd, cs.offset, cs.m, cs.n, ldd);
    if (cs.bias) o.bias = TensorView::contiguous(bias_dev.get(), cs.bias_dtype, {cs.n});
    DeviceBuffer workspace;
    if (cs.split_workspace) {
        workspace = DeviceBuffer(std::max<std::size_t>(ptxkit::gemm_workspace_size(cs.m, cs.n, cs.k), 16));
        o.workspace = workspace.get();
        o.workspace_bytes = workspace.bytes();
    }
    const TensorView av = view(a_dev, cs.ab, cs.offset, cs.m, cs.k, lda);
    const TensorView bv = view(b_dev, cs.ab, cs.offset, b_rows, b_cols, ldb);
    const TensorView dv = view(d_dev, cs.cd, cs.offset, cs.m, cs.n, ldd);
    if (cs.path != GemmPath::automatic) {
        ASSERT_EQ(ptxkit::gemm_plan(av, bv, dv, o).path, cs.path);
    }
    if (cs.expect_cluster) {
        const std::string config = ptxkit::gemm_plan(av, bv, dv, o).config;
        ASSERT_NE(config.find("cluster2x1"), std::string::npos) << config;
    }
    if (cs.split_workspace && cs.k > 0) {
        EXPECT_GT(ptxkit::gemm_plan(av, bv, dv, o).splits, 1) << "expected split-K for this shape";
    }
    if (cs.expect_config != nullptr) {
        const std::string config = ptxkit::gemm_plan(av, bv, dv, o).config;
        ASSERT_NE(config.find(cs.expect_config), std::string::npos) << config;
    }
    if (cs.expect_tensor_cores) {
        EXPECT_NE(ptxkit::gemm_plan(av, bv, dv, o).path, GemmPath::general) << ptxkit::gemm_plan(av, bv, dv, o).kernel;
    }
    ptxkit::gemm(av, bv, dv, o, nullptr);

    // Read back D row by row (it has leading dimension ldd).
    std::vector<double> out(static_cast<std::size_t>(cs.m * cs.n));
    if (cs.cd == DType::f32) {
        const auto raw = d_dev.to_host<float>(static_cast<std::size_t>(cs.m * ldd), cs.offset * 4);
        for (std::int64_t r = 0; r < cs.m; ++r)
            for (std::int64_t col = 0; col < cs.n; ++col) out[r * cs.n + col] = raw[r * ldd + col];
    } else {
        const auto raw = d_dev.to_host<std::uint16_t>(static_cast<std::size_t>(cs.m * ldd), cs.offset * 2);
        for (std::int64_t r = 0; r < cs.m; ++r)
            for (std::int64_t col = 0; col < cs.n; ++col) {
                const auto bits = raw[r * ldd + col];
                out[r * cs.n + col] = cs.cd == DType::bf16 ? ptxkit::testing::bf16_to_f32(bits)
                                                           : ptxkit::testing::f16_to_f32(bits);
            }
    }

    // float64 reference and the comparison: every element within
    // tol * (|ref| + rms(ref)), and the relative Frobenius error within tol.
    std::vector<double> ref(out.size());
    double ref_sq = 0;
    for (std::int64_t r = 0; r < cs.m; ++r) {
        for (std::int64_t col = 0; col < cs.n; ++col) {
            double acc = 0;
            for (std::int64_t kk = 0; kk < cs.k; ++kk) {
                const double bval = cs.b_kn ? b.values[kk * cs.n + col] : b.values[col * cs.k + kk];
                acc += a.values[r * cs.k + kk] * bval;
            }
            double v = cs.alpha * acc;
            if (has_c) v += cs.beta * c.values[r * cs.n + col];
            if (cs.bias) v += bias.values[col];
            v = activate(v, cs.act);
            ref[r * cs.n + col] = v;
            ref_sq += v * v;
        }
    }
    const double rms = std::sqrt(ref_sq / static_cast<double>(std::max<std::size_t>(ref.size(), 1)));
    const double tol = tolerance(cs.cd, cs.k);
    double err_sq = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_FALSE(std::isnan(out[i])) << "element " << i / cs.n << "," << i % cs.n << " not written";
        const double e = out[i] - ref[i];
        err_sq += e * e;
        ASSERT_LE(std::abs(e), tol * (std::abs(ref[i]) + rms) + 1e-30)
            << "element " << i / cs.n << "," << i % cs.n << ": got " << out[i] << ", want " << ref[i];
    }
    EXPECT_LE(std::sqrt(err_sq / std::max(ref_sq, 1e-300)), tol);
}

class Gemm : public ptxkit::testing::GpuTest {
protected:
    bool hopper() const { return ptxkit::device_properties(ptxkit::current_device()).cc_major == 9; }
    std::vector<GemmPath> paths() const {
        std::vector<GemmPath> p = {GemmPath::general, GemmPath::sm80};
        if (hopper()) p.push_back(GemmPath::sm90);
        return p;
    }
};

const std::int64_t kEdges[] = {1, 7, 63, 65, 127, 129, 255, 257};

TEST_F(Gemm, TileEdgesEveryPath) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (GemmPath path : paths()) {
        for (std::int64_t e : kEdges) {
            // Each dimension at the edge with the others moderate; K aligned to 8
            // for the tensor-core paths (their leading dimensions must be).
            // Both B layouts: an N-major B tile is loaded as 64-wide boxes,
            // some of them wholly past N at these edges.
            const std::int64_t k8 = (e + 7) / 8 * 8;
            const bool general = path == GemmPath::general;
            for (bool b_kn : {false, true}) {
                run_case({.m = e, .n = 136, .k = 72, .b_kn = b_kn, .path = path}, seed + 1);
                run_case({.m = 72, .n = general ? e : k8, .k = 64, .b_kn = b_kn, .path = path}, seed + 2);
                run_case({.m = 72, .n = 64, .k = general ? e : k8, .b_kn = b_kn, .path = path}, seed + 3);
            }
        }
    }
}

TEST_F(Gemm, LargeEdgesEveryPath) {
    const auto seed = ptxkit::testing::fresh_seed();
    // On the software GPU the long dimensions are 513 and 512 (still one
    // past a power of two, many tiles along it), and the cubes 200 instead of
    // 1000: like 1000, not a multiple of any tile's M, N or K (128 + 72,
    // 3 x 64 + 8, 6 x 32 + 8, 12 x 16 + 8), so every edge stays partial.
    using ptxkit::testing::sim_or;
    const std::int64_t edge = sim_or<std::int64_t>(4097, 513), flat = sim_or<std::int64_t>(4096, 512);
    const std::int64_t cube = sim_or<std::int64_t>(1000, 200);
    for (GemmPath path : paths()) {
        run_case({.m = edge, .n = 64, .k = 64, .path = path}, seed + 1);
        run_case({.m = 64, .n = flat, .k = 64, .path = path}, seed + 2);
        run_case({.m = 32, .n = 64, .k = flat, .path = path}, seed + 3);
        run_case({.m = cube, .n = cube, .k = cube, .path = path}, seed + 4);
        run_case({.m = cube, .n = cube, .k = cube, .b_kn = true, .path = path}, seed + 6);
    }
    // N one past a power of two, K partial in every K block size (4095; 95 =
    // 64 + 31 = 5 x 16 + 15 on the software GPU).
    run_case({.m = 64, .n = edge, .k = sim_or<std::int64_t>(4095, 95), .path = GemmPath::general}, seed + 5);
}

TEST_F(Gemm, EpiloguesLayoutsAndDtypes) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    // Software GPU: N 136 = 128 + 8 and K 72 = 64 + 8, still full and partial
    // tile columns and K blocks on every path (M 130 keeps the partial tile row).
    const std::int64_t n = ptxkit::testing::sim_or<std::int64_t>(200, 136);
    const std::int64_t k = ptxkit::testing::sim_or<std::int64_t>(96, 72);
    for (GemmPath path : paths()) {
        for (DType ab : {DType::bf16, DType::f16}) {
            for (DType cd : {DType::bf16, DType::f16, DType::f32}) {
                for (bool b_kn : {false, true}) {
                    for (Activation act : {Activation::none, Activation::relu, Activation::gelu_tanh, Activation::silu}) {
                        run_case({.m = 130, .n = n, .k = k, .ab = ab, .cd = cd, .b_kn = b_kn, .act = act,
                                  .alpha = 0.75f, .beta = 0.5f, .bias = true,
                                  .bias_dtype = (i % 2) ? DType::f32 : cd, .path = path},
                                 seed + ++i);
                    }
                }
            }
        }
    }
}

// sm90 clusters of two CTAs sharing each B tile (TMA multicast): the planner
// takes them when the GPU is full of tiles; an odd number of tile rows (15)
// leaves the last pair's second tile past M (computed, never stored).
//
// On the software GPU a clustered plan still needs a GPU full of tiles (at
// least one per SM of the modelled H100's 132: gemm_sm90.cpp use_cluster),
// and 132 CTAs with their shared memory cost about 10 s there whatever the
// shape. So it runs ONE clustered case: K-major B, 11 tile rows (odd: the
// last pair's second tile past M) x 12 narrow tile columns = 132 tiles, one
// K block each; the other cases run at shapes of the same kind (odd tile
// rows, partial tiles, the same layouts, epilogues and split-K) too small
// to be clustered.
TEST_F(Gemm, Sm90ClusterPairsShareBTiles) {
    if (!hopper()) GTEST_SKIP() << "sm90 path: Hopper only";
    using ptxkit::testing::sim_or;
    const bool full = !ptxkit::testing::on_simulator();
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (bool b_kn : {false, true}) {
        const bool clustered = full || !b_kn;
        run_case({.m = clustered ? sim_or<std::int64_t>(1920, 1408) : 384,
                  .n = clustered ? sim_or<std::int64_t>(4096, 1536) : 512, .k = sim_or<std::int64_t>(128, 64),
                  .b_kn = b_kn, .path = GemmPath::sm90, .expect_cluster = clustered},
                 seed + ++i);
        run_case({.m = sim_or<std::int64_t>(2048, 256), .n = sim_or<std::int64_t>(4104, 264), .k = 200, .b_kn = b_kn,
                  .path = GemmPath::sm90, .expect_cluster = full},
                 seed + ++i);
    }
    run_case({.m = sim_or<std::int64_t>(1920, 384), .n = sim_or<std::int64_t>(4104, 264), .k = 64, .cd = DType::f32,
              .beta = 0.5f, .bias = true, .path = GemmPath::sm90, .expect_cluster = full},
             seed + ++i);
    run_case({.m = sim_or<std::int64_t>(2048, 256), .n = sim_or<std::int64_t>(4096, 512), .k = 96,
              .act = Activation::silu, .beta = 1.0f, .path = GemmPath::sm90, .c_in_place = true,
              .expect_cluster = full},
             seed + ++i);
    // M not a multiple of the tile: the last real tile partial, its pair's
    // second tile past M (15 rows), or a full pair with a partial second tile.
    // (Software GPU: 3 and 2 tile rows, the last one partial.)
    run_case({.m = sim_or<std::int64_t>(1900, 300), .n = sim_or<std::int64_t>(4096, 512), .k = 72,
              .path = GemmPath::sm90, .expect_cluster = full},
             seed + ++i);
    run_case({.m = sim_or<std::int64_t>(1000, 232), .n = sim_or<std::int64_t>(8192, 512), .k = 64, .b_kn = true,
              .path = GemmPath::sm90, .expect_cluster = full},
             seed + ++i);
    // Clusters with split-K: 11 tile rows x 4 columns x 3 slices = 132 items.
    // (Software GPU: 2 tile rows x 4 columns x 2 slices, split-K unclustered.)
    run_case({.m = sim_or<std::int64_t>(1408, 256), .n = 512, .k = sim_or<std::int64_t>(4096, 512),
              .path = GemmPath::sm90, .split_workspace = true, .expect_cluster = full},
             seed + ++i);
}

TEST_F(Gemm, BKnOnTheAutomaticPath) {
    const auto seed = ptxkit::testing::fresh_seed();
    run_case({.m = 256, .n = 512, .k = 384, .b_kn = true}, seed);
}

TEST_F(Gemm, SplitKForSkinnyDeepShapes) {
    const auto seed = ptxkit::testing::fresh_seed();
    // Software GPU: K 512 and 1024, still deep enough for 2 to 8 slices of
    // at least 4 K blocks each (gemm.cpp choose_splits; the test asserts that
    // split-K is chosen), and K 256 and 512 on the general path, which is
    // given no workspace (no split-K: just a deep K loop).
    using ptxkit::testing::sim_or;
    for (GemmPath path : paths()) {
        const bool general = path == GemmPath::general;
        const std::int64_t deep = sim_or<std::int64_t>(8192, general ? 256 : 512);
        const std::int64_t deeper = sim_or<std::int64_t>(16384, general ? 512 : 1024);
        run_case({.m = 16, .n = 512, .k = deep, .bias = true, .path = path, .split_workspace = path != GemmPath::general},
                 seed + 1);
        run_case({.m = 1, .n = 256, .k = deeper, .cd = DType::f32, .act = Activation::silu, .path = path,
                  .split_workspace = path != GemmPath::general},
                 seed + 2);
        run_case({.m = 8, .n = 320, .k = deep, .b_kn = true, .path = path, .split_workspace = path != GemmPath::general},
                 seed + 3);
    }
}

// K or N not a multiple of 8 with leading dimensions that are: the
// tensor-core paths then copy partial 16-byte chunks (cp.async with a short
// src-size, TMA boxes past the tensor's edge).
TEST_F(Gemm, PartialChunksOnTheTensorCorePaths) {
    const auto seed = ptxkit::testing::fresh_seed();
    std::uint64_t i = 0;
    for (GemmPath path : paths()) {
        for (bool b_kn : {false, true}) {
            run_case({.m = 72, .n = 61, .k = 13, .b_kn = b_kn, .path = path, .pad = 3}, seed + ++i);
            run_case({.m = 130, .n = 125, .k = 77, .b_kn = b_kn, .path = path, .pad = 3}, seed + ++i);
            // K 1001 = 15 x 64 + 41 (201 = 3 x 64 + 9 on the software GPU): many K blocks, the last partial.
            run_case({.m = 65, .n = 129, .k = ptxkit::testing::sim_or<std::int64_t>(1001, 201), .b_kn = b_kn,
                      .path = path, .pad = 7},
                     seed + ++i);
        }
    }
}

TEST_F(Gemm, UnalignedViewsGoToTheGeneralPath) {
    const auto seed = ptxkit::testing::fresh_seed();
    run_case({.m = 100, .n = 60, .k = 50, .pad = 3, .offset = 1}, seed + 1);
    run_case({.m = 33, .n = 17, .k = 9, .b_kn = true, .offset = 3}, seed + 2);
}

// One-row views come with any stride[0] (a row sliced from a bigger matrix,
// an expanded vector): it addresses nothing, so they still take the tensor
// cores, and a stride past TMA's 2^40-byte limit does not reach the driver.
TEST_F(Gemm, OneRowViewsWithAnyStride) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::int64_t stride : {std::int64_t{3}, std::int64_t{1}, std::int64_t{1} << 41}) {
        run_case({.m = 1, .n = 72, .k = 136, .beta = 0.5f, .one_row_stride = stride, .expect_tensor_cores = true},
                 seed + static_cast<std::uint64_t>(stride & 0xFF));
    }
}

// More rows with a stride of 2^40 bytes or more cannot be described by a
// tensor map: the sm90 planner passes (the sm80 or general path serves it).
TEST_F(Gemm, StridesPastTheTmaLimitFallBack) {
    // Planning reads no memory: addresses far apart, so that the views do not overlap.
    auto* fake_a = reinterpret_cast<void*>(std::uintptr_t{1} << 44);
    auto* fake_b = reinterpret_cast<void*>(std::uintptr_t{1} << 43);
    auto* fake_d = reinterpret_cast<void*>(std::uintptr_t{1} << 42);
    TensorView a = TensorView::contiguous(fake_a, DType::bf16, {2, 64});
    a.stride[0] = std::int64_t{1} << 39;  // 2^40 bytes
    const TensorView b = TensorView::contiguous(fake_b, DType::bf16, {64, 64});
    const TensorView d = TensorView::contiguous(fake_d, DType::bf16, {2, 64});
    EXPECT_NE(ptxkit::gemm_plan(a, b, d, {}).path, GemmPath::sm90);
    a.stride[0] = (std::int64_t{1} << 39) - 8;
    const ptxkit::GemmPlan below = ptxkit::gemm_plan(a, b, d, {});
    if (ptxkit::device_properties(ptxkit::current_device()).cc_major == 9) {
        EXPECT_EQ(below.path, GemmPath::sm90);
    }
}

// The general path's memory access, as the software GPU's profiler counts it:
// loads along each operand's contiguous dimension (a warp's 2-byte loads
// touch 2 sectors, B [K, N] included) and shared-memory stores and reads
// without bank conflicts.
TEST_F(Gemm, GeneralPathCoalescedAndConflictFree) {
    if (!ptxkit::testing::on_simulator()) GTEST_SKIP() << "counts accesses on ptxsim's profiler";
    const auto seed = ptxkit::testing::fresh_seed();
    for (bool b_kn : {false, true}) {
        ptxkit::testing::SimProfile profile;
        run_case({.m = 128, .n = 128, .k = 64, .b_kn = b_kn, .path = GemmPath::general}, seed + (b_kn ? 1 : 0));
        const auto stats = profile.by_kernel();
        ASSERT_EQ(stats.count("ptxkit_gemm_general"), 1u);
        const auto& s = stats.at("ptxkit_gemm_general");
        SCOPED_TRACE(b_kn ? "B [K, N]" : "B [N, K]");
        EXPECT_TRUE(s.conflicts.empty()) << s.conflicts.size() << " instructions with bank conflicts, the first: "
                                         << s.conflicts[0];
        EXPECT_EQ(s.shared_wavefronts, s.shared_requests) << "4-byte accesses: one wavefront each";
        EXPECT_LE(s.sectors_per_request(), 2.01) << s.global_sectors << " sectors in " << s.global_requests
                                                 << " requests";
    }
}

// The configurations planned for large problems: the sm90 128x256 tile
// (when it needs fewer waves than 128x128, clusters included) and the sm80
// 128x128x32 tile (a full wave of them), every dtype and B layout, with
// shapes scaled to the device's SM count: N = 128 x SMs. On ptxsim this runs
// as sms4.* with PTXSIM_SM_COUNT=4 (small enough to interpret), and is left
// out of the 132-SM run.
TEST_F(Gemm, LargeProblemTilesScaledToTheSmCount) {
    const auto seed = ptxkit::testing::fresh_seed();
    const int sms = ptxkit::device_properties(ptxkit::current_device()).sm_count;
    const std::int64_t n = 128 * ((sms + 1) / 2 * 2);
    std::uint64_t i = 0;
    for (DType ab : {DType::bf16, DType::f16}) {
        for (bool b_kn : {false, true}) {
            if (hopper()) {
                // Two tile rows: 128x256 needs one wave, 128x128 two.
                run_case({.m = 130, .n = n, .k = 72, .ab = ab, .cd = ab, .b_kn = b_kn, .expect_config = "128x256"},
                         seed + ++i);
            }
            if (hopper() && ab == DType::bf16 && !b_kn) {
                // Clustered, with more K blocks than pipeline stages: the ring
                // wraps, so each stage is freed by both CTAs of its cluster.
                run_case({.m = 256, .n = n, .k = 520, .ab = ab, .cd = ab, .expect_cluster = true,
                          .expect_config = "128x256"},
                         seed + ++i);
            }
            // Two 128-row tiles by SMs / 2 128-column tiles: a full wave of the large tile.
            run_case({.m = 200, .n = n / 2, .k = 96, .ab = ab, .cd = ab, .b_kn = b_kn, .path = GemmPath::sm80,
                      .expect_config = "128x128x32"},
                     seed + ++i);
        }
    }
}

TEST_F(Gemm, PaddedLeadingDimensions) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (GemmPath path : paths()) run_case({.m = 200, .n = 136, .k = 128, .path = path, .pad = 8}, seed);
}

TEST_F(Gemm, CInPlaceAndKZero) {
    const auto seed = ptxkit::testing::fresh_seed();
    run_case({.m = 128, .n = 256, .k = 64, .beta = 1.0f, .c_in_place = true}, seed + 1);
    run_case({.m = 37, .n = 45, .k = 0, .beta = 2.0f, .bias = true}, seed + 2);
}

TEST_F(Gemm, DeterministicBitwise) {
    // Software GPU: half of each dimension (the same automatic sm90 plan, 8
    // K blocks per tile).
    using ptxkit::testing::sim_or;
    const std::int64_t m = sim_or<std::int64_t>(512, 256), n = sim_or<std::int64_t>(768, 384);
    const std::int64_t k = sim_or<std::int64_t>(1024, 512);
    const auto mn = static_cast<std::size_t>(m * n);
    std::mt19937_64 rng(ptxkit::testing::fresh_seed());
    const HostMatrix a = random_matrix(m, k, k, DType::bf16, rng);
    const HostMatrix b = random_matrix(n, k, k, DType::bf16, rng);
    DeviceBuffer a_dev = upload(a, DType::bf16, 0), b_dev = upload(b, DType::bf16, 0);
    DeviceBuffer d1(mn * 2), d2(mn * 2);
    const TensorView av = TensorView::contiguous(a_dev.get(), DType::bf16, {m, k});
    const TensorView bv = TensorView::contiguous(b_dev.get(), DType::bf16, {n, k});
    ptxkit::gemm(av, bv, TensorView::contiguous(d1.get(), DType::bf16, {m, n}), {}, nullptr);
    ptxkit::gemm(av, bv, TensorView::contiguous(d2.get(), DType::bf16, {m, n}), {}, nullptr);
    EXPECT_EQ(d1.to_host<std::uint16_t>(mn), d2.to_host<std::uint16_t>(mn));
}

TEST_F(Gemm, ForcedPathThatCannotRunIsUnsupported) {
    DeviceBuffer a(64 * 64 * 2 + 16), b(64 * 64 * 2 + 16), d(64 * 64 * 2 + 16);
    ptxkit::GemmOptions o;
    o.path = GemmPath::sm80;
    const TensorView av = TensorView::contiguous(static_cast<char*>(a.get()) + 2, DType::bf16, {64, 63});
    const TensorView bv = TensorView::contiguous(b.get(), DType::bf16, {64, 63});
    try {
        ptxkit::gemm(av, bv, TensorView::contiguous(d.get(), DType::bf16, {64, 64}), o, nullptr);
        FAIL() << "sm80 accepted an unaligned problem";
    } catch (const ptxkit::Error& e) {
        EXPECT_EQ(e.status(), ptxkit::Status::unsupported) << e.what();
        EXPECT_NE(std::string(e.what()).find("sm80 path was forced"), std::string::npos) << e.what();
    }
}

}  // namespace
