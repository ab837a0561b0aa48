// bench_gemm: bf16 GEMM, D[M,N] = A[M,K] · B[N,K]ᵀ (fp32 accumulation, bf16
// out; PyTorch Linear layout, see common/cublas_gemm.hpp for the cuBLAS
// mapping), over the suites
//   square   M = N = K (shapes::square_gemms)
//   decode   every model's dense layers at 1..256 tokens (shapes::llm_gemms)
//   prefill  the same at 1024..16384 tokens
// Impls: "cublasLt" (the fastest of cuBLASLt's top heuristic algorithms with
// a 32 MiB workspace), "cublasGemmEx" (its own choice), and "ptxkit"
// (ptxkit::gemm on the automatic path, with the workspace it asks for; the
// plan that served each case is printed to stderr). Every row is checked
// once against a float64 CPU reference on sampled outputs before timing.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "common/cases.hpp"
#include "common/cublas_gemm.hpp"
#include "common/device.hpp"
#include "common/environment.hpp"
#include "common/gemm_check.hpp"
#include "common/last_value_cache.hpp"
#include "common/main.hpp"
#include "common/random.hpp"
#include "ptxkit/ptxkit.hpp"
#include "shapes/shapes.hpp"
#include "support/gpu.hpp"

namespace {

namespace bench = ptxkit::bench;
namespace shapes = ptxkit::bench::shapes;
using ptxkit::testing::DeviceBuffer;

constexpr int kLtCandidates = 4;  // cuBLASLt heuristic results timed to pick the fastest

struct GemmKey {
    std::int64_t m, n, k;
    bool operator==(const GemmKey&) const = default;
};
using InputCache = bench::LastValueCache<GemmKey, const bench::GemmInputs>;

double gemm_flops(const shapes::GemmShape& s) {
    return 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
}

// bf16 A and B read once, D written once.
double gemm_bytes(const shapes::GemmShape& s) {
    return 2.0 * static_cast<double>(s.m * s.k + s.n * s.k + s.m * s.n);
}

// The work of one GEMM implementation (anything with run(CUstream) writing D):
// verification poisons D with NaNs, runs once and checks sampled outputs.
template <class Gemm>
bench::Work gemm_work(std::shared_ptr<const bench::GemmInputs> inputs, std::shared_ptr<DeviceBuffer> d,
                      std::shared_ptr<Gemm> gemm) {
    bench::Work w;
    w.run = [inputs, d, gemm](CUstream s) { gemm->run(s); };  // gemm points into inputs and d
    w.verify = [inputs, d, gemm](CUstream s) {
        bench::poison(*d, 0xff, s);
        gemm->run(s);
        PTXKIT_CU(cuStreamSynchronize, s);
        return bench::check_gemm_bf16(*inputs, d->address());
    };
    return w;
}

bench::GemmOperands operands(const bench::GemmInputs& in, const DeviceBuffer& d) {
    return {in.a_dev.get(), in.b_dev.get(), d.get(), in.m, in.n, in.k};
}

bench::Work cublaslt_work(std::shared_ptr<const bench::GemmInputs> inputs) {
    bench::Environment& e = bench::env();
    auto d = std::make_shared<DeviceBuffer>(bench::gemm_output_bytes(*inputs));
    auto gemm = std::make_shared<bench::CublasLtGemm>(e.cublas(), operands(*inputs, *d));
    gemm->select_fastest(e.timer(), kLtCandidates, bench::CublasLtGemm::selection_timing(e.options().timing));
    return gemm_work(std::move(inputs), std::move(d), std::move(gemm));
}

bench::Work gemm_ex_work(std::shared_ptr<const bench::GemmInputs> inputs) {
    auto d = std::make_shared<DeviceBuffer>(bench::gemm_output_bytes(*inputs));
    auto gemm = std::make_shared<bench::CublasGemmEx>(bench::env().cublas(), operands(*inputs, *d));
    return gemm_work(std::move(inputs), std::move(d), std::move(gemm));
}

// ptxkit::gemm on the same inputs, with the split-K workspace it asks for.
struct PtxkitGemm {
    const bench::GemmInputs* in;
    DeviceBuffer* d;
    DeviceBuffer workspace;
    ptxkit::TensorView a, b, out;
    ptxkit::GemmOptions options;

    PtxkitGemm(const bench::GemmInputs& inputs, DeviceBuffer& output) : in(&inputs), d(&output) {
        a = ptxkit::TensorView::contiguous(in->a_dev.get(), ptxkit::DType::bf16, {in->m, in->k});
        b = ptxkit::TensorView::contiguous(in->b_dev.get(), ptxkit::DType::bf16, {in->n, in->k});
        out = ptxkit::TensorView::contiguous(d->get(), ptxkit::DType::bf16, {in->m, in->n});
        const std::size_t bytes = ptxkit::gemm_workspace_size(in->m, in->n, in->k);
        if (bytes > 0) {
            workspace = DeviceBuffer(bytes);
            options.workspace = workspace.get();
            options.workspace_bytes = bytes;
        }
        const ptxkit::GemmPlan plan = ptxkit::gemm_plan(a, b, out, options);
        fmt::print(stderr, "ptxkit gemm {}x{}x{}: kernel {} config {} splits {} grid {}\n", in->m, in->n, in->k,
                   plan.kernel, plan.config, plan.splits, plan.grid);
    }
    void run(CUstream s) { ptxkit::gemm(a, b, out, options, s); }
};

bench::Work ptxkit_gemm_work(std::shared_ptr<const bench::GemmInputs> inputs) {
    auto d = std::make_shared<DeviceBuffer>(bench::gemm_output_bytes(*inputs));
    auto gemm = std::make_shared<PtxkitGemm>(*inputs, *d);
    return gemm_work(std::move(inputs), std::move(d), std::move(gemm));
}

void register_suite(const std::string& suite, const std::vector<shapes::GemmShape>& list,
                    const std::shared_ptr<InputCache>& cache, std::uint64_t base_seed) {
    for (const shapes::GemmShape& shape : list) {
        // Keyed by the dimensions, so that equal shapes get equal inputs.
        const std::uint64_t seed =
            bench::derive_seed(base_seed, fmt::format("gemm:{}x{}x{}", shape.m, shape.n, shape.k));
        const auto inputs = [cache, shape, seed] {
            return cache->get(GemmKey{shape.m, shape.n, shape.k},
                              [&] { return bench::make_gemm_inputs(shape.m, shape.n, shape.k, seed); });
        };
        bench::Case c;
        c.suite = suite;
        c.name = shape.name;
        c.flops = gemm_flops(shape);
        c.bytes = gemm_bytes(shape);

        c.impl = "cublasLt";
        c.setup = [inputs] { return cublaslt_work(inputs()); };
        bench::register_case(c);

        c.impl = "cublasGemmEx";
        c.setup = [inputs] { return gemm_ex_work(inputs()); };
        bench::register_case(c);

        // Ours after the baselines of the same case, so that vs_cublas uses the
        // cuBLAS medians just measured.
        c.impl = bench::kOurs;
        c.setup = [inputs] { return ptxkit_gemm_work(inputs()); };
        c.cublas_fallback = [inputs] { return cublaslt_work(inputs()); };
        bench::register_case(c);
    }
}

void register_cases(const bench::Options& options) {
    const auto cache = std::make_shared<InputCache>();
    register_suite("square", shapes::square_gemms(options.quick), cache, options.seed);
    register_suite("decode", shapes::llm_gemms(shapes::Phase::decode, options.quick), cache, options.seed);
    register_suite("prefill", shapes::llm_gemms(shapes::Phase::prefill, options.quick), cache, options.seed);
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, "bench_gemm", register_cases); }
