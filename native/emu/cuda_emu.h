// A CUDA execution model for the CPU, so that native/cuda's kernels — unmodified — run under g++ on any
// machine and are compared with plain C++ references (native/emu/kernel_tests.cpp). Include it, then the
// kernels' source, in one translation unit (it defines an assembly routine).
//
// What it models:
// - every CUDA thread is a fiber (its own stack; a 14-instruction x86-64 context switch); the blocks of a
//   launch run one after the other, their threads interleaved at every __syncthreads and warp collective;
// - __syncthreads releases only when every live thread of the block has arrived, at the same source line;
//   a thread that exits while others wait at a barrier, barriers reached at different lines, and a deadlock
//   are reported by file and line;
// - __shfl_down_sync completes only when every lane named in its mask has arrived; a mask naming a missing or
//   exited lane, and a shuffle reading a lane outside its mask, are reported;
// - __shared__ memory is filled with 0xFF bytes (NaN floats, -1 integers) before every block, so a read before
//   a write fails loudly instead of reading zeros;
// - schedules: forward, reverse, or seeded random (which also shuffles the block order) — a missing barrier
//   shows up under one of them;
// - launch limits: at most 1,024 threads per block; full-mask collectives need blocks of whole warps;
// - under ThreadSanitizer every CUDA thread is a TSan fiber, and only barriers, warp collectives and the
//   launch's start and end order threads (blocks are ordered one after the other), so a missing barrier or
//   an atomicAdd replaced by += within a block is a reported race;
// - under AddressSanitizer the fibers' stacks are announced to it, so out-of-bounds accesses are reported.
// What it cannot model: real concurrency between blocks, the GPU memory model, stream/async ordering,
// shared-memory and register limits, nvcc's FMA contraction and device math precision.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#if defined(__SANITIZE_THREAD__)
#define CW_EMU_TSAN 1
#include <sanitizer/tsan_interface.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CW_EMU_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// Function-local statics all land in one section, which the scheduler poisons before each block.
#define __shared__ static __attribute__((section("cw_emu_shared")))

using std::min;
using std::max;

struct uint3 { unsigned x = 0, y = 0, z = 0; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

extern "C" void cw_emu_switch(void** save, void* load);
asm(R"(
.text
.globl cw_emu_switch
.type cw_emu_switch,@function
cw_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size cw_emu_switch,.-cw_emu_switch
.section .note.GNU-stack,"",@progbits
.text
)");

extern "C" char __start_cw_emu_shared[] __attribute__((weak));
extern "C" char __stop_cw_emu_shared[] __attribute__((weak));

namespace cw_emu {

enum class Order { FORWARD, REVERSE, RANDOM };

/** How launches are scheduled: the order of threads (and, when random, of blocks), and the number of SMs the
 *  launch shapes of the Java side are computed for (grids are capped at SMs × 32, so grid-stride loops wrap). */
struct Config {
    Order order = Order::FORWARD;
    uint64_t seed = 1;
    int multiprocessors = 132;
    /** false: a misuse aborts the process (the test program); true: the launch throws std::runtime_error (inside a JVM). */
    bool throwOnFailure = false;
};
inline Config config;

/** A misuse found inside a fiber, waiting to be thrown by the scheduler (exceptions do not cross fiber stacks). */
inline std::string pendingFailure;
inline bool inFiber = false;

[[noreturn]] inline void failInFiber();

[[noreturn]] inline void fail(const std::string& what) {
    if (config.throwOnFailure) {
        if (inFiber) {
            pendingFailure = what;
            failInFiber();
        }
        throw std::runtime_error("cuda_emu: " + what);
    }
    std::fprintf(stderr, "cuda_emu: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

enum State : int { RUNNABLE, AT_BARRIER, AT_COLLECTIVE, DONE, FAILED };

struct Thread {
    void* sp = nullptr;
    char* stack = nullptr;
    size_t stackSize = 0;
    int tid = 0;
    int state = RUNNABLE;             // relaxed atomics: written by the fiber, read by the scheduler
    const char* file = nullptr;
    int line = 0;
    unsigned mask = 0;                // the collective's mask
    int delta = 0;
    uint64_t value = 0, result = 0;   // the collective's operand and result, as raw bits
#ifdef CW_EMU_TSAN
    void* fiber = nullptr;
#endif
#ifdef CW_EMU_ASAN
    void* fakeStack = nullptr;
#endif
};

template <class T> inline T load(const T& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
template <class T> inline void store(T& v, T x) { __atomic_store_n(&v, x, __ATOMIC_RELAXED); }

struct Launch {
    ~Launch() {
        for (Thread& t : threads) std::free(t.stack);
    }
    std::vector<Thread> threads;
    void* schedulerSp = nullptr;
    Thread* current = nullptr;
    void (*body)(void*) = nullptr;
    void* bodyArg = nullptr;
#ifdef CW_EMU_TSAN
    void* schedulerFiber = nullptr;
    char blockStart = 0, blockEnd = 0, barrier[2] = {0, 0}, warp[32][2] = {};
    int barrierGeneration = 0, warpGeneration[32] = {};
#endif
#ifdef CW_EMU_ASAN
    const void* schedulerStackBottom = nullptr;
    size_t schedulerStackSize = 0;
#endif
};
inline Launch launch;
inline uint3 blockIdx_, blockDim_, gridDim_;

/** threadIdx of the running fiber (the scheduler sets launch.current before it switches to one). */
inline uint3 threadIdx3() { return uint3{(unsigned) __atomic_load_n(&launch.current, __ATOMIC_RELAXED)->tid, 0, 0}; }

inline void enterScheduler(Thread& t, bool exiting) {
#ifdef CW_EMU_TSAN
    __tsan_switch_to_fiber(launch.schedulerFiber, __tsan_switch_to_fiber_no_sync);
#endif
#ifdef CW_EMU_ASAN
    __sanitizer_start_switch_fiber(exiting ? nullptr : &t.fakeStack, launch.schedulerStackBottom, launch.schedulerStackSize);
#else
    (void) exiting;
#endif
    cw_emu_switch(&t.sp, launch.schedulerSp);
#ifdef CW_EMU_ASAN
    __sanitizer_finish_switch_fiber(t.fakeStack, nullptr, nullptr);
#endif
}

inline void trampoline() {
    Thread& t = *__atomic_load_n(&launch.current, __ATOMIC_RELAXED);
#ifdef CW_EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &launch.schedulerStackBottom, &launch.schedulerStackSize);
#endif
#ifdef CW_EMU_TSAN
    __tsan_acquire(&launch.blockStart);
#endif
    launch.body(launch.bodyArg);
    store(t.state, (int) DONE);
#ifdef CW_EMU_TSAN
    __tsan_release(&launch.blockEnd); // after the last write of this thread, the scheduler's acquire at the block's end sees them all
#endif
    enterScheduler(t, true);
    fail("a finished thread was resumed");
}

inline void resume(Thread& t) {
    __atomic_store_n(&launch.current, &t, __ATOMIC_RELAXED);
    inFiber = true;
    void* sp = t.sp; // read as the scheduler, before the switch makes ThreadSanitizer attribute accesses to the fiber
#ifdef CW_EMU_TSAN
    __tsan_switch_to_fiber(t.fiber, __tsan_switch_to_fiber_no_sync);
#endif
#ifdef CW_EMU_ASAN
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, t.stack, t.stackSize);
    cw_emu_switch(&launch.schedulerSp, sp);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
    cw_emu_switch(&launch.schedulerSp, sp);
#endif
    inFiber = false;
    if (load(t.state) == FAILED) {
        std::string what = pendingFailure;
        pendingFailure.clear();
        throw std::runtime_error("cuda_emu: " + what);
    }
}

/** A fiber that found a misuse leaves for good; resume() then throws in the scheduler. */
[[noreturn]] inline void failInFiber() {
    Thread& t = *__atomic_load_n(&launch.current, __ATOMIC_RELAXED);
    store(t.state, (int) FAILED);
    enterScheduler(t, true);
    std::abort(); // never resumed
}

/** A fresh fiber for thread t whose first switch enters trampoline(). */
inline void prepare(Thread& t) {
    if (t.stack == nullptr) {
        t.stackSize = 256 * 1024;
        t.stack = static_cast<char*>(std::aligned_alloc(64, t.stackSize));
    }
#ifdef CW_EMU_ASAN
    __asan_unpoison_memory_region(t.stack, t.stackSize); // the redzones of the previous block's frames
#endif
    auto* top = reinterpret_cast<uint64_t*>(t.stack + t.stackSize);
    *--top = 0;                                            // trampoline's (never used) return address
    *--top = reinterpret_cast<uint64_t>(&trampoline);      // where cw_emu_switch's ret goes
    for (int r = 0; r < 6; r++) *--top = 0;                // rbp, rbx, r12-r15
    t.sp = top;
    store(t.state, (int) RUNNABLE);
#ifdef CW_EMU_TSAN
    if (t.fiber == nullptr) t.fiber = __tsan_create_fiber(0);
#endif
}

inline std::string where(const Thread& t) {
    const char* f = load(t.file);
    return std::string(f ? f : "?") + ":" + std::to_string(load(t.line));
}

/** Completes every warp collective whose lanes have all arrived; true if one completed. */
inline bool completeCollectives(int n) {
    bool any = false;
    for (int w = 0; w * 32 < n; w++) {
        int first = -1;
        for (int l = 0; l < 32 && w * 32 + l < n; l++)
            if (load(launch.threads[w * 32 + l].state) == AT_COLLECTIVE) { first = w * 32 + l; break; }
        if (first < 0) continue;
        const unsigned mask = load(launch.threads[first].mask);
        bool ready = true;
        for (int l = 0; l < 32; l++) {
            if (!(mask >> l & 1u)) continue;
            const int tid = w * 32 + l;
            if (tid >= n) fail("a warp collective at " + where(launch.threads[first]) + " names lane " + std::to_string(l) + " of warp "
                               + std::to_string(w) + ", which does not exist: the block has " + std::to_string(n)
                               + " threads, not a multiple of 32");
            const Thread& t = launch.threads[tid];
            const int s = load(t.state);
            if (s == DONE) fail("a warp collective at " + where(launch.threads[first]) + " waits for lane " + std::to_string(l)
                                + " (thread " + std::to_string(tid) + "), which has exited");
            if (s != AT_COLLECTIVE) { ready = false; break; }
            if (load(t.mask) != mask || load(t.line) != load(launch.threads[first].line) || load(t.file) != load(launch.threads[first].file))
                fail("lanes of warp " + std::to_string(w) + " meet at different collectives: " + where(launch.threads[first]) + " and " + where(t));
        }
        if (!ready) continue;
        for (int l = 0; l < 32; l++) {
            if (!(mask >> l & 1u)) continue;
            Thread& t = launch.threads[w * 32 + l];
            const int src = l + load(t.delta);
            if (src >= 32) { store(t.result, load(t.value)); }
            else {
                if (!(mask >> src & 1u)) fail("__shfl_down_sync at " + where(t) + ": lane " + std::to_string(l) + " reads lane "
                                              + std::to_string(src) + ", outside its mask");
                store(t.result, load(launch.threads[w * 32 + src].value));
            }
            store(t.state, (int) RUNNABLE);
        }
        any = true;
    }
    return any;
}

/** Releases a barrier every live thread has reached (at one line); fails on exited threads or a deadlock. */
inline void completeBarrierOrFail(int n) {
    int atBarrier = 0, done = 0, first = -1;
    for (int i = 0; i < n; i++) {
        const int s = load(launch.threads[i].state);
        if (s == AT_BARRIER) { atBarrier++; if (first < 0) first = i; }
        if (s == DONE) done++;
    }
    if (atBarrier == 0) {
        std::string waiting;
        for (int i = 0; i < n; i++)
            if (load(launch.threads[i].state) == AT_COLLECTIVE) { waiting = where(launch.threads[i]); break; }
        fail("deadlock in block " + std::to_string(blockIdx_.x) + ": threads wait at a warp collective (" + waiting
             + ") that cannot complete");
    }
    if (atBarrier + done != n) fail("deadlock in block " + std::to_string(blockIdx_.x) + ": threads wait at __syncthreads ("
                                    + where(launch.threads[first]) + ") while others wait at a warp collective");
    if (done > 0) {
        int exited = -1;
        for (int i = 0; i < n; i++) if (load(launch.threads[i].state) == DONE) { exited = i; break; }
        fail("thread " + std::to_string(exited) + " of block " + std::to_string(blockIdx_.x) + " exited while "
             + std::to_string(atBarrier) + " threads wait at __syncthreads (" + where(launch.threads[first]) + ")");
    }
    for (int i = 0; i < n; i++) {
        const Thread& t = launch.threads[i];
        if (load(t.line) != load(launch.threads[first].line) || load(t.file) != load(launch.threads[first].file))
            fail("threads of block " + std::to_string(blockIdx_.x) + " reach different __syncthreads: " + where(launch.threads[first])
                 + " (thread " + std::to_string(first) + ") and " + where(t) + " (thread " + std::to_string(i) + ")");
    }
    for (int i = 0; i < n; i++) store(launch.threads[i].state, (int) RUNNABLE);
}

inline void runBlock(int n, std::mt19937_64& rng) {
    if (__start_cw_emu_shared != nullptr) std::memset(__start_cw_emu_shared, 0xFF, __stop_cw_emu_shared - __start_cw_emu_shared);
    for (int i = 0; i < n; i++) prepare(launch.threads[i]);
#ifdef CW_EMU_TSAN
    __tsan_release(&launch.blockStart);
#endif
    std::vector<int> order(n);
    for (int i = 0; i < n; i++) order[i] = config.order == Order::REVERSE ? n - 1 - i : i;
    for (;;) {
        if (config.order == Order::RANDOM) std::shuffle(order.begin(), order.end(), rng);
        bool ran = false;
        for (int i : order) {
            if (load(launch.threads[i].state) != RUNNABLE) continue;
            resume(launch.threads[i]);
            ran = true;
        }
        bool live = false;
        for (int i = 0; i < n; i++) live |= load(launch.threads[i].state) != DONE;
        if (!live) break;
        if (completeCollectives(n)) continue;
        bool runnable = false;
        for (int i = 0; i < n; i++) runnable |= load(launch.threads[i].state) == RUNNABLE;
        if (!runnable) completeBarrierOrFail(n);
        (void) ran;
    }
#ifdef CW_EMU_TSAN
    __tsan_acquire(&launch.blockEnd);
#endif
}

/** Runs body(arg) as grid × block CUDA threads (1-D launches, as every Classwise kernel uses). */
inline void run(dim3 grid, dim3 block, void (*body)(void*), void* arg) {
    if (block.x < 1 || block.x > 1024 || block.y != 1 || block.z != 1) fail("launch of " + std::to_string(block.x) + "x"
        + std::to_string(block.y) + "x" + std::to_string(block.z) + " threads per block: beyond CUDA's limit of 1,024 (or not 1-D)");
    if (grid.x < 1 || grid.y != 1 || grid.z != 1) fail("launch with an empty or non-1-D grid");
#ifdef CW_EMU_TSAN
    if (launch.schedulerFiber == nullptr) launch.schedulerFiber = __tsan_get_current_fiber();
#endif
    const int n = (int) block.x;
    if ((int) launch.threads.size() < n) launch.threads.resize(n);
    for (int i = 0; i < n; i++) launch.threads[i].tid = i;
    launch.body = body;
    launch.bodyArg = arg;
    blockDim_ = {block.x, 1, 1};
    gridDim_ = {grid.x, 1, 1};
    std::mt19937_64 rng(config.seed);
    std::vector<unsigned> blocks(grid.x);
    for (unsigned b = 0; b < grid.x; b++) blocks[b] = b;
    if (config.order == Order::RANDOM) std::shuffle(blocks.begin(), blocks.end(), rng);
    else if (config.order == Order::REVERSE) std::reverse(blocks.begin(), blocks.end());
    for (unsigned b : blocks) {
        blockIdx_ = {b, 0, 0};
        runBlock(n, rng);
    }
}

/** Launches kernel<<<grid, block>>>(args...). */
template <class... P, class... A>
inline void launchKernel(void (*kernel)(P...), dim3 grid, dim3 block, A... args) {
    struct Call {
        void (*kernel)(P...);
        std::tuple<P...> args;
    } call{kernel, std::tuple<P...>(static_cast<P>(args)...)};
    run(grid, block, [](void* c) {
        auto* k = static_cast<Call*>(c);
        std::apply(k->kernel, k->args);
    }, &call);
}

// ---- the device side ----

inline void syncthreads(const char* file, int line) {
    Thread& t = *__atomic_load_n(&launch.current, __ATOMIC_RELAXED);
    store(t.file, file);
    store(t.line, line);
#ifdef CW_EMU_TSAN
    const int g = load(launch.barrierGeneration);
    __tsan_release(&launch.barrier[g & 1]);
#endif
    store(t.state, (int) AT_BARRIER);
    enterScheduler(t, false);
#ifdef CW_EMU_TSAN
    __tsan_acquire(&launch.barrier[g & 1]);
    // The first thread through a barrier moves the generation on (threads of the next one release into the other slot).
    if (load(launch.barrierGeneration) == g) store(launch.barrierGeneration, g + 1);
#endif
}

template <class T>
inline T shflDown(unsigned mask, T v, int delta, const char* file, int line) {
    static_assert(sizeof(T) <= 8, "a shuffle moves at most 8 bytes");
    Thread& t = *__atomic_load_n(&launch.current, __ATOMIC_RELAXED);
    const int lane = t.tid & 31;
    if (!(mask >> lane & 1u)) fail(std::string("__shfl_down_sync at ") + file + ":" + std::to_string(line) + ": lane "
                                   + std::to_string(lane) + " calls it but is not in its mask");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    store(t.file, file);
    store(t.line, line);
    store(t.mask, mask);
    store(t.delta, delta);
    store(t.value, bits);
#ifdef CW_EMU_TSAN
    const int w = t.tid >> 5, g = load(launch.warpGeneration[w]);
    __tsan_release(&launch.warp[w][g & 1]);
#endif
    store(t.state, (int) AT_COLLECTIVE);
    enterScheduler(t, false);
#ifdef CW_EMU_TSAN
    __tsan_acquire(&launch.warp[w][g & 1]);
    if (load(launch.warpGeneration[w]) == g) store(launch.warpGeneration[w], g + 1);
#endif
    bits = load(t.result);
    T out;
    std::memcpy(&out, &bits, sizeof(T));
    return out;
}

} // namespace cw_emu

#define threadIdx ::cw_emu::threadIdx3()
#define blockIdx ::cw_emu::blockIdx_
#define blockDim ::cw_emu::blockDim_
#define gridDim ::cw_emu::gridDim_
#define __syncthreads() ::cw_emu::syncthreads(__FILE__, __LINE__)
#define __shfl_down_sync(mask, v, delta) ::cw_emu::shflDown((mask), (v), (delta), __FILE__, __LINE__)

inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }

// Atomics as the GPU's: indivisible (a fiber is never interrupted inside one) and, for ThreadSanitizer, atomic.
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline float atomicAdd(float* p, float v) {
    uint32_t* bits = reinterpret_cast<uint32_t*>(p);
    uint32_t old = __atomic_load_n(bits, __ATOMIC_RELAXED), next;
    do {
        float f;
        std::memcpy(&f, &old, 4);
        f += v;
        std::memcpy(&next, &f, 4);
    } while (!__atomic_compare_exchange_n(bits, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return [&] { float f; std::memcpy(&f, &old, 4); return f; }();
}
