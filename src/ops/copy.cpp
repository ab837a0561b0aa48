// ptxkit::copy -> ptx/memory/copy.ptx (ptxkit_copy_v4, ptxkit_copy_u8).
#include <fmt/format.h>

#include <cstdint>

#include "common/checks.hpp"
#include "ops/streaming_grid.hpp"
#include "ptxkit/memory.hpp"
#include "runtime/launch.hpp"

namespace ptxkit {
namespace {

constexpr unsigned kBlock = 256;
constexpr std::uint64_t kVectorsPerThread = 4;  // the unroll of ptxkit_copy_v4

void copy_bytes(detail::ContextState& ctx, CUdeviceptr dst, CUdeviceptr src, std::uint64_t n, CUstream stream,
                const char* part) {
    if (n == 0) return;
    const detail::Kernel& k = ctx.kernel("memory.copy", "ptxkit_copy_u8");
    detail::LaunchConfig c;
    c.op = "copy";
    c.grid.x = detail::streaming_grid(n, kBlock, ctx.properties().sm_count);
    c.block.x = kBlock;
    if (detail::log_enabled()) {
        c.shapes = fmt::format("bytes:{}", n);
        c.config = part;
    }
    detail::launch(ctx, k, c, stream, dst, src, n);
}

}  // namespace

void copy(void* dst, const void* src, std::size_t bytes, Stream stream) {
    const detail::ArgCheck check("ptxkit::copy");
    if (bytes == 0) return;
    check.not_null("dst", dst);
    check.not_null("src", src);
    const auto fits = [&](const void* p) { return reinterpret_cast<std::uintptr_t>(p) <= UINTPTR_MAX - bytes; };
    if (!fits(dst) || !fits(src)) {
        check.fail("bytes", "a size whose ranges from dst and src fit in the address space", fmt::format("{}", bytes));
    }
    check.no_overlap("dst", dst, bytes, "src", src, bytes);

    detail::OpContext scope("ptxkit::copy", stream, {{"dst", dst}, {"src", src}});
    detail::ContextState& ctx = scope.state();
    const auto d = reinterpret_cast<CUdeviceptr>(dst);
    const auto s = reinterpret_cast<CUdeviceptr>(src);
    if (d % 16 != s % 16) {  // no common alignment: bytes only
        copy_bytes(ctx, d, s, bytes, stream, "u8 (pointers misaligned to each other)");
        return;
    }
    const std::uint64_t head = std::min<std::uint64_t>((16 - d % 16) % 16, bytes);
    const std::uint64_t vectors = (bytes - head) / 16;
    const std::uint64_t tail = bytes - head - vectors * 16;
    copy_bytes(ctx, d, s, head, stream, "u8 head");
    if (vectors > 0) {
        const detail::Kernel& k = ctx.kernel("memory.copy", "ptxkit_copy_v4");
        detail::LaunchConfig c;
        c.op = "copy";
        c.grid.x = detail::streaming_grid(vectors, kBlock * kVectorsPerThread, ctx.properties().sm_count);
        c.block.x = kBlock;
        if (detail::log_enabled()) {
            c.shapes = fmt::format("bytes:{}", bytes);
            c.config = fmt::format("v4x{} block={}", kVectorsPerThread, kBlock);
        }
        detail::launch(ctx, k, c, stream, d + head, s + head, vectors);
    }
    copy_bytes(ctx, d + head + vectors * 16, s + head + vectors * 16, tail, stream, "u8 tail");
}

}  // namespace ptxkit
