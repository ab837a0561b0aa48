// The GEMM op's internal interface: src/ops/gemm.cpp checks the arguments,
// builds a Problem, asks each kernel family whether it can serve it and with
// which configuration (its Planner), and launches through it. Each family
// lives in its own file: gemm_sm90.cpp (wgmma + TMA), gemm_sm80.cpp
// (mma.sync), gemm_general.cpp (any shape, any alignment).
#pragma once

#include <cstdint>
#include <string>

#include "gemm/gemm_params.h"
#include "ptxkit/gemm.hpp"
#include "runtime/context.hpp"

namespace ptxkit::detail::gemm {

// A checked call: shapes, strides in elements, dtypes.
struct Problem {
    std::int64_t m = 0, n = 0, k = 0;
    const void* a = nullptr;
    const void* b = nullptr;
    const void* c = nullptr;  // null: none
    void* d = nullptr;
    const void* bias = nullptr;  // null: none
    std::int64_t lda = 0, ldb = 0, ldc = 0, ldd = 0;
    DType ab_dtype = DType::bf16;
    DType cd_dtype = DType::bf16;
    DType bias_dtype = DType::f32;
    bool b_kn = false;
    float alpha = 1.0f, beta = 0.0f;
    Activation activation = Activation::none;
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;

    // Every pointer 16-byte aligned and every leading dimension a multiple of
    // 8 elements: what the tensor-core paths need.
    bool aligned16() const noexcept;
};

// What a family would launch for a problem.
struct Plan {
    GemmPlan public_plan;         // path, kernel, config, tiles, grid
    int stages = 0;
    unsigned block_threads = 0;
    unsigned dynamic_shared_bytes = 0;
    int group_m = 8;
    std::int64_t k_per_split = 0;
    int cluster_m = 1;  // sm90: CTAs per cluster along M (2: B tiles shared by multicast)
};

// Fills the parameter block every GEMM kernel takes.
ptxkit_gemm_params make_params(const Problem& p, const Plan& plan);

// Each family: plan() returns false when it cannot serve the problem on this
// device (with the reason in `why`, used when a path was forced).
bool plan_sm90(const Problem& p, const DeviceProperties& device, Plan& plan, std::string& why);
void launch_sm90(ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream);

bool plan_sm80(const Problem& p, const DeviceProperties& device, Plan& plan, std::string& why);
void launch_sm80(ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream);

bool plan_general(const Problem& p, const DeviceProperties& device, Plan& plan, std::string& why);
void launch_general(ContextState& ctx, const Problem& p, const Plan& plan, CUstream stream);

// Split-K: how many slices of K make `tiles` output tiles fill `sm_count` SMs
// better, given K and the workspace available (1 = no split).
int choose_splits(std::int64_t tiles, int sm_count, std::int64_t k, int block_k, std::size_t workspace_bytes,
                  std::int64_t m, std::int64_t n);

}  // namespace ptxkit::detail::gemm
