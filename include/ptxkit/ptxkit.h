/* ptxkit: hand-written PTX kernels for LLM inference. The C API.
 *
 * Every function returns a ptxkit_status_t. On failure, ptxkit_last_error()
 * gives the message of the last failed call on the calling thread (it stays
 * valid until that thread's next failing call). Compiles as C99 and as C++. */
#ifndef PTXKIT_H
#define PTXKIT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define PTXKIT_API
#else
#define PTXKIT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Same type as CUstream and cudaStream_t; NULL is the legacy default stream. */
typedef struct CUstream_st* ptxkit_stream_t;

typedef enum ptxkit_status {
    PTXKIT_SUCCESS = 0,
    PTXKIT_ERROR_INVALID_ARGUMENT = 1, /* nothing was launched */
    PTXKIT_ERROR_NO_DRIVER = 2,
    PTXKIT_ERROR_NO_DEVICE = 3,
    PTXKIT_ERROR_UNSUPPORTED = 4,
    PTXKIT_ERROR_DRIVER = 5,
    PTXKIT_ERROR_CONTEXT_UNUSABLE = 6,
    PTXKIT_ERROR_OUT_OF_MEMORY = 7,
    PTXKIT_ERROR_INTERNAL = 8
} ptxkit_status_t;

typedef enum ptxkit_dtype {
    PTXKIT_F32 = 0,
    PTXKIT_F16 = 1,
    PTXKIT_BF16 = 2,
    PTXKIT_E4M3 = 3,
    PTXKIT_E5M2 = 4,
    PTXKIT_I32 = 5,
    PTXKIT_I64 = 6,
    PTXKIT_U8 = 7
} ptxkit_dtype_t;

#define PTXKIT_MAX_RANK 4

/* A device tensor: strides in elements, row-major when stride is all zero. */
typedef struct ptxkit_tensor {
    void* data;
    ptxkit_dtype_t dtype;
    int32_t rank;
    int64_t shape[PTXKIT_MAX_RANK];
    int64_t stride[PTXKIT_MAX_RANK];
} ptxkit_tensor_t;

/* "0.1.0": the version of the library that is running. */
PTXKIT_API const char* ptxkit_version(void);
/* "PTXKIT_ERROR_INVALID_ARGUMENT" and so on; "unknown status" otherwise. */
PTXKIT_API const char* ptxkit_status_string(ptxkit_status_t status);
/* The message of the calling thread's last failed call; "" if none failed. */
PTXKIT_API const char* ptxkit_last_error(void);

/* 1 when a usable driver and device are present, else 0 (never fails). */
PTXKIT_API int ptxkit_driver_available(void);
PTXKIT_API ptxkit_status_t ptxkit_driver_version(int* version);
PTXKIT_API ptxkit_status_t ptxkit_device_count(int* count);

/* dst[0, bytes) = src[0, bytes), asynchronously on stream. */
PTXKIT_API ptxkit_status_t ptxkit_copy(void* dst, const void* src, size_t bytes, ptxkit_stream_t stream);
/* f32 <-> bf16 / f16 conversion of contiguous tensors of the same shape. */
PTXKIT_API ptxkit_status_t ptxkit_convert(const ptxkit_tensor_t* dst, const ptxkit_tensor_t* src,
                                          ptxkit_stream_t stream);

#ifdef __cplusplus
}
#endif

/* One header per area, each in its own extern "C" block. */
#include "ptxkit/ptxkit_attention.h"
#include "ptxkit/ptxkit_gemm.h"
#include "ptxkit/ptxkit_moe.h"

#endif /* PTXKIT_H */
