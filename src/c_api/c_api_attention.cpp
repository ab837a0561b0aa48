// The C API of attention (ptxkit/attention.hpp).
#include "c_api/c_api_util.hpp"

using namespace ptxkit::c_api;

namespace {

ptxkit::AttentionOptions to_options(const ptxkit_attention_options_t* options) {
    const ptxkit_attention_options_t o = options != nullptr ? *options : ptxkit_attention_default_options();
    ptxkit::AttentionOptions cpp;
    cpp.softmax_scale = o.softmax_scale;
    cpp.softcap = o.softcap;
    cpp.causal = o.causal != 0;
    cpp.window_left = o.window_left;
    cpp.window_right = o.window_right;
    cpp.path = static_cast<ptxkit::AttentionPath>(raw_enum(o.path));
    return cpp;
}

template <class T>
const T& required(const char* op, const char* arg, const T* ptr) {
    if (ptr == nullptr) bad_argument(op, arg, "a non-null pointer", "null");
    return *ptr;
}

}  // namespace

extern "C" {

ptxkit_attention_options_t ptxkit_attention_default_options(void) {
    ptxkit_attention_options_t o{};
    o.window_left = -1;
    o.window_right = -1;
    o.path = PTXKIT_ATTENTION_AUTO;
    return o;
}

ptxkit_decode_attention_options_t ptxkit_decode_attention_default_options(void) {
    ptxkit_decode_attention_options_t o{};
    o.window_left = -1;
    return o;
}

ptxkit_status_t ptxkit_attention_prefill(const ptxkit_tensor_t* q, const ptxkit_tensor_t* k, const ptxkit_tensor_t* v,
                                         const ptxkit_tensor_t* o, const ptxkit_tensor_t* lse,
                                         const ptxkit_attention_options_t* options, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_attention_prefill";
        ptxkit::AttentionArgs args;
        args.q = to_view(op, "q", q);
        args.k = to_view(op, "k", k);
        args.v = to_view(op, "v", v);
        args.o = to_view(op, "o", o);
        if (lse != nullptr) args.lse = to_view(op, "lse", lse);
        ptxkit::attention_prefill(args, to_options(options), stream);
    });
}

ptxkit_status_t ptxkit_attention_prefill_varlen(const ptxkit_varlen_attention_args_t* args,
                                                const ptxkit_attention_options_t* options, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_attention_prefill_varlen";
        const ptxkit_varlen_attention_args_t& a = required(op, "args", args);
        ptxkit::VarlenAttentionArgs cpp;
        cpp.q = to_view(op, "args->q", a.q);
        cpp.k = to_view(op, "args->k", a.k);
        cpp.v = to_view(op, "args->v", a.v);
        cpp.o = to_view(op, "args->o", a.o);
        cpp.cu_seqlens_q = to_view(op, "args->cu_seqlens_q", a.cu_seqlens_q);
        cpp.cu_seqlens_k = to_view(op, "args->cu_seqlens_k", a.cu_seqlens_k);
        cpp.max_seqlen_q = a.max_seqlen_q;
        cpp.max_seqlen_k = a.max_seqlen_k;
        if (a.lse != nullptr) cpp.lse = to_view(op, "args->lse", a.lse);
        ptxkit::attention_prefill(cpp, to_options(options), stream);
    });
}

ptxkit_status_t ptxkit_attention_decode(const ptxkit_decode_attention_args_t* args,
                                        const ptxkit_decode_attention_options_t* options, ptxkit_stream_t stream) {
    return guarded([&] {
        constexpr const char* op = "ptxkit_attention_decode";
        const ptxkit_decode_attention_args_t& a = required(op, "args", args);
        ptxkit::DecodeAttentionArgs cpp;
        cpp.q = to_view(op, "args->q", a.q);
        cpp.k_cache = to_view(op, "args->k_cache", a.k_cache);
        cpp.v_cache = to_view(op, "args->v_cache", a.v_cache);
        cpp.page_table = to_view(op, "args->page_table", a.page_table);
        cpp.seq_lens = to_view(op, "args->seq_lens", a.seq_lens);
        cpp.o = to_view(op, "args->o", a.o);
        if (a.lse != nullptr) cpp.lse = to_view(op, "args->lse", a.lse);
        cpp.max_seq_len = a.max_seq_len;
        const ptxkit_decode_attention_options_t o =
            options != nullptr ? *options : ptxkit_decode_attention_default_options();
        ptxkit::DecodeAttentionOptions opts;
        opts.softmax_scale = o.softmax_scale;
        opts.softcap = o.softcap;
        opts.window_left = o.window_left;
        opts.splits = o.splits;
        opts.workspace = o.workspace;
        opts.workspace_bytes = o.workspace_bytes;
        ptxkit::attention_decode(cpp, opts, stream);
    });
}

ptxkit_status_t ptxkit_attention_decode_workspace_size(int64_t batch, int64_t q_len, int64_t heads_q, int64_t heads_kv,
                                                       int64_t head_dim, int64_t max_seq_len, size_t* bytes) {
    return guarded([&] {
        require_out("ptxkit_attention_decode_workspace_size", "bytes", bytes);
        *bytes = ptxkit::attention_decode_workspace_size(batch, q_len, heads_q, heads_kv, head_dim, max_seq_len);
    });
}

}  // extern "C"
