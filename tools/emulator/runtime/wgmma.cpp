// Warpgroup MMA (PTX ISA "Asynchronous Warpgroup Level Matrix Multiply-
// Accumulate"): wgmma.mma_async .m64nNk16 with f32 accumulators and bf16/f16
// operands, A from a shared-memory descriptor or from registers, B from a
// descriptor; fence / commit_group / wait_group.
// Checks: wgmma.fence before the first mma_async after a wait, a full
// warpgroup with identical operands, descriptor reserved bits, the operands'
// shared bytes unchanged until the group completed (and no TMA load into
// them meanwhile, see tma.cpp), accumulators not read or written in flight.
#include <cstdio>

#include "internal.hpp"

namespace emu::detail {
namespace {
// What an accumulator register "holds" while its wgmma runs: a NaN, so that a
// read before wait_group shows in the result.
constexpr uint32_t kPoisonBits = 0x7fbadbadu;

// Shared-memory operand: byte address of element (mn, k) of a 16-bit operand,
// from the descriptor (PTX ISA "Matrix Descriptor Format" and "Canonical
// Layouts", T = 8 elements per 16 bytes):
//   K-major, 128B swizzle:  ((8,m),(T,2k)) : ((8T,SBO),(1,T))      LBO unused
//   MN-major, 128B swizzle: ((T,8,m),(8,k)) : ((1,T,LBO),(8T,SBO))
// then Swizzle<3,4,3> on the byte address (bits 4-6 ^= bits 7-9), the pattern
// anchored at 1024-byte boundaries (base offset 0).
uint32_t desc_elem_addr(uint64_t desc, bool mn_major, int mn, int k) {
    const uint32_t start = uint32_t(desc & 0x3FFF) << 4;
    const uint32_t lbo = uint32_t((desc >> 16) & 0x3FFF) << 4;
    const uint32_t sbo = uint32_t((desc >> 32) & 0x3FFF) << 4;
    const uint32_t base_off = uint32_t((desc >> 49) & 7);
    const uint32_t swz = uint32_t(desc >> 62);
    if (swz != 1) fail("emulator: only 128B-swizzled wgmma descriptors are modelled");
    if (base_off != 0) fail("emulator: wgmma descriptor base offset != 0 not modelled");
    uint32_t off;
    if (!mn_major) {
        off = uint32_t(mn % 8) * 128u + uint32_t(mn / 8) * sbo + uint32_t(k) * 2u;
    } else {
        off = uint32_t(mn % 64) * 2u + uint32_t(mn / 64) * lbo + uint32_t(k % 8) * 128u + uint32_t(k / 8) * sbo;
    }
    const uint32_t a = start + off;
    return a ^ (((a >> 7) & 7u) << 4);
}
void check_desc_reserved(uint64_t d) {
    const uint64_t reserved = (3ull << 14) | (3ull << 30) | (7ull << 46) | (0x3FFull << 52);
    if (d & reserved) fail("wgmma descriptor has reserved bits set");
}

// wgmma.mma_async, both forms: A from a descriptor (a_regs == nullptr) or
// from registers (a_regs: this thread's four .b32 registers of two 16-bit
// elements each, PTX ISA "Register Fragments", figure "WGMMA .m64nNk16
// register fragment layout for matrix A" = CUTLASS ALayout_64x16 =
// ((4,8,4),(2,2,2)):((128,1,16),(64,8,512)) over (M=64, K=16) column-major:
// element e (low half of reg e/2 first) of thread (warp w, lane l) at
//   row 16w + l/4 + 8((e/2)%2), col 2(l%4) + (e%2) + 8(e/4)).
// The result is computed at issue from the operands' values at issue, the
// accumulator registers are poisoned (NaN) and get the result at the
// wgmma.wait_group that completes the group: a read of an accumulator before
// its wait sees NaN, a write to one before its wait is reported.
void mma_async(int n, bool bf16, float* const* d, const uint32_t* a_regs, uint64_t desc_a, uint64_t desc_b, bool scale_d,
               int scale_a, int scale_b, int trans_a, int trans_b) {
    Fiber& f = fibers[cur];
    if (!f.wg_fenced) fail("wgmma.mma_async without wgmma.fence since the last wait_group");
    const int wg = cur / 128, t = cur % 128;
    WG& w = wgs[wg];
    if (alive_in(wg * 128, 128) != 128) fail("wgmma.mma_async with a partial warpgroup");
    w.slot[t] = WgSlot{desc_a, desc_b, scale_d, scale_a, scale_b, trans_a, trans_b, n, bf16, d, a_regs};
    barrier(w.bar, 128, "wgmma.mma_async");
    if (t == 0) {  // one thread computes for the warpgroup, from every thread's slot
        for (int i = 1; i < 128; ++i) {
            const WgSlot& s = w.slot[i];
            const WgSlot& z = w.slot[0];
            if (s.da != z.da || s.db != z.db || s.sd != z.sd || s.sa != z.sa || s.sb != z.sb || s.ta != z.ta ||
                s.tb != z.tb || s.n != z.n || s.bf16 != z.bf16 || (s.a == nullptr) != (z.a == nullptr))
                fail("wgmma.mma_async operands differ across the warpgroup");
        }
        if ((scale_a != 1 && scale_a != -1) || (scale_b != 1 && scale_b != -1)) fail("wgmma imm-scale");
        if ((trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1)) fail("wgmma imm-trans");
        if (n % 8 != 0 || n < 8 || n > 256) fail("wgmma N");
        if (a_regs == nullptr) check_desc_reserved(desc_a);
        check_desc_reserved(desc_b);
        ++st.wgmma;
        if (a_regs) ++st.wgmma_rs;
        const int g = f.wg_commits;  // the open group
        if (int(w.groups.size()) <= g) w.groups.resize(g + 1);
        WgGroup& grp = w.groups[g];
        auto cvt = [&](uint16_t v) { return bf16 ? bf16f(v) : f16f(v); };
        auto elem = [&](uint64_t desc, bool mn_major, int mn, int k) {
            const uint32_t a = desc_elem_addr(desc, mn_major, mn, k);
            if (a % 2) fail("wgmma element address odd");
            check_dyn(a, 2, "wgmma operand");
            const uint8_t lo = smem_read_async(a, "wgmma operand"), hi = smem_read_async(a + 1, "wgmma operand");
            grp.addr.push_back(a);
            grp.val.push_back(lo);
            grp.addr.push_back(a + 1);
            grp.val.push_back(hi);
            ++CTA().inflight[a];
            ++CTA().inflight[a + 1];
            return cvt(uint16_t(lo | (hi << 8)));
        };
        static float A[64][16], B[16][256], D[64][256];
        if (a_regs == nullptr) {
            for (int m = 0; m < 64; ++m)
                for (int k = 0; k < 16; ++k) A[m][k] = float(scale_a) * elem(desc_a, trans_a == 1, m, k);
        } else {
            static bool seen[64][16];
            std::memset(seen, 0, sizeof seen);
            for (int tt = 0; tt < 128; ++tt) {
                const int ww = tt / 32, l = tt % 32;
                for (int e = 0; e < 8; ++e) {
                    const int r = 16 * ww + l / 4 + 8 * ((e / 2) % 2);
                    const int c = 2 * (l % 4) + (e % 2) + 8 * (e / 4);
                    const uint32_t reg = w.slot[tt].a[e / 2];
                    const uint16_t h = uint16_t((e % 2) ? (reg >> 16) : (reg & 0xffffu));
                    if (seen[r][c]) fail("emulator: A fragment map not a bijection");
                    seen[r][c] = true;
                    A[r][c] = float(scale_a) * cvt(h);
                }
            }
        }
        for (int nn = 0; nn < n; ++nn)
            for (int k = 0; k < 16; ++k) B[k][nn] = float(scale_b) * elem(desc_b, trans_b == 1, nn, k);
        // Accumulator fragment (PTX ISA figure "WGMMA .m64nNk16 register
        // fragment layout for accumulator matrix D"): warp w rows 16w..16w+15,
        // lane l: d[i] at row 16w + l/4 + 8((i/2)%2), col 8(i/4) + 2(l%4) + i%2.
        auto rc = [](int tt, int i, int& r, int& c) {
            const int ww = tt / 32, l = tt % 32;
            r = 16 * ww + l / 4 + 8 * ((i / 2) % 2);
            c = 8 * (i / 4) + 2 * (l % 4) + (i % 2);
        };
        for (int tt = 0; tt < 128; ++tt) {
            Fiber& ft = fibers[wg * 128 + tt];
            for (int i = 0; i < n / 2; ++i) {
                int r, c;
                rc(tt, i, r, c);
                float* p = w.slot[tt].d[i];
                // A wgmma chained on an accumulator of an earlier in-flight
                // group reads that group's result (the hardware orders them).
                auto it = ft.wg_pending.find(p);
                const float cur_v = it != ft.wg_pending.end() ? it->second.first : *p;
                D[r][c] = scale_d ? cur_v : 0.0f;
            }
        }
        for (int m = 0; m < 64; ++m)
            for (int nn = 0; nn < n; ++nn) {
                double s = 0;
                for (int k = 0; k < 16; ++k) s += double(A[m][k]) * double(B[k][nn]);
                D[m][nn] = float(double(D[m][nn]) + s);
            }
        for (int tt = 0; tt < 128; ++tt) {
            Fiber& ft = fibers[wg * 128 + tt];
            for (int i = 0; i < n / 2; ++i) {
                int r, c;
                rc(tt, i, r, c);
                float* p = w.slot[tt].d[i];
                ft.wg_pending[p] = {D[r][c], g};
                std::memcpy(p, &kPoisonBits, 4);
            }
        }
    }
    barrier(w.bar, 128, "wgmma.mma_async");
}
}  // namespace
}  // namespace emu::detail

namespace emu::px {
using namespace detail;

void wgmma_fence() {
    warp_sync_aligned("wgmma.fence");
    fibers[cur].wg_fenced = true;
}
void wgmma_commit_group() {
    warp_sync_aligned("wgmma.commit_group");
    Fiber& f = fibers[cur];
    WG& w = wgs[cur / 128];
    if (int(w.groups.size()) <= f.wg_commits) w.groups.resize(f.wg_commits + 1);
    ++f.wg_commits;
}
// A group completes for the warpgroup once each of its four warps waited for
// it; then its operand bytes are checked against their values at issue.
void wgmma_wait_group(uint32_t n) {
    warp_sync_aligned("wgmma.wait_group");
    Fiber& f = fibers[cur];
    WG& w = wgs[cur / 128];
    const int target = f.wg_commits - int(n);
    const unsigned warp_bit = 1u << ((cur % 128) / 32);
    for (int g = f.wg_done; g < target; ++g) {
        WgGroup& grp = w.groups[g];
        grp.warps |= warp_bit;
        if (grp.warps == 0xF && !grp.verified) {
            for (std::size_t i = 0; i < grp.addr.size(); ++i) {
                if (CTA().win[grp.addr[i]] != grp.val[i]) {
                    std::fprintf(stderr, "wgmma group %d: operand byte 0x%x changed %02x -> %02x before completion\n", g,
                                 grp.addr[i], grp.val[i], CTA().win[grp.addr[i]]);
                    fail("wgmma shared-memory operand overwritten while its group was in flight");
                }
            }
            grp.verified = true;
            for (uint32_t a : grp.addr) --CTA().inflight[a];
            grp.addr.clear();
            grp.val.clear();
        }
    }
    if (target > f.wg_done) f.wg_done = target;
    // The accumulators of the completed groups land in this thread's registers.
    for (auto it = f.wg_pending.begin(); it != f.wg_pending.end();) {
        if (it->second.second < f.wg_done) {
            uint32_t bits;
            std::memcpy(&bits, it->first, 4);
            if (bits != kPoisonBits) {
                std::fprintf(stderr, "accumulator register at %p written (bits %08x) while its wgmma group %d was in"
                             " flight\n", (void*)it->first, bits, it->second.second);
                fail("wgmma accumulator register written before wgmma.wait_group completed its group");
            }
            *it->first = it->second.first;
            it = f.wg_pending.erase(it);
        } else {
            ++it;
        }
    }
    f.wg_fenced = false;
}
void wgmma_mma_async_ss(int n, bool bf16, float* const* d, uint64_t desc_a, uint64_t desc_b, bool scale_d, int scale_a,
                        int scale_b, int trans_a, int trans_b) {
    mma_async(n, bf16, d, nullptr, desc_a, desc_b, scale_d, scale_a, scale_b, trans_a, trans_b);
}
void wgmma_mma_async_rs(int n, bool bf16, float* const* d, const uint32_t* a, uint64_t desc_b, bool scale_d, int scale_a,
                        int scale_b, int trans_b) {
    mma_async(n, bf16, d, a, 0, desc_b, scale_d, scale_a, scale_b, 0, trans_b);
}
}  // namespace emu::px
