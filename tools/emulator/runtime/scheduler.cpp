// Threads as fibers: one ucontext per thread of a cluster, scheduled
// cooperatively. A thread runs until it blocks (barrier, collective, failed
// mbarrier wait); a round in which no thread changed any state lands one
// pending TMA load (lazy model) or, with none, is a deadlock.
#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "internal.hpp"

namespace emu::detail {
std::vector<Fiber> fibers;
int cur = 0;
int cta_threads = 0, cluster_size = 1;
dim3e bdim{0, 1, 1}, gdim{1, 1, 1};
std::vector<Cta> ctas;
uint32_t dyn_lo = 0, dyn_hi = 0;
std::vector<Bar> warp_bars;
std::vector<std::vector<uint32_t>> warp_slots;
std::vector<WG> wgs;
std::deque<Load> loads;
Bar cluster_bar;
long progress = 0;
std::vector<Region> regions;
RunConfig cfg;
Stats st;

namespace {
constexpr std::size_t kStack = 256 * 1024;
std::vector<char*> stacks;  // reused across clusters
ucontext_t sched_ctx;
std::function<void()> body;
std::mt19937 rng;

void trampoline() {
    body();
    Fiber& f = fibers[cur];
    if (!f.bulk_open.empty()) fail("thread exited with uncommitted bulk copies");
    if (!f.bulk_groups.empty()) fail("thread exited with bulk async-groups not waited for (shared memory may be released)");
    if (f.wg_done != f.wg_commits) fail("thread exited with wgmma groups in flight");
    if (!f.wg_pending.empty()) fail("thread exited with wgmma accumulator results never waited for");
    f.done = true;
    ++progress;
    // A CTA whose threads have all exited releases its shared memory.
    bool all = true;
    for (auto& g : fibers) all &= !(g.cta == f.cta && !g.done);
    if (all) ctas[f.cta].exited = true;
    // barrier.cluster waits for the non-exited threads only.
    if (cluster_bar.count > 0 && cluster_bar.count >= alive_in_cluster()) { cluster_bar.count = 0; ++cluster_bar.gen; }
    swapcontext(&f.ctx, &sched_ctx);
}

[[noreturn]] void report_deadlock(unsigned first) {
    std::fprintf(stderr, "deadlock in cluster of block %u; blocked threads:\n", first);
    int shown = 0;
    for (int i = 0; i < int(fibers.size()) && shown < 16; ++i)
        if (!fibers[i].done && (i % cta_threads) % 32 == 0) {
            std::fprintf(stderr, "  cta %d thread %d: %s\n", fibers[i].cta, i % cta_threads, fibers[i].blocked);
            ++shown;
        }
    for (auto& c : ctas)
        for (auto& [a, mb] : c.mbars)
            std::fprintf(stderr, "  cta %u mbarrier 0x%x: phase %llu pending %lld tx %lld\n", c.idx.x, a,
                         (unsigned long long)mb.phase, (long long)mb.pending, (long long)mb.tx);
    fail("deadlock");
}
}  // namespace

void yield(const char* why) {
    fibers[cur].blocked = why;
    swapcontext(&fibers[cur].ctx, &sched_ctx);
    fibers[cur].blocked = "";
}
int alive_in_block() {
    int n = 0;
    for (auto& f : fibers) n += !f.done && f.cta == fibers[cur].cta;
    return n;
}
int alive_in_cluster() { int n = 0; for (auto& f : fibers) n += !f.done; return n; }
int alive_in(int first, int count) {
    int n = 0;
    for (int i = first; i < first + count && i < int(fibers.size()); ++i) n += !fibers[i].done;
    return n;
}
void barrier(Bar& b, int participants, const char* why) {
    const long gen = b.gen;
    ++progress;
    if (++b.count == participants) { b.count = 0; ++b.gen; return; }
    while (b.gen == gen) yield(why);
}
}  // namespace emu::detail

namespace emu {
using namespace detail;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "EMU FAILURE: %s (block %u, thread %d)\n", what, fibers.empty() ? 0u : ctas[fibers[cur].cta].idx.x,
                 fibers.empty() ? -1 : cur % cta_threads);
    std::fflush(stderr);
    std::fflush(stdout);
    std::_Exit(3);
}
RunConfig& config() { return cfg; }
Stats& stats() { return st; }
dim3e& thread_idx() { return fibers[cur].tid; }
dim3e& block_idx() { return CTA().idx; }
dim3e& block_dim() { return bdim; }
dim3e& grid_dim() { return gdim; }
unsigned char* window() { return CTA().win.data(); }
unsigned char* dyn_smem() { return CTA().win.data() + dyn_lo; }
std::size_t window_size() { return CTA().win.size(); }
void syncthreads() { barrier(CTA().named[0], alive_in_block(), "__syncthreads"); }

uint32_t px::sreg(const char* name) {
    if (!std::strcmp(name, "%lanemask_lt")) return (1u << (cur & 31)) - 1u;
    if (!std::strcmp(name, "%cluster_ctarank")) return uint32_t(fibers[cur].cta % cluster_size);
    if (!std::strcmp(name, "%cluster_nctarank")) return uint32_t(cluster_size);
    if (!std::strcmp(name, "%laneid")) return uint32_t(cur % 32);
    std::fprintf(stderr, "special register %s\n", name);
    fail("emulator: special register not modelled");
}

void run_cluster(unsigned first, unsigned n, dim3e grid, int threads, uint32_t dyn_bytes, std::function<void()> kernel) {
    gdim = grid;
    bdim = {unsigned(threads), 1, 1};
    cta_threads = threads;
    cluster_size = int(n);
    dyn_lo = cfg.window_offset;
    dyn_hi = dyn_lo + dyn_bytes;
    ctas.clear();
    ctas.resize(n);
    for (unsigned r = 0; r < n; ++r) {
        Cta& c = ctas[r];
        c.idx = {first + r, 0, 0};
        c.win.assign(dyn_hi + 16, 0xFF);  // NaN in every 16- and 32-bit float format
        c.wr_thread.assign(c.win.size(), 0);
        c.wr_seq.assign(c.win.size(), 0);
        c.inflight.assign(c.win.size(), 0);
    }
    body = std::move(kernel);
    const int total = threads * int(n);
    fibers.clear();
    fibers.resize(total);
    warp_bars.assign((total + 31) / 32, Bar{});
    warp_slots.assign((total + 31) / 32, {});
    wgs.clear();
    wgs.resize((total + 127) / 128);
    loads.clear();
    cluster_bar = Bar{};
    while (int(stacks.size()) < total) {
        void* p = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) fail("mmap stack");
        stacks.push_back(static_cast<char*>(p));
    }
    for (int i = 0; i < total; ++i) {
        Fiber& f = fibers[i];
        f.stack = stacks[i];
        f.cta = i / threads;
        f.tid = {unsigned(i % threads), 0, 0};
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = nullptr;
        makecontext(&f.ctx, trampoline, 0);
    }
    std::vector<int> order(total);
    for (int i = 0; i < total; ++i) order[i] = i;
    rng.seed(cfg.seed * 7919u + first);
    for (;;) {
        bool any = false;
        const long before = progress;
        if (cfg.shuffle) std::shuffle(order.begin(), order.end(), rng);
        for (int i : order) {
            if (fibers[i].done) continue;
            any = true;
            cur = i;
            swapcontext(&sched_ctx, &fibers[i].ctx);
        }
        if (!any) break;
        if (progress != before) continue;
        if (loads.empty()) report_deadlock(first);
        // Lazy TMA: a copy lands only when nothing else can move, in any
        // order (not only the issue order) when shuffling.
        const std::size_t pick = cfg.shuffle ? rng() % loads.size() : 0;
        const Load L = loads[pick];
        loads.erase(loads.begin() + long(pick));
        land(L);
    }
    if (!loads.empty()) fail("cluster finished with TMA loads still in flight");
    st.blocks += n;
}
void run_block(dim3e block, dim3e grid, int threads, uint32_t dyn_bytes, std::function<void()> kernel) {
    run_cluster(block.x, 1, grid, threads, dyn_bytes, std::move(kernel));
}
}  // namespace emu
