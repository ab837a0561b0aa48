// Device memory: allocation (host memory that the simulated kernels address
// directly: a device pointer IS a host pointer), copies, memsets, pointer
// attributes.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "driver/internal.hpp"

using namespace ptxsim::driver;

namespace {

constexpr uint64_t kAlignment = 256;
constexpr uint8_t kGarbage = 0xCD;  // fresh allocations: uninitialised reads show

// Checks a device-side range: it must lie in one allocation (or module global).
CUresult check_device(uint64_t addr, uint64_t bytes) {
    if (addr == 0) return CUDA_ERROR_INVALID_VALUE;
    if (bytes == 0) return CUDA_SUCCESS;
    return device_range(addr, bytes) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// A pointer of cuMemcpy: device memory when it falls in an allocation (then
// the whole range must), host memory otherwise.
CUresult check_unified(uint64_t addr, uint64_t bytes) {
    if (addr == 0) return CUDA_ERROR_INVALID_VALUE;
    if (in_any_allocation(addr)) return check_device(addr, bytes);
    // A host range that runs into device memory is a bug in the caller.
    return CUDA_SUCCESS;
}

CUresult copy(uint64_t dst, uint64_t src, uint64_t bytes, CUstream hstream, bool async, bool dst_device,
              bool src_device, bool unified) {
    CUstream_st* s = nullptr;
    if (CUresult rc = resolve_stream(hstream, &s); rc != CUDA_SUCCESS) return rc;
    if (s->ctx->sticky != CUDA_SUCCESS) return s->ctx->sticky;
    if (unified) {
        if (CUresult rc = check_unified(dst, bytes); rc != CUDA_SUCCESS) return rc;
        if (CUresult rc = check_unified(src, bytes); rc != CUDA_SUCCESS) return rc;
    } else {
        if (dst == 0 || src == 0) return bytes == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
        if (dst_device) {
            if (CUresult rc = check_device(dst, bytes); rc != CUDA_SUCCESS) return rc;
        }
        if (src_device) {
            if (CUresult rc = check_device(src, bytes); rc != CUDA_SUCCESS) return rc;
        }
    }
    if (!async) {
        // A synchronous copy is a potentially unsafe call during capture.
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
    }
    Op op;
    op.kind = OpKind::Memcpy;
    op.dst = dst;
    op.src = src;
    op.bytes = bytes;
    return submit(s, std::move(op));
}

CUresult fill(uint64_t dst, uint32_t value, unsigned elem_bytes, uint64_t count, CUstream hstream, bool async) {
    CUstream_st* s = nullptr;
    if (CUresult rc = resolve_stream(hstream, &s); rc != CUDA_SUCCESS) return rc;
    if (s->ctx->sticky != CUDA_SUCCESS) return s->ctx->sticky;
    if (dst == 0 || dst % elem_bytes != 0) return CUDA_ERROR_INVALID_VALUE;
    if (count > UINT64_MAX / elem_bytes) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult rc = check_device(dst, count * elem_bytes); rc != CUDA_SUCCESS) return rc;
    if (!async) {
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
    }
    Op op;
    op.kind = OpKind::Memset;
    op.dst = dst;
    op.value = value;
    op.elem_bytes = elem_bytes;
    op.count = count;
    return submit(s, std::move(op));
}

// The bytes an attribute's value takes (cuPointerGetAttributes).
size_t attribute_size(CUpointer_attribute a) {
    switch (a) {
        case CU_POINTER_ATTRIBUTE_CONTEXT: return sizeof(CUcontext);
        case CU_POINTER_ATTRIBUTE_MEMORY_TYPE: return sizeof(unsigned int);
        case CU_POINTER_ATTRIBUTE_DEVICE_POINTER: return sizeof(CUdeviceptr);
        case CU_POINTER_ATTRIBUTE_HOST_POINTER: return sizeof(void*);
        case CU_POINTER_ATTRIBUTE_SYNC_MEMOPS: return sizeof(int);
        case CU_POINTER_ATTRIBUTE_BUFFER_ID: return sizeof(unsigned long long);
        case CU_POINTER_ATTRIBUTE_IS_MANAGED: return sizeof(int);
        case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: return sizeof(int);
        case CU_POINTER_ATTRIBUTE_IS_LEGACY_CUDA_IPC_CAPABLE: return sizeof(int);
        case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: return sizeof(void*);
        case CU_POINTER_ATTRIBUTE_RANGE_SIZE: return sizeof(size_t);
        case CU_POINTER_ATTRIBUTE_MAPPED: return sizeof(int);
        case CU_POINTER_ATTRIBUTE_ALLOWED_HANDLE_TYPES: return sizeof(unsigned long long);
        case CU_POINTER_ATTRIBUTE_IS_GPU_DIRECT_RDMA_CAPABLE: return sizeof(int);
        case CU_POINTER_ATTRIBUTE_ACCESS_FLAGS: return sizeof(unsigned long long);
        case CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE: return sizeof(void*);
        case CU_POINTER_ATTRIBUTE_MAPPING_SIZE: return sizeof(size_t);
        case CU_POINTER_ATTRIBUTE_MAPPING_BASE_ADDR: return sizeof(void*);
        case CU_POINTER_ATTRIBUTE_MEMORY_BLOCK_ID: return sizeof(unsigned long long);
        default: return 0;
    }
}

template <class T>
void put(void* data, T v) {
    std::memcpy(data, &v, sizeof v);
}

// One attribute of a cuMemAlloc pointer. NOT_SUPPORTED / INVALID_VALUE as the driver.
CUresult pointer_attribute(void* data, CUpointer_attribute a, uint64_t ptr, uint64_t base, const AllocInfo& info) {
    switch (a) {
        case CU_POINTER_ATTRIBUTE_CONTEXT: put<CUcontext>(data, info.ctx); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_MEMORY_TYPE: put<unsigned int>(data, CU_MEMORYTYPE_DEVICE); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_DEVICE_POINTER: put<CUdeviceptr>(data, ptr); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_HOST_POINTER: return CUDA_ERROR_INVALID_VALUE;  // device memory has none
        case CU_POINTER_ATTRIBUTE_SYNC_MEMOPS: put<int>(data, 1); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_BUFFER_ID: put<unsigned long long>(data, info.id); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_IS_MANAGED: put<int>(data, 0); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL: put<int>(data, info.device); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_IS_LEGACY_CUDA_IPC_CAPABLE: put<int>(data, 0); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR: put<CUdeviceptr>(data, base); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_RANGE_SIZE: put<size_t>(data, info.size); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_MAPPED: put<int>(data, 1); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_ALLOWED_HANDLE_TYPES: put<unsigned long long>(data, 0); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_IS_GPU_DIRECT_RDMA_CAPABLE: put<int>(data, 0); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_ACCESS_FLAGS:
            put<unsigned long long>(data, CU_POINTER_ATTRIBUTE_ACCESS_FLAG_READWRITE);
            return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_MEMPOOL_HANDLE: put<void*>(data, nullptr); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_MAPPING_SIZE: put<size_t>(data, info.size); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_MAPPING_BASE_ADDR: put<CUdeviceptr>(data, base); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_MEMORY_BLOCK_ID: put<unsigned long long>(data, info.id); return CUDA_SUCCESS;
        case CU_POINTER_ATTRIBUTE_P2P_TOKENS: return CUDA_ERROR_NOT_SUPPORTED;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
}

}  // namespace

CUresult CUDAAPI cuMemAlloc(CUdeviceptr* dptr, size_t bytesize) {
    return initialized([&]() -> CUresult {
        if (dptr == nullptr || bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        if (c->sticky != CUDA_SUCCESS) return c->sticky;
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        State& st = state();
        const auto& d = model(c->device);
        const uint64_t rounded = (uint64_t(bytesize) + kAlignment - 1) / kAlignment * kAlignment;
        if (rounded < bytesize || rounded > d.total_mem - st.allocated_bytes[c->device]) {
            return CUDA_ERROR_OUT_OF_MEMORY;
        }
        void* p = std::aligned_alloc(kAlignment, rounded);
        if (p == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
        std::memset(p, kGarbage, rounded);
        const uint64_t base = reinterpret_cast<uint64_t>(p);
        AllocInfo info;
        info.size = bytesize;
        info.ctx = c;
        info.device = c->device;
        info.id = st.next_alloc_id++;
        try {
            ptxsim::allocations().add(base, bytesize,
                                      "cuMemAlloc #" + std::to_string(info.id) + " (" + std::to_string(bytesize) +
                                          " bytes, device " + std::to_string(c->device) + ")",
                                      false, c->device);
            st.allocs.emplace(base, info);
        } catch (...) {
            ptxsim::allocations().remove(base);
            std::free(p);
            throw;
        }
        st.allocated_bytes[c->device] += bytesize;
        *dptr = base;
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuMemFree(CUdeviceptr dptr) {
    return initialized([&]() -> CUresult {
        State& st = state();
        auto it = st.allocs.find(dptr);
        if (it == st.allocs.end()) return CUDA_ERROR_INVALID_VALUE;
        if (CUresult rc = check_unsafe_call(); rc != CUDA_SUCCESS) return rc;
        // A context with a sticky error reports it, but the memory goes anyway
        // (nothing could use it again).
        const CUresult sticky = it->second.ctx->sticky;
        free_allocation(dptr);
        return sticky;
    });
}

CUresult CUDAAPI cuMemGetInfo(size_t* free, size_t* total) {
    return initialized([&]() -> CUresult {
        if (free == nullptr || total == nullptr) return CUDA_ERROR_INVALID_VALUE;
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        const auto& d = model(c->device);
        *total = d.total_mem;
        *free = d.total_mem - state().allocated_bytes[c->device];
        return CUDA_SUCCESS;
    });
}

CUresult CUDAAPI cuMemGetAddressRange(CUdeviceptr* pbase, size_t* psize, CUdeviceptr dptr) {
    return initialized([&]() -> CUresult {
        CUctx_st* c = nullptr;
        if (CUresult rc = require_context(&c); rc != CUDA_SUCCESS) return rc;
        uint64_t base = 0;
        const AllocInfo* info = find_alloc(dptr, &base);
        if (info == nullptr) return CUDA_ERROR_NOT_FOUND;
        if (pbase != nullptr) *pbase = base;
        if (psize != nullptr) *psize = info->size;
        return CUDA_SUCCESS;
    });
}

// ---- copies ----

CUresult CUDAAPI cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount) {
    return initialized([&] { return copy(dst, src, ByteCount, nullptr, false, false, false, true); });
}
CUresult CUDAAPI cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount, CUstream hStream) {
    return initialized([&] { return copy(dst, src, ByteCount, hStream, true, false, false, true); });
}
CUresult CUDAAPI cuMemcpyHtoD(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount) {
    return initialized([&] {
        return copy(dstDevice, reinterpret_cast<uint64_t>(srcHost), ByteCount, nullptr, false, true, false, false);
    });
}
CUresult CUDAAPI cuMemcpyDtoH(void* dstHost, CUdeviceptr srcDevice, size_t ByteCount) {
    return initialized([&] {
        return copy(reinterpret_cast<uint64_t>(dstHost), srcDevice, ByteCount, nullptr, false, false, true, false);
    });
}
CUresult CUDAAPI cuMemcpyDtoD(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount) {
    return initialized([&] { return copy(dstDevice, srcDevice, ByteCount, nullptr, false, true, true, false); });
}
CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount, CUstream hStream) {
    return initialized([&] {
        return copy(dstDevice, reinterpret_cast<uint64_t>(srcHost), ByteCount, hStream, true, true, false, false);
    });
}
CUresult CUDAAPI cuMemcpyDtoHAsync(void* dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream) {
    return initialized([&] {
        return copy(reinterpret_cast<uint64_t>(dstHost), srcDevice, ByteCount, hStream, true, false, true, false);
    });
}
CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream) {
    return initialized([&] { return copy(dstDevice, srcDevice, ByteCount, hStream, true, true, true, false); });
}

// ---- memsets ----

CUresult CUDAAPI cuMemsetD8(CUdeviceptr dstDevice, unsigned char uc, size_t N) {
    return initialized([&] { return fill(dstDevice, uc, 1, N, nullptr, false); });
}
CUresult CUDAAPI cuMemsetD16(CUdeviceptr dstDevice, unsigned short us, size_t N) {
    return initialized([&] { return fill(dstDevice, us, 2, N, nullptr, false); });
}
CUresult CUDAAPI cuMemsetD32(CUdeviceptr dstDevice, unsigned int ui, size_t N) {
    return initialized([&] { return fill(dstDevice, ui, 4, N, nullptr, false); });
}
CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream) {
    return initialized([&] { return fill(dstDevice, uc, 1, N, hStream, true); });
}
CUresult CUDAAPI cuMemsetD16Async(CUdeviceptr dstDevice, unsigned short us, size_t N, CUstream hStream) {
    return initialized([&] { return fill(dstDevice, us, 2, N, hStream, true); });
}
CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream) {
    return initialized([&] { return fill(dstDevice, ui, 4, N, hStream, true); });
}

// ---- pointer attributes ----

CUresult CUDAAPI cuPointerGetAttribute(void* data, CUpointer_attribute attribute, CUdeviceptr ptr) {
    return initialized([&]() -> CUresult {
        if (data == nullptr) return CUDA_ERROR_INVALID_VALUE;
        if (attribute_size(attribute) == 0 && attribute != CU_POINTER_ATTRIBUTE_P2P_TOKENS) {
            return CUDA_ERROR_INVALID_VALUE;
        }
        uint64_t base = 0;
        const AllocInfo* info = find_alloc(ptr, &base);
        if (info == nullptr) return CUDA_ERROR_INVALID_VALUE;  // not memory the driver knows
        return pointer_attribute(data, attribute, ptr, base, *info);
    });
}

CUresult CUDAAPI cuPointerGetAttributes(unsigned int numAttributes, CUpointer_attribute* attributes, void** data,
                                        CUdeviceptr ptr) {
    return initialized([&]() -> CUresult {
        if (numAttributes == 0 || attributes == nullptr || data == nullptr) return CUDA_ERROR_INVALID_VALUE;
        for (unsigned i = 0; i < numAttributes; ++i) {
            if (data[i] == nullptr || attribute_size(attributes[i]) == 0) return CUDA_ERROR_INVALID_VALUE;
        }
        uint64_t base = 0;
        const AllocInfo* info = find_alloc(ptr, &base);
        for (unsigned i = 0; i < numAttributes; ++i) {
            if (info == nullptr) {
                // Unlike cuPointerGetAttribute: memory the driver does not know
                // gets empty values (no context, memory type 0) and success.
                std::memset(data[i], 0, attribute_size(attributes[i]));
                if (attributes[i] == CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL) put<int>(data[i], CU_DEVICE_INVALID);
                continue;
            }
            const CUresult rc = pointer_attribute(data[i], attributes[i], ptr, base, *info);
            if (rc == CUDA_ERROR_INVALID_VALUE && attributes[i] == CU_POINTER_ATTRIBUTE_HOST_POINTER) {
                put<void*>(data[i], nullptr);
                continue;
            }
            if (rc != CUDA_SUCCESS) return rc;
        }
        return CUDA_SUCCESS;
    });
}
