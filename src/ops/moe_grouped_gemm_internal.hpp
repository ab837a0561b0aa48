// The grouped expert GEMM's internal interface: src/ops/moe_grouped_gemm.cpp
// checks the arguments and builds a GroupedProblem, each kernel family plans
// it on a device (or says why it cannot) and launches it:
//   moe_grouped_gemm_sm90.cpp -> kernels/moe/grouped_gemm_sm90.cu (TMA + wgmma, sm_90)
//   moe_grouped_gemm_sm80.cpp -> kernels/moe/grouped_gemm_sm80.cu (mma.sync, sm_80+)
// Planning needs no driver, so the CPU tests plan for model devices.
#pragma once

#include <cstdint>
#include <string>

#include "moe/grouped_gemm_params.h"
#include "ptxkit/moe.hpp"
#include "runtime/context.hpp"

namespace ptxkit::detail::moe_gemm {

using moe::GroupedGemmPlan;

// A checked call: shapes, strides in elements, dtypes.
struct GroupedProblem {
    bool masked = false;
    DType ab_dtype = DType::bf16;
    DType d_dtype = DType::bf16;
    bool swiglu = false;
    int experts = 0;
    std::int64_t rows = 0;   // contiguous: rows of A and out; masked: capacity per expert
    std::int64_t n = 0;      // rows of each expert's weight
    std::int64_t n_out = 0;  // columns of out: n, or n / 2 with SwiGLU
    std::int64_t k = 0;
    int block_m = 0;                 // contiguous: align's block_m
    std::int64_t num_blocks = 0;     // contiguous: entries of block_expert
    const void* a = nullptr;
    const void* b = nullptr;
    void* d = nullptr;
    const void* block_expert = nullptr;
    const void* total_padded = nullptr;
    const void* counts = nullptr;
    std::int64_t lda = 0, ldb = 0, ldd = 0;
    std::int64_t a_batch_stride = 0, d_batch_stride = 0, b_expert_stride = 0;
};

struct GroupedPlan {
    GroupedGemmPlan public_plan;
    unsigned block_threads = 0;
    unsigned dynamic_shared_bytes = 0;
    int group_m = 8;
    int tiles_n = 0;        // over the output columns
    int out_columns = 0;    // output columns per tile
};

// Fills the parameter block of both kernel families.
ptxkit_moe_gemm_params make_params(const GroupedProblem& p, const GroupedPlan& plan);

// Tile rows the walk could meet at most: every row of the capacity valid.
std::int64_t max_tile_rows(const GroupedProblem& p, int block_m);

bool plan_sm90(const GroupedProblem& p, const DeviceProperties& device, GroupedPlan& plan, std::string& why);
void launch_sm90(ContextState& ctx, const GroupedProblem& p, const GroupedPlan& plan, CUstream stream);

bool plan_sm80(const GroupedProblem& p, const DeviceProperties& device, GroupedPlan& plan, std::string& why);
void launch_sm80(ContextState& ctx, const GroupedProblem& p, const GroupedPlan& plan, CUstream stream);

// The automatic choice (sm90, then sm80) or the forced path; throws
// Error(unsupported) naming the reason when nothing can run the problem.
GroupedPlan plan_grouped(const GroupedProblem& p, const DeviceProperties& device, GemmPath path);

}  // namespace ptxkit::detail::moe_gemm
