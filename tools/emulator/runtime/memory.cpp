// Shared and global memory rules: every shared access within the dynamic
// shared memory, no write over a live mbarrier or into an exited CTA, and the
// proxy rule: a byte written through the generic proxy (st.shared, stmatrix)
// may be read by the async proxy (TMA store, wgmma) only after the writing
// thread's fence.proxy.async. TMA touches global memory only inside the
// buffers the harness registered.
#include <cstdio>

#include "internal.hpp"

namespace emu::detail {
namespace {
void check_not_mbarrier(Cta& c, uint32_t addr, std::size_t bytes, const char* what) {
    auto it = c.mbars.lower_bound(addr >= 7 ? addr - 7 : 0);
    if (it != c.mbars.end() && it->first < addr + bytes) {
        std::fprintf(stderr, "%s: bytes [0x%x, +%zu) overlap the mbarrier at 0x%x\n", what, addr, bytes, it->first);
        fail("write over a live mbarrier");
    }
}
}  // namespace

SAddr resolve(uint32_t a, bool cluster_space, const char* what) {
    if (a & kClusterTag) {
        if (!cluster_space) {
            std::fprintf(stderr, "%s: address 0x%x is a shared::cluster address (mapa)\n", what, a);
            fail("shared::cluster address used with a .shared::cta instruction");
        }
        const int r = int((a >> 24) & 0x7f);
        if (r >= cluster_size) fail("shared::cluster address of a CTA rank outside the cluster");
        return {fibers[cur].cta / cluster_size * cluster_size + r, a & 0xFFFFFFu};
    }
    return {fibers[cur].cta, a};
}
void check_dyn(uint32_t addr, std::size_t bytes, const char* what) {
    if (addr & kClusterTag) fail("shared::cluster address used as a shared::cta address");
    if (addr < dyn_lo || uint64_t(addr) + bytes > dyn_hi) {
        std::fprintf(stderr, "%s: shared address 0x%x (+%zu) outside the dynamic shared memory [0x%x, 0x%x)\n", what, addr,
                     bytes, dyn_lo, dyn_hi);
        fail("shared memory access out of bounds");
    }
}
void smem_write(Cta& c, uint32_t addr, const void* src, std::size_t n, bool generic, const char* what) {
    check_dyn(addr, n, what);
    if (c.exited) fail("write into the shared memory of a CTA that has exited");
    check_not_mbarrier(c, addr, n, what);
    std::memcpy(c.win.data() + addr, src, n);
    const uint64_t seq = generic ? ++fibers[cur].wseq : 0;
    for (std::size_t i = 0; i < n; ++i) {
        c.wr_thread[addr + i] = generic ? uint32_t(cur + 1) : 0u;
        c.wr_seq[addr + i] = seq;
    }
}
// An async-proxy read (TMA store source, wgmma operand).
uint8_t smem_read_async(uint32_t addr, const char* what) {
    check_dyn(addr, 1, what);
    Cta& c = CTA();
    const uint32_t w = c.wr_thread[addr];
    if (w != 0 && fibers[w - 1].fenced < c.wr_seq[addr]) {
        std::fprintf(stderr, "%s: shared byte 0x%x written by thread %u (generic proxy) without a later fence.proxy.async\n",
                     what, addr, w - 1);
        fail("generic-proxy write read by the async proxy without fence.proxy.async");
    }
    return c.win[addr];
}
void check_global_range(const void* p, std::size_t bytes, const char* what) {
    const auto* c = static_cast<const unsigned char*>(p);
    for (const auto& r : regions)
        if (c >= r.base && c + bytes <= r.base + r.size) return;
    std::fprintf(stderr, "%s at %p (%zu bytes) outside every registered buffer\n", what, p, bytes);
    fail("global access out of bounds");
}
}  // namespace emu::detail

namespace emu {
void register_region(const void* base, std::size_t size) {
    detail::regions.push_back({static_cast<const unsigned char*>(base), size});
}
void clear_regions() { detail::regions.clear(); }
void px::fence_proxy_async_shared_cta() { detail::fibers[detail::cur].fenced = detail::fibers[detail::cur].wseq; }
}  // namespace emu
