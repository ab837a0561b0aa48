// The kernel modules embedded at build time (cmake/PtxkitKernels.cmake and
// tools/kernel_pipeline/kernel_tool.py generate one of these per kernels/ or ptx/ file).
#pragma once

#include <cstddef>
#include <span>
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

}  // namespace ptxkit::detail::embedded
