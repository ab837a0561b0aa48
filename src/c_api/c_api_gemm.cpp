// The C API of GEMM (ptxkit/gemm.hpp).
#include "c_api/c_api_util.hpp"

using namespace ptxkit::c_api;

extern "C" {

ptxkit_gemm_options_t ptxkit_gemm_default_options(void) {
    ptxkit_gemm_options_t o{};
    o.alpha = 1.0f;
    o.beta = 0.0f;
    o.activation = PTXKIT_ACT_NONE;
    o.path = PTXKIT_GEMM_AUTO;
    return o;
}

ptxkit_status_t ptxkit_gemm(const ptxkit_tensor_t* a, const ptxkit_tensor_t* b, const ptxkit_tensor_t* d,
                            const ptxkit_gemm_options_t* options, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_gemm";
        const ptxkit_gemm_options_t o = options != nullptr ? *options : ptxkit_gemm_default_options();
        ptxkit::GemmOptions cpp;
        cpp.alpha = o.alpha;
        cpp.beta = o.beta;
        if (o.c != nullptr) cpp.c = to_view(op, "options->c", o.c);
        if (o.bias != nullptr) cpp.bias = to_view(op, "options->bias", o.bias);
        cpp.activation = static_cast<ptxkit::Activation>(raw_enum(o.activation));
        cpp.b_is_kn = o.b_is_kn != 0;
        cpp.path = static_cast<ptxkit::GemmPath>(raw_enum(o.path));
        cpp.workspace = o.workspace;
        cpp.workspace_bytes = o.workspace_bytes;
        ptxkit::gemm(to_view(op, "a", a), to_view(op, "b", b), to_view(op, "d", d), cpp, stream);
    });
}

ptxkit_status_t ptxkit_gemm_workspace_size(int64_t m, int64_t n, int64_t k, size_t* bytes) {
    return guarded([&] {
        require_out("ptxkit_gemm_workspace_size", "bytes", bytes);
        *bytes = ptxkit::gemm_workspace_size(m, n, k);
    });
}

}  // extern "C"
