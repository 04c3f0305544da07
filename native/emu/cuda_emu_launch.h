// The emulated device's kernel launcher, compiled into the jar by JavaCPP's builder
// (io.classwise.tensor.cuda.EmulatedKernels, pom.xml): native/cuda's kernels run under cuda_emu.h, launched by
// name with the argument slots KernelModule fills for cuLaunchKernel (8 bytes each, little-endian: a device
// pointer or an int64 in all 8, a float or an int in the first 4). Slow by design: it exists to execute the CUDA
// backend's own code on machines without a GPU.
#pragma once
#if defined(__linux__) && defined(__x86_64__) && defined(__GNUC__)
#include "cuda_emu.h"
#include "../cuda/kernels.cu"

#include <map>
#include <utility>

namespace cw_emu_dispatch {

template <class T> T fromSlot(const unsigned char* slot) {
    T v;
    std::memcpy(&v, slot, sizeof(T));
    return v;
}

template <class... P, std::size_t... I>
void call(void (*kernel)(P...), dim3 grid, dim3 block, const unsigned char* slots, std::index_sequence<I...>) {
    cw_emu::launchKernel(kernel, grid, block, fromSlot<P>(slots + 8 * I)...);
}

using Launcher = void (*)(dim3, dim3, const unsigned char*);

template <class... P> constexpr std::size_t arity(void (*)(P...)) { return sizeof...(P); }

#define CW_KERNEL(name) {#name, [](dim3 g, dim3 b, const unsigned char* s) { call(name, g, b, s, std::make_index_sequence<arity(name)>{}); }}

inline const std::map<std::string, Launcher>& kernels() {
    static const std::map<std::string, Launcher> table = {
        CW_KERNEL(cw_fill), CW_KERNEL(cw_axpy), CW_KERNEL(cw_scale), CW_KERNEL(cw_add), CW_KERNEL(cw_relu), CW_KERNEL(cw_relu_backward),
        CW_KERNEL(cw_swish), CW_KERNEL(cw_swish_backward), CW_KERNEL(cw_zero_pad2d), CW_KERNEL(cw_zero_pad2d_backward),
        CW_KERNEL(cw_add_row_vector), CW_KERNEL(cw_normalize_channels), CW_KERNEL(cw_normalize_channels_backward), CW_KERNEL(cw_scale_rows),
        CW_KERNEL(cw_add_at_labels), CW_KERNEL(cw_copy_rows_where), CW_KERNEL(cw_sum_rows), CW_KERNEL(cw_l2_normalize_rows),
        CW_KERNEL(cw_l2_normalize_rows_backward), CW_KERNEL(cw_max_pool_forward), CW_KERNEL(cw_max_pool_backward),
        CW_KERNEL(cw_avg_pool_forward), CW_KERNEL(cw_avg_pool_backward), CW_KERNEL(cw_softmax_cross_entropy), CW_KERNEL(cw_softmax),
        CW_KERNEL(cw_kl_divergence), CW_KERNEL(cw_boosted_cross_entropy), CW_KERNEL(cw_margin_loss), CW_KERNEL(cw_argmax_rows),
        CW_KERNEL(cw_dlr_loss), CW_KERNEL(cw_linf_pgd_step), CW_KERNEL(cw_linf_pgd_step_per_row), CW_KERNEL(cw_linf_pgd_step_rows),
        CW_KERNEL(cw_l2_pgd_step), CW_KERNEL(cw_momentum_accumulate), CW_KERNEL(cw_sgd_step), CW_KERNEL(cw_class_counts),
        CW_KERNEL(cw_flip_matrix), CW_KERNEL(cw_bn_inference_backward),
    };
    return table;
}

} // namespace cw_emu_dispatch

/**
 * Launches kernel<<<blocks, threads>>> with its arguments in 8-byte slots; order 0/1/2 = forward/reverse/random
 * schedule (seeded), sms = the multiprocessor count launch shapes were computed for. Returns null, or what went
 * wrong (an unknown kernel, or a misuse cuda_emu found: a barrier or collective that cannot complete, a launch
 * beyond CUDA's limits). Not thread-safe: the caller serialises launches.
 */
inline const char* cw_emu_launch(const char* kernel, int blocks, int threads, const void* slots, int order, long long seed) {
    static thread_local std::string error;
    try {
        auto& table = cw_emu_dispatch::kernels();
        auto it = table.find(kernel);
        if (it == table.end()) { error = std::string("no kernel named ") + kernel + " in native/cuda"; return error.c_str(); }
        cw_emu::config.order = order == 1 ? cw_emu::Order::REVERSE : order == 2 ? cw_emu::Order::RANDOM : cw_emu::Order::FORWARD;
        cw_emu::config.seed = (uint64_t) seed;
        cw_emu::config.throwOnFailure = true;
        it->second(dim3((unsigned) blocks), dim3((unsigned) threads), static_cast<const unsigned char*>(slots));
        return nullptr;
    } catch (const std::exception& e) {
        error = std::string(kernel) + ": " + e.what();
        return error.c_str();
    }
}

/** How many kernels the launcher knows (the Java side checks it against its own list). */
inline int cw_emu_kernel_count() { return (int) cw_emu_dispatch::kernels().size(); }

#else
// cuda_emu switches fibers in x86-64 assembly and finds __shared__ variables through an ELF section: elsewhere the
// emulated device is not built, and says so (the rest of the jar is unaffected).
inline const char* cw_emu_launch(const char*, int, int, const void*, int, long long) {
    return "the CUDA emulation is built only on Linux x86-64 with GCC or Clang";
}
inline int cw_emu_kernel_count() { return 0; }
#endif
