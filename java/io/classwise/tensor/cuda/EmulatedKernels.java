package io.classwise.tensor.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of native/emu/cuda_emu_launch.h: native/cuda's kernels compiled with the system's C++ compiler
 * under cuda_emu.h (every CUDA thread a fiber, barriers and warp collectives checked), generated and built by
 * JavaCPP's builder at build time (pom.xml) and carried in the jar. Launches are serialised here.
 */
@Platform(include = "cuda_emu_launch.h", compiler = "cpp17")
final class EmulatedKernels {
    static final String REASON;

    static {
        String why = null;
        try {
            Loader.load();
            if (kernelCount() == 0) why = "the CUDA emulation is built only on Linux x86-64 (native/emu/cuda_emu.h)";
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            why = "the emulated CUDA kernels could not be loaded (" + e.getMessage() + ")";
        }
        REASON = why;
    }

    private EmulatedKernels() {}

    /** Null when the emulation library loaded, else why not. */
    static String unavailabilityCause() { return REASON; }

    /** kernel<<<blocks, threads>>>(the 8-byte slots at args); order 0/1/2: forward/reverse/random schedule. Null, or what went wrong. */
    @Name("cw_emu_launch")
    private static native String launchNative(String kernel, int blocks, int threads, @Cast("const void*") long args, int order, long seed);

    @Name("cw_emu_kernel_count") static native int kernelCount();

    static synchronized String launch(String kernel, int blocks, int threads, long args, int order, long seed) {
        return launchNative(kernel, blocks, threads, args, order, seed);
    }
}
