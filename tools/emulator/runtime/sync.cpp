// Synchronisation (PTX ISA "mbarrier", "bar/barrier", "barrier.cluster",
// "mapa"): mbarrier phases with pending-arrival and tx counts, remote arrives
// through shared::cluster addresses, named barriers, the cluster barrier.
// Checks: initialisation fenced before async/remote use, no more arrivals
// than expected in a phase, no re-init under in-flight TMA, consistent named
// barrier thread counts, arrive/wait pairing of barrier.cluster.
#include <cstdio>

#include "internal.hpp"

namespace emu::detail {
MBar& mbar(Cta& c, uint32_t addr, const char* what) {
    if (c.exited) fail("mbarrier operation on a CTA that has exited");
    auto it = c.mbars.find(addr);
    if (it == c.mbars.end()) {
        std::fprintf(stderr, "%s: no initialised mbarrier at shared 0x%x\n", what, addr);
        fail("mbarrier operation on an uninitialised mbarrier");
    }
    return it->second;
}
// The phase completes when both its pending arrivals and its tx-count reach 0.
void check_phase(MBar& b) {
    if (b.pending == 0 && b.tx == 0) {
        ++b.phase;
        b.pending = b.count;
        b.tx = 0;
        ++progress;
    }
}
}  // namespace emu::detail

namespace emu::px {
using namespace detail;

uint32_t mapa_shared_cluster(uint32_t addr, uint32_t rank) {
    if (addr & kClusterTag) fail("mapa of a shared::cluster address");
    if (rank >= uint32_t(cluster_size)) fail("mapa: CTA rank outside the cluster");
    check_dyn(addr, 1, "mapa");
    return kClusterTag | (rank << 24) | addr;
}
void mbarrier_init(uint32_t bar, uint32_t count) {
    if (bar % 8) fail("mbarrier not 8-byte aligned");
    check_dyn(bar, 8, "mbarrier.init");
    if (count < 1 || count > (1u << 20) - 1) fail("mbarrier.init count out of range");
    for (const Load& L : loads)
        if (L.bar == bar) fail("mbarrier re-initialised with TMA loads in flight on it");
    CTA().mbars[bar] = MBar{count, int64_t(count), 0, 0, false, cur};
    ++progress;
}
// Makes the inits of this thread visible to the async proxy and the cluster.
void fence_mbarrier_init() {
    for (auto& [a, b] : CTA().mbars)
        if (b.init_thread == cur) b.fenced = true;
}
void mbarrier_arrive_cluster(uint32_t cluster_addr) {
    const SAddr s = resolve(cluster_addr, true, "mbarrier.arrive.shared::cluster");
    MBar& b = mbar(ctas[s.cta], s.off, "mbarrier.arrive.shared::cluster");
    if (!b.fenced) fail("remote arrive on an mbarrier whose init was not fenced (fence.mbarrier_init)");
    if (--b.pending < 0) fail("mbarrier: more arrivals than its expected count in one phase");
    check_phase(b);
    ++progress;
    yield("after mbarrier.arrive (cluster)");
}
void barrier_cluster_arrive() {
    Fiber& f = fibers[cur];
    if (f.cluster_arrived_gen >= 0) fail("barrier.cluster.arrive twice without a wait");
    f.cluster_arrived_gen = cluster_bar.gen;
    ++progress;
    if (++cluster_bar.count >= alive_in_cluster()) { cluster_bar.count = 0; ++cluster_bar.gen; }
}
void barrier_cluster_wait() {
    Fiber& f = fibers[cur];
    if (f.cluster_arrived_gen < 0) fail("barrier.cluster.wait without an arrive");
    while (cluster_bar.gen == f.cluster_arrived_gen) yield("barrier.cluster.wait");
    f.cluster_arrived_gen = -1;
}
void mbarrier_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
    MBar& b = mbar(CTA(), bar, "mbarrier.arrive.expect_tx");
    b.tx += bytes;  // expect-tx, then arrive-on
    if (--b.pending < 0) fail("mbarrier: more arrivals than its expected count in one phase");
    check_phase(b);
    ++progress;
}
void mbarrier_arrive(uint32_t bar) {
    check_dyn(bar, 8, "mbarrier.arrive.shared::cta");
    MBar& b = mbar(CTA(), bar, "mbarrier.arrive");
    if (--b.pending < 0) fail("mbarrier: more arrivals than its expected count in one phase");
    check_phase(b);
    ++progress;
    yield("after mbarrier.arrive");  // a scheduling point: others may observe the arrival before we go on
}
bool mbarrier_try_wait_parity(uint32_t bar, uint32_t parity) {
    check_dyn(bar, 8, "mbarrier.try_wait.shared::cta");
    MBar& b = mbar(CTA(), bar, "mbarrier.try_wait.parity");
    if (parity > 1) fail("try_wait.parity with a parity other than 0/1");
    // True once the phase with this parity has completed: the current
    // (incomplete) phase has the other parity.
    if ((b.phase & 1) != parity) return true;
    yield("mbarrier.try_wait");
    return false;
}
void bar_sync(uint32_t id, uint32_t count) {
    if (id > 15) fail("bar.sync id > 15");
    if (count == 0) count = bdim.x;
    if (count % 32) fail("bar.sync thread count not a multiple of 32");
    Bar& b = CTA().named[id];
    if (b.count == 0) b.expected = int(count);
    else if (b.expected != int(count)) fail("bar.sync: participants disagree on the thread count");
    barrier(b, int(count), "bar.sync");
}
void bar_arrive(uint32_t id, uint32_t count) {
    if (id > 15 || id == 0 || count % 32 || count == 0) fail("bar.arrive operands");
    Bar& b = CTA().named[id];
    if (b.count == 0) b.expected = int(count);
    else if (b.expected != int(count)) fail("bar.arrive: participants disagree on the thread count");
    ++progress;
    if (++b.count == int(count)) { b.count = 0; ++b.gen; }
}
}  // namespace emu::px
