// The bad-input rows of the attention ops, in the form of bad_input_table.hpp
// (which includes this file into rows() and baselines()): each row breaks one
// argument of a valid call. The valid calls fit the arena's 1 MiB slots; on a
// GPU the slots are zero-filled, so cu_seqlens and seq_lens are all zero
// (empty sequences) and every page id is 0: valid calls that launch and
// write nothing out of bounds.
#pragma once

#include <cstdint>
#include <vector>

#include "ptxkit/attention.hpp"

namespace ptxkit::testing::bad_input {

// Fixed length: B 2, S_q 64, S_k 80, Hq 4, Hkv 2, D 64, bf16, with lse.
struct AttentionCall {
    static constexpr const char* kOp = "ptxkit::attention_prefill";
    AttentionArgs a;
    AttentionOptions o;
    static AttentionCall valid(const Arena& m) {
        AttentionCall c;
        c.a.q = TensorView::contiguous(m.at(0), DType::bf16, {2, 64, 4, 64});
        c.a.k = TensorView::contiguous(m.at(1), DType::bf16, {2, 80, 2, 64});
        c.a.v = TensorView::contiguous(m.at(2), DType::bf16, {2, 80, 2, 64});
        c.a.o = TensorView::contiguous(m.at(3), DType::bf16, {2, 64, 4, 64});
        c.a.lse = TensorView::contiguous(m.at(4), DType::f32, {2, 4, 64});
        c.o.causal = true;
        return c;
    }
    void run(const Arena& m) const { attention_prefill(a, o, m.stream); }
};

// Packed: total_q 100, total_k 120, 2 sequences, Hq 8, Hkv 1 (MQA), D 128.
struct VarlenAttentionCall {
    static constexpr const char* kOp = "ptxkit::attention_prefill";
    VarlenAttentionArgs a;
    AttentionOptions o;
    static VarlenAttentionCall valid(const Arena& m) {
        VarlenAttentionCall c;
        c.a.q = TensorView::contiguous(m.at(0), DType::f16, {100, 8, 128});
        c.a.k = TensorView::contiguous(m.at(1), DType::f16, {120, 1, 128});
        c.a.v = TensorView::contiguous(m.at(2), DType::f16, {120, 1, 128});
        c.a.o = TensorView::contiguous(m.at(3), DType::f16, {100, 8, 128});
        c.a.cu_seqlens_q = TensorView::contiguous(m.at(5), DType::i32, {3});
        c.a.cu_seqlens_k = TensorView::contiguous(m.at(6), DType::i32, {3});
        c.a.max_seqlen_q = 60;
        c.a.max_seqlen_k = 70;
        return c;
    }
    void run(const Arena& m) const { attention_prefill(a, o, m.stream); }
};

// Decode: B 2, q_len 2, Hq 8, Hkv 2, D 128, 16 pages of 16, 8 pages per sequence.
struct DecodeAttentionCall {
    static constexpr const char* kOp = "ptxkit::attention_decode";
    DecodeAttentionArgs a;
    DecodeAttentionOptions o;
    static DecodeAttentionCall valid(const Arena& m) {
        DecodeAttentionCall c;
        c.a.q = TensorView::contiguous(m.at(0), DType::bf16, {2, 2, 8, 128});
        c.a.k_cache = TensorView::contiguous(m.at(1), DType::bf16, {16, 16, 2, 128});
        c.a.v_cache = TensorView::contiguous(m.at(2), DType::bf16, {16, 16, 2, 128});
        c.a.o = TensorView::contiguous(m.at(3), DType::bf16, {2, 2, 8, 128});
        c.a.lse = TensorView::contiguous(m.at(4), DType::f32, {2, 2, 8});
        c.a.page_table = TensorView::contiguous(m.at(5), DType::i32, {2, 8});
        c.a.seq_lens = TensorView::contiguous(m.at(6), DType::i32, {2});
        c.a.max_seq_len = 128;
        c.o.workspace = m.at(7);
        c.o.workspace_bytes = kSlotBytes;
        return c;
    }
    void run(const Arena& m) const { attention_decode(a, o, m.stream); }
};

inline void append_attention_baselines(std::vector<Baseline>& b) {
    b.push_back({AttentionCall::kOp, "B=2 S=64/80 Hq=4 Hkv=2 D=64 causal + lse",
                 [](const Arena& m) { AttentionCall::valid(m).run(m); }});
    b.push_back({VarlenAttentionCall::kOp, "packed 100/120 Hq=8 Hkv=1 D=128 f16",
                 [](const Arena& m) { VarlenAttentionCall::valid(m).run(m); }});
    b.push_back({DecodeAttentionCall::kOp, "B=2 q_len=2 Hq=8 Hkv=2 D=128 pages 16x16",
                 [](const Arena& m) { DecodeAttentionCall::valid(m).run(m); }});
}

inline void append_attention_rows(std::vector<Row>& r) {
    using A = const Arena&;
    using P = AttentionCall;
    using V = VarlenAttentionCall;
    using D = DecodeAttentionCall;

    // ---- prefill, fixed length ----
    r.push_back(bad<P>("null q", "argument 'q': expected a non-null device pointer", [](P& c, A) { c.a.q.data = nullptr; }));
    r.push_back(bad<P>("q f32", "argument 'q': expected dtype bf16 or f16, got f32", [](P& c, A) { c.a.q.dtype = DType::f32; }));
    r.push_back(bad<P>("k f16 with q bf16", "argument 'k': expected dtype bf16, got f16", [](P& c, A) { c.a.k.dtype = DType::f16; }));
    r.push_back(bad<P>("q rank 3", "argument 'q': expected rank 4 [B, S_q, Hq, D]", [](P& c, A m) {
        c.a.q = TensorView::contiguous(m.at(0), DType::bf16, {128, 4, 64});
    }));
    r.push_back(bad<P>("D = 96", "argument 'q': expected head dimension 64, 128 or 256, got 96", [](P& c, A m) {
        c.a.q = TensorView::contiguous(m.at(0), DType::bf16, {2, 64, 4, 96});
        c.a.o = TensorView::contiguous(m.at(3), DType::bf16, {2, 64, 4, 96});
        c.a.k = TensorView::contiguous(m.at(1), DType::bf16, {2, 80, 2, 96});
        c.a.v = TensorView::contiguous(m.at(2), DType::bf16, {2, 80, 2, 96});
    }));
    r.push_back(bad<P>("k with D 128 for q with D 64", "argument 'k': expected [B, S_k, Hkv, D] with B = 2 and D = 64", [](P& c, A m) {
        c.a.k = TensorView::contiguous(m.at(1), DType::bf16, {2, 40, 2, 128});
        c.a.v = TensorView::contiguous(m.at(2), DType::bf16, {2, 40, 2, 128});
    }));
    r.push_back(bad<P>("Hq 4 with Hkv 3", "argument 'q': expected a number of query heads that is a multiple of the KV heads (3)",
                       [](P& c, A m) {
                           c.a.k = TensorView::contiguous(m.at(1), DType::bf16, {2, 80, 3, 64});
                           c.a.v = TensorView::contiguous(m.at(2), DType::bf16, {2, 80, 3, 64});
                       }));
    r.push_back(bad<P>("v shape differs from k", "argument 'v': expected the shape of 'k'", [](P& c, A m) {
        c.a.v = TensorView::contiguous(m.at(2), DType::bf16, {2, 72, 2, 64});
    }));
    r.push_back(bad<P>("o shape differs from q", "argument 'o': expected the shape of 'q'", [](P& c, A m) {
        c.a.o = TensorView::contiguous(m.at(3), DType::bf16, {2, 63, 4, 64});
    }));
    r.push_back(bad<P>("q misaligned by 2 bytes", "argument 'q': expected a pointer aligned to 16 bytes",
                       [](P& c, A m) { c.a.q.data = m.at(0, 2); }));
    r.push_back(bad<P>("k row stride 132 (not a multiple of 8)", "argument 'k': expected strides that are multiples of 8",
                       [](P& c, A) { c.a.k.stride[1] = 132; }));
    r.push_back(bad<P>("q head dim strided", "argument 'q': expected a contiguous head dimension",
                       [](P& c, A) { c.a.q.stride[3] = 2; }));
    r.push_back(bad<P>("lse [B, S, Hq]", "argument 'lse': expected the shape of '[B, Hq, S_q]'", [](P& c, A m) {
        c.a.lse = TensorView::contiguous(m.at(4), DType::f32, {2, 64, 4});
    }));
    r.push_back(bad<P>("lse bf16", "argument 'lse': expected dtype f32, got bf16", [](P& c, A) { c.a.lse.dtype = DType::bf16; }));
    r.push_back(bad<P>("o overlaps q", "argument 'o': expected memory that does not overlap 'q'",
                       [](P& c, A m) { c.a.o.data = m.at(0, 4096); }));
    r.push_back(bad<P>("lse overlaps o", "argument 'lse': expected memory that does not overlap 'o'",
                       [](P& c, A m) { c.a.lse.data = m.at(3, 256); }));
    r.push_back(bad<P>("causal with window_right 3", "argument 'options.window_right': expected 0 or -1 when options.causal is set",
                       [](P& c, A) { c.o.window_right = 3; }));
    r.push_back(bad<P>("window_left -2", "argument 'options.window_left': expected a value in [-1, 2147483647], got -2",
                       [](P& c, A) { c.o.window_left = -2; }));
    r.push_back(bad<P>("softcap -1", "argument 'options.softcap': expected a finite number >= 0", [](P& c, A) { c.o.softcap = -1.0f; }));
    r.push_back(bad<P>("softmax_scale NaN", "argument 'options.softmax_scale': expected a finite number",
                       [](P& c, A) { c.o.softmax_scale = std::numeric_limits<float>::quiet_NaN(); }));
    r.push_back(bad<P>("path 7", "argument 'options.path': expected a value in [0, 2], got 7",
                       [](P& c, A) { c.o.path = static_cast<AttentionPath>(7); }));
    r.push_back(bad<P>("S_q 2^31", "argument 'q (S_q)': expected a value in [0, 2147483647], got 2147483648", [](P& c, A m) {
        c.a.q = TensorView::contiguous(m.far_at(0), DType::bf16, {1, kTwo31, 4, 64});
        c.a.o = TensorView::contiguous(m.far_at(3), DType::bf16, {1, kTwo31, 4, 64});
        c.a.k = TensorView::contiguous(m.far_at(1), DType::bf16, {1, 80, 2, 64});
        c.a.v = TensorView::contiguous(m.far_at(2), DType::bf16, {1, 80, 2, 64});
        c.a.lse = TensorView{};
    }));
    r.push_back(noop<P>("batch 0", [](P& c, A) {
        c.a.q = TensorView::contiguous(nullptr, DType::bf16, {0, 64, 4, 64});
        c.a.o = TensorView::contiguous(nullptr, DType::bf16, {0, 64, 4, 64});
        c.a.k = TensorView::contiguous(nullptr, DType::bf16, {0, 80, 2, 64});
        c.a.v = TensorView::contiguous(nullptr, DType::bf16, {0, 80, 2, 64});
        c.a.lse = TensorView{};
    }));
    r.push_back(noop<P>("no queries (S_q 0)", [](P& c, A) {
        c.a.q = TensorView::contiguous(nullptr, DType::bf16, {2, 0, 4, 64});
        c.a.o = TensorView::contiguous(nullptr, DType::bf16, {2, 0, 4, 64});
        c.a.lse = TensorView{};
    }));

    // ---- prefill, packed ----
    r.push_back(bad<V>("cu_seqlens_q i64", "argument 'cu_seqlens_q': expected dtype i32, got i64",
                       [](V& c, A) { c.a.cu_seqlens_q.dtype = DType::i64; }));
    r.push_back(bad<V>("cu_seqlens_k of another batch", "argument 'cu_seqlens_k': expected [batch + 1] = [3] like cu_seqlens_q",
                       [](V& c, A m) { c.a.cu_seqlens_k = TensorView::contiguous(m.at(6), DType::i32, {4}); }));
    r.push_back(bad<V>("null cu_seqlens_k", "argument 'cu_seqlens_k': expected a non-null device pointer",
                       [](V& c, A) { c.a.cu_seqlens_k.data = nullptr; }));
    r.push_back(bad<V>("max_seqlen_q below total / batch", "argument 'max_seqlen_q': expected at least total / batch = 100 / 2",
                       [](V& c, A) { c.a.max_seqlen_q = 49; }));
    r.push_back(bad<V>("max_seqlen_k above total", "argument 'max_seqlen_k': expected at most the total length 120",
                       [](V& c, A) { c.a.max_seqlen_k = 121; }));
    r.push_back(bad<V>("max_seqlen_q negative", "argument 'max_seqlen_q': expected a value in [0, 2147483647], got -1",
                       [](V& c, A) { c.a.max_seqlen_q = -1; }));
    r.push_back(bad<V>("lse [total_q, Hq]", "argument 'lse': expected the shape of '[Hq, total_q]'", [](V& c, A m) {
        c.a.lse = TensorView::contiguous(m.at(4), DType::f32, {100, 8});
    }));
    r.push_back(bad<V>("o overlaps cu_seqlens_q", "argument 'o': expected memory that does not overlap 'cu_seqlens_q'",
                       [](V& c, A m) { c.a.cu_seqlens_q.data = m.at(3, 64); }));
    r.push_back(bad<V>("q with Hq 8 and k with Hkv 3", "argument 'q': expected a number of query heads that is a multiple",
                       [](V& c, A m) {
                           c.a.k = TensorView::contiguous(m.at(1), DType::f16, {120, 3, 128});
                           c.a.v = TensorView::contiguous(m.at(2), DType::f16, {120, 3, 128});
                       }));
    r.push_back(noop<V>("no queries", [](V& c, A) {
        c.a.q = TensorView::contiguous(nullptr, DType::f16, {0, 8, 128});
        c.a.o = TensorView::contiguous(nullptr, DType::f16, {0, 8, 128});
        c.a.max_seqlen_q = 0;
    }));

    // ---- decode ----
    using DT = ptxkit::DType;
    r.push_back(bad<D>("q_len 9", "argument 'q (q_len)': expected a value in [1, 8], got 9", [](D& c, A m) {
        c.a.q = TensorView::contiguous(m.at(0), DT::bf16, {2, 9, 8, 128});
        c.a.o = TensorView::contiguous(m.at(3), DT::bf16, {2, 9, 8, 128});
    }));
    r.push_back(bad<D>("page size 24", "argument 'k_cache': expected a page size (shape[1]) that is a power of two in [16, 256], got 24",
                       [](D& c, A m) {
                           c.a.k_cache = TensorView::contiguous(m.at(1), DT::bf16, {10, 24, 2, 128});
                           c.a.v_cache = TensorView::contiguous(m.at(2), DT::bf16, {10, 24, 2, 128});
                       }));
    r.push_back(bad<D>("page size 512", "argument 'k_cache': expected a page size (shape[1]) that is a power of two in [16, 256], got 512",
                       [](D& c, A m) {
                           c.a.k_cache = TensorView::contiguous(m.at(1), DT::bf16, {1, 512, 2, 128});
                           c.a.v_cache = TensorView::contiguous(m.at(2), DT::bf16, {1, 512, 2, 128});
                       }));
    r.push_back(bad<D>("page table too short for max_seq_len", "argument 'page_table': expected at least ceil(max_seq_len / page_size) = 9 pages",
                       [](D& c, A) { c.a.max_seq_len = 129; }));
    r.push_back(bad<D>("page table i64", "argument 'page_table': expected dtype i32, got i64",
                       [](D& c, A) { c.a.page_table.dtype = DT::i64; }));
    r.push_back(bad<D>("page table of 3 sequences", "argument 'page_table': expected [B, max_pages] with B = 2",
                       [](D& c, A m) { c.a.page_table = TensorView::contiguous(m.at(5), DT::i32, {3, 8}); }));
    r.push_back(bad<D>("seq_lens [3]", "argument 'seq_lens': expected [B] = [2]",
                       [](D& c, A m) { c.a.seq_lens = TensorView::contiguous(m.at(6), DT::i32, {3}); }));
    r.push_back(bad<D>("v_cache f16", "argument 'v_cache': expected dtype bf16, got f16", [](D& c, A) { c.a.v_cache.dtype = DT::f16; }));
    r.push_back(bad<D>("Hq 8 with Hkv 3", "argument 'q': expected a number of query heads that is a multiple of the KV heads (3)",
                       [](D& c, A m) {
                           c.a.k_cache = TensorView::contiguous(m.at(1), DT::bf16, {8, 16, 3, 128});
                           c.a.v_cache = TensorView::contiguous(m.at(2), DT::bf16, {8, 16, 3, 128});
                       }));
    r.push_back(bad<D>("k_cache with D 64", "argument 'k_cache': expected [num_pages, page_size, Hkv, D] with D = 128", [](D& c, A m) {
        c.a.k_cache = TensorView::contiguous(m.at(1), DT::bf16, {16, 16, 2, 64});
        c.a.v_cache = TensorView::contiguous(m.at(2), DT::bf16, {16, 16, 2, 64});
    }));
    r.push_back(bad<D>("lse [B, Hq]", "argument 'lse': expected the shape of '[B, q_len, Hq]'",
                       [](D& c, A m) { c.a.lse = TensorView::contiguous(m.at(4), DT::f32, {2, 8}); }));
    r.push_back(bad<D>("max_seq_len -1", "argument 'max_seq_len': expected a value in [0, 2147483647], got -1",
                       [](D& c, A) { c.a.max_seq_len = -1; }));
    r.push_back(bad<D>("workspace misaligned", "argument 'options.workspace': expected a pointer aligned to 16 bytes",
                       [](D& c, A m) { c.o.workspace = m.at(7, 8); }));
    r.push_back(bad<D>("workspace overlaps o", "argument 'options.workspace': expected memory that does not overlap 'o'",
                       [](D& c, A m) { c.o.workspace = m.at(3); }));
    r.push_back(bad<D>("splits 5000", "argument 'options.splits': expected a value in [0, 1024], got 5000",
                       [](D& c, A) { c.o.splits = 5000; }));
    r.push_back(bad<D>("o overlaps k_cache", "argument 'o': expected memory that does not overlap 'k_cache'",
                       [](D& c, A m) { c.a.o.data = m.at(1, 1024); }));
    r.push_back(noop<D>("batch 0", [](D& c, A) {
        c.a.q = TensorView::contiguous(nullptr, DT::bf16, {0, 1, 8, 128});
        c.a.o = TensorView::contiguous(nullptr, DT::bf16, {0, 1, 8, 128});
        c.a.lse = TensorView{};
        c.a.page_table = TensorView::contiguous(nullptr, DT::i32, {0, 8});
        c.a.seq_lens = TensorView::contiguous(nullptr, DT::i32, {0});
    }));
}

}  // namespace ptxkit::testing::bad_input
