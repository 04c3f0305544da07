package io.classwise.tensor.cpu;

import io.classwise.tensor.HostStorage;
import io.classwise.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import java.util.Locale;
import java.util.Optional;

/** The only door to OpenBLAS: loading, the sgemm call with element offsets, and what to report about it. */
public final class Blas {
    private Blas() {}

    private static volatile Throwable loadFailure;
    private static volatile boolean loaded;
    /** The OPENBLAS_CORETYPE Classwise requested before loading OpenBLAS, if any. */
    private static volatile String requestedCoreType;
    private static volatile String coreTypeNote = "not loaded";

    /** Loads the native library once; throws a clear error if it cannot be loaded on this platform. */
    public static synchronized void ensureLoaded() {
        if (loaded) return;
        if (loadFailure != null) throw new IllegalStateException("OpenBLAS is unavailable: " + loadFailure, loadFailure);
        try {
            steerCoreType();
            Loader.load(openblas.class);
            // Classwise parallelises over the batch above BLAS; BLAS's own threads would oversubscribe.
            openblas.blas_set_num_threads(1);
            loaded = true;
        } catch (Throwable e) {
            loadFailure = e;
            throw new IllegalStateException("OpenBLAS is unavailable on " + Loader.getPlatform() + ": " + e, e);
        }
    }

    /**
     * Before OpenBLAS loads: request the kernel family it would misdetect on this CPU (BlasCoreType).
     * Needs the native helpers for CPUID and setenv; without them OpenBLAS decides alone.
     */
    private static void steerCoreType() {
        String fromUser = System.getenv("OPENBLAS_CORETYPE");
        if (fromUser != null) { coreTypeNote = "OPENBLAS_CORETYPE=" + fromUser + " (from the environment)"; return; }
        if (!NativeCpuKernels.AVAILABLE) { coreTypeNote = "OpenBLAS's own detection"; return; }
        var choice = BlasCoreType.override(NativeCpuKernels.cpuIsAmd() != 0, NativeCpuKernels.cpuFamily(),
                NativeCpuKernels.cpuAvx512Level());
        if (choice.isEmpty()) { coreTypeNote = "OpenBLAS's own detection"; return; }
        if (NativeCpuKernels.setenvIfUnset("OPENBLAS_CORETYPE", choice.get()) != 0) {
            coreTypeNote = "OpenBLAS's own detection (setting OPENBLAS_CORETYPE failed)";
            return;
        }
        requestedCoreType = choice.get();
        coreTypeNote = "OPENBLAS_CORETYPE=" + choice.get() + " (set by Classwise: " + openblas.OPENBLAS_VERSION.trim()
                + " does not recognise AMD family " + Integer.toHexString(NativeCpuKernels.cpuFamily()).toUpperCase(Locale.ROOT)
                        + "h and would run AVX2 kernels)";
    }

    /**
     * The core type Classwise asked OpenBLAS for, empty when OpenBLAS chose alone, the user did, or
     * OpenBLAS has not been loaded (yet) in this process.
     */
    public static Optional<String> requestedCoreType() {
        return Optional.ofNullable(requestedCoreType);
    }

    /** How OpenBLAS's kernel family was chosen, for {@code info}. */
    public static String coreTypeNote() {
        ensureLoaded();
        return coreTypeNote;
    }

    /** Why OpenBLAS cannot be used, or null when it can. */
    public static String unavailabilityCause() {
        try {
            ensureLoaded();
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** The BLAS library's name and version, as compiled into the preset. */
    public static String description() {
        ensureLoaded();
        return openblas.OPENBLAS_VERSION.trim() + " (JavaCPP preset, " + Loader.getPlatform() + ")";
    }

    /** Threads BLAS itself may use; Classwise sets 1 and parallelises above it. */
    public static int threads() {
        ensureLoaded();
        return openblas.blas_get_num_threads();
    }

    static FloatPointer pointer(Tensor t) { return new FloatPointer(HostStorage.of(t)); }

    /**
     * Row-major C[cOff..] = alpha·op(A[aOff..])·op(B[bOff..]) + beta·C with leading dimensions
     * lda, ldb, ldc. Offsets are in floats; each call makes a fresh positioned pointer so that
     * threads can share the base pointers.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      FloatPointer a, long aOff, int lda, FloatPointer b, long bOff, int ldb,
                      float beta, FloatPointer c, long cOff, int ldc) {
        if (m == 0 || n == 0) return;
        openblas.cblas_sgemm(openblas.CblasRowMajor,
                transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans,
                m, n, k, alpha,
                a.getPointer(FloatPointer.class, aOff), lda,
                b.getPointer(FloatPointer.class, bOff), ldb,
                beta, c.getPointer(FloatPointer.class, cOff), ldc);
    }
}
