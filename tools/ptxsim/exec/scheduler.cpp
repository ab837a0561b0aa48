// Running a launch: clusters one after another (a cluster's CTAs are
// co-resident, as on the GPU), the warps of a cluster interleaved. A warp
// executes, one instruction at a time, the group of its lanes that share the
// lowest program counter, so divergent lanes reconverge where structured
// code meets again (PTX ISA 4.4 independent thread scheduling; collectives
// wait for the lanes they name). Execution models: PTXSIM_SEED shuffles the
// warp order and the run lengths; PTXSIM_TMA=late holds TMA loads back.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <bit>
#include <cstdlib>
#include <random>
#include <set>
#include <cstdio>

#include "exec/internal.hpp"
#include "exec/profile.hpp"

namespace ptxsim::exec {

// ---- Warp ----
LaneMask Warp::live() const {
    LaneMask m = 0;
    for (int l = 0; l < 32; ++l)
        if ((valid >> l & 1) && state[std::size_t(l)] != LaneState::Exited) m |= 1u << l;
    return m;
}
void Warp::block(LaneMask lanes) {
    for (LaneMask m = lanes; m; m &= m - 1) state[std::size_t(std::countr_zero(m))] = LaneState::Blocked;
}
void Warp::release(LaneMask lanes) {
    for (LaneMask m = lanes; m; m &= m - 1) {
        const int l = std::countr_zero(m);
        if (state[std::size_t(l)] == LaneState::Blocked) state[std::size_t(l)] = LaneState::Active;
    }
    ++cta->launch->progress;
}
uint32_t Warp::thread(int lane) const { return uint32_t(id) * 32u + uint32_t(lane); }

namespace {

thread_local LaneMask t_branched = 0;

const char* check_name(Check c) {
    switch (c) {
        case Check::memcheck: return "memcheck";
        case Check::racecheck: return "racecheck";
        case Check::initcheck: return "initcheck";
        case Check::synccheck: return "synccheck";
        case Check::deadlock: return "deadlock";
        case Check::unsupported: return "unsupported";
        case Check::rule: return "rule";
    }
    return "?";
}

std::string where_cta(const Cta& c) {
    const Launch& L = *c.launch;
    return fmt::format("kernel {}, block ({},{},{})", L.fn->name, c.ctaid[0], c.ctaid[1], c.ctaid[2]);
}

std::string source_of(const Launch& L, const ptx::Instruction& in) {
    if (in.src_file < 0) return {};
    const auto& files = L.module->ir.files;
    const std::string file = std::size_t(in.src_file) < files.size() ? files[std::size_t(in.src_file)] : "?";
    return fmt::format("\n  source: {}:{}", file, in.src_line);
}

}  // namespace

void branch(Warp& w, LaneMask lanes, uint32_t target) {
    for (LaneMask m = lanes; m; m &= m - 1) w.pc[std::size_t(std::countr_zero(m))] = target;
    t_branched |= lanes;
}

[[noreturn]] void fault(const Warp& w, int lane, Check check, CUresult status, const std::string& what) {
    const Cta& c = *w.cta;
    const Launch& L = *c.launch;
    std::string thread;
    if (lane >= 0) {
        const uint32_t t = w.thread(lane);
        thread = fmt::format(", thread ({},{},{}) (warp {}, lane {})", t % L.block[0], (t / L.block[0]) % L.block[1],
                             t / (L.block[0] * L.block[1]), w.id, lane);
    } else {
        thread = fmt::format(", warp {}", w.id);
    }
    std::string at;
    if (w.cur) at = fmt::format("\n  at PTX line {}: {}", w.cur->ptx_line, w.cur->text) + source_of(L, *w.cur);
    throw KernelFault(status, fmt::format("ptxsim {}: {}\n  {}{}{}", check_name(check), what, where_cta(c), thread, at));
}

[[noreturn]] void fault_cta(const Cta& c, Check check, CUresult status, const std::string& what) {
    throw KernelFault(status, fmt::format("ptxsim {}: {}\n  {}", check_name(check), what, where_cta(c)));
}

bool decode_kernel(LoadedModule& m, std::size_t k) {
    DecodedKernel& d = m.decoded[k];
    if (d.decoded) return d.error.empty();
    const ptx::Function& fn = *m.kernels[k].fn;
    d.handlers.resize(fn.insts.size());
    d.collective.resize(fn.insts.size());
    for (std::size_t i = 0; i < fn.insts.size(); ++i) {
        const ptx::Instruction& in = fn.insts[i];
        Handler h = decode_alu(in);
        if (!h) h = decode_memory(in);
        if (!h) h = decode_control(in);
        if (!h) h = decode_mma(in);
        if (!h) h = decode_async(in);
        if (!h && d.error.empty())
            d.error = fmt::format("ptxsim unsupported: kernel {} uses an instruction form the simulator does not "
                                  "implement: '{}' at PTX line {}",
                                  fn.name, in.text, in.ptx_line);
        d.handlers[i] = h;
        d.collective[i] = is_collective(in) ? 1 : 0;
    }
    d.decoded = true;
    return d.error.empty();
}

namespace {

// PTXSIM_COVERAGE=<file>: every kernel launched, one name per line (once per
// process), for the coverage list of the simulated suite.
void record_coverage(const std::string& kernel) {
    static std::set<std::string> seen;
    const char* path = std::getenv("PTXSIM_COVERAGE");
    if (path == nullptr || *path == '\0' || !seen.insert(kernel).second) return;
    if (FILE* f = std::fopen(path, "a")) {
        std::fprintf(f, "%s\n", kernel.c_str());
        std::fclose(f);
    }
}

struct Options {
    uint64_t seed = 0;
    bool tma_late = false;
    bool racecheck = true;
    bool initcheck = true;
    bool profile = false;
    bool approx_noise = false;
    uint32_t quantum = 256;
    uint32_t timeout_s = 600;
};

Options read_options() {
    Options o;
    if (const char* s = std::getenv("PTXSIM_SEED")) o.seed = std::strtoull(s, nullptr, 10);
    if (const char* s = std::getenv("PTXSIM_TMA")) o.tma_late = std::string(s) == "late";
    if (const char* s = std::getenv("PTXSIM_TIMEOUT")) o.timeout_s = uint32_t(std::strtoul(s, nullptr, 10));
    if (const char* s = std::getenv("PTXSIM_PROFILE")) o.profile = *s != '\0';
    if (const char* s = std::getenv("PTXSIM_APPROX_NOISE")) o.approx_noise = *s != '\0' && *s != '0';
    if (const char* s = std::getenv("PTXSIM_CHECKS")) {
        const std::string v = s;
        if (v.find("norace") != std::string::npos) o.racecheck = false;
        if (v.find("noinit") != std::string::npos) o.initcheck = false;
        if (v == "none") o.racecheck = o.initcheck = false;
    }
    return o;
}

class Runner {
public:
    Runner(Launch& L, const DecodedKernel& d, const Options& o)
        : L_(L), d_(d), opt_(o), rng_(o.seed),
          deadline_(std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s)) {}

    void run_cluster(Cluster& cl) {
        std::vector<Warp*> warps;
        for (Cta* c : cl.ctas) {
            async_cta_start(*c);
            for (Warp& w : c->warps) warps.push_back(&w);
        }
        int idle_rounds = 0;
        for (uint64_t round = 1;; ++round) {
            // A watchdog for loops that spin without a wait instruction (a
            // flag polled with ld.volatile, say): PTXSIM_TIMEOUT seconds a launch.
            if (round % 256 == 0 && std::chrono::steady_clock::now() > deadline_)
                deadlock(cl, fmt::format("the launch ran longer than PTXSIM_TIMEOUT={} s", opt_.timeout_s));
            if (opt_.seed) std::shuffle(warps.begin(), warps.end(), rng_);
            bool all_exited = true, any_real = false;
            const uint64_t before = L_.progress;
            for (Warp* w : warps) {
                if (w->live() == 0) continue;
                all_exited = false;
                const uint32_t q = opt_.seed ? 1 + uint32_t(rng_() % opt_.quantum) : opt_.quantum;
                if (run_warp(*w, q)) any_real = true;
            }
            if (all_exited) break;
            const bool force = !any_real || (opt_.seed != 0 && rng_() % 4 == 0);
            const bool landed = async_progress(cl, force);
            if (any_real || landed || L_.progress != before) {
                idle_rounds = 0;
                continue;
            }
            if (++idle_rounds > 4) deadlock(cl, "no warp of the cluster can make progress");
        }
        for (Cta* c : cl.ctas) {
            for (Warp& w : c->warps) mma_warp_finish(w);
            async_cta_finish(*c);
        }
    }

    uint64_t executed() const { return executed_; }

private:
    // Runs up to `budget` instructions of `w`; true when it did work other
    // than spinning on a failed wait.
    bool run_warp(Warp& w, uint32_t budget) {
        const auto& insts = L_.fn->insts;
        bool real = false;
        w.yield = false;
        const uint64_t progress_before = L_.progress;
        while (budget-- > 0) {
            // The group: the runnable lanes with the lowest pc.
            uint32_t pc = UINT32_MAX;
            LaneMask runnable = 0;
            for (LaneMask m = w.valid & ~w.parked; m; m &= m - 1) {
                const int l = std::countr_zero(m);
                if (w.state[std::size_t(l)] != LaneState::Active) continue;
                runnable |= 1u << l;
                pc = std::min(pc, w.pc[std::size_t(l)]);
            }
            if (runnable == 0) {
                if (w.parked && (w.parked & w.live()) == w.live()) {
                    // Only lanes parked at collectives are left: they wait for lanes that will never come.
                    const LaneMask p = w.parked;
                    w.cur = &insts[w.pc[std::size_t(std::countr_zero(p))]];
                    fault(w, -1, Check::synccheck, CUDA_ERROR_LAUNCH_FAILED,
                          fmt::format("divergent collective: lanes 0x{:08x} wait for lanes of the warp that are "
                                      "elsewhere",
                                      p));
                }
                return real;
            }
            if (pc >= insts.size()) {
                w.cur = insts.empty() ? nullptr : &insts.back();
                fault(w, std::countr_zero(runnable), Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                      "control fell off the end of the kernel without ret or exit");
            }
            LaneMask group = 0;
            for (LaneMask m = runnable; m; m &= m - 1) {
                const int l = std::countr_zero(m);
                if (w.pc[std::size_t(l)] == pc) group |= 1u << l;
            }
            // Lanes parked at this pc rejoin the group.
            for (LaneMask m = w.parked; m; m &= m - 1) {
                const int l = std::countr_zero(m);
                if (w.pc[std::size_t(l)] == pc) {
                    group |= 1u << l;
                    w.parked &= ~(1u << l);
                }
            }
            const ptx::Instruction& in = insts[pc];
            w.cur = &in;
            if (d_.collective[pc]) {
                const LaneMask need = collective_lanes(w, in, std::countr_zero(group)) & w.valid;
                const LaneMask missing = need & ~group;
                if (missing) {
                    const LaneMask gone = missing & ~w.live();
                    if (gone)
                        fault(w, std::countr_zero(group), Check::synccheck, CUDA_ERROR_LAUNCH_FAILED,
                              fmt::format("collective names lanes 0x{:08x} that have exited", gone));
                    w.parked |= group;
                    continue;
                }
            }
            LaneMask exec = group;
            if (in.guard >= 0) {
                LaneMask p = 0;
                for (LaneMask m = group; m; m &= m - 1) {
                    const int l = std::countr_zero(m);
                    if ((w.reg(in.guard, l) != 0) != in.guard_neg) p |= 1u << l;
                }
                exec = p;
            }
            t_branched = 0;
            if (exec) d_.handlers[pc](w, in, exec);
            for (LaneMask m = group & ~t_branched; m; m &= m - 1) ++w.pc[std::size_t(std::countr_zero(m))];
            ++executed_;
            // A quantum that ends spinning on a failed wait did work only if
            // it changed some state on the way (a store, an arrival).
            if (w.yield) return L_.progress != progress_before;
            real = true;
        }
        return real;
    }

    [[noreturn]] void deadlock(Cluster& cl, const std::string& why) {
        std::string report = why;
        for (Cta* c : cl.ctas) {
            report += fmt::format("\n  block ({},{},{}):", c->ctaid[0], c->ctaid[1], c->ctaid[2]);
            for (Warp& w : c->warps) {
                const LaneMask live = w.live();
                if (!live) continue;
                const int l = std::countr_zero(live);
                const uint32_t pc = w.pc[std::size_t(l)];
                const auto& insts = L_.fn->insts;
                const bool blocked = w.state[std::size_t(l)] == LaneState::Blocked;
                // A blocked lane's pc is past the instruction it waits in.
                const uint32_t at = blocked && pc > 0 ? pc - 1 : pc;
                report += fmt::format("\n    warp {} lanes 0x{:08x} {} at PTX line {}: {}", w.id, live,
                                      blocked ? "blocked" : "spinning",
                                      at < insts.size() ? insts[at].ptx_line : 0,
                                      at < insts.size() ? insts[at].text : "?");
            }
            report += describe_async(*c);
        }
        throw KernelFault(CUDA_ERROR_LAUNCH_TIMEOUT, "ptxsim deadlock: " + report + "\n  kernel " + L_.fn->name);
    }

    Launch& L_;
    const DecodedKernel& d_;
    Options opt_;
    std::mt19937_64 rng_;
    std::chrono::steady_clock::time_point deadline_;
    uint64_t executed_ = 0;
};

void setup_cta(Launch& L, Cta& c, Cluster& cl, uint32_t linear, const uint32_t ctaid[3], uint32_t rank,
               std::size_t nregs) {
    c.launch = &L;
    c.cluster = &cl;
    c.linear = linear;
    for (int k = 0; k < 3; ++k) c.ctaid[k] = ctaid[k];
    c.rank = rank;
    c.smem.assign(L.smem_window, 0);
    c.smem_init.assign(L.smem_window, 0);
    if (L.racecheck) {
        c.shadow_write.assign(L.smem_window, 0);
        c.shadow_read.assign(L.smem_window, 0);
    }
    // Poison: never-written shared memory reads as 0xCD (initcheck catches it first).
    std::fill(c.smem.begin(), c.smem.end(), uint8_t(0xCD));
    c.nthreads = L.block[0] * L.block[1] * L.block[2];
    c.exited_threads = 0;
    c.barriers = {};
    c.async = {};
    const uint32_t nwarps = (c.nthreads + 31) / 32;
    // The warps of the previous CTA in this slot are reused: their register
    // files (tens of MB for kernels with thousands of virtual registers) are
    // allocated and zeroed once per launch, not once per CTA. Registers a
    // kernel reads before writing are undefined on a GPU too.
    if (c.warps.size() != nwarps) {
        c.warps.clear();
        c.warps.resize(nwarps);
    }
    for (uint32_t i = 0; i < nwarps; ++i) {
        Warp& w = c.warps[i];
        w.cta = &c;
        w.id = int(i);
        const uint32_t first = i * 32, n = std::min<uint32_t>(32, c.nthreads - first);
        w.valid = n == 32 ? ~0u : ((1u << n) - 1);
        if (w.regs.size() != nregs * 32) w.regs.assign(nregs * 32, 0);
        w.mma = {};
        w.async = {};
        w.parked = 0;
        w.yield = false;
        w.cur = nullptr;
        w.pc.fill(0);
        w.state.fill(LaneState::Active);
        for (int l = 0; l < 32; ++l)
            if (!(w.valid >> l & 1)) w.state[std::size_t(l)] = LaneState::Exited;
        w.local.assign(std::size_t(L.local_bytes) * 32, 0);
        w.vc = {};
        w.vc.t[i] = 1;
    }
}

}  // namespace
}  // namespace ptxsim::exec

namespace ptxsim {

LaunchResult run_launch(const LaunchConfig& config, const DeviceModel& device) {
    using namespace exec;
    LaunchResult result;
    auto& m = const_cast<LoadedModule&>(*config.module);
    const std::size_t k = std::size_t(config.kernel - m.kernels.data());
    if (!decode_kernel(m, k)) {
        result.status = CUDA_ERROR_ILLEGAL_INSTRUCTION;
        result.message = m.decoded[k].error;
        return result;
    }
    const Options opt = read_options();
    Launch L;
    L.module = &m;
    L.kernel = config.kernel;
    L.fn = config.kernel->fn;
    L.device = &device;
    L.device_ordinal = config.device;
    for (int i = 0; i < 3; ++i) {
        L.grid[i] = config.grid[i];
        L.block[i] = config.block[i];
        L.cluster[i] = std::max(1u, config.cluster[i]);
    }
    L.dyn_smem = config.dyn_smem;
    L.static_smem_base = uint32_t(device.reserved_smem_per_block);
    const uint32_t static_end = L.static_smem_base + config.kernel->static_smem_bytes;
    const uint32_t da = m.dyn_smem_align[k];
    L.dyn_smem_base = (static_end + da - 1) / da * da;
    L.smem_window = L.dyn_smem_base + L.dyn_smem;
    L.params = config.params;
    L.params.resize(std::max<std::size_t>(L.params.size(), L.fn->param_bytes) + 16);
    L.local_bytes = config.kernel->local_bytes;
    L.seed = opt.seed;
    L.tma_late = opt.tma_late;
    L.racecheck = opt.racecheck;
    L.initcheck = opt.initcheck;
    L.profile = opt.profile;
    L.approx_noise = opt.approx_noise;
    Stats stats(*L.fn);
    L.stats = &stats;
    // Symbol addresses: shared offsets, local offsets, or module globals' generic addresses.
    const auto& offsets = m.symbol_offsets[k];
    L.symbol_addr.assign(L.fn->symbols.size(), 0);
    for (std::size_t s = 0; s < L.fn->symbols.size(); ++s) {
        const ptx::Variable& v = L.fn->symbols[s];
        if (v.space == ptx::Space::Shared)
            L.symbol_addr[s] = (v.is_extern || v.size == 0) ? L.dyn_smem_base : offsets[s];
        else if (v.space == ptx::Space::Local)
            L.symbol_addr[s] = offsets[s];
        else if (s < m.global_addr.size())
            L.symbol_addr[s] = m.global_addr[s];
    }
    reset_allocation_cache();

    const uint32_t cx = L.cluster[0], cy = L.cluster[1], cz = L.cluster[2];
    const uint32_t csize = cx * cy * cz;
    std::vector<Cta> ctas(csize);
    Cluster cl;
    cl.launch = &L;
    for (auto& c : ctas) cl.ctas.push_back(&c);
    Runner runner(L, m.decoded[k], opt);
    const std::size_t nregs = L.fn->regs.size();
    try {
        for (uint32_t kz = 0; kz < L.grid[2] / cz; ++kz)
            for (uint32_t ky = 0; ky < L.grid[1] / cy; ++ky)
                for (uint32_t kx = 0; kx < L.grid[0] / cx; ++kx) {
                    cl.id[0] = kx;
                    cl.id[1] = ky;
                    cl.id[2] = kz;
                    cl.async = {};
                    for (uint32_t r = 0; r < csize; ++r) {
                        const uint32_t rx = r % cx, ry = (r / cx) % cy, rz = r / (cx * cy);
                        const uint32_t id[3] = {kx * cx + rx, ky * cy + ry, kz * cz + rz};
                        const uint32_t linear = (id[2] * L.grid[1] + id[1]) * L.grid[0] + id[0];
                        setup_cta(L, ctas[r], cl, linear, id, r, nregs);
                    }
                    runner.run_cluster(cl);
                }
    } catch (const KernelFault& f) {
        result.status = f.status;
        result.message = f.what();
    }
    stats.instructions = runner.executed();
    record_stats(stats, L);
    record_coverage(L.fn->name);
    return result;
}

}  // namespace ptxsim
