// The GEMM cases: shapes, dtypes, layouts and epilogues chosen to reach every
// path of the sm90 kernel (both tiles, edges, split-K, clusters, persistent
// walks) through the real planner.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ptxkit/gemm.hpp"

namespace emu::gemm_sm90 {
struct Case {
    std::string name;
    int64_t m = 0, n = 0, k = 0;
    bool f16 = false;                       // A/B dtype (else bf16)
    ptxkit::DType cd = ptxkit::DType::bf16;  // C/D dtype
    bool b_kn = false;                      // B stored [K, N] (MN-major operand, the _kn kernels)
    float alpha = 1.0f, beta = 0.0f;
    int c_mode = 0;  // 0 none, 1 separate C, 2 C = D (in place)
    int bias = 0;    // 0 none, 1 f32, 2 dtype of D
    ptxkit::Activation act = ptxkit::Activation::none;
    int sms = 2;
    bool workspace = false;
    int pad = 8;                     // extra elements per row of every operand
    const char* expect = "";         // substring the chosen kernel must contain
    int expect_splits = 0;           // split-K slices the plan must choose (0: any)
    int max_clusters = 0;            // stubbed cuOccupancyMaxActiveClusters answer (0: cannot tell)
    const char* expect_config = "";  // substring of the launch's config (e.g. "cluster2x1")
};
std::vector<Case> cases();
}  // namespace emu::gemm_sm90
