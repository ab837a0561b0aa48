// ptxsim's stand-in CUDA driver: the state behind the exported cu* entry
// points (devices, contexts, streams, events, modules, functions, graphs,
// memory) and the helpers every entry point uses. One process-wide recursive
// mutex serialises all of it (and the simulator, which is single-threaded).
#pragma once

#include <cuda.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sim.hpp"

namespace ptxsim::driver {

// A parsed module, shared by every CUmodule loaded from the same PTX on the
// same device model (the cache keeps it for the life of the process).
struct ModuleEntry {
    std::string ptx;          // kept alive: the executor may point into it
    std::string description;  // which image it came from
    std::string model;        // DeviceModel::name it was loaded for
    ModulePtr module;
};

enum class OpKind { Kernel, Memset, Memcpy, EventRecord, WaitEvent };

// One piece of stream work: run at once, or recorded into a graph while the
// stream captures and run at every cuGraphLaunch.
struct Op {
    OpKind kind = OpKind::Kernel;
    // Kernel
    std::shared_ptr<ModuleEntry> module;
    std::string kernel_name;
    LaunchConfig launch;  // params copied: replays read the values the capture saw
    // Memset: count elements of elem_bytes (1, 2, 4) at dst
    uint64_t dst = 0;
    uint32_t value = 0;
    unsigned elem_bytes = 1;
    uint64_t count = 0;
    // Memcpy (dst above)
    uint64_t src = 0;
    uint64_t bytes = 0;
    // EventRecord / WaitEvent
    CUevent event = nullptr;
};

enum class HandleKind : uint8_t { Context, Stream, Event, Module, Function, Graph, GraphExec, GraphNode };

}  // namespace ptxsim::driver

// The opaque handle types cuda.h declares.
struct CUctx_st {
    int device = 0;
    bool primary = false;
    bool active = false;      // a primary context is active while retained
    unsigned flags = 0;
    unsigned long long id = 0;
    int refcount = 0;         // primary retain count
    CUresult sticky = CUDA_SUCCESS;  // a kernel fault: every later call in the context returns it
    std::string sticky_what;
    CUstream_st* legacy = nullptr;   // the NULL stream
    std::set<CUstream_st*> streams;
    std::set<CUevent_st*> events;
    std::set<CUmod_st*> modules;
    size_t limits[16] = {};
};

struct CUstream_st {
    CUctx_st* ctx = nullptr;
    unsigned flags = 0;
    int priority = 0;
    bool legacy = false;
    unsigned long long id = 0;
    // Stream capture
    bool capturing = false;
    bool capture_invalidated = false;
    CUstreamCaptureMode capture_mode = CU_STREAM_CAPTURE_MODE_GLOBAL;
    std::thread::id capture_thread;
    unsigned long long capture_id = 0;
    CUgraph_st* capture_graph = nullptr;
};

struct CUevent_st {
    CUctx_st* ctx = nullptr;
    unsigned flags = 0;
    bool recorded = false;
    CUstream_st* capture_stream = nullptr;    // last recorded into this stream's capture
    unsigned long long capture_id = 0;
    std::chrono::steady_clock::time_point time{};
};

struct CUfunc_st;
struct CUmod_st {
    CUctx_st* ctx = nullptr;
    std::shared_ptr<ptxsim::driver::ModuleEntry> entry;
    std::map<std::string, std::unique_ptr<CUfunc_st>> functions;
};

struct CUfunc_st {
    CUmod_st* module = nullptr;
    const ptxsim::KernelInfo* info = nullptr;
    std::string name;
    int max_dynamic_smem = 0;       // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    bool max_dynamic_smem_set = false;
    int non_portable_cluster = 0;
    int carveout = -1;
    int cluster_scheduling = 0;
    unsigned required_cluster[3] = {0, 0, 0};  // set at run time (compile-time ones come from the PTX)
    CUfunc_cache cache_config = CU_FUNC_CACHE_PREFER_NONE;
};

struct CUgraphNode_st {
    CUgraph_st* graph = nullptr;
    size_t index = 0;
};

struct CUgraph_st {
    std::vector<ptxsim::driver::Op> ops;
    std::vector<std::unique_ptr<CUgraphNode_st>> nodes;  // one per op
};

struct CUgraphExec_st {
    std::vector<ptxsim::driver::Op> ops;
};

namespace ptxsim::driver {

struct AllocInfo {
    uint64_t size = 0;
    CUctx_st* ctx = nullptr;
    int device = 0;
    unsigned long long id = 0;
};

struct State {
    std::recursive_mutex mutex;
    bool initialized = false;
    CUresult init_status = CUDA_SUCCESS;  // a failed cuInit is remembered
    std::vector<DeviceModel> devices;
    std::vector<CUctx_st*> primary;       // one per device, never freed
    std::unordered_map<const void*, HandleKind> live;
    std::map<uint64_t, AllocInfo> allocs;  // cuMemAlloc ranges by base
    std::vector<uint64_t> allocated_bytes;  // per device
    std::vector<CUstream_st*> capturing;
    std::map<std::pair<uint64_t, std::string>, std::vector<std::shared_ptr<ModuleEntry>>> module_cache;
    unsigned long long next_ctx_id = 1, next_stream_id = 1, next_alloc_id = 1, next_capture_id = 1;
    bool abort_on_fault = false;
};
State& state();
void internal_error(const char* what) noexcept;

// Runs an entry point's body under the driver lock; exceptions become error codes.
template <class F>
CUresult guarded(F&& body) noexcept {
    try {
        std::lock_guard<std::recursive_mutex> lock(state().mutex);
        return body();
    } catch (const std::bad_alloc&) {
        return CUDA_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        internal_error(e.what());
        return CUDA_ERROR_UNKNOWN;
    } catch (...) {
        internal_error("unknown exception");
        return CUDA_ERROR_UNKNOWN;
    }
}
// The same, for entry points that need cuInit first.
template <class F>
CUresult initialized(F&& body) noexcept {
    return guarded([&]() -> CUresult {
        if (!state().initialized) return CUDA_ERROR_NOT_INITIALIZED;
        return body();
    });
}
// ---- handles ----
template <class T>
HandleKind kind_of();
template <> inline HandleKind kind_of<CUctx_st>() { return HandleKind::Context; }
template <> inline HandleKind kind_of<CUstream_st>() { return HandleKind::Stream; }
template <> inline HandleKind kind_of<CUevent_st>() { return HandleKind::Event; }
template <> inline HandleKind kind_of<CUmod_st>() { return HandleKind::Module; }
template <> inline HandleKind kind_of<CUfunc_st>() { return HandleKind::Function; }
template <> inline HandleKind kind_of<CUgraph_st>() { return HandleKind::Graph; }
template <> inline HandleKind kind_of<CUgraphExec_st>() { return HandleKind::GraphExec; }
template <> inline HandleKind kind_of<CUgraphNode_st>() { return HandleKind::GraphNode; }

template <class T>
bool live(const T* p) {
    if (p == nullptr) return false;
    auto it = state().live.find(p);
    return it != state().live.end() && it->second == kind_of<T>();
}
template <class T>
void add_live(const T* p) { state().live[p] = kind_of<T>(); }
inline void remove_live(const void* p) { state().live.erase(p); }

// ---- devices ----
bool valid_device(CUdevice dev);
const DeviceModel& model(int device);

// ---- contexts ----
std::vector<CUctx_st*>& context_stack();  // this thread's
CUctx_st* current_context();  // top of this thread's stack, or nullptr
// The current context, usable: CUDA_ERROR_INVALID_CONTEXT when none (or it
// was destroyed / released).
CUresult require_context(CUctx_st** out);
bool context_alive(const CUctx_st* c);
// Frees everything a context owns (memory, modules, streams, events).
void destroy_context_resources(CUctx_st* c);
void activate_context(CUctx_st* c);

// ---- streams ----
// NULL, CU_STREAM_LEGACY and CU_STREAM_PER_THREAD: the current context's
// NULL stream. CUDA_ERROR_INVALID_CONTEXT / _INVALID_HANDLE.
CUresult resolve_stream(CUstream h, CUstream_st** out);
extern thread_local CUstreamCaptureMode t_capture_mode;  // cuThreadExchangeStreamCaptureMode
void end_capture_state(CUstream_st* s);
void destroy_graph_object(CUgraph_st* g);
CUstream_st* create_stream(CUctx_st* ctx, unsigned flags, int priority, bool legacy);
void destroy_stream(CUstream_st* s);

// Stream capture rules (CU_STREAM_CAPTURE_MODE_*): a potentially unsafe call
// (synchronisation, allocation, synchronous copy, module load, query) while
// a capture that forbids it is under way invalidates that capture and fails
// with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED.
CUresult check_unsafe_call();
// Work on the NULL stream of ctx while one of its blocking streams captures:
// CUDA_ERROR_STREAM_CAPTURE_IMPLICIT (and the capture is invalidated).
CUresult check_legacy_use(CUstream_st* s);

// ---- work ----
// Runs op on s now, or records it when s captures. Returns what the call
// returns (sticky errors of the context included).
CUresult submit(CUstream_st* s, Op op);
// Runs op in ctx; a kernel fault makes ctx sticky (the call still succeeds).
CUresult execute(CUctx_st* ctx, Op& op);
// Marks ctx unusable after a fault and reports it on stderr.
void make_sticky(CUctx_st* ctx, CUresult status, const std::string& message);

// ---- memory ----
// Whether [addr, addr + bytes) lies in device memory (an allocation or a
// module global); a pointer outside every allocation is host memory.
bool device_range(uint64_t addr, uint64_t bytes);
bool in_any_allocation(uint64_t addr);
const AllocInfo* find_alloc(uint64_t addr, uint64_t* base);  // cuMemAlloc range holding addr
void free_allocation(uint64_t base);

// ---- modules ----
void destroy_module(CUmod_st* m);

// ---- occupancy ----
int blocks_per_sm(const DeviceModel& d, const KernelInfo& k, unsigned block_threads, size_t dynamic_smem);
int max_active_clusters(const DeviceModel& d, int blocks_per_sm, unsigned cluster_size);

// ---- environment ----
bool env_flag(const char* name);
// PTXSIM_FAIL=name[,name...]: the entry points that honour it (so far
// cuOccupancyMaxActiveClusters, whose failure is advisory to its callers)
// return CUDA_ERROR_UNKNOWN while it names them, to test how callers cope.
bool failure_injected(std::string_view entry_point);

}  // namespace ptxsim::driver
