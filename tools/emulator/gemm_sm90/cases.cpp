#include "cases.hpp"

// mutate.py names cases by index: add new ones at the end.

namespace emu::gemm_sm90 {
std::vector<Case> cases() {
    using ptxkit::Activation;
    using ptxkit::DType;
    std::vector<Case> v;
    auto add = [&](Case c) { v.push_back(std::move(c)); };
    // One tile / both tile widths.
    add({.name = "one 128x128 tile, K=64", .m = 128, .n = 128, .k = 64, .sms = 1, .expect = "128x128"});
    add({.name = "one 128x256 tile, K=64", .m = 128, .n = 256, .k = 64, .sms = 1, .expect = "128x256"});
    // Several tiles per CTA (2 SMs), K several blocks: ring phases across tiles.
    add({.name = "wide, 4 tiles on 2 SMs, K=256", .m = 256, .n = 512, .k = 256, .expect = "128x256"});
    add({.name = "narrow, 3 tiles on 2 SMs, K=192", .m = 384, .n = 128, .k = 192, .expect = "128x128"});
    add({.name = "wide, 6 tiles on 1 SM (long ring walk)", .m = 384, .n = 512, .k = 128, .sms = 1,
         .expect = "128x256"});
    // Edges.
    add({.name = "edges M=130 N=200 K=96", .m = 130, .n = 200, .k = 96});
    add({.name = "edges M=130 N=200 K=96, 132 SMs", .m = 130, .n = 200, .k = 96, .sms = 132});
    add({.name = "N=65 K=8", .m = 100, .n = 65, .k = 8});
    add({.name = "M=1 N=8 K=8", .m = 1, .n = 8, .k = 8});
    add({.name = "M=257 N=257 K=200 narrow", .m = 257, .n = 257, .k = 200, .sms = 132, .expect = "128x128"});
    add({.name = "M=257 N=400 K=72 wide", .m = 257, .n = 400, .k = 72, .expect = "128x256"});
    // f16 inputs and output types.
    add({.name = "f16 -> f16", .m = 200, .n = 320, .k = 160, .f16 = true, .cd = DType::f16, .expect = "f16"});
    add({.name = "f16 -> f32", .m = 200, .n = 136, .k = 160, .f16 = true, .cd = DType::f32, .expect = "f16"});
    add({.name = "bf16 -> f32 odd N", .m = 150, .n = 129, .k = 100, .cd = DType::f32});
    add({.name = "bf16 -> f16", .m = 128, .n = 192, .k = 64, .cd = DType::f16});
    // Epilogue: C (separate, in place), bias, activations, alpha.
    add({.name = "alpha, beta C, f32 bias, relu", .m = 200, .n = 264, .k = 128, .alpha = 0.5f, .beta = 0.75f,
         .c_mode = 1, .bias = 1, .act = Activation::relu});
    add({.name = "C = D in place, bias(D type), silu", .m = 192, .n = 256, .k = 128, .alpha = 1.25f, .beta = -1.0f,
         .c_mode = 2, .bias = 2, .act = Activation::silu});
    add({.name = "C = D in place f32, gelu", .m = 130, .n = 72, .k = 64, .cd = DType::f32, .beta = 0.5f, .c_mode = 2,
         .bias = 1, .act = Activation::gelu_tanh});
    add({.name = "f16 in place, bias f16", .m = 160, .n = 200, .k = 96, .f16 = true, .cd = DType::f16, .beta = 1.0f,
         .c_mode = 2, .bias = 2});
    // B [K, N] (MN-major B, the _kn kernels).
    add({.name = "B[K,N] one wide tile", .m = 128, .n = 256, .k = 64, .b_kn = true, .sms = 1, .expect = "128x256_kn"});
    add({.name = "B[K,N] one narrow tile", .m = 128, .n = 128, .k = 64, .b_kn = true, .sms = 1,
         .expect = "128x128_kn"});
    add({.name = "B[K,N] edges M=130 N=200 K=96", .m = 130, .n = 200, .k = 96, .b_kn = true, .expect = "_kn"});
    add({.name = "B[K,N] N=65 (wide: boxes past N)", .m = 128, .n = 65, .k = 64, .b_kn = true, .sms = 1,
         .expect = "_kn"});
    add({.name = "B[K,N] wide N=65 K=8 on 1 SM", .m = 256, .n = 65, .k = 8, .f16 = true, .cd = DType::f16, .b_kn = true,
         .sms = 1, .expect = "_kn"});
    add({.name = "B[K,N] wide tiles on 2 SMs", .m = 256, .n = 512, .k = 192, .b_kn = true, .expect = "128x256_kn"});
    add({.name = "B[K,N] narrow, f16->f32, bias", .m = 384, .n = 130, .k = 136, .f16 = true, .cd = DType::f32,
         .b_kn = true, .bias = 1, .expect = "_kn"});
    // Split-K (workspace given, few tiles on many SMs).
    add({.name = "split-K 2 slices", .m = 64, .n = 128, .k = 512, .sms = 8, .workspace = true, .expect_splits = 2});
    add({.name = "split-K 3 slices, partial last K block, bias", .m = 100, .n = 72, .k = 800, .bias = 1,
         .act = Activation::relu, .sms = 8, .workspace = true, .expect_splits = 3});
    add({.name = "split-K B[K,N] f16 -> f32 odd N", .m = 64, .n = 65, .k = 700, .f16 = true, .cd = DType::f32,
         .b_kn = true, .alpha = 0.5f, .sms = 8, .workspace = true, .expect_splits = 2});
    add({.name = "split-K in place C", .m = 64, .n = 256, .k = 1024, .beta = 1, .c_mode = 2, .sms = 16,
         .workspace = true});
    // Clusters of two (multicast B): several clusters, several items per cluster,
    // a cluster whose second tile is past M, halves of B past N, clamped grid.
    add({.name = "cluster: 2 clusters x 3 items", .m = 512, .n = 768, .k = 128, .sms = 4, .expect = "128x256",
         .expect_config = "cluster2x1"});
    add({.name = "cluster: odd tiles_m=9 (tile past M)", .m = 1100, .n = 128, .k = 64, .expect = "128x128",
         .expect_config = "cluster2x1"});
    add({.name = "cluster: wide, N=300 (rank-1 half of B past N)", .m = 256, .n = 300, .k = 64, .sms = 4,
         .expect = "128x256", .expect_config = "cluster2x1"});
    add({.name = "cluster: narrow, N=50 (rank-1 half past N)", .m = 256, .n = 50, .k = 72, .f16 = true,
         .cd = DType::f16, .sms = 1, .expect = "128x128", .expect_config = "cluster2x1"});
    add({.name = "cluster: B[K,N] wide N=400 (box past N)", .m = 256, .n = 400, .k = 128, .b_kn = true, .sms = 1,
         .expect = "128x256_kn", .expect_config = "cluster2x1"});
    add({.name = "cluster: B[K,N] narrow odd tiles_m, f32 out", .m = 1100, .n = 72, .k = 96, .cd = DType::f32,
         .b_kn = true, .bias = 1, .expect = "_kn", .expect_config = "cluster2x1"});
    add({.name = "cluster: grid clamped by max active clusters", .m = 512, .n = 512, .k = 128, .sms = 8,
         .expect = "128x256", .max_clusters = 1, .expect_config = "cluster2x1"});
    add({.name = "cluster + split-K (4 slices)", .m = 256, .n = 128, .k = 1024, .sms = 8, .workspace = true,
         .expect = "128x128", .expect_splits = 4, .expect_config = "cluster2x1"});
    add({.name = "cluster + split-K B[K,N] in place f16", .m = 256, .n = 120, .k = 1000, .f16 = true, .cd = DType::f16,
         .b_kn = true, .alpha = 0.5f, .beta = 2.0f, .c_mode = 2, .bias = 2, .act = Activation::silu, .sms = 6,
         .workspace = true, .expect = "_kn", .expect_config = "cluster2x1"});
    add({.name = "long K (10 blocks), 4 items per cluster", .m = 512, .n = 512, .k = 640, .sms = 1, .expect = "128x256",
         .expect_config = "cluster2x1"});
    add({.name = "long K B[K,N] f16, 1 SM, odd everything", .m = 300, .n = 333, .k = 600, .f16 = true, .cd = DType::f16,
         .b_kn = true, .c_mode = 1, .bias = 1, .act = Activation::relu, .sms = 1});
    // H100-sized grid: 132 SMs, 66 clusters, some taking two items.
    add({.name = "132 SMs: 66 clusters, 144 items (narrow)", .m = 2048, .n = 2304, .k = 64, .bias = 1, .sms = 132,
         .expect = "128x128", .expect_config = "cluster2x1"});
    return v;
}
}  // namespace emu::gemm_sm90
