// The emulator's interface to emulated kernel code: the CTA and thread state
// the CUDA built-ins read, and emu::px, one function per PTX instruction form
// the kernels' inline asm uses. translate.py rewrites every asm statement into
// calls of these, bound to the asm's own operands; the semantics live in the
// runtime's .cpp files, written from the PTX ISA.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

struct dim3e { unsigned x, y, z; };

namespace emu {
// Reports a violated rule (or an unmodelled form) and ends the process with
// status 3: the harness runs each case in a child process.
[[noreturn]] void fail(const char* what);
dim3e& thread_idx();
dim3e& block_idx();
dim3e& block_dim();
dim3e& grid_dim();
unsigned char* window();    // the shared::cta window of the running CTA; shared address 0
unsigned char* dyn_smem();  // start of the dynamic shared memory in it
std::size_t window_size();
void syncthreads();
int shfl_sync_idx(unsigned mask, int v, int src);

namespace px {
// Operand access: PTX registers as raw bits, whatever C++ type the asm binds.
template <class T> inline uint32_t b32(const T& v) {
    static_assert(sizeof(T) <= 8, "register operand");
    if constexpr (std::is_same_v<T, float>) { uint32_t u; std::memcpy(&u, &v, 4); return u; }
    else if constexpr (std::is_pointer_v<T>) return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(v));
    else return static_cast<uint32_t>(v);
}
template <class T> inline uint64_t b64(const T& v) {
    if constexpr (std::is_pointer_v<T>) return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(v));
    else if constexpr (std::is_same_v<T, double>) { uint64_t u; std::memcpy(&u, &v, 8); return u; }
    else return static_cast<uint64_t>(v);
}
template <class T> inline uint16_t b16(const T& v) { return static_cast<uint16_t>(b32(v)); }
template <class T> inline float f32(const T& v) { const uint32_t u = b32(v); float f; std::memcpy(&f, &u, 4); return f; }
template <class D, class S> inline void put(D& d, S bits) {
    if constexpr (std::is_same_v<D, float>) { const uint32_t u = static_cast<uint32_t>(bits); std::memcpy(&d, &u, 4); }
    else if constexpr (std::is_same_v<D, bool>) d = bits != 0;
    else d = static_cast<D>(bits);
}
template <class D> inline void put(D& d, float v) {
    if constexpr (std::is_same_v<D, float>) d = v; else { uint32_t u; std::memcpy(&u, &v, 4); d = static_cast<D>(u); }
}

// Special registers: %laneid, %lanemask_lt, %cluster_ctarank, %cluster_nctarank (scheduler.cpp).
uint32_t sreg(const char* name);
// The generic -> async proxy fence (memory.cpp).
void fence_proxy_async_shared_cta();

// Synchronisation (sync.cpp).
void mbarrier_init(uint32_t bar, uint32_t count);
void fence_mbarrier_init();
void mbarrier_arrive_expect_tx(uint32_t bar, uint32_t bytes);
void mbarrier_arrive(uint32_t bar);
void mbarrier_arrive_cluster(uint32_t cluster_addr);
bool mbarrier_try_wait_parity(uint32_t bar, uint32_t parity);
uint32_t mapa_shared_cluster(uint32_t addr, uint32_t rank);
void barrier_cluster_arrive();
void barrier_cluster_wait();
void bar_sync(uint32_t id, uint32_t count);
void bar_arrive(uint32_t id, uint32_t count);

// Tensor copies (tma.cpp).
void prefetch_tensormap(uint64_t map);
void tma_load_tile(uint32_t dst, uint64_t map, const int32_t* coords, int rank, uint32_t bar);
void tma_load_tile_multicast(uint32_t dst, uint64_t map, const int32_t* coords, int rank, uint32_t bar, uint16_t mask);
void tma_store_tile(uint64_t map, const int32_t* coords, int rank, uint32_t src);
void bulk_commit_group();
void bulk_wait_group(uint32_t n, bool read_only);

// Warpgroup MMA (wgmma.cpp).
void wgmma_fence();
void wgmma_commit_group();
void wgmma_wait_group(uint32_t n);
void wgmma_mma_async_ss(int n, bool bf16, float* const* d, uint64_t desc_a, uint64_t desc_b, bool scale_d,
                        int scale_a, int scale_b, int trans_a, int trans_b);
void wgmma_mma_async_rs(int n, bool bf16, float* const* d, const uint32_t* a, uint64_t desc_b, bool scale_d, int scale_a,
                        int scale_b, int trans_b);

// Warp collectives (warp.cpp).
void setmaxnreg(uint32_t n, bool inc);
void stmatrix_m8n8(uint32_t addr, const uint32_t* regs, int num, bool trans);
uint32_t shfl_sync(int mode, uint32_t a, uint32_t b, uint32_t c, uint32_t mask);  // mode 0 bfly, 1 idx

// Conversions and approximate math (numeric.cpp).
uint32_t cvt_rn_bf16x2_f32(float a, float b);
uint32_t cvt_rn_f16x2_f32(float a, float b);
float cvt_f32_f16(uint16_t h);
float ex2_approx_ftz(float x);
float lg2_approx_ftz(float x);
float tanh_approx(float x);
float rcp_approx_ftz(float x);
}  // namespace px
}  // namespace emu
