// The CUDA driver, opened at run time. libptxkit links no CUDA library: the
// first call that needs the driver dlopens libcuda.so.1 and binds every entry
// point through cuGetProcAddress with the CUDA version of the ABI it was
// written against (the PFN_<name>_v<version> typedefs), so a header macro such
// as `#define cuMemAlloc cuMemAlloc_v2` can never bind the wrong symbol.
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>

#include <string>

namespace ptxkit::detail {

// X(name, version): the entry point and the CUDA version whose ABI we call.
#define PTXKIT_DRIVER_FUNCTIONS(X)          \
    X(cuInit, 2000)                         \
    X(cuDriverGetVersion, 2020)             \
    X(cuGetErrorName, 6000)                 \
    X(cuGetErrorString, 6000)               \
    X(cuDeviceGet, 2000)                    \
    X(cuDeviceGetCount, 2000)               \
    X(cuDeviceGetName, 2000)                \
    X(cuDeviceGetAttribute, 2000)           \
    X(cuDeviceTotalMem, 3020)               \
    X(cuDevicePrimaryCtxRetain, 7000)       \
    X(cuDevicePrimaryCtxRelease, 11000)     \
    X(cuCtxGetCurrent, 4000)                \
    X(cuCtxSetCurrent, 4000)                \
    X(cuCtxPushCurrent, 4000)               \
    X(cuCtxPopCurrent, 4000)                \
    X(cuCtxGetDevice, 2000)                 \
    X(cuCtxGetId, 12000)                    \
    X(cuCtxSynchronize, 2000)               \
    X(cuStreamGetCtx, 9020)                 \
    X(cuStreamCreate, 2000)                 \
    X(cuStreamDestroy, 4000)                \
    X(cuStreamSynchronize, 2000)            \
    X(cuModuleLoadDataEx, 2010)             \
    X(cuModuleUnload, 2000)                 \
    X(cuModuleGetFunction, 2000)            \
    X(cuFuncGetAttribute, 2020)             \
    X(cuFuncSetAttribute, 9000)             \
    X(cuFuncGetParamInfo, 12040)            \
    X(cuLaunchKernelEx, 11060)              \
    X(cuOccupancyMaxActiveClusters, 11070)  \
    X(cuMemAlloc, 3020)                     \
    X(cuMemFree, 3020)                      \
    X(cuMemcpyHtoD, 3020)                   \
    X(cuMemcpyDtoH, 3020)                   \
    X(cuMemcpyDtoDAsync, 3020)              \
    X(cuMemsetD8, 3020)                     \
    X(cuMemsetD8Async, 3020)                \
    X(cuPointerGetAttributes, 7000)         \
    X(cuEventCreate, 2000)                  \
    X(cuEventDestroy, 4000)                 \
    X(cuEventRecord, 2000)                  \
    X(cuEventSynchronize, 2000)             \
    X(cuEventElapsedTime, 2000)             \
    X(cuTensorMapEncodeTiled, 12000)        \
    X(cuStreamIsCapturing, 10000)           \
    X(cuStreamBeginCapture, 10010)          \
    X(cuStreamEndCapture, 10000)            \
    X(cuGraphInstantiateWithFlags, 11040)   \
    X(cuGraphLaunch, 10000)                 \
    X(cuGraphExecDestroy, 10000)            \
    X(cuGraphDestroy, 10000)

struct DriverApi {
#define PTXKIT_DECLARE_ENTRY(name, version) PFN_##name##_v##version name = nullptr;
    PTXKIT_DRIVER_FUNCTIONS(PTXKIT_DECLARE_ENTRY)
#undef PTXKIT_DECLARE_ENTRY
    int version = 0;           // CUDA version the driver supports
    std::string library_path;  // what was opened
};

// The bound driver; throws ptxkit::Error (no_driver / no_device) when there is
// none. Opened once per process, thread-safe.
const DriverApi& driver();

// The library the loader opens: $PTXKIT_LIBCUDA_PATH when set, else libcuda.so.1.
std::string libcuda_path();

// CUDA version this build's kernels need, from the toolkit that compiled them.
constexpr int kRequiredDriverVersion = (CUDA_VERSION / 1000) * 1000;

}  // namespace ptxkit::detail
