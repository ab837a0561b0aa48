// Executor internals shared by its own files (not by instruction families).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exec/exec.hpp"

namespace ptxsim {

struct DecodedKernel {
    bool decoded = false;
    std::vector<exec::Handler> handlers;  // per instruction
    std::vector<uint8_t> collective;      // per instruction: is_collective
    std::string error;                    // first form no family knows
};

struct LoadedModule {
    ptx::Module ir;
    DeviceModel device;
    std::vector<std::unique_ptr<uint8_t[]>> global_storage;  // per module global (nullptr for shared)
    std::vector<uint64_t> global_addr;                       // generic address of module global i (0 for shared)
    std::vector<KernelInfo> kernels;                         // one per entry, same order as entries
    std::vector<std::string> kernel_names;
    std::vector<DecodedKernel> decoded;                      // per kernel
    // Per kernel: shared offset of each symbol of the function (static layout), and local offsets.
    std::vector<std::vector<uint32_t>> symbol_offsets;
    std::vector<uint32_t> dyn_smem_align;
};

namespace exec {
void reset_allocation_cache();
// Decodes every instruction of kernel k (once); returns false with the error filled when a form is unknown.
bool decode_kernel(LoadedModule& m, std::size_t k);
}  // namespace exec

}  // namespace ptxsim
