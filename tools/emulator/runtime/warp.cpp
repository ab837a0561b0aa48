// Warp collectives: every .sync.aligned instruction waits for its whole warp
// (and fails with a partial one); data-exchanging ones (shfl, stmatrix) go
// through a per-warp slot array between two warp barriers.
#include "internal.hpp"

namespace emu::detail {
const uint32_t* warp_exchange(const uint32_t* in, int n) {
    auto& s = warp_slots[cur / 32];
    if (int(s.size()) < 32 * n) s.resize(32 * n);
    for (int i = 0; i < n; ++i) s[(cur % 32) * n + i] = in[i];
    if (alive_in(cur / 32 * 32, 32) != 32) fail("warp collective with a partial warp");
    barrier(warp_bars[cur / 32], 32, "warp collective");
    return s.data();
}
// Keeps the slots alive until every lane has read them.
void warp_exchange_done() { barrier(warp_bars[cur / 32], 32, "warp collective"); }
void warp_sync_aligned(const char* what) {
    if (alive_in(cur / 32 * 32, 32) != 32) fail("warp-synchronous (.sync.aligned) instruction with a partial warp");
    barrier(warp_bars[cur / 32], 32, what);
}
}  // namespace emu::detail

namespace emu {
using namespace detail;

int shfl_sync_idx(unsigned mask, int v, int src) {
    if (mask != 0xffffffffu) fail("emulator: partial-mask shfl not modelled");
    const uint32_t in = static_cast<uint32_t>(v);
    const uint32_t* all = warp_exchange(&in, 1);
    const int r = static_cast<int>(all[src & 31]);
    warp_exchange_done();
    return r;
}

namespace px {
// Register allocation is not modelled: only the operand rules and the
// warp-wide execution.
void setmaxnreg(uint32_t n, bool) {
    if (n % 8 != 0 || n < 24 || n > 256) fail("setmaxnreg count");
    warp_sync_aligned("setmaxnreg");
}
// shfl.sync (PTX ISA "shfl.sync"): bfly j = lane ^ b, idx j = b (c = 0x1f: one
// 32-lane segment, every j valid); the whole warp in membermask.
uint32_t shfl_sync(int mode, uint32_t a, uint32_t b, uint32_t c, uint32_t mask) {
    if (mask != 0xffffffffu) fail("emulator: partial-mask shfl.sync not modelled");
    if (c != 0x1f) fail("emulator: shfl.sync with c != 0x1f not modelled");
    const uint32_t* all = warp_exchange(&a, 1);
    const int l = cur % 32;
    const int j = mode == 0 ? int((l ^ b) & 31) : int(b & 31);
    const uint32_t r = all[j];
    warp_exchange_done();
    return r;
}
void stmatrix_m8n8(uint32_t addr, const uint32_t* regs, int num, bool trans) {
    if (trans) fail("emulator: stmatrix .trans not modelled");
    uint32_t in[5] = {addr, 0, 0, 0, 0};
    for (int i = 0; i < num; ++i) in[1 + i] = regs[i];
    const uint32_t* all = warp_exchange(in, 5);
    const int l = cur % 32;
    // Threads 8i..8i+7 give the row addresses of matrix i; thread l stores, for
    // each matrix i, row l/4, elements 2(l%4), 2(l%4)+1 from its register i
    // (PTX ISA stmatrix, figure "stmatrix fragment layout for one 8x8 matrix").
    for (int i = 0; i < num; ++i) {
        const uint32_t row = all[(8 * i + l / 4) * 5];
        if (row % 16) fail("stmatrix row address not 16-byte aligned");
        const uint32_t v = regs[i];
        smem_write(CTA(), row + 4u * uint32_t(l % 4), &v, 4, true, "stmatrix");
    }
    if (l == 0) ++st.stmatrix;
    warp_exchange_done();
}
}  // namespace px
}  // namespace emu
