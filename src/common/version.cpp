#include "ptxkit/version.hpp"

namespace ptxkit {
const char* version() noexcept { return PTXKIT_VERSION_STRING; }
}  // namespace ptxkit
