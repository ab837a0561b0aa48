#include "common/main.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/peaks.hpp"
#include "ptxkit/runtime.hpp"
#include "support/numeric.hpp"

namespace ptxkit::bench {
namespace {

void print_help() {
    benchmark::PrintDefaultHelp();
    std::fputs(
        "ptxkit flags:\n"
        "  [--mode=quick|full]           quick: small shape subsets (default full)\n"
        "  [--ptxkit_seed=<N>]           base seed of the random inputs (default: fresh, printed)\n"
        "  [--ptxkit_min_samples=<N>]    timed samples per case, at least (default 20)\n"
        "  [--ptxkit_budget_ms=<ms>]     sampling wall time per case after min_samples (default 250)\n"
        "  [--ptxkit_warmup_ms=<ms>]     warm-up wall time per case, at least (default 10)\n"
        "Without a usable GPU a bench binary exits with code 2 and runs nothing.\n",
        stdout);
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    int base = 10;
    if constexpr (std::is_integral_v<T>) {
        if (text.starts_with("0x") || text.starts_with("0X")) {
            text.remove_prefix(2);
            base = 16;
        }
    }
    std::from_chars_result r{};
    if constexpr (std::is_integral_v<T>) {
        r = std::from_chars(text.data(), text.data() + text.size(), value, base);
    } else {
        r = std::from_chars(text.data(), text.data() + text.size(), value);
    }
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// Parses and removes --mode and the --ptxkit_* flags; false (after a message)
// on a bad one.
bool parse_options(int& argc, char** argv, Options& options, bool& seed_given) {
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value_of = [&arg](std::string_view flag) -> std::optional<std::string_view> {
            if (!arg.starts_with(flag) || arg.size() <= flag.size() || arg[flag.size()] != '=') return std::nullopt;
            return arg.substr(flag.size() + 1);
        };
        bool ok = true;
        if (const auto mode = value_of("--mode")) {
            ok = *mode == "quick" || *mode == "full";
            options.quick = *mode == "quick";
        } else if (const auto v1 = value_of("--ptxkit_seed")) {
            const auto seed = parse_number<std::uint64_t>(*v1);
            ok = seed.has_value();
            if (ok) options.seed = *seed;
            seed_given = ok;
        } else if (const auto v2 = value_of("--ptxkit_min_samples")) {
            const auto n = parse_number<int>(*v2);
            ok = n.has_value() && *n > 0;
            if (ok) options.timing.min_samples = *n;
        } else if (const auto v3 = value_of("--ptxkit_budget_ms")) {
            const auto ms = parse_number<double>(*v3);
            ok = ms.has_value() && *ms >= 0.0;
            if (ok) options.timing.budget_ms = *ms;
        } else if (const auto v4 = value_of("--ptxkit_warmup_ms")) {
            const auto ms = parse_number<double>(*v4);
            ok = ms.has_value() && *ms >= 0.0;
            if (ok) options.timing.warmup_ms = *ms;
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        if (!ok) {
            std::fprintf(stderr, "%s: bad value in '%s'\n", argv[0], argv[i]);
            return false;
        }
    }
    argc = kept;
    argv[argc] = nullptr;
    return true;
}

void print_environment(const char* program, const Environment& e) {
    const DeviceInfo& info = e.info();
    std::fputs(fmt::format("{0}: device  {1}\n"
                           "{0}: driver  {2}\n"
                           "{0}: clocks  {3}\n"
                           "{0}: commit  {4}\n"
                           "{0}: cublas  {5}\n"
                           "{0}: seed    {6:#x} (rerun with --ptxkit_seed={6:#x})\n",
                           program, info.device, info.driver, info.clocks, info.commit, info.cublas,
                           e.options().seed)
                   .c_str(),
               stderr);
}

void print_peaks(const char* program, const Peaks& peaks) {
    std::fputs(fmt::format("{0}: peaks   {1:.1f} TFLOP/s ({2}); {3:.0f} GB/s ({4})\n", program, peaks.tflops,
                           peaks.tflops_by, peaks.gbps, peaks.gbps_by)
                   .c_str(),
               stderr);
}

void add_context(const Environment& e) {
    const DeviceInfo& info = e.info();
    benchmark::AddCustomContext("ptxkit_device", info.device);
    benchmark::AddCustomContext("ptxkit_driver", info.driver);
    benchmark::AddCustomContext("ptxkit_clocks", info.clocks);
    benchmark::AddCustomContext("ptxkit_commit", info.commit);
    benchmark::AddCustomContext("ptxkit_cublas", info.cublas);
    benchmark::AddCustomContext("ptxkit_seed", fmt::format("{:#x}", e.options().seed));
    benchmark::AddCustomContext("ptxkit_mode", e.options().quick ? "quick" : "full");
    benchmark::AddCustomContext("ptxkit_peak_tflops", fmt::format("{:.1f}", e.peaks().tflops));
    benchmark::AddCustomContext("ptxkit_peak_tflops_by", e.peaks().tflops_by);
    benchmark::AddCustomContext("ptxkit_peak_gbps", fmt::format("{:.0f}", e.peaks().gbps));
    benchmark::AddCustomContext("ptxkit_peak_gbps_by", e.peaks().gbps_by);
    benchmark::AddCustomContext("ptxkit_timing",
                                fmt::format("median of >= {} samples (+ up to {} ms), L2 flushed between samples",
                                            e.options().timing.min_samples, e.options().timing.budget_ms));
}

}  // namespace

int main(int argc, char** argv, const char* program, const RegisterCases& register_cases) {
    benchmark::Initialize(&argc, argv, print_help);
    Options options;
    bool seed_given = false;
    if (!parse_options(argc, argv, options, seed_given)) return 1;
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    if (!driver_available()) {
        std::fprintf(stderr, "%s: no usable GPU, nothing was run: %s\n", program,
                     driver_unavailable_reason().c_str());
        return 2;
    }
    if (!seed_given) options.seed = testing::fresh_seed();

    try {
        Environment environment(options);
        print_environment(program, environment);
        environment.set_peaks(measure_peaks(environment));
        print_peaks(program, environment.peaks());
        add_context(environment);
        register_cases(environment.options());
        benchmark::RunSpecifiedBenchmarks();
        // The cases' captures (input caches) hold device memory: release it
        // while the environment (context, cuBLAS) is still there.
        benchmark::ClearRegisteredBenchmarks();
    } catch (const std::exception& e) {
        benchmark::ClearRegisteredBenchmarks();
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
    benchmark::Shutdown();
    return 0;
}

}  // namespace ptxkit::bench
