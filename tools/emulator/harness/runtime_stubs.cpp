#include "runtime_stubs.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "driver/check.hpp"
#include "host.hpp"
#include "runtime/context.hpp"
#include "runtime/launch.hpp"

namespace emu::harness {
namespace {
ptxkit::DeviceProperties g_device;
int g_max_active_clusters = 0;
std::vector<std::string> g_launches, g_notes;
}  // namespace

void reset_device(int sm_count) {
    g_device = ptxkit::DeviceProperties{};
    g_device.name = "emulated H100";
    g_device.cc_major = 9;
    g_device.cc_minor = 0;
    g_device.sm_count = sm_count;
    g_device.shared_memory_per_block_optin = 227 * 1024;
    g_device.shared_memory_per_sm = 228 * 1024;
}
const ptxkit::DeviceProperties& device() { return g_device; }
void set_max_active_clusters(int clusters) { g_max_active_clusters = clusters; }
std::vector<std::string>& launches() { return g_launches; }

void record_launch(const ptxkit::detail::Kernel& kernel, const ptxkit::detail::LaunchConfig& c) {
    g_launches.push_back(std::string(c.op) + " " + kernel.name + " grid " + std::to_string(c.grid.x) + " cluster " +
                         std::to_string(c.cluster.x) + " block " + std::to_string(c.block.x) + " smem " +
                         std::to_string(c.dynamic_shared_bytes) + " | " + c.config + " | " + c.shapes);
}

void bad_launch(const std::string& why) {
    std::fprintf(stderr, "%s\n", why.c_str());
    std::_Exit(4);
}
std::vector<std::string>& tensor_map_notes() { return g_notes; }
}  // namespace emu::harness

namespace ptxkit {
int current_device() { return 0; }
const DeviceProperties& device_properties(int) { return emu::harness::device(); }
}  // namespace ptxkit

namespace ptxkit::detail {
bool log_enabled() noexcept { return true; }  // every launch builds its config/shapes text (printed on failure)
// As in src/runtime/launch.cpp (not linked here): the models set the GEMM's switches.
bool env_flag(const char* name) noexcept {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}
[[noreturn]] void throw_driver_error(CUresult rc, const char* call, std::string_view context) {
    throw Error(Status::internal, std::string(call) + " failed (" + std::to_string(int(rc)) + ") " + std::string(context));
}
ContextState::ContextState(CUcontext c, unsigned long long id, int ordinal) : context_(c), id_(id), ordinal_(ordinal) {}
namespace {
ContextState g_state(nullptr, 1, 0);
}  // namespace
OpContext::OpContext(CUstream) { state_ = &g_state; }
OpContext::~OpContext() {}
int ContextState::max_active_clusters(const Kernel&, unsigned, unsigned, unsigned) {
    return emu::harness::g_max_active_clusters;
}
// Kernels are named, never loaded: launch_raw dispatches on module and name.
const Kernel& ContextState::kernel(std::string_view module, std::string_view name) {
    static std::map<std::string, Kernel> kernels;
    Kernel& k = kernels[std::string(module) + ":" + std::string(name)];
    k.module = std::string(module);
    k.name = std::string(name);
    return k;
}

namespace {
// cuTensorMapEncodeTiled: the requirements of its cuda.h documentation, then
// the emulator's encoding (emu::EmuTensorMap) into the CUtensorMap.
CUresult encode_tiled(CUtensorMap* map, CUtensorMapDataType type, cuuint32_t rank, void* base, const cuuint64_t* dims,
                      const cuuint64_t* strides, const cuuint32_t* box, const cuuint32_t* estr,
                      CUtensorMapInterleave interleave, CUtensorMapSwizzle swizzle, CUtensorMapL2promotion l2,
                      CUtensorMapFloatOOBfill oob) {
    auto bad = [](const char* why) {
        std::fprintf(stderr, "cuTensorMapEncodeTiled: %s\n", why);
        return CUDA_ERROR_INVALID_VALUE;
    };
    if (reinterpret_cast<uintptr_t>(map) % 64) return bad("tensorMap not 64-byte aligned");
    if (rank < 1 || rank > 4) return bad("rank (emulator: 1..4)");
    if (reinterpret_cast<uintptr_t>(base) % 16) return bad("globalAddress not 16-byte aligned");
    uint32_t es = 0;
    switch (type) {
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT16: case CU_TENSOR_MAP_DATA_TYPE_BFLOAT16: case CU_TENSOR_MAP_DATA_TYPE_UINT16:
            es = 2;
            break;
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT32: case CU_TENSOR_MAP_DATA_TYPE_UINT32: es = 4; break;
        case CU_TENSOR_MAP_DATA_TYPE_UINT8: es = 1; break;
        default: return bad("data type (emulator)");
    }
    for (cuuint32_t d = 0; d < rank; ++d) {
        if (dims[d] == 0 || dims[d] > (1ull << 32)) return bad("globalDim must be in [1, 2^32]");
        if (box[d] == 0 || box[d] > 256) return bad("boxDim must be in [1, 256]");
        if (estr[d] == 0 || estr[d] > 8) return bad("elementStrides");
        if (estr[d] != 1) return bad("emulator: elementStrides != 1 not modelled");
    }
    for (cuuint32_t d = 0; d + 1 < rank; ++d)
        if (strides[d] % 16 || strides[d] >= (1ull << 40)) return bad("globalStrides: multiple of 16, < 2^40");
    // cuda.h: "globalStrides[0] = globalDim[0] * elementSizeInBytes + padding[0]"
    // (rows do not overlap). Its next line, "Each following dimension specified
    // includes previous dimension stride", reads as an example, not a
    // requirement: noted, not refused.
    if (rank > 1 && strides[0] < dims[0] * es) return bad("globalStrides[0] < globalDim[0] * elementSize");
    for (cuuint32_t d = 1; d + 1 < rank; ++d)
        if (strides[d] < strides[d - 1] && dims[d + 1] > 1 && dims[d] > 1) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "non-increasing globalStrides (stride[%u]=%llu < stride[%u]=%llu)", d,
                          (unsigned long long)strides[d], d - 1, (unsigned long long)strides[d - 1]);
            emu::harness::tensor_map_notes().push_back(buf);
        }
    if (interleave != CU_TENSOR_MAP_INTERLEAVE_NONE) return bad("emulator: interleave");
    const uint32_t inner = box[0] * es;
    if (inner % 16) return bad("boxDim[0] bytes not a multiple of 16");
    if ((swizzle == CU_TENSOR_MAP_SWIZZLE_32B && inner > 32) || (swizzle == CU_TENSOR_MAP_SWIZZLE_64B && inner > 64) ||
        (swizzle == CU_TENSOR_MAP_SWIZZLE_128B && inner > 128))
        return bad("inner box > swizzle span");
    if (oob != CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) return bad("emulator: only OOB_FILL_NONE (zeros) modelled");
    emu::EmuTensorMap m{};
    m.magic = emu::kTensorMapMagic;
    m.dtype = int(type);
    m.rank = int(rank);
    m.base = reinterpret_cast<uint64_t>(base);
    for (cuuint32_t d = 0; d < rank; ++d) {
        m.dims[d] = dims[d];
        m.box[d] = box[d];
        m.estr[d] = uint8_t(estr[d]);
    }
    for (cuuint32_t d = 0; d + 1 < rank; ++d) m.strides[d] = strides[d];
    m.interleave = int8_t(interleave);
    m.swizzle = int8_t(swizzle);
    m.l2 = int8_t(l2);
    m.oob = int8_t(oob);
    m.esize = es;
    std::memset(map, 0, sizeof(*map));
    std::memcpy(map, &m, sizeof(m));
    return CUDA_SUCCESS;
}
}  // namespace

const DriverApi& driver() {
    static const DriverApi d = [] {
        DriverApi x{};
        x.cuTensorMapEncodeTiled = &encode_tiled;
        return x;
    }();
    return d;
}
}  // namespace ptxkit::detail
