// Streams, events, stream capture and graphs. Work runs to completion when it
// is issued, so streams are trivially ordered and every query is "done";
// a capturing stream records the work instead, and cuGraphLaunch replays it.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "driver/internal.hpp"

using namespace ptxsim::driver;

namespace ptxsim::driver {

void destroy_graph_object(CUgraph_st* g) {
    for (auto& n : g->nodes) remove_live(n.get());
    remove_live(g);
    delete g;
}

}  // namespace ptxsim::driver

namespace {

CUresult create(CUstream* phStream, unsigned int flags, int priority) {
    if (phStream == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if ((flags & ~static_cast<unsigned>(CU_STREAM_NON_BLOCKING)) != 0) return CUDA_ERROR_INVALID_VALUE;
    CUctx_st* c = nullptr;
    if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
    if (c->sticky != CUDA_SUCCESS) return c->sticky;
    priority = std::clamp(priority, -5, 0);  // the driver clamps to [greatest, least]
    *phStream = create_stream(c, flags, priority, false);
    return CUDA_SUCCESS;
}

CUresult destroy(CUstream hStream) {
    if (hStream == nullptr || hStream == CU_STREAM_LEGACY || hStream == CU_STREAM_PER_THREAD) {
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (!live(hStream)) return CUDA_ERROR_INVALID_HANDLE;
    destroy_stream(hStream);
    return CUDA_SUCCESS;
}

CUresult destroy_event(CUevent e) {
    if (!live(e)) return CUDA_ERROR_INVALID_HANDLE;
    e->ctx->events.erase(e);
    remove_live(e);
    delete e;
    return CUDA_SUCCESS;
}

CUresult record(CUevent hEvent, CUstream hStream, unsigned flags) {
    if (!live(hEvent)) return CUDA_ERROR_INVALID_HANDLE;
    if ((flags & ~static_cast<unsigned>(CU_EVENT_RECORD_EXTERNAL)) != 0) return CUDA_ERROR_INVALID_VALUE;
    CUstream_st* s = nullptr;
    if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
    if (s->ctx != hEvent->ctx) return CUDA_ERROR_INVALID_HANDLE;  // event and stream of different contexts
    hEvent->capture_stream = s->capturing ? s : nullptr;
    hEvent->capture_id = s->capturing ? s->capture_id : 0;
    Op op;
    op.kind = OpKind::EventRecord;
    op.event = hEvent;
    return submit(s, std::move(op));
}

CUresult elapsed(float* pMilliseconds, CUevent hStart, CUevent hEnd) {
    if (pMilliseconds == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (!live(hStart) || !live(hEnd)) return CUDA_ERROR_INVALID_HANDLE;
    if (((hStart->flags | hEnd->flags) & CU_EVENT_DISABLE_TIMING) != 0) return CUDA_ERROR_INVALID_HANDLE;
    if (!hStart->recorded || !hEnd->recorded) return CUDA_ERROR_INVALID_HANDLE;
    if (hStart->ctx->sticky != CUDA_SUCCESS) return hStart->ctx->sticky;
    *pMilliseconds = std::chrono::duration<float, std::milli>(hEnd->time - hStart->time).count();
    return CUDA_SUCCESS;
}

CUresult begin_capture(CUstream hStream, CUstreamCaptureMode mode) {
    if (mode != CU_STREAM_CAPTURE_MODE_GLOBAL && mode != CU_STREAM_CAPTURE_MODE_THREAD_LOCAL &&
        mode != CU_STREAM_CAPTURE_MODE_RELAXED) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    CUstream_st* s = nullptr;
    if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
    if (s->legacy) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;  // the NULL stream cannot be captured
    if (s->capturing) return CUDA_ERROR_ILLEGAL_STATE;
    if (s->ctx->sticky != CUDA_SUCCESS) return s->ctx->sticky;
    auto* g = new CUgraph_st();
    add_live(g);
    s->capturing = true;
    s->capture_invalidated = false;
    s->capture_mode = mode;
    s->capture_thread = std::this_thread::get_id();
    s->capture_id = state().next_capture_id++;
    s->capture_graph = g;
    state().capturing.push_back(s);
    return CUDA_SUCCESS;
}

CUresult run_ops(CUstream_st* s, const std::vector<Op>& ops) {
    if (s->ctx->sticky != CUDA_SUCCESS) return s->ctx->sticky;
    if (s->capturing) {
        // Launching a graph into a capture records its work.
        for (const Op& op : ops) {
            if (CUresult rc = submit(s, op); rc != CUDA_SUCCESS) return rc;
        }
        return CUDA_SUCCESS;
    }
    if (CUresult rc = check_legacy_use(s); rc != CUDA_SUCCESS) return rc;
    for (const Op& op : ops) {
        Op copy = op;
        if (copy.kind == OpKind::Kernel && copy.module->model != model(s->ctx->device).name) {
            return CUDA_ERROR_INVALID_HANDLE;  // a graph of another device's kernels
        }
        if (CUresult rc = execute(s->ctx, copy); rc != CUDA_SUCCESS) return rc;
        if (s->ctx->sticky != CUDA_SUCCESS) break;  // the rest of the graph never runs
    }
    return CUDA_SUCCESS;
}

}  // namespace

// ---- streams ----

CUresult CUDAAPI cuStreamCreate(CUstream* phStream, unsigned int Flags) {
    return initialized([&] { return create(phStream, Flags, 0); });
}

CUresult CUDAAPI cuStreamCreateWithPriority(CUstream* phStream, unsigned int flags, int priority) {
    return initialized([&] { return create(phStream, flags, priority); });
}

CUresult CUDAAPI cuStreamDestroy(CUstream hStream) {
    return initialized([&] { return destroy(hStream); });
}
extern "C" CUresult CUDAAPI ptxsim_cuStreamDestroy_v1(CUstream) __asm__("cuStreamDestroy");
extern "C" CUresult CUDAAPI ptxsim_cuStreamDestroy_v1(CUstream hStream) {
    return initialized([&] { return destroy(hStream); });
}

CUresult CUDAAPI cuStreamSynchronize(CUstream hStream) {
    return initialized([&]() -> CUresult {
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        if (s->capturing) {
            s->capture_invalidated = true;
            return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
        }
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        if (CUresult rc = check_legacy_use(s); rc != CUDA_SUCCESS) return rc;
        return s->ctx->sticky;
    });
}

CUresult CUDAAPI cuStreamQuery(CUstream hStream) {
    return initialized([&]() -> CUresult {
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        if (s->capturing) {
            s->capture_invalidated = true;
            return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
        }
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        return s->ctx->sticky;  // CUDA_SUCCESS: everything issued has finished
    });
}

CUresult CUDAAPI cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags) {
    return initialized([&]() -> CUresult {
        if (!live(hEvent)) return CUDA_ERROR_INVALID_HANDLE;
        if ((Flags & ~static_cast<unsigned>(CU_EVENT_WAIT_EXTERNAL)) != 0) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        CUstream_st* origin = hEvent->capture_stream;
        if (origin != nullptr && live(origin) && origin->capturing && origin->capture_id == hEvent->capture_id &&
            origin != s) {
            // On a GPU this joins s to the capture (fork/join of captured
            // streams); ptxsim records one stream per capture only.
            std::fprintf(stderr,
                         "ptxsim: cuStreamWaitEvent on an event recorded in another stream's capture (cross-stream "
                         "capture) is not supported\n");
            origin->capture_invalidated = true;
            return CUDA_ERROR_NOT_SUPPORTED;
        }
        Op op;
        op.kind = OpKind::WaitEvent;
        op.event = hEvent;
        return submit(s, std::move(op));
    });
}

CUresult CUDAAPI cuStreamGetCtx(CUstream hStream, CUcontext* pctx) {
    return initialized([&]() -> CUresult {
        if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        *pctx = s->ctx;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuStreamGetCtx_v2(CUstream hStream, CUcontext* pCtx, CUgreenCtx* pGreenCtx) {
    return initialized([&]() -> CUresult {
        if (pCtx == nullptr || pGreenCtx == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        *pCtx = s->ctx;
        *pGreenCtx = nullptr;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuStreamGetFlags(CUstream hStream, unsigned int* flags) {
    return initialized([&]() -> CUresult {
        if (flags == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        *flags = s->flags;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuStreamGetPriority(CUstream hStream, int* priority) {
    return initialized([&]() -> CUresult {
        if (priority == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        *priority = s->priority;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuStreamGetId(CUstream hStream, unsigned long long* streamId) {
    return initialized([&]() -> CUresult {
        if (streamId == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        *streamId = s->id;
        return CUDA_SUCCESS;
    });
}

// ---- stream capture ----

CUresult CUDAAPI cuStreamBeginCapture(CUstream hStream, CUstreamCaptureMode mode) {
    return initialized([&] { return begin_capture(hStream, mode); });
}
extern "C" CUresult CUDAAPI ptxsim_cuStreamBeginCapture_v1(CUstream) __asm__("cuStreamBeginCapture");
extern "C" CUresult CUDAAPI ptxsim_cuStreamBeginCapture_v1(CUstream hStream) {
    return initialized([&] { return begin_capture(hStream, CU_STREAM_CAPTURE_MODE_GLOBAL); });
}

CUresult CUDAAPI cuStreamEndCapture(CUstream hStream, CUgraph* phGraph) {
    return initialized([&]() -> CUresult {
        if (phGraph == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        if (!s->capturing) return CUDA_ERROR_ILLEGAL_STATE;
        if (s->capture_mode != CU_STREAM_CAPTURE_MODE_RELAXED && s->capture_thread != std::this_thread::get_id()) {
            return CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
        }
        CUgraph_st* g = s->capture_graph;
        const bool invalidated = s->capture_invalidated;
        s->capture_graph = nullptr;
        end_capture_state(s);
        if (invalidated) {
            destroy_graph_object(g);
            *phGraph = nullptr;
            return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
        }
        *phGraph = g;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus* captureStatus) {
    return initialized([&]() -> CUresult {
        if (captureStatus == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        if (s->legacy) {
            // Asking about the NULL stream while a blocking stream captures is itself a violation.
            if (CUresult rc = check_legacy_use(s); rc != CUDA_SUCCESS) return rc;
        }
        *captureStatus = !s->capturing            ? CU_STREAM_CAPTURE_STATUS_NONE
                         : s->capture_invalidated ? CU_STREAM_CAPTURE_STATUS_INVALIDATED
                                                  : CU_STREAM_CAPTURE_STATUS_ACTIVE;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuThreadExchangeStreamCaptureMode(CUstreamCaptureMode* mode) {
    return initialized([&]() -> CUresult {
        if (mode == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (*mode != CU_STREAM_CAPTURE_MODE_GLOBAL && *mode != CU_STREAM_CAPTURE_MODE_THREAD_LOCAL &&
            *mode != CU_STREAM_CAPTURE_MODE_RELAXED) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        std::swap(*mode, t_capture_mode);
        return CUDA_SUCCESS;
    });
}

// ---- events ----

CUresult CUDAAPI cuEventCreate(CUevent* phEvent, unsigned int Flags) {
    return initialized([&]() -> CUresult {
        if (phEvent == nullptr) return CUDA_ERROR_INVALID_VALUE;
        const unsigned known = CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING | CU_EVENT_INTERPROCESS;
        if ((Flags & ~known) != 0) return CUDA_ERROR_INVALID_VALUE;
        if ((Flags & CU_EVENT_INTERPROCESS) != 0 && (Flags & CU_EVENT_DISABLE_TIMING) == 0) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        if (c->sticky != CUDA_SUCCESS) return c->sticky;
        auto* e = new CUevent_st();
        e->ctx = c;
        e->flags = Flags;
        c->events.insert(e);
        add_live(e);
        *phEvent = e;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuEventDestroy(CUevent hEvent) {
    return initialized([&] { return destroy_event(hEvent); });
}
extern "C" CUresult CUDAAPI ptxsim_cuEventDestroy_v1(CUevent) __asm__("cuEventDestroy");
extern "C" CUresult CUDAAPI ptxsim_cuEventDestroy_v1(CUevent hEvent) {
    return initialized([&] { return destroy_event(hEvent); });
}

CUresult CUDAAPI cuEventRecord(CUevent hEvent, CUstream hStream) {
    return initialized([&] { return record(hEvent, hStream, 0); });
}

CUresult CUDAAPI cuEventRecordWithFlags(CUevent hEvent, CUstream hStream, unsigned int flags) {
    return initialized([&] { return record(hEvent, hStream, flags); });
}

CUresult CUDAAPI cuEventQuery(CUevent hEvent) {
    return initialized([&]() -> CUresult {
        if (!live(hEvent)) return CUDA_ERROR_INVALID_HANDLE;
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        return hEvent->ctx->sticky;
    });
}

CUresult CUDAAPI cuEventSynchronize(CUevent hEvent) {
    return initialized([&]() -> CUresult {
        if (!live(hEvent)) return CUDA_ERROR_INVALID_HANDLE;
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        return hEvent->ctx->sticky;
    });
}

CUresult CUDAAPI cuEventElapsedTime(float* pMilliseconds, CUevent hStart, CUevent hEnd) {
    return initialized([&] { return elapsed(pMilliseconds, hStart, hEnd); });
}
extern "C" CUresult CUDAAPI ptxsim_cuEventElapsedTime_v1(float*, CUevent, CUevent) __asm__("cuEventElapsedTime");
extern "C" CUresult CUDAAPI ptxsim_cuEventElapsedTime_v1(float* pMilliseconds, CUevent hStart, CUevent hEnd) {
    return initialized([&] { return elapsed(pMilliseconds, hStart, hEnd); });
}

// ---- graphs ----

CUresult CUDAAPI cuGraphCreate(CUgraph* phGraph, unsigned int flags) {
    return initialized([&]() -> CUresult {
        if (phGraph == nullptr || flags != 0) return CUDA_ERROR_INVALID_VALUE;
        auto* g = new CUgraph_st();
        add_live(g);
        *phGraph = g;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuGraphDestroy(CUgraph hGraph) {
    return initialized([&]() -> CUresult {
        if (!live(hGraph)) return CUDA_ERROR_INVALID_VALUE;
        destroy_graph_object(hGraph);
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuGraphGetNodes(CUgraph hGraph, CUgraphNode* nodes, size_t* numNodes) {
    return initialized([&]() -> CUresult {
        if (!live(hGraph) || numNodes == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (nodes == nullptr) {
            *numNodes = hGraph->nodes.size();
            return CUDA_SUCCESS;
        }
        const size_t n = std::min(*numNodes, hGraph->nodes.size());
        for (size_t i = 0; i < n; ++i) nodes[i] = hGraph->nodes[i].get();
        for (size_t i = n; i < *numNodes; ++i) nodes[i] = nullptr;
        *numNodes = n;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuGraphNodeGetType(CUgraphNode hNode, CUgraphNodeType* type) {
    return initialized([&]() -> CUresult {
        if (!live(hNode) || type == nullptr) return CUDA_ERROR_INVALID_VALUE;
        switch (hNode->graph->ops[hNode->index].kind) {
            case OpKind::Kernel: *type = CU_GRAPH_NODE_TYPE_KERNEL; break;
            case OpKind::Memset: *type = CU_GRAPH_NODE_TYPE_MEMSET; break;
            case OpKind::Memcpy: *type = CU_GRAPH_NODE_TYPE_MEMCPY; break;
            case OpKind::EventRecord: *type = CU_GRAPH_NODE_TYPE_EVENT_RECORD; break;
            case OpKind::WaitEvent: *type = CU_GRAPH_NODE_TYPE_WAIT_EVENT; break;
        }
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuGraphInstantiateWithFlags(CUgraphExec* phGraphExec, CUgraph hGraph, unsigned long long flags) {
    return initialized([&]() -> CUresult {
        if (phGraphExec == nullptr || !live(hGraph)) return CUDA_ERROR_INVALID_VALUE;
        (void)flags;  // auto-free, upload, device launch, priority: nothing to model
        auto* x = new CUgraphExec_st();
        x->ops = hGraph->ops;
        add_live(x);
        *phGraphExec = x;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream) {
    return initialized([&]() -> CUresult {
        if (!live(hGraphExec)) return CUDA_ERROR_INVALID_VALUE;
        CUstream_st* s = nullptr;
        if (CUresult rc = resolve_stream(hStream, &s); rc != CUDA_SUCCESS) return rc;
        return run_ops(s, hGraphExec->ops);
    });
}

CUresult CUDAAPI cuGraphExecDestroy(CUgraphExec hGraphExec) {
    return initialized([&]() -> CUresult {
        if (!live(hGraphExec)) return CUDA_ERROR_INVALID_VALUE;
        remove_live(hGraphExec);
        delete hGraphExec;
        return CUDA_SUCCESS;
    });
}
