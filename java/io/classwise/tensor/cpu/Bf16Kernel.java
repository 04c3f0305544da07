package io.classwise.tensor.cpu;

import java.util.Locale;

/**
 * How {@link CpuBackend} multiplies in {@link io.classwise.tensor.Precision#BF16}: operands rounded to bfloat16,
 * products summed in fp32 (native/cpu/classwise_bf16.h, classwise_amx_conv.h). A native kernel computes every
 * convolution (forward, input and weight gradient) and every matrix product; only {@link #EMULATED} rounds the
 * operands into copies and runs the fp32 kernels.
 */
public enum Bf16Kernel {
    /** Operands rounded to bf16 into scratch copies, then the fp32 kernels: the reference, and the fallback on any CPU. */
    EMULATED(-1, "emulated"),
    /** classwise_bf16.h's plain-C micro-kernel (cw_bf16_ukr_ref): the reference of the vector kernels; slow. */
    PORTABLE(0, "portable"),
    /** vdpbf16ps (AVX-512 BF16): 16 lanes, two products each, per instruction. */
    AVX512_BF16(1, "avx512-bf16"),
    /** AMX tiles: tdpbf16ps, a (16 × 32) · (32 × 16) product per instruction. */
    AMX(2, "amx");

    /** classwise_bf16.h's CW_BF16_KERNEL_* id; -1 for the emulation. */
    final int id;
    private final String flag;

    /** vdpbf16ps must do at least this many times the FMA's multiply-adds per second to be chosen over the emulation. */
    static final double MIN_DOT_SPEEDUP = 1.2;

    Bf16Kernel(int id, String flag) {
        this.id = id;
        this.flag = flag;
    }

    /** The name --bf16-kernel takes. */
    public String flag() { return flag; }

    /** Whether this kernel computes in native code (anything but the emulation). */
    public boolean isNative() { return id >= 0; }

    /** auto (the {@link #best()} for this CPU), amx, avx512-bf16, portable or emulated. */
    public static Bf16Kernel parse(String s) {
        Bf16Kernel named = named(s);
        return named != null ? named : best();
    }

    /**
     * The kernel a --bf16-kernel value names, or null for auto, without asking the CPU anything (AMX's permission request
     * and the vdpbf16ps probe are for a run that multiplies in bf16, not for checking a flag).
     */
    public static Bf16Kernel named(String s) {
        String v = s == null ? "auto" : s.toLowerCase(Locale.ROOT);
        if (v.equals("auto")) return null;
        for (Bf16Kernel k : values()) if (k.flag.equals(v)) return k;
        throw new IllegalArgumentException("--bf16-kernel must be auto, amx, avx512-bf16, portable or emulated, got '" + s + "'");
    }

    /** Why this kernel cannot run here, or null when it can. */
    public String unavailabilityCause() {
        if (this == EMULATED) return null;
        if (!NativeCpuKernels.AVAILABLE) return NativeCpuKernels.REASON;
        if (this == PORTABLE) return null;
        if (NativeCpuKernels.convHasVectorKernels() == 0) return "this build of native/cpu has no x86-64 bf16 kernels";
        if (NativeCpuKernels.cpuAvx512Level() < 2) return "this CPU has no AVX-512 BF16";
        if (this == AMX && !Probe.AMX_READY) return "this CPU has no AMX-BF16 tiles, or the OS refused this process tile state";
        return null;
    }

    /** The fastest kernel this machine runs: AMX, else vdpbf16ps where it outruns fp32 FMAs, else the emulation. */
    public static Bf16Kernel best() {
        if (AMX.unavailabilityCause() == null) return AMX;
        if (AVX512_BF16.unavailabilityCause() == null && Probe.dotSpeedup() >= MIN_DOT_SPEEDUP) return AVX512_BF16;
        return EMULATED;
    }

    /** For {@code info} and {@code bench}: which kernel {@link #best()} picks here, and why. */
    public static String choiceReason() {
        Bf16Kernel best = best();
        if (best == AMX) return "amx: AMX-BF16 tiles (tdpbf16ps), granted by the OS";
        String amx = AMX.unavailabilityCause();
        if (best == AVX512_BF16) return String.format(Locale.ROOT, "avx512-bf16: vdpbf16ps measured at %.2f× the fp32 FMA's multiply-adds "
                + "per second here (no AMX: %s)", Probe.dotSpeedup(), amx);
        String dot = AVX512_BF16.unavailabilityCause();
        if (dot != null) return "emulated (bf16-rounded operands, fp32 kernels): " + dot;
        return String.format(Locale.ROOT, "emulated (bf16-rounded operands, fp32 kernels): vdpbf16ps measured at %.2f× the fp32 FMA's "
                + "multiply-adds per second here, below %.1f× (no AMX: %s)", Probe.dotSpeedup(), MIN_DOT_SPEEDUP, amx);
    }

    /** The CPU questions asked once per process: AMX's permission request, and the vdpbf16ps speed probe (≈ 3 ms). */
    private static final class Probe {
        static final boolean AMX_READY = NativeCpuKernels.AVAILABLE && NativeCpuKernels.convHasVectorKernels() != 0
                && NativeCpuKernels.cpuAvx512Level() >= 2 && NativeCpuKernels.cpuAmxReady() != 0;
        private static volatile double dotSpeedup = Double.NaN;

        static double dotSpeedup() {
            if (Double.isNaN(dotSpeedup)) dotSpeedup = NativeCpuKernels.bf16DotSpeedup();
            return dotSpeedup;
        }
    }
}
