// Loads, stores, atomics and address conversion (PTX ISA 9.7.9.8 ld,
// 9.7.9.9 ldu, 9.7.9.10 st, 9.7.13.5 atom, 9.7.13.6 red, 9.7.9.19 cvta,
// 9.7.9.20 isspacep, 9.7.9.15 prefetch). Every access goes through memory.cpp's
// checked accessors; with PTXSIM_PROFILE each warp-level access is also
// counted for bank conflicts (shared) and sectors (global).
#include <fmt/format.h>

#include <cmath>

#include "exec/exec.hpp"
#include "exec/profile.hpp"

namespace ptxsim::exec {
namespace {

using ptx::Space;
using ptx::Type;

struct MemMods {
    Space space = Space::Generic;
    Type t = Type::None;
    uint8_t vec = 1;      // v1 / v2 / v4 / v8
    uint8_t op = 0;       // atomic operation
    bool cluster = false; // .shared::cluster
    bool to = false;      // cvta.to
    uint8_t pad[2] = {};
};
static_assert(sizeof(MemMods) <= 8);
MemMods mm(const ptx::Instruction& in) {
    MemMods m;
    std::memcpy(static_cast<void*>(&m), &in.aux, sizeof m);
    return m;
}

enum AtomOp : uint8_t { A_add, A_min, A_max, A_inc, A_dec, A_and, A_or, A_xor, A_exch, A_cas };

int tbits(Type t) { return ptx::type_bits(t); }
bool is_signed(Type t) { return t == Type::S8 || t == Type::S16 || t == Type::S32 || t == Type::S64; }

// Resolved location of one lane's access.
struct Loc {
    Window win;
    Cta* cta;       // for shared
    uint64_t addr;  // shared/local/param offset, or global address
};

Loc locate(Warp& w, int lane, const ptx::Operand& a, const MemMods& m) {
    const uint64_t ea = effective_address(w, a, lane);
    switch (m.space) {
        case Space::Shared: {
            if (m.cluster) {
                const ClusterAddr ca = resolve_cluster_addr(w, lane, uint32_t(ea));
                return {Window::Shared, ca.cta, ca.offset};
            }
            if (ea >> 32)
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("shared address 0x{:x} does not fit the 32-bit shared window", ea));
            return {Window::Shared, w.cta, ea};
        }
        case Space::Global: return {Window::Global, nullptr, ea};
        case Space::Const: return {Window::Global, nullptr, ea};  // module constants live in host memory
        case Space::Local: return {Window::Local, nullptr, ea};
        case Space::Param: {
            const uint64_t pb = reinterpret_cast<uint64_t>(w.cta->launch->params.data());
            return {Window::Param, nullptr, ea - pb};
        }
        default: {
            uint32_t off = 0;
            const Window win = classify_generic(w, lane, ea, &off);
            if (win == Window::Shared) {
                const ClusterAddr ca = resolve_cluster_addr(w, lane, off);
                return {win, ca.cta, ca.offset};
            }
            if (win == Window::Global) return {win, nullptr, ea};
            return {win, nullptr, off};
        }
    }
}

void do_read(Warp& w, int lane, const Loc& at, void* dst, uint32_t bytes, uint32_t align, Unit unit = Unit::Thread) {
    switch (at.win) {
        case Window::Shared:
            if (at.cta == w.cta) shared_read(w, lane, uint32_t(at.addr), dst, bytes, align, unit);
            else shared_read_cta(*at.cta, uint32_t(at.addr), dst, bytes, Unit::Thread, "distributed shared read");
            return;
        case Window::Global: global_read(w, lane, at.addr, dst, bytes, align); return;
        case Window::Local: {
            const uint32_t lb = w.cta->launch->local_bytes;
            if (at.addr + bytes > lb || at.addr % align)
                fault(w, lane, Check::memcheck, at.addr % align ? CUDA_ERROR_MISALIGNED_ADDRESS : CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("local read of {} bytes at 0x{:x}: the frame is {} bytes", bytes, at.addr, lb));
            std::memcpy(dst, w.local.data() + std::size_t(lane) * lb + at.addr, bytes);
            return;
        }
        case Window::Param: {
            const auto& p = w.cta->launch->params;
            if (at.addr + bytes > p.size())
                fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("param read of {} bytes at offset {} past the {}-byte parameter buffer", bytes,
                                  at.addr, p.size()));
            std::memcpy(dst, p.data() + at.addr, bytes);
            return;
        }
        default: break;
    }
    fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS, "access to an invalid address");
}

void do_write(Warp& w, int lane, const Loc& at, const void* src, uint32_t bytes, uint32_t align,
              Unit unit = Unit::Thread) {
    switch (at.win) {
        case Window::Shared:
            if (at.cta == w.cta) shared_write(w, lane, uint32_t(at.addr), src, bytes, align, unit);
            else shared_write_cta(*at.cta, uint32_t(at.addr), src, bytes, Unit::Thread, "distributed shared write");
            return;
        case Window::Global: global_write(w, lane, at.addr, src, bytes, align); return;
        case Window::Local: {
            const uint32_t lb = w.cta->launch->local_bytes;
            if (at.addr + bytes > lb || at.addr % align)
                fault(w, lane, Check::memcheck, at.addr % align ? CUDA_ERROR_MISALIGNED_ADDRESS : CUDA_ERROR_ILLEGAL_ADDRESS,
                      fmt::format("local write of {} bytes at 0x{:x}: the frame is {} bytes", bytes, at.addr, lb));
            std::memcpy(w.local.data() + std::size_t(lane) * lb + at.addr, src, bytes);
            return;
        }
        case Window::Param:
            fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS, "store to the kernel parameter space");
        default: break;
    }
    fault(w, lane, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS, "access to an invalid address");
}

void profile(Warp& w, const ptx::Instruction& in, LaneMask act, const MemMods& m, uint32_t bytes) {
    Launch& L = *w.cta->launch;
    if (!L.profile || L.stats == nullptr) return;
    uint32_t sa[32];
    uint64_t ga[32];
    uint32_t ns = 0, ng = 0;
    const ptx::Operand& a = in.base == "st" ? in.ops[0] : in.ops[1];
    for_lanes(act, [&](int l) {
        const Loc at = locate(w, l, a, m);
        if (at.win == Window::Shared) sa[ns++] = uint32_t(at.addr);
        else if (at.win == Window::Global) ga[ng++] = at.addr;
    });
    profile_shared(*L.stats, sa, ns, bytes, in);
    profile_global(*L.stats, ga, ng, bytes);
}

void h_ld(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const MemMods m = mm(in);
    const uint32_t eb = uint32_t(tbits(m.t) / 8);
    const uint32_t n = m.vec;
    const uint32_t bytes = eb * n;
    const ptx::Operand& d = in.ops[0];
    profile(w, in, act, m, bytes);
    for_lanes(act, [&](int l) {
        const Loc at = locate(w, l, in.ops[1], m);
        uint8_t buf[64];
        do_read(w, l, at, buf, bytes, bytes);
        for (uint32_t i = 0; i < n; ++i) {
            uint64_t v = 0;
            std::memcpy(&v, buf + i * eb, eb);
            if (is_signed(m.t) && eb < 8) {  // ld.s8/s16/s32 sign-extend into the register
                const uint64_t sign = 1ull << (eb * 8 - 1);
                v = (v ^ sign) - sign;
                const ptx::Operand& o = n == 1 ? d : d.elems[i];
                const int rb = o.kind == ptx::OperandKind::Reg ? ptx::type_bits(w.cta->launch->fn->regs[std::size_t(o.reg)].type) : 64;
                if (rb < 64) v &= (1ull << rb) - 1;
            }
            dst_write(w, n == 1 ? d : d.elems[i], l, v);
        }
    });
}

void h_st(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const MemMods m = mm(in);
    const uint32_t eb = uint32_t(tbits(m.t) / 8);
    const uint32_t n = m.vec;
    const uint32_t bytes = eb * n;
    const ptx::Operand& s = in.ops[1];
    profile(w, in, act, m, bytes);
    for_lanes(act, [&](int l) {
        const Loc at = locate(w, l, in.ops[0], m);
        uint8_t buf[64];
        for (uint32_t i = 0; i < n; ++i) {
            const uint64_t v = src_bits(w, n == 1 ? s : s.elems[i], l);
            std::memcpy(buf + i * eb, &v, eb);
        }
        do_write(w, l, at, buf, bytes, bytes);
    });
}

uint64_t atom_apply(AtomOp op, Type t, uint64_t old, uint64_t b, uint64_t c) {
    const int bits = tbits(t);
    const uint64_t mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
    auto sx = [&](uint64_t v) -> int64_t {
        if (bits >= 64) return int64_t(v);
        const uint64_t sign = 1ull << (bits - 1);
        return int64_t(((v & mask) ^ sign) - sign);
    };
    if (t == Type::F32) {
        float o, x;
        const uint32_t ob = uint32_t(old), xb = uint32_t(b);
        std::memcpy(&o, &ob, 4);
        std::memcpy(&x, &xb, 4);
        float r = o;
        switch (op) {
            case A_add: r = o + x; break;
            case A_min: r = std::fmin(o, x); break;
            case A_max: r = std::fmax(o, x); break;
            case A_exch: r = x; break;
            default: return b;
        }
        uint32_t rb;
        std::memcpy(&rb, &r, 4);
        return rb;
    }
    if (t == Type::F64 && op == A_add) {
        double o, x;
        std::memcpy(&o, &old, 8);
        std::memcpy(&x, &b, 8);
        const double r = o + x;
        uint64_t rb;
        std::memcpy(&rb, &r, 8);
        return rb;
    }
    switch (op) {
        case A_add: return (old + b) & mask;
        case A_min: return is_signed(t) ? uint64_t(std::min(sx(old), sx(b))) & mask : std::min(old & mask, b & mask);
        case A_max: return is_signed(t) ? uint64_t(std::max(sx(old), sx(b))) & mask : std::max(old & mask, b & mask);
        case A_inc: return ((old & mask) >= (b & mask)) ? 0 : (old + 1) & mask;
        case A_dec: return ((old & mask) == 0 || (old & mask) > (b & mask)) ? (b & mask) : (old - 1) & mask;
        case A_and: return old & b & mask;
        case A_or: return (old | b) & mask;
        case A_xor: return (old ^ b) & mask;
        case A_exch: return b & mask;
        case A_cas: return (old & mask) == (b & mask) ? (c & mask) : (old & mask);
    }
    return old;
}

// atom{.sem}{.scope}{.space}.op.type d, [a], b{, c};  red{.sem}{.scope}{.space}.op.type [a], b;
void h_atom(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const MemMods m = mm(in);
    const bool red = in.base == "red";
    const uint32_t eb = uint32_t(tbits(m.t) / 8);
    const ptx::Operand& a = red ? in.ops[0] : in.ops[1];
    const ptx::Operand& b = red ? in.ops[1] : in.ops[2];
    const ptx::Operand* c = (!red && in.ops.size() > 3) ? &in.ops[3] : nullptr;
    // Lanes in order: atomics of one instruction are serialised in lane order (deterministic).
    for_lanes(act, [&](int l) {
        const Loc at = locate(w, l, a, m);
        uint64_t old = 0;
        // Atomics never race with each other (the memory model's atomicity):
        // they are not plain accesses to racecheck.
        do_read(w, l, at, &old, eb, eb, Unit::Atomic);
        const uint64_t r = atom_apply(AtomOp(m.op), m.t, old, src_bits(w, b, l), c ? src_bits(w, *c, l) : 0);
        do_write(w, l, at, &r, eb, eb, Unit::Atomic);
        if (!red) dst_write(w, in.ops[0], l, old);
    });
}

void h_cvta(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const MemMods m = mm(in);
    const int bits = tbits(m.t);
    for_lanes(act, [&](int l) {
        const uint64_t a = src_bits(w, in.ops[1], l);
        uint64_t r = a;
        if (m.space == Space::Shared) {
            if (m.to) {
                uint32_t off = 0;
                const Window win = classify_generic(w, l, a, &off);
                if (win != Window::Shared)
                    fault(w, l, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                          fmt::format("cvta.to.shared of 0x{:x}, which is not a shared-memory address", a));
                r = off;
            } else {
                r = shared_to_generic(*w.cta, uint32_t(a));
            }
        } else if (m.space == Space::Local) {
            if (m.to) {
                uint32_t off = 0;
                const Window win = classify_generic(w, l, a, &off);
                if (win != Window::Local)
                    fault(w, l, Check::memcheck, CUDA_ERROR_ILLEGAL_ADDRESS,
                          fmt::format("cvta.to.local of 0x{:x}, which is not a local-memory address", a));
                r = off;
            } else {
                r = local_to_generic(w, l, uint32_t(a));
            }
        }
        // global, const, param: generic addresses are the same numbers in ptxsim.
        dst_write(w, in.ops[0], l, bits >= 64 ? r : (r & 0xffffffffu));
    });
}

void h_isspacep(Warp& w, const ptx::Instruction& in, LaneMask act) {
    const MemMods m = mm(in);
    for_lanes(act, [&](int l) {
        uint32_t off = 0;
        const Window win = classify_generic(w, l, src_bits(w, in.ops[1], l), &off);
        bool r = false;
        switch (m.space) {
            case Space::Shared: r = win == Window::Shared; break;
            case Space::Local: r = win == Window::Local; break;
            case Space::Param: r = win == Window::Param; break;
            case Space::Global: r = win == Window::Global; break;
            default: break;
        }
        dst_write(w, in.ops[0], l, r ? 1 : 0);
    });
}

void h_nop(Warp&, const ptx::Instruction&, LaneMask) {}

}  // namespace

Handler decode_memory(const ptx::Instruction& in) {
    const std::string& b = in.base;
    const bool is_ld = b == "ld" || b == "ldu";
    const bool is_st = b == "st";
    const bool is_atom = b == "atom" || b == "red";
    const bool is_cvta = b == "cvta";
    const bool is_isspacep = b == "isspacep";
    const bool is_prefetch = (b == "prefetch" || b == "prefetchu") &&
                             !(in.mods.size() > 0 && (in.mods[0] == "tensormap" || in.mods.back() == "tensormap"));
    if (!is_ld && !is_st && !is_atom && !is_cvta && !is_isspacep && !is_prefetch) return nullptr;
    if (is_prefetch) return h_nop;  // a cache hint
    MemMods m;
    for (const auto& mod : in.mods) {
        const Type t = ptx::type_from_name(mod);
        if (t != Type::None) { m.t = t; continue; }
        if (mod == "global") m.space = Space::Global;
        else if (mod == "shared" || mod == "shared::cta") m.space = Space::Shared;
        else if (mod == "shared::cluster") { m.space = Space::Shared; m.cluster = true; }
        else if (mod == "local") m.space = Space::Local;
        else if (mod == "param" || mod == "param::entry" || mod == "param::func") m.space = Space::Param;
        else if (mod == "const") m.space = Space::Const;
        else if (mod == "to") m.to = true;
        else if (mod == "v2") m.vec = 2;
        else if (mod == "v4") m.vec = 4;
        else if (mod == "v8") m.vec = 8;
        else if (is_atom && mod == "add") m.op = A_add;
        else if (is_atom && mod == "min") m.op = A_min;
        else if (is_atom && mod == "max") m.op = A_max;
        else if (is_atom && mod == "inc") m.op = A_inc;
        else if (is_atom && mod == "dec") m.op = A_dec;
        else if (is_atom && mod == "and") m.op = A_and;
        else if (is_atom && mod == "or") m.op = A_or;
        else if (is_atom && mod == "xor") m.op = A_xor;
        else if (is_atom && mod == "exch") m.op = A_exch;
        else if (is_atom && mod == "cas") m.op = A_cas;
        // Cache, eviction and memory-ordering qualifiers: the simulator is
        // sequentially consistent and has no caches.
        else if (mod == "nc" || mod == "ca" || mod == "cg" || mod == "cs" || mod == "lu" || mod == "cv" ||
                 mod == "wb" || mod == "wt" || mod == "volatile" || mod == "relaxed" || mod == "acquire" ||
                 mod == "release" || mod == "acq_rel" || mod == "weak" || mod == "mmio" || mod == "cta" ||
                 mod == "gpu" || mod == "sys" || mod == "cluster" || mod == "L2" || mod.rfind("L1::", 0) == 0 ||
                 mod.rfind("L2::", 0) == 0 || mod == "unified" || mod == "noftz")
            continue;
        else if (is_prefetch)
            continue;
        else
            return nullptr;
    }
    if ((is_ld || is_st || is_atom) && m.t == Type::None) return nullptr;
    if ((is_st || is_atom) && (m.space == Space::Const || m.space == Space::Param)) return nullptr;  // read-only spaces
    if (is_atom && m.t == Type::F16) return nullptr;
    std::memcpy(&in.aux, &m, sizeof m);
    if (is_ld) return h_ld;
    if (is_st) return h_st;
    if (is_atom) return h_atom;
    if (is_cvta) return h_cvta;
    return h_isspacep;
}

}  // namespace ptxsim::exec
