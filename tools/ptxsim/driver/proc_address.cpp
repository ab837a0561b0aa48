// cuGetProcAddress: every entry point ptxsim implements, by name and the CUDA
// version whose ABI it has (the PFN_<name>_v<version> typedefs of
// cudaTypedefs.h check each signature at compile time).
#include <cuda.h>
#include <cudaTypedefs.h>

#include <cstring>

#include "driver/internal.hpp"

// Entry points exported under their legacy names (defined next to their
// current versions; same signatures, so one implementation serves both).
extern "C" {
CUresult CUDAAPI ptxsim_cuGetProcAddress_v1(const char*, void**, int, cuuint64_t) __asm__("cuGetProcAddress");
CUresult CUDAAPI ptxsim_cuDeviceGetUuid_v1(CUuuid*, CUdevice) __asm__("cuDeviceGetUuid");
CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxRelease_v1(CUdevice) __asm__("cuDevicePrimaryCtxRelease");
CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxSetFlags_v1(CUdevice, unsigned) __asm__("cuDevicePrimaryCtxSetFlags");
CUresult CUDAAPI ptxsim_cuDevicePrimaryCtxReset_v1(CUdevice) __asm__("cuDevicePrimaryCtxReset");
CUresult CUDAAPI ptxsim_cuCtxDestroy_v1(CUcontext) __asm__("cuCtxDestroy");
CUresult CUDAAPI ptxsim_cuCtxPushCurrent_v1(CUcontext) __asm__("cuCtxPushCurrent");
CUresult CUDAAPI ptxsim_cuCtxPopCurrent_v1(CUcontext*) __asm__("cuCtxPopCurrent");
CUresult CUDAAPI ptxsim_cuStreamDestroy_v1(CUstream) __asm__("cuStreamDestroy");
CUresult CUDAAPI ptxsim_cuStreamBeginCapture_v1(CUstream) __asm__("cuStreamBeginCapture");
CUresult CUDAAPI ptxsim_cuEventDestroy_v1(CUevent) __asm__("cuEventDestroy");
CUresult CUDAAPI ptxsim_cuEventElapsedTime_v1(float*, CUevent, CUevent) __asm__("cuEventElapsedTime");
CUresult CUDAAPI cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev);
}

namespace {

// Legacy signatures whose typedefs cudaTypedefs.h keeps for the driver's own build.
using PFN_cuStreamBeginCapture_legacy = CUresult(CUDAAPI*)(CUstream hStream);

struct ProcEntry {
    const char* name;
    int version;
    void* fn;
};

// E: checked against PFN_<name>_v<version>. L: a legacy version whose typedef
// cudaTypedefs.h hides; its signature is that of the typedef named by `like`.
#define E(name, version, fn) \
    ProcEntry { #name, version, reinterpret_cast<void*>(static_cast<PFN_##name##_v##version>(&fn)) }
#define L(name, version, like, fn) \
    ProcEntry { #name, version, reinterpret_cast<void*>(static_cast<like>(&fn)) }

// cuDeviceComputeCapability is deprecated, and still part of the driver.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
const ProcEntry kEntries[] = {
    L(cuGetProcAddress, 11030, PFN_cuGetProcAddress_v11030, ptxsim_cuGetProcAddress_v1),
    E(cuGetProcAddress, 12000, cuGetProcAddress),
    E(cuInit, 2000, cuInit),
    E(cuDriverGetVersion, 2020, cuDriverGetVersion),
    E(cuGetErrorName, 6000, cuGetErrorName),
    E(cuGetErrorString, 6000, cuGetErrorString),
    E(cuGetExportTable, 3000, cuGetExportTable),
    // devices
    E(cuDeviceGet, 2000, cuDeviceGet),
    E(cuDeviceGetCount, 2000, cuDeviceGetCount),
    E(cuDeviceGetName, 2000, cuDeviceGetName),
    E(cuDeviceGetAttribute, 2000, cuDeviceGetAttribute),
    E(cuDeviceTotalMem, 3020, cuDeviceTotalMem),
    E(cuDeviceComputeCapability, 2000, cuDeviceComputeCapability),
    E(cuDeviceGetUuid, 9020, ptxsim_cuDeviceGetUuid_v1),
    E(cuDeviceGetUuid, 11040, cuDeviceGetUuid),
    E(cuDeviceGetPCIBusId, 4010, cuDeviceGetPCIBusId),
    E(cuDeviceCanAccessPeer, 4000, cuDeviceCanAccessPeer),
    // primary contexts
    E(cuDevicePrimaryCtxRetain, 7000, cuDevicePrimaryCtxRetain),
    L(cuDevicePrimaryCtxRelease, 7000, PFN_cuDevicePrimaryCtxRelease_v11000, ptxsim_cuDevicePrimaryCtxRelease_v1),
    E(cuDevicePrimaryCtxRelease, 11000, cuDevicePrimaryCtxRelease),
    L(cuDevicePrimaryCtxSetFlags, 7000, PFN_cuDevicePrimaryCtxSetFlags_v11000, ptxsim_cuDevicePrimaryCtxSetFlags_v1),
    E(cuDevicePrimaryCtxSetFlags, 11000, cuDevicePrimaryCtxSetFlags),
    L(cuDevicePrimaryCtxReset, 7000, PFN_cuDevicePrimaryCtxReset_v11000, ptxsim_cuDevicePrimaryCtxReset_v1),
    E(cuDevicePrimaryCtxReset, 11000, cuDevicePrimaryCtxReset),
    E(cuDevicePrimaryCtxGetState, 7000, cuDevicePrimaryCtxGetState),
    // contexts
    E(cuCtxCreate, 3020, cuCtxCreate_v2),
    E(cuCtxCreate, 12050, cuCtxCreate),
    L(cuCtxDestroy, 2000, PFN_cuCtxDestroy_v4000, ptxsim_cuCtxDestroy_v1),
    E(cuCtxDestroy, 4000, cuCtxDestroy),
    E(cuCtxGetCurrent, 4000, cuCtxGetCurrent),
    E(cuCtxSetCurrent, 4000, cuCtxSetCurrent),
    L(cuCtxPushCurrent, 2000, PFN_cuCtxPushCurrent_v4000, ptxsim_cuCtxPushCurrent_v1),
    E(cuCtxPushCurrent, 4000, cuCtxPushCurrent),
    L(cuCtxPopCurrent, 2000, PFN_cuCtxPopCurrent_v4000, ptxsim_cuCtxPopCurrent_v1),
    E(cuCtxPopCurrent, 4000, cuCtxPopCurrent),
    E(cuCtxGetDevice, 2000, cuCtxGetDevice),
    E(cuCtxGetDevice, 13000, cuCtxGetDevice_v2),
    E(cuCtxGetId, 12000, cuCtxGetId),
    E(cuCtxGetFlags, 7000, cuCtxGetFlags),
    E(cuCtxGetApiVersion, 3020, cuCtxGetApiVersion),
    E(cuCtxSynchronize, 2000, cuCtxSynchronize),
    E(cuCtxSynchronize, 13000, cuCtxSynchronize_v2),
    E(cuCtxGetLimit, 3010, cuCtxGetLimit),
    E(cuCtxSetLimit, 3010, cuCtxSetLimit),
    E(cuCtxGetStreamPriorityRange, 5050, cuCtxGetStreamPriorityRange),
    // streams and capture
    E(cuStreamCreate, 2000, cuStreamCreate),
    E(cuStreamCreateWithPriority, 5050, cuStreamCreateWithPriority),
    L(cuStreamDestroy, 2000, PFN_cuStreamDestroy_v4000, ptxsim_cuStreamDestroy_v1),
    E(cuStreamDestroy, 4000, cuStreamDestroy),
    E(cuStreamSynchronize, 2000, cuStreamSynchronize),
    E(cuStreamQuery, 2000, cuStreamQuery),
    E(cuStreamWaitEvent, 3020, cuStreamWaitEvent),
    E(cuStreamGetCtx, 9020, cuStreamGetCtx),
    E(cuStreamGetCtx, 12050, cuStreamGetCtx_v2),
    E(cuStreamGetFlags, 5050, cuStreamGetFlags),
    E(cuStreamGetPriority, 5050, cuStreamGetPriority),
    E(cuStreamGetId, 12000, cuStreamGetId),
    E(cuStreamIsCapturing, 10000, cuStreamIsCapturing),
    L(cuStreamBeginCapture, 10000, PFN_cuStreamBeginCapture_legacy, ptxsim_cuStreamBeginCapture_v1),
    E(cuStreamBeginCapture, 10010, cuStreamBeginCapture),
    E(cuStreamEndCapture, 10000, cuStreamEndCapture),
    E(cuThreadExchangeStreamCaptureMode, 10010, cuThreadExchangeStreamCaptureMode),
    // events
    E(cuEventCreate, 2000, cuEventCreate),
    L(cuEventDestroy, 2000, PFN_cuEventDestroy_v4000, ptxsim_cuEventDestroy_v1),
    E(cuEventDestroy, 4000, cuEventDestroy),
    E(cuEventRecord, 2000, cuEventRecord),
    E(cuEventRecordWithFlags, 11010, cuEventRecordWithFlags),
    E(cuEventQuery, 2000, cuEventQuery),
    E(cuEventSynchronize, 2000, cuEventSynchronize),
    E(cuEventElapsedTime, 2000, ptxsim_cuEventElapsedTime_v1),
    E(cuEventElapsedTime, 12080, cuEventElapsedTime),
    // modules and functions
    E(cuModuleLoadData, 2000, cuModuleLoadData),
    E(cuModuleLoadDataEx, 2010, cuModuleLoadDataEx),
    E(cuModuleLoadFatBinary, 2000, cuModuleLoadFatBinary),
    E(cuModuleUnload, 2000, cuModuleUnload),
    E(cuModuleGetFunction, 2000, cuModuleGetFunction),
    E(cuFuncGetAttribute, 2020, cuFuncGetAttribute),
    E(cuFuncSetAttribute, 9000, cuFuncSetAttribute),
    E(cuFuncSetCacheConfig, 3000, cuFuncSetCacheConfig),
    E(cuFuncGetParamInfo, 12040, cuFuncGetParamInfo),
    E(cuFuncGetName, 12030, cuFuncGetName),
    E(cuFuncGetModule, 11000, cuFuncGetModule),
    // launches and occupancy
    E(cuLaunchKernel, 4000, cuLaunchKernel),
    E(cuLaunchKernelEx, 11060, cuLaunchKernelEx),
    E(cuOccupancyMaxActiveBlocksPerMultiprocessor, 6050, cuOccupancyMaxActiveBlocksPerMultiprocessor),
    E(cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags, 7000,
      cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags),
    E(cuOccupancyAvailableDynamicSMemPerBlock, 10020, cuOccupancyAvailableDynamicSMemPerBlock),
    E(cuOccupancyMaxActiveClusters, 11070, cuOccupancyMaxActiveClusters),
    E(cuOccupancyMaxPotentialClusterSize, 11070, cuOccupancyMaxPotentialClusterSize),
    // memory
    E(cuMemAlloc, 3020, cuMemAlloc),
    E(cuMemFree, 3020, cuMemFree),
    E(cuMemGetInfo, 3020, cuMemGetInfo),
    E(cuMemGetAddressRange, 3020, cuMemGetAddressRange),
    E(cuMemcpy, 4000, cuMemcpy),
    E(cuMemcpyAsync, 4000, cuMemcpyAsync),
    E(cuMemcpyHtoD, 3020, cuMemcpyHtoD),
    E(cuMemcpyDtoH, 3020, cuMemcpyDtoH),
    E(cuMemcpyDtoD, 3020, cuMemcpyDtoD),
    E(cuMemcpyHtoDAsync, 3020, cuMemcpyHtoDAsync),
    E(cuMemcpyDtoHAsync, 3020, cuMemcpyDtoHAsync),
    E(cuMemcpyDtoDAsync, 3020, cuMemcpyDtoDAsync),
    E(cuMemsetD8, 3020, cuMemsetD8),
    E(cuMemsetD16, 3020, cuMemsetD16),
    E(cuMemsetD32, 3020, cuMemsetD32),
    E(cuMemsetD8Async, 3020, cuMemsetD8Async),
    E(cuMemsetD16Async, 3020, cuMemsetD16Async),
    E(cuMemsetD32Async, 3020, cuMemsetD32Async),
    E(cuPointerGetAttribute, 4000, cuPointerGetAttribute),
    E(cuPointerGetAttributes, 7000, cuPointerGetAttributes),
    // tensor maps
    E(cuTensorMapEncodeTiled, 12000, cuTensorMapEncodeTiled),
    // graphs
    E(cuGraphCreate, 10000, cuGraphCreate),
    E(cuGraphDestroy, 10000, cuGraphDestroy),
    E(cuGraphGetNodes, 10000, cuGraphGetNodes),
    E(cuGraphNodeGetType, 10000, cuGraphNodeGetType),
    E(cuGraphInstantiateWithFlags, 11040, cuGraphInstantiateWithFlags),
    E(cuGraphLaunch, 10000, cuGraphLaunch),
    E(cuGraphExecDestroy, 10000, cuGraphExecDestroy),
};
#pragma GCC diagnostic pop

#undef E
#undef L

constexpr int kDriverVersion = 13000;

CUresult lookup(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags,
                CUdriverProcAddressQueryResult* status) {
    if (symbol == nullptr || pfn == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *pfn = nullptr;
    if (flags > (CU_GET_PROC_ADDRESS_LEGACY_STREAM | CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (cudaVersion > kDriverVersion) return CUDA_ERROR_INVALID_VALUE;
    // Work never overlaps in ptxsim: the per-thread default stream variants
    // are the legacy ones, whatever the flags ask for.
    const ProcEntry* best = nullptr;
    bool known = false;
    for (const auto& e : kEntries) {
        if (std::strcmp(e.name, symbol) != 0) continue;
        known = true;
        if (e.version <= cudaVersion && (best == nullptr || e.version > best->version)) best = &e;
    }
    if (best != nullptr) {
        *pfn = best->fn;
        if (status != nullptr) *status = CU_GET_PROC_ADDRESS_SUCCESS;
    } else if (status != nullptr) {
        *status = known ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT : CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    }
    return CUDA_SUCCESS;
}

}  // namespace

CUresult CUDAAPI cuGetProcAddress(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags,
                                  CUdriverProcAddressQueryResult* symbolStatus) {
    return lookup(symbol, pfn, cudaVersion, flags, symbolStatus);
}

extern "C" CUresult CUDAAPI ptxsim_cuGetProcAddress_v1(const char* symbol, void** pfn, int cudaVersion,
                                                      cuuint64_t flags) {
    return lookup(symbol, pfn, cudaVersion, flags, nullptr);
}
