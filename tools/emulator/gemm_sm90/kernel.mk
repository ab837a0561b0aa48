# The sm90 GEMM under the emulator: the kernel units translated (with every
# header they include) and the real host sources linked with the harness.
KERNEL_UNITS := gemm/sm90_gemm.cu gemm/splitk_reduce.cu
HOST_SOURCES := src/ops/gemm.cpp src/ops/gemm_sm90.cpp src/ops/tensor_map.cpp \
                src/common/checks.cpp src/common/tensor.cpp src/common/error.cpp
