#include "runtime/context.hpp"

#include <fmt/format.h>

#include "driver/check.hpp"
#include "runtime/embedded_module.hpp"

namespace ptxkit::detail {
namespace {

// Recursive: a driver call made while it is held (state_for) may fail with a
// sticky error, and note_sticky_error then takes it again on the same thread.
std::recursive_mutex g_states_mutex;
std::map<unsigned long long, std::unique_ptr<ContextState>>& states() {
    static auto* map = new std::map<unsigned long long, std::unique_ptr<ContextState>>();  // outlives static dtors
    return *map;
}
// Sticky errors seen in contexts that had no state yet, by context id.
std::map<unsigned long long, std::string>& early_sticky_errors() {
    static auto* map = new std::map<unsigned long long, std::string>();
    return *map;
}

ContextState& state_for(CUcontext ctx) {
    // Context ids are unique for the life of the process, unlike handles,
    // which the driver may reuse after a context is destroyed.
    unsigned long long id = 0;
    PTXKIT_CU(cuCtxGetId, ctx, &id);
    std::lock_guard lock(g_states_mutex);
    auto& slot = states()[id];
    if (!slot) {
        // The context's device: make it current briefly if it is not.
        CUcontext current = nullptr;
        PTXKIT_CU(cuCtxGetCurrent, &current);
        if (current != ctx) PTXKIT_CU(cuCtxPushCurrent, ctx);
        CUdevice device = 0;
        const CUresult rc = driver().cuCtxGetDevice(&device);
        if (current != ctx) {
            CUcontext popped = nullptr;
            PTXKIT_CU(cuCtxPopCurrent, &popped);
        }
        cu_check(rc, "cuCtxGetDevice");
        auto state = std::make_unique<ContextState>(ctx, id, static_cast<int>(device));
        if (auto it = early_sticky_errors().find(id); it != early_sticky_errors().end()) {
            state->mark_unusable(it->second);
        }
        slot = std::move(state);
    }
    return *slot;
}

// Devices do not come and go within a process (CUDA_VISIBLE_DEVICES is read
// once, at cuInit).
int cached_device_count() {
    static const int count = [] {
        int n = 0;
        PTXKIT_CU(cuDeviceGetCount, &n);
        return n;
    }();
    return count;
}

// The device that holds `data`, or -1 when the driver does not know the
// memory (host memory that a system with HMM or ATS lets kernels read: the
// driver then has no device to name).
int device_of(const void* data) {
    CUpointer_attribute attribute = CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL;
    int ordinal = CU_DEVICE_INVALID;
    void* values[] = {&ordinal};
    // The plural query, unlike cuPointerGetAttribute, succeeds for memory the
    // driver does not know and says CU_DEVICE_INVALID. The context attribute
    // would not do: it is NULL for virtual-memory (cuMemMap) allocations,
    // which PyTorch's caching allocator can use.
    PTXKIT_CU(cuPointerGetAttributes, 1, &attribute, values, reinterpret_cast<CUdeviceptr>(data));
    return ordinal >= 0 ? ordinal : -1;
}

std::string jit_log_excerpt(const char* log) {
    std::string s(log);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
    return s.empty() ? "(empty)" : s;
}

}  // namespace

CUcontext primary_context(int ordinal) {
    static std::mutex mutex;
    static std::map<int, CUcontext> retained;
    std::lock_guard lock(mutex);
    if (auto it = retained.find(ordinal); it != retained.end()) return it->second;
    CUdevice device = 0;
    PTXKIT_CU(cuDeviceGet, &device, ordinal);
    CUcontext ctx = nullptr;
    // Retained for the life of the process, as the CUDA runtime does.
    PTXKIT_CU(cuDevicePrimaryCtxRetain, &ctx, device);
    retained.emplace(ordinal, ctx);
    return ctx;
}

ContextState& current_context_state() {
    CUcontext ctx = nullptr;
    PTXKIT_CU(cuCtxGetCurrent, &ctx);
    if (ctx == nullptr) {
        ctx = primary_context(0);
        PTXKIT_CU(cuCtxSetCurrent, ctx);
    }
    return state_for(ctx);
}

ContextState::ContextState(CUcontext context, unsigned long long id, int ordinal)
    : context_(context), id_(id), ordinal_(ordinal) {}

void ContextState::mark_unusable(std::string reason) {
    // Its own mutex: a sticky error can come from a driver call made while
    // mutex_ is held (module loading).
    std::lock_guard lock(reason_mutex_);
    if (!unusable_.load(std::memory_order_relaxed)) {
        unusable_reason_ = std::move(reason);
        unusable_.store(true, std::memory_order_release);
    }
}

void ContextState::throw_if_unusable() const {
    if (unusable_.load(std::memory_order_acquire)) {
        std::lock_guard lock(reason_mutex_);
        throw Error(Status::context_unusable,
                    fmt::format("ptxkit: the CUDA context (id {}) on device {} is unusable after an earlier sticky error: {}",
                                id_, ordinal_, unusable_reason_));
    }
}

void note_sticky_error(CUresult rc, const char* call) noexcept {
    // The lookups below are driver calls too: never recurse through them.
    thread_local bool noting = false;
    if (noting) return;
    noting = true;
    try {
        CUcontext ctx = nullptr;
        unsigned long long id = 0;
        if (driver().cuCtxGetCurrent(&ctx) == CUDA_SUCCESS && ctx != nullptr &&
            driver().cuCtxGetId(ctx, &id) == CUDA_SUCCESS) {
            std::string reason = fmt::format("{} from {}", driver_error_name(rc), call);
            std::lock_guard lock(g_states_mutex);
            if (auto it = states().find(id); it != states().end() && it->second) {
                it->second->mark_unusable(std::move(reason));
            } else {
                early_sticky_errors().emplace(id, std::move(reason));
            }
        }
    } catch (...) {
        // Out of memory formatting the reason: the error itself is still thrown.
    }
    noting = false;
}

ContextState::LoadedModule& ContextState::load_locked(std::string_view name) {
    if (auto it = modules_.find(name); it != modules_.end()) return it->second;
    const embedded::EmbeddedModule* blob = embedded::find_module(name);
    if (blob == nullptr) {
        throw Error(Status::internal, fmt::format("ptxkit: no embedded kernel module named '{}'", name));
    }
    char error_log[8192] = {};
    char info_log[8192] = {};
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_INFO_LOG_BUFFER,
                              CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
    void* values[] = {error_log, reinterpret_cast<void*>(sizeof(error_log) - 1), info_log,
                      reinterpret_cast<void*>(sizeof(info_log) - 1)};
    CUmodule module = nullptr;
    const CUresult rc = driver().cuModuleLoadDataEx(&module, blob->fatbin, 4, options, values);
    if (rc != CUDA_SUCCESS) {
        const DeviceProperties& p = properties();
        throw_driver_error(rc, "cuModuleLoadDataEx",
                           fmt::format("module '{}' ({}; SASS {}, PTX {}) on device {} '{}' (sm_{}{}); JIT log: {}", name,
                                       blob->source, blob->sass_archs, blob->ptx_arch, ordinal_, p.name, p.cc_major,
                                       p.cc_minor, jit_log_excerpt(error_log)));
    }
    auto [it, inserted] = modules_.emplace(std::string(name), LoadedModule{});
    it->second.module = module;
    return it->second;
}

const Kernel& ContextState::kernel(std::string_view module_name, std::string_view kernel_name) {
    std::lock_guard lock(mutex_);
    LoadedModule& module = load_locked(module_name);
    if (auto it = module.kernels.find(kernel_name); it != module.kernels.end()) return *it->second;

    auto k = std::make_unique<Kernel>();
    k->module = std::string(module_name);
    k->name = std::string(kernel_name);
    const std::string where = fmt::format("kernel '{}' of module '{}'", kernel_name, module_name);
    PTXKIT_CU_CTX(where, cuModuleGetFunction, &k->function, module.module, k->name.c_str());
    PTXKIT_CU_CTX(where, cuFuncGetAttribute, &k->max_threads_per_block, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                  k->function);
    PTXKIT_CU_CTX(where, cuFuncGetAttribute, &k->static_shared_bytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, k->function);
    // Once per function, at load: allow dynamic shared memory up to the
    // device's opt-in limit, so launches never touch function attributes.
    k->max_dynamic_shared_bytes = properties().shared_memory_per_block_optin - k->static_shared_bytes;
    PTXKIT_CU_CTX(where, cuFuncSetAttribute, k->function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                  k->max_dynamic_shared_bytes);
    if (driver().cuFuncGetParamInfo != nullptr) {
        for (std::size_t i = 0;; ++i) {
            std::size_t offset = 0, size = 0;
            const CUresult rc = driver().cuFuncGetParamInfo(k->function, i, &offset, &size);
            if (rc == CUDA_ERROR_INVALID_VALUE) break;  // past the last parameter
            cu_check(rc, "cuFuncGetParamInfo", where);
            k->param_sizes.push_back(size);
        }
    }
    auto [it, inserted] = module.kernels.emplace(k->name, std::move(k));
    return *it->second;
}

ContextState::ClusterOccupancy ContextState::max_active_clusters(const Kernel& kernel, unsigned block_threads,
                                                                unsigned dynamic_shared_bytes, unsigned cluster_x) {
    std::lock_guard lock(mutex_);
    const auto key = std::make_tuple(kernel.function, block_threads, dynamic_shared_bytes, cluster_x);
    if (auto it = max_active_clusters_.find(key); it != max_active_clusters_.end()) return {it->second, CUDA_SUCCESS};
    CUlaunchAttribute cluster{};
    cluster.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    cluster.value.clusterDim.x = cluster_x;
    cluster.value.clusterDim.y = 1;
    cluster.value.clusterDim.z = 1;
    CUlaunchConfig config{};
    config.gridDimX = cluster_x;  // the query wants a grid that is a whole number of clusters
    config.gridDimY = 1;
    config.gridDimZ = 1;
    config.blockDimX = block_threads;
    config.blockDimY = 1;
    config.blockDimZ = 1;
    config.sharedMemBytes = dynamic_shared_bytes;
    config.attrs = &cluster;
    config.numAttrs = 1;
    // Advisory: a driver that cannot answer leaves this launch's grid uncapped
    // (clusters never wait on each other, so that is still correct), and the
    // next launch asks again: a transient failure must not stick.
    int clusters = 0;
    const CUresult rc = driver().cuOccupancyMaxActiveClusters(&clusters, kernel.function, &config);
    if (rc != CUDA_SUCCESS) {
        if (is_sticky(rc)) {
            // The caller's launch would fail anyway; every later op fails fast.
            mark_unusable(fmt::format("{} from cuOccupancyMaxActiveClusters", driver_error_name(rc)));
        }
        return {0, rc};
    }
    max_active_clusters_.emplace(key, clusters);
    return {clusters, CUDA_SUCCESS};
}

OpContext::OpContext(const char* op, CUstream stream, std::initializer_list<OpData> data) {
    // The device that holds the tensors. With one device there is nothing to
    // ask: every allocation the driver knows is on it.
    int data_device = -1;
    const char* data_name = nullptr;
    if (cached_device_count() > 1) {
        for (const OpData& d : data) {
            if (d.data == nullptr) continue;
            const int device = device_of(d.data);
            if (device < 0) continue;
            if (data_device < 0) {
                data_device = device;
                data_name = d.name;
            } else if (device != data_device) {
                throw Error(Status::invalid_argument,
                            fmt::format("{}: argument '{}': expected memory on device {} (where '{}' is), got memory on "
                                        "device {}; every tensor of a call must be on one device",
                                        op, d.name, data_device, data_name, device));
            }
        }
    }

    CUcontext current = nullptr;
    PTXKIT_CU(cuCtxGetCurrent, &current);
    // The legacy and per-thread default streams belong to the current context.
    const bool default_stream = stream == nullptr || stream == CU_STREAM_LEGACY || stream == CU_STREAM_PER_THREAD;
    CUcontext target = nullptr;
    if (!default_stream) {
        PTXKIT_CU(cuStreamGetCtx, stream, &target);
        if (data_device >= 0) {
            const int stream_device = state_for(target).ordinal();
            if (stream_device != data_device) {
                throw Error(Status::invalid_argument,
                            fmt::format("{}: argument 'stream': expected a stream on device {} (where '{}' is), got a "
                                        "stream of a context on device {}",
                                        op, data_device, data_name, stream_device));
            }
        }
    } else if (data_device >= 0) {
        // The current context when it is on the tensors' device (it may be a
        // context the caller created), else that device's primary context.
        const bool current_fits = current != nullptr && state_for(current).ordinal() == data_device;
        target = current_fits ? current : primary_context(data_device);
    } else {
        target = current;
    }
    if (target == nullptr) {
        target = primary_context(0);
        PTXKIT_CU(cuCtxSetCurrent, target);
        current = target;
    }
    state_ = &state_for(target);
    state_->throw_if_unusable();
    if (target != current) {
        PTXKIT_CU(cuCtxPushCurrent, target);
        pushed_ = true;
    }
}

OpContext::~OpContext() {
    if (pushed_) {
        CUcontext popped = nullptr;
        driver().cuCtxPopCurrent(&popped);  // cannot throw from a destructor; the push succeeded
    }
}

}  // namespace ptxkit::detail
