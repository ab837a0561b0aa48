/* The C API from C99: the header compiles as C, and the entry points report
 * status codes and messages. Run with no driver (ctest sets
 * PTXKIT_LIBCUDA_PATH to a missing file). Prints a gtest-like closing line. */
#include <stdio.h>
#include <string.h>

#include "ptxkit/ptxkit.h"

static int passed = 0;
static int failed = 0;

static void check(int ok, const char* what) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        fprintf(stderr, "FAILED: %s (last error: %s)\n", what, ptxkit_last_error());
    }
}

int main(void) {
    ptxkit_tensor_t t;
    int count = -1;
    memset(&t, 0, sizeof t);

    check(strcmp(ptxkit_version(), "") != 0, "version is set");
    check(strcmp(ptxkit_status_string(PTXKIT_ERROR_NO_DRIVER), "PTXKIT_ERROR_NO_DRIVER") == 0, "status string");
    check(strcmp(ptxkit_status_string((ptxkit_status_t)99), "unknown status") == 0, "unknown status string");
    t.dtype = (ptxkit_dtype_t)42;
    t.rank = 1;
    check(ptxkit_convert(&t, &t, NULL) == PTXKIT_ERROR_INVALID_ARGUMENT, "dtype out of range is invalid");
    check(strstr(ptxkit_last_error(), "expected a ptxkit_dtype_t value, got 42") != NULL, "message names the value");
    memset(&t, 0, sizeof t);
    check(ptxkit_copy(NULL, &t, 4, NULL) == PTXKIT_ERROR_INVALID_ARGUMENT, "null dst is invalid");
    check(strstr(ptxkit_last_error(), "argument 'dst'") != NULL, "message names the argument");
    check(ptxkit_convert(&t, NULL, NULL) == PTXKIT_ERROR_INVALID_ARGUMENT, "null src tensor is invalid");
    {
        ptxkit_attention_options_t ao = ptxkit_attention_default_options();
        ptxkit_decode_attention_args_t da;
        size_t ws = 1;
        check(ao.window_left == -1 && ao.window_right == -1 && ao.causal == 0, "attention defaults");
        check(ptxkit_attention_prefill(NULL, &t, &t, &t, NULL, &ao, NULL) == PTXKIT_ERROR_INVALID_ARGUMENT,
              "attention with a null q is invalid");
        check(strstr(ptxkit_last_error(), "argument 'q'") != NULL, "attention message names q");
        memset(&da, 0, sizeof da);
        check(ptxkit_attention_decode(&da, NULL, NULL) == PTXKIT_ERROR_INVALID_ARGUMENT, "decode with null tensors");
        check(ptxkit_attention_decode_workspace_size(4, 1, 32, 8, 96, 4096, &ws) == PTXKIT_ERROR_INVALID_ARGUMENT &&
                  ws == 1,
              "decode workspace query rejects D = 96");
        check(strstr(ptxkit_last_error(), "head dimension 64, 128 or 256") != NULL, "message says which D");
    }
    check(ptxkit_driver_available() == 0, "no driver");
    check(ptxkit_device_count(&count) == PTXKIT_ERROR_NO_DRIVER && count == -1, "device count needs a driver");

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
