#include "driver/driver_api.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <optional>

#include "ptxkit/error.hpp"

namespace ptxkit::detail {
namespace {

struct LoadResult {
    DriverApi api;
    std::optional<Error> error;  // set when the driver cannot be used
};

Error no_driver(const std::string& what) {
    return Error(Status::no_driver, "ptxkit: no usable NVIDIA driver: " + what);
}

LoadResult load_driver() {
    LoadResult result;
    const std::string path = libcuda_path();
    result.api.library_path = path;

    // RTLD_LOCAL: our symbols stay ours; the CUDA runtime and PyTorch open the
    // same libcuda.so.1 and share its state (and the primary contexts).
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        result.error = no_driver(fmt::format("{} could not be opened ({})", path, why ? why : "unknown reason"));
        return result;
    }
    // cuGetProcAddress_v2 (CUDA 12.0) is the only symbol looked up by name.
    auto get_proc = reinterpret_cast<PFN_cuGetProcAddress_v12000>(dlsym(handle, "cuGetProcAddress_v2"));
    if (get_proc == nullptr) {
        result.error = no_driver(fmt::format(
            "{} has no cuGetProcAddress_v2: the driver is older than CUDA 12.0; ptxkit needs a driver for CUDA {}.{}",
            path, kRequiredDriverVersion / 1000, kRequiredDriverVersion % 1000 / 10));
        return result;
    }

    std::string missing;
#define PTXKIT_BIND_ENTRY(name, version)                                                             \
    {                                                                                                \
        void* fn = nullptr;                                                                          \
        CUdriverProcAddressQueryResult found{};                                                      \
        const CUresult rc = get_proc(#name, &fn, version, CU_GET_PROC_ADDRESS_DEFAULT, &found);      \
        if (rc == CUDA_ERROR_STUB_LIBRARY) {                                                         \
            result.error = no_driver(fmt::format(                                                    \
                "{} is the CUDA toolkit's stub library, not a driver (CUDA_ERROR_STUB_LIBRARY); "    \
                "put the real driver's libcuda.so.1 first on the library path",                      \
                path));                                                                              \
            return result;                                                                           \
        }                                                                                            \
        if (rc == CUDA_SUCCESS && found == CU_GET_PROC_ADDRESS_SUCCESS && fn != nullptr) {           \
            result.api.name = reinterpret_cast<PFN_##name##_v##version>(fn);                         \
        } else {                                                                                     \
            missing += missing.empty() ? #name : ", " #name;                                         \
        }                                                                                            \
    }
    PTXKIT_DRIVER_FUNCTIONS(PTXKIT_BIND_ENTRY)
#undef PTXKIT_BIND_ENTRY

    // Entry points introduced after the oldest driver we accept are optional;
    // the rest must be there.
    const bool optional_only = missing.empty() || missing == "cuFuncGetParamInfo";
    if (!optional_only || result.api.cuInit == nullptr || result.api.cuDriverGetVersion == nullptr) {
        result.error = no_driver(fmt::format("{} lacks driver entry points: {}", path, missing));
        return result;
    }

    const CUresult init = result.api.cuInit(0);
    if (init == CUDA_ERROR_STUB_LIBRARY) {
        result.error = no_driver(fmt::format(
            "{} is the CUDA toolkit's stub library, not a driver (CUDA_ERROR_STUB_LIBRARY)", path));
        return result;
    }
    if (init == CUDA_ERROR_NO_DEVICE) {
        result.error = Error(Status::no_device, "ptxkit: the NVIDIA driver sees no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)",
                             static_cast<int>(init));
        return result;
    }
    if (init != CUDA_SUCCESS) {
        const char* name = nullptr;
        if (result.api.cuGetErrorName(init, &name) != CUDA_SUCCESS) name = "unknown error";
        result.error = Error(Status::no_driver, fmt::format("ptxkit: cuInit failed: {} ({})", name, static_cast<int>(init)),
                             static_cast<int>(init));
        return result;
    }
    result.api.cuDriverGetVersion(&result.api.version);
    if (result.api.version < kRequiredDriverVersion) {
        result.error = no_driver(fmt::format(
            "the driver supports CUDA {}.{}, but this build of ptxkit was compiled by CUDA {}.{} and needs a driver "
            "for CUDA {}.{} or newer",
            result.api.version / 1000, result.api.version % 1000 / 10, CUDA_VERSION / 1000, CUDA_VERSION % 1000 / 10,
            kRequiredDriverVersion / 1000, kRequiredDriverVersion % 1000 / 10));
        return result;
    }
    // The handle stays open for the life of the process: function pointers
    // into it are cached everywhere.
    return result;
}

}  // namespace

std::string libcuda_path() {
    const char* override_path = std::getenv("PTXKIT_LIBCUDA_PATH");
    return (override_path != nullptr && *override_path != '\0') ? override_path : "libcuda.so.1";
}

const DriverApi& driver() {
    static const LoadResult loaded = load_driver();  // thread-safe, once
    if (loaded.error) throw *loaded.error;
    return loaded.api;
}

}  // namespace ptxkit::detail
