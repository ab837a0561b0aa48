// Contexts and the kernels loaded into them.
//
// ptxkit works in the caller's context: the context of the stream an op is
// given, which for the CUDA runtime and PyTorch is the device's primary
// context. With the default stream it is the context of the device that holds
// the op's tensors: the current context when it is on that device, else the
// device's primary context (as PyTorch runs an op on its tensors' device).
// Tensors on two devices, or on another device than the stream, are rejected
// before anything runs. When nothing tells (no tensors the driver knows, and
// no current context), device 0's primary context is retained and made
// current, as the CUDA runtime does. Modules are loaded on first use per
// context and their functions configured once at load, never per launch.
#pragma once

#include <atomic>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "driver/driver_api.hpp"
#include "ptxkit/runtime.hpp"

namespace ptxkit::detail {

struct Kernel {
    CUfunction function = nullptr;
    std::string module;
    std::string name;
    std::vector<std::size_t> param_sizes;  // empty when the driver cannot tell
    int max_threads_per_block = 0;
    int max_dynamic_shared_bytes = 0;  // raised to the device's opt-in limit at load
    int static_shared_bytes = 0;
};

class ContextState {
public:
    ContextState(CUcontext context, unsigned long long id, int ordinal);

    CUcontext context() const noexcept { return context_; }
    int ordinal() const noexcept { return ordinal_; }
    const DeviceProperties& properties() const { return device_properties(ordinal_); }

    // Loads `module` on first use (thread-safe) and returns its kernel.
    const Kernel& kernel(std::string_view module, std::string_view kernel);

    // How many clusters of `cluster_x` CTAs of `kernel` (block_threads
    // threads, dynamic_shared_bytes each) can be resident at once
    // (cuOccupancyMaxActiveClusters): the largest grid, in clusters, that a
    // persistent kernel may launch. An answer is cached per combination; a
    // failed query is not (the next launch asks again), and returns
    // clusters = 0 with the driver's error.
    struct ClusterOccupancy {
        int clusters = 0;
        CUresult error = CUDA_SUCCESS;
    };
    ClusterOccupancy max_active_clusters(const Kernel& kernel, unsigned block_threads, unsigned dynamic_shared_bytes,
                                         unsigned cluster_x);

    // Set when a driver call met a sticky error: every later op fails fast.
    void mark_unusable(std::string reason);
    void throw_if_unusable() const;

private:
    struct LoadedModule {
        CUmodule module = nullptr;
        std::map<std::string, std::unique_ptr<Kernel>, std::less<>> kernels;
    };
    LoadedModule& load_locked(std::string_view module);

    CUcontext context_;
    unsigned long long id_;
    int ordinal_;
    std::mutex mutex_;
    std::map<std::string, LoadedModule, std::less<>> modules_;
    std::map<std::tuple<CUfunction, unsigned, unsigned, unsigned>, int> max_active_clusters_;
    std::atomic<bool> unusable_{false};
    mutable std::mutex reason_mutex_;  // guards unusable_reason_
    std::string unusable_reason_;
};

// A device pointer that an op reads or writes, with the name of the argument
// it came in (for error messages). Null pointers (absent optional tensors) are
// ignored.
struct OpData {
    const char* name;
    const void* data;
};

// The context an op runs in, for the duration of the op (see the top of this
// file): pushed when it is not the current one, and popped at the end. Throws
// invalid_argument, naming the tensors (or the stream) and their devices, when
// `data` spans two devices or lies on another device than `stream`.
class OpContext {
public:
    OpContext(const char* op, CUstream stream, std::initializer_list<OpData> data);
    ~OpContext();
    OpContext(const OpContext&) = delete;
    OpContext& operator=(const OpContext&) = delete;

    ContextState& state() const noexcept { return *state_; }

private:
    ContextState* state_ = nullptr;
    bool pushed_ = false;
};

// The state of the current context, making device 0's primary context current
// when none is.
ContextState& current_context_state();

// Retains `ordinal`'s primary context (once per process) and returns it.
CUcontext primary_context(int ordinal);

}  // namespace ptxkit::detail
