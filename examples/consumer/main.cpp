// Links the installed libptxkit, reports the driver, and copies a buffer on
// the GPU when there is one. Needs no CUDA headers or libraries to build.
#include <ptxkit/ptxkit.h>
#include <ptxkit/ptxkit.hpp>

#include <cstdio>

int main() {
    std::printf("ptxkit %s (C API says %s)\n", ptxkit::version(), ptxkit_version());
    if (!ptxkit::driver_available()) {
        std::printf("no GPU here: %s\n", ptxkit::driver_unavailable_reason().c_str());
    } else {
        const auto& p = ptxkit::device_properties(0);
        std::printf("device 0: %s, %d SMs\n", p.name.c_str(), p.sm_count);
    }
    std::printf("%zu kernels embedded\n", ptxkit::embedded_kernels().size());
    // The C API reports bad input with a status and a message.
    const ptxkit_status_t s = ptxkit_copy(nullptr, nullptr, 16, nullptr);
    std::printf("ptxkit_copy(NULL, ...) -> %s: %s\n", ptxkit_status_string(s), ptxkit_last_error());
    return s == PTXKIT_ERROR_INVALID_ARGUMENT ? 0 : 1;
}
