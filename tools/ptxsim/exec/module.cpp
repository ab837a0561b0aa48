// Module loading: parse the PTX, materialise module-scope .global/.const
// variables as allocations (so kernels' accesses to them pass memcheck), and
// lay out each kernel's static shared memory and local frame as a linker
// would: the variables it names, each at its declared alignment.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "exec/internal.hpp"
#include "ptx/parser.hpp"

namespace ptxsim {
namespace {

uint32_t align_up(uint32_t v, uint32_t a) { return a ? (v + a - 1) / a * a : v; }

void collect_symbols(const ptx::Operand& op, std::vector<uint8_t>& used) {
    if (op.symbol >= 0) used[std::size_t(op.symbol)] = 1;
    for (const auto& e : op.elems) collect_symbols(e, used);
}

}  // namespace

void ModuleDeleter::operator()(LoadedModule* m) const {
    if (!m) return;
    for (std::size_t i = 0; i < m->global_addr.size(); ++i)
        if (m->global_addr[i] != 0) allocations().remove(m->global_addr[i]);
    delete m;
}

const ptx::Module& module_ir(const LoadedModule& m) { return m.ir; }

ModulePtr load_module(std::string_view ptx_text, const DeviceModel& device) {
    ModulePtr m(new LoadedModule);
    m->ir = ptx::parse_module(ptx_text);
    m->device = device;
    const auto& globals = m->ir.globals;
    m->global_storage.resize(globals.size());
    m->global_addr.assign(globals.size(), 0);
    for (std::size_t i = 0; i < globals.size(); ++i) {
        const ptx::Variable& v = globals[i];
        if (v.space != ptx::Space::Global && v.space != ptx::Space::Const) continue;
        const std::size_t bytes = std::max<std::size_t>(v.size, 1);
        m->global_storage[i].reset(new uint8_t[bytes + 256]);
        uint8_t* p = m->global_storage[i].get();
        p += (256 - reinterpret_cast<uintptr_t>(p) % 256) % 256;
        std::memset(p, 0, bytes);
        if (!v.init.empty()) std::memcpy(p, v.init.data(), std::min<std::size_t>(v.init.size(), v.size));
        m->global_addr[i] = reinterpret_cast<uint64_t>(p);
        allocations().add(m->global_addr[i], bytes, fmt::format("module variable {}", v.name),
                          v.space == ptx::Space::Const);
    }
    for (const ptx::Function& fn : m->ir.functions) {
        if (!fn.is_entry) continue;
        KernelInfo info;
        info.fn = &fn;
        std::vector<uint8_t> used(fn.symbols.size(), 0);
        for (const auto& in : fn.insts)
            for (const auto& op : in.ops) collect_symbols(op, used);
        std::vector<uint32_t> offsets(fn.symbols.size(), 0);
        uint32_t shared_end = uint32_t(device.reserved_smem_per_block);
        uint32_t local_end = 0, const_bytes = 0;
        uint32_t dyn_align = 16;
        for (std::size_t s = 0; s < fn.symbols.size(); ++s) {
            const ptx::Variable& v = fn.symbols[s];
            const uint32_t a = std::max<uint32_t>(v.align, 1);
            if (v.space == ptx::Space::Shared) {
                if (v.is_extern || v.size == 0) {
                    dyn_align = std::max(dyn_align, a);
                    continue;  // placed at the dynamic base at launch
                }
                if (!used[s] && s < m->ir.globals.size()) continue;  // another kernel's
                shared_end = align_up(shared_end, a);
                offsets[s] = shared_end;
                shared_end += uint32_t(v.size);
            } else if (v.space == ptx::Space::Local) {
                local_end = align_up(local_end, a);
                offsets[s] = local_end;
                local_end += uint32_t(v.size);
            } else if (v.space == ptx::Space::Const && used[s]) {
                const_bytes += uint32_t(v.size);
            }
        }
        info.static_smem_bytes = shared_end - uint32_t(device.reserved_smem_per_block);
        info.local_bytes = align_up(local_end, 16);
        info.const_bytes = const_bytes;
        info.num_regs = uint32_t(std::min<std::size_t>(255, fn.regs.size()));
        uint32_t mt = 1024;
        if (fn.reqntid[0]) mt = fn.reqntid[0] * std::max(1u, fn.reqntid[1]) * std::max(1u, fn.reqntid[2]);
        else if (fn.maxntid[0]) mt = fn.maxntid[0] * std::max(1u, fn.maxntid[1]) * std::max(1u, fn.maxntid[2]);
        info.max_threads = std::min<uint32_t>(mt, uint32_t(device.max_threads_per_block));
        m->kernels.push_back(info);
        m->kernel_names.push_back(fn.name);
        m->symbol_offsets.push_back(std::move(offsets));
        m->dyn_smem_align.push_back(dyn_align);
    }
    m->decoded.resize(m->kernels.size());
    return m;
}

const KernelInfo* find_kernel(const LoadedModule& m, const std::string& name) {
    for (std::size_t i = 0; i < m.kernel_names.size(); ++i)
        if (m.kernel_names[i] == name) return &m.kernels[i];
    return nullptr;
}

}  // namespace ptxsim
