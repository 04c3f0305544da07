package io.classwise.tensor.cpu;

/** How {@link CpuBackend} computes convolutions (the weight gradient is im2col + sgemm in every case). */
public enum CpuConvolution {
    /** Unrolled receptive fields (im2col) times the weights with OpenBLAS sgemm: any CPU. */
    IM2COL_SGEMM(-1),
    /** Implicit GEMM with the portable C micro-kernel: the reference of the vector kernels, slow. */
    IMPLICIT_GEMM_PORTABLE(0),
    /** Implicit GEMM with the AVX2 + FMA micro-kernel (native/cpu/classwise_conv.h). */
    IMPLICIT_GEMM_AVX2(1),
    /** Implicit GEMM with the AVX-512 micro-kernel. */
    IMPLICIT_GEMM_AVX512(2);

    /** classwise_conv.h's CW_KERNEL_* id; -1 for im2col. */
    final int kernelId;

    CpuConvolution(int kernelId) { this.kernelId = kernelId; }

    /** The fastest this machine runs: the widest implicit-GEMM kernel the CPU has, else im2col + sgemm. */
    public static CpuConvolution best() {
        if (IMPLICIT_GEMM_AVX512.unavailabilityCause() == null) return IMPLICIT_GEMM_AVX512;
        if (IMPLICIT_GEMM_AVX2.unavailabilityCause() == null) return IMPLICIT_GEMM_AVX2;
        return IM2COL_SGEMM;
    }

    /** Why this choice cannot run here, or null when it can. */
    public String unavailabilityCause() {
        if (this == IM2COL_SGEMM) return null;
        if (!NativeCpuKernels.AVAILABLE) return NativeCpuKernels.REASON;
        if (this == IMPLICIT_GEMM_PORTABLE) return null;
        if (NativeCpuKernels.convHasVectorKernels() == 0) return "this build of native/cpu has no x86-64 vector kernels";
        if (this == IMPLICIT_GEMM_AVX2) return NativeCpuKernels.cpuHasAvx2Fma() != 0 ? null : "this CPU has no AVX2 + FMA";
        return NativeCpuKernels.cpuAvx512Level() >= 1 ? null : "this CPU has no AVX-512 (F, CD, BW, DQ, VL)";
    }
}
