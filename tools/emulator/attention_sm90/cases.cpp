#include "cases.hpp"

// Indices are quoted in the comments below (and by failing runs): add new
// cases at the end.

namespace emu::attention_sm90 {
std::vector<Case> cases() {
    std::vector<Case> v;
    auto add = [&](Case c) { v.push_back(std::move(c)); };
    // 0-5: one tile; every head dim and dtype, causal and not.
    add({.name = "one tile S=128 D128", .lq = {128}, .lk = {128}, .varlen = false, .hq = 1, .hkv = 1, .d = 128,
         .sms = 132, .expect_kernel = "bf16_d128"});
    add({.name = "fixed B2 S200 D64 causal", .lq = {200, 200}, .lk = {200, 200}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 64, .causal = true, .expect_kernel = "bf16_d64"});
    add({.name = "fixed B2 S200 D64 f16", .lq = {200, 200}, .lk = {200, 200}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 64, .f16 = true, .expect_kernel = "f16_d64"});
    add({.name = "fixed B1 S200 D128 f16 causal", .lq = {200}, .lk = {200}, .varlen = false, .hq = 2, .hkv = 2,
         .d = 128, .f16 = true, .causal = true, .expect_kernel = "f16_d128"});
    add({.name = "fixed B1 S200 D256 bf16", .lq = {200}, .lk = {200}, .varlen = false, .hq = 2, .hkv = 1, .d = 256,
         .expect_kernel = "bf16_d256"});
    add({.name = "fixed B1 S200 D256 f16 causal", .lq = {200}, .lk = {200}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 256, .f16 = true, .causal = true, .expect_kernel = "f16_d256"});
    // 6-11: seqlen_q != seqlen_k both ways.
    add({.name = "q70 k300 causal D128", .lq = {70}, .lk = {300}, .varlen = false, .hq = 2, .hkv = 1, .d = 128,
         .causal = true});
    add({.name = "q70 k300 D64 f16", .lq = {70}, .lk = {300}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 64, .f16 = true});
    add({.name = "q300 k70 causal D64 f16 (rows without keys)", .lq = {300}, .lk = {70}, .varlen = false, .hq = 2,
         .hkv = 1, .d = 64, .f16 = true, .causal = true});
    add({.name = "q300 k70 D256", .lq = {300}, .lk = {70}, .varlen = false, .hq = 1, .hkv = 1, .d = 256});
    add({.name = "q300 k70 causal D256 bf16", .lq = {300}, .lk = {70}, .varlen = false, .hq = 1, .hkv = 1, .d = 256,
         .causal = true});
    add({.name = "varlen q70/k300, q300/k70 causal D128 f16", .lq = {70, 300}, .lk = {300, 70}, .hq = 2, .hkv = 1,
         .d = 128, .f16 = true, .causal = true});
    // 12-15: lengths that are not tile multiples.
    add({.name = "varlen 1,65,129,200 causal D128", .lq = {1, 65, 129, 200}, .lk = {1, 65, 129, 200}, .hq = 2, .hkv = 1,
         .d = 128, .causal = true});
    add({.name = "varlen 1,65,129,200 D256 f16", .lq = {1, 65, 129, 200}, .lk = {1, 65, 129, 200}, .hq = 1, .hkv = 1,
         .d = 256, .f16 = true});
    add({.name = "varlen 1,65,129,200 D64 causal f16", .lq = {1, 65, 129, 200}, .lk = {200, 129, 65, 1}, .hq = 2,
         .hkv = 2, .d = 64, .f16 = true, .causal = true});
    add({.name = "fixed B3 S65 D64", .lq = {65, 65, 65}, .lk = {129, 129, 129}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 64});
    // 16-18: varlen with empty sequences, GQA 8/2.
    add({.name = "varlen {0,1,130,77} GQA 8/2 causal D128", .lq = {0, 1, 130, 77}, .lk = {0, 1, 130, 77}, .hq = 8,
         .hkv = 2, .d = 128, .causal = true, .sms = 16});
    add({.name = "varlen {0,1,130,77}/{5,0,130,200} GQA 8/2 D64", .lq = {0, 1, 130, 77}, .lk = {5, 0, 130, 200},
         .hq = 8, .hkv = 2, .d = 64, .sms = 16});
    add({.name = "fixed GQA 8/2 S150 D256 f16 causal", .lq = {150}, .lk = {150}, .varlen = false, .hq = 8, .hkv = 2,
         .d = 256, .f16 = true, .causal = true, .sms = 16});
    // 19-22: sliding windows.
    add({.name = "window (50,0) S300 D128", .lq = {300}, .lk = {300}, .varlen = false, .hq = 2, .hkv = 1, .d = 128,
         .wl = 50, .wr = 0});
    add({.name = "window (30,20) non-causal q200 k250 D64 f16", .lq = {200}, .lk = {250}, .varlen = false, .hq = 2,
         .hkv = 1, .d = 64, .f16 = true, .wl = 30, .wr = 20});
    add({.name = "window (30,20) q250 k200 D256", .lq = {250}, .lk = {200}, .varlen = false, .hq = 1, .hkv = 1,
         .d = 256, .wl = 30, .wr = 20});
    add({.name = "causal + window_left 50 varlen D128 f16", .lq = {260, 31}, .lk = {260, 31}, .hq = 2, .hkv = 2,
         .d = 128, .f16 = true, .causal = true, .wl = 50});
    add({.name = "window (10,0) q100 k40 (rows w/o keys) D64", .lq = {100}, .lk = {40}, .varlen = false, .hq = 2,
         .hkv = 1, .d = 64, .wl = 10, .wr = 0});
    // 24-26: softcap, scale.
    add({.name = "softcap 30 scale 0.3 D128", .lq = {150}, .lk = {150}, .varlen = false, .hq = 2, .hkv = 1, .d = 128,
         .softcap = 30.0f, .scale = 0.3f});
    add({.name = "softcap 5 causal q200 k250 D256 f16", .lq = {200}, .lk = {250}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 256, .f16 = true, .causal = true, .softcap = 5.0f});
    add({.name = "negative scale -0.2 D64 f16 no LSE", .lq = {140}, .lk = {140}, .varlen = false, .hq = 1, .hkv = 1,
         .d = 64, .f16 = true, .scale = -0.2f, .lse = false});
    // 27-30: persistent walk, several items per CTA.
    add({.name = "persistent: 24 tiles on 2 SMs D64 causal", .lq = {300, 300}, .lk = {300, 300}, .varlen = false,
         .hq = 4, .hkv = 2, .d = 64, .causal = true, .sms = 2});
    add({.name = "persistent: 12 tiles on 3 SMs D128 f16", .lq = {300}, .lk = {400}, .varlen = false, .hq = 4, .hkv = 1,
         .d = 128, .f16 = true, .sms = 3});
    add({.name = "persistent: 1 SM D256 varlen", .lq = {130, 0, 77}, .lk = {200, 10, 77}, .hq = 2, .hkv = 1, .d = 256,
         .causal = true, .sms = 1});
    add({.name = "persistent: 1 SM D128 long k=700 (ring laps)", .lq = {64, 200}, .lk = {700, 200}, .hq = 1, .hkv = 1,
         .d = 128, .sms = 1});
    // 31-34: strided views, padded output, layouts.
    add({.name = "packed QKV f16 causal o_pad 8 GQA 8/2 D64", .lq = {130, 45}, .lk = {130, 45}, .hq = 8, .hkv = 2,
         .d = 64, .f16 = true, .causal = true, .layout = 1, .o_pad = 8, .sms = 8});
    add({.name = "fixed packed QKV f16 D128 no LSE", .lq = {96, 96}, .lk = {96, 96}, .varlen = false, .hq = 2, .hkv = 2,
         .d = 128, .f16 = true, .layout = 1, .lse = false});
    add({.name = "padded strides fixed D256 causal", .lq = {140, 140}, .lk = {140, 140}, .varlen = false, .hq = 2,
         .hkv = 1, .d = 256, .causal = true, .layout = 2, .sms = 4});
    add({.name = "head-major memory ([B,H,S,D] as [B,S,H,D]) D64", .lq = {130, 130}, .lk = {200, 200}, .varlen = false,
         .hq = 2, .hkv = 2, .d = 64, .layout = 3});
    // 35-36: no keys.
    add({.name = "no keys at all (total_k = 0) D128", .lq = {70, 5}, .lk = {0, 0}, .hq = 2, .hkv = 1, .d = 128});
    add({.name = "fixed S_k = 0 D64", .lq = {33}, .lk = {0}, .varlen = false, .hq = 1, .hkv = 1, .d = 64});
    // 37-41: mask decisions exactly at block edges (a visible range ending or starting on a block boundary).
    add({.name = "edge sweep: right edge at block end, D64 causal", .lq = {2, 3, 130, 66, 2},
         .lk = {128, 129, 256, 192, 130}, .hq = 1, .hkv = 1, .d = 64, .causal = true});
    add({.name = "edge sweep: right edge at block end, D256 causal (BN 80)", .lq = {2, 130, 3}, .lk = {80, 208, 81},
         .hq = 1, .hkv = 1, .d = 256, .f16 = true, .causal = true});
    add({.name = "edge: window (254,0) S400 D128 (left edge at block start)", .lq = {400}, .lk = {400}, .varlen = false,
         .hq = 1, .hkv = 1, .d = 128, .wl = 254, .wr = 0});
    add({.name = "edge: window (126,-1) S300 D256 (left edge, BN 80)", .lq = {300}, .lk = {300}, .varlen = false,
         .hq = 1, .hkv = 1, .d = 256, .wl = 126, .wr = -1});
    add({.name = "edge: window (20,84) q130 k300 D128 (right window edge at block end)", .lq = {130}, .lk = {300},
         .varlen = false, .hq = 1, .hkv = 1, .d = 128, .wl = 20, .wr = 84});
    // 42-43: the GPU test's softcap case at D = 64 and 256 (LSE margin against tanh.approx error).
    add({.name = "softcap 30 scale 0.3 D256 (test suite case)", .lq = {150}, .lk = {150}, .varlen = false, .hq = 2,
         .hkv = 1, .d = 256, .softcap = 30.0f, .scale = 0.3f});
    add({.name = "softcap 30 scale 0.3 D256 f16", .lq = {150}, .lk = {150}, .varlen = false, .hq = 2, .hkv = 1,
         .d = 256, .f16 = true, .softcap = 30.0f, .scale = 0.3f});
    add({.name = "softcap 30 scale 0.3 D64 (test suite case)", .lq = {150}, .lk = {150}, .varlen = false, .hq = 2,
         .hkv = 1, .d = 64, .softcap = 30.0f, .scale = 0.3f});
    return v;
}
}  // namespace emu::attention_sm90
