package io.classwise.tensor.cpu;

import java.util.Optional;

/**
 * Which OpenBLAS kernel family to request where the bundled OpenBLAS (0.3.31) would pick a slower one
 * by itself. Its runtime detection does not know AMD family 1Ah (Zen 5) and falls back to the AVX2
 * Haswell kernels on CPUs that execute AVX-512 at full width (upstream issue OpenMathLib/OpenBLAS#6029,
 * fixed after 0.3.31 by #6033, which picks Cooperlake or SkylakeX there as it already did for Zen 4).
 * On this project's Zen 5 machine that halves sgemm: 137.7 GFLOP/s (Haswell) vs 259.6 (Cooperlake),
 * one thread, 1024³, measured side by side with {@code bench}.
 *
 * <p>The request is the environment variable OPENBLAS_CORETYPE, which OpenBLAS reads once when it is
 * loaded; a value the user set always wins.
 */
final class BlasCoreType {
    private BlasCoreType() {}

    /** First AMD family that OpenBLAS 0.3.31's detection does not recognise. */
    static final int FIRST_UNKNOWN_AMD_FAMILY = 0x1A;

    /**
     * The core type to request, or empty to leave OpenBLAS's own choice.
     *
     * @param avx512Level 0 none, 1 F/CD/BW/DQ/VL, 2 that plus BF16 (classwise_cpuid.h)
     */
    static Optional<String> override(boolean amd, int family, int avx512Level) {
        if (!amd || family < FIRST_UNKNOWN_AMD_FAMILY || avx512Level < 1) return Optional.empty();
        return Optional.of(avx512Level >= 2 ? "COOPERLAKE" : "SKYLAKEX");
    }
}
