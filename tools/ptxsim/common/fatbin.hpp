// Reading the images cuModuleLoadData receives: a fatbin (nvcc's
// `fatbinary`), the __fatBinC_Wrapper_t that points at one, NUL-terminated
// PTX text, or a cubin (ELF, which ptxsim cannot run).
//
// Fatbin layout (little endian; found by dumping `fatbinary` output, CUDA 13):
//   file header, 16 bytes:
//     u32 magic 0xBA55ED50, u16 version (1), u16 header size (16),
//     u64 size of the entries that follow the header
//   then entries back to back, each an entry header followed by its payload:
//     +0x00 u16 kind (1 = PTX, 2 = ELF/cubin, 16 = NVVM IR)
//     +0x02 u16 entry format version (0x0101)
//     +0x04 u32 entry header size (0x40 for ELF, 0x50 for PTX, more with options)
//     +0x08 u64 payload size (padded; PTX text is NUL-padded)
//     +0x10 u32 compressed size (0 when stored uncompressed)
//     +0x14 u32 (0x40 for PTX)
//     +0x18 u16 minor, +0x1a u16 major: PTX ISA version for PTX (8.8 -> 8, 8)
//     +0x1c u32 arch: 80 for sm_80/compute_80, 90 for sm_90a
//     +0x20 u32 object name offset, +0x24 u32 object name length
//     +0x28 u64 flags: 0x1 64-bit, 0x10 Linux, 0x2000 / 0x8000 compressed
//           (0x8000: zstd, the CUDA 13 default), 0x100000 arch-specific
//           ('a', e.g. sm_90a), 0x200000 family-specific ('f')
//     +0x30 u64 0
//     +0x38 u64 uncompressed size (0 when stored uncompressed)
//     PTX only: +0x40 u32 offset of the ptxas options string (from the entry
//           start), +0x44 u32 its length (fatbinary --cmdline), then the string
//   payload: at entry + entry header size, `payload size` bytes.
#pragma once

#include <cuda.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ptxsim::fatbin {

constexpr uint32_t kFatbinMagic = 0xBA55ED50u;
constexpr uint32_t kWrapperMagic = 0x466243B1u;  // __fatBinC_Wrapper_t

enum class EntryKind : uint16_t { Ptx = 1, Elf = 2, Nvvm = 16 };

struct Entry {
    uint16_t kind = 0;
    uint32_t arch = 0;             // 80, 90, 100 ...
    bool arch_specific = false;    // sm_90a / compute_90a
    bool family_specific = false;  // sm_100f
    bool compressed = false;
    uint64_t flags = 0;
    uint16_t version_major = 0, version_minor = 0;
    const uint8_t* payload = nullptr;
    uint64_t payload_size = 0;
    std::string options;           // ptxas options recorded with a PTX entry (may be empty)
    std::string arch_name() const; // "compute_90a" for PTX, "sm_80" for ELF
};

// Parses the fatbin at `data` (which starts with kFatbinMagic). `limit` bounds
// the bytes that may be read (SIZE_MAX when unknown). Returns false and sets
// `error` when the header or an entry is malformed.
bool parse(const uint8_t* data, uint64_t limit, std::vector<Entry>& entries, std::string& error);

// The PTX entry a device of compute capability cc (major * 10 + minor) would
// JIT: the arch-specific PTX of exactly its CC first (compute_90a on 9.0),
// then the highest plain PTX arch <= cc. nullptr when there is none.
const Entry* select_ptx(const std::vector<Entry>& entries, int cc);

struct Extracted {
    CUresult status = CUDA_SUCCESS;
    std::string ptx;          // the PTX text (without padding)
    std::string description;  // which image: "fatbin PTX compute_90a (PTX ISA 8.8)", "PTX text", ...
    std::string error;        // why not, when status != CUDA_SUCCESS
};

// Finds the PTX that a device of compute capability cc would run in any image
// cuModuleLoadData accepts. Errors: CUDA_ERROR_INVALID_IMAGE (no PTX usable
// by ptxsim: a cubin, SASS only, compressed PTX, a malformed fatbin),
// CUDA_ERROR_NO_BINARY_FOR_GPU (neither PTX nor SASS for this device).
Extracted extract_ptx(const void* image, int cc);

}  // namespace ptxsim::fatbin
