// bench_memory: device-to-device copy bandwidth, ptxkit::copy against
// cuMemcpyDtoDAsync (the baseline for copies), 1 MiB to 2 GiB.
//
// Suite "copy", cases "bytes:<N>". GBps counts bytes read + written (2N per
// copy); pct_peak is against the copy peak measured at start. Each row first
// checks that a copy into a poisoned destination is byte-exact and leaves the
// bytes after the destination untouched.
#include <fmt/format.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include "common/cases.hpp"
#include "common/device.hpp"
#include "common/environment.hpp"
#include "common/last_value_cache.hpp"
#include "common/main.hpp"
#include "common/random.hpp"
#include "ptxkit/memory.hpp"
#include "support/gpu.hpp"

namespace {

using ptxkit::testing::DeviceBuffer;
namespace bench = ptxkit::bench;

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGuardBytes = 256;  // after the destination: must stay poisoned
constexpr std::uint8_t kPoison = 0xa5;

std::vector<std::size_t> copy_sizes(bool quick) {
    if (quick) return {kMiB, 64 * kMiB, 1024 * kMiB};
    std::vector<std::size_t> sizes;
    for (std::size_t s = kMiB; s <= 2048 * kMiB; s *= 2) sizes.push_back(s);
    return sizes;
}

struct CopyBuffers {
    std::size_t bytes = 0;
    std::uint64_t seed = 0;
    std::vector<std::byte> expected;  // the source's contents
    DeviceBuffer src;
    DeviceBuffer dst;  // bytes + kGuardBytes
};

std::shared_ptr<const CopyBuffers> make_buffers(std::size_t bytes, std::uint64_t seed) {
    auto b = std::make_shared<CopyBuffers>();
    b->bytes = bytes;
    b->seed = seed;
    b->expected.resize(bytes);
    bench::fill_random_bytes(b->expected, seed);
    b->src = DeviceBuffer::from(b->expected);
    b->dst = DeviceBuffer(bytes + kGuardBytes);
    bench::wait_for_uploads();
    return b;
}

// The destination after one copy (stream synchronised) against the source.
std::string check_copy(const CopyBuffers& b) {
    const auto got = b.dst.to_host<std::byte>(b.bytes + kGuardBytes);
    if (std::memcmp(got.data(), b.expected.data(), b.bytes) != 0) {
        std::size_t i = 0;
        while (got[i] == b.expected[i]) ++i;
        return fmt::format("byte {} of {} is {:#04x}, expected {:#04x} (seed {:#x})", i, b.bytes,
                           static_cast<unsigned>(got[i]), static_cast<unsigned>(b.expected[i]), b.seed);
    }
    for (std::size_t i = b.bytes; i < got.size(); ++i) {
        if (got[i] != std::byte{kPoison}) {
            return fmt::format("wrote past the end: byte {} after a {}-byte copy changed", i - b.bytes, b.bytes);
        }
    }
    return "";
}

using CopyFn = void (*)(const CopyBuffers&, CUstream);

void copy_ptxkit(const CopyBuffers& b, CUstream stream) { ptxkit::copy(b.dst.get(), b.src.get(), b.bytes, stream); }

void copy_driver(const CopyBuffers& b, CUstream stream) {
    PTXKIT_CU(cuMemcpyDtoDAsync, b.dst.address(), b.src.address(), b.bytes, stream);
}

bench::Work copy_work(std::shared_ptr<const CopyBuffers> buffers, CopyFn copy) {
    bench::Work w;
    w.run = [buffers, copy](CUstream s) { copy(*buffers, s); };
    w.verify = [buffers, copy](CUstream s) {
        bench::poison(buffers->dst, kPoison, s);
        copy(*buffers, s);
        PTXKIT_CU(cuStreamSynchronize, s);
        return check_copy(*buffers);
    };
    return w;
}

void register_cases(const bench::Options& options) {
    using Cache = bench::LastValueCache<std::size_t, const CopyBuffers>;
    const auto cache = std::make_shared<Cache>();
    for (const std::size_t bytes : copy_sizes(options.quick)) {
        const std::string name = fmt::format("bytes:{}", bytes);
        const std::uint64_t seed = bench::derive_seed(options.seed, "copy:" + name);
        const auto buffers = [cache, bytes, seed] {
            return cache->get(bytes, [&] { return make_buffers(bytes, seed); });
        };
        const auto row = [&](const char* impl, CopyFn copy) {
            bench::Case c;
            c.suite = "copy";
            c.impl = impl;
            c.name = name;
            c.bytes = 2.0 * static_cast<double>(bytes);
            c.setup = [buffers, copy] { return copy_work(buffers(), copy); };
            bench::register_case(std::move(c));
        };
        row("cuMemcpy", copy_driver);
        row(bench::kOurs, copy_ptxkit);
    }
}

}  // namespace

int main(int argc, char** argv) { return bench::main(argc, argv, "bench_memory", register_cases); }
