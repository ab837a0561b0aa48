// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// Split-K reduction and epilogue: D[r, c] = epilogue(sum over s of
// workspace[s, r, c]), summed in slice order so the result is bitwise
// reproducible. With splits == 0 it is the whole GEMM for K = 0:
// D = act(beta C + bias).
#include <cstdint>

#include "gemm/epilogue.cuh"
#include "gemm/gemm_params.h"

extern "C" __global__ void __launch_bounds__(256)
ptxkit_gemm_splitk_reduce(const __grid_constant__ ptxkit_gemm_params p) {
    const int64_t total = p.m * p.n;
    const int64_t plane = total;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < p.splits; ++s) acc += p.workspace[s * plane + i];
        const int64_t row = i / p.n, col = i % p.n;
        ptxkit::gemm::store_d(p, row, col, ptxkit::gemm::epilogue_value(p, acc, row, col));
    }
}
