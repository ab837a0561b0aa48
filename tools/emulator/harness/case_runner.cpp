#include "case_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "host.hpp"
#include "runtime_stubs.hpp"

namespace emu::harness {
namespace {
Options g_options;

[[noreturn]] void usage(const char* prog) {
    std::fprintf(stderr,
                 "usage: %s [--case N] [--list] [--lazy-tma 0|1] [--shuffle SEED] [--window-offset BYTES]\n"
                 "          [--approx-noise 0|1|2] [--stop-on-failure] [--show-launches]\n",
                 prog);
    std::exit(2);
}
}  // namespace

const Options& options() { return g_options; }

int run_cases(int argc, char** argv, const std::vector<std::string>& names, unsigned seed_base,
              const std::function<int(std::size_t, unsigned)>& run) {
    int only = -1;
    bool list = false, stop_on_failure = false;
    RunConfig& cfg = config();
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        auto value = [&]() -> long {
            if (i + 1 >= argc) usage(argv[0]);
            char* end = nullptr;
            const long v = std::strtol(argv[++i], &end, 0);
            if (*end != '\0') usage(argv[0]);
            return v;
        };
        if (!std::strcmp(a, "--case")) only = int(value());
        else if (!std::strcmp(a, "--list")) list = true;
        else if (!std::strcmp(a, "--lazy-tma")) cfg.lazy_tma = value() != 0;
        else if (!std::strcmp(a, "--shuffle")) { cfg.seed = unsigned(value()); cfg.shuffle = cfg.seed != 0; }
        else if (!std::strcmp(a, "--window-offset")) cfg.window_offset = uint32_t(value());
        else if (!std::strcmp(a, "--approx-noise")) cfg.approx_noise = int(value());
        else if (!std::strcmp(a, "--stop-on-failure")) stop_on_failure = true;
        else if (!std::strcmp(a, "--show-launches")) g_options.show_launches = true;
        else usage(argv[0]);
    }
    if (list) {
        for (std::size_t i = 0; i < names.size(); ++i) std::printf("%zu %s\n", i, names[i].c_str());
        return 0;
    }
    if (only >= int(names.size())) usage(argv[0]);
    std::vector<std::size_t> failing;
    int ran = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (only >= 0 && int(i) != only) continue;
        ++ran;
        std::fflush(stdout);
        const pid_t pid = fork();
        if (pid == 0) {
            int rc = 1;
            try {
                rc = run(i, seed_base + unsigned(i));
            } catch (const std::exception& e) {
                std::printf("FAIL %-52s exception: %s\n", names[i].c_str(), e.what());
                for (auto& s : launches()) std::printf("      launch: %s\n", s.c_str());
            }
            std::fflush(stdout);
            std::_Exit(rc);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
        failing.push_back(i);
        if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)  // the case did not report itself: emulator failure or crash
            std::printf("FAIL case %zu (%s): emulator/process failure (status %d%s)\n", i, names[i].c_str(),
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? ", signal" : "");
        if (stop_on_failure) break;
    }
    std::printf("summary: %d case(s), %zu failing", ran, failing.size());
    for (std::size_t k = 0; k < failing.size(); ++k) std::printf("%s%zu", k ? " " : ": ", failing[k]);
    std::printf("\n");
    return failing.empty() ? 0 : 1;
}
}  // namespace emu::harness
