// The global-memory allocation table (sim.hpp): every cuMemAlloc'ed range and
// every module global, sorted by base address; lookups are binary searches.
#include <algorithm>
#include <stdexcept>

#include "sim.hpp"

namespace ptxsim {
namespace {

bool base_less(const Allocation& a, uint64_t base) { return a.base < base; }

}  // namespace

void AllocationTable::add(uint64_t base, uint64_t size, std::string what, bool read_only, int device) {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), base, base_less);
    if (it != sorted_.end() && it->base == base) {
        throw std::logic_error("ptxsim: allocation at 0x" + std::to_string(base) + " registered twice (" + what +
                               ", " + it->what + ")");
    }
    sorted_.insert(it, Allocation{base, size, std::move(what), read_only, device});
}

void AllocationTable::remove(uint64_t base) {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), base, base_less);
    if (it != sorted_.end() && it->base == base) sorted_.erase(it);
}

const Allocation* AllocationTable::find(uint64_t addr, uint64_t bytes) const {
    // The last allocation whose base is <= addr.
    auto it = std::upper_bound(sorted_.begin(), sorted_.end(), addr,
                               [](uint64_t a, const Allocation& x) { return a < x.base; });
    if (it == sorted_.begin()) return nullptr;
    --it;
    const uint64_t offset = addr - it->base;
    if (offset >= it->size || bytes > it->size - offset) return nullptr;
    return &*it;
}

const Allocation* AllocationTable::at(uint64_t base) const {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), base, base_less);
    return (it != sorted_.end() && it->base == base) ? &*it : nullptr;
}

AllocationTable& allocations() {
    static auto* table = new AllocationTable();  // outlives static destructors (kernels of other statics)
    return *table;
}

}  // namespace ptxsim
