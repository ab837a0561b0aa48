# The sm90 attention prefill under the emulator: the kernel unit translated
# (with every header it includes) and the real host sources, plus the tests'
# float64 reference, linked with the harness.
KERNEL_UNITS := attention/prefill_sm90.cu
HOST_SOURCES := src/ops/attention.cpp src/ops/attention_sm90.cpp src/ops/tensor_map.cpp \
                src/common/checks.cpp src/common/tensor.cpp src/common/error.cpp \
                tests/support/attention_reference.cpp
