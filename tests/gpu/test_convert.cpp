// ptxkit::convert (kernels/util/convert.cu) against the host's bit-exact
// round-to-nearest-even conversions: every output byte compared.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;
using ptxkit::testing::Stream;

class Convert : public ptxkit::testing::GpuTest {};

// Element offsets into the buffers: 0 keeps 16-byte alignment (vector path),
// 1 breaks it (scalar path).
void check_narrow(DType to, std::size_t n, std::size_t offset, std::uint64_t seed) {
    const auto src_host = ptxkit::testing::random_floats(n, seed, to == DType::f16 ? 70000.0f : 1e30f);
    DeviceBuffer src((n + offset) * 4);
    src.upload(src_host.data(), n * 4, offset * 4);
    DeviceBuffer dst((n + offset) * 2 + 64);
    dst.fill(0xCD);

    Stream stream;
    void* d = static_cast<char*>(dst.get()) + offset * 2;
    void* s = static_cast<char*>(src.get()) + offset * 4;
    ptxkit::convert(TensorView::contiguous(d, to, {static_cast<std::int64_t>(n)}),
                    TensorView::contiguous(s, DType::f32, {static_cast<std::int64_t>(n)}), stream.get());
    stream.synchronize();

    const auto out = dst.to_host<std::uint16_t>(n, offset * 2);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t want = to == DType::bf16 ? ptxkit::testing::f32_to_bf16_rne(src_host[i])
                                                     : ptxkit::testing::f32_to_f16_rne(src_host[i]);
        ASSERT_EQ(out[i], want) << ptxkit::dtype_name(to) << " element " << i << " of " << n << " (x = " << src_host[i]
                                << ", offset " << offset << ", seed " << seed << ")";
    }
    const auto after = dst.to_host<std::uint16_t>(32, (n + offset) * 2);
    for (auto v : after) ASSERT_EQ(v, 0xCDCD) << "written past the end";
}

void check_widen(DType from, std::size_t n, std::size_t offset, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint16_t> src_host(n);
    for (auto& h : src_host) {
        do {
            h = static_cast<std::uint16_t>(rng());
        } while (from == DType::bf16 ? std::isnan(ptxkit::testing::bf16_to_f32(h))
                                     : std::isnan(ptxkit::testing::f16_to_f32(h)));
    }
    DeviceBuffer src((n + offset) * 2);
    src.upload(src_host.data(), n * 2, offset * 2);
    DeviceBuffer dst((n + offset) * 4 + 64);
    dst.fill(0xCD);

    Stream stream;
    void* d = static_cast<char*>(dst.get()) + offset * 4;
    void* s = static_cast<char*>(src.get()) + offset * 2;
    ptxkit::convert(TensorView::contiguous(d, DType::f32, {static_cast<std::int64_t>(n)}),
                    TensorView::contiguous(s, from, {static_cast<std::int64_t>(n)}), stream.get());
    stream.synchronize();

    const auto out = dst.to_host<std::uint32_t>(n, offset * 4);
    for (std::size_t i = 0; i < n; ++i) {
        const float want = from == DType::bf16 ? ptxkit::testing::bf16_to_f32(src_host[i])
                                               : ptxkit::testing::f16_to_f32(src_host[i]);
        std::uint32_t want_bits = 0;
        std::memcpy(&want_bits, &want, 4);
        ASSERT_EQ(out[i], want_bits) << ptxkit::dtype_name(from) << " element " << i << " (bits 0x" << std::hex
                                     << src_host[i] << ", seed " << std::dec << seed << ")";
    }
    const auto after = dst.to_host<std::uint32_t>(16, (n + offset) * 4);
    for (auto v : after) ASSERT_EQ(v, 0xCDCDCDCDu) << "written past the end";
}

const std::size_t kSizes[] = {1, 7, 8, 9, 1000, 4099, (1u << 20) + 3};

TEST_F(Convert, F32ToBf16EveryByte) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::size_t n : kSizes) {
        check_narrow(DType::bf16, n, 0, seed + n);
        check_narrow(DType::bf16, n, 1, seed + n + 1);
    }
}

TEST_F(Convert, F32ToF16EveryByte) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::size_t n : kSizes) {
        check_narrow(DType::f16, n, 0, seed + n);
        check_narrow(DType::f16, n, 1, seed + n + 1);
    }
}

TEST_F(Convert, Bf16ToF32EveryByte) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::size_t n : kSizes) {
        check_widen(DType::bf16, n, 0, seed + n);
        check_widen(DType::bf16, n, 1, seed + n + 1);
    }
}

TEST_F(Convert, F16ToF32EveryByte) {
    const auto seed = ptxkit::testing::fresh_seed();
    for (std::size_t n : kSizes) {
        check_widen(DType::f16, n, 0, seed + n);
        check_widen(DType::f16, n, 1, seed + n + 1);
    }
}

TEST_F(Convert, MultiDimensionalShapes) {
    const auto seed = ptxkit::testing::fresh_seed();
    const auto host = ptxkit::testing::random_floats(3 * 5 * 7, seed, 4.0f, false);
    DeviceBuffer src = DeviceBuffer::from(host);
    DeviceBuffer dst(host.size() * 2);
    ptxkit::convert(TensorView::contiguous(dst.get(), DType::bf16, {3, 5, 7}),
                    TensorView::contiguous(src.get(), DType::f32, {3, 5, 7}), nullptr);
    const auto out = dst.to_host<std::uint16_t>(host.size());
    for (std::size_t i = 0; i < host.size(); ++i) ASSERT_EQ(out[i], ptxkit::testing::f32_to_bf16_rne(host[i])) << i;
}

}  // namespace
