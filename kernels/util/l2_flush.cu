// ptxkit-module: sass=sm_80,sm_90a ptx=compute_80 hot=*
//
// Evicts the L2 cache between timed benchmark iterations, so that every timed
// run reads its inputs from device memory. The kernel reads and rewrites a
// scratch buffer (at least twice the L2 size, chosen by the host) through the
// L2-only path: each line is allocated dirty in L2, which pushes out whatever
// the previous iteration left there. The buffer's contents are the kernel's
// own business; each call adds `salt` to every word so no pass is a no-op.
#include <cstdint>

#include "common/ptx_memory.cuh"

extern "C" __global__ void __launch_bounds__(256)
ptxkit_l2_flush(uint4* scratch, uint64_t n16, uint32_t salt) {
    const uint64_t stride = uint64_t(gridDim.x) * blockDim.x;
    for (uint64_t i = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n16; i += stride) {
        uint4 v = ptxkit::ptx::ld_global_cg_v4(scratch + i);
        v.x += salt;
        v.y += salt;
        v.z += salt;
        v.w += salt;
        ptxkit::ptx::st_global_cg_v4(scratch + i, v);
    }
}
