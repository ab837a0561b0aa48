// ptxkit::convert -> kernels/util/convert.cu (ptxkit_convert_*).
#include <fmt/format.h>

#include <cstdint>

#include "common/checks.hpp"
#include "ops/streaming_grid.hpp"
#include "ptxkit/memory.hpp"
#include "runtime/launch.hpp"

namespace ptxkit {
namespace {

constexpr unsigned kBlock = 256;
constexpr std::uint64_t kElementsPerThread = 8;  // one group in convert.cu

const char* kernel_for(DType dst, DType src) {
    if (src == DType::f32 && dst == DType::bf16) return "ptxkit_convert_f32_to_bf16";
    if (src == DType::f32 && dst == DType::f16) return "ptxkit_convert_f32_to_f16";
    if (src == DType::bf16 && dst == DType::f32) return "ptxkit_convert_bf16_to_f32";
    if (src == DType::f16 && dst == DType::f32) return "ptxkit_convert_f16_to_f32";
    return nullptr;
}

}  // namespace

void convert(const TensorView& dst, const TensorView& src, Stream stream) {
    const detail::ArgCheck check("ptxkit::convert");
    check.valid_tensor("dst", dst);
    check.valid_tensor("src", src);
    check.dtype_in("src", src.dtype, {DType::f32, DType::bf16, DType::f16});
    if (src.dtype == DType::f32) {
        check.dtype_in("dst", dst.dtype, {DType::bf16, DType::f16});
    } else {
        check.dtype_in("dst", dst.dtype, {DType::f32});
    }
    check.same_shape("dst", dst, "src", src);
    check.contiguous("dst", dst);
    check.contiguous("src", src);
    const auto n = static_cast<std::uint64_t>(src.numel());
    check.no_overlap("dst", dst.data, n * dtype_size(dst.dtype), "src", src.data, n * dtype_size(src.dtype));
    if (n == 0) return;

    detail::OpContext scope("ptxkit::convert", stream, {{"dst", dst.data}, {"src", src.data}});
    detail::ContextState& ctx = scope.state();
    const char* name = kernel_for(dst.dtype, src.dtype);
    const detail::Kernel& k = ctx.kernel("util.convert", name);
    const int vector_ok = reinterpret_cast<std::uintptr_t>(dst.data) % 16 == 0 &&
                          reinterpret_cast<std::uintptr_t>(src.data) % 16 == 0;
    detail::LaunchConfig c;
    c.op = "convert";
    c.grid.x = detail::streaming_grid(n, kBlock * kElementsPerThread, ctx.properties().sm_count);
    c.block.x = kBlock;
    if (detail::log_enabled()) {
        c.shapes = fmt::format("{}:{} -> {}", dtype_name(src.dtype), detail::format_shape(src), dtype_name(dst.dtype));
        c.config = vector_ok ? "x8 vectorised" : "x8 scalar (unaligned)";
    }
    detail::launch(ctx, k, c, stream, dst.data, src.data, n, vector_ok);
}

}  // namespace ptxkit
