// Grid sizes for grid-stride streaming kernels: enough blocks to fill every
// SM several times over, never more than the work needs.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ptxkit::detail {

inline unsigned streaming_grid(std::uint64_t items, std::uint64_t items_per_block, int sm_count,
                               int blocks_per_sm = 8) {
    const std::uint64_t needed = (items + items_per_block - 1) / items_per_block;
    const std::uint64_t cap = static_cast<std::uint64_t>(std::max(sm_count, 1)) * static_cast<std::uint64_t>(blocks_per_sm);
    return static_cast<unsigned>(std::clamp<std::uint64_t>(needed, 1, cap));
}

}  // namespace ptxkit::detail
