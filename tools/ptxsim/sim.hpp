// The software GPU's interface to its stand-in driver (driver/): load a PTX
// module, describe its kernels, run a launch to completion, encode tensor
// maps, and the global-memory allocation table every access is checked
// against. Single-threaded: the driver serialises all calls (one big lock).
#pragma once

#include <cuda.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ptx/ir.hpp"

namespace ptxsim {

// The modelled GPU (PTXSIM_DEVICE=h100|a100, PTXSIM_DEVICE_COUNT=1|2).
struct DeviceModel {
    std::string name = "ptxsim H100 SXM (software GPU)";
    int cc_major = 9, cc_minor = 0;
    int sm_count = 132;
    int max_threads_per_block = 1024;
    int max_threads_per_sm = 2048;
    int max_blocks_per_sm = 32;
    int regs_per_sm = 65536;
    int regs_per_block = 65536;
    int smem_per_block = 48 * 1024;            // without opt-in
    int smem_per_block_optin = 227 * 1024;     // 232448
    int smem_per_sm = 228 * 1024;
    int reserved_smem_per_block = 1024;        // the window's first KB (sm80+), never user memory
    int l2_bytes = 50 * 1024 * 1024;
    int warp_size = 32;
    int clock_khz = 1980000;
    int memory_clock_khz = 2619000;
    int bus_width_bits = 5120;
    uint64_t total_mem = 80ull << 30;
    int max_cluster_size = 8;                  // portable; 16 with the non-portable attribute
    bool has_clusters() const { return cc_major >= 9; }
};
DeviceModel h100_model();
DeviceModel a100_model();

// ---- global memory ----
// Every cuMemAlloc'ed range and every module global variable; a kernel's
// global access must fall wholly inside one (sanitizer: memcheck).
struct Allocation {
    uint64_t base = 0;
    uint64_t size = 0;
    std::string what;  // "cuMemAlloc #12", "module global foo"
    bool read_only = false;  // a module's .const variables: kernels may not write them
    int device = -1;         // the device whose memory it is (cuMemAlloc); -1: every device's kernels may use it
};
class AllocationTable {
public:
    void add(uint64_t base, uint64_t size, std::string what, bool read_only = false, int device = -1);
    void remove(uint64_t base);
    // The allocation holding [addr, addr + bytes), or nullptr.
    const Allocation* find(uint64_t addr, uint64_t bytes) const;
    // The allocation that starts at base exactly, or nullptr.
    const Allocation* at(uint64_t base) const;

private:
    std::vector<Allocation> sorted_;  // by base
};
AllocationTable& allocations();  // process-wide

// ---- modules and kernels ----
struct LoadedModule;  // parsed PTX, module globals materialised
struct ModuleDeleter { void operator()(LoadedModule*) const; };
using ModulePtr = std::unique_ptr<LoadedModule, ModuleDeleter>;

// Throws std::runtime_error (message names the PTX line) when the text does not parse.
ModulePtr load_module(std::string_view ptx_text, const DeviceModel& device);
const ptx::Module& module_ir(const LoadedModule& m);

struct KernelInfo {
    const ptx::Function* fn = nullptr;
    uint32_t static_smem_bytes = 0;   // the .shared variables the kernel names (after alignment)
    uint32_t local_bytes = 0;         // per-thread .local
    uint32_t num_regs = 0;            // an estimate (ptxsim has no register allocator): min(255, declared regs)
    uint32_t max_threads = 1024;      // from .maxntid / .reqntid
    uint32_t const_bytes = 0;
};
// nullptr when the module has no entry of that name.
const KernelInfo* find_kernel(const LoadedModule& m, const std::string& name);

struct LaunchConfig {
    const LoadedModule* module = nullptr;
    const KernelInfo* kernel = nullptr;
    uint32_t grid[3] = {1, 1, 1};
    uint32_t block[3] = {1, 1, 1};
    uint32_t cluster[3] = {1, 1, 1};
    uint32_t dyn_smem = 0;
    int device = 0;                   // the ordinal of the device it runs on (memory of another faults)
    std::vector<uint8_t> params;      // laid out as the entry's .param list declares (Param::offset)
};

struct LaunchResult {
    CUresult status = CUDA_SUCCESS;   // CUDA_ERROR_ILLEGAL_ADDRESS, _MISALIGNED_ADDRESS, _LAUNCH_FAILED, ...
    std::string message;              // the sanitizer's report (kernel, block, thread, PTX line, source line)
};

// Runs the whole grid before returning. Execution options come from the
// environment (PTXSIM_SEED, PTXSIM_TMA=early|late, PTXSIM_CHECKS=...).
LaunchResult run_launch(const LaunchConfig& config, const DeviceModel& device);

// ---- tensor maps (cuTensorMapEncodeTiled) ----
CUresult encode_tensor_map_tiled(CUtensorMap* map, CUtensorMapDataType dtype, cuuint32_t rank, void* global_address,
                                 const cuuint64_t* global_dim, const cuuint64_t* global_strides,
                                 const cuuint32_t* box_dim, const cuuint32_t* element_strides,
                                 CUtensorMapInterleave interleave, CUtensorMapSwizzle swizzle,
                                 CUtensorMapL2promotion l2_promotion, CUtensorMapFloatOOBfill oob_fill);

}  // namespace ptxsim
