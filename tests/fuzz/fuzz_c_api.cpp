// libFuzzer target: every C entry point (include/ptxkit/ptxkit*.h) on
// arguments decoded from the fuzz input - ptxkit_tensor_t structs with fake
// device pointers, arbitrary sizes, strides, ranks, out-of-range enum values
// (as a C caller may pass), null struct pointers - with the library's host
// code under ASan + UBSan.
//
// The pointers are never dereferenced: the target forces
// PTXKIT_LIBCUDA_PATH=/nonexistent/libcuda.so.1 before the first call, so a
// call that passes every argument check stops at "no driver" before anything
// reaches a device.
//
// The property, for every call: no crash, no sanitizer report, a status that
// is SUCCESS, INVALID_ARGUMENT (message "<op>: argument '<name>': expected
// ..., got ...") or NO_DRIVER (the driver's message) - anything else, such as
// INTERNAL, is a bug - and a non-empty ptxkit_last_error() after a failure.
//
// Half of the calls decode every argument freely; the other half start from
// a valid call of one op and mutate 0 to 3 of its fields (fuzz_structured), so
// that multi-tensor ops get past their first check. PTXKIT_FUZZ_STATS=1
// prints, per entry point, how many calls succeeded, were rejected, or passed
// every check (NO_DRIVER). Run it through scripts/fuzz.sh.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>

#include "ptxkit/ptxkit.h"

namespace {

[[noreturn]] void violated(const char* call, const char* what, int status) {
    std::fprintf(stderr, "fuzz_c_api: %s: %s (status %d, last error \"%s\")\n", call, what, status,
                 ptxkit_last_error());
    std::abort();
}

// PTXKIT_FUZZ_STATS=1: at exit, how often each entry point returned each
// status - how deep the decoded arguments get (NO_DRIVER: every check passed).
struct Stats {
    static constexpr int kCalls = 32;
    const char* names[kCalls] = {};
    unsigned long counts[kCalls][3] = {};
    void add(const char* call, int status) {
        for (int i = 0; i < kCalls; ++i) {
            if (names[i] == nullptr) names[i] = call;
            if (names[i] == call || std::strcmp(names[i], call) == 0) {
                ++counts[i][status == PTXKIT_SUCCESS ? 0 : status == PTXKIT_ERROR_INVALID_ARGUMENT ? 1 : 2];
                return;
            }
        }
    }
    void print() const {
        std::fprintf(stderr, "%-34s %10s %10s %10s\n", "entry point", "success", "invalid", "no driver");
        for (int i = 0; i < kCalls && names[i] != nullptr; ++i) {
            std::fprintf(stderr, "%-34s %10lu %10lu %10lu\n", names[i], counts[i][0], counts[i][1], counts[i][2]);
        }
    }
};
Stats* g_stats = nullptr;

void check(const char* call, ptxkit_status_t status) {
    int s = 0;
    std::memcpy(&s, &status, sizeof s);
    if (g_stats != nullptr) g_stats->add(call, s);
    if (s == PTXKIT_SUCCESS) return;
    const char* message = ptxkit_last_error();
    if (message == nullptr || message[0] == '\0') violated(call, "failed with an empty ptxkit_last_error()", s);
    if (s == PTXKIT_ERROR_INVALID_ARGUMENT) {
        if (std::strncmp(message, "ptxkit", 6) != 0 || std::strstr(message, ": argument '") == nullptr ||
            std::strstr(message, "': expected ") == nullptr || std::strstr(message, ", got ") == nullptr) {
            violated(call, "an invalid-argument message not of the form \"<op>: argument '<name>': expected ..., got ...\"", s);
        }
        return;
    }
    if (s == PTXKIT_ERROR_NO_DRIVER) {
        if (std::strstr(message, "no usable NVIDIA driver") == nullptr) violated(call, "an unexpected no-driver message", s);
        return;
    }
    violated(call, "a status other than SUCCESS, INVALID_ARGUMENT or NO_DRIVER", s);
}

// Arguments drawn from the input, biased towards the values checks care
// about: a few shared dimensions (so that tensors of one call can agree and
// reach the deeper checks), fake pointers that may overlap, edges of every range.
class Args {
public:
    Args(const std::uint8_t* data, std::size_t size) : in_(data, size) {
        for (auto& d : dims_) d = size_value();
        for (std::size_t i = 0; i < kBases; ++i) bases_[i] = 0x100000000ull * (i + 1);
    }

    FuzzedDataProvider& in() { return in_; }

    std::int64_t size_value() {
        switch (in_.ConsumeIntegralInRange<int>(0, 7)) {
            case 0: return in_.ConsumeIntegralInRange<std::int64_t>(0, 64);
            case 1: {
                static constexpr std::int64_t common[] = {1, 2, 4, 7, 8, 16, 32, 60, 64, 128, 160, 256, 384, 512, 513,
                                                          1024, 4096, 4097, 65535, 2097152, 2097153};
                return common[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(common) - 1)];
            }
            case 2: {  // around a power of two, 2^1 .. 2^63
                const int p = in_.ConsumeIntegralInRange<int>(1, 63);
                const auto base = static_cast<std::int64_t>(static_cast<std::uint64_t>(1) << p);  // 2^63 wraps to INT64_MIN
                const int delta = in_.ConsumeIntegralInRange<int>(-1, 1);
                if (base == std::numeric_limits<std::int64_t>::min() && delta < 0) return std::numeric_limits<std::int64_t>::max();
                return base + delta;
            }
            case 3: return -in_.ConsumeIntegralInRange<std::int64_t>(1, 64);
            case 4: return in_.ConsumeBool() ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
            case 5: return in_.ConsumeIntegral<std::int64_t>();
            default: return dims_[in_.ConsumeIntegralInRange<std::size_t>(0, kDims - 1)];
        }
    }

    // A dimension: mostly one of the shared ones.
    std::int64_t dim() {
        if (in_.ConsumeIntegralInRange<int>(0, 3) != 0) return dims_[in_.ConsumeIntegralInRange<std::size_t>(0, kDims - 1)];
        return size_value();
    }

    std::int32_t int32_value() {
        switch (in_.ConsumeIntegralInRange<int>(0, 4)) {
            case 0: return in_.ConsumeIntegralInRange<std::int32_t>(-2, 40);
            case 1: return static_cast<std::int32_t>(dims_[in_.ConsumeIntegralInRange<std::size_t>(0, kDims - 1)]);
            case 2: return in_.ConsumeIntegral<std::int32_t>();
            case 3: return in_.ConsumeBool() ? std::numeric_limits<std::int32_t>::max() : std::numeric_limits<std::int32_t>::min();
            default: return 8;
        }
    }

    float float_value() {
        switch (in_.ConsumeIntegralInRange<int>(0, 5)) {
            case 0: return 0.0f;
            case 1: return 1.0f;
            case 2: return std::numeric_limits<float>::quiet_NaN();
            case 3: return -std::numeric_limits<float>::infinity();
            case 4: return in_.ConsumeFloatingPoint<float>();
            default: return 2.5f;
        }
    }

    // A fake address: null, one of a few bases plus an offset (so that two
    // tensors may share or overlap memory), the top of the address space, anything.
    void* pointer() {
        std::uintptr_t a = 0;
        switch (in_.ConsumeIntegralInRange<int>(0, 5)) {
            case 0: a = 0; break;
            case 1:
            case 2:
                a = bases_[in_.ConsumeIntegralInRange<std::size_t>(0, kBases - 1)] +
                    in_.ConsumeIntegralInRange<std::uintptr_t>(0, 1u << 16) * (in_.ConsumeBool() ? 1 : 256);
                break;
            case 3: a = bases_[in_.ConsumeIntegralInRange<std::size_t>(0, kBases - 1)]; break;
            case 4: a = std::numeric_limits<std::uintptr_t>::max() - in_.ConsumeIntegralInRange<std::uintptr_t>(0, 1u << 12); break;
            default: a = in_.ConsumeIntegral<std::uintptr_t>(); break;
        }
        return reinterpret_cast<void*>(a);
    }

    // An enum field as a C caller may fill it: usually a valid value, sometimes any int.
    template <class Enum>
    void set_enum(Enum* field, std::int32_t lo, std::int32_t hi) {
        static_assert(sizeof(Enum) == sizeof(std::int32_t));
        const std::int32_t v = in_.ConsumeIntegralInRange<int>(0, 7) != 0 ? in_.ConsumeIntegralInRange<std::int32_t>(lo, hi)
                                                                            : in_.ConsumeIntegral<std::int32_t>();
        std::memcpy(field, &v, sizeof v);
    }

    ptxkit_tensor_t tensor() {
        ptxkit_tensor_t t;
        std::memset(&t, 0, sizeof t);
        t.data = pointer();
        set_enum(&t.dtype, PTXKIT_F32, PTXKIT_U8);
        const int r = in_.ConsumeIntegralInRange<int>(0, 9);
        t.rank = r < 4 ? 2 : r < 6 ? 1 : r < 8 ? in_.ConsumeIntegralInRange<std::int32_t>(0, PTXKIT_MAX_RANK)
                                        : in_.ConsumeIntegral<std::int32_t>();
        for (auto& s : t.shape) s = dim();
        if (in_.ConsumeBool()) {  // explicit strides; else all zero: row-major
            for (int d = 0; d < PTXKIT_MAX_RANK; ++d) {
                switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
                    case 0: t.stride[d] = 1; break;
                    case 1: t.stride[d] = d + 1 < PTXKIT_MAX_RANK ? t.shape[d + 1] : 1; break;
                    case 2: t.stride[d] = dim(); break;
                    default: t.stride[d] = size_value(); break;
                }
            }
        }
        return t;
    }

    // A tensor, or (sometimes) a null pointer to one.
    const ptxkit_tensor_t* tensor_or_null(ptxkit_tensor_t& storage, int null_one_in = 16) {
        if (in_.ConsumeIntegralInRange<int>(0, null_one_in - 1) == 0) return nullptr;
        storage = tensor();
        return &storage;
    }

    ptxkit_stream_t stream() { return static_cast<ptxkit_stream_t>(in_.ConsumeBool() ? nullptr : pointer()); }

private:
    static constexpr std::size_t kDims = 6;
    static constexpr std::size_t kBases = 4;
    FuzzedDataProvider in_;
    std::int64_t dims_[kDims] = {};
    std::uintptr_t bases_[kBases] = {};
};

// ---- valid calls, then a few mutations ----
//
// Random tensors rarely agree with each other, so the checks of multi-tensor
// ops (align takes seven) would stop at their first test. Half of the calls
// are therefore built valid from a few drawn parameters (every tensor at its
// own base address, 2^40 bytes apart, so nothing overlaps) and then get 0 to 3
// mutations: one field of one tensor (pointer, dtype, rank, a size, a
// stride) replaced by a drawn value, or two tensors made to share memory.

// A row-major tensor at fake address `base` (strides all zero: row-major).
ptxkit_tensor_t make(std::uintptr_t base, ptxkit_dtype_t dtype, std::initializer_list<std::int64_t> shape) {
    ptxkit_tensor_t t;
    std::memset(&t, 0, sizeof t);
    t.data = reinterpret_cast<void*>(base);
    t.dtype = dtype;
    t.rank = static_cast<std::int32_t>(shape.size());
    int d = 0;
    for (std::int64_t s : shape) t.shape[d++] = s;
    return t;
}

std::uintptr_t base(int i) { return (static_cast<std::uintptr_t>(i) + 1) << 40; }

void mutate(Args& args, ptxkit_tensor_t* const* tensors, int count) {
    FuzzedDataProvider& in = args.in();
    const int mutations = in.ConsumeIntegralInRange<int>(0, 3);
    for (int m = 0; m < mutations; ++m) {
        ptxkit_tensor_t& t = *tensors[in.ConsumeIntegralInRange<int>(0, count - 1)];
        const int d = in.ConsumeIntegralInRange<int>(0, PTXKIT_MAX_RANK - 1);
        switch (in.ConsumeIntegralInRange<int>(0, 7)) {
            case 0: t.data = args.pointer(); break;
            case 1:  // misaligned
                t.data = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(t.data) +
                                                 in.ConsumeIntegralInRange<std::uintptr_t>(1, 15));
                break;
            case 2: args.set_enum(&t.dtype, PTXKIT_F32, PTXKIT_U8); break;
            case 3: t.rank = in.ConsumeIntegralInRange<std::int32_t>(-1, PTXKIT_MAX_RANK + 1); break;
            case 4: t.shape[d] = args.size_value(); break;
            case 5: {  // explicit strides: row-major but one of them replaced
                std::int64_t stride = 1;
                for (int i = t.rank - 1; i >= 0 && i < PTXKIT_MAX_RANK; --i) {
                    t.stride[i] = stride;
                    stride = t.shape[i] > 0 && stride <= std::numeric_limits<std::int64_t>::max() / t.shape[i]
                                 ? stride * t.shape[i] : 1;
                }
                t.stride[d] = args.size_value();
                break;
            }
            case 6: t.data = tensors[in.ConsumeIntegralInRange<int>(0, count - 1)]->data; break;  // aliasing
            default: {  // off by one
                const int delta = in.ConsumeBool() ? 1 : -1;
                if (delta > 0 ? t.shape[d] < std::numeric_limits<std::int64_t>::max()
                              : t.shape[d] > std::numeric_limits<std::int64_t>::min()) {
                    t.shape[d] += delta;
                }
                break;
            }
        }
    }
}

ptxkit_dtype_t float_dtype(FuzzedDataProvider& in) {
    static constexpr ptxkit_dtype_t kinds[] = {PTXKIT_F32, PTXKIT_BF16, PTXKIT_F16};
    return kinds[in.ConsumeIntegralInRange<int>(0, 2)];
}

void fuzz_structured(Args& args, int op) {
    FuzzedDataProvider& in = args.in();
    ptxkit_tensor_t t[8];
    ptxkit_tensor_t* all[8];
    for (int i = 0; i < 8; ++i) all[i] = &t[i];
    const std::int64_t rows = args.dim(), cols = args.dim();
    switch (op) {
        case 0: {  // convert
            const bool narrow = in.ConsumeBool();
            const ptxkit_dtype_t half = in.ConsumeBool() ? PTXKIT_BF16 : PTXKIT_F16;
            t[0] = make(base(0), narrow ? half : PTXKIT_F32, {rows, cols});
            t[1] = make(base(1), narrow ? PTXKIT_F32 : half, {rows, cols});
            mutate(args, all, 2);
            check("ptxkit_convert", ptxkit_convert(&t[0], &t[1], args.stream()));
            break;
        }
        case 1: {  // gemm
            const std::int64_t m = rows, n = cols, k = args.dim();
            const ptxkit_dtype_t ab = in.ConsumeBool() ? PTXKIT_BF16 : PTXKIT_F16;
            const ptxkit_dtype_t cd = in.ConsumeBool() ? ab : float_dtype(in);
            ptxkit_gemm_options_t o = ptxkit_gemm_default_options();
            o.b_is_kn = in.ConsumeBool();
            t[0] = make(base(0), ab, {m, k});
            t[1] = o.b_is_kn ? make(base(1), ab, {k, n}) : make(base(1), ab, {n, k});
            t[2] = make(base(2), cd, {m, n});
            t[3] = make(base(3), cd, {m, n});
            t[4] = make(base(4), in.ConsumeBool() ? PTXKIT_F32 : cd, {n});
            if (in.ConsumeBool()) {
                o.c = &t[3];
                o.beta = args.float_value();
            }
            if (in.ConsumeBool()) o.bias = &t[4];
            args.set_enum(&o.activation, PTXKIT_ACT_NONE, PTXKIT_ACT_SILU);
            args.set_enum(&o.path, PTXKIT_GEMM_AUTO, PTXKIT_GEMM_GENERAL);
            if (in.ConsumeBool()) {
                o.workspace = reinterpret_cast<void*>(base(5));
                o.workspace_bytes = static_cast<std::size_t>(args.size_value());
            }
            mutate(args, all, 5);
            check("ptxkit_gemm", ptxkit_gemm(&t[0], &t[1], &t[2], &o, args.stream()));
            break;
        }
        case 2: {  // topk_softmax
            const std::int64_t experts = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::int64_t>(2, 512) : cols;
            const int k = in.ConsumeIntegralInRange<int>(1, 16);
            t[0] = make(base(0), float_dtype(in), {rows, experts});
            t[1] = make(base(1), PTXKIT_F32, {rows, k});
            t[2] = make(base(2), PTXKIT_I32, {rows, k});
            mutate(args, all, 3);
            check("ptxkit_moe_topk_softmax", ptxkit_moe_topk_softmax(&t[0], &t[1], &t[2], k, in.ConsumeBool(), args.stream()));
            break;
        }
        case 3: {  // topk_grouped_sigmoid
            const int groups = 1 << in.ConsumeIntegralInRange<int>(0, 5);
            const int group_size = in.ConsumeIntegralInRange<int>(2, 512 / groups);
            const int experts = groups * group_size;
            ptxkit_grouped_topk_options_t o;
            o.num_groups = groups;
            o.topk_group = in.ConsumeIntegralInRange<int>(1, groups);
            o.k = in.ConsumeIntegralInRange<int>(1, std::min(16, o.topk_group * group_size));
            o.routed_scaling_factor = args.float_value();
            if (in.ConsumeBool()) o.k = args.int32_value();
            t[0] = make(base(0), float_dtype(in), {rows, experts});
            t[1] = make(base(1), PTXKIT_F32, {experts});
            t[2] = make(base(2), PTXKIT_F32, {rows, o.k});
            t[3] = make(base(3), PTXKIT_I32, {rows, o.k});
            mutate(args, all, 4);
            check("ptxkit_moe_topk_grouped_sigmoid",
                  ptxkit_moe_topk_grouped_sigmoid(&t[0], in.ConsumeBool() ? &t[1] : nullptr, &t[2], &t[3], &o,
                                                  args.stream()));
            break;
        }
        case 4: {  // align
            const std::int32_t k = in.ConsumeIntegralInRange<std::int32_t>(1, 16);
            const std::int32_t experts = in.ConsumeIntegralInRange<std::int32_t>(1, 512);
            const std::int32_t block_m = 16 << in.ConsumeIntegralInRange<int>(0, 4);
            std::int64_t capacity = 0;
            std::size_t workspace_bytes = 0;
            if (ptxkit_moe_align_capacity(rows, k, experts, block_m, &capacity) != PTXKIT_SUCCESS) capacity = cols;
            if (ptxkit_moe_align_workspace_size(rows, k, experts, &workspace_bytes) != PTXKIT_SUCCESS) workspace_bytes = 0;
            ptxkit_moe_align_outputs_t out;
            t[0] = make(base(0), PTXKIT_I32, {rows, k});
            out.counts = make(base(1), PTXKIT_I32, {experts});
            out.padded_offsets = make(base(2), PTXKIT_I32, {experts + 1});
            out.sorted_pairs = make(base(3), PTXKIT_I32, {capacity});
            out.block_expert = make(base(4), PTXKIT_I32, {capacity / block_m});
            out.inverse = make(base(5), PTXKIT_I32, {rows, k});
            out.total_padded = make(base(6), PTXKIT_I32, {1});
            ptxkit_tensor_t* tensors[] = {&t[0], &out.counts, &out.padded_offsets, &out.sorted_pairs,
                                          &out.block_expert, &out.inverse, &out.total_padded};
            mutate(args, tensors, 7);
            void* workspace = workspace_bytes > 0 || in.ConsumeBool() ? reinterpret_cast<void*>(base(7)) : nullptr;
            if (in.ConsumeIntegralInRange<int>(0, 3) == 0) workspace_bytes = static_cast<std::size_t>(args.size_value());
            if (in.ConsumeIntegralInRange<int>(0, 7) == 0) workspace = args.pointer();
            check("ptxkit_moe_align",
                  ptxkit_moe_align(&t[0], in.ConsumeIntegralInRange<int>(0, 7) == 0 ? args.int32_value() : experts,
                                   in.ConsumeIntegralInRange<int>(0, 7) == 0 ? args.int32_value() : block_m, &out,
                                   workspace, workspace_bytes, args.stream()));
            break;
        }
        case 5: {  // permute
            const std::int32_t k = in.ConsumeIntegralInRange<std::int32_t>(1, 16);
            const std::int64_t capacity = args.dim();
            const ptxkit_dtype_t dtype = float_dtype(in);
            t[0] = make(base(0), dtype, {rows, cols});
            t[1] = make(base(1), PTXKIT_I32, {capacity});
            t[2] = make(base(2), PTXKIT_I32, {1});
            t[3] = make(base(3), dtype, {capacity, cols});
            mutate(args, all, 4);
            check("ptxkit_moe_permute", ptxkit_moe_permute(&t[0], &t[1], &t[2], k, &t[3], args.stream()));
            break;
        }
        case 7: {  // attention prefill, fixed length
            const std::int64_t batch = in.ConsumeIntegralInRange<std::int64_t>(0, 4);
            const std::int64_t hkv = in.ConsumeIntegralInRange<std::int64_t>(1, 4);
            const std::int64_t hq = hkv * in.ConsumeIntegralInRange<std::int64_t>(1, 4);
            const std::int64_t d = 64 << in.ConsumeIntegralInRange<int>(0, 2);
            const ptxkit_dtype_t dtype = in.ConsumeBool() ? PTXKIT_BF16 : PTXKIT_F16;
            t[0] = make(base(0), dtype, {batch, rows, hq, d});
            t[1] = make(base(1), dtype, {batch, cols, hkv, d});
            t[2] = make(base(2), dtype, {batch, cols, hkv, d});
            t[3] = make(base(3), dtype, {batch, rows, hq, d});
            t[4] = make(base(4), PTXKIT_F32, {batch, hq, rows});
            ptxkit_attention_options_t o = ptxkit_attention_default_options();
            o.causal = in.ConsumeBool();
            o.window_left = in.ConsumeBool() ? -1 : args.int32_value();
            o.window_right = in.ConsumeBool() ? -1 : args.int32_value();
            o.softcap = in.ConsumeBool() ? 0.0f : args.float_value();
            o.softmax_scale = in.ConsumeBool() ? 0.0f : args.float_value();
            args.set_enum(&o.path, PTXKIT_ATTENTION_AUTO, PTXKIT_ATTENTION_SM80);
            mutate(args, all, 5);
            check("ptxkit_attention_prefill",
                  ptxkit_attention_prefill(&t[0], &t[1], &t[2], &t[3], in.ConsumeBool() ? &t[4] : nullptr, &o,
                                           args.stream()));
            break;
        }
        case 8: {  // attention prefill, packed
            const std::int64_t batch = in.ConsumeIntegralInRange<std::int64_t>(0, 8);
            const std::int64_t hkv = in.ConsumeIntegralInRange<std::int64_t>(1, 4);
            const std::int64_t hq = hkv * in.ConsumeIntegralInRange<std::int64_t>(1, 8);
            const std::int64_t d = 64 << in.ConsumeIntegralInRange<int>(0, 2);
            const ptxkit_dtype_t dtype = in.ConsumeBool() ? PTXKIT_BF16 : PTXKIT_F16;
            t[0] = make(base(0), dtype, {rows, hq, d});
            t[1] = make(base(1), dtype, {cols, hkv, d});
            t[2] = make(base(2), dtype, {cols, hkv, d});
            t[3] = make(base(3), dtype, {rows, hq, d});
            t[4] = make(base(4), PTXKIT_I32, {batch + 1});
            t[5] = make(base(5), PTXKIT_I32, {batch + 1});
            t[6] = make(base(6), PTXKIT_F32, {hq, rows});
            mutate(args, all, 7);
            ptxkit_varlen_attention_args_t a;
            a.q = &t[0];
            a.k = &t[1];
            a.v = &t[2];
            a.o = &t[3];
            a.cu_seqlens_q = in.ConsumeIntegralInRange<int>(0, 15) == 0 ? nullptr : &t[4];
            a.cu_seqlens_k = &t[5];
            a.max_seqlen_q = in.ConsumeBool() ? rows : args.size_value();
            a.max_seqlen_k = in.ConsumeBool() ? cols : args.size_value();
            a.lse = in.ConsumeBool() ? &t[6] : nullptr;
            ptxkit_attention_options_t o = ptxkit_attention_default_options();
            o.causal = in.ConsumeBool();
            check("ptxkit_attention_prefill_varlen",
                  ptxkit_attention_prefill_varlen(in.ConsumeIntegralInRange<int>(0, 31) == 0 ? nullptr : &a, &o,
                                                  args.stream()));
            break;
        }
        case 9: {  // attention decode
            const std::int64_t batch = rows;
            const std::int64_t q_len = in.ConsumeIntegralInRange<std::int64_t>(1, 9);
            const std::int64_t hkv = in.ConsumeIntegralInRange<std::int64_t>(1, 4);
            const std::int64_t hq = hkv * in.ConsumeIntegralInRange<std::int64_t>(1, 8);
            const std::int64_t d = 64 << in.ConsumeIntegralInRange<int>(0, 2);
            const std::int64_t page = 8 << in.ConsumeIntegralInRange<int>(0, 6);
            const std::int64_t pages = args.dim(), max_pages = args.dim();
            const ptxkit_dtype_t dtype = in.ConsumeBool() ? PTXKIT_BF16 : PTXKIT_F16;
            t[0] = make(base(0), dtype, {batch, q_len, hq, d});
            t[1] = make(base(1), dtype, {pages, page, hkv, d});
            t[2] = make(base(2), dtype, {pages, page, hkv, d});
            t[3] = make(base(3), PTXKIT_I32, {batch, max_pages});
            t[4] = make(base(4), PTXKIT_I32, {batch});
            t[5] = make(base(5), dtype, {batch, q_len, hq, d});
            t[6] = make(base(6), PTXKIT_F32, {batch, q_len, hq});
            mutate(args, all, 7);
            ptxkit_decode_attention_args_t a;
            a.q = &t[0];
            a.k_cache = &t[1];
            a.v_cache = &t[2];
            a.page_table = &t[3];
            a.seq_lens = &t[4];
            a.o = &t[5];
            a.lse = in.ConsumeBool() ? &t[6] : nullptr;
            // The bound a valid call would pass (when max_pages is a sane count), or anything.
            const bool sane_pages = max_pages >= 0 && max_pages <= (std::int64_t{1} << 40);
            a.max_seq_len = sane_pages && in.ConsumeBool() ? max_pages * page : args.size_value();
            ptxkit_decode_attention_options_t o = ptxkit_decode_attention_default_options();
            o.splits = in.ConsumeBool() ? 0 : args.int32_value();
            o.window_left = in.ConsumeBool() ? -1 : args.int32_value();
            if (in.ConsumeBool()) {
                o.workspace = reinterpret_cast<void*>(base(7));
                o.workspace_bytes = static_cast<std::size_t>(args.size_value());
            }
            check("ptxkit_attention_decode", ptxkit_attention_decode(&a, &o, args.stream()));
            break;
        }
        default: {  // combine
            const std::int64_t k = in.ConsumeIntegralInRange<std::int64_t>(1, 16);
            const std::int64_t capacity = args.dim();
            const ptxkit_dtype_t dtype = float_dtype(in);
            t[0] = make(base(0), in.ConsumeBool() ? PTXKIT_F32 : dtype, {capacity, cols});
            t[1] = make(base(1), PTXKIT_F32, {rows, k});
            t[2] = make(base(2), PTXKIT_I32, {rows, k});
            t[3] = make(base(3), dtype, {rows, cols});
            t[4] = make(base(4), dtype, {rows, cols});
            mutate(args, all, 5);
            check("ptxkit_moe_combine",
                  ptxkit_moe_combine(&t[0], &t[1], &t[2], in.ConsumeBool() ? &t[3] : nullptr, &t[4], args.stream()));
            break;
        }
    }
}

void fuzz_one(Args& args) {
    FuzzedDataProvider& in = args.in();
    if (in.ConsumeBool()) {
        fuzz_structured(args, in.ConsumeIntegralInRange<int>(0, 9));
        return;
    }
    ptxkit_tensor_t t[8];
    switch (in.ConsumeIntegralInRange<int>(0, 15)) {
        case 0: {
            if (ptxkit_version()[0] == '\0') violated("ptxkit_version", "empty version", 0);
            // Every value a ptxkit_status_t can hold in C++ (0..15); C callers may pass more.
            const std::int32_t raw = in.ConsumeIntegralInRange<std::int32_t>(0, 15);
            ptxkit_status_t status;
            std::memcpy(&status, &raw, sizeof raw);
            const char* name = ptxkit_status_string(status);
            if (name == nullptr || name[0] == '\0') violated("ptxkit_status_string", "empty name", raw);
            if (ptxkit_driver_available() != 0) violated("ptxkit_driver_available", "a driver is available", 0);
            (void)ptxkit_last_error();
            break;
        }
        case 1: {
            int version = 0;
            check("ptxkit_driver_version", ptxkit_driver_version(in.ConsumeBool() ? &version : nullptr));
            break;
        }
        case 2: {
            int count = 0;
            check("ptxkit_device_count", ptxkit_device_count(in.ConsumeBool() ? &count : nullptr));
            break;
        }
        case 3: {
            void* dst = args.pointer();
            void* src = args.pointer();
            const auto bytes = static_cast<std::size_t>(args.size_value());
            check("ptxkit_copy", ptxkit_copy(dst, src, bytes, args.stream()));
            break;
        }
        case 4: {
            const ptxkit_tensor_t* dst = args.tensor_or_null(t[0]);
            const ptxkit_tensor_t* src = args.tensor_or_null(t[1]);
            check("ptxkit_convert", ptxkit_convert(dst, src, args.stream()));
            break;
        }
        case 5: {
            const ptxkit_tensor_t* a = args.tensor_or_null(t[0]);
            const ptxkit_tensor_t* b = args.tensor_or_null(t[1]);
            const ptxkit_tensor_t* d = args.tensor_or_null(t[2]);
            ptxkit_gemm_options_t o = ptxkit_gemm_default_options();
            const bool with_options = in.ConsumeIntegralInRange<int>(0, 7) != 0;
            if (with_options) {
                o.alpha = args.float_value();
                o.beta = in.ConsumeBool() ? 0.0f : args.float_value();
                o.c = in.ConsumeBool() ? nullptr : args.tensor_or_null(t[3]);
                o.bias = in.ConsumeBool() ? nullptr : args.tensor_or_null(t[4]);
                args.set_enum(&o.activation, PTXKIT_ACT_NONE, PTXKIT_ACT_SILU);
                o.b_is_kn = in.ConsumeIntegralInRange<int>(0, 3) == 0 ? in.ConsumeIntegral<std::int32_t>() : in.ConsumeBool();
                args.set_enum(&o.path, PTXKIT_GEMM_AUTO, PTXKIT_GEMM_GENERAL);
                o.workspace = in.ConsumeBool() ? nullptr : args.pointer();
                o.workspace_bytes = static_cast<std::size_t>(args.size_value());
            }
            check("ptxkit_gemm", ptxkit_gemm(a, b, d, with_options ? &o : nullptr, args.stream()));
            break;
        }
        case 6: {
            std::size_t bytes = 0;
            const std::int64_t m = args.size_value(), n = args.size_value(), k = args.size_value();
            check("ptxkit_gemm_workspace_size", ptxkit_gemm_workspace_size(m, n, k, in.ConsumeBool() ? &bytes : nullptr));
            break;
        }
        case 7: {
            const ptxkit_tensor_t* logits = args.tensor_or_null(t[0]);
            const ptxkit_tensor_t* weights = args.tensor_or_null(t[1]);
            const ptxkit_tensor_t* ids = args.tensor_or_null(t[2]);
            const int k = args.int32_value();
            const int renormalize = in.ConsumeBool() ? in.ConsumeIntegral<int>() : 1;
            check("ptxkit_moe_topk_softmax", ptxkit_moe_topk_softmax(logits, weights, ids, k, renormalize, args.stream()));
            break;
        }
        case 8: {
            const ptxkit_tensor_t* logits = args.tensor_or_null(t[0]);
            const ptxkit_tensor_t* bias = in.ConsumeBool() ? nullptr : args.tensor_or_null(t[1]);
            const ptxkit_tensor_t* weights = args.tensor_or_null(t[2]);
            const ptxkit_tensor_t* ids = args.tensor_or_null(t[3]);
            ptxkit_grouped_topk_options_t o{8, 8, 4, 2.5f};
            if (in.ConsumeBool()) {
                o.k = args.int32_value();
                o.num_groups = args.int32_value();
                o.topk_group = args.int32_value();
                o.routed_scaling_factor = args.float_value();
            }
            const bool with_options = in.ConsumeIntegralInRange<int>(0, 15) != 0;
            check("ptxkit_moe_topk_grouped_sigmoid",
                  ptxkit_moe_topk_grouped_sigmoid(logits, bias, weights, ids, with_options ? &o : nullptr, args.stream()));
            break;
        }
        case 9: {
            std::int64_t capacity = 0;
            const std::int64_t tokens = args.size_value();
            const std::int32_t k = args.int32_value(), e = args.int32_value(), block_m = args.int32_value();
            check("ptxkit_moe_align_capacity",
                  ptxkit_moe_align_capacity(tokens, k, e, block_m, in.ConsumeBool() ? &capacity : nullptr));
            break;
        }
        case 10: {
            std::size_t bytes = 0;
            const std::int64_t tokens = args.size_value();
            const std::int32_t k = args.int32_value(), e = args.int32_value();
            check("ptxkit_moe_align_workspace_size",
                  ptxkit_moe_align_workspace_size(tokens, k, e, in.ConsumeBool() ? &bytes : nullptr));
            break;
        }
        case 11: {
            const ptxkit_tensor_t* ids = args.tensor_or_null(t[0]);
            ptxkit_moe_align_outputs_t out;
            out.counts = args.tensor();
            out.padded_offsets = args.tensor();
            out.sorted_pairs = args.tensor();
            out.block_expert = args.tensor();
            out.inverse = args.tensor();
            out.total_padded = args.tensor();
            const std::int32_t e = args.int32_value(), block_m = args.int32_value();
            void* workspace = in.ConsumeBool() ? nullptr : args.pointer();
            const auto workspace_bytes = static_cast<std::size_t>(args.size_value());
            const bool with_outputs = in.ConsumeIntegralInRange<int>(0, 15) != 0;
            check("ptxkit_moe_align", ptxkit_moe_align(ids, e, block_m, with_outputs ? &out : nullptr, workspace,
                                                       workspace_bytes, args.stream()));
            break;
        }
        case 12: {
            const ptxkit_tensor_t* hidden = args.tensor_or_null(t[0]);
            const ptxkit_tensor_t* sorted = args.tensor_or_null(t[1]);
            const ptxkit_tensor_t* total = args.tensor_or_null(t[2]);
            const std::int32_t k = args.int32_value();
            const ptxkit_tensor_t* permuted = args.tensor_or_null(t[3]);
            check("ptxkit_moe_permute", ptxkit_moe_permute(hidden, sorted, total, k, permuted, args.stream()));
            break;
        }
        case 13: {
            const ptxkit_tensor_t* y = args.tensor_or_null(t[0]);
            const ptxkit_tensor_t* weights = args.tensor_or_null(t[1]);
            const ptxkit_tensor_t* inverse = args.tensor_or_null(t[2]);
            const ptxkit_tensor_t* shared = in.ConsumeBool() ? nullptr : args.tensor_or_null(t[3]);
            const ptxkit_tensor_t* out = args.tensor_or_null(t[4]);
            check("ptxkit_moe_combine", ptxkit_moe_combine(y, weights, inverse, shared, out, args.stream()));
            break;
        }
        default: {  // defaults, and the last error after a successful no-op
            const ptxkit_gemm_options_t o = ptxkit_gemm_default_options();
            if (o.alpha != 1.0f || o.beta != 0.0f || o.c != nullptr || o.bias != nullptr) {
                violated("ptxkit_gemm_default_options", "unexpected defaults", 0);
            }
            check("ptxkit_copy", ptxkit_copy(nullptr, nullptr, 0, nullptr));
            break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Fake pointers must never reach a real driver.
    setenv("PTXKIT_LIBCUDA_PATH", "/nonexistent/libcuda.so.1", 1);
    if (ptxkit_driver_available() != 0) {
        std::fprintf(stderr, "fuzz_c_api: a driver loaded despite PTXKIT_LIBCUDA_PATH=/nonexistent\n");
        std::abort();
    }
    if (const char* v = std::getenv("PTXKIT_FUZZ_STATS"); v != nullptr && std::strcmp(v, "1") == 0) {
        static Stats stats;
        g_stats = &stats;
        std::atexit([] { g_stats->print(); });
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Args args(data, size);
    // A few calls per input, so that the thread-local last error of one call
    // meets the next.
    for (int i = 0; i < 4 && args.in().remaining_bytes() > 0; ++i) fuzz_one(args);
    return 0;
}
