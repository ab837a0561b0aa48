// The command line and case loop shared by the harnesses. Each case runs in
// a forked child (an emulator failure ends the process with status 3); the
// last line printed is "summary: N case(s), F failing[: i j ...]".
//
//   emu_<kernel> [--case N] [--list] [--lazy-tma 0|1] [--shuffle SEED]
//                [--window-offset BYTES] [--approx-noise 0|1|2]
//                [--stop-on-failure] [--show-launches]
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace emu::harness {
struct Options {
    bool show_launches = false;  // print the launches of passing cases too
};
const Options& options();

// run(i, seed) runs case i and returns 0 when it passed; seed = seed_base + i.
int run_cases(int argc, char** argv, const std::vector<std::string>& names, unsigned seed_base,
              const std::function<int(std::size_t, unsigned)>& run);
}  // namespace emu::harness
