// Symbols of the public C++ API are exported from libptxkit.so; everything
// else is hidden.
#pragma once

#if defined(_WIN32)
#define PTXKIT_EXPORT
#else
#define PTXKIT_EXPORT __attribute__((visibility("default")))
#endif
