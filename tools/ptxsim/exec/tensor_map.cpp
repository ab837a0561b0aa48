// cuTensorMapEncodeTiled (CUDA driver API 6.30 "Tensor Map Object
// Management"): the parameter requirements exactly as its documentation in
// cuda.h lists them, each refused with CUDA_ERROR_INVALID_VALUE; then
// ptxsim's own encoding (TensorMapImage, async_state.hpp) written into the
// 128-byte CUtensorMap, with a magic number and a checksum so that a kernel
// handed anything else (or a map modified after encoding) is caught by
// cp.async.bulk.tensor / prefetch.tensormap (ops_async.cpp).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "exec/exec.hpp"

namespace ptxsim {
namespace {

using exec::TensorMapImage;

// Element size in bits of each CUtensorMapDataType (0: not a valid enum).
uint32_t elem_bits(CUtensorMapDataType t) {
    switch (int(t)) {
        case CU_TENSOR_MAP_DATA_TYPE_UINT8: return 8;
        case CU_TENSOR_MAP_DATA_TYPE_UINT16: return 16;
        case CU_TENSOR_MAP_DATA_TYPE_UINT32: return 32;
        case CU_TENSOR_MAP_DATA_TYPE_INT32: return 32;
        case CU_TENSOR_MAP_DATA_TYPE_UINT64: return 64;
        case CU_TENSOR_MAP_DATA_TYPE_INT64: return 64;
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT16: return 16;
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT32: return 32;
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT64: return 64;
        case CU_TENSOR_MAP_DATA_TYPE_BFLOAT16: return 16;
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT32_FTZ: return 32;
        case CU_TENSOR_MAP_DATA_TYPE_TFLOAT32: return 32;
        case CU_TENSOR_MAP_DATA_TYPE_TFLOAT32_FTZ: return 32;
        case CU_TENSOR_MAP_DATA_TYPE_16U4_ALIGN8B: return 4;
        case CU_TENSOR_MAP_DATA_TYPE_16U4_ALIGN16B: return 4;
        case CU_TENSOR_MAP_DATA_TYPE_16U6_ALIGN16B: return 6;
        default: return 0;
    }
}
bool is_float(CUtensorMapDataType t) {
    switch (int(t)) {
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT16: case CU_TENSOR_MAP_DATA_TYPE_FLOAT32:
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT64: case CU_TENSOR_MAP_DATA_TYPE_BFLOAT16:
        case CU_TENSOR_MAP_DATA_TYPE_FLOAT32_FTZ: case CU_TENSOR_MAP_DATA_TYPE_TFLOAT32:
        case CU_TENSOR_MAP_DATA_TYPE_TFLOAT32_FTZ:
            return true;
        default: return false;
    }
}

CUresult bad(const char* why) {
    // The driver returns the status only; PTXSIM_VERBOSE names the rule.
    if (const char* v = std::getenv("PTXSIM_VERBOSE"); v && *v && *v != '0')
        std::fprintf(stderr, "ptxsim: cuTensorMapEncodeTiled: %s\n", why);
    return CUDA_ERROR_INVALID_VALUE;
}

}  // namespace

namespace exec {
uint32_t tensor_map_checksum(const TensorMapImage& m) {
    // FNV-1a over the bytes before `check`.
    const auto* p = reinterpret_cast<const uint8_t*>(&m);
    uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < offsetof(TensorMapImage, check); ++i) h = (h ^ p[i]) * 16777619u;
    return h;
}
}  // namespace exec

CUresult encode_tensor_map_tiled(CUtensorMap* map, CUtensorMapDataType dtype, cuuint32_t rank, void* global_address,
                                 const cuuint64_t* global_dim, const cuuint64_t* global_strides,
                                 const cuuint32_t* box_dim, const cuuint32_t* element_strides,
                                 CUtensorMapInterleave interleave, CUtensorMapSwizzle swizzle,
                                 CUtensorMapL2promotion l2_promotion, CUtensorMapFloatOOBfill oob_fill) {
    // - tensorMap address must be aligned to 64 bytes.
    if (map == nullptr) return bad("tensorMap is NULL");
    if (reinterpret_cast<uintptr_t>(map) % 64) return bad("tensorMap address not aligned to 64 bytes");
    // - tensorDataType has to be an enum from CUtensorMapDataType.
    const uint32_t bits = elem_bits(dtype);
    if (bits == 0) return bad("tensorDataType is not a CUtensorMapDataType");
    const bool u4_8 = dtype == CU_TENSOR_MAP_DATA_TYPE_16U4_ALIGN8B;
    const bool packed16 =
        dtype == CU_TENSOR_MAP_DATA_TYPE_16U4_ALIGN16B || dtype == CU_TENSOR_MAP_DATA_TYPE_16U6_ALIGN16B;
    // The other enums.
    if (int(interleave) < CU_TENSOR_MAP_INTERLEAVE_NONE || int(interleave) > CU_TENSOR_MAP_INTERLEAVE_32B)
        return bad("interleave is not a CUtensorMapInterleave");
    if (int(swizzle) < CU_TENSOR_MAP_SWIZZLE_NONE || int(swizzle) > CU_TENSOR_MAP_SWIZZLE_128B_ATOM_64B)
        return bad("swizzle is not a CUtensorMapSwizzle");
    if (int(l2_promotion) < CU_TENSOR_MAP_L2_PROMOTION_NONE || int(l2_promotion) > CU_TENSOR_MAP_L2_PROMOTION_L2_256B)
        return bad("l2Promotion is not a CUtensorMapL2promotion");
    if (int(oob_fill) < CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE ||
        int(oob_fill) > CU_TENSOR_MAP_FLOAT_OOB_FILL_NAN_REQUEST_ZERO_FMA)
        return bad("oobFill is not a CUtensorMapFloatOOBfill");
    // - tensorRank must be non-zero and <= 5; with interleave, >= 3.
    if (rank == 0 || rank > 5) return bad("tensorRank must be in [1, 5]");
    if (interleave != CU_TENSOR_MAP_INTERLEAVE_NONE && rank < 3)
        return bad("tensorRank must be >= 3 when interleave is not NONE");
    if (global_dim == nullptr || box_dim == nullptr || element_strides == nullptr ||
        (rank > 1 && global_strides == nullptr))
        return bad("NULL array argument");
    // - globalAddress 16-byte aligned; 32 with INTERLEAVE_32B or the 16-byte-aligned packed types.
    const uintptr_t ga = reinterpret_cast<uintptr_t>(global_address);
    if (ga % 16) return bad("globalAddress not 16-byte aligned");
    if (interleave == CU_TENSOR_MAP_INTERLEAVE_32B && ga % 32)
        return bad("globalAddress not 32-byte aligned (INTERLEAVE_32B)");
    if (packed16 && ga % 32) return bad("globalAddress not 32-byte aligned (16U4_ALIGN16B / 16U6_ALIGN16B)");
    // - globalDim non-zero and <= 2^32; packed types' dimension 0.
    for (cuuint32_t d = 0; d < rank; ++d)
        if (global_dim[d] == 0 || global_dim[d] > (1ull << 32)) return bad("globalDim must be in [1, 2^32]");
    if (packed16 && global_dim[0] % 128) return bad("globalDim[0] must be a multiple of 128 (16U4_ALIGN16B / 16U6_ALIGN16B)");
    if (u4_8 && global_dim[0] % 2) return bad("globalDim[0] must be a multiple of 2 (16U4_ALIGN8B)");
    // - globalStrides (rank - 1 of them): multiple of 16 and < 2^40; 32 with
    //   INTERLEAVE_32B or the 16-byte-aligned packed types.
    for (cuuint32_t d = 0; d + 1 < rank; ++d) {
        const uint64_t s = global_strides[d];
        if (s % 16 || s >= (1ull << 40)) return bad("globalStrides must be a multiple of 16 and < 2^40");
        if (interleave == CU_TENSOR_MAP_INTERLEAVE_32B && s % 32)
            return bad("globalStrides must be a multiple of 32 (INTERLEAVE_32B)");
        if (packed16 && s % 32) return bad("globalStrides must be a multiple of 32 (16U4_ALIGN16B / 16U6_ALIGN16B)");
    }
    // "globalStrides[0] = globalDim[0] * elementSizeInBytes(tensorDataType) + padding[0]": rows do not overlap (as
    // the emulator's stub reads it; the following lines of the example are not read as requirements).
    if (rank > 1 && global_strides[0] * 8 < global_dim[0] * bits)
        return bad("globalStrides[0] < globalDim[0] * elementSizeInBytes");
    // - boxDim non-zero and <= 256; with interleave NONE the inner box bytes a multiple of 16; packed16: boxDim[0] 128.
    for (cuuint32_t d = 0; d < rank; ++d)
        if (box_dim[d] == 0 || box_dim[d] > 256) return bad("boxDim must be in [1, 256]");
    const uint64_t inner_bits = uint64_t(box_dim[0]) * bits;
    if (interleave == CU_TENSOR_MAP_INTERLEAVE_NONE && inner_bits % 128)
        return bad("boxDim[0] * elementSize must be a multiple of 16 bytes");
    if (packed16 && box_dim[0] != 128) return bad("boxDim[0] must be 128 (16U4_ALIGN16B / 16U6_ALIGN16B)");
    // - elementStrides non-zero and <= 8.
    for (cuuint32_t d = 0; d < rank; ++d)
        if (element_strides[d] == 0 || element_strides[d] > 8) return bad("elementStrides must be in [1, 8]");
    // - interleave NONE with a swizzle: the inner box dimension <= the swizzle span.
    if (interleave == CU_TENSOR_MAP_INTERLEAVE_NONE && swizzle != CU_TENSOR_MAP_SWIZZLE_NONE) {
        const uint64_t span = swizzle == CU_TENSOR_MAP_SWIZZLE_32B ? 32 : swizzle == CU_TENSOR_MAP_SWIZZLE_64B ? 64 : 128;
        if (inner_bits > span * 8) return bad("the bounding box inner dimension exceeds the swizzle span");
    }
    // - 16U6_ALIGN16B requires interleave NONE.
    if (dtype == CU_TENSOR_MAP_DATA_TYPE_16U6_ALIGN16B && interleave != CU_TENSOR_MAP_INTERLEAVE_NONE)
        return bad("16U6_ALIGN16B requires INTERLEAVE_NONE");
    // - INTERLEAVE_32B requires SWIZZLE_32B.
    if (interleave == CU_TENSOR_MAP_INTERLEAVE_32B && swizzle != CU_TENSOR_MAP_SWIZZLE_32B)
        return bad("INTERLEAVE_32B requires SWIZZLE_32B");
    // - the packed types' swizzle modes.
    if (dtype == CU_TENSOR_MAP_DATA_TYPE_16U6_ALIGN16B &&
        !(swizzle == CU_TENSOR_MAP_SWIZZLE_NONE || swizzle == CU_TENSOR_MAP_SWIZZLE_128B ||
          swizzle == CU_TENSOR_MAP_SWIZZLE_128B_ATOM_32B || swizzle == CU_TENSOR_MAP_SWIZZLE_128B_ATOM_64B))
        return bad("swizzle mode not supported with 16U6_ALIGN16B");
    if (dtype == CU_TENSOR_MAP_DATA_TYPE_16U4_ALIGN16B &&
        !(swizzle == CU_TENSOR_MAP_SWIZZLE_NONE || swizzle == CU_TENSOR_MAP_SWIZZLE_128B ||
          swizzle == CU_TENSOR_MAP_SWIZZLE_128B_ATOM_32B))
        return bad("swizzle mode not supported with 16U4_ALIGN16B");
    // - NAN_REQUEST_ZERO_FMA only for floating-point, non-packed types.
    if (oob_fill == CU_TENSOR_MAP_FLOAT_OOB_FILL_NAN_REQUEST_ZERO_FMA && !is_float(dtype))
        return bad("OOB_FILL_NAN_REQUEST_ZERO_FMA needs a floating-point tensorDataType");

    TensorMapImage m{};
    m.magic = exec::kTensorMapMagic;
    m.base = uint64_t(ga);
    for (cuuint32_t d = 0; d < rank; ++d) {
        m.dims[d] = global_dim[d];
        m.box[d] = box_dim[d];
        m.estr[d] = uint8_t(element_strides[d]);
    }
    for (cuuint32_t d = 0; d + 1 < rank; ++d) m.strides[d] = global_strides[d];
    m.rank = uint8_t(rank);
    m.dtype = uint8_t(dtype);
    m.interleave = uint8_t(interleave);
    m.swizzle = uint8_t(swizzle);
    m.l2 = uint8_t(l2_promotion);
    m.oob = uint8_t(oob_fill);
    m.elem_bits = uint8_t(bits);
    m.check = exec::tensor_map_checksum(m);
    std::memset(map, 0, sizeof(*map));
    std::memcpy(map, &m, sizeof(m));
    return CUDA_SUCCESS;
}

}  // namespace ptxsim
