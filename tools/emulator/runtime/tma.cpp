// Tensor copies (PTX ISA "cp.async.bulk.tensor", "Tensor Access Modes",
// "Tensor Swizzling Modes"): tile-mode boxes of rank 1..4 (stores 1..3)
// between global memory and shared memory, row-major in shared memory with
// the 128-byte swizzle, zero fill for loads / clipping for stores outside the
// tensor, multicast to the CTAs of a ctaMask, complete_tx of the full box on
// the mbarrier, and bulk async-groups for stores.
// Checks: map alignment and encoding, shared alignment (128 B, 1024 B when
// swizzled), destinations not read by an in-flight wgmma, global elements in
// registered buffers, store sources unchanged until wait_group.read.
#include <cstdio>

#include "internal.hpp"

namespace emu::detail {
namespace {
const EmuTensorMap& tmap(uint64_t generic) {
    const auto* m = reinterpret_cast<const EmuTensorMap*>(static_cast<uintptr_t>(generic));
    if (generic % 64 != 0) fail("tensor map operand not 64-byte aligned");
    if (m->magic != kTensorMapMagic) fail("tensor map operand is not an encoded CUtensorMap");
    return *m;
}
struct BoxGeom {
    uint32_t n0, n1, n2, n3, esize, bytes;
};
BoxGeom box_geom(const EmuTensorMap& m, uint32_t smem, const char* what) {
    if (m.interleave != 0) fail("emulator: interleaved tensor maps not modelled");
    for (int d = 0; d < m.rank; ++d)
        if (m.estr[d] != 1) fail("emulator: element strides other than 1 not modelled");
    if (smem % 128 != 0) {
        std::fprintf(stderr, "%s: shared address 0x%x\n", what, smem);
        fail("cp.async.bulk.tensor shared-memory address not 128-byte aligned");
    }
    BoxGeom g;
    g.n0 = m.box[0];
    g.n1 = m.rank > 1 ? m.box[1] : 1;
    g.n2 = m.rank > 2 ? m.box[2] : 1;
    g.n3 = m.rank > 3 ? m.box[3] : 1;
    g.esize = m.esize;
    g.bytes = g.n0 * g.n1 * g.n2 * g.n3 * g.esize;
    if (m.swizzle == 3) {  // CU_TENSOR_MAP_SWIZZLE_128B
        if (g.n0 * g.esize != 128) fail("emulator: 128B swizzle modelled only for a 128-byte inner box");
        if (smem % 1024 != 0) {
            std::fprintf(stderr, "%s: shared address 0x%x\n", what, smem);
            fail("128B-swizzled TMA box not 1024-byte aligned in shared memory");
        }
    } else if (m.swizzle != 0) {
        fail("emulator: only SWIZZLE_NONE and SWIZZLE_128B are modelled");
    }
    return g;
}
// Shared byte address of box element (i0, i1, i2, i3): row-major, then the
// 128B swizzle (bits 4-6 ^= bits 7-9 of the address).
uint32_t box_smem_addr(const EmuTensorMap& m, const BoxGeom& g, uint32_t smem, uint32_t i0, uint32_t i1, uint32_t i2,
                       uint32_t i3 = 0) {
    const uint32_t a = smem + (((i3 * g.n2 + i2) * g.n1 + i1) * g.n0 + i0) * g.esize;
    return m.swizzle == 3 ? (a ^ (((a >> 7) & 7u) << 4)) : a;
}
// Global address of tensor element (c0, c1, c2, c3), or nullptr outside the tensor.
unsigned char* tensor_addr(const EmuTensorMap& m, int64_t c0, int64_t c1, int64_t c2, int64_t c3 = 0) {
    const int64_t c[4] = {c0, c1, c2, c3};
    for (int d = 0; d < m.rank; ++d)
        if (c[d] < 0 || c[d] >= int64_t(m.dims[d])) return nullptr;
    uint64_t off = uint64_t(c0) * m.esize;
    if (m.rank > 1) off += uint64_t(c1) * m.strides[0];
    if (m.rank > 2) off += uint64_t(c2) * m.strides[1];
    if (m.rank > 3) off += uint64_t(c3) * m.strides[2];
    return reinterpret_cast<unsigned char*>(m.base + off);
}
void finish_store(const Store& s) {
    Cta& c = CTA();
    for (std::size_t i = 0; i < s.saddr.size(); ++i) {
        if (c.win[s.saddr[i]] != s.snap[i]) {
            std::fprintf(stderr, "TMA store source byte 0x%x changed from %02x to %02x before wait_group.read\n", s.saddr[i],
                         s.snap[i], c.win[s.saddr[i]]);
            fail("bulk store source overwritten while the store could still read it");
        }
    }
    for (std::size_t i = 0; i < s.saddr.size(); ++i)
        if (s.gaddr[i]) *s.gaddr[i] = s.snap[i];
}
}  // namespace

void land(const Load& L) {
    const BoxGeom g = box_geom(L.m, L.dst, "TMA load");
    bool any_in = false, any_out = false;
    std::vector<unsigned char> data(g.bytes);
    std::vector<uint32_t> where(g.bytes / g.esize);
    std::size_t e = 0;
    for (uint32_t i3 = 0; i3 < g.n3; ++i3)
        for (uint32_t i2 = 0; i2 < g.n2; ++i2)
            for (uint32_t i1 = 0; i1 < g.n1; ++i1)
                for (uint32_t i0 = 0; i0 < g.n0; ++i0) {
                    unsigned char* src = tensor_addr(L.m, int64_t(L.c[0]) + i0, int64_t(L.c[1]) + i1,
                                                     int64_t(L.c[2]) + i2, int64_t(L.c[3]) + i3);
                    unsigned char v[8] = {0};
                    if (src) {
                        check_global_range(src, g.esize, "TMA load source element");
                        std::memcpy(v, src, g.esize);
                        any_in = true;
                    } else {
                        any_out = true;
                    }
                    std::memcpy(&data[e * g.esize], v, g.esize);
                    where[e++] = box_smem_addr(L.m, g, L.dst, i0, i1, i2, i3);
                }
    if (!any_in) ++st.oob_boxes;
    else if (any_out) ++st.partial_boxes;
    // The same CTA-relative offsets in every destination CTA (multicast), and
    // complete_tx of the full box on each destination's mbarrier.
    for (int r = 0; r < cluster_size; ++r) {
        if (!(L.mask >> r & 1)) continue;
        Cta& c = ctas[L.src_cluster_base + r];
        for (std::size_t i = 0; i < where.size(); ++i)
            smem_write(c, where[i], &data[i * g.esize], g.esize, false, "TMA load");
        MBar& b = mbar(c, L.bar, "TMA complete_tx");
        if (!b.fenced) fail("complete_tx on an mbarrier whose init was not fenced (fence.mbarrier_init)");
        b.tx -= g.bytes;  // the full box, also for elements outside the tensor (an assumption: see README)
        check_phase(b);
    }
    ++progress;
}
}  // namespace emu::detail

namespace emu::px {
using namespace detail;

void prefetch_tensormap(uint64_t map) { (void)tmap(map); }
void tma_load_tile_multicast(uint32_t dst, uint64_t map, const int32_t* coords, int rank, uint32_t bar, uint16_t mask) {
    const EmuTensorMap& m = tmap(map);
    if (m.rank != rank) fail("cp.async.bulk.tensor rank differs from the tensor map's");
    // dstMem and mbar are shared::cluster addresses; with .multicast::cluster
    // the data and the complete_tx go to the same CTA-relative offsets in
    // every CTA of ctaMask.
    const SAddr d = resolve(dst, true, "TMA load destination"), b = resolve(bar, true, "TMA load mbarrier");
    if (d.cta != b.cta) fail("cp.async.bulk.tensor: destination and mbarrier in different CTAs");
    const int base = fibers[cur].cta / cluster_size * cluster_size;
    if (mask == 0) {  // unicast
        mask = uint16_t(1u << (d.cta - base));
    } else if (mask >> cluster_size) {
        fail("multicast ctaMask names CTAs outside the cluster");
    }
    for (int r = 0; r < cluster_size; ++r)
        if (mask >> r & 1) (void)mbar(ctas[base + r], b.off, "cp.async.bulk.tensor (mbarrier operand)");
    if (rank < 1 || rank > 4) fail("emulator: tensor rank 1..4 modelled");
    Load L{d.off, m, {coords[0], rank > 1 ? coords[1] : 0, rank > 2 ? coords[2] : 0, rank > 3 ? coords[3] : 0}, b.off,
           mask, base};
    const BoxGeom g = box_geom(m, d.off, "TMA load");
    check_dyn(d.off, g.bytes, "TMA load destination");
    for (int r = 0; r < cluster_size; ++r) {
        if (!(mask >> r & 1)) continue;
        const Cta& c = ctas[base + r];
        for (uint32_t i = 0; i < g.bytes; ++i)
            if (c.inflight[d.off + i]) {
                std::fprintf(stderr, "TMA load into CTA %u at 0x%x: byte 0x%x is an operand of an in-flight wgmma group\n",
                             c.idx.x, d.off, d.off + i);
                fail("TMA load issued into shared memory that an in-flight wgmma group reads");
            }
    }
    ++st.tma_loads;
    ++progress;
    if (cfg.lazy_tma) loads.push_back(L); else land(L);
}
void tma_load_tile(uint32_t dst, uint64_t map, const int32_t* coords, int rank, uint32_t bar) {
    tma_load_tile_multicast(dst, map, coords, rank, bar, 0);
}
// The source is read (and checked against the proxy rule) at issue; the
// global writes happen at the wait_group that completes the store's group.
void tma_store_tile(uint64_t map, const int32_t* coords, int rank, uint32_t src) {
    const EmuTensorMap& m = tmap(map);
    if (m.rank != rank) fail("cp.async.bulk.tensor rank differs from the tensor map's");
    if (rank > 3) fail("emulator: rank-4 TMA store not modelled");
    const BoxGeom g = box_geom(m, src, "TMA store");
    check_dyn(src, g.bytes, "TMA store source");
    const int32_t c0 = coords[0], c1 = rank > 1 ? coords[1] : 0, c2 = rank > 2 ? coords[2] : 0;
    Store s;
    for (uint32_t i2 = 0; i2 < g.n2; ++i2)
        for (uint32_t i1 = 0; i1 < g.n1; ++i1)
            for (uint32_t i0 = 0; i0 < g.n0; ++i0) {
                const uint32_t a = box_smem_addr(m, g, src, i0, i1, i2);
                unsigned char* dst = tensor_addr(m, int64_t(c0) + i0, int64_t(c1) + i1, int64_t(c2) + i2);
                if (dst) check_global_range(dst, g.esize, "TMA store destination element");
                for (uint32_t b = 0; b < g.esize; ++b) {
                    s.saddr.push_back(a + b);
                    s.snap.push_back(smem_read_async(a + b, "TMA store source"));
                    s.gaddr.push_back(dst ? dst + b : nullptr);
                }
            }
    ++st.tma_stores;
    fibers[cur].bulk_open.push_back(std::move(s));
}
void bulk_commit_group() {
    Fiber& f = fibers[cur];
    f.bulk_groups.push_back(std::move(f.bulk_open));
    f.bulk_open.clear();
}
void bulk_wait_group(uint32_t n, bool read_only) {
    // .read only promises the sources were read; the global writes are made
    // at the same point either way (no kernel reads back what it stored).
    (void)read_only;
    Fiber& f = fibers[cur];
    while (f.bulk_groups.size() > n) {
        for (const Store& s : f.bulk_groups.front()) finish_store(s);
        f.bulk_groups.pop_front();
    }
}
}  // namespace emu::px
