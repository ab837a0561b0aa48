// Operand access (PTX ISA 6.4 "Operand types", 10 "Special registers"):
// registers hold raw bits zero-extended to 64; immediates are sign-extended
// integers or the bits of a float literal.
#include <chrono>

#include "exec/exec.hpp"

namespace ptxsim::exec {
namespace {

uint32_t lanemask(int lane, int which) {
    const uint32_t bit = 1u << lane;
    switch (which) {
        case 0: return bit;                           // eq
        case 1: return bit | (bit - 1);               // le
        case 2: return bit - 1;                       // lt
        case 3: return ~(bit - 1);                    // ge
        default: return ~(bit | (bit - 1));           // gt
    }
}

uint64_t special_value(const Warp& w, const ptx::Operand& op, int lane) {
    const Cta& c = *w.cta;
    const Launch& L = *c.launch;
    const uint32_t t = w.thread(lane);
    const uint32_t tid[3] = {t % L.block[0], (t / L.block[0]) % L.block[1], t / (L.block[0] * L.block[1])};
    const int k = op.comp;
    using S = ptx::Special;
    switch (op.special) {
        case S::Tid: return tid[k];
        case S::Ntid: return L.block[k];
        case S::Ctaid: return c.ctaid[k];
        case S::Nctaid: return L.grid[k];
        case S::Laneid: return uint64_t(lane);
        case S::Warpid: return uint64_t(w.id);
        case S::Nwarpid: return c.warps.size();
        case S::Smid: return c.linear % uint32_t(L.device->sm_count);
        case S::Nsmid: return uint64_t(L.device->sm_count);
        case S::Gridid: return 1;
        case S::LanemaskEq: return lanemask(lane, 0);
        case S::LanemaskLe: return lanemask(lane, 1);
        case S::LanemaskLt: return lanemask(lane, 2);
        case S::LanemaskGe: return lanemask(lane, 3);
        case S::LanemaskGt: return lanemask(lane, 4);
        case S::Clock:
        case S::Clock64:
            return L.progress;  // monotone, deterministic
        case S::Globaltimer:
        case S::GlobaltimerLo:
        case S::GlobaltimerHi: {
            const uint64_t ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now().time_since_epoch())
                                             .count());
            if (op.special == S::GlobaltimerLo) return uint32_t(ns);
            if (op.special == S::GlobaltimerHi) return uint32_t(ns >> 32);
            return ns;
        }
        case S::ClusterCtarank: return c.rank;
        case S::ClusterNctarank: return uint64_t(L.cluster[0]) * L.cluster[1] * L.cluster[2];
        case S::ClusterCtaid: return c.ctaid[k] % L.cluster[k];
        case S::ClusterNctaid: return L.cluster[k];
        case S::Clusterid: return c.ctaid[k] / L.cluster[k];
        case S::Nclusterid: return L.grid[k] / L.cluster[k];
        case S::IsExplicitCluster: return (L.cluster[0] * L.cluster[1] * L.cluster[2]) > 1 ? 1 : 0;
        case S::DynamicSmemSize: return L.dyn_smem;
        case S::TotalSmemSize:
        case S::AggrSmemSize: return L.smem_window;
        case S::None: break;
    }
    fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "unknown special register");
}

}  // namespace

uint64_t src_bits(const Warp& w, const ptx::Operand& op, int lane) {
    switch (op.kind) {
        case ptx::OperandKind::Reg: {
            const uint64_t v = w.reg(op.reg, lane);
            return op.neg ? uint64_t(v == 0) : v;
        }
        case ptx::OperandKind::Imm: return uint64_t(op.imm);
        case ptx::OperandKind::Special: return special_value(w, op, lane);
        case ptx::OperandKind::Symbol:
        case ptx::OperandKind::Addr: return effective_address(w, op, lane);
        default: break;
    }
    fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "operand is not a value");
}

void dst_write(Warp& w, const ptx::Operand& op, int lane, uint64_t value) {
    if (op.kind == ptx::OperandKind::Reg) {
        w.reg(op.reg, lane) = value;
        return;
    }
    if (op.kind == ptx::OperandKind::Sink) return;
    fault(w, lane, Check::unsupported, CUDA_ERROR_ILLEGAL_INSTRUCTION, "destination is not a register");
}

uint64_t effective_address(const Warp& w, const ptx::Operand& op, int lane) {
    const Launch& L = *w.cta->launch;
    uint64_t base = 0;
    if (op.param >= 0) {
        base = reinterpret_cast<uint64_t>(L.params.data()) + L.fn->params[std::size_t(op.param)].offset;
    } else if (op.symbol >= 0) {
        const ptx::Variable& v = L.fn->symbols[std::size_t(op.symbol)];
        const uint64_t a = L.symbol_addr[std::size_t(op.symbol)];
        if (v.space == ptx::Space::Local) base = a;  // local offset; the space's window adds the lane's base
        else base = a;
    } else if (op.kind == ptx::OperandKind::Reg || op.reg >= 0) {
        base = w.reg(op.reg, lane);
    }
    return base + uint64_t(op.imm);
}

}  // namespace ptxsim::exec
