// Seeded random inputs for the benchmarks. Counter-based (splitmix64 of the
// element index), so that filling runs on every core, the result does not
// depend on the thread count, and a case is reproduced from its seed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ptxkit::bench {

// splitmix64's output function applied to `x` (a bijection of 64-bit values).
std::uint64_t mix64(std::uint64_t x) noexcept;

// A case's seed from the run's seed and a name (FNV-1a), so that cases differ
// and each one is reproduced by --ptxkit_seed whatever else runs.
std::uint64_t derive_seed(std::uint64_t base, std::string_view name) noexcept;

// bf16 bit patterns of values uniform in [-1, 1) (rounded to nearest even).
void fill_random_bf16(std::span<std::uint16_t> out, std::uint64_t seed);

// Uniform random bytes.
void fill_random_bytes(std::span<std::byte> out, std::uint64_t seed);

}  // namespace ptxkit::bench
