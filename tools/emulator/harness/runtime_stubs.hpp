// Stubs of ptxkit's runtime for the emulator harnesses: no driver, no
// context, an emulated H100. The real host code (planning, checks, tensor-map
// encoding, launch configuration) runs unchanged against them; each kernel's
// harness defines launch_raw, which runs the launch in the emulator.
#pragma once
#include <string>
#include <vector>

#include "ptxkit/runtime.hpp"
#include "runtime/context.hpp"
#include "runtime/launch.hpp"

namespace emu::harness {
// An H100 with `sm_count` SMs: what device_properties() answers from now on.
void reset_device(int sm_count);
const ptxkit::DeviceProperties& device();
// What the stubbed cuOccupancyMaxActiveClusters answers (0: cannot tell).
void set_max_active_clusters(int clusters);
// One line per launch_raw (kernel, grid, smem, the launch's config and shapes).
std::vector<std::string>& launches();
// Appends the launch's line to launches(); every harness's launch_raw calls it first.
void record_launch(const ptxkit::detail::Kernel& kernel, const ptxkit::detail::LaunchConfig& c);
// A launch the kernel could not take: reports it and ends the case's process (exit 4).
[[noreturn]] void bad_launch(const std::string& why);
// Tensor-map encodings the stubbed driver accepted but found worth a note.
std::vector<std::string>& tensor_map_notes();
}  // namespace emu::harness
