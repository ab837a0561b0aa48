// ptxkit::flush_l2 -> kernels/util/l2_flush.cu (ptxkit_l2_flush).
#include <fmt/format.h>

#include <atomic>
#include <cstdint>

#include "common/checks.hpp"
#include "ops/streaming_grid.hpp"
#include "ptxkit/memory.hpp"
#include "runtime/launch.hpp"

namespace ptxkit {

std::size_t l2_flush_bytes() {
    const auto& props = detail::current_context_state().properties();
    return static_cast<std::size_t>(2 * props.l2_bytes);
}

void flush_l2(void* scratch, std::size_t bytes, Stream stream) {
    const detail::ArgCheck check("ptxkit::flush_l2");
    check.not_null("scratch", scratch);
    check.aligned("scratch", scratch, 16);

    detail::OpContext scope("ptxkit::flush_l2", stream, {{"scratch", scratch}});
    detail::ContextState& ctx = scope.state();
    const auto needed = static_cast<std::size_t>(2 * ctx.properties().l2_bytes);
    if (bytes < needed) {
        check.fail("bytes", fmt::format("at least twice the L2 size, {} bytes", needed), fmt::format("{}", bytes));
    }
    static std::atomic<std::uint32_t> salt{1};
    const std::uint64_t vectors = bytes / 16;
    const std::uint32_t this_salt = salt.fetch_add(1, std::memory_order_relaxed);
    const detail::Kernel& k = ctx.kernel("util.l2_flush", "ptxkit_l2_flush");
    detail::LaunchConfig c;
    c.op = "flush_l2";
    c.grid.x = detail::streaming_grid(vectors, 256, ctx.properties().sm_count);
    c.block.x = 256;
    if (detail::log_enabled()) c.shapes = fmt::format("bytes:{}", bytes);
    detail::launch(ctx, k, c, stream, scratch, vectors, this_salt);
}

}  // namespace ptxkit
