#include "common/random.hpp"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "support/numeric.hpp"

namespace ptxkit::bench {
namespace {

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ull;

// The i-th output of splitmix64 started at `seed`.
std::uint64_t random_at(std::uint64_t seed, std::uint64_t i) noexcept { return mix64(seed + (i + 1) * kGolden); }

// Calls fill(begin, end) on disjoint ranges of [0, n) on all cores.
template <class Fill>
void parallel_ranges(std::size_t n, Fill fill) {
    constexpr std::size_t kMinPerThread = std::size_t{1} << 20;
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t threads = std::clamp<std::size_t>(n / kMinPerThread, 1, cores);
    if (threads == 1) {
        fill(std::size_t{0}, n);
        return;
    }
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    const std::size_t chunk = (n + threads - 1) / threads;
    for (std::size_t begin = 0; begin < n; begin += chunk) {
        pool.emplace_back([&fill, begin, end = std::min(n, begin + chunk)] { fill(begin, end); });
    }
}

}  // namespace

std::uint64_t mix64(std::uint64_t x) noexcept {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::uint64_t derive_seed(std::uint64_t base, std::string_view name) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : name) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return mix64(base ^ h);
}

void fill_random_bf16(std::span<std::uint16_t> out, std::uint64_t seed) {
    parallel_ranges(out.size(), [out, seed](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            // 24 random bits -> a float in [-1, 1) with every bit exact.
            const auto bits = static_cast<std::int32_t>(random_at(seed, i) >> 40);
            const float x = static_cast<float>(bits - (1 << 23)) * 0x1p-23f;
            out[i] = testing::f32_to_bf16_rne(x);
        }
    });
}

void fill_random_bytes(std::span<std::byte> out, std::uint64_t seed) {
    const std::size_t words = (out.size() + 7) / 8;
    parallel_ranges(words, [out, seed](std::size_t begin, std::size_t end) {
        for (std::size_t w = begin; w < end; ++w) {
            const std::uint64_t r = random_at(seed, w);
            const std::size_t offset = w * 8;
            std::memcpy(out.data() + offset, &r, std::min<std::size_t>(8, out.size() - offset));
        }
    });
}

}  // namespace ptxkit::bench
