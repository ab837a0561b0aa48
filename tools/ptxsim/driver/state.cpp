// The driver's shared state and the helpers behind the entry points:
// contexts, streams and stream capture, running work, memory lookups,
// occupancy.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "driver/internal.hpp"

namespace ptxsim::driver {
namespace {

thread_local std::vector<CUctx_st*> t_context_stack;

}  // namespace

thread_local CUstreamCaptureMode t_capture_mode = CU_STREAM_CAPTURE_MODE_GLOBAL;

State& state() {
    static auto* s = new State();  // never destroyed: entry points may run during static destruction
    return *s;
}

void internal_error(const char* what) noexcept {
    std::fprintf(stderr, "ptxsim: internal error in the stand-in driver: %s\n", what);
}

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

bool failure_injected(std::string_view entry_point) {
    // Read at every call, so that a test can set and clear it as it goes.
    const char* v = std::getenv("PTXSIM_FAIL");
    if (v == nullptr) return false;
    std::string_view names(v);
    while (!names.empty()) {
        const std::size_t comma = names.find(',');
        if (names.substr(0, comma) == entry_point) return true;
        if (comma == std::string_view::npos) break;
        names.remove_prefix(comma + 1);
    }
    return false;
}

// ---- devices ----

bool valid_device(CUdevice dev) { return dev >= 0 && dev < static_cast<int>(state().devices.size()); }

const DeviceModel& model(int device) { return state().devices.at(static_cast<size_t>(device)); }

// ---- contexts ----

std::vector<CUctx_st*>& context_stack() { return t_context_stack; }

CUctx_st* current_context() { return t_context_stack.empty() ? nullptr : t_context_stack.back(); }

bool context_alive(const CUctx_st* c) { return live(c) && c->active; }

CUresult require_context(CUctx_st** out) {
    CUctx_st* c = current_context();
    if (c == nullptr || !context_alive(c)) return CUDA_ERROR_INVALID_CONTEXT;
    *out = c;
    return CUDA_SUCCESS;
}

void activate_context(CUctx_st* c) {
    c->active = true;
    c->id = state().next_ctx_id++;
    c->sticky = CUDA_SUCCESS;
    c->sticky_what.clear();
    if (c->legacy == nullptr) c->legacy = create_stream(c, 0, 0, true);
}

void destroy_context_resources(CUctx_st* c) {
    State& st = state();
    while (!c->modules.empty()) destroy_module(*c->modules.begin());
    while (!c->streams.empty()) destroy_stream(*c->streams.begin());
    for (CUevent_st* e : c->events) {
        remove_live(e);
        delete e;
    }
    c->events.clear();
    std::vector<uint64_t> bases;
    for (const auto& [base, info] : st.allocs) {
        if (info.ctx == c) bases.push_back(base);
    }
    for (uint64_t base : bases) free_allocation(base);
    c->sticky = CUDA_SUCCESS;
    c->sticky_what.clear();
}

// ---- streams ----

CUstream_st* create_stream(CUctx_st* ctx, unsigned flags, int priority, bool legacy) {
    auto* s = new CUstream_st();
    s->ctx = ctx;
    s->flags = flags;
    s->priority = priority;
    s->legacy = legacy;
    s->id = state().next_stream_id++;
    if (!legacy) {
        ctx->streams.insert(s);
        add_live(s);
    }
    return s;
}

void end_capture_state(CUstream_st* s) {
    auto& cap = state().capturing;
    cap.erase(std::remove(cap.begin(), cap.end(), s), cap.end());
    s->capturing = false;
    s->capture_invalidated = false;
}

void destroy_stream(CUstream_st* s) {
    if (s->capturing) {
        if (s->capture_graph != nullptr) destroy_graph_object(s->capture_graph);
        s->capture_graph = nullptr;
        end_capture_state(s);
    }
    s->ctx->streams.erase(s);
    remove_live(s);
    delete s;
}

CUresult resolve_stream(CUstream h, CUstream_st** out) {
    if (h == nullptr || h == CU_STREAM_LEGACY || h == CU_STREAM_PER_THREAD) {
        CUctx_st* ctx = nullptr;
        if (CUresult rc = require_context(&ctx); rc != CUDA_SUCCESS) return rc;
        *out = ctx->legacy;
        return CUDA_SUCCESS;
    }
    if (!live(h)) return CUDA_ERROR_INVALID_HANDLE;
    if (!context_alive(h->ctx)) return CUDA_ERROR_CONTEXT_IS_DESTROYED;
    *out = h;
    return CUDA_SUCCESS;
}

CUresult check_unsafe_call() {
    State& st = state();
    if (t_capture_mode == CU_STREAM_CAPTURE_MODE_RELAXED) return CUDA_SUCCESS;
    bool violated = false;
    for (CUstream_st* s : st.capturing) {
        const bool forbids = s->capture_mode == CU_STREAM_CAPTURE_MODE_GLOBAL ||
                             (s->capture_mode == CU_STREAM_CAPTURE_MODE_THREAD_LOCAL &&
                              s->capture_thread == std::this_thread::get_id());
        if (forbids) {
            s->capture_invalidated = true;
            violated = true;
        }
    }
    return violated ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : CUDA_SUCCESS;
}

CUresult check_legacy_use(CUstream_st* s) {
    if (!s->legacy) return CUDA_SUCCESS;
    bool violated = false;
    for (CUstream_st* c : state().capturing) {
        if (c->ctx == s->ctx && (c->flags & CU_STREAM_NON_BLOCKING) == 0) {
            c->capture_invalidated = true;
            violated = true;
        }
    }
    return violated ? CUDA_ERROR_STREAM_CAPTURE_IMPLICIT : CUDA_SUCCESS;
}

// ---- work ----

void make_sticky(CUctx_st* ctx, CUresult status, const std::string& message) {
    const char* name = nullptr;
    cuGetErrorName(status, &name);
    std::string text = message.empty() ? std::string(name ? name : "a kernel fault") : message;
    if (text.rfind("ptxsim", 0) != 0) text = "ptxsim: " + text;  // the simulator's reports name it already
    if (text.back() != '\n') text += '\n';
    text += "ptxsim: " + std::string(name ? name : "the error") + " is sticky: the context (id " +
            std::to_string(ctx->id) + ", device " + std::to_string(ctx->device) +
            ") is unusable, and every later call in it returns this error\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
    if (state().abort_on_fault) {
        std::fprintf(stderr, "ptxsim: PTXSIM_ABORT_ON_FAULT is set: aborting\n");
        std::abort();
    }
    if (ctx->sticky == CUDA_SUCCESS) {
        ctx->sticky = status;
        ctx->sticky_what = message;
    }
}

CUresult execute(CUctx_st* ctx, Op& op) {
    if (ctx->sticky != CUDA_SUCCESS) return ctx->sticky;
    switch (op.kind) {
        case OpKind::Kernel: {
            LaunchResult r;
            try {
                r = run_launch(op.launch, model(ctx->device));
            } catch (const std::bad_alloc&) {
                throw;
            } catch (const std::exception& e) {
                r.status = CUDA_ERROR_LAUNCH_FAILED;
                r.message = "kernel " + op.kernel_name + ": the simulator failed: " + e.what();
            }
            if (r.status != CUDA_SUCCESS) {
                if (r.message.empty()) r.message = "kernel " + op.kernel_name + " faulted";
                make_sticky(ctx, r.status, r.message);
            }
            return CUDA_SUCCESS;  // the fault surfaces at the next call, as on a GPU
        }
        case OpKind::Memset: {
            if (!device_range(op.dst, op.count * op.elem_bytes)) {
                make_sticky(ctx, CUDA_ERROR_ILLEGAL_ADDRESS,
                            "a replayed memset writes outside device memory (was the buffer freed?)");
                return CUDA_SUCCESS;
            }
            auto* p = reinterpret_cast<uint8_t*>(op.dst);
            if (op.elem_bytes == 1) {
                std::memset(p, static_cast<int>(op.value & 0xFF), op.count);
            } else if (op.elem_bytes == 2) {
                const auto v = static_cast<uint16_t>(op.value);
                for (uint64_t i = 0; i < op.count; ++i) std::memcpy(p + 2 * i, &v, 2);
            } else {
                for (uint64_t i = 0; i < op.count; ++i) std::memcpy(p + 4 * i, &op.value, 4);
            }
            return CUDA_SUCCESS;
        }
        case OpKind::Memcpy: {
            // Device sides were checked when the copy was issued; a replay re-checks.
            const bool dst_ok = !in_any_allocation(op.dst) || device_range(op.dst, op.bytes);
            const bool src_ok = !in_any_allocation(op.src) || device_range(op.src, op.bytes);
            if (!dst_ok || !src_ok) {
                make_sticky(ctx, CUDA_ERROR_ILLEGAL_ADDRESS,
                            "a replayed copy reaches outside device memory (was the buffer freed?)");
                return CUDA_SUCCESS;
            }
            if (op.bytes > 0) {
                std::memmove(reinterpret_cast<void*>(op.dst), reinterpret_cast<const void*>(op.src), op.bytes);
            }
            return CUDA_SUCCESS;
        }
        case OpKind::EventRecord:
            if (live(op.event)) {
                op.event->recorded = true;
                op.event->time = std::chrono::steady_clock::now();
            }
            return CUDA_SUCCESS;
        case OpKind::WaitEvent:
            return CUDA_SUCCESS;
    }
    return CUDA_SUCCESS;
}

CUresult submit(CUstream_st* s, Op op) {
    if (s->ctx->sticky != CUDA_SUCCESS) return s->ctx->sticky;
    if (s->capturing) {
        if (s->capture_invalidated) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
        CUgraph_st* g = s->capture_graph;
        g->ops.push_back(std::move(op));
        auto node = std::make_unique<CUgraphNode_st>();
        node->graph = g;
        node->index = g->ops.size() - 1;
        add_live(node.get());
        g->nodes.push_back(std::move(node));
        return CUDA_SUCCESS;
    }
    if (CUresult rc = check_legacy_use(s); rc != CUDA_SUCCESS) return rc;
    return execute(s->ctx, op);
}

// ---- memory ----

bool device_range(uint64_t addr, uint64_t bytes) {
    return allocations().find(addr, bytes == 0 ? 1 : bytes) != nullptr;
}

bool in_any_allocation(uint64_t addr) { return allocations().find(addr, 1) != nullptr; }

const AllocInfo* find_alloc(uint64_t addr, uint64_t* base) {
    auto& allocs = state().allocs;
    auto it = allocs.upper_bound(addr);
    if (it == allocs.begin()) return nullptr;
    --it;
    if (addr - it->first >= it->second.size) return nullptr;
    if (base != nullptr) *base = it->first;
    return &it->second;
}

void free_allocation(uint64_t base) {
    State& st = state();
    auto it = st.allocs.find(base);
    if (it == st.allocs.end()) return;
    st.allocated_bytes[static_cast<size_t>(it->second.device)] -= it->second.size;
    allocations().remove(base);
    std::free(reinterpret_cast<void*>(base));
    st.allocs.erase(it);
}

// ---- occupancy ----

int blocks_per_sm(const DeviceModel& d, const KernelInfo& k, unsigned block_threads, size_t dynamic_smem) {
    if (block_threads == 0) return 0;
    const unsigned warps = (block_threads + 31) / 32;
    int blocks = d.max_blocks_per_sm;
    blocks = std::min(blocks, d.max_threads_per_sm / static_cast<int>(warps * 32));
    if (k.num_regs > 0) {
        // Registers are allocated per warp in units of 256. ptxsim's register
        // count is an estimate (the PTX's declared registers), so it never
        // makes a block that fits the other limits non-resident.
        const unsigned per_warp = (k.num_regs * 32 + 255) / 256 * 256;
        const int by_regs = static_cast<int>(static_cast<unsigned>(d.regs_per_sm) / (per_warp * warps));
        blocks = std::min(blocks, std::max(1, by_regs));
    }
    const uint64_t smem = uint64_t(k.static_smem_bytes) + dynamic_smem + uint64_t(d.reserved_smem_per_block);
    if (smem > 0) blocks = std::min<int>(blocks, static_cast<int>(uint64_t(d.smem_per_sm) / smem));
    return std::max(blocks, 0);
}

// Clusters live inside one GPC. The H100 SXM's 132 SMs are modelled as two
// GPCs of 18 SMs and six of 16 (66 clusters of 2 at one CTA per SM, as the
// hardware reports); other SM counts as GPCs of 16 and one of the rest.
int max_active_clusters(const DeviceModel& d, int blocks_per_sm, unsigned cluster_size) {
    if (cluster_size == 0 || blocks_per_sm <= 0) return 0;
    std::vector<int> gpcs;
    if (d.sm_count == 132) {
        gpcs = {18, 18, 16, 16, 16, 16, 16, 16};
    } else {
        for (int left = d.sm_count; left > 0; left -= 16) gpcs.push_back(std::min(left, 16));
    }
    int clusters = 0;
    for (int sms : gpcs) clusters += sms * blocks_per_sm / static_cast<int>(cluster_size);
    return clusters;
}

}  // namespace ptxsim::driver
