// Initialisation, devices, primary and created contexts.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "driver/internal.hpp"

using namespace ptxsim::driver;

namespace {

constexpr int kDriverVersion = 13000;

// PTXSIM_DEVICE=h100|a100, or a comma-separated list, one per device.
// PTXSIM_SM_COUNT=N gives every device N SMs (1 to the model's count), as a
// smaller part or a MIG slice has: planners then choose their configurations
// for large problems (wide tiles, a full wave) on problems small enough to
// interpret.
bool read_models(std::vector<ptxsim::DeviceModel>& out) {
    const char* count_env = std::getenv("PTXSIM_DEVICE_COUNT");
    int count = 1;
    if (count_env != nullptr && *count_env != '\0') {
        char* end = nullptr;
        const long v = std::strtol(count_env, &end, 10);
        if (*end != '\0' || v < 0 || v > 8) {
            std::fprintf(stderr, "ptxsim: PTXSIM_DEVICE_COUNT=%s: expected a number of devices from 0 to 8\n",
                         count_env);
            return false;
        }
        count = static_cast<int>(v);
    }
    std::vector<std::string> names;
    const char* model_env = std::getenv("PTXSIM_DEVICE");
    std::string spec = (model_env != nullptr && *model_env != '\0') ? model_env : "h100";
    for (size_t start = 0;;) {
        const size_t comma = spec.find(',', start);
        names.push_back(spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    for (int i = 0; i < count; ++i) {
        std::string name = names[std::min<size_t>(static_cast<size_t>(i), names.size() - 1)];
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "h100") {
            out.push_back(ptxsim::h100_model());
        } else if (name == "a100") {
            out.push_back(ptxsim::a100_model());
        } else {
            std::fprintf(stderr, "ptxsim: PTXSIM_DEVICE=%s: unknown device '%s' (expected h100 or a100)\n",
                         spec.c_str(), name.c_str());
            return false;
        }
    }
    if (const char* sms = std::getenv("PTXSIM_SM_COUNT"); sms != nullptr && *sms != '\0') {
        for (ptxsim::DeviceModel& d : out) {
            char* end = nullptr;
            const long v = std::strtol(sms, &end, 10);
            if (*end != '\0' || v < 1 || v > d.sm_count) {
                std::fprintf(stderr, "ptxsim: PTXSIM_SM_COUNT=%s: expected 1 to %d SMs\n", sms, d.sm_count);
                return false;
            }
            d.sm_count = static_cast<int>(v);
        }
    }
    return true;
}

int attribute(const ptxsim::DeviceModel& d, int ordinal, CUdevice_attribute attr, bool& known) {
    known = true;
    switch (attr) {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: return d.max_threads_per_block;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: return 1024;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: return 1024;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: return 64;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: return 2147483647;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: return 65535;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: return 65535;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: return d.smem_per_block;
        case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY: return 65536;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: return d.warp_size;
        case CU_DEVICE_ATTRIBUTE_MAX_PITCH: return 2147483647;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK: return d.regs_per_block;
        case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: return d.clock_khz;
        case CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT: return 512;
        case CU_DEVICE_ATTRIBUTE_GPU_OVERLAP: return 1;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: return d.sm_count;
        case CU_DEVICE_ATTRIBUTE_KERNEL_EXEC_TIMEOUT: return 0;
        case CU_DEVICE_ATTRIBUTE_INTEGRATED: return 0;
        case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: return 1;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_MODE: return CU_COMPUTEMODE_DEFAULT;
        case CU_DEVICE_ATTRIBUTE_SURFACE_ALIGNMENT: return 512;
        case CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS: return 1;
        case CU_DEVICE_ATTRIBUTE_ECC_ENABLED: return 1;
        case CU_DEVICE_ATTRIBUTE_PCI_BUS_ID: return 0x18 + 0x10 * ordinal;
        case CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID: return 0;
        case CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID: return 0;
        case CU_DEVICE_ATTRIBUTE_TCC_DRIVER: return 0;
        case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE: return d.memory_clock_khz;
        case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH: return d.bus_width_bits;
        case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: return d.l2_bytes;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: return d.max_threads_per_sm;
        case CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT: return 3;
        case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: return 1;
        case CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT: return 32;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: return d.cc_major;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: return d.cc_minor;
        case CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED: return 1;
        case CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED: return 1;
        case CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED: return 1;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: return d.smem_per_sm;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR: return d.regs_per_sm;
        case CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY: return 0;
        case CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD: return 0;
        case CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD_GROUP_ID: return ordinal;
        case CU_DEVICE_ATTRIBUTE_HOST_NATIVE_ATOMIC_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO: return 2;
        case CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS: return 0;
        case CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS: return 0;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_PREEMPTION_SUPPORTED: return 1;
        case CU_DEVICE_ATTRIBUTE_CAN_USE_HOST_POINTER_FOR_REGISTERED_MEM: return 0;
        case CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH: return 1;
        case CU_DEVICE_ATTRIBUTE_COOPERATIVE_MULTI_DEVICE_LAUNCH: return 0;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: return d.smem_per_block_optin;
        case CU_DEVICE_ATTRIBUTE_CAN_FLUSH_REMOTE_WRITES: return 0;
        case CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES: return 0;
        case CU_DEVICE_ATTRIBUTE_DIRECT_MANAGED_MEM_ACCESS_FROM_HOST: return 0;
        case CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_WIN32_HANDLE_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_WIN32_KMT_HANDLE_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR: return d.max_blocks_per_sm;
        case CU_DEVICE_ATTRIBUTE_GENERIC_COMPRESSION_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE: return d.l2_bytes * 3 / 4;
        case CU_DEVICE_ATTRIBUTE_MAX_ACCESS_POLICY_WINDOW_SIZE: return 134213632;
        case CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WITH_CUDA_VMM_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK: return d.reserved_smem_per_block;
        case CU_DEVICE_ATTRIBUTE_SPARSE_CUDA_ARRAY_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_READ_ONLY_HOST_REGISTER_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_FLUSH_WRITES_OPTIONS: return 0;
        case CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WRITES_ORDERING: return 0;
        case CU_DEVICE_ATTRIBUTE_MEMPOOL_SUPPORTED_HANDLE_TYPES: return 0;
        case CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH: return d.has_clusters() ? 1 : 0;
        case CU_DEVICE_ATTRIBUTE_DEFERRED_MAPPING_CUDA_ARRAY_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS: return 0;
        case CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_WAIT_VALUE_NOR: return 0;
        case CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_IPC_EVENT_SUPPORTED: return 0;
        case CU_DEVICE_ATTRIBUTE_MEM_SYNC_DOMAIN_COUNT: return d.cc_major >= 9 ? 4 : 1;
        case CU_DEVICE_ATTRIBUTE_TENSOR_MAP_ACCESS_SUPPORTED: return d.cc_major >= 9 ? 1 : 0;
        case CU_DEVICE_ATTRIBUTE_UNIFIED_FUNCTION_POINTERS: return 1;
        case CU_DEVICE_ATTRIBUTE_MULTICAST_SUPPORTED: return 0;
        default: break;
    }
    // Texture and surface limits: the H100's / A100's (ptxsim runs no texture code).
    if (attr >= CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_WIDTH && attr <= CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_LAYERS) {
        return attr == CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_LAYERS ? 2048
               : (attr >= CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH) ? 16384
                                                                       : 131072;
    }
    if (attr >= CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LAYERED_WIDTH &&
        attr <= CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_MIPMAPPED_WIDTH) {
        return 32768;
    }
    known = false;
    return 0;
}

CUresult primary_context(CUdevice dev, CUctx_st** out) {
    if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
    *out = state().primary[static_cast<size_t>(dev)];
    return CUDA_SUCCESS;
}

CUresult release_primary(CUdevice dev) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = primary_context(dev, &c); rc != CUDA_SUCCESS) return rc;
        if (c->refcount <= 0) return CUDA_ERROR_INVALID_CONTEXT;
        if (--c->refcount == 0) {
            destroy_context_resources(c);
            c->active = false;
        }
        return CUDA_SUCCESS;
    });
}

CUresult set_primary_flags(CUdevice dev, unsigned flags) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = primary_context(dev, &c); rc != CUDA_SUCCESS) return rc;
        if ((flags & ~0x1Fu) != 0) return CUDA_ERROR_INVALID_VALUE;
        c->flags = flags;
        return CUDA_SUCCESS;
    });
}

CUresult reset_primary(CUdevice dev) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = primary_context(dev, &c); rc != CUDA_SUCCESS) return rc;
        // Everything the context owned goes, and so does a sticky error: the
        // next use finds a fresh context (a new id) behind the same handle.
        destroy_context_resources(c);
        if (c->active) {
            c->id = state().next_ctx_id++;
        }
        return CUDA_SUCCESS;
    });
}

CUresult push_context(CUcontext ctx) {
    return initialized([&]() -> CUresult {
        if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(ctx)) return CUDA_ERROR_INVALID_CONTEXT;
        context_stack().push_back(ctx);
        return CUDA_SUCCESS;
    });
}

CUresult pop_context(CUcontext* pctx) {
    return initialized([&]() -> CUresult {
        auto& stack = context_stack();
        if (stack.empty()) return CUDA_ERROR_INVALID_CONTEXT;
        if (pctx != nullptr) *pctx = stack.back();
        stack.pop_back();
        return CUDA_SUCCESS;
    });
}

CUresult destroy_context(CUcontext ctx) {
    return initialized([&]() -> CUresult {
        if (ctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!live(ctx) || ctx->primary) return CUDA_ERROR_INVALID_CONTEXT;
        destroy_context_resources(ctx);
        ctx->active = false;
        remove_live(ctx);
        // Taken off this thread's stack; other threads that still hold it get
        // CUDA_ERROR_INVALID_CONTEXT (the object itself is never freed).
        auto& stack = context_stack();
        stack.erase(std::remove(stack.begin(), stack.end(), ctx), stack.end());
        if (ctx->legacy != nullptr) {
            delete ctx->legacy;
            ctx->legacy = nullptr;
        }
        return CUDA_SUCCESS;
    });
}

CUresult create_context(CUcontext* pctx, unsigned flags, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        auto* c = new CUctx_st();
        c->device = dev;
        c->primary = false;
        c->flags = flags;
        add_live(c);
        activate_context(c);
        context_stack().push_back(c);
        *pctx = c;
        return CUDA_SUCCESS;
    });
}

CUresult get_device_of(CUctx_st* c, CUdevice* device) {
    if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *device = c->device;
    return CUDA_SUCCESS;
}

CUresult synchronize_context(CUctx_st* c) {
    if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
    return c->sticky;  // all work is done when it is issued
}

}  // namespace

// ---- initialisation and versions ----

CUresult CUDAAPI cuInit(unsigned int Flags) {
    return guarded([&]() -> CUresult {
        State& st = state();
        if (Flags != 0) return CUDA_ERROR_INVALID_VALUE;
        if (st.initialized) return CUDA_SUCCESS;
        if (st.init_status != CUDA_SUCCESS) return st.init_status;
        std::vector<ptxsim::DeviceModel> models;
        if (!read_models(models)) {
            st.init_status = CUDA_ERROR_INVALID_VALUE;
            return st.init_status;
        }
        if (models.empty()) {
            st.init_status = CUDA_ERROR_NO_DEVICE;
            return st.init_status;
        }
        st.devices = std::move(models);
        st.allocated_bytes.assign(st.devices.size(), 0);
        for (size_t i = 0; i < st.devices.size(); ++i) {
            auto* c = new CUctx_st();
            c->device = static_cast<int>(i);
            c->primary = true;
            add_live(c);
            st.primary.push_back(c);
        }
        st.abort_on_fault = env_flag("PTXSIM_ABORT_ON_FAULT");
        st.initialized = true;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDriverGetVersion(int* driverVersion) {
    if (driverVersion == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *driverVersion = kDriverVersion;
    return CUDA_SUCCESS;
}

CUresult CUDAAPI cuGetExportTable(const void** ppExportTable, const CUuuid* pExportTableId) {
    if (ppExportTable != nullptr) *ppExportTable = nullptr;
    (void)pExportTableId;
    return CUDA_ERROR_NOT_SUPPORTED;  // the CUDA runtime's private tables: ptxsim has none
}

// ---- devices ----

CUresult CUDAAPI cuDeviceGet(CUdevice* device, int ordinal) {
    return initialized([&]() -> CUresult {
        if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(ordinal)) return CUDA_ERROR_INVALID_DEVICE;
        *device = ordinal;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDeviceGetCount(int* count) {
    return initialized([&]() -> CUresult {
        if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
        *count = static_cast<int>(state().devices.size());
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDeviceGetName(char* name, int len, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (name == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        const std::string& n = model(dev).name;
        const size_t copy = std::min(n.size(), static_cast<size_t>(len - 1));
        std::memcpy(name, n.data(), copy);
        name[copy] = '\0';
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (pi == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        bool known = false;
        const int v = attribute(model(dev), dev, attrib, known);
        if (!known) return CUDA_ERROR_INVALID_VALUE;
        *pi = v;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDeviceTotalMem(size_t* bytes, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        *bytes = model(dev).total_mem;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDeviceComputeCapability(int* major, int* minor, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (major == nullptr || minor == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        *major = model(dev).cc_major;
        *minor = model(dev).cc_minor;
        return CUDA_SUCCESS;
    });
}

namespace {
CUresult device_uuid(CUuuid* uuid, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (uuid == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        // "ptxsim" + ordinal: stable and recognisable.
        std::memset(uuid->bytes, 0, sizeof uuid->bytes);
        std::memcpy(uuid->bytes, "ptxsim-device", 13);
        uuid->bytes[15] = static_cast<char>(dev);
        return CUDA_SUCCESS;
    });
}
}  // namespace

CUresult CUDAAPI cuDeviceGetUuid(CUuuid* uuid, CUdevice dev) { return device_uuid(uuid, dev); }
extern "C" CUresult CUDAAPI ptxsim_cuDeviceGetUuid_v1(CUuuid* uuid, CUdevice dev) __asm__("cuDeviceGetUuid");
extern "C" CUresult CUDAAPI ptxsim_cuDeviceGetUuid_v1(CUuuid* uuid, CUdevice dev) { return device_uuid(uuid, dev); }

CUresult CUDAAPI cuDeviceGetPCIBusId(char* pciBusId, int len, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (pciBusId == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev)) return CUDA_ERROR_INVALID_DEVICE;
        bool known = false;
        std::snprintf(pciBusId, static_cast<size_t>(len), "00000000:%02X:00.0",
                      attribute(model(dev), dev, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, known));
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDeviceCanAccessPeer(int* canAccessPeer, CUdevice dev, CUdevice peerDev) {
    return initialized([&]() -> CUresult {
        if (canAccessPeer == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (!valid_device(dev) || !valid_device(peerDev)) return CUDA_ERROR_INVALID_DEVICE;
        *canAccessPeer = dev != peerDev ? 1 : 0;
        return CUDA_SUCCESS;
    });
}

// ---- primary contexts ----

CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
    return initialized([&]() -> CUresult {
        if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = primary_context(dev, &c); rc != CUDA_SUCCESS) return rc;
        if (c->refcount++ == 0) activate_context(c);
        *pctx = c;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice dev) { return release_primary(dev); }
extern "C" CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxRelease_v1(CUdevice) __asm__("cuDevicePrimaryCtxRelease");
extern "C" CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxRelease_v1(CUdevice dev) { return release_primary(dev); }

CUresult CUDAAPI cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned int flags) { return set_primary_flags(dev, flags); }
extern "C" CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxSetFlags_v1(CUdevice, unsigned) __asm__("cuDevicePrimaryCtxSetFlags");
extern "C" CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxSetFlags_v1(CUdevice dev, unsigned flags) {
    return set_primary_flags(dev, flags);
}

CUresult CUDAAPI cuDevicePrimaryCtxReset(CUdevice dev) { return reset_primary(dev); }
extern "C" CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxReset_v1(CUdevice) __asm__("cuDevicePrimaryCtxReset");
extern "C" CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxReset_v1(CUdevice dev) { return reset_primary(dev); }

CUresult CUDAAPI cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int* flags, int* active) {
    return initialized([&]() -> CUresult {
        if (flags == nullptr || active == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = primary_context(dev, &c); rc != CUDA_SUCCESS) return rc;
        *flags = c->flags;
        *active = c->active ? 1 : 0;
        return CUDA_SUCCESS;
    });
}

// ---- contexts ----

extern "C" CUresult CUDAAPI cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev);
extern "C" CUresult CUDAAPI cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev) {
    return create_context(pctx, flags, dev);
}

CUresult CUDAAPI cuCtxCreate(CUcontext* pctx, CUctxCreateParams* params, unsigned int flags, CUdevice dev) {
    (void)params;  // execution affinity and CIG: nothing to model
    return create_context(pctx, flags, dev);
}

CUresult CUDAAPI cuCtxDestroy(CUcontext ctx) { return destroy_context(ctx); }
extern "C" CUresult CUDAAPI ptxsim_cuCtxDestroy_v1(CUcontext) __asm__("cuCtxDestroy");
extern "C" CUresult CUDAAPI ptxsim_cuCtxDestroy_v1(CUcontext ctx) { return destroy_context(ctx); }

CUresult CUDAAPI cuCtxGetCurrent(CUcontext* pctx) {
    return initialized([&]() -> CUresult {
        if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        *pctx = current_context();
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx) {
    return initialized([&]() -> CUresult {
        auto& stack = context_stack();
        if (ctx == nullptr) {
            if (!stack.empty()) stack.pop_back();
            return CUDA_SUCCESS;
        }
        if (!live(ctx)) return CUDA_ERROR_INVALID_CONTEXT;
        if (stack.empty()) {
            stack.push_back(ctx);
        } else {
            stack.back() = ctx;
        }
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxPushCurrent(CUcontext ctx) { return push_context(ctx); }
extern "C" CUresult CUDAAPI ptxsim_cuCtxPushCurrent_v1(CUcontext) __asm__("cuCtxPushCurrent");
extern "C" CUresult CUDAAPI ptxsim_cuCtxPushCurrent_v1(CUcontext ctx) { return push_context(ctx); }

CUresult CUDAAPI cuCtxPopCurrent(CUcontext* pctx) { return pop_context(pctx); }
extern "C" CUresult CUDAAPI ptxsim_cuCtxPopCurrent_v1(CUcontext*) __asm__("cuCtxPopCurrent");
extern "C" CUresult CUDAAPI ptxsim_cuCtxPopCurrent_v1(CUcontext* pctx) { return pop_context(pctx); }

CUresult CUDAAPI cuCtxGetDevice(CUdevice* device) {
    return initialized([&]() -> CUresult {
        if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        return get_device_of(c, device);
    });
}

CUresult CUDAAPI cuCtxGetDevice_v2(CUdevice* device, CUcontext ctx) {
    return initialized([&]() -> CUresult {
        if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = ctx;
        if (c == nullptr) {
            if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        } else if (!context_alive(c)) {
            return CUDA_ERROR_INVALID_CONTEXT;
        }
        return get_device_of(c, device);
    });
}

CUresult CUDAAPI cuCtxGetId(CUcontext ctx, unsigned long long* ctxId) {
    return initialized([&]() -> CUresult {
        if (ctxId == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = ctx;
        if (c == nullptr) {
            if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        } else if (!context_alive(c)) {
            return CUDA_ERROR_INVALID_CONTEXT;
        }
        *ctxId = c->id;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxGetFlags(unsigned int* flags) {
    return initialized([&]() -> CUresult {
        if (flags == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        *flags = c->flags;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxGetApiVersion(CUcontext ctx, unsigned int* version) {
    return initialized([&]() -> CUresult {
        if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = ctx;
        if (c == nullptr) {
            if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        } else if (!context_alive(c)) {
            return CUDA_ERROR_INVALID_CONTEXT;
        }
        *version = 3020;  // what the driver reports for every context created by the v2+ API
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxSynchronize(void) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        return synchronize_context(c);
    });
}

CUresult CUDAAPI cuCtxSynchronize_v2(CUcontext ctx) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = ctx;
        if (c == nullptr) {
            if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        } else if (!context_alive(c)) {
            return CUDA_ERROR_INVALID_CONTEXT;
        }
        return synchronize_context(c);
    });
}

CUresult CUDAAPI cuCtxGetLimit(size_t* pvalue, CUlimit limit) {
    return initialized([&]() -> CUresult {
        if (pvalue == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        if (static_cast<unsigned>(limit) >= 16) return CUDA_ERROR_UNSUPPORTED_LIMIT;
        size_t v = c->limits[limit];
        if (v == 0) {
            switch (limit) {
                case CU_LIMIT_STACK_SIZE: v = 1024; break;
                case CU_LIMIT_PRINTF_FIFO_SIZE: v = 1 << 20; break;
                case CU_LIMIT_MALLOC_HEAP_SIZE: v = 8 << 20; break;
                case CU_LIMIT_DEV_RUNTIME_PENDING_LAUNCH_COUNT: v = 2048; break;
                case CU_LIMIT_MAX_L2_FETCH_GRANULARITY: v = 64; break;
                default: break;
            }
        }
        *pvalue = v;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxSetLimit(CUlimit limit, size_t value) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        if (static_cast<unsigned>(limit) >= 16) return CUDA_ERROR_UNSUPPORTED_LIMIT;
        c->limits[limit] = value;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuCtxGetStreamPriorityRange(int* leastPriority, int* greatestPriority) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        if (leastPriority != nullptr) *leastPriority = 0;
        if (greatestPriority != nullptr) *greatestPriority = -5;
        return CUDA_SUCCESS;
    });
}
