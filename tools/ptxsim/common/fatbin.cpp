#include "common/fatbin.hpp"

#include <cstring>

namespace ptxsim::fatbin {
namespace {

template <class T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

constexpr uint64_t kFlagCompressedLz = 0x2000;
constexpr uint64_t kFlagCompressedZstd = 0x8000;
constexpr uint64_t kFlagArchSpecific = 0x100000;
constexpr uint64_t kFlagFamilySpecific = 0x200000;

// Whether an image built for `e` runs on a device of compute capability cc.
bool runs_on(const Entry& e, int cc) {
    if (e.arch_specific) return static_cast<int>(e.arch) == cc;
    if (e.family_specific) return static_cast<int>(e.arch) / 10 == cc / 10 && static_cast<int>(e.arch) <= cc;
    if (e.kind == static_cast<uint16_t>(EntryKind::Elf)) {
        // SASS runs on its own major version, same or newer minor.
        return static_cast<int>(e.arch) / 10 == cc / 10 && static_cast<int>(e.arch) <= cc;
    }
    return static_cast<int>(e.arch) <= cc;
}

std::string list_entries(const std::vector<Entry>& entries) {
    std::string s;
    for (const auto& e : entries) {
        if (!s.empty()) s += ", ";
        s += e.arch_name();
        if (e.compressed) s += " (compressed)";
    }
    return s.empty() ? "nothing" : s;
}

bool looks_like_ptx(const char* text) {
    // PTX text starts with comments, blank lines and directives; .version is
    // always among its first lines.
    const std::size_t n = strnlen(text, 1 << 16);
    return std::string_view(text, n).find(".version") != std::string_view::npos;
}

}  // namespace

std::string Entry::arch_name() const {
    std::string s = (kind == static_cast<uint16_t>(EntryKind::Ptx)) ? "compute_" : (kind == 2 ? "sm_" : "nvvm_");
    s += std::to_string(arch);
    if (arch_specific) s += "a";
    if (family_specific) s += "f";
    return s;
}

bool parse(const uint8_t* data, uint64_t limit, std::vector<Entry>& entries, std::string& error) {
    entries.clear();
    if (limit < 16 || load<uint32_t>(data) != kFatbinMagic) {
        error = "not a fatbin (no 0xBA55ED50 magic)";
        return false;
    }
    const uint16_t header_size = load<uint16_t>(data + 6);
    const uint64_t fat_size = load<uint64_t>(data + 8);
    if (header_size < 16 || fat_size > limit - header_size) {
        error = "fatbin header is malformed (header size " + std::to_string(header_size) + ", size " +
                std::to_string(fat_size) + ")";
        return false;
    }
    uint64_t off = header_size;
    const uint64_t end = header_size + fat_size;
    while (off < end) {
        if (end - off < 0x40) {
            error = "fatbin entry at offset " + std::to_string(off) + " is truncated";
            return false;
        }
        const uint8_t* h = data + off;
        Entry e;
        e.kind = load<uint16_t>(h);
        const uint32_t entry_header = load<uint32_t>(h + 4);
        e.payload_size = load<uint64_t>(h + 8);
        if (entry_header < 0x40 || entry_header > end - off || e.payload_size > end - off - entry_header) {
            error = "fatbin entry at offset " + std::to_string(off) + " is malformed (header size " +
                    std::to_string(entry_header) + ", payload " + std::to_string(e.payload_size) + ")";
            return false;
        }
        const uint32_t compressed_size = load<uint32_t>(h + 0x10);
        e.version_minor = load<uint16_t>(h + 0x18);
        e.version_major = load<uint16_t>(h + 0x1a);
        e.arch = load<uint32_t>(h + 0x1c);
        e.flags = load<uint64_t>(h + 0x28);
        const uint64_t uncompressed_size = load<uint64_t>(h + 0x38);
        e.arch_specific = (e.flags & kFlagArchSpecific) != 0;
        e.family_specific = (e.flags & kFlagFamilySpecific) != 0;
        e.compressed = (e.flags & (kFlagCompressedLz | kFlagCompressedZstd)) != 0 || compressed_size != 0 ||
                       uncompressed_size != 0;
        if (e.kind == static_cast<uint16_t>(EntryKind::Ptx) && entry_header >= 0x48) {
            const uint32_t opt_off = load<uint32_t>(h + 0x40);
            const uint32_t opt_len = load<uint32_t>(h + 0x44);
            if (opt_len > 0 && opt_off <= entry_header && opt_len <= entry_header - opt_off) {
                e.options.assign(reinterpret_cast<const char*>(h + opt_off), opt_len);
                while (!e.options.empty() && e.options.back() == '\0') e.options.pop_back();
            }
        }
        e.payload = h + entry_header;
        entries.push_back(std::move(e));
        off += entry_header + entries.back().payload_size;
    }
    return true;
}

const Entry* select_ptx(const std::vector<Entry>& entries, int cc) {
    const Entry* best = nullptr;
    auto rank = [](const Entry& e) { return (e.arch_specific || e.family_specific ? 100000 : 0) + e.arch; };
    for (const auto& e : entries) {
        if (e.kind != static_cast<uint16_t>(EntryKind::Ptx) || !runs_on(e, cc)) continue;
        if (best == nullptr || rank(e) > rank(*best)) best = &e;
    }
    return best;
}

Extracted extract_ptx(const void* image, int cc) {
    Extracted out;
    auto fail = [&](CUresult status, std::string why) {
        out.status = status;
        out.error = std::move(why);
        return out;
    };
    if (image == nullptr) return fail(CUDA_ERROR_INVALID_VALUE, "image is NULL");
    const auto* bytes = static_cast<const uint8_t*>(image);
    // A string shorter than 4 bytes is not a binary image (and must not be read past its NUL).
    const bool short_text = bytes[0] == 0 || bytes[1] == 0 || bytes[2] == 0;
    uint32_t magic = short_text ? 0 : load<uint32_t>(bytes);
    if (magic == kWrapperMagic) {
        // struct { int magic; int version; const unsigned long long* data; void* filename_or_fatbins; }
        const void* inner = load<const void*>(bytes + 8);
        if (inner == nullptr) return fail(CUDA_ERROR_INVALID_IMAGE, "fatbin wrapper points at no fatbin");
        bytes = static_cast<const uint8_t*>(inner);
        magic = load<uint32_t>(bytes);
    }
    if (magic == kFatbinMagic) {
        std::vector<Entry> entries;
        std::string error;
        if (!parse(bytes, UINT64_MAX / 2, entries, error)) return fail(CUDA_ERROR_INVALID_IMAGE, "ptxsim: " + error);
        const std::string device = "sm_" + std::to_string(cc);
        const Entry* ptx = select_ptx(entries, cc);
        if (ptx == nullptr) {
            bool sass_for_device = false;
            for (const auto& e : entries) {
                if (e.kind == static_cast<uint16_t>(EntryKind::Elf) && runs_on(e, cc)) sass_for_device = true;
            }
            if (sass_for_device) {
                return fail(CUDA_ERROR_INVALID_IMAGE,
                            "ptxsim runs PTX; this image has none for " + device + " (the fatbin holds " +
                                list_entries(entries) +
                                "; build the kernels with -DPTXKIT_SIM_FATBINS=ON, e.g. the 'sim' preset)");
            }
            return fail(CUDA_ERROR_NO_BINARY_FOR_GPU, "ptxsim: the fatbin holds nothing that runs on " + device + " (" +
                                                         list_entries(entries) + ")");
        }
        if (ptx->compressed) {
            return fail(CUDA_ERROR_INVALID_IMAGE,
                        "ptxsim: the fatbin's PTX " + ptx->arch_name() +
                            " is compressed; ptxsim reads only PTX stored uncompressed (fatbinary --compress=false, "
                            "as -DPTXKIT_SIM_FATBINS=ON builds it)");
        }
        const char* text = reinterpret_cast<const char*>(ptx->payload);
        out.ptx.assign(text, strnlen(text, ptx->payload_size));
        out.description = "fatbin PTX " + ptx->arch_name() + " (PTX ISA " + std::to_string(ptx->version_major) + "." +
                          std::to_string(ptx->version_minor) + ")";
        return out;
    }
    if (!short_text && std::memcmp(bytes, "\x7f" "ELF", 4) == 0) {
        return fail(CUDA_ERROR_INVALID_IMAGE, "ptxsim runs PTX; this image has none (it is a cubin, ELF SASS)");
    }
    const char* text = static_cast<const char*>(image);
    if (!looks_like_ptx(text)) {
        return fail(CUDA_ERROR_INVALID_IMAGE,
                    "ptxsim: the image is neither a fatbin, a cubin nor PTX text (no .version directive)");
    }
    out.ptx = text;
    out.description = "PTX text";
    return out;
}

}  // namespace ptxsim::fatbin
