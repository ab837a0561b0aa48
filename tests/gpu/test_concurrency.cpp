// Ops from many threads at once: 16 threads, each with 4 streams of its own
// (created by the thread), each stream given several rounds of mixed work
// (copy, convert, GEMM on every kernel family and with split-K, both routing
// ops, align with and without its workspace, attention prefill and paged
// decode with split-KV), every round on its own inputs.
// The threads start together, so in a fresh process (ctest runs each test in
// its own) their first ops also race to create the context state and load
// each module. Every output must be bitwise identical to a serial run of the
// same work on one stream afterwards, with the outputs poisoned differently,
// so that no output depends on another thread's work, on timing or on what
// the buffer held before.
//
// A second test races the first use of every embedded kernel from 16 threads
// through the registry itself: each (module, kernel) resolves to one Kernel
// (the module loaded once) or, where it cannot load on this device, to the
// same error in every thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <latch>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gpu_test.hpp"
#include "ptxkit/ptxkit.hpp"
#include "runtime/context.hpp"
#include "support/numeric.hpp"

namespace {

using ptxkit::DType;
using ptxkit::GemmPath;
using ptxkit::TensorView;
using ptxkit::testing::DeviceBuffer;
using ptxkit::testing::Stream;

// Work units: 16 threads x 4 streams x 3 rounds. On the software GPU, where
// each launch costs ~0.1 s, 8 threads x 2 streams x 1 round: every thread
// still races for the context and its modules, and queues work on two
// streams of its own without waiting in between.
int thread_count() { return ptxkit::testing::sim_or(16, 8); }
int streams_per_thread() { return ptxkit::testing::sim_or(4, 2); }
int rounds() { return ptxkit::testing::sim_or(3, 1); }
constexpr int kExperts = 256;  // DeepSeek-V3 grouped routing, then align
constexpr int kBlockM = 64;

// Sub-buffers of one allocation, 256-byte aligned.
class Blob {
public:
    std::size_t reserve(std::size_t bytes) {
        const std::size_t offset = (host_.size() + 255) / 256 * 256;
        host_.resize(offset + bytes);
        return offset;
    }
    template <class T>
    std::size_t add(const std::vector<T>& values) {
        const std::size_t offset = reserve(values.size() * sizeof(T));
        std::copy_n(reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * sizeof(T),
                    host_.data() + offset);
        return offset;
    }
    std::size_t bytes() const { return std::max<std::size_t>(host_.size(), 16); }
    const std::vector<std::uint8_t>& host() const { return host_; }

private:
    std::vector<std::uint8_t> host_;
};

struct Region {
    std::string name;
    std::size_t offset, bytes;
};

// One stream's work for one round: its own inputs, outputs and workspaces.
class Unit {
public:
    Unit(int id, std::uint64_t seed, bool hopper) : id_(id) {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        std::normal_distribution<float> normal(0.0f, 2.0f);
        auto floats = [&](std::size_t n, bool logits) {
            std::vector<float> v(n);
            for (auto& x : v) x = logits ? normal(rng) : uniform(rng);
            return v;
        };
        auto bf16 = [&](std::size_t n, bool logits) {
            std::vector<std::uint16_t> v(n);
            for (auto& x : v) x = ptxkit::testing::f32_to_bf16_rne(logits ? normal(rng) : uniform(rng));
            return v;
        };
        Blob in, out;

        // copy: sizes and offsets vary, so some units take the u8 path (pointers
        // misaligned to each other) and others head / 16-byte body / tail.
        copy_bytes_ = 50000 + static_cast<std::size_t>(id) * 37;
        copy_src_offset_ = static_cast<std::size_t>(id) % 16;
        copy_dst_offset_ = static_cast<std::size_t>(id * 7) % 16;
        std::vector<std::uint8_t> bytes(copy_bytes_ + 16);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        copy_src_ = in.add(bytes);
        copy_dst_ = out.reserve(copy_bytes_ + 16);
        regions_.push_back({"copy", copy_dst_ + copy_dst_offset_, copy_bytes_});

        // convert f32 -> bf16 / f16, odd lengths.
        convert_n_ = 4096 + id;
        convert_dtype_ = id % 2 ? DType::f16 : DType::bf16;
        convert_src_ = in.add(floats(static_cast<std::size_t>(convert_n_), false));
        convert_dst_ = out.reserve(static_cast<std::size_t>(convert_n_) * 2);
        regions_.push_back({"convert", convert_dst_, static_cast<std::size_t>(convert_n_) * 2});

        // GEMM, small shapes on a path that rotates with the unit: general,
        // sm80, sm90 (Hopper; else automatic), automatic; every fifth unit a
        // skinny deep shape with split-K workspace.
        const GemmPath paths[] = {GemmPath::general, GemmPath::sm80, hopper ? GemmPath::sm90 : GemmPath::automatic,
                                  GemmPath::automatic};
        path_ = paths[id % 4];
        split_ = id % 5 == 0;
        m_ = split_ ? 8 : 32 + (id % 7) * 13;
        n_ = split_ ? 256 : 128;
        k_ = split_ ? 2048 : 64;
        if (split_) path_ = GemmPath::automatic;
        a_ = in.add(bf16(static_cast<std::size_t>(m_ * k_), false));
        b_ = in.add(bf16(static_cast<std::size_t>(n_ * k_), false));
        bias_ = in.add(floats(static_cast<std::size_t>(n_), false));
        d_ = out.reserve(static_cast<std::size_t>(m_ * n_) * 2);
        regions_.push_back({"gemm", d_, static_cast<std::size_t>(m_ * n_) * 2});
        gemm_workspace_bytes_ = split_ ? std::max<std::size_t>(ptxkit::gemm_workspace_size(m_, n_, k_), 16) : 0;

        // topk_softmax: f32 logits [T, 64], k varies.
        softmax_tokens_ = 64 + id % 32;
        softmax_k_ = 1 + id % 8;
        logits_s_ = in.add(floats(static_cast<std::size_t>(softmax_tokens_ * 64), true));
        const auto softmax_out = static_cast<std::size_t>(softmax_tokens_ * softmax_k_) * 4;
        weights_s_ = out.reserve(softmax_out);
        ids_s_ = out.reserve(softmax_out);
        regions_.push_back({"softmax weights", weights_s_, softmax_out});
        regions_.push_back({"softmax ids", ids_s_, softmax_out});

        // topk_grouped_sigmoid (DeepSeek-V3), then align on its ids: every
        // third unit has T*k > 4096 (two launches and a workspace).
        tokens_ = id % 3 == 0 ? 700 : 96 + id % 50;
        logits_g_ = in.add(bf16(static_cast<std::size_t>(tokens_ * kExperts), true));
        std::vector<float> router_bias = floats(kExperts, false);
        for (auto& x : router_bias) x *= 0.05f;
        bias_g_ = in.add(router_bias);
        const auto pair_bytes = static_cast<std::size_t>(tokens_ * 8) * 4;
        weights_g_ = out.reserve(pair_bytes);
        ids_g_ = out.reserve(pair_bytes);
        regions_.push_back({"grouped weights", weights_g_, pair_bytes});
        regions_.push_back({"grouped ids", ids_g_, pair_bytes});
        capacity_ = ptxkit::moe::align_capacity(tokens_, 8, kExperts, kBlockM);
        const auto cap = static_cast<std::size_t>(capacity_);
        counts_ = out.reserve(kExperts * 4);
        offsets_ = out.reserve((kExperts + 1) * 4);
        sorted_ = out.reserve(cap * 4);
        blocks_ = out.reserve(cap / kBlockM * 4);
        inverse_ = out.reserve(pair_bytes);
        total_ = out.reserve(4);
        regions_.push_back({"align counts", counts_, kExperts * 4});
        regions_.push_back({"align padded_offsets", offsets_, (kExperts + 1) * 4});
        regions_.push_back({"align sorted_pairs", sorted_, cap * 4});
        regions_.push_back({"align block_expert", blocks_, cap / kBlockM * 4});
        regions_.push_back({"align inverse", inverse_, pair_bytes});
        regions_.push_back({"align total_padded", total_, 4});
        align_workspace_bytes_ = ptxkit::moe::align_workspace_size(tokens_, 8, kExperts);

        // Attention: a causal prefill [1, S, 4, D] with Hkv 2, and a paged decode
        // of 2 sequences (q_len 1..3, Hq 8, Hkv 2) over a shuffled page pool.
        attn_d_ = id % 2 ? 64 : 128;
        attn_s_ = 40 + id * 5;
        const auto attn_q_elems = static_cast<std::size_t>(attn_s_ * 4 * attn_d_);
        const auto attn_kv_elems = static_cast<std::size_t>(attn_s_ * 2 * attn_d_);
        pre_q_ = in.add(bf16(attn_q_elems, false));
        pre_k_ = in.add(bf16(attn_kv_elems, false));
        pre_v_ = in.add(bf16(attn_kv_elems, false));
        pre_o_ = out.reserve(attn_q_elems * 2);
        regions_.push_back({"prefill o", pre_o_, attn_q_elems * 2});
        dec_q_len_ = 1 + id % 3;
        dec_page_ = id % 2 ? 16 : 32;
        dec_max_pages_ = (kDecodeMaxLen + dec_page_ - 1) / dec_page_;
        const std::int64_t pool = 2 * dec_max_pages_;
        std::vector<std::int32_t> table(static_cast<std::size_t>(pool));
        for (std::size_t i = 0; i < table.size(); ++i) table[i] = static_cast<std::int32_t>(i);
        std::shuffle(table.begin(), table.end(), rng);
        const std::vector<std::int32_t> lens = {static_cast<std::int32_t>(100 + id * 13),
                                                static_cast<std::int32_t>(kDecodeMaxLen - id)};
        const auto cache_elems = static_cast<std::size_t>(pool * dec_page_ * 2 * attn_d_);
        dec_k_ = in.add(bf16(cache_elems, false));
        dec_v_ = in.add(bf16(cache_elems, false));
        dec_table_ = in.add(table);
        dec_lens_ = in.add(lens);
        const auto dec_q_elems = static_cast<std::size_t>(2 * dec_q_len_ * 8 * attn_d_);
        dec_q_ = in.add(bf16(dec_q_elems, false));
        dec_o_ = out.reserve(dec_q_elems * 2);
        regions_.push_back({"decode o", dec_o_, dec_q_elems * 2});
        dec_workspace_bytes_ = std::max<std::size_t>(
            ptxkit::attention_decode_workspace_size(2, dec_q_len_, 8, 2, attn_d_, kDecodeMaxLen), 16);

        in_ = DeviceBuffer(in.bytes());
        in_.upload(in.host().data(), in.host().size());
        out_ = DeviceBuffer(out.bytes());
        gemm_workspace_ = DeviceBuffer(gemm_workspace_bytes_);
        align_workspace_ = DeviceBuffer(align_workspace_bytes_);
        dec_workspace_ = DeviceBuffer(dec_workspace_bytes_);

        // A forced path that cannot serve the shape on this device falls back to automatic.
        if (path_ != GemmPath::automatic) {
            try {
                (void)ptxkit::gemm_plan(gemm_a(), gemm_b(), gemm_d(), gemm_options());
            } catch (const ptxkit::Error& e) {
                if (e.status() != ptxkit::Status::unsupported) throw;
                path_ = GemmPath::automatic;
            }
        }
    }

    void enqueue(CUstream stream) const {
        ptxkit::copy(at(out_, copy_dst_ + copy_dst_offset_), at(in_, copy_src_ + copy_src_offset_), copy_bytes_, stream);
        ptxkit::convert(TensorView::contiguous(at(out_, convert_dst_), convert_dtype_, {convert_n_}),
                        TensorView::contiguous(at(in_, convert_src_), DType::f32, {convert_n_}), stream);
        ptxkit::gemm(gemm_a(), gemm_b(), gemm_d(), gemm_options(), stream);
        ptxkit::moe::topk_softmax(TensorView::contiguous(at(in_, logits_s_), DType::f32, {softmax_tokens_, 64}),
                                  TensorView::contiguous(at(out_, weights_s_), DType::f32, {softmax_tokens_, softmax_k_}),
                                  TensorView::contiguous(at(out_, ids_s_), DType::i32, {softmax_tokens_, softmax_k_}),
                                  softmax_k_, id_ % 2 == 0, stream);
        const TensorView ids = TensorView::contiguous(at(out_, ids_g_), DType::i32, {tokens_, 8});
        ptxkit::moe::topk_grouped_sigmoid(TensorView::contiguous(at(in_, logits_g_), DType::bf16, {tokens_, kExperts}),
                                          TensorView::contiguous(at(in_, bias_g_), DType::f32, {kExperts}),
                                          TensorView::contiguous(at(out_, weights_g_), DType::f32, {tokens_, 8}), ids,
                                          ptxkit::moe::GroupedTopkOptions{}, stream);
        const ptxkit::moe::AlignOutputs layout{
            TensorView::contiguous(at(out_, counts_), DType::i32, {kExperts}),
            TensorView::contiguous(at(out_, offsets_), DType::i32, {kExperts + 1}),
            TensorView::contiguous(at(out_, sorted_), DType::i32, {capacity_}),
            TensorView::contiguous(at(out_, blocks_), DType::i32, {capacity_ / kBlockM}),
            TensorView::contiguous(at(out_, inverse_), DType::i32, {tokens_, 8}),
            TensorView::contiguous(at(out_, total_), DType::i32, {1})};
        ptxkit::moe::align(ids, kExperts, kBlockM, layout, align_workspace_.get(), align_workspace_.bytes(), stream);

        ptxkit::AttentionArgs pre;
        pre.q = TensorView::contiguous(at(in_, pre_q_), DType::bf16, {1, attn_s_, 4, attn_d_});
        pre.k = TensorView::contiguous(at(in_, pre_k_), DType::bf16, {1, attn_s_, 2, attn_d_});
        pre.v = TensorView::contiguous(at(in_, pre_v_), DType::bf16, {1, attn_s_, 2, attn_d_});
        pre.o = TensorView::contiguous(at(out_, pre_o_), DType::bf16, {1, attn_s_, 4, attn_d_});
        ptxkit::AttentionOptions pre_options;
        pre_options.causal = true;
        ptxkit::attention_prefill(pre, pre_options, stream);

        const std::int64_t pool = 2 * dec_max_pages_;
        ptxkit::DecodeAttentionArgs dec;
        dec.q = TensorView::contiguous(at(in_, dec_q_), DType::bf16, {2, dec_q_len_, 8, attn_d_});
        dec.k_cache = TensorView::contiguous(at(in_, dec_k_), DType::bf16, {pool, dec_page_, 2, attn_d_});
        dec.v_cache = TensorView::contiguous(at(in_, dec_v_), DType::bf16, {pool, dec_page_, 2, attn_d_});
        dec.page_table = TensorView::contiguous(at(in_, dec_table_), DType::i32, {2, dec_max_pages_});
        dec.seq_lens = TensorView::contiguous(at(in_, dec_lens_), DType::i32, {2});
        dec.o = TensorView::contiguous(at(out_, dec_o_), DType::bf16, {2, dec_q_len_, 8, attn_d_});
        dec.max_seq_len = kDecodeMaxLen;
        ptxkit::DecodeAttentionOptions dec_options;
        dec_options.workspace = dec_workspace_.get();
        dec_options.workspace_bytes = dec_workspace_.bytes();
        ptxkit::attention_decode(dec, dec_options, stream);
    }

    void poison(std::uint8_t byte) { out_.fill(byte); }

    // Every output region, in order.
    std::vector<std::vector<std::uint8_t>> results() const {
        const auto all = out_.to_host<std::uint8_t>(out_.bytes());
        std::vector<std::vector<std::uint8_t>> r;
        for (const Region& g : regions_) r.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(g.offset),
                                                        all.begin() + static_cast<std::ptrdiff_t>(g.offset + g.bytes));
        return r;
    }
    const std::vector<Region>& regions() const { return regions_; }
    std::string describe() const {
        return "unit " + std::to_string(id_) + " (gemm path " + std::to_string(static_cast<int>(path_)) + " M=" +
               std::to_string(m_) + (split_ ? " split-K" : "") + ", T=" + std::to_string(tokens_) + ")";
    }

private:
    static void* at(const DeviceBuffer& b, std::size_t offset) { return static_cast<char*>(b.get()) + offset; }
    TensorView gemm_a() const { return TensorView::contiguous(at(in_, a_), DType::bf16, {m_, k_}); }
    TensorView gemm_b() const { return TensorView::contiguous(at(in_, b_), DType::bf16, {n_, k_}); }
    TensorView gemm_d() const { return TensorView::contiguous(at(out_, d_), DType::bf16, {m_, n_}); }
    ptxkit::GemmOptions gemm_options() const {
        ptxkit::GemmOptions o;
        o.bias = TensorView::contiguous(at(in_, bias_), DType::f32, {n_});
        o.path = path_;
        if (split_) {
            o.workspace = gemm_workspace_.get();
            o.workspace_bytes = gemm_workspace_.bytes();
        }
        return o;
    }

    int id_;
    std::vector<Region> regions_;
    static constexpr std::int64_t kDecodeMaxLen = 1500;
    DeviceBuffer in_, out_, gemm_workspace_, align_workspace_, dec_workspace_;
    std::size_t copy_bytes_ = 0, copy_src_offset_ = 0, copy_dst_offset_ = 0, copy_src_ = 0, copy_dst_ = 0;
    std::int64_t convert_n_ = 0;
    DType convert_dtype_ = DType::bf16;
    std::size_t convert_src_ = 0, convert_dst_ = 0;
    GemmPath path_ = GemmPath::automatic;
    bool split_ = false;
    std::int64_t m_ = 0, n_ = 0, k_ = 0;
    std::size_t a_ = 0, b_ = 0, bias_ = 0, d_ = 0, gemm_workspace_bytes_ = 0;
    std::int64_t softmax_tokens_ = 0;
    int softmax_k_ = 1;
    std::size_t logits_s_ = 0, weights_s_ = 0, ids_s_ = 0;
    std::int64_t tokens_ = 0, capacity_ = 0;
    std::size_t logits_g_ = 0, bias_g_ = 0, weights_g_ = 0, ids_g_ = 0;
    std::size_t counts_ = 0, offsets_ = 0, sorted_ = 0, blocks_ = 0, inverse_ = 0, total_ = 0;
    std::size_t align_workspace_bytes_ = 0;
    std::int64_t attn_d_ = 128, attn_s_ = 0, dec_q_len_ = 1, dec_page_ = 16, dec_max_pages_ = 0;
    std::size_t pre_q_ = 0, pre_k_ = 0, pre_v_ = 0, pre_o_ = 0;
    std::size_t dec_q_ = 0, dec_k_ = 0, dec_v_ = 0, dec_table_ = 0, dec_lens_ = 0, dec_o_ = 0;
    std::size_t dec_workspace_bytes_ = 0;
};

int unit_index(int thread, int stream, int round) {
    return (thread * streams_per_thread() + stream) * rounds() + round;
}

class Concurrency : public ptxkit::testing::GpuTest {};

TEST_F(Concurrency, ThreadsAndStreamsMatchASerialRunBitwise) {
    const std::uint64_t seed = ptxkit::testing::fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    const bool hopper = ptxkit::device_properties(0).cc_major == 9;
    std::vector<std::unique_ptr<Unit>> units;
    for (int i = 0; i < thread_count() * streams_per_thread() * rounds(); ++i) {
        units.push_back(std::make_unique<Unit>(i, seed + static_cast<std::uint64_t>(i), hopper));
        units.back()->poison(0xA5);
    }

    // Concurrent: every thread makes the primary context current, creates its
    // streams, waits for the others, then queues all its rounds without
    // waiting in between, and synchronises its streams at the end.
    std::latch start(thread_count());
    std::vector<std::exception_ptr> errors(thread_count());
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count(); ++t) {
        threads.emplace_back([&, t] {
            bool arrived = false;
            try {
                ptxkit::testing::use_primary_context(0);
                std::vector<std::unique_ptr<Stream>> streams;
                for (int s = 0; s < streams_per_thread(); ++s) streams.push_back(std::make_unique<Stream>());
                arrived = true;
                start.arrive_and_wait();
                for (int r = 0; r < rounds(); ++r) {
                    for (int s = 0; s < streams_per_thread(); ++s) {
                        units[static_cast<std::size_t>(unit_index(t, s, r))]->enqueue(streams[static_cast<std::size_t>(s)]->get());
                    }
                }
                for (auto& s : streams) s->synchronize();
            } catch (...) {
                errors[static_cast<std::size_t>(t)] = std::current_exception();
                if (!arrived) start.count_down();  // never leave the others waiting
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < thread_count(); ++t) {
        if (errors[static_cast<std::size_t>(t)] == nullptr) continue;
        try {
            std::rethrow_exception(errors[static_cast<std::size_t>(t)]);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "thread " << t << ": " << e.what();
        }
    }
    if (HasFailure()) return;

    std::vector<std::vector<std::vector<std::uint8_t>>> concurrent;
    for (const auto& u : units) concurrent.push_back(u->results());

    // Serial: the same units, one after the other on one stream, outputs poisoned differently.
    Stream serial;
    for (auto& u : units) u->poison(0x5A);
    for (const auto& u : units) u->enqueue(serial.get());
    serial.synchronize();

    for (std::size_t i = 0; i < units.size(); ++i) {
        const auto serial_results = units[i]->results();
        const auto& regions = units[i]->regions();
        for (std::size_t g = 0; g < regions.size(); ++g) {
            EXPECT_TRUE(serial_results[g] == concurrent[i][g])
                << units[i]->describe() << ": " << regions[g].name
                << " differs between the concurrent and the serial run (or was not fully written)";
        }
    }
}

// The registry under a first-use race: 16 threads ask for every embedded
// kernel at once, each starting at a different place in the list.
TEST_F(Concurrency, FirstUseOfEveryKernelResolvesOnce) {
    std::set<std::pair<std::string, std::string>> unique;
    for (const auto& k : ptxkit::embedded_kernels()) unique.emplace(k.module, k.kernel);
    const std::vector<std::pair<std::string, std::string>> kernels(unique.begin(), unique.end());
    ASSERT_FALSE(kernels.empty());

    // Per thread and kernel: the Kernel's address, or the error message.
    struct Outcome {
        const ptxkit::detail::Kernel* kernel = nullptr;
        CUfunction function = nullptr;
        std::string error;
    };
    std::vector<std::vector<Outcome>> seen(thread_count(), std::vector<Outcome>(kernels.size()));
    std::latch start(thread_count());
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count(); ++t) {
        threads.emplace_back([&, t] {
            ptxkit::testing::use_primary_context(0);
            auto& ctx = ptxkit::detail::current_context_state();
            start.arrive_and_wait();
            for (std::size_t j = 0; j < kernels.size(); ++j) {
                const std::size_t i = (j + static_cast<std::size_t>(t) * kernels.size() / thread_count()) % kernels.size();
                Outcome& o = seen[static_cast<std::size_t>(t)][i];
                try {
                    o.kernel = &ctx.kernel(kernels[i].first, kernels[i].second);
                    o.function = o.kernel->function;
                } catch (const ptxkit::Error& e) {
                    o.error = e.what();
                }
            }
        });
    }
    for (auto& th : threads) th.join();

    int loaded = 0;
    for (std::size_t i = 0; i < kernels.size(); ++i) {
        const Outcome& first = seen[0][i];
        loaded += first.kernel != nullptr;
        for (int t = 1; t < thread_count(); ++t) {
            const Outcome& o = seen[static_cast<std::size_t>(t)][i];
            EXPECT_EQ(o.kernel, first.kernel) << kernels[i].first << "/" << kernels[i].second << " thread " << t;
            EXPECT_EQ(o.function, first.function) << kernels[i].first << "/" << kernels[i].second << " thread " << t;
            EXPECT_EQ(o.error, first.error) << kernels[i].first << "/" << kernels[i].second << " thread " << t;
        }
    }
    // The kernels the ops use all load on the GPUs ptxkit supports.
    EXPECT_GT(loaded, 0);
    for (const auto& [module, kernel] : kernels) {
        if (module == "memory.copy" || module == "moe.routing" || module == "moe.align") {
            const auto i = static_cast<std::size_t>(std::find(kernels.begin(), kernels.end(), std::make_pair(module, kernel)) -
                                                    kernels.begin());
            EXPECT_NE(seen[0][i].kernel, nullptr) << module << "/" << kernel << ": " << seen[0][i].error;
        }
    }
}

}  // namespace
