// The kernel modules embedded at build time (cmake/PtxkitKernels.cmake and
// tools/kernel_pipeline/kernel_tool.py generate one of these per kernels/ or ptx/ file).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace ptxkit::detail::embedded {

struct KernelResources {
    const char* kernel;
    const char* arch;
    int registers;
    int shared_bytes;
    int stack_bytes;
    int spill_store_bytes;
    int spill_load_bytes;
    int barriers;
    bool hot;
};

struct EmbeddedModule {
    const char* name;        // "memory.copy"
    const char* source;      // "ptx/memory/copy.ptx"
    const char* sass_archs;  // "sm_80,sm_90a"
    const char* ptx_arch;    // "compute_80" or "none"
    const unsigned char* fatbin;
    std::size_t fatbin_size;
    const KernelResources* kernels;
    std::size_t kernel_count;
};

std::span<const EmbeddedModule* const> all_modules() noexcept;

// nullptr when no module has that name.
const EmbeddedModule* find_module(std::string_view name) noexcept;

// The static shared memory (ptxas -v's "bytes smem") of `kernel` in the SASS
// that a device of compute capability cc_major.cc_minor runs: the module's
// newest SASS target that the device can run (an sm_NNa target only on
// exactly NN). Planners add it to the dynamic shared memory they ask for, so
// that a kernel over the device's opt-in limit is never chosen. 0 when the
// build has no such SASS (the kernel then comes from PTX, and the launch
// checks the driver's own figure).
int static_shared_bytes(std::string_view module, std::string_view kernel, int cc_major, int cc_minor) noexcept;

}  // namespace ptxkit::detail::embedded
