// The modelled GPUs (sim.hpp): NVIDIA H100 SXM (the default) and A100 SXM.
#include "sim.hpp"

namespace ptxsim {

DeviceModel h100_model() {
    return DeviceModel{};  // sim.hpp's defaults are the H100 SXM
}

DeviceModel a100_model() {
    DeviceModel m;
    m.name = "ptxsim A100 SXM (software GPU)";
    m.cc_major = 8;
    m.cc_minor = 0;
    m.sm_count = 108;
    m.max_threads_per_block = 1024;
    m.max_threads_per_sm = 2048;
    m.max_blocks_per_sm = 32;
    m.regs_per_sm = 65536;
    m.regs_per_block = 65536;
    m.smem_per_block = 48 * 1024;
    m.smem_per_block_optin = 163 * 1024;  // 166912
    m.smem_per_sm = 164 * 1024;            // 167936
    m.reserved_smem_per_block = 1024;
    m.l2_bytes = 40 * 1024 * 1024;
    m.warp_size = 32;
    m.clock_khz = 1410000;
    m.memory_clock_khz = 1593000;
    m.bus_width_bits = 5120;
    m.total_mem = 80ull << 30;
    m.max_cluster_size = 1;  // no thread block clusters before sm_90
    return m;
}

}  // namespace ptxsim
