package io.classwise.tensor.cpu;

/** How {@link CpuBackend} computes convolutions (the weight gradient is im2col + sgemm in every case). */
public enum CpuConvolution {
    /** Unrolled receptive fields (im2col) times the weights with OpenBLAS sgemm: any CPU. */
    IM2COL_SGEMM,
    /** Implicit GEMM with the portable C micro-kernel: the AVX-512 kernel's reference, slow. */
    IMPLICIT_GEMM_PORTABLE,
    /** Implicit GEMM with the AVX-512 micro-kernel (native/cpu/classwise_conv.h). */
    IMPLICIT_GEMM_AVX512;

    /** The fastest this machine runs: AVX-512 implicit GEMM where the CPU has it, else im2col + sgemm. */
    public static CpuConvolution best() {
        return ImplicitConvolution.avx512Available() ? IMPLICIT_GEMM_AVX512 : IM2COL_SGEMM;
    }

    /** Why this choice cannot run here, or null when it can. */
    String unavailabilityCause() {
        return switch (this) {
            case IM2COL_SGEMM -> null;
            case IMPLICIT_GEMM_PORTABLE -> NativeCpuKernels.AVAILABLE ? null : NativeCpuKernels.REASON;
            case IMPLICIT_GEMM_AVX512 -> ImplicitConvolution.avx512Available() ? null
                    : "this CPU or build has no AVX-512 (F, CD, BW, DQ, VL) micro-kernel";
        };
    }
}
