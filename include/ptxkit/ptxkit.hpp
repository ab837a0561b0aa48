// ptxkit: hand-written PTX kernels for LLM inference. The C++ API.
#pragma once

#include "ptxkit/attention.hpp"
#include "ptxkit/error.hpp"
#include "ptxkit/gemm.hpp"
#include "ptxkit/memory.hpp"
#include "ptxkit/moe.hpp"
#include "ptxkit/runtime.hpp"
#include "ptxkit/tensor.hpp"
#include "ptxkit/version.hpp"
