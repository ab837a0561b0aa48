// Test data helpers: 16-bit float conversions and buffers that end on an
// inaccessible page, so an access past the end faults (and fails the case).
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace emu::harness {
inline uint16_t to16(double x, bool f16) {
    const float f = float(x);
    if (f16) {
        const _Float16 h = static_cast<_Float16>(f);
        uint16_t b;
        std::memcpy(&b, &h, 2);
        return b;
    }
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1);  // round to nearest even
    return uint16_t(u >> 16);
}
inline double from16(uint16_t b, bool f16) {
    if (f16) {
        _Float16 h;
        std::memcpy(&h, &b, 2);
        return double(float(h));
    }
    const uint32_t u = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// `bytes` (rounded up to 16) placed right against a PROT_NONE page, with
// `lead` bytes in front; everything poisoned with 0xFF (NaN in every float
// format), so that bytes a kernel must not write can be checked afterwards.
// Never freed: each case runs in its own process.
struct Guarded {
    unsigned char* span = nullptr;  // the lead bytes, then the data
    std::size_t lead = 0, bytes = 0;
    unsigned char* data() const { return span + lead; }
};
inline Guarded guarded(std::size_t bytes, std::size_t lead = 256) {
    const std::size_t pg = 4096, body = (bytes + 15) / 16 * 16 + lead;
    const std::size_t span = (body + pg - 1) / pg * pg + pg;
    auto* base =
        static_cast<unsigned char*>(mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    mprotect(base + span - pg, pg, PROT_NONE);
    std::memset(base, 0xFF, span - pg);
    Guarded g;
    g.span = base + span - pg - body;
    g.lead = lead;
    g.bytes = (bytes + 15) / 16 * 16;
    return g;
}
}  // namespace emu::harness
