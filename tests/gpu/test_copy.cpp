// ptxkit::copy (the hand-written ptx/memory/copy.ptx) against the source
// bytes: every byte of the range compared, the bytes around it untouched.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::testing::DeviceBuffer;
using ptxkit::testing::Stream;

class Copy : public ptxkit::testing::GpuTest {};

constexpr std::uint8_t kPoison = 0xCD;
constexpr std::size_t kGuard = 64;

void check_copy(std::size_t bytes, std::size_t src_offset, std::size_t dst_offset, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint8_t> host(bytes + src_offset + kGuard);
    for (auto& b : host) b = static_cast<std::uint8_t>(rng());
    DeviceBuffer src = DeviceBuffer::from(host);
    DeviceBuffer dst(bytes + dst_offset + kGuard);
    dst.fill(kPoison);

    Stream stream;
    ptxkit::copy(static_cast<char*>(dst.get()) + dst_offset, static_cast<char*>(src.get()) + src_offset, bytes,
                 stream.get());
    stream.synchronize();

    const auto out = dst.to_host<std::uint8_t>(dst.bytes());
    for (std::size_t i = 0; i < dst_offset; ++i) ASSERT_EQ(out[i], kPoison) << "byte before the range written: " << i;
    for (std::size_t i = 0; i < bytes; ++i) {
        ASSERT_EQ(out[dst_offset + i], host[src_offset + i])
            << "byte " << i << " of " << bytes << " (src+" << src_offset << ", dst+" << dst_offset << ", seed " << seed
            << ")";
    }
    for (std::size_t i = dst_offset + bytes; i < out.size(); ++i) ASSERT_EQ(out[i], kPoison) << "byte after: " << i;
}

TEST_F(Copy, EveryByteAlignedSizes) {
    const std::uint64_t seed = ptxkit::testing::fresh_seed();
    for (std::size_t bytes : {16ul, 256ul, 4096ul, 1ul << 20, 64ul << 20}) check_copy(bytes, 0, 0, seed + bytes);
}

TEST_F(Copy, EveryByteOddSizes) {
    const std::uint64_t seed = ptxkit::testing::fresh_seed();
    for (std::size_t bytes : {1ul, 7ul, 15ul, 17ul, 4095ul, 65537ul, (1ul << 24) + 7}) {
        check_copy(bytes, 0, 0, seed + bytes);
    }
}

TEST_F(Copy, SharedMisalignmentUsesHeadBodyTail) {
    const std::uint64_t seed = ptxkit::testing::fresh_seed();
    for (std::size_t offset : {1ul, 3ul, 8ul, 15ul}) check_copy((1ul << 20) + 5, offset, offset, seed + offset);
}

TEST_F(Copy, MisalignedToEachOther) {
    const std::uint64_t seed = ptxkit::testing::fresh_seed();
    check_copy(100003, 1, 4, seed);
    check_copy(4096, 8, 0, seed + 1);
}

TEST_F(Copy, LegacyDefaultStream) {
    std::vector<std::uint8_t> host(1 << 16);
    for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<std::uint8_t>(i * 131 + 7);
    DeviceBuffer src = DeviceBuffer::from(host);
    DeviceBuffer dst(host.size());
    dst.fill(kPoison);
    ptxkit::copy(dst.get(), src.get(), host.size(), nullptr);
    EXPECT_EQ(dst.to_host<std::uint8_t>(host.size()), host);  // cuMemcpyDtoH waits for the legacy stream
}

}  // namespace
