# The sm90 MoE grouped expert GEMM under the emulator: the kernel unit
# translated (with every header it includes: gemm/sm90_mainloop.cuh,
# moe/grouped_gemm.cuh, ...) and the real host sources linked with the harness.
KERNEL_UNITS := moe/grouped_gemm_sm90.cu
HOST_SOURCES := src/ops/moe_grouped_gemm.cpp src/ops/moe_grouped_gemm_sm90.cpp src/ops/tensor_map.cpp \
                src/common/checks.cpp src/common/tensor.cpp src/common/error.cpp
