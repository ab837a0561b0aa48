// Tests of the asynchronous family (exec/ops_async.cpp, exec/tensor_map.cpp)
// against hand-worked cases: mbarrier phase / parity / tx arithmetic, TMA
// boxes with the 128B swizzle and zero fill, multicast, tensor-map
// validation, cp.async zero fill and landing at the wait, bulk stores,
// barrier.cluster and mapa. Each instruction is parsed by the real parser
// (one-instruction kernels sharing the register declarations) and run on a
// hand-built cluster of CTAs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "exec/exec.hpp"
#include "ptx/parser.hpp"

namespace ptxsim::exec {
namespace {

constexpr const char* kHead = R"(.version 8.0
.target sm_90a
.address_size 64
.visible .entry k(.param .align 128 .b8 k_param_0[128])
{
    .reg .b32 %r<32>;
    .reg .b64 %rd<32>;
    .reg .pred %p<8>;
    .reg .b16 %rs<8>;
)";

struct Rig {
    DeviceModel dev = h100_model();
    Launch L;
    Cluster cl;
    std::vector<std::unique_ptr<Cta>> ctas;
    std::unique_ptr<ptx::Module> base;
    std::map<std::string, std::unique_ptr<ptx::Module>> cache;

    explicit Rig(uint32_t ncta = 1, uint32_t nthreads = 32, uint32_t dyn = 16384, bool late = false) {
        base = std::make_unique<ptx::Module>(ptx::parse_module(std::string(kHead) + "ret;\n}\n"));
        L.fn = &base->functions[0];
        L.device = &dev;
        L.grid[0] = ncta; L.grid[1] = L.grid[2] = 1;
        L.block[0] = nthreads; L.block[1] = L.block[2] = 1;
        L.cluster[0] = ncta; L.cluster[1] = L.cluster[2] = 1;
        L.static_smem_base = L.dyn_smem_base = 1024;
        L.dyn_smem = dyn;
        L.smem_window = 1024 + dyn;
        L.params.assign(256, 0);
        L.tma_late = late;
        cl.launch = &L;
        for (uint32_t r = 0; r < ncta; ++r) {
            auto c = std::make_unique<Cta>();
            c->launch = &L;
            c->cluster = &cl;
            c->ctaid[0] = r;
            c->rank = r;
            c->linear = r;
            c->smem.assign(L.smem_window, 0xCD);
            c->smem_init.assign(L.smem_window, 0);
            c->shadow_write.assign(L.smem_window, 0);
            c->shadow_read.assign(L.smem_window, 0);
            c->nthreads = nthreads;
            const uint32_t nw = (nthreads + 31) / 32;
            c->warps.resize(nw);
            for (uint32_t i = 0; i < nw; ++i) {
                Warp& w = c->warps[i];
                w.cta = c.get();
                w.id = int(i);
                const uint32_t n = std::min<uint32_t>(32, nthreads - i * 32);
                w.valid = n == 32 ? ~0u : ((1u << n) - 1);
                w.regs.assign(L.fn->regs.size() * 32, 0);
                w.state.fill(LaneState::Active);
                w.vc.t[i] = 1;
            }
            cl.ctas.push_back(c.get());
            ctas.push_back(std::move(c));
        }
        for (auto& c : ctas) async_cta_start(*c);
    }
    const ptx::Instruction& inst(const std::string& text) {
        auto& m = cache[text];
        if (!m) m = std::make_unique<ptx::Module>(ptx::parse_module(std::string(kHead) + text + "\nret;\n}\n"));
        return m->functions[0].insts[0];
    }
    Warp& warp(int cta = 0, int w = 0) { return ctas[std::size_t(cta)]->warps[std::size_t(w)]; }
    // Runs one instruction for `mask` lanes of a warp; returns whether the handler asked to yield.
    bool run(const std::string& text, LaneMask mask = 1, int cta = 0, int w = 0) {
        const ptx::Instruction& in = inst(text);
        Handler h = decode_async(in);
        if (!h) throw std::runtime_error("decode_async does not know: " + text);
        Warp& wp = warp(cta, w);
        wp.cur = &in;
        wp.yield = false;
        h(wp, in, mask);
        return wp.yield;
    }
    int slot(const std::string& name) const {
        for (std::size_t i = 0; i < L.fn->regs.size(); ++i)
            if (L.fn->regs[i].name == name) return int(i);
        throw std::runtime_error("no register " + name);
    }
    uint64_t& reg(const std::string& name, int lane = 0, int cta = 0, int w = 0) {
        return warp(cta, w).reg(slot(name), lane);
    }
    void set_all(const std::string& name, uint64_t v, int cta = 0, int w = 0) {
        for (int l = 0; l < 32; ++l) reg(name, l, cta, w) = v;
    }
    uint8_t* smem(int cta = 0) { return ctas[std::size_t(cta)]->smem.data(); }
    Mbarrier& mbar(uint32_t addr, int cta = 0) { return ctas[std::size_t(cta)]->async.mbars.at(addr); }
};

// The fault a statement raises: its Check name appears in the report.
#define EXPECT_FAULT(stmt, check_word)                                                        \
    do {                                                                                      \
        try {                                                                                 \
            stmt;                                                                             \
            ADD_FAILURE() << "no fault from " #stmt;                                          \
        } catch (const KernelFault& f) {                                                      \
            EXPECT_NE(std::string(f.what()).find(check_word), std::string::npos) << f.what(); \
        }                                                                                     \
    } while (0)

// Global buffers registered in the allocation table for the test's lifetime.
struct GlobalBuf {
    uint8_t* p;
    std::size_t n;
    explicit GlobalBuf(std::size_t bytes) : n(bytes) {
        p = static_cast<uint8_t*>(std::aligned_alloc(1024, (bytes + 1023) / 1024 * 1024));
        std::memset(p, 0, bytes);
        allocations().add(reinterpret_cast<uint64_t>(p), bytes, "test buffer");
    }
    ~GlobalBuf() {
        allocations().remove(reinterpret_cast<uint64_t>(p));
        std::free(p);
    }
    uint64_t addr() const { return reinterpret_cast<uint64_t>(p); }
};

// ------------------------------------------------------------------ mbarrier
TEST(Mbarrier, PhaseParityAndTxArithmetic) {
    Rig R;
    const uint32_t bar = 2048;
    R.set_all("%r1", bar);
    R.reg("%r2") = 2;  // expected arrivals
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    EXPECT_TRUE(is_live_mbarrier(*R.ctas[0], bar, 8));
    EXPECT_TRUE(is_live_mbarrier(*R.ctas[0], bar + 4, 1));
    EXPECT_TRUE(is_live_mbarrier(*R.ctas[0], bar - 4, 5));
    EXPECT_FALSE(is_live_mbarrier(*R.ctas[0], bar - 4, 4));
    EXPECT_FALSE(is_live_mbarrier(*R.ctas[0], bar + 8, 4));
    EXPECT_EQ(R.ctas[0]->smem_init[bar], 1);  // the init wrote the object's 8 bytes
    EXPECT_EQ(R.mbar(bar).pending, 2);

    // Lane 0: arrive.expect_tx 64 bytes; lane 1: a plain arrive. Pending 0, tx 64: not complete.
    R.reg("%r3", 0) = 64;
    R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 %rd1, [%r1], %r3;", 0x1);
    EXPECT_EQ(R.mbar(bar).pending, 1);
    EXPECT_EQ(R.mbar(bar).tx, 64);
    EXPECT_EQ(R.reg("%rd1", 0) & 0xfffff, 2u);  // state: pending count prior to the arrive
    R.run("mbarrier.arrive.release.cta.shared::cta.b64 _, [%r1];", 0x2);
    EXPECT_EQ(R.mbar(bar).pending, 0);
    EXPECT_EQ(R.mbar(bar).phase, 0u);

    // try_wait.parity 0: phase 0 incomplete -> false, the warp yields, no progress.
    R.reg("%r4", 0) = 0;
    const uint64_t before = R.L.progress;
    EXPECT_TRUE(R.run("mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 %p1, [%r1], %r4;"));
    EXPECT_EQ(R.reg("%p1"), 0u);
    EXPECT_EQ(R.L.progress, before);

    // complete_tx of 40 then 24 bytes: the phase completes at tx 0.
    R.reg("%r5") = 40;
    R.run("mbarrier.complete_tx.relaxed.cta.shared::cta.b64 [%r1], %r5;");
    EXPECT_EQ(R.mbar(bar).phase, 0u);
    EXPECT_GT(R.L.progress, before);
    R.reg("%r5") = 24;
    R.run("mbarrier.complete_tx.relaxed.cta.shared::cta.b64 [%r1], %r5;");
    EXPECT_EQ(R.mbar(bar).phase, 1u);
    EXPECT_EQ(R.mbar(bar).pending, 2);  // reloaded with the expected count
    EXPECT_EQ(R.mbar(bar).tx, 0);

    EXPECT_FALSE(R.run("mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 %p1, [%r1], %r4;"));
    EXPECT_EQ(R.reg("%p1"), 1u);  // parity 0 completed
    R.reg("%r4") = 1;
    EXPECT_TRUE(R.run("mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 %p1, [%r1], %r4;"));
    EXPECT_EQ(R.reg("%p1"), 0u);  // phase 1 (odd) not yet

    // The state form: the state of an arrive in phase 1 waits for phase 1.
    R.run("mbarrier.arrive.shared::cta.b64 %rd2, [%r1];");
    R.run("mbarrier.test_wait.shared::cta.b64 %p2, [%r1], %rd2;");
    EXPECT_EQ(R.reg("%p2"), 0u);
    R.run("mbarrier.pending_count.b64 %r6, %rd2;");
    EXPECT_EQ(R.reg("%r6"), 2u);
    R.run("mbarrier.arrive.shared::cta.b64 %rd3, [%r1];");
    EXPECT_EQ(R.mbar(bar).phase, 2u);
    R.run("mbarrier.test_wait.shared::cta.b64 %p2, [%r1], %rd2;");
    EXPECT_EQ(R.reg("%p2"), 1u);

    // An arrive with a count operand completes phase 2 at once.
    R.reg("%r7") = 2;
    R.run("mbarrier.arrive.shared::cta.b64 _, [%r1], %r7;");
    EXPECT_EQ(R.mbar(bar).phase, 3u);

    // inval: no longer live; a store may reuse the bytes.
    R.run("mbarrier.inval.shared::cta.b64 [%r1];");
    EXPECT_FALSE(is_live_mbarrier(*R.ctas[0], bar, 8));
}

TEST(Mbarrier, ArrivalsBeyondTheExpectedCount) {
    Rig R;
    R.reg("%r1") = 2048;
    R.reg("%r2") = 1;
    R.reg("%r3") = 16;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;");  // pending 0, tx 16
    EXPECT_FAULT(R.run("mbarrier.arrive.release.cta.shared::cta.b64 _, [%r1];"), "synccheck");
}

TEST(Mbarrier, UseBeforeInitAndBadOperands) {
    Rig R;
    R.reg("%r1") = 2048;
    R.reg("%r4") = 0;
    EXPECT_FAULT(R.run("mbarrier.arrive.release.cta.shared::cta.b64 _, [%r1];"), "no initialised mbarrier");
    EXPECT_FAULT(R.run("mbarrier.try_wait.parity.acquire.cta.shared::cta.b64 %p1, [%r1], %r4;"), "synccheck");
    R.reg("%r2") = 0;
    EXPECT_FAULT(R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;"), "count 0");
    R.reg("%r2") = 1u << 20;
    EXPECT_FAULT(R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;"), "outside [1, 2^20-1]");
    R.reg("%r1") = 2052;
    R.reg("%r2") = 1;
    EXPECT_FAULT(R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;"), "8-byte aligned");
    R.reg("%r1") = 16;  // the reserved first KB
    EXPECT_FAULT(R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;"), "memcheck");
}

TEST(Mbarrier, TxCountRange) {
    Rig R;
    R.reg("%r1") = 2048;
    R.reg("%r2") = 1;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.reg("%r3") = (1u << 20) - 1;
    R.run("mbarrier.expect_tx.relaxed.cta.shared::cta.b64 [%r1], %r3;");
    EXPECT_EQ(R.mbar(2048).tx, (1 << 20) - 1);
    R.reg("%r3") = 1;
    EXPECT_FAULT(R.run("mbarrier.expect_tx.relaxed.cta.shared::cta.b64 [%r1], %r3;"), "tx-count");
}

TEST(Mbarrier, RemoteArrivalNeedsFencedInit) {
    Rig R(2);
    const uint32_t bar = 4096;
    R.reg("%r1", 0, 1) = bar;  // CTA 1 initialises its barrier
    R.reg("%r2", 0, 1) = 1;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;", 1, 1);
    // CTA 0 maps the address to rank 1 and arrives remotely.
    R.reg("%r3", 0, 0) = bar;
    R.reg("%r4", 0, 0) = 1;
    R.run("mapa.shared::cluster.u32 %r5, %r3, %r4;", 1, 0);
    EXPECT_EQ(uint32_t(R.reg("%r5", 0, 0)), make_cluster_addr(1, bar));
    EXPECT_FAULT(R.run("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%r5];", 1, 0),
                 "fence.mbarrier_init");
    R.run("fence.mbarrier_init.release.cluster;", 1, 1);
    R.run("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%r5];", 1, 0);
    EXPECT_EQ(R.mbar(bar, 1).phase, 1u);
    // A remote try_wait is not allowed.
    R.reg("%r6", 0, 0) = 0;
    EXPECT_FAULT(R.run("mbarrier.try_wait.parity.shared::cta.b64 %p1, [%r5], %r6;", 1, 0), "memcheck");
    // mapa of a rank outside the cluster.
    R.reg("%r4", 0, 0) = 2;
    EXPECT_FAULT(R.run("mapa.shared::cluster.u32 %r5, %r3, %r4;", 1, 0), "outside the 2-CTA cluster");
}

// ------------------------------------------------------------------ tensor maps
struct MapArgs {
    CUtensorMapDataType dtype = CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
    cuuint32_t rank = 2;
    void* addr = nullptr;
    cuuint64_t dims[5] = {64, 10, 1, 1, 1};
    cuuint64_t strides[4] = {128, 1280, 1280, 1280};
    cuuint32_t box[5] = {64, 8, 1, 1, 1};
    cuuint32_t estr[5] = {1, 1, 1, 1, 1};
    CUtensorMapInterleave il = CU_TENSOR_MAP_INTERLEAVE_NONE;
    CUtensorMapSwizzle sw = CU_TENSOR_MAP_SWIZZLE_128B;
    CUtensorMapL2promotion l2 = CU_TENSOR_MAP_L2_PROMOTION_L2_256B;
    CUtensorMapFloatOOBfill oob = CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE;
    CUresult encode(CUtensorMap* m) const {
        return encode_tensor_map_tiled(m, dtype, rank, addr, dims, strides, box, estr, il, sw, l2, oob);
    }
};

TEST(TensorMap, ValidationPerTheDriverDocumentation) {
    alignas(64) static uint8_t storage[4096];
    alignas(64) CUtensorMap map;
    MapArgs ok;
    ok.addr = storage;
    EXPECT_EQ(ok.encode(&map), CUDA_SUCCESS);

    auto bad = [&](auto edit) {
        MapArgs a = ok;
        edit(a);
        return a.encode(&map);
    };
    const CUresult E = CUDA_ERROR_INVALID_VALUE;
    EXPECT_EQ(bad([](MapArgs& a) { a.addr = static_cast<uint8_t*>(a.addr) + 8; }), E);      // 16-byte alignment
    EXPECT_EQ(bad([](MapArgs& a) { a.rank = 0; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.rank = 6; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.dims[1] = 0; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.dims[1] = (1ull << 32) + 1; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.dims[1] = 1ull << 32; }), CUDA_SUCCESS);
    EXPECT_EQ(bad([](MapArgs& a) { a.strides[0] = 136; }), E);                               // multiple of 16
    EXPECT_EQ(bad([](MapArgs& a) { a.strides[0] = 1ull << 40; }), E);                        // < 2^40
    EXPECT_EQ(bad([](MapArgs& a) { a.strides[0] = 112; }), E);                               // < dim0 * esize
    EXPECT_EQ(bad([](MapArgs& a) { a.box[1] = 0; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.box[1] = 257; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.box[0] = 4; a.sw = CU_TENSOR_MAP_SWIZZLE_NONE; }), E);  // 8 bytes: not x16
    EXPECT_EQ(bad([](MapArgs& a) { a.box[0] = 8; a.sw = CU_TENSOR_MAP_SWIZZLE_NONE; }), CUDA_SUCCESS);
    EXPECT_EQ(bad([](MapArgs& a) { a.box[0] = 128; }), E);                                   // 256 B > 128B span
    EXPECT_EQ(bad([](MapArgs& a) { a.box[0] = 32; a.sw = CU_TENSOR_MAP_SWIZZLE_32B; }), E);  // 64 B > 32B span
    EXPECT_EQ(bad([](MapArgs& a) { a.box[0] = 16; a.sw = CU_TENSOR_MAP_SWIZZLE_32B; }), CUDA_SUCCESS);
    EXPECT_EQ(bad([](MapArgs& a) { a.estr[1] = 0; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.estr[1] = 9; }), E);
    EXPECT_EQ(bad([](MapArgs& a) { a.il = CU_TENSOR_MAP_INTERLEAVE_16B; }), E);              // rank < 3
    EXPECT_EQ(bad([](MapArgs& a) {
                  a.rank = 3;
                  a.il = CU_TENSOR_MAP_INTERLEAVE_32B;
                  a.sw = CU_TENSOR_MAP_SWIZZLE_128B;
              }),
              E);  // INTERLEAVE_32B requires SWIZZLE_32B
    EXPECT_EQ(bad([](MapArgs& a) { { const int bad_value = 99; std::memcpy(&a.dtype, &bad_value, sizeof bad_value); } }), E);
    EXPECT_EQ(bad([](MapArgs& a) { { const int bad_value = 42; std::memcpy(&a.sw, &bad_value, sizeof bad_value); } }), E);
    EXPECT_EQ(bad([](MapArgs& a) {
                  a.dtype = CU_TENSOR_MAP_DATA_TYPE_INT32;
                  a.box[0] = 32;
                  a.dims[0] = 32;
                  a.oob = CU_TENSOR_MAP_FLOAT_OOB_FILL_NAN_REQUEST_ZERO_FMA;
              }),
              E);  // NaN fill needs a float type
    // A misaligned CUtensorMap object.
    alignas(64) uint8_t raw[256];
    EXPECT_EQ(ok.encode(reinterpret_cast<CUtensorMap*>(raw + 32)), E);
}

// ------------------------------------------------------------------ TMA loads
// A 64 x 10 bf16 tensor (row stride 128 bytes), element (row, col) = row * 256 + col.
void fill_tensor(GlobalBuf& g, uint32_t rows) {
    for (uint32_t r = 0; r < rows; ++r)
        for (uint32_t c = 0; c < 64; ++c) {
            const uint16_t v = uint16_t(r * 256 + c);
            std::memcpy(g.p + r * 128 + c * 2, &v, 2);
        }
}
uint16_t at16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }

// Puts an encoded map in the kernel parameters (the __grid_constant__ case) and %rd1 = its generic address.
void map_in_params(Rig& R, const MapArgs& a) {
    alignas(64) CUtensorMap map;
    ASSERT_EQ(a.encode(&map), CUDA_SUCCESS);
    std::memcpy(R.L.params.data(), &map, 128);
    for (int c = 0; c < int(R.ctas.size()); ++c) R.set_all("%rd1", reinterpret_cast<uint64_t>(R.L.params.data()), c);
}

TEST(Tma, Box128BSwizzleAndZeroFill) {
    Rig R;
    GlobalBuf g(64 * 10 * 2);
    fill_tensor(g, 10);
    MapArgs a;
    a.addr = g.p;
    map_in_params(R, a);
    const uint32_t dst = 1024 * 3, bar = 2048;
    R.reg("%r1") = bar;
    R.reg("%r2") = 1;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.run("fence.mbarrier_init.release.cluster;");
    R.reg("%r3") = 1024;  // the full box: 64 x 8 x 2 bytes
    R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;");
    R.run("prefetch.tensormap [%rd1];");
    // Box at (col 0, row 4): rows 4..11, of which 10 and 11 are outside the tensor.
    R.reg("%r4") = dst;
    R.reg("%r5") = 0;
    R.reg("%r6") = 4;
    R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], [%rd1, {%r5, %r6}], "
          "[%r1];");
    // Early model: landed at issue, the full box credited, the phase complete.
    EXPECT_EQ(R.mbar(bar).phase, 1u);
    const uint8_t* s = R.smem();
    for (uint32_t r = 0; r < 8; ++r)
        for (uint32_t c = 0; c < 64; ++c) {
            // Row r of the box is 128 bytes at dst + r * 128; its 16-byte chunk j lands at chunk j ^ (r % 8).
            const uint32_t chunk = (c * 2) / 16, within = (c * 2) % 16;
            const uint32_t a_sw = dst + r * 128 + ((chunk ^ (r % 8)) * 16) + within;
            const uint16_t want = r + 4 < 10 ? uint16_t((r + 4) * 256 + c) : 0;
            ASSERT_EQ(at16(s + a_sw), want) << "row " << r << " col " << c;
        }
    // Row 1, col 0 (chunk 0) sits at chunk 1: byte dst + 128 + 16.
    EXPECT_EQ(at16(s + dst + 128 + 16), uint16_t(5 * 256));
    EXPECT_EQ(R.ctas[0]->smem_init[dst + 1023], 1);

    // A wholly out-of-bounds box (negative coordinates) still credits the full box and writes zeros.
    R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;");
    R.reg("%r5") = uint32_t(-64);
    R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], [%rd1, {%r5, %r6}], "
          "[%r1];");
    EXPECT_EQ(R.mbar(bar).phase, 2u);
    for (uint32_t i = 0; i < 1024; ++i) ASSERT_EQ(s[dst + i], 0) << i;

    // Misaligned destination for the 128B swizzle (1024-byte repeat).
    R.reg("%r4") = dst + 128;
    EXPECT_FAULT(R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], "
                       "[%rd1, {%r5, %r6}], [%r1];"),
                 "1024-byte aligned");
}

TEST(Tma, SwizzleNoneAnd64B) {
    GlobalBuf g(64 * 10 * 2);
    fill_tensor(g, 10);
    for (auto sw : {CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_SWIZZLE_64B}) {
        Rig R;
        MapArgs a;
        a.addr = g.p;
        a.sw = sw;
        a.box[0] = 32;  // 64-byte rows
        map_in_params(R, a);
        R.reg("%r1") = 2048;
        R.reg("%r2") = 1;
        R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
        R.run("fence.mbarrier_init.release.cluster;");
        R.reg("%r3") = 512;
        R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;");
        R.reg("%r4") = 4096;
        R.reg("%r5") = 16;  // columns 16..47
        R.reg("%r6") = 0;
        R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], "
              "[%rd1, {%r5, %r6}], [%r1];");
        EXPECT_EQ(R.mbar(2048).phase, 1u);
        for (uint32_t r = 0; r < 8; ++r)
            for (uint32_t c = 0; c < 32; ++c) {
                const uint32_t off = r * 64 + c * 2;
                // 64B: chunk bits 4-5 ^= address bits 7-8, i.e. (r >> 1) & 3 for 64-byte rows.
                const uint32_t sw_off = sw == CU_TENSOR_MAP_SWIZZLE_NONE ? off : off ^ (((off >> 7) & 3) << 4);
                ASSERT_EQ(at16(R.smem() + 4096 + sw_off), uint16_t(r * 256 + c + 16)) << r << "," << c;
            }
    }
}

TEST(Tma, LateModelLandsOnlyWhenForced) {
    Rig R(1, 32, 16384, /*late=*/true);
    GlobalBuf g(64 * 10 * 2);
    fill_tensor(g, 10);
    MapArgs a;
    a.addr = g.p;
    map_in_params(R, a);
    R.reg("%r1") = 2048;
    R.reg("%r2") = 1;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.run("fence.mbarrier_init.release.cluster;");
    R.reg("%r3") = 1024;
    R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;");
    R.reg("%r4") = 3072;
    R.reg("%r5") = 0;
    R.reg("%r6") = 0;
    R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], [%rd1, {%r5, %r6}], "
          "[%r1];");
    EXPECT_EQ(R.mbar(2048).phase, 0u);
    EXPECT_EQ(R.smem()[3072], 0xCD);  // old data until it lands
    EXPECT_TRUE(async_write_pending(*R.ctas[0], 3072 + 100, 2));
    EXPECT_FALSE(async_write_pending(*R.ctas[0], 3072 + 1024, 2));
    EXPECT_FALSE(async_progress(R.cl, false));
    EXPECT_EQ(R.mbar(2048).phase, 0u);
    // Re-initialising the barrier with the load in flight is a fault.
    EXPECT_FAULT(R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;"), "in flight");
    EXPECT_NE(describe_async(*R.ctas[0]).find("not landed"), std::string::npos);
    EXPECT_TRUE(async_progress(R.cl, true));
    EXPECT_EQ(R.mbar(2048).phase, 1u);
    EXPECT_FALSE(async_write_pending(*R.ctas[0], 3072, 1024));
    EXPECT_EQ(at16(R.smem() + 3072), 0u);
    EXPECT_EQ(at16(R.smem() + 3072 + 128 + 16), uint16_t(256));
    EXPECT_FALSE(async_progress(R.cl, true));
}

TEST(Tma, UnfencedBarrierAndBadMap) {
    Rig R;
    GlobalBuf g(64 * 10 * 2);
    MapArgs a;
    a.addr = g.p;
    map_in_params(R, a);
    R.reg("%r1") = 2048;
    R.reg("%r2") = 1;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.reg("%r4") = 3072;
    R.reg("%r5") = 0;
    R.reg("%r6") = 0;
    const char* load =
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], [%rd1, {%r5, %r6}], "
        "[%r1];";
    EXPECT_FAULT(R.run(load), "fence.mbarrier_init");
    // Not a tensor map: a byte of the parameter changed.
    R.L.params[40] ^= 1;
    EXPECT_FAULT(R.run("prefetch.tensormap [%rd1];"), "not a CUtensorMap");
    // A rank mismatch.
    R.L.params[40] ^= 1;
    R.reg("%r7") = 0;
    EXPECT_FAULT(R.run("cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r4], "
                       "[%rd1, {%r5, %r6, %r7}], [%r1];"),
                 "rank-2 tensor map");
    // A tensor map in global memory is accepted too.
    GlobalBuf gm(128);
    alignas(64) CUtensorMap map;
    ASSERT_EQ(a.encode(&map), CUDA_SUCCESS);
    std::memcpy(gm.p, &map, 128);
    R.reg("%rd2") = gm.addr();
    R.run("prefetch.tensormap [%rd2];");
}

TEST(Tma, MulticastToTwoCtas) {
    Rig R(2);
    GlobalBuf g(64 * 10 * 2);
    fill_tensor(g, 10);
    MapArgs a;
    a.addr = g.p;
    map_in_params(R, a);
    const uint32_t bar = 2048, dst = 4096;
    for (int c = 0; c < 2; ++c) {
        R.reg("%r1", 0, c) = bar;
        R.reg("%r2", 0, c) = 1;
        R.reg("%r3", 0, c) = 1024;
        R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;", 1, c);
        R.run("fence.mbarrier_init.release.cluster;", 1, c);
        R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;", 1, c);
    }
    // CTA 1 issues the multicast to ranks 0 and 1 (mask 0b11).
    R.reg("%r4", 0, 1) = dst;
    R.reg("%r5", 0, 1) = 0;
    R.reg("%r6", 0, 1) = 2;
    R.reg("%rs1", 0, 1) = 3;
    R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster "
          "[%r4], [%rd1, {%r5, %r6}], [%r1], %rs1;",
          1, 1);
    for (int c = 0; c < 2; ++c) {
        EXPECT_EQ(R.mbar(bar, c).phase, 1u) << c;
        EXPECT_EQ(at16(R.smem(c) + dst), uint16_t(2 * 256)) << c;
        EXPECT_EQ(at16(R.smem(c) + dst + 7 * 128 + ((0 ^ 7) * 16)), uint16_t(9 * 256)) << c;
        EXPECT_EQ(at16(R.smem(c) + dst + 7 * 128 + ((1 ^ 7) * 16)), uint16_t(9 * 256 + 8)) << c;
    }
    // A mask naming a CTA outside the cluster.
    R.reg("%rs1", 0, 1) = 4;
    EXPECT_FAULT(R.run("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::"
                       "cluster [%r4], [%rd1, {%r5, %r6}], [%r1], %rs1;",
                       1, 1),
                 "ctaMask");
}

// ------------------------------------------------------------------ TMA stores and bulk groups
TEST(Tma, StoreClipsAndCompletesAtWaitGroup) {
    Rig R;
    GlobalBuf g(64 * 10 * 2);
    std::memset(g.p, 0xEE, g.n);
    MapArgs a;
    a.addr = g.p;
    a.sw = CU_TENSOR_MAP_SWIZZLE_NONE;
    map_in_params(R, a);
    const uint32_t src = 4096;
    for (uint32_t i = 0; i < 1024; i += 2) {
        const uint16_t v = uint16_t(i / 2);
        R.reg("%r1") = src + i;
        R.reg("%r2") = v;
        std::memcpy(R.smem() + src + i, &v, 2);
    }
    std::memset(R.ctas[0]->smem_init.data() + src, 1, 1024);
    R.reg("%r4") = src;
    R.reg("%r5") = 0;
    R.reg("%r6") = 6;  // rows 6..13: 10.. clipped
    R.run("cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group [%rd1, {%r5, %r6}], [%r4];");
    R.run("cp.async.bulk.commit_group;");
    EXPECT_EQ(g.p[6 * 128], 0xEE);  // not yet written
    R.run("cp.async.bulk.wait_group.read 0;");
    for (uint32_t r = 0; r < 10; ++r)
        for (uint32_t c = 0; c < 64; ++c) {
            const uint16_t want = r >= 6 ? uint16_t((r - 6) * 64 + c) : 0xEEEE;
            ASSERT_EQ(at16(g.p + r * 128 + c * 2), want) << r << "," << c;
        }
    // A source changed before the wait: a fault at the wait.
    R.run("cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group [%rd1, {%r5, %r6}], [%r4];");
    R.run("cp.async.bulk.commit_group;");
    R.smem()[src + 8] ^= 0xFF;
    EXPECT_FAULT(R.run("cp.async.bulk.wait_group.read 0;"), "changed");
}

TEST(Tma, BulkGroupsOutstandingAtExit) {
    Rig R;
    GlobalBuf g(256);
    R.reg("%rd3") = g.addr();
    R.reg("%r4") = 4096;
    R.reg("%r5") = 64;
    std::memset(R.ctas[0]->smem_init.data() + 4096, 1, 64);
    R.run("cp.async.bulk.global.shared::cta.bulk_group [%rd3], [%r4], %r5;");
    R.run("cp.async.bulk.commit_group;");
    EXPECT_FAULT(async_cta_finish(*R.ctas[0]), "not waited for");
    R.run("cp.async.bulk.wait_group 0;");
    EXPECT_EQ(g.p[0], 0xCD);
    async_cta_finish(*R.ctas[0]);
}

TEST(Tma, NonTensorBulkLoad) {
    Rig R;
    GlobalBuf g(256);
    for (int i = 0; i < 256; ++i) g.p[i] = uint8_t(i);
    R.reg("%r1") = 2048;
    R.reg("%r2") = 1;
    R.reg("%r3") = 64;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.run("fence.proxy.async.shared::cta;");  // also publishes the init to the async proxy
    R.run("mbarrier.arrive.expect_tx.release.cta.shared::cta.b64 _, [%r1], %r3;");
    R.reg("%r4") = 4096;
    R.reg("%rd3") = g.addr() + 16;
    R.run("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%r4], [%rd3], %r3, [%r1];");
    EXPECT_EQ(R.mbar(2048).phase, 1u);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(R.smem()[4096 + i], uint8_t(16 + i));
}

TEST(Tma, ProxyRule) {
    Rig R;
    GlobalBuf g(256);
    R.reg("%rd3") = g.addr();
    R.reg("%r4") = 4096;
    R.reg("%r5") = 32;
    // Generic writes are tracked only for kernels with async-proxy readers: this one has a bulk store.
    const std::string store = "cp.async.bulk.global.shared::cta.bulk_group [%rd3], [%r4], %r5;";
    R.inst(store);
    R.L.fn = &R.cache.at(store)->functions[0];
    const uint32_t t = R.warp().thread(0);
    std::memset(R.smem() + 4096, 7, 32);
    std::memset(R.ctas[0]->smem_init.data() + 4096, 1, 32);
    note_generic_shared_write(*R.ctas[0], t, 4096, 32);
    EXPECT_FAULT(R.run(store), "without a fence.proxy.async");
    // Another CTA's kernel without async-proxy readers tracks nothing.
    Rig Q;
    note_generic_shared_write(*Q.ctas[0], 0, 4096, 32);
    EXPECT_TRUE(Q.ctas[0]->async.wr_thread.empty());
    R.run("fence.proxy.async.shared::cta;");
    R.run("cp.async.bulk.global.shared::cta.bulk_group [%rd3], [%r4], %r5;");
    R.run("cp.async.bulk.commit_group;");
    R.run("cp.async.bulk.wait_group 0;");
    EXPECT_EQ(g.p[31], 7);
}

// ------------------------------------------------------------------ cp.async
TEST(CpAsync, ZeroFillAndLandingAtTheWait) {
    Rig R;
    GlobalBuf g(64);
    for (int i = 0; i < 64; ++i) g.p[i] = uint8_t(0x40 + i);
    const uint32_t dst = 4096;
    R.reg("%r1") = dst;
    R.reg("%rd2") = g.addr();
    R.reg("%r3") = 5;  // src-size 5 of 16
    R.run("cp.async.cg.shared.global [%r1], [%rd2], 16, %r3;");
    R.run("cp.async.commit_group;");
    // Before the wait: the destination holds its old bytes and is pending.
    EXPECT_EQ(R.smem()[dst], 0xCD);
    EXPECT_TRUE(async_write_pending(*R.ctas[0], dst + 15, 1));
    EXPECT_FALSE(async_write_pending(*R.ctas[0], dst + 16, 1));
    // A second group: 8 bytes (.ca), full source.
    R.reg("%r1") = dst + 32;
    R.reg("%rd2") = g.addr() + 8;
    R.run("cp.async.ca.shared.global [%r1], [%rd2], 8;");
    R.run("cp.async.commit_group;");
    R.run("cp.async.wait_group 1;");  // the first group only
    for (int i = 0; i < 5; ++i) EXPECT_EQ(R.smem()[dst + i], 0x40 + i);
    for (int i = 5; i < 16; ++i) EXPECT_EQ(R.smem()[dst + i], 0) << i;
    EXPECT_EQ(R.smem()[dst + 32], 0xCD);
    EXPECT_FALSE(async_write_pending(*R.ctas[0], dst, 16));
    R.run("cp.async.wait_all;");
    for (int i = 0; i < 8; ++i) EXPECT_EQ(R.smem()[dst + 32 + i], 0x48 + i);

    // ignore-src: zeros, no read of the (invalid) source.
    R.reg("%r1") = dst + 64;
    R.reg("%rd2") = 16;  // not an allocation
    R.reg("%p1") = 1;
    R.run("cp.async.ca.shared.global [%r1], [%rd2], 4, %p1;");
    R.run("cp.async.wait_all;");
    for (int i = 0; i < 4; ++i) EXPECT_EQ(R.smem()[dst + 64 + i], 0);
    // src-size 0 reads nothing either; a real read of it is a memcheck fault.
    R.reg("%r3") = 0;
    R.run("cp.async.cg.shared.global [%r1], [%rd2], 16, %r3;");
    R.reg("%r3") = 16;
    EXPECT_FAULT(R.run("cp.async.cg.shared.global [%r1], [%rd2], 16, %r3;"), "memcheck");
    // .cg with 8 bytes is not a form.
    EXPECT_FAULT(R.run("cp.async.cg.shared.global [%r1], [%rd2], 8;"), "cp-size");
    // Per-lane groups: two lanes, each their own copy.
    R.reg("%r1", 0) = dst + 128;
    R.reg("%r1", 1) = dst + 144;
    R.reg("%rd2", 0) = g.addr();
    R.reg("%rd2", 1) = g.addr() + 16;
    R.run("cp.async.cg.shared.global [%r1], [%rd2], 16;", 0x3);
    R.run("cp.async.commit_group;", 0x3);
    R.run("cp.async.wait_group 0;", 0x2);  // lane 1 only
    EXPECT_EQ(R.smem()[dst + 144], 0x50);
    EXPECT_EQ(R.smem()[dst + 128], 0xCD);
    R.run("cp.async.wait_group 0;", 0x1);
    EXPECT_EQ(R.smem()[dst + 128], 0x40);
}

TEST(CpAsync, MbarrierArriveAndArriveDrop) {
    Rig R;
    GlobalBuf g(64);
    for (int i = 0; i < 64; ++i) g.p[i] = uint8_t(i);
    R.reg("%r1") = 2048;
    R.reg("%r2") = 2;
    R.run("mbarrier.init.shared::cta.b64 [%r1], %r2;");
    R.reg("%r3") = 4096;
    R.reg("%rd2") = g.addr();
    R.run("cp.async.ca.shared.global [%r3], [%rd2], 16;");
    // .noinc: the arrive counts against the expected count once the copies complete (they land now).
    R.run("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%r1];");
    EXPECT_EQ(R.smem()[4096 + 5], 5);
    EXPECT_EQ(R.mbar(2048).pending, 1);
    // Without .noinc the pending count is incremented first: no net change.
    R.run("cp.async.mbarrier.arrive.shared::cta.b64 [%r1];");
    EXPECT_EQ(R.mbar(2048).pending, 1);
    // arrive_drop: this phase completes and later phases expect one arrival less.
    R.run("mbarrier.arrive_drop.shared::cta.b64 _, [%r1];");
    EXPECT_EQ(R.mbar(2048).phase, 1u);
    EXPECT_EQ(R.mbar(2048).count, 1u);
    EXPECT_EQ(R.mbar(2048).pending, 1);
    // noComplete may not complete the phase.
    EXPECT_FAULT(R.run("mbarrier.arrive.noComplete.shared::cta.b64 %rd4, [%r1], 1;"), "noComplete");
}

// ------------------------------------------------------------------ barrier.cluster
TEST(ClusterBarrier, BlocksUntilEveryThreadArrived) {
    Rig R(2);
    Warp& a = R.warp(0);
    Warp& b = R.warp(1);
    R.run("barrier.cluster.arrive.release.aligned;", ~0u, 0);
    R.run("barrier.cluster.wait.acquire.aligned;", ~0u, 0);
    EXPECT_EQ(a.state[0], LaneState::Blocked);
    EXPECT_EQ(a.state[31], LaneState::Blocked);
    R.run("barrier.cluster.arrive.release.aligned;", 0x0000FFFFu, 1);
    EXPECT_EQ(a.state[0], LaneState::Blocked);
    // The other half of CTA 1's warp exits: exited threads count as arrived.
    for (int l = 16; l < 32; ++l) b.state[std::size_t(l)] = LaneState::Exited;
    R.ctas[1]->exited_threads = 16;
    EXPECT_TRUE(async_progress(R.cl, false));
    EXPECT_EQ(a.state[0], LaneState::Active);
    EXPECT_EQ(a.state[31], LaneState::Active);
    // CTA 1 waits after the generation completed: no block.
    R.run("barrier.cluster.wait.acquire.aligned;", 0x0000FFFFu, 1);
    EXPECT_EQ(b.state[0], LaneState::Active);
    // A wait without an arrive, an arrive twice.
    EXPECT_FAULT(R.run("barrier.cluster.wait.acquire.aligned;", ~0u, 0), "without a preceding");
    R.run("barrier.cluster.arrive.release.aligned;", 1, 0);
    EXPECT_FAULT(R.run("barrier.cluster.arrive.release.aligned;", 1, 0), "twice");
}

TEST(Decode, FormsAndFences) {
    Rig R;
    for (const char* t : {"fence.proxy.async.shared::cta;", "fence.proxy.async;", "fence.acq_rel.gpu;", "fence.sc.cta;",
                          "membar.gl;", "membar.cta;", "fence.mbarrier_init.release.cluster;",
                          "cp.async.bulk.commit_group;", "cp.async.commit_group;"})
        EXPECT_NE(decode_async(R.inst(t)), nullptr) << t;
    EXPECT_EQ(decode_async(R.inst("bar.sync 0;")), nullptr);
    EXPECT_EQ(decode_async(R.inst("add.s32 %r1, %r2, %r3;")), nullptr);
    // mapa (generic): the same offset in the target CTA's window.
    Rig C(2);
    const uint64_t ga = shared_to_generic(*C.ctas[0], 2048);
    C.reg("%rd1") = ga;
    C.reg("%r2") = 1;
    C.run("mapa.u64 %rd3, %rd1, %r2;");
    EXPECT_EQ(C.reg("%rd3"), shared_to_generic(*C.ctas[1], 2048));
}

}  // namespace
}  // namespace ptxsim::exec
