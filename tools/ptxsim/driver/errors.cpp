// cuGetErrorName / cuGetErrorString for every CUresult of the toolkit's
// cuda.h (the table is generated from it: cuda_errors.inc).
#include <cuda.h>

#include <cstring>

namespace {

struct ErrorText {
    CUresult code;
    const char* name;
    const char* doc;  // the first sentence of cuda.h's comment
};

const ErrorText kErrors[] = {
#define PTXSIM_ERROR(name, doc) {name, #name, doc},
#include "cuda_errors.inc"
#undef PTXSIM_ERROR
};

// What the real driver's cuGetErrorString says for the codes ptxkit meets;
// the rest fall back to cuda.h's description.
const char* driver_string(CUresult code) {
    switch (code) {
        case CUDA_SUCCESS: return "no error";
        case CUDA_ERROR_INVALID_VALUE: return "invalid argument";
        case CUDA_ERROR_OUT_OF_MEMORY: return "out of memory";
        case CUDA_ERROR_NOT_INITIALIZED: return "initialization error";
        case CUDA_ERROR_DEINITIALIZED: return "driver shutting down";
        case CUDA_ERROR_STUB_LIBRARY: return "CUDA driver is a stub library";
        case CUDA_ERROR_NO_DEVICE: return "no CUDA-capable device is detected";
        case CUDA_ERROR_INVALID_DEVICE: return "invalid device ordinal";
        case CUDA_ERROR_INVALID_IMAGE: return "device kernel image is invalid";
        case CUDA_ERROR_INVALID_CONTEXT: return "invalid device context";
        case CUDA_ERROR_NO_BINARY_FOR_GPU: return "no kernel image is available for execution on the device";
        case CUDA_ERROR_UNSUPPORTED_LIMIT: return "limit is not supported on this architecture";
        case CUDA_ERROR_INVALID_PTX: return "a PTX JIT compilation failed";
        case CUDA_ERROR_INVALID_SOURCE: return "device kernel image is invalid";
        case CUDA_ERROR_NOT_FOUND: return "named symbol not found";
        case CUDA_ERROR_NOT_READY: return "device not ready";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
        case CUDA_ERROR_LAUNCH_TIMEOUT: return "the launch timed out and was terminated";
        case CUDA_ERROR_CONTEXT_IS_DESTROYED: return "context is destroyed";
        case CUDA_ERROR_ASSERT: return "device-side assert triggered";
        case CUDA_ERROR_HARDWARE_STACK_ERROR: return "hardware stack error";
        case CUDA_ERROR_ILLEGAL_INSTRUCTION: return "an illegal instruction was encountered";
        case CUDA_ERROR_MISALIGNED_ADDRESS: return "misaligned address";
        case CUDA_ERROR_INVALID_ADDRESS_SPACE: return "operation not supported on global/shared address space";
        case CUDA_ERROR_INVALID_PC: return "invalid program counter";
        case CUDA_ERROR_LAUNCH_FAILED: return "unspecified launch failure";
        case CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE: return "too many blocks in cooperative launch";
        case CUDA_ERROR_NOT_PERMITTED: return "operation not permitted";
        case CUDA_ERROR_NOT_SUPPORTED: return "operation not supported";
        case CUDA_ERROR_INVALID_HANDLE: return "invalid resource handle";
        case CUDA_ERROR_ILLEGAL_STATE: return "the operation cannot be performed in the present state";
        case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED: return "operation not permitted when stream is capturing";
        case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED:
            return "operation failed due to a previous error during capture";
        case CUDA_ERROR_STREAM_CAPTURE_IMPLICIT:
            return "operation would make the legacy stream depend on a capturing blocking stream";
        case CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD:
            return "attempt to terminate a thread-local capture sequence from another thread";
        case CUDA_ERROR_INVALID_CLUSTER_SIZE: return "invalid cluster size";
        case CUDA_ERROR_UNKNOWN: return "unknown error";
        default: return nullptr;
    }
}

}  // namespace

CUresult CUDAAPI cuGetErrorName(CUresult error, const char** pStr) {
    if (pStr == nullptr) return CUDA_ERROR_INVALID_VALUE;
    for (const auto& e : kErrors) {
        if (e.code == error) {
            *pStr = e.name;
            return CUDA_SUCCESS;
        }
    }
    *pStr = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
}

CUresult CUDAAPI cuGetErrorString(CUresult error, const char** pStr) {
    if (pStr == nullptr) return CUDA_ERROR_INVALID_VALUE;
    for (const auto& e : kErrors) {
        if (e.code == error) {
            const char* s = driver_string(error);
            *pStr = s != nullptr ? s : e.doc;
            return CUDA_SUCCESS;
        }
    }
    *pStr = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
}
