// The attention ops' internal interface. src/ops/attention.cpp checks the
// arguments and fills a PrefillProblem / DecodeProblem (the kernel parameter
// block with every pointer, stride, length and option already set); each
// kernel family plans and launches it from its own file:
//   attention_sm90.cpp   -> kernels/attention/prefill_sm90.cu (TMA + wgmma)
//   attention_sm80.cpp   -> kernels/attention/prefill_sm80.cu (mma.sync)
//   attention_decode.cpp -> kernels/attention/decode.cu (split-KV + merge)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "attention/attention_params.h"
#include "ptxkit/attention.hpp"
#include "runtime/context.hpp"

namespace ptxkit::detail::attention {

struct PrefillProblem {
    // Everything but q_blocks and tiles, which depend on the family's block_m.
    ptxkit_attention_params params{};
    DType dtype = DType::bf16;
    bool varlen = false;
    std::int64_t total_q = 0, total_k = 0;  // rows of q/o and k/v (packed); batch * S (fixed)
};

struct PrefillPlan {
    AttentionPlan public_plan;
    unsigned block_threads = 0;
    unsigned dynamic_shared_bytes = 0;
};

// plan_*() returns false when the family cannot serve the problem on this
// device, with the reason in `why` (reported when the path was forced).
bool plan_prefill_sm90(const PrefillProblem& p, const DeviceProperties& device, PrefillPlan& plan, std::string& why);
void launch_prefill_sm90(ContextState& ctx, const PrefillProblem& p, const PrefillPlan& plan, CUstream stream);

bool plan_prefill_sm80(const PrefillProblem& p, const DeviceProperties& device, PrefillPlan& plan, std::string& why);
void launch_prefill_sm80(ContextState& ctx, const PrefillProblem& p, const PrefillPlan& plan, CUstream stream);

struct DecodeProblem {
    // Everything but splits, keys_per_split, partial_o and partial_lse.
    ptxkit_attention_decode_params params{};
    DType dtype = DType::bf16;
    void* workspace = nullptr;
    std::size_t workspace_bytes = 0;
    int forced_splits = 0;  // 0: heuristic
};

struct DecodePlan {
    AttentionPlan public_plan;  // path sm80 (the decode kernels run on sm_80 and later)
    int splits = 1;
    int keys_per_split = 0;
    std::size_t workspace_bytes = 0;  // what `splits` needs
    unsigned block_threads = 0;
    unsigned dynamic_shared_bytes = 0;
};

// Split count and workspace for these sizes on `device`; `workspace_bytes` is
// what the caller offers (the plan uses fewer splits when it is short).
// window_left >= 0 (a sliding window) divides only the keys the window can
// reach; the count never exceeds the one without a window, so
// attention_decode_workspace_size (which knows no window) is always enough.
DecodePlan plan_decode(std::int64_t batch, std::int64_t q_len, std::int64_t heads_q, std::int64_t heads_kv,
                       std::int64_t head_dim, std::int64_t max_seq_len, std::int64_t window_left,
                       std::size_t workspace_bytes, int forced_splits, const DeviceProperties& device);
void launch_decode(ContextState& ctx, const DecodeProblem& p, const DecodePlan& plan, CUstream stream);

}  // namespace ptxkit::detail::attention
