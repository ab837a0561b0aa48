// Control flow and warp/CTA synchronisation (PTX ISA 9.7.12 control flow:
// bra, ret, exit; 9.7.13.1 bar / barrier; 9.7.13.2 bar.warp.sync; 9.7.8.6
// shfl.sync; 9.7.13.3 vote.sync; 9.7.13.4 match.sync; 9.7.13.11 elect.sync;
// 9.7.13.12 redux.sync; activemask; nanosleep; trap; griddepcontrol).
#include <fmt/format.h>

#include <bit>

#include "exec/exec.hpp"

namespace ptxsim::exec {
namespace {

enum Ctl : uint8_t { K_none, K_sync, K_arrive, K_red_popc, K_red_and, K_red_or };

void h_bra(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const ptx::Operand& t = in.ops.back();
    if (t.kind != ptx::OperandKind::Label)
        fault(w, -1, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "indirect branch");
    branch(w, act, uint32_t(t.label));
}

void recheck_barriers(Cta& c);

void h_exit(Warp& w, const ptx::Instruction&, LaneMask act) {
    for_lanes(act, [&](int l) { w.state[std::size_t(l)] = LaneState::Exited; });
    w.cta->exited_threads += uint32_t(std::popcount(act));
    w.parked &= ~act;
    ++w.cta->launch->progress;
    recheck_barriers(*w.cta);
}

void h_trap(Warp& w, const ptx::Instruction&, LaneMask act) {
    fault(w, std::countr_zero(act), Check::rule, CUDA_ERROR_ILLEGAL_INSTRUCTION, "trap executed");
}

void h_nop(Warp&, const ptx::Instruction&, LaneMask) {}
void h_yield(Warp& w, const ptx::Instruction&, LaneMask) { w.yield = true; }

// Threads of the CTA a barrier without a count waits for: every thread of a
// warp that has not wholly exited (a warp that exited counts as arrived, as
// the hardware does; a partly exited warp still owes its live lanes).
uint32_t cta_expected(const Cta& c) {
    uint32_t n = 0;
    for (const Warp& w : c.warps)
        if (w.live()) n += uint32_t(std::popcount(w.valid));
    return n;
}

void complete(Cta& c, NamedBarrier& b) {
    const VectorClock clock = b.clock;
    auto waiters = std::move(b.waiters);
    const bool red_or = b.red_or, red_and = b.red_and;
    const uint32_t popc = b.red_popc;
    b = NamedBarrier{};
    for (auto& wt : waiters) {
        Warp& w = *wt.warp;
        hb_acquire(w, clock);
        const ptx::Instruction* in = wt.in;
        if (in && in->aux != K_sync && in->aux != K_arrive) {
            const uint64_t v = in->aux == K_red_popc ? popc : in->aux == K_red_and ? (red_and ? 1 : 0) : (red_or ? 1 : 0);
            for_lanes(wt.lanes, [&](int l) { dst_write(w, in->ops[0], l, v); });
        }
        w.release(wt.lanes);
    }
    (void)c;
}

void recheck_barriers(Cta& c) {
    for (NamedBarrier& b : c.barriers) {
        if (b.arrived == 0) continue;
        const uint32_t need = b.expected ? b.expected : cta_expected(c);
        if (b.arrived >= need) complete(c, b);
    }
}

// bar{.cta}.sync a{, b}; bar{.cta}.arrive a, b; bar{.cta}.red.op.type d, a{, b}, {!}c;
// barrier{.cta}.sync{.aligned} likewise. Counts are in threads; a warp
// arriving counts all of its threads (bar is .aligned).
void h_bar(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const uint8_t kind = uint8_t(in.aux);
    const bool red = kind >= K_red_popc;
    const std::size_t first = red ? 1 : 0;
    const int lane0 = std::countr_zero(act);
    const uint64_t id = src_bits(w, in.ops[first], lane0);
    if (id >= 16) fault(w, lane0, Check::synccheck, CUDA_ERROR_ILLEGAL_INSTRUCTION, fmt::format("barrier id {} > 15", id));
    const bool has_count = in.ops.size() > first + 1 + (red ? 1 : 0);
    uint32_t count = 0;
    if (has_count) {
        count = uint32_t(src_bits(w, in.ops[first + 1], lane0));
        if (count == 0 || count % 32 != 0)
            fault(w, lane0, Check::synccheck, CUDA_ERROR_ILLEGAL_INSTRUCTION,
                  fmt::format("barrier thread count {} is not a positive multiple of 32", count));
    }
    if (act != w.live())
        fault(w, lane0, Check::synccheck, CUDA_ERROR_LAUNCH_FAILED,
              fmt::format("divergent barrier: lanes 0x{:08x} of the warp execute it, lanes 0x{:08x} do not", act,
                          w.live() & ~act));
    Cta& c = *w.cta;
    NamedBarrier& b = c.barriers[id];
    if (b.arrived == 0) b.expected = count;
    else if (b.expected != count)
        fault(w, lane0, Check::synccheck, CUDA_ERROR_LAUNCH_FAILED,
              fmt::format("barrier {} used with thread count {} while a phase expecting {} is open", id, count,
                          b.expected));
    if (red) {
        const ptx::Operand& c_op = in.ops.back();
        for_lanes(act, [&](int l) {
            const bool p = src_bits(w, c_op, l) != 0;
            b.red_popc += p ? 1 : 0;
            b.red_or = b.red_or || p;
            b.red_and = b.red_and && p;
        });
    }
    b.arrived += uint32_t(std::popcount(w.valid));
    hb_release(w, b.clock);
    ++c.launch->progress;
    if (kind != K_arrive) {
        w.block(act);
        b.waiters.push_back({&w, act, &in});
    }
    const uint32_t need = b.expected ? b.expected : cta_expected(c);
    if (b.arrived > need && b.expected)
        fault(w, lane0, Check::synccheck, CUDA_ERROR_LAUNCH_FAILED,
              fmt::format("barrier {}: {} threads arrived for a count of {}", id, b.arrived, need));
    if (b.arrived >= need) complete(c, b);
}

uint32_t member_mask(const Warp& w, const ptx::Operand& op, int lane) { return uint32_t(src_bits(w, op, lane)); }

// shfl.sync.mode.b32 d{|p}, a, b, c, membermask
void h_shfl(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const uint8_t mode = uint8_t(in.aux);  // 0 up, 1 down, 2 bfly, 3 idx
    const ptx::Operand& d = in.ops[0];
    const ptx::Operand* dd = &d;
    const ptx::Operand* dp = nullptr;
    if (d.kind == ptx::OperandKind::Vec) {
        dd = &d.elems[0];
        if (d.elems.size() > 1) dp = &d.elems[1];
    }
    uint64_t vals[32];
    for_lanes(act, [&](int l) { vals[l] = src_bits(w, in.ops[1], l); });
    uint64_t out[32];
    bool pv[32];
    for_lanes(act, [&](int l) {
        const uint32_t bval = uint32_t(src_bits(w, in.ops[2], l)) & 31;
        const uint32_t c = uint32_t(src_bits(w, in.ops[3], l));
        const uint32_t cval = c & 31, segmask = (c >> 8) & 31;
        const uint32_t lane = uint32_t(l);
        const uint32_t max_lane = (lane & segmask) | (cval & ~segmask);
        const uint32_t min_lane = lane & segmask;
        int j = 0;
        bool p = false;
        switch (mode) {
            case 0: j = int(lane) - int(bval); p = j >= int(max_lane); break;
            case 1: j = int(lane + bval); p = j <= int(max_lane); break;
            case 2: j = int(lane ^ bval); p = j <= int(max_lane); break;
            default: j = int(min_lane | (bval & ~segmask)); p = j <= int(max_lane); break;
        }
        if (!p) j = l;
        // A source lane outside the executing set gives an undefined value (ISA); ptxsim returns the
        // lane's own operand.
        out[l] = (act >> j & 1) ? vals[j] : vals[l];
        pv[l] = p;
    });
    for_lanes(act, [&](int l) {
        dst_write(w, *dd, l, out[l] & 0xffffffffu);
        if (dp) dst_write(w, *dp, l, pv[l] ? 1 : 0);
    });
}

// vote.sync.{all,any,uni}.pred d, {!}a, membermask; vote.sync.ballot.b32 d, {!}a, membermask
void h_vote(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const uint8_t mode = uint8_t(in.aux);  // 0 all 1 any 2 uni 3 ballot
    LaneMask t = 0;
    for_lanes(act, [&](int l) {
        if (src_bits(w, in.ops[1], l) != 0) t |= 1u << l;
    });
    for_lanes(act, [&](int l) {
        const uint32_t mm = member_mask(w, in.ops[2], l) & act;
        const LaneMask tm = t & mm;
        uint64_t r = 0;
        switch (mode) {
            case 0: r = tm == mm; break;
            case 1: r = tm != 0; break;
            case 2: r = tm == 0 || tm == mm; break;
            default: r = tm; break;
        }
        dst_write(w, in.ops[0], l, r);
    });
}

// match.any.sync.b32/b64 d, a, membermask; match.all.sync.type d{|p}, a, membermask
void h_match(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const bool all = in.aux == 1;
    uint64_t v[32];
    for_lanes(act, [&](int l) { v[l] = src_bits(w, in.ops[1], l); });
    const ptx::Operand& d = in.ops[0];
    const ptx::Operand* dd = d.kind == ptx::OperandKind::Vec ? &d.elems[0] : &d;
    const ptx::Operand* dp = d.kind == ptx::OperandKind::Vec && d.elems.size() > 1 ? &d.elems[1] : nullptr;
    for_lanes(act, [&](int l) {
        const uint32_t mm = member_mask(w, in.ops[2], l) & act;
        LaneMask same = 0;
        for_lanes(mm, [&](int j) {
            if (v[j] == v[l]) same |= 1u << j;
        });
        if (all) {
            const bool eq = same == mm;
            dst_write(w, *dd, l, eq ? mm : 0);
            if (dp) dst_write(w, *dp, l, eq ? 1 : 0);
        } else {
            dst_write(w, *dd, l, same);
        }
    });
}

// elect.sync d|p, membermask: the lowest lane of membermask among the executing ones.
void h_elect(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const int lane0 = std::countr_zero(act);
    const uint32_t mm = member_mask(w, in.ops.back(), lane0) & act;
    const int leader = mm ? std::countr_zero(mm) : -1;
    const ptx::Operand& d = in.ops[0];
    const ptx::Operand* dd = d.kind == ptx::OperandKind::Vec ? &d.elems[0] : nullptr;
    const ptx::Operand* dp = d.kind == ptx::OperandKind::Vec && d.elems.size() > 1 ? &d.elems[1] : &d;
    for_lanes(act, [&](int l) {
        if (dd) dst_write(w, *dd, l, uint64_t(leader < 0 ? 0 : leader));
        dst_write(w, *dp, l, l == leader ? 1 : 0);
    });
}

// redux.sync.op.type d, a, membermask
void h_redux(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const uint8_t op = uint8_t(in.aux);  // 0 add 1 min 2 max 3 and 4 or 5 xor
    const bool sgn = in.aux2 != 0;
    for_lanes(act, [&](int l) {
        const uint32_t mm = member_mask(w, in.ops[2], l) & act;
        int64_t acc = 0;
        bool first = true;
        for_lanes(mm, [&](int j) {
            const uint32_t raw = uint32_t(src_bits(w, in.ops[1], j));
            const int64_t x = sgn ? int64_t(int32_t(raw)) : int64_t(raw);
            if (first) { acc = x; first = false; return; }
            switch (op) {
                case 0: acc += x; break;
                case 1: acc = std::min(acc, x); break;
                case 2: acc = std::max(acc, x); break;
                case 3: acc &= x; break;
                case 4: acc |= x; break;
                default: acc ^= x; break;
            }
        });
        dst_write(w, in.ops[0], l, uint64_t(acc) & 0xffffffffu);
    });
}

void h_activemask(Warp& w, const ptx::Instruction& in, LaneMask act) {
    for_lanes(act, [&](int l) { dst_write(w, in.ops[0], l, act); });
}

bool has_mod(const ptx::Instruction& in, const char* m) {
    for (const auto& x : in.mods)
        if (x == m) return true;
    return false;
}

}  // namespace

bool is_collective(const ptx::Instruction& in) {
    const std::string& b = in.base;
    if (b == "shfl" || b == "vote" || b == "match" || b == "elect" || b == "redux") return has_mod(in, "sync");
    if (b == "bar") return true;  // bar.* is .aligned; bar.warp.sync names its lanes
    if (b == "barrier") return has_mod(in, "aligned");
    if (b == "mma" || b == "ldmatrix" || b == "stmatrix" || b == "wgmma" || b == "setmaxnreg") return true;
    return false;
}

LaneMask collective_lanes(const Warp& w, const ptx::Instruction& in, int first_lane) {
    const std::string& b = in.base;
    if (b == "shfl" || b == "vote" || b == "match" || b == "elect" || b == "redux")
        return uint32_t(src_bits(w, in.ops.back(), first_lane));
    if (b == "bar" && !in.mods.empty() && in.mods[0] == "warp") return uint32_t(src_bits(w, in.ops[0], first_lane));
    // A CTA barrier waits for the warp's threads that have not exited (ISA 9.7.13.1).
    if (b == "bar" || b == "barrier") return w.live();
    return w.valid;
}

Handler decode_control(const ptx::Instruction& in) {
    const std::string& b = in.base;
    if (b == "bra" || b == "brx") return b == "bra" ? h_bra : nullptr;
    if (b == "ret" || b == "exit") return h_exit;
    if (b == "trap") return h_trap;
    if (b == "nanosleep") return h_yield;
    if (b == "pmevent" || b == "griddepcontrol") return h_nop;
    if (b == "activemask") return h_activemask;
    if (b == "bar" && !in.mods.empty() && in.mods[0] == "warp") return h_nop;  // bar.warp.sync: the collective meets
    if (b == "bar" || b == "barrier") {
        if (b == "barrier" && has_mod(in, "cluster")) return nullptr;  // barrier.cluster: the async family
        uint8_t kind = K_sync;
        if (has_mod(in, "arrive")) kind = K_arrive;
        else if (has_mod(in, "red")) kind = has_mod(in, "popc") ? K_red_popc : has_mod(in, "and") ? K_red_and : K_red_or;
        else if (!has_mod(in, "sync") && !in.mods.empty() && in.mods[0] != "cta") return nullptr;
        in.aux = kind;
        return h_bar;
    }
    if (b == "shfl") {
        uint8_t mode = 255;
        if (has_mod(in, "up")) mode = 0;
        else if (has_mod(in, "down")) mode = 1;
        else if (has_mod(in, "bfly")) mode = 2;
        else if (has_mod(in, "idx")) mode = 3;
        if (mode == 255 || !has_mod(in, "sync")) return nullptr;
        in.aux = mode;
        return h_shfl;
    }
    if (b == "vote") {
        uint8_t mode = 255;
        if (has_mod(in, "all")) mode = 0;
        else if (has_mod(in, "any")) mode = 1;
        else if (has_mod(in, "uni")) mode = 2;
        else if (has_mod(in, "ballot")) mode = 3;
        if (mode == 255 || !has_mod(in, "sync")) return nullptr;
        in.aux = mode;
        return h_vote;
    }
    if (b == "match") {
        in.aux = has_mod(in, "all") ? 1 : 0;
        return has_mod(in, "sync") ? h_match : nullptr;
    }
    if (b == "elect") return h_elect;
    if (b == "redux") {
        uint8_t op = 255;
        const char* names[] = {"add", "min", "max", "and", "or", "xor"};
        for (int i = 0; i < 6; ++i)
            if (has_mod(in, names[i])) op = uint8_t(i);
        if (op == 255) return nullptr;
        in.aux = op;
        in.aux2 = has_mod(in, "s32") ? 1 : 0;
        return h_redux;
    }
    return nullptr;
}

}  // namespace ptxsim::exec
