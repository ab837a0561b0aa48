// Stubs of ptxkit's runtime for the emulator harnesses: no driver, no
// context, an emulated H100. The real host code (planning, checks, tensor-map
// encoding, launch configuration) runs unchanged against them; each kernel's
// harness defines launch_raw, which runs the launch in the emulator.
#pragma once
#include <string>
#include <vector>

#include "ptxkit/runtime.hpp"

namespace emu::harness {
// An H100 with `sm_count` SMs: what device_properties() answers from now on.
void reset_device(int sm_count);
const ptxkit::DeviceProperties& device();
// What the stubbed cuOccupancyMaxActiveClusters answers (0: cannot tell).
void set_max_active_clusters(int clusters);
// One line per launch_raw (kernel, grid, smem, the launch's config and shapes).
std::vector<std::string>& launches();
// Tensor-map encodings the stubbed driver accepted but found worth a note.
std::vector<std::string>& tensor_map_notes();
}  // namespace emu::harness
