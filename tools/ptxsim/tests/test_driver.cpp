// ptxsim's stand-in driver, tested as ptxkit uses it: the built libcuda.so.1
// is dlopened and every entry point bound through cuGetProcAddress_v2 with
// explicit ABI versions. Each test that depends on the driver's process-wide
// state (cuInit, the environment, sticky errors) loads a private copy of the
// library (a copy under another file name is a separate instance).
#include <cuda.h>
#include <cudaTypedefs.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "driver/driver_api.hpp"  // PTXKIT_DRIVER_FUNCTIONS: what libptxkit binds

namespace {

// The entry points the tests call, at the ABI versions they are written against.
#define PTXSIM_TEST_FUNCTIONS(X)                          \
    X(cuInit, 2000)                                       \
    X(cuDriverGetVersion, 2020)                           \
    X(cuGetErrorName, 6000)                               \
    X(cuGetErrorString, 6000)                             \
    X(cuGetExportTable, 3000)                             \
    X(cuDeviceGet, 2000)                                  \
    X(cuDeviceGetCount, 2000)                             \
    X(cuDeviceGetName, 2000)                              \
    X(cuDeviceGetAttribute, 2000)                         \
    X(cuDeviceTotalMem, 3020)                             \
    X(cuDevicePrimaryCtxRetain, 7000)                     \
    X(cuDevicePrimaryCtxRelease, 11000)                   \
    X(cuDevicePrimaryCtxGetState, 7000)                   \
    X(cuDevicePrimaryCtxReset, 11000)                     \
    X(cuCtxCreate, 3020)                                  \
    X(cuCtxDestroy, 4000)                                 \
    X(cuCtxGetCurrent, 4000)                              \
    X(cuCtxSetCurrent, 4000)                              \
    X(cuCtxPushCurrent, 4000)                             \
    X(cuCtxPopCurrent, 4000)                              \
    X(cuCtxGetDevice, 2000)                               \
    X(cuCtxGetId, 12000)                                  \
    X(cuCtxGetFlags, 7000)                                \
    X(cuCtxSynchronize, 2000)                             \
    X(cuStreamCreate, 2000)                               \
    X(cuStreamCreateWithPriority, 5050)                   \
    X(cuStreamDestroy, 4000)                              \
    X(cuStreamSynchronize, 2000)                          \
    X(cuStreamQuery, 2000)                                \
    X(cuStreamWaitEvent, 3020)                            \
    X(cuStreamGetCtx, 9020)                               \
    X(cuStreamIsCapturing, 10000)                         \
    X(cuStreamBeginCapture, 10010)                        \
    X(cuStreamEndCapture, 10000)                          \
    X(cuEventCreate, 2000)                                \
    X(cuEventDestroy, 4000)                               \
    X(cuEventRecord, 2000)                                \
    X(cuEventRecordWithFlags, 11010)                      \
    X(cuEventQuery, 2000)                                 \
    X(cuEventSynchronize, 2000)                           \
    X(cuEventElapsedTime, 2000)                           \
    X(cuModuleLoadData, 2000)                             \
    X(cuModuleLoadDataEx, 2010)                           \
    X(cuModuleUnload, 2000)                               \
    X(cuModuleGetFunction, 2000)                          \
    X(cuFuncGetAttribute, 2020)                           \
    X(cuFuncSetAttribute, 9000)                           \
    X(cuFuncGetParamInfo, 12040)                          \
    X(cuLaunchKernel, 4000)                               \
    X(cuLaunchKernelEx, 11060)                            \
    X(cuOccupancyMaxActiveClusters, 11070)                \
    X(cuOccupancyMaxActiveBlocksPerMultiprocessor, 6050)  \
    X(cuMemAlloc, 3020)                                   \
    X(cuMemFree, 3020)                                    \
    X(cuMemGetInfo, 3020)                                 \
    X(cuMemcpy, 4000)                                     \
    X(cuMemcpyHtoD, 3020)                                 \
    X(cuMemcpyDtoH, 3020)                                 \
    X(cuMemcpyDtoD, 3020)                                 \
    X(cuMemcpyHtoDAsync, 3020)                            \
    X(cuMemcpyDtoHAsync, 3020)                            \
    X(cuMemcpyDtoDAsync, 3020)                            \
    X(cuMemsetD8, 3020)                                   \
    X(cuMemsetD32, 3020)                                  \
    X(cuMemsetD8Async, 3020)                              \
    X(cuMemsetD32Async, 3020)                             \
    X(cuPointerGetAttribute, 4000)                        \
    X(cuPointerGetAttributes, 7000)                       \
    X(cuGraphGetNodes, 10000)                             \
    X(cuGraphNodeGetType, 10000)                          \
    X(cuGraphInstantiateWithFlags, 11040)                 \
    X(cuGraphLaunch, 10000)                               \
    X(cuGraphExecDestroy, 10000)                          \
    X(cuGraphDestroy, 10000)

struct Cu {
    void* handle = nullptr;
    std::string path;
    PFN_cuGetProcAddress_v12000 cuGetProcAddress = nullptr;
#define PTXSIM_DECLARE(name, version) PFN_##name##_v##version name = nullptr;
    PTXSIM_TEST_FUNCTIONS(PTXSIM_DECLARE)
#undef PTXSIM_DECLARE
};

// Opens `path` and binds everything as ptxkit does; ADD_FAILURE on a miss.
Cu open_driver(const std::string& path) {
    Cu cu;
    cu.path = path;
    cu.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (cu.handle == nullptr) {
        ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
        return cu;
    }
    cu.cuGetProcAddress = reinterpret_cast<PFN_cuGetProcAddress_v12000>(dlsym(cu.handle, "cuGetProcAddress_v2"));
    if (cu.cuGetProcAddress == nullptr) {
        ADD_FAILURE() << path << " has no cuGetProcAddress_v2";
        return cu;
    }
#define PTXSIM_BIND(name, version)                                                                       \
    {                                                                                                    \
        void* fn = nullptr;                                                                              \
        CUdriverProcAddressQueryResult found{};                                                          \
        const CUresult rc = cu.cuGetProcAddress(#name, &fn, version, CU_GET_PROC_ADDRESS_DEFAULT, &found); \
        if (rc != CUDA_SUCCESS || found != CU_GET_PROC_ADDRESS_SUCCESS || fn == nullptr) {               \
            ADD_FAILURE() << "cannot bind " #name " at version " << version;                             \
        }                                                                                                \
        cu.name = reinterpret_cast<PFN_##name##_v##version>(fn);                                         \
    }
    PTXSIM_TEST_FUNCTIONS(PTXSIM_BIND)
#undef PTXSIM_BIND
    return cu;
}

// A private instance: a copy of the library under a fresh name, with `env`
// set while its cuInit reads it (when init is true).
Cu fresh_driver(std::vector<std::pair<const char*, const char*>> env = {}, bool init = true) {
    static std::atomic<int> counter{0};
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("ptxsim_test_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const fs::path copy = dir / ("libcuda_" + std::to_string(counter++) + ".so");
    fs::copy_file(PTXSIM_LIBCUDA_PATH, copy, fs::copy_options::overwrite_existing);
    Cu cu = open_driver(copy.string());
    std::vector<std::pair<std::string, std::string>> saved;
    for (const auto& [k, v] : env) {
        const char* old = std::getenv(k);
        saved.emplace_back(k, old ? old : std::string("\x01"));
        setenv(k, v, 1);
    }
    if (init && cu.cuInit != nullptr) {
        EXPECT_EQ(cu.cuInit(0), CUDA_SUCCESS);
    }
    for (const auto& [k, v] : saved) {
        if (v == "\x01") {
            unsetenv(k.c_str());
        } else {
            setenv(k.c_str(), v.c_str(), 1);
        }
    }
    std::error_code ignored;
    fs::remove(copy, ignored);  // the mapping stays valid
    return cu;
}

// The library at its built path, initialised, device 0's primary context current.
Cu& shared_driver() {
    static Cu cu = [] {
        Cu c = open_driver(PTXSIM_LIBCUDA_PATH);
        if (c.cuInit != nullptr) {
            EXPECT_EQ(c.cuInit(0), CUDA_SUCCESS);
        }
        return c;
    }();
    return cu;
}

CUcontext make_current(const Cu& cu, int ordinal = 0) {
    CUcontext ctx = nullptr;
    EXPECT_EQ(cu.cuDevicePrimaryCtxRetain(&ctx, ordinal), CUDA_SUCCESS);
    EXPECT_EQ(cu.cuCtxSetCurrent(ctx), CUDA_SUCCESS);
    return ctx;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    EXPECT_TRUE(in.good()) << path;
    std::string bytes(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())), '\0');
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

// An enumerator value the enum does not have (without a constant conversion).
template <class E>
E bad_enum(int v) {
    E e{};
    static_assert(sizeof e == sizeof v);
    std::memcpy(&e, &v, sizeof e);
    return e;
}

// A fatbin made at build time, 8-byte aligned as cuModuleLoadData wants.
struct Image {
    std::vector<unsigned long long> words;
    explicit Image(const std::string& name) {
        const std::string bytes = read_file(std::string(PTXSIM_TEST_DATA) + "/" + name);
        words.assign(bytes.size() / 8 + 2, 0);
        std::memcpy(words.data(), bytes.data(), bytes.size());
    }
    const void* data() const { return words.data(); }
};

std::string error_name(const Cu& cu, CUresult rc) {
    const char* name = nullptr;
    cu.cuGetErrorName(rc, &name);
    return name ? name : "?";
}

#define EXPECT_CU(expected, call) EXPECT_EQ(error_name(cu, call), error_name(cu, expected)) << #call
#define ASSERT_CU(expected, call) ASSERT_EQ(error_name(cu, call), error_name(cu, expected)) << #call

constexpr bool kHaveExecutor = PTXSIM_HAVE_EXECUTOR != 0;
#define REQUIRE_EXECUTOR()                                                                        \
    if (!kHaveExecutor) GTEST_SKIP() << "needs the executor (tools/ptxsim/exec), not built yet"

// ---------------------------------------------------------------------------
// Entry points

TEST(Driver, BindsEveryEntryPointPtxkitUses) {
    Cu& cu = shared_driver();
    ASSERT_NE(cu.cuGetProcAddress, nullptr);
#define PTXSIM_CHECK_PTXKIT(name, version)                                                          \
    {                                                                                               \
        void* fn = nullptr;                                                                         \
        CUdriverProcAddressQueryResult found{};                                                     \
        EXPECT_EQ(cu.cuGetProcAddress(#name, &fn, version, CU_GET_PROC_ADDRESS_DEFAULT, &found),    \
                  CUDA_SUCCESS);                                                                    \
        EXPECT_EQ(found, CU_GET_PROC_ADDRESS_SUCCESS) << #name << " at " << version;                \
        EXPECT_NE(fn, nullptr) << #name;                                                            \
    }
    PTXKIT_DRIVER_FUNCTIONS(PTXSIM_CHECK_PTXKIT)
#undef PTXSIM_CHECK_PTXKIT
}

TEST(Driver, GetProcAddressReportsMissingSymbolsAndVersions) {
    Cu& cu = shared_driver();
    void* fn = reinterpret_cast<void*>(1);
    CUdriverProcAddressQueryResult found{};
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetProcAddress("cuNoSuchEntryPoint", &fn, 12000, 0, &found));
    EXPECT_EQ(found, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    EXPECT_EQ(fn, nullptr);
    // cuCtxGetId came with CUDA 12.0.
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetProcAddress("cuCtxGetId", &fn, 11080, 0, &found));
    EXPECT_EQ(found, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
    EXPECT_EQ(fn, nullptr);
    // Newer than the driver (13.0).
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuGetProcAddress("cuInit", &fn, 99000, 0, &found));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuGetProcAddress(nullptr, &fn, 12000, 0, &found));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuGetProcAddress("cuInit", nullptr, 12000, 0, &found));
    // The ABI version picks the variant: cuMemAlloc at 3020 is cuMemAlloc_v2,
    // cuEventElapsedTime at 12080 is cuEventElapsedTime_v2.
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetProcAddress("cuMemAlloc", &fn, 12000, 0, &found));
    EXPECT_EQ(fn, dlsym(cu.handle, "cuMemAlloc_v2"));
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetProcAddress("cuEventElapsedTime", &fn, 12080, 0, &found));
    EXPECT_EQ(fn, dlsym(cu.handle, "cuEventElapsedTime_v2"));
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetProcAddress("cuEventElapsedTime", &fn, 12000, 0, &found));
    EXPECT_EQ(fn, dlsym(cu.handle, "cuEventElapsedTime"));
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetProcAddress("cuStreamBeginCapture", &fn, 12000,
                                                CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &found));
    EXPECT_EQ(fn, dlsym(cu.handle, "cuStreamBeginCapture_v2"));
}

TEST(Driver, ExportsTheDriverApiAndNothingElse) {
    Cu& cu = shared_driver();
    for (const char* name : {"cuInit", "cuGetProcAddress", "cuGetProcAddress_v2", "cuMemAlloc_v2", "cuMemFree_v2",
                             "cuCtxPushCurrent_v2", "cuCtxPopCurrent_v2", "cuStreamDestroy_v2", "cuEventDestroy_v2",
                             "cuDevicePrimaryCtxRelease_v2", "cuLaunchKernelEx", "cuTensorMapEncodeTiled",
                             "cuMemcpyHtoD_v2", "cuMemsetD8_v2", "cuMemsetD8Async", "cuGraphInstantiateWithFlags"}) {
        EXPECT_NE(dlsym(cu.handle, name), nullptr) << name;
    }
    EXPECT_EQ(dlsym(cu.handle, "_ZN6ptxsim11allocationsEv"), nullptr) << "the simulator's symbols must stay local";
    const void* table = reinterpret_cast<const void*>(1);
    EXPECT_CU(CUDA_ERROR_NOT_SUPPORTED, cu.cuGetExportTable(&table, nullptr));
}

TEST(Driver, ErrorNamesAndStrings) {
    Cu& cu = shared_driver();
    const char* s = nullptr;
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetErrorName(CUDA_ERROR_ILLEGAL_ADDRESS, &s));
    EXPECT_STREQ(s, "CUDA_ERROR_ILLEGAL_ADDRESS");
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetErrorString(CUDA_ERROR_ILLEGAL_ADDRESS, &s));
    EXPECT_STREQ(s, "an illegal memory access was encountered");
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetErrorName(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, &s));
    EXPECT_STREQ(s, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
    EXPECT_CU(CUDA_SUCCESS, cu.cuGetErrorName(CUDA_ERROR_UNKNOWN, &s));
    EXPECT_STREQ(s, "CUDA_ERROR_UNKNOWN");
    // Every code of cuda.h has a name and a string.
    for (int code = 0; code < 1000; ++code) {
        const char* name = nullptr;
        if (cu.cuGetErrorName(static_cast<CUresult>(code), &name) != CUDA_SUCCESS) continue;
        ASSERT_NE(name, nullptr);
        EXPECT_EQ(std::string(name).rfind("CUDA_", 0), 0u) << name;
        const char* text = nullptr;
        EXPECT_CU(CUDA_SUCCESS, cu.cuGetErrorString(static_cast<CUresult>(code), &text));
        EXPECT_NE(text, nullptr);
    }
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuGetErrorName(bad_enum<CUresult>(12345), &s));
    EXPECT_EQ(s, nullptr);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuGetErrorName(CUDA_SUCCESS, nullptr));
}

// ---------------------------------------------------------------------------
// Initialisation and devices

TEST(Driver, CallsBeforeCuInitFail) {
    Cu cu = fresh_driver({}, /*init=*/false);
    int count = -1;
    EXPECT_CU(CUDA_ERROR_NOT_INITIALIZED, cu.cuDeviceGetCount(&count));
    CUdeviceptr p = 0;
    EXPECT_CU(CUDA_ERROR_NOT_INITIALIZED, cu.cuMemAlloc(&p, 16));
    CUcontext ctx = nullptr;
    EXPECT_CU(CUDA_ERROR_NOT_INITIALIZED, cu.cuCtxGetCurrent(&ctx));
    // These work without cuInit.
    int version = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuDriverGetVersion(&version));
    EXPECT_EQ(version, 13000);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDriverGetVersion(nullptr));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuInit(1));
    EXPECT_CU(CUDA_SUCCESS, cu.cuInit(0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuInit(0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuDeviceGetCount(&count));
    EXPECT_EQ(count, 1);
}

TEST(Driver, H100ByDefault) {
    Cu& cu = shared_driver();
    int count = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuDeviceGetCount(&count));
    EXPECT_EQ(count, 1);
    CUdevice dev = -1;
    ASSERT_CU(CUDA_SUCCESS, cu.cuDeviceGet(&dev, 0));
    char name[256] = {};
    ASSERT_CU(CUDA_SUCCESS, cu.cuDeviceGetName(name, sizeof name, dev));
    EXPECT_STREQ(name, "ptxsim H100 SXM (software GPU)");
    char small[7] = {};
    ASSERT_CU(CUDA_SUCCESS, cu.cuDeviceGetName(small, sizeof small, dev));
    EXPECT_STREQ(small, "ptxsim");
    auto attr = [&](CUdevice_attribute a) {
        int v = -1;
        EXPECT_CU(CUDA_SUCCESS, cu.cuDeviceGetAttribute(&v, a, dev));
        return v;
    };
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), 9);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), 0);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), 132);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN), 232448);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR), 233472);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE), 50 * 1024 * 1024);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR), 2048);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR), 65536);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_WARP_SIZE), 32);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH), 1);
    EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING), 1);
    EXPECT_GT(attr(CU_DEVICE_ATTRIBUTE_CLOCK_RATE), 0);
    EXPECT_GT(attr(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE), 0);
    EXPECT_GT(attr(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH), 0);
    size_t total = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuDeviceTotalMem(&total, dev));
    EXPECT_EQ(total, 80ull << 30);

    int v = 0;
    EXPECT_CU(CUDA_ERROR_INVALID_DEVICE, cu.cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_WARP_SIZE, 1));
    EXPECT_CU(CUDA_ERROR_INVALID_DEVICE, cu.cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_WARP_SIZE, -1));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDeviceGetAttribute(nullptr, CU_DEVICE_ATTRIBUTE_WARP_SIZE, 0));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDeviceGetAttribute(&v, bad_enum<CUdevice_attribute>(9999), 0));
    EXPECT_CU(CUDA_ERROR_INVALID_DEVICE, cu.cuDeviceGet(&dev, 1));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDeviceGet(nullptr, 0));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDeviceGetName(nullptr, 10, 0));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDeviceGetCount(nullptr));
}

TEST(Driver, TwoA100sFromTheEnvironment) {
    Cu cu = fresh_driver({{"PTXSIM_DEVICE", "a100"}, {"PTXSIM_DEVICE_COUNT", "2"}});
    int count = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuDeviceGetCount(&count));
    EXPECT_EQ(count, 2);
    for (CUdevice dev = 0; dev < 2; ++dev) {
        auto attr = [&](CUdevice_attribute a) {
            int v = -1;
            EXPECT_CU(CUDA_SUCCESS, cu.cuDeviceGetAttribute(&v, a, dev));
            return v;
        };
        EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR), 8);
        EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), 0);
        EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), 108);
        EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN), 166912);
        EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE), 40 * 1024 * 1024);
        EXPECT_EQ(attr(CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH), 0);
        char name[256] = {};
        EXPECT_CU(CUDA_SUCCESS, cu.cuDeviceGetName(name, sizeof name, dev));
        EXPECT_STREQ(name, "ptxsim A100 SXM (software GPU)");
    }
    // Each device has its own primary context, with its own id.
    CUcontext c0 = nullptr, c1 = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRetain(&c0, 0));
    ASSERT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRetain(&c1, 1));
    EXPECT_NE(c0, c1);
    unsigned long long id0 = 0, id1 = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetId(c0, &id0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetId(c1, &id1));
    EXPECT_NE(id0, id1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxSetCurrent(c1));
    CUdevice dev = -1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetDevice(&dev));
    EXPECT_EQ(dev, 1);
    CUdeviceptr p = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, 64));
    int ordinal = -1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, p));
    EXPECT_EQ(ordinal, 1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(p));
}

TEST(Driver, NoDevicesAndBadEnvironment) {
    Cu none = fresh_driver({{"PTXSIM_DEVICE_COUNT", "0"}}, false);
    setenv("PTXSIM_DEVICE_COUNT", "0", 1);
    EXPECT_EQ(none.cuInit(0), CUDA_ERROR_NO_DEVICE);
    unsetenv("PTXSIM_DEVICE_COUNT");
    Cu bad = fresh_driver({}, false);
    setenv("PTXSIM_DEVICE", "v100", 1);
    EXPECT_EQ(bad.cuInit(0), CUDA_ERROR_INVALID_VALUE);
    unsetenv("PTXSIM_DEVICE");
}

// ---------------------------------------------------------------------------
// Contexts

TEST(Driver, ContextsAreCurrentPerThreadAndStack) {
    Cu cu = fresh_driver({{"PTXSIM_DEVICE_COUNT", "2"}});
    CUcontext ctx = reinterpret_cast<CUcontext>(1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetCurrent(&ctx));
    EXPECT_EQ(ctx, nullptr);
    CUdevice dev = 0;
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuCtxGetDevice(&dev));
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuCtxSynchronize());
    CUdeviceptr p = 0;
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuMemAlloc(&p, 16));
    CUstream s = nullptr;
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuStreamCreate(&s, 0));
    CUcontext popped = nullptr;
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuCtxPopCurrent(&popped));

    unsigned flags = 99;
    int active = 1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxGetState(0, &flags, &active));
    EXPECT_EQ(active, 0);
    CUcontext c0 = nullptr, c1 = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRetain(&c0, 0));
    ASSERT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRetain(&c1, 1));
    CUcontext again = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRetain(&again, 0));
    EXPECT_EQ(again, c0);
    EXPECT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxGetState(0, &flags, &active));
    EXPECT_EQ(active, 1);
    EXPECT_CU(CUDA_ERROR_INVALID_DEVICE, cu.cuDevicePrimaryCtxRetain(&again, 2));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuDevicePrimaryCtxRetain(nullptr, 0));

    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxSetCurrent(c0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetCurrent(&ctx));
    EXPECT_EQ(ctx, c0);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxPushCurrent(c1));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetDevice(&dev));
    EXPECT_EQ(dev, 1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetFlags(&flags));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxPopCurrent(&popped));
    EXPECT_EQ(popped, c1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetDevice(&dev));
    EXPECT_EQ(dev, 0);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuCtxPushCurrent(nullptr));
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuCtxPushCurrent(reinterpret_cast<CUcontext>(&dev)));

    // Another thread starts with no current context.
    std::thread([&] {
        CUcontext other = reinterpret_cast<CUcontext>(1);
        EXPECT_EQ(cu.cuCtxGetCurrent(&other), CUDA_SUCCESS);
        EXPECT_EQ(other, nullptr);
        EXPECT_EQ(cu.cuCtxSetCurrent(c1), CUDA_SUCCESS);
        CUdevice d = -1;
        EXPECT_EQ(cu.cuCtxGetDevice(&d), CUDA_SUCCESS);
        EXPECT_EQ(d, 1);
    }).join();
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetCurrent(&ctx));
    EXPECT_EQ(ctx, c0);

    // A created context gets a new id and is pushed.
    CUcontext created = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuCtxCreate(&created, 0, 0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetCurrent(&ctx));
    EXPECT_EQ(ctx, created);
    unsigned long long id_created = 0, id0 = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetId(created, &id_created));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetId(c0, &id0));
    EXPECT_NE(id_created, id0);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxDestroy(created));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetCurrent(&ctx));
    EXPECT_EQ(ctx, c0);
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuCtxGetId(created, &id_created));

    // Released to zero, a primary context is inactive; retained again, it is
    // the same handle with a new id.
    EXPECT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRelease(1));
    EXPECT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxGetState(1, &flags, &active));
    EXPECT_EQ(active, 0);
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuDevicePrimaryCtxRelease(1));
    unsigned long long id1 = 0;
    EXPECT_CU(CUDA_ERROR_INVALID_CONTEXT, cu.cuCtxGetId(c1, &id1));
    ASSERT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxRetain(&again, 1));
    EXPECT_EQ(again, c1);
}

// ---------------------------------------------------------------------------
// Memory

TEST(Driver, AllocCopyFreeRoundTrips) {
    Cu& cu = shared_driver();
    make_current(cu);
    size_t free_before = 0, total = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemGetInfo(&free_before, &total));
    EXPECT_EQ(total, 80ull << 30);

    constexpr size_t n = 1000;
    CUdeviceptr a = 0, b = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&a, n * 4));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&b, n * 4));
    EXPECT_EQ(a % 256, 0u);
    EXPECT_EQ(b % 256, 0u);
    size_t free_after = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemGetInfo(&free_after, &total));
    EXPECT_EQ(free_before - free_after, 2 * n * 4);

    // Fresh memory holds the garbage pattern.
    std::vector<unsigned char> raw(n * 4);
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoH(raw.data(), a, raw.size()));
    for (unsigned char x : raw) ASSERT_EQ(x, 0xCD);

    std::vector<uint32_t> host(n), back(n, 0);
    for (size_t i = 0; i < n; ++i) host[i] = static_cast<uint32_t>(i * 7 + 1);
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyHtoD(a, host.data(), n * 4));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoD(b, a, n * 4));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoH(back.data(), b, n * 4));
    EXPECT_EQ(back, host);

    // Async forms on a stream, unified cuMemcpy, memsets.
    CUstream s = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD32Async(a, 0xDEADBEEF, n, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoDAsync(b + 4, a, 8, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoHAsync(back.data(), b, n * 4, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamSynchronize(s));
    EXPECT_EQ(back[0], host[0]);
    EXPECT_EQ(back[1], 0xDEADBEEFu);
    EXPECT_EQ(back[2], 0xDEADBEEFu);
    EXPECT_EQ(back[3], host[3]);
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD8Async(a, 0x11, 3, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyHtoDAsync(b, host.data() + 10, 4, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpy(reinterpret_cast<CUdeviceptr>(back.data()), a, 8));
    EXPECT_EQ(back[0], 0xDE111111u);
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD8(a, 0, n * 4));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD32(a + 8, 5, 1));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoH(back.data(), a, 16));
    EXPECT_EQ(back[0], 0u);
    EXPECT_EQ(back[2], 5u);
    EXPECT_EQ(back[3], 0u);
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(s));

    // Device ranges must lie in an allocation.
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemcpyHtoD(a, host.data(), n * 4 + 4));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemcpyDtoH(back.data(), a + 4, n * 4));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemcpyDtoD(a, b + 8, n * 4));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemsetD8(a + n * 4, 0, 1));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemsetD32(a + 2, 0, 1));  // misaligned
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemcpyHtoD(reinterpret_cast<CUdeviceptr>(host.data()), back.data(), 4));

    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(a));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemFree(a));  // twice
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemFree(b + 4));  // not an allocation's start
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemcpyDtoH(back.data(), a, 4));  // freed
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(b));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemAlloc(&a, 0));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuMemAlloc(nullptr, 16));
    EXPECT_CU(CUDA_ERROR_OUT_OF_MEMORY, cu.cuMemAlloc(&a, size_t(1) << 40));
}

TEST(Driver, PointerAttributes) {
    Cu& cu = shared_driver();
    CUcontext ctx = make_current(cu);
    CUdeviceptr p = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, 1000));
    const CUdeviceptr inside = p + 100;
    int ordinal = -1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, inside));
    EXPECT_EQ(ordinal, 0);
    CUcontext owner = nullptr;
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttribute(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, inside));
    EXPECT_EQ(owner, ctx);
    unsigned type = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, inside));
    EXPECT_EQ(type, static_cast<unsigned>(CU_MEMORYTYPE_DEVICE));
    CUdeviceptr start = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttribute(&start, CU_POINTER_ATTRIBUTE_RANGE_START_ADDR, inside));
    EXPECT_EQ(start, p);
    size_t size = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttribute(&size, CU_POINTER_ATTRIBUTE_RANGE_SIZE, inside));
    EXPECT_EQ(size, 1000u);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuPointerGetAttribute(nullptr, CU_POINTER_ATTRIBUTE_RANGE_SIZE, p));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuPointerGetAttribute(&size, CU_POINTER_ATTRIBUTE_RANGE_SIZE, p + 1000));
    int host_var = 0;
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                                                 reinterpret_cast<CUdeviceptr>(&host_var)));

    CUpointer_attribute attrs[] = {CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, CU_POINTER_ATTRIBUTE_CONTEXT,
                                   CU_POINTER_ATTRIBUTE_RANGE_SIZE};
    int o = -5;
    CUcontext c = nullptr;
    size_t sz = 0;
    void* data[] = {&o, &c, &sz};
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttributes(3, attrs, data, inside));
    EXPECT_EQ(o, 0);
    EXPECT_EQ(c, ctx);
    EXPECT_EQ(sz, 1000u);
    // Unknown memory: empty values, and success.
    EXPECT_CU(CUDA_SUCCESS, cu.cuPointerGetAttributes(3, attrs, data, reinterpret_cast<CUdeviceptr>(&host_var)));
    EXPECT_EQ(c, nullptr);
    EXPECT_EQ(sz, 0u);
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(p));
}

// ---------------------------------------------------------------------------
// Streams and events

TEST(Driver, StreamsAndEvents) {
    Cu& cu = shared_driver();
    CUcontext ctx = make_current(cu);
    CUstream s = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreateWithPriority(&s, CU_STREAM_NON_BLOCKING, -1));
    CUcontext owner = nullptr;
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamGetCtx(s, &owner));
    EXPECT_EQ(owner, ctx);
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamGetCtx(nullptr, &owner));
    EXPECT_EQ(owner, ctx);
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamGetCtx(CU_STREAM_LEGACY, &owner));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamQuery(s));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuStreamCreate(&s, 0x40));

    CUevent start = nullptr, stop = nullptr, untimed = nullptr, never = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventCreate(&start, CU_EVENT_DEFAULT));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventCreate(&stop, CU_EVENT_DEFAULT));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventCreate(&untimed, CU_EVENT_DISABLE_TIMING));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventCreate(&never, CU_EVENT_DEFAULT));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuEventCreate(&never, CU_EVENT_INTERPROCESS));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventRecord(start, s));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventRecordWithFlags(stop, s, 0));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventRecord(untimed, nullptr));
    EXPECT_CU(CUDA_SUCCESS, cu.cuEventSynchronize(stop));
    EXPECT_CU(CUDA_SUCCESS, cu.cuEventQuery(stop));
    EXPECT_CU(CUDA_SUCCESS, cu.cuEventQuery(never));  // never recorded: complete
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamWaitEvent(s, stop, 0));
    float ms = -1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuEventElapsedTime(&ms, start, stop));
    EXPECT_GE(ms, 15.0f);
    EXPECT_LT(ms, 5000.0f);
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuEventElapsedTime(&ms, start, untimed));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuEventElapsedTime(&ms, start, never));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuEventElapsedTime(nullptr, start, stop));

    for (CUevent e : {start, stop, untimed, never}) EXPECT_CU(CUDA_SUCCESS, cu.cuEventDestroy(e));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuEventRecord(start, s));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuEventDestroy(start));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(s));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuStreamSynchronize(s));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuStreamDestroy(s));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuStreamDestroy(nullptr));
}

// ---------------------------------------------------------------------------
// Graphs

TEST(Driver, CaptureRecordsAMemsetAndTheGraphReplaysIt) {
    Cu& cu = shared_driver();
    make_current(cu);
    CUdeviceptr p = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, 64));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD8(p, 0, 64));
    CUstream s = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));

    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, cu.cuStreamBeginCapture(nullptr, CU_STREAM_CAPTURE_MODE_GLOBAL));
    CUgraph graph = nullptr;
    EXPECT_CU(CUDA_ERROR_ILLEGAL_STATE, cu.cuStreamEndCapture(s, &graph));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL));
    EXPECT_CU(CUDA_ERROR_ILLEGAL_STATE, cu.cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL));
    CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamIsCapturing(s, &status));
    EXPECT_EQ(status, CU_STREAM_CAPTURE_STATUS_ACTIVE);
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD8Async(p, 0x5A, 16, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD32Async(p + 32, 0x01020304, 2, s));
    std::vector<unsigned char> host(64, 0xEE);
    // Recorded, not run: the memory is unchanged (a synchronous copy on the
    // legacy stream of a non-blocking capture is allowed in relaxed terms
    // only, so read it through the host pointer: ptxsim's device memory is host memory).
    std::memcpy(host.data(), reinterpret_cast<const void*>(p), 64);
    EXPECT_EQ(host[0], 0);
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamEndCapture(s, &graph));
    ASSERT_NE(graph, nullptr);
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamIsCapturing(s, &status));
    EXPECT_EQ(status, CU_STREAM_CAPTURE_STATUS_NONE);

    size_t count = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphGetNodes(graph, nullptr, &count));
    EXPECT_EQ(count, 2u);
    CUgraphNode nodes[2] = {};
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphGetNodes(graph, nodes, &count));
    CUgraphNodeType type{};
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphNodeGetType(nodes[0], &type));
    EXPECT_EQ(type, CU_GRAPH_NODE_TYPE_MEMSET);

    CUgraphExec exec = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuGraphInstantiateWithFlags(&exec, graph, 0));
    for (int round = 0; round < 2; ++round) {
        ASSERT_CU(CUDA_SUCCESS, cu.cuMemsetD8(p, 0, 64));
        ASSERT_CU(CUDA_SUCCESS, cu.cuGraphLaunch(exec, s));
        ASSERT_CU(CUDA_SUCCESS, cu.cuStreamSynchronize(s));
        ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoH(host.data(), p, 64));
        EXPECT_EQ(host[0], 0x5A);
        EXPECT_EQ(host[15], 0x5A);
        EXPECT_EQ(host[16], 0);
        EXPECT_EQ(host[32], 0x04);
        EXPECT_EQ(host[39], 0x01);
        EXPECT_EQ(host[40], 0);
    }
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphExecDestroy(exec));
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphDestroy(graph));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuGraphLaunch(exec, s));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(s));
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(p));
}

TEST(Driver, UnsafeCallsInvalidateAGlobalCapture) {
    Cu& cu = shared_driver();
    make_current(cu);
    CUstream s = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
    CUdeviceptr p = 0;
    CUgraph graph = nullptr;

    // An allocation during a global-mode capture (from any thread).
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL));
    std::thread([&] {
        CUcontext ctx = nullptr;
        EXPECT_EQ(cu.cuDevicePrimaryCtxRetain(&ctx, 0), CUDA_SUCCESS);
        EXPECT_EQ(cu.cuCtxSetCurrent(ctx), CUDA_SUCCESS);
        EXPECT_EQ(cu.cuMemAlloc(&p, 16), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
        EXPECT_EQ(cu.cuDevicePrimaryCtxRelease(0), CUDA_SUCCESS);
    }).join();
    CUstreamCaptureStatus status{};
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamIsCapturing(s, &status));
    EXPECT_EQ(status, CU_STREAM_CAPTURE_STATUS_INVALIDATED);
    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, cu.cuStreamEndCapture(s, &graph));
    EXPECT_EQ(graph, nullptr);

    // Synchronising the capturing stream.
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_RELAXED));
    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, cu.cuStreamSynchronize(s));
    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, cu.cuStreamEndCapture(s, &graph));

    // Relaxed mode allows allocations; a thread-local capture only stops its own thread.
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
    std::thread([&] {
        EXPECT_EQ(cu.cuCtxSetCurrent(nullptr), CUDA_SUCCESS);
        CUcontext ctx = nullptr;
        EXPECT_EQ(cu.cuDevicePrimaryCtxRetain(&ctx, 0), CUDA_SUCCESS);
        EXPECT_EQ(cu.cuCtxSetCurrent(ctx), CUDA_SUCCESS);
        EXPECT_EQ(cu.cuMemAlloc(&p, 16), CUDA_SUCCESS);
        EXPECT_EQ(cu.cuMemFree(p), CUDA_SUCCESS);
        EXPECT_EQ(cu.cuDevicePrimaryCtxRelease(0), CUDA_SUCCESS);
        CUgraph g = nullptr;
        EXPECT_EQ(cu.cuStreamEndCapture(s, &g), CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD);
    }).join();
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamEndCapture(s, &graph));
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphDestroy(graph));

    // The legacy stream while a blocking stream captures.
    CUstream blocking = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&blocking, CU_STREAM_DEFAULT));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(blocking, CU_STREAM_CAPTURE_MODE_RELAXED));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, 16));
    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_IMPLICIT, cu.cuMemsetD8Async(p, 0, 16, nullptr));
    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, cu.cuStreamEndCapture(blocking, &graph));
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(p));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(blocking));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(s));
}

TEST(Driver, CrossStreamCaptureIsRefusedLoudly) {
    Cu& cu = shared_driver();
    make_current(cu);
    CUstream a = nullptr, b = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&a, CU_STREAM_NON_BLOCKING));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&b, CU_STREAM_NON_BLOCKING));
    CUevent e = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventCreate(&e, CU_EVENT_DISABLE_TIMING));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(a, CU_STREAM_CAPTURE_MODE_GLOBAL));
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventRecord(e, a));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamWaitEvent(a, e, 0));  // the same stream: fine
    testing::internal::CaptureStderr();
    EXPECT_CU(CUDA_ERROR_NOT_SUPPORTED, cu.cuStreamWaitEvent(b, e, 0));
    EXPECT_NE(testing::internal::GetCapturedStderr().find("cross-stream capture"), std::string::npos);
    CUgraph graph = nullptr;
    EXPECT_CU(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, cu.cuStreamEndCapture(a, &graph));
    // Outside a capture, waits are plain.
    ASSERT_CU(CUDA_SUCCESS, cu.cuEventRecord(e, a));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamWaitEvent(b, e, 0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuEventDestroy(e));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(a));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(b));
}

TEST(Driver, ManyThreadsAtOnce) {
    Cu& cu = shared_driver();
    CUcontext ctx = make_current(cu);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            if (cu.cuCtxSetCurrent(ctx) != CUDA_SUCCESS) ++failures;
            CUstream s = nullptr;
            if (cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING) != CUDA_SUCCESS) ++failures;
            for (int i = 0; i < 200; ++i) {
                CUdeviceptr p = 0;
                const size_t bytes = 64 + static_cast<size_t>(t * 13 + i);
                if (cu.cuMemAlloc(&p, bytes) != CUDA_SUCCESS) {
                    ++failures;
                    continue;
                }
                std::vector<unsigned char> back(bytes);
                if (cu.cuMemsetD8Async(p, static_cast<unsigned char>(t), bytes, s) != CUDA_SUCCESS) ++failures;
                if (cu.cuMemcpyDtoHAsync(back.data(), p, bytes, s) != CUDA_SUCCESS) ++failures;
                if (cu.cuStreamSynchronize(s) != CUDA_SUCCESS) ++failures;
                if (back.front() != t || back.back() != t) ++failures;
                if (cu.cuMemFree(p) != CUDA_SUCCESS) ++failures;
            }
            if (cu.cuStreamDestroy(s) != CUDA_SUCCESS) ++failures;
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------
// Modules

TEST(Driver, LoadsThePtxOfAFatbin) {
    Cu& cu = shared_driver();
    make_current(cu);
    const Image image("tiny_ptx80.fatbin");
    CUmodule mod = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuModuleLoadData(&mod, image.data()));
    CUfunction f = nullptr;
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleGetFunction(&f, mod, "add_one"));
    CUfunction again = nullptr;
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleGetFunction(&again, mod, "add_one"));
    EXPECT_EQ(f, again);
    EXPECT_CU(CUDA_ERROR_NOT_FOUND, cu.cuModuleGetFunction(&f, mod, "no_such_kernel"));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuModuleGetFunction(&f, mod, nullptr));
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleUnload(mod));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuModuleGetFunction(&f, mod, "add_one"));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuModuleUnload(mod));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuModuleLoadData(nullptr, image.data()));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuModuleLoadData(&mod, nullptr));

    // Plain PTX text works too.
    const std::string ptx = read_file(PTXSIM_TINY_PTX);
    ASSERT_CU(CUDA_SUCCESS, cu.cuModuleLoadData(&mod, ptx.c_str()));
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleGetFunction(&f, mod, "poke"));
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleUnload(mod));
}

TEST(Driver, PicksThePtxForTheModelledDevice) {
    const Image image("tiny_multi.fatbin");
    {
        Cu& cu = shared_driver();  // H100: compute_90a first
        make_current(cu);
        CUmodule mod = nullptr;
        ASSERT_CU(CUDA_SUCCESS, cu.cuModuleLoadData(&mod, image.data()));
        CUfunction f = nullptr;
        EXPECT_CU(CUDA_SUCCESS, cu.cuModuleGetFunction(&f, mod, "tiny_sm90a"));
        EXPECT_CU(CUDA_ERROR_NOT_FOUND, cu.cuModuleGetFunction(&f, mod, "tiny_sm80"));
        EXPECT_CU(CUDA_SUCCESS, cu.cuModuleUnload(mod));
    }
    {
        Cu cu = fresh_driver({{"PTXSIM_DEVICE", "a100"}});  // A100: compute_80
        make_current(cu);
        CUmodule mod = nullptr;
        ASSERT_CU(CUDA_SUCCESS, cu.cuModuleLoadData(&mod, image.data()));
        CUfunction f = nullptr;
        EXPECT_CU(CUDA_SUCCESS, cu.cuModuleGetFunction(&f, mod, "tiny_sm80"));
        EXPECT_CU(CUDA_ERROR_NOT_FOUND, cu.cuModuleGetFunction(&f, mod, "tiny_sm90a"));
        // PTX for sm_90a only: nothing an A100 can run.
        const Image only90a("tiny_ptx90a.fatbin");
        EXPECT_CU(CUDA_ERROR_NO_BINARY_FOR_GPU, cu.cuModuleLoadData(&mod, only90a.data()));
    }
}

TEST(Driver, RejectsImagesWithoutUsablePtx) {
    Cu& cu = shared_driver();
    make_current(cu);
    CUmodule mod = nullptr;
    char error_log[1024] = {};
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void* values[] = {error_log, reinterpret_cast<void*>(sizeof error_log)};

    const Image compressed("tiny_compressed.fatbin");
    EXPECT_CU(CUDA_ERROR_INVALID_IMAGE, cu.cuModuleLoadDataEx(&mod, compressed.data(), 2, options, values));
    EXPECT_NE(std::string(error_log).find("compressed"), std::string::npos) << error_log;

    const Image sass("tiny_sass.fatbin");
    values[1] = reinterpret_cast<void*>(sizeof error_log);
    EXPECT_CU(CUDA_ERROR_INVALID_IMAGE, cu.cuModuleLoadDataEx(&mod, sass.data(), 2, options, values));
    EXPECT_NE(std::string(error_log).find("ptxsim runs PTX; this image has none"), std::string::npos) << error_log;

    const std::string cubin = read_file(std::string(PTXSIM_TEST_DATA) + "/tiny.sm_80.cubin");
    EXPECT_CU(CUDA_ERROR_INVALID_IMAGE, cu.cuModuleLoadData(&mod, cubin.data()));
    EXPECT_CU(CUDA_ERROR_INVALID_IMAGE, cu.cuModuleLoadData(&mod, "this is not PTX"));
    EXPECT_CU(CUDA_ERROR_INVALID_IMAGE, cu.cuModuleLoadData(&mod, ""));
}

TEST(Driver, FunctionAttributesAndParameters) {
    Cu& cu = shared_driver();
    make_current(cu);
    const Image image("tiny_ptx80.fatbin");
    CUmodule mod = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuModuleLoadData(&mod, image.data()));
    CUfunction f = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuModuleGetFunction(&f, mod, "add_one"));

    size_t offset = 99, size = 99;
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetParamInfo(f, 0, &offset, &size));
    EXPECT_EQ(offset, 0u);
    EXPECT_EQ(size, 8u);
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetParamInfo(f, 1, &offset, &size));
    EXPECT_EQ(offset, 8u);
    EXPECT_EQ(size, 4u);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuFuncGetParamInfo(f, 2, &offset, &size));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuFuncGetParamInfo(f, 0, nullptr, &size));

    int v = -1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f));
    EXPECT_EQ(v, 1024);
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f));
    EXPECT_EQ(v, 0);
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, f));
    EXPECT_EQ(v, 48 * 1024);
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_PTX_VERSION, f));
    EXPECT_EQ(v, 80);
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_BINARY_VERSION, f));
    EXPECT_EQ(v, 90);
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_NUM_REGS, f));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuFuncGetAttribute(nullptr, CU_FUNC_ATTRIBUTE_NUM_REGS, f));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_NUM_REGS, nullptr));

    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 232448));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 232449));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, -1));
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, f));
    EXPECT_EQ(v, 232448);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 10));
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1));
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, f));
    EXPECT_EQ(v, 1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleUnload(mod));
}

// ---------------------------------------------------------------------------
// Launches

struct Tiny {
    CUmodule mod = nullptr;
    CUfunction add_one = nullptr;
    CUfunction poke = nullptr;
};

Tiny load_tiny(const Cu& cu) {
    const Image image("tiny_ptx80.fatbin");
    Tiny t;
    EXPECT_EQ(cu.cuModuleLoadData(&t.mod, image.data()), CUDA_SUCCESS);
    EXPECT_EQ(cu.cuModuleGetFunction(&t.add_one, t.mod, "add_one"), CUDA_SUCCESS);
    EXPECT_EQ(cu.cuModuleGetFunction(&t.poke, t.mod, "poke"), CUDA_SUCCESS);
    return t;
}

CUlaunchConfig config(unsigned grid, unsigned block, unsigned smem = 0, CUstream s = nullptr) {
    CUlaunchConfig c{};
    c.gridDimX = grid;
    c.gridDimY = 1;
    c.gridDimZ = 1;
    c.blockDimX = block;
    c.blockDimY = 1;
    c.blockDimZ = 1;
    c.sharedMemBytes = smem;
    c.hStream = s;
    return c;
}

TEST(Driver, LaunchesAreValidatedLikeTheDriver) {
    Cu& cu = shared_driver();
    make_current(cu);
    Tiny t = load_tiny(cu);
    CUdeviceptr p = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, 4096));
    unsigned n = 0;  // no thread touches memory
    void* params[] = {&p, &n};

    CUlaunchConfig c = config(1, 0);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    c = config(0, 32);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    c = config(1, 1025);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    c = config(1, 32);
    c.blockDimZ = 65;
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    c = config(1, 32);
    c.gridDimY = 65536;
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    // Dynamic shared memory beyond 48 KB needs the attribute.
    c = config(1, 32, 48 * 1024 + 1);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.poke, params, nullptr));
    c = config(1, 32, 48 * 1024);
    EXPECT_CU(CUDA_SUCCESS, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    // Parameters: both forms at once, or none for a kernel that takes some.
    uint8_t buffer[16] = {};
    size_t buffer_size = sizeof buffer;
    void* extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, buffer, CU_LAUNCH_PARAM_BUFFER_SIZE, &buffer_size,
                     CU_LAUNCH_PARAM_END};
    c = config(1, 32);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, params, extra));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, nullptr, nullptr));
    size_t short_size = 8;
    void* short_extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, buffer, CU_LAUNCH_PARAM_BUFFER_SIZE, &short_size,
                           CU_LAUNCH_PARAM_END};
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(&c, t.add_one, nullptr, short_extra));
    EXPECT_CU(CUDA_SUCCESS, cu.cuLaunchKernelEx(&c, t.add_one, nullptr, extra));
    EXPECT_CU(CUDA_ERROR_INVALID_HANDLE, cu.cuLaunchKernelEx(&c, nullptr, params, nullptr));
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE, cu.cuLaunchKernelEx(nullptr, t.add_one, params, nullptr));
    EXPECT_CU(CUDA_SUCCESS, cu.cuLaunchKernel(t.add_one, 2, 1, 1, 64, 1, 1, 0, nullptr, params, nullptr));

    // Clusters: the grid must be a whole number of them, of at most 8 blocks
    // (16 with the non-portable attribute).
    CUlaunchAttribute attr[2] = {};
    attr[0].id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    attr[0].value.clusterDim.x = 3;
    attr[0].value.clusterDim.y = 1;
    attr[0].value.clusterDim.z = 1;
    attr[1].id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attr[1].value.programmaticStreamSerializationAllowed = 1;
    c = config(4, 32);
    c.attrs = attr;
    c.numAttrs = 2;
    EXPECT_CU(CUDA_ERROR_INVALID_CLUSTER_SIZE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    attr[0].value.clusterDim.x = 2;
    EXPECT_CU(CUDA_SUCCESS, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    attr[0].value.clusterDim.x = 16;
    c.gridDimX = 32;
    EXPECT_CU(CUDA_ERROR_INVALID_CLUSTER_SIZE, cu.cuLaunchKernelEx(&c, t.poke, params, nullptr));
    ASSERT_CU(CUDA_SUCCESS, cu.cuFuncSetAttribute(t.poke, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1));
    attr[0].value.clusterDim.x = 32;
    EXPECT_CU(CUDA_ERROR_INVALID_CLUSTER_SIZE, cu.cuLaunchKernelEx(&c, t.poke, params, nullptr));

    // Occupancy: 1024-thread blocks, two per SM; with 200 KB of shared memory one.
    CUlaunchConfig oc = config(2, 1024);
    attr[0].value.clusterDim.x = 2;
    oc.attrs = attr;
    oc.numAttrs = 1;
    int clusters = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuOccupancyMaxActiveClusters(&clusters, t.add_one, &oc));
    EXPECT_EQ(clusters, 132);
    ASSERT_CU(CUDA_SUCCESS, cu.cuFuncSetAttribute(t.add_one, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 200 * 1024));
    oc.sharedMemBytes = 200 * 1024;
    EXPECT_CU(CUDA_SUCCESS, cu.cuOccupancyMaxActiveClusters(&clusters, t.add_one, &oc));
    EXPECT_EQ(clusters, 66);
    int blocks = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, t.add_one, 256, 0));
    EXPECT_EQ(blocks, 8);
    EXPECT_CU(CUDA_SUCCESS, cu.cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, t.add_one, 128, 100 * 1024));
    EXPECT_EQ(blocks, 2);

    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(p));
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleUnload(t.mod));
}

TEST(Driver, NoClustersOnAnA100) {
    Cu cu = fresh_driver({{"PTXSIM_DEVICE", "a100"}});
    make_current(cu);
    Tiny t = load_tiny(cu);
    CUdeviceptr p = 0;
    unsigned n = 0;
    void* params[] = {&p, &n};
    CUlaunchAttribute attr{};
    attr.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    attr.value.clusterDim.x = 2;
    attr.value.clusterDim.y = 1;
    attr.value.clusterDim.z = 1;
    CUlaunchConfig c = config(2, 32);
    c.attrs = &attr;
    c.numAttrs = 1;
    EXPECT_CU(CUDA_ERROR_INVALID_CLUSTER_SIZE, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    int v = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_BINARY_VERSION, t.add_one));
    EXPECT_EQ(v, 80);
    EXPECT_CU(CUDA_ERROR_INVALID_VALUE,
              cu.cuFuncSetAttribute(t.add_one, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 166913));
    EXPECT_CU(CUDA_SUCCESS, cu.cuFuncSetAttribute(t.add_one, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 166912));
}

// Kernels that run: need the executor.

TEST(Driver, KernelsRunWithBothParameterForms) {
    REQUIRE_EXECUTOR();
    Cu& cu = shared_driver();
    make_current(cu);
    Tiny t = load_tiny(cu);
    constexpr unsigned n = 1000;
    std::vector<uint32_t> host(n);
    for (unsigned i = 0; i < n; ++i) host[i] = i;
    CUdeviceptr p = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, n * 4));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyHtoD(p, host.data(), n * 4));
    unsigned count = n;
    void* params[] = {&p, &count};
    CUlaunchConfig c = config(4, 256);
    ASSERT_CU(CUDA_SUCCESS, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    struct {
        CUdeviceptr p;
        uint32_t n;
        uint32_t pad;
    } args{p, n - 1, 0};
    size_t size = 12;
    void* extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, &args, CU_LAUNCH_PARAM_BUFFER_SIZE, &size, CU_LAUNCH_PARAM_END};
    ASSERT_CU(CUDA_SUCCESS, cu.cuLaunchKernel(t.add_one, 4, 1, 1, 256, 1, 1, 0, nullptr, nullptr, extra));
    ASSERT_CU(CUDA_SUCCESS, cu.cuCtxSynchronize());
    std::vector<uint32_t> back(n);
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoH(back.data(), p, n * 4));
    for (unsigned i = 0; i < n; ++i) ASSERT_EQ(back[i], i + (i < n - 1 ? 2 : 1)) << i;

    // A captured launch replays with the parameters it was captured with.
    CUstream s = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL));
    c = config(4, 256, 0, s);
    ASSERT_CU(CUDA_SUCCESS, cu.cuLaunchKernelEx(&c, t.add_one, params, nullptr));
    count = 0;  // changing the host variable afterwards does not change the graph
    CUgraph graph = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamEndCapture(s, &graph));
    CUgraphExec exec = nullptr;
    ASSERT_CU(CUDA_SUCCESS, cu.cuGraphInstantiateWithFlags(&exec, graph, 0));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyHtoD(p, host.data(), n * 4));
    ASSERT_CU(CUDA_SUCCESS, cu.cuGraphLaunch(exec, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuGraphLaunch(exec, s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuStreamSynchronize(s));
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemcpyDtoH(back.data(), p, n * 4));
    for (unsigned i = 0; i < n; ++i) ASSERT_EQ(back[i], i + 2) << i;
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphExecDestroy(exec));
    EXPECT_CU(CUDA_SUCCESS, cu.cuGraphDestroy(graph));
    EXPECT_CU(CUDA_SUCCESS, cu.cuStreamDestroy(s));
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(p));
    EXPECT_CU(CUDA_SUCCESS, cu.cuModuleUnload(t.mod));
}

TEST(Driver, AKernelFaultIsStickyForItsContext) {
    REQUIRE_EXECUTOR();
    Cu cu = fresh_driver({{"PTXSIM_DEVICE_COUNT", "2"}});
    CUcontext c0 = make_current(cu, 0);
    Tiny t = load_tiny(cu);
    CUdeviceptr p = 0;
    ASSERT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&p, 64));
    CUdeviceptr bad = p + 4096 * 16;  // outside every allocation
    unsigned value = 7;
    void* params[] = {&bad, &value};
    CUlaunchConfig c = config(1, 1);
    testing::internal::CaptureStderr();
    // The launch itself succeeds: the fault surfaces at the next call.
    EXPECT_CU(CUDA_SUCCESS, cu.cuLaunchKernelEx(&c, t.poke, params, nullptr));
    const std::string report = testing::internal::GetCapturedStderr();
    EXPECT_NE(report.find("ptxsim: "), std::string::npos) << report;
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuCtxSynchronize());
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuCtxSynchronize());  // and stays
    std::vector<uint8_t> host(64);
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuMemcpyDtoH(host.data(), p, 64));
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuMemcpyHtoD(p, host.data(), 64));
    CUdeviceptr q = 0;
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuMemAlloc(&q, 64));
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuLaunchKernelEx(&c, t.poke, params, nullptr));
    CUstream s = nullptr;
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuStreamCreate(&s, 0));
    EXPECT_CU(CUDA_ERROR_ILLEGAL_ADDRESS, cu.cuStreamSynchronize(nullptr));
    // Queries of the context still work.
    unsigned long long id = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetId(c0, &id));
    CUdevice dev = -1;
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetDevice(&dev));

    // Another device's context is unaffected.
    make_current(cu, 1);
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxSynchronize());
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&q, 64));
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemFree(q));

    // Resetting the primary context makes device 0 usable again (a new context).
    EXPECT_CU(CUDA_SUCCESS, cu.cuDevicePrimaryCtxReset(0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxSetCurrent(c0));
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxSynchronize());
    unsigned long long new_id = 0;
    EXPECT_CU(CUDA_SUCCESS, cu.cuCtxGetId(c0, &new_id));
    EXPECT_NE(new_id, id);
    EXPECT_CU(CUDA_SUCCESS, cu.cuMemAlloc(&q, 64));
}

// Launches a faulting kernel in a driver instance with PTXSIM_ABORT_ON_FAULT=1.
void fault_with_abort_on_fault() {
    Cu cu = fresh_driver({{"PTXSIM_ABORT_ON_FAULT", "1"}});
    make_current(cu);
    Tiny t = load_tiny(cu);
    CUdeviceptr bad = 0x1000;
    unsigned value = 1;
    void* params[] = {&bad, &value};
    CUlaunchConfig c = config(1, 1);
    cu.cuLaunchKernelEx(&c, t.poke, params, nullptr);
}

TEST(DriverDeathTest, AbortOnFaultStopsAtTheFault) {
    REQUIRE_EXECUTOR();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(fault_with_abort_on_fault(), "PTXSIM_ABORT_ON_FAULT is set: aborting");
}

}  // namespace
