// The attention prefill cases: head dims, dtypes, masks (causal, windows with
// edges on key-block boundaries), softcap, varlen with empty sequences, GQA,
// strided layouts and persistent walks, through the real planner.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emu::attention_sm90 {
struct Case {
    std::string name;
    std::vector<int64_t> lq, lk;  // per-sequence query and key lengths
    bool varlen = true;           // else the fixed [B, S, H, D] form (all lengths equal)
    int hq = 2, hkv = 1, d = 128;
    bool f16 = false;
    bool causal = false;
    int wl = -1, wr = -1;  // window left/right (-1: unbounded)
    float softcap = 0.0f, scale = 0.0f;  // scale 0: 1/sqrt(d)
    int layout = 0;  // 0 dense, 1 one packed QKV buffer (lq == lk), 2 padded head/row/batch strides, 3 head-major memory
    bool lse = true;
    int o_pad = 0;  // extra elements per output row (layouts 0, 1)
    int sms = 132;
    std::string expect_kernel = "";  // substring the chosen kernel must contain
};
std::vector<Case> cases();
}  // namespace emu::attention_sm90
