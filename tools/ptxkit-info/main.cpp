// ptxkit-info: the driver, the devices, and the kernels embedded in this
// build with the resources ptxas gave them. Works without a GPU.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string_view>

#include "ptxkit/ptxkit.hpp"

namespace {

void print_devices() {
    if (!ptxkit::driver_available()) {
        fmt::print("driver:  none ({})\n", ptxkit::driver_unavailable_reason());
        return;
    }
    const int v = ptxkit::driver_version();
    fmt::print("driver:  CUDA {}.{} (ptxkit needs {}.{} or newer)\n", v / 1000, v % 1000 / 10,
               ptxkit::required_driver_version() / 1000, ptxkit::required_driver_version() % 1000 / 10);
    const int count = ptxkit::device_count();
    fmt::print("devices: {}\n", count);
    for (int i = 0; i < count; ++i) {
        const auto& p = ptxkit::device_properties(i);
        const double bandwidth_gbps = 2.0 * p.memory_clock_khz * 1e3 * (p.memory_bus_width_bits / 8.0) / 1e9;
        fmt::print("  [{}] {}  sm_{}{}  {} SMs  {:.0f} MiB L2  {:.1f} GiB  smem/block {} KiB (opt-in)  "
                   "SM clock {} MHz  memory {} MHz x {} bit (~{:.0f} GB/s theoretical)\n",
                   i, p.name, p.cc_major, p.cc_minor, p.sm_count, static_cast<double>(p.l2_bytes) / 1048576.0,
                   static_cast<double>(p.total_memory_bytes) / 1073741824.0, p.shared_memory_per_block_optin / 1024, p.sm_clock_khz / 1000,
                   p.memory_clock_khz / 1000, p.memory_bus_width_bits, bandwidth_gbps);
    }
}

void print_kernels() {
    fmt::print("\nembedded modules:\n");
    for (const auto& m : ptxkit::embedded_modules()) {
        fmt::print("  {:<24} {:<32} SASS {:<14} PTX {:<11} {:>8} bytes\n", m.name, m.source, m.sass_archs, m.ptx_arch,
                   m.fatbin_bytes);
    }
    fmt::print("\nkernels (ptxas -v at build time):\n");
    fmt::print("  {:<24} {:<32} {:<7} {:>5} {:>7} {:>6} {:>7} {:>7} {:>4}\n", "module", "kernel", "arch", "regs",
               "smem", "stack", "spill-st", "spill-ld", "hot");
    for (const auto& k : ptxkit::embedded_kernels()) {
        fmt::print("  {:<24} {:<32} {:<7} {:>5} {:>7} {:>6} {:>7} {:>7} {:>4}\n", k.module, k.kernel, k.arch,
                   k.registers, k.shared_bytes, k.stack_bytes, k.spill_store_bytes, k.spill_load_bytes,
                   k.hot ? "yes" : "");
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
        std::puts("usage: ptxkit-info\n  Prints the driver, the devices and the embedded kernels with their resources.");
        return 0;
    }
    try {
        fmt::print("ptxkit {}\n", ptxkit::version());
        print_devices();
        print_kernels();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ptxkit-info: %s\n", e.what());
        return 1;
    }
    return 0;
}
