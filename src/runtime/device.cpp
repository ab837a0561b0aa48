// Devices and the public runtime queries (ptxkit/runtime.hpp).
#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>

#include "driver/check.hpp"
#include "runtime/context.hpp"
#include "runtime/embedded_module.hpp"

namespace ptxkit {
namespace {

int attribute(CUdevice device, CUdevice_attribute attr, const char* what) {
    int value = 0;
    detail::cu_check(detail::driver().cuDeviceGetAttribute(&value, attr, device), "cuDeviceGetAttribute", what);
    return value;
}

DeviceProperties read_properties(int ordinal) {
    DeviceProperties p;
    p.ordinal = ordinal;
    CUdevice device = 0;
    PTXKIT_CU(cuDeviceGet, &device, ordinal);
    char name[256] = {};
    PTXKIT_CU(cuDeviceGetName, name, static_cast<int>(sizeof(name) - 1), device);
    p.name = name;
    p.cc_major = attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability");
    p.cc_minor = attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability");
    p.sm_count = attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "SM count");
    p.l2_bytes = attribute(device, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "L2 size");
    p.shared_memory_per_block_optin =
        attribute(device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, "opt-in shared memory");
    p.shared_memory_per_sm =
        attribute(device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, "shared memory per SM");
    p.max_threads_per_sm = attribute(device, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, "threads per SM");
    p.registers_per_sm = attribute(device, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, "registers per SM");
    p.sm_clock_khz = attribute(device, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, "SM clock");
    p.memory_clock_khz = attribute(device, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, "memory clock");
    p.memory_bus_width_bits = attribute(device, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, "memory bus width");
    std::size_t total = 0;
    PTXKIT_CU(cuDeviceTotalMem, &total, device);
    p.total_memory_bytes = static_cast<std::int64_t>(total);
    return p;
}

}  // namespace

bool driver_available() noexcept {
    try {
        return device_count() > 0;
    } catch (...) {
        return false;
    }
}

std::string driver_unavailable_reason() {
    try {
        if (device_count() == 0) return "the NVIDIA driver sees no CUDA device";
        return "";
    } catch (const std::exception& e) {
        return e.what();
    }
}

int driver_version() { return detail::driver().version; }

int required_driver_version() noexcept { return detail::kRequiredDriverVersion; }

int device_count() {
    int count = 0;
    PTXKIT_CU(cuDeviceGetCount, &count);
    return count;
}

const DeviceProperties& device_properties(int ordinal) {
    static std::mutex mutex;
    static std::map<int, std::unique_ptr<DeviceProperties>> cache;
    const int count = device_count();
    if (ordinal < 0 || ordinal >= count) {
        throw Error(Status::invalid_argument,
                    fmt::format("ptxkit::device_properties: argument 'ordinal': expected 0 <= ordinal < {}, got {}",
                                count, ordinal));
    }
    std::lock_guard lock(mutex);
    auto& slot = cache[ordinal];
    if (!slot) slot = std::make_unique<DeviceProperties>(read_properties(ordinal));
    return *slot;
}

int current_device() { return detail::current_context_state().ordinal(); }

std::vector<EmbeddedModuleInfo> embedded_modules() {
    std::vector<EmbeddedModuleInfo> out;
    for (const auto* m : detail::embedded::all_modules()) {
        out.push_back({m->name, m->source, m->sass_archs, m->ptx_arch, m->fatbin_size});
    }
    return out;
}

std::vector<EmbeddedKernel> embedded_kernels() {
    std::vector<EmbeddedKernel> out;
    for (const auto* m : detail::embedded::all_modules()) {
        for (std::size_t i = 0; i < m->kernel_count; ++i) {
            const auto& k = m->kernels[i];
            out.push_back({m->name, k.kernel, k.arch, k.registers, k.shared_bytes, k.stack_bytes, k.spill_store_bytes,
                           k.spill_load_bytes, k.barriers, k.hot});
        }
    }
    return out;
}

namespace detail::embedded {
const EmbeddedModule* find_module(std::string_view name) noexcept {
    for (const auto* m : all_modules()) {
        if (name == m->name) return m;
    }
    return nullptr;
}

int static_shared_bytes(std::string_view module, std::string_view kernel, int cc_major, int cc_minor) noexcept {
    const EmbeddedModule* m = find_module(module);
    if (m == nullptr) return 0;
    const int device_sm = cc_major * 10 + cc_minor;
    int best_sm = -1;
    int best_bytes = 0;
    for (std::size_t i = 0; i < m->kernel_count; ++i) {
        const KernelResources& k = m->kernels[i];
        if (kernel != k.kernel) continue;
        std::string_view arch(k.arch);  // "sm_90a", "sm_80"
        if (arch.size() < 5 || arch.substr(0, 3) != "sm_") continue;
        arch.remove_prefix(3);
        const bool specific = arch.back() == 'a';
        if (specific) arch.remove_suffix(1);
        int sm = 0;
        for (char c : arch) {
            if (c < '0' || c > '9') return 0;
            sm = sm * 10 + (c - '0');
        }
        const bool runs = specific ? sm == device_sm : sm <= device_sm && sm / 10 == device_sm / 10;
        if (runs && sm > best_sm) {
            best_sm = sm;
            best_bytes = k.shared_bytes;
        }
    }
    return best_bytes;
}
}  // namespace detail::embedded

}  // namespace ptxkit
