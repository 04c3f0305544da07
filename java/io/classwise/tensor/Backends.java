package io.classwise.tensor;

import io.classwise.tensor.cpu.Bf16Kernel;
import io.classwise.tensor.cpu.Blas;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.cpu.CpuConvolution;
import io.classwise.tensor.cuda.CudaBackend;
import io.classwise.tensor.cuda.CudaProbe;
import io.classwise.tensor.reference.ReferenceBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses a backend at start-up and says why when it falls back. The only place above the backends
 * that names their implementations: commands, benchmarks and tools ask it ({@link #describe()},
 * {@link #create}, {@link #createCpu}) instead of importing tensor.cpu or tensor.cuda.
 */
public final class Backends {
    private Backends() {}

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Backends.class);

    /**
     * Whether {@code auto} may pick CUDA. False until the CUDA backend's parity tests have passed on
     * real hardware (benchmarks/gpu/check.sh); {@code --device cuda} selects it explicitly meanwhile.
     */
    static final boolean AUTO_USES_CUDA = false;
    /** The --device name of the emulated CUDA device. */
    public static final String EMULATED_CUDA = "cuda-emulated";
    static final String CUDA_NOT_VERIFIED = "the CUDA backend has not yet passed its parity tests on a GPU; select it with --device cuda";

    /** One backend this build offers: its --device name, why it cannot be used here (null: it can), and what it runs. */
    public record Choice(String device, String unavailabilityCause, String detail) {
        public boolean available() { return unavailabilityCause == null; }
    }

    /**
     * What this build and machine offer, in the order {@code auto} tries them (cuda, cpu, reference),
     * the device {@code auto} chooses and why it passed over the ones before it, and notes (BLAS).
     */
    public record Description(List<Choice> choices, String autoDevice, List<String> autoSkipped, List<String> notes) {}

    /** The one description of the backends: {@code info}, {@code bench} and {@link #create} all use it. */
    public static Description describe() {
        int cores = Runtime.getRuntime().availableProcessors();
        String cuda = CudaProbe.reasonUnusable(), cpu = Blas.unavailabilityCause(), emulated = CudaBackend.emulatedUnavailabilityCause();
        List<Choice> choices = List.of(
                new Choice("cuda", cuda, cuda == null ? "NVIDIA GPU: cuDNN convolutions and batch norm, cuBLAS GEMM, native/cuda kernels" : null),
                new Choice("cpu", cpu, cpu == null ? "OpenBLAS sgemm + " + CpuBackend.kernelDescription() + ", " + cores
                        + " threads" : null),
                new Choice("reference", null, "plain Java loops, the oracle every backend is tested against"),
                new Choice(EMULATED_CUDA, emulated, emulated != null ? null
                        : "a correctness device, slow, not a GPU: the CUDA backend's own code with native/cuda's kernels run on the CPU "
                        + "(cuda_emu) and the CPU backend's convolutions, GEMM and batch norm in place of cuDNN/cuBLAS"));
        List<String> skipped = new ArrayList<>();
        String auto = null;
        for (Choice c : choices) {
            if (c.device().equals(EMULATED_CUDA)) continue; // never chosen by auto: it exists to test the CUDA backend
            String why = c.device().equals("cuda") && c.available() && !AUTO_USES_CUDA ? CUDA_NOT_VERIFIED : c.unavailabilityCause();
            if (why == null) { auto = c.device(); break; }
            skipped.add(c.device() + ": " + why);
        }
        List<String> notes = new ArrayList<>();
        if (cpu == null) {
            notes.add("BLAS: " + Blas.description() + ", BLAS threads " + Blas.threads()
                    + " (Classwise parallelises over the batch and runs BLAS single-threaded)");
            notes.add("BLAS cores: " + blasCores());
            notes.add("bf16 (--precision bf16) kernel: " + Bf16Kernel.choiceReason());
        }
        return new Description(choices, auto, skipped, notes);
    }

    /** The OpenBLAS core type Classwise requests for this CPU (empty when OpenBLAS's own detection is right or the user set one). */
    public static Optional<String> requestedBlasCoreType() {
        return Blas.unavailabilityCause() == null ? Blas.requestedCoreType() : Optional.empty();
    }

    /** Which OpenBLAS kernels run on this CPU and why (as {@code info} prints it), or a note that OpenBLAS is unavailable. */
    public static String blasCores() { return Blas.unavailabilityCause() == null ? Blas.coreTypeNote() : "(no OpenBLAS)"; }

    /** CPU threads a backend computes with (0 for a GPU backend, 1 for the reference loops). */
    public static int threadsOf(Backend b) {
        return b instanceof CpuBackend cpu ? cpu.threadCount() : b instanceof ReferenceBackend ? 1 : 0;
    }

    /** One line on how a backend computes convolutions ("-" where there is nothing to choose). */
    public static String convolutionOf(Backend b) { return b instanceof CpuBackend cpu ? cpu.convolution().toString() : "-"; }

    /** The CPU convolution algorithms this machine runs (portable reference kernel excluded), the widest first available last. */
    public static List<String> cpuConvolutionAlgorithms() {
        List<String> out = new ArrayList<>();
        for (CpuConvolution c : CpuConvolution.values()) if (c != CpuConvolution.IMPLICIT_GEMM_PORTABLE
                && c.unavailabilityCause() == null) out.add(c.name());
        return out;
    }

    /** Which bf16 kernel the CPU backend picks on this machine, and why. */
    public static String bf16KernelChoice() { return Bf16Kernel.choiceReason(); }

    /** Throws IllegalArgumentException naming --bf16-kernel unless {@code name} is one of its values. */
    public static void checkBf16Kernel(String name) { Bf16Kernel.named(name); }

    /** How a backend multiplies: "fp32", or "bf16 (KERNEL)" with the CPU's bf16 kernel. */
    public static String arithmeticOf(Backend b) {
        if (b instanceof CpuBackend cpu && cpu.bf16Kernel() != null) return "bf16 (" + cpu.bf16Kernel().flag() + ")";
        return b.precision().name().toLowerCase(Locale.ROOT);
    }

    /** The algorithm the CPU backend picks on this machine. */
    public static String bestCpuConvolution() { return CpuConvolution.best().name(); }

    /** A CPU backend with a chosen convolution algorithm (benchmarks compare them); "best" = the backend's own choice. */
    public static Backend createCpu(int threads, String convolution) {
        String why = Blas.unavailabilityCause();
        if (why != null) throw new IllegalStateException("the cpu backend is unavailable: " + why);
        CpuConvolution c = convolution.equals("best") ? CpuConvolution.best() : CpuConvolution.valueOf(convolution);
        return new CpuBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), CpuBackend.kernelsAvailable(), c);
    }

    /** Why the CUDA backend cannot be used in this build or on this machine; null when it can. */
    public static String cudaUnavailabilityCause() { return CudaProbe.reasonUnusable(); }

    /** Why the OpenBLAS CPU backend cannot be used, or null when it can. */
    public static String cpuUnavailabilityCause() { return Blas.unavailabilityCause(); }

    /**
     * A backend for {@code --device}: "cpu", "reference", "cuda" or "auto". threads ≤ 0 means one per
     * available core. "auto" tries cuda, cpu, reference in that order, exactly as {@link #describe()}
     * says (cuda only once verified on a GPU), and logs one line for each backend it passed over.
     */
    public static Backend create(String device, int threads) { return create(device, threads, false); }
    /** The most CPU threads a backend takes per available core. */
    public static final int MAX_THREADS_PER_CORE = 4;

    /**
     * As {@link #create(String, int)}; {@code tf32} lets the CUDA backend use TF32 tensor cores for
     * convolutions and GEMMs (faster on Ampere/Hopper; products keep a 10-bit mantissa, so results
     * differ from fp32 at about 1e-3 relative). Ignored by the CPU backends.
     */
    public static Backend create(String device, int threads, boolean tf32) { return create(device, threads, tf32, Precision.FP32); }

    /**
     * As above, with the precision of convolutions and GEMMs: {@link Precision#BF16} rounds their operands to
     * bf16 and accumulates in fp32, on the CPU with the fastest bf16 kernel it runs (AMX tiles, vdpbf16ps, or the
     * emulation: bf16-rounded operands through the fp32 kernels); the CUDA backend has no bf16 path yet.
     */
    public static Backend create(String device, int threads, boolean tf32, Precision precision) {
        return create(device, threads, tf32, precision, "auto");
    }

    /**
     * As above; {@code bf16Kernel} chooses how the CPU backend multiplies in bf16: auto (the fastest this CPU runs),
     * amx, avx512-bf16, portable or emulated (the --bf16-kernel flag). Checked even in fp32, so a typo is never ignored.
     */
    public static Backend create(String device, int threads, boolean tf32, Precision precision, String bf16Kernel) {
        Bf16Kernel.named(bf16Kernel);
        Backend b = createFp32(device, threads, tf32);
        if (precision == Precision.FP32) return b;
        if (b instanceof CpuBackend cpu) {
            try {
                return cpu.precision(precision, Bf16Kernel.parse(bf16Kernel));
            } catch (IllegalStateException e) {
                b.close();
                throw new IllegalArgumentException("--bf16-kernel " + bf16Kernel + ": " + e.getMessage());
            }
        }
        String name = b.name();
        b.close();
        throw new IllegalArgumentException("--precision " + precision.name().toLowerCase(Locale.ROOT) + " is not available on the " + name
                + " backend yet (the CPU backend has it; a CUDA bf16 path is still to be written)");
    }

    private static Backend createFp32(String device, int threads, boolean tf32) {
        int cores = Runtime.getRuntime().availableProcessors();
        // More threads than a few per core only costs memory (each has a stack and workspaces) and can exhaust the OS's threads.
        if (threads < 0 || threads > MAX_THREADS_PER_CORE * cores) {
            throw new IllegalArgumentException("--threads must be 0 (one per core) or 1.." + MAX_THREADS_PER_CORE * cores
                    + " on this machine ("
                    + cores + " cores), got " + threads);
        }
        int n = threads > 0 ? threads : cores;
        String name = device.toLowerCase(Locale.ROOT);
        if (name.equals("cuda") || name.startsWith("cuda:")) {
            // cuda:N, e.g. the GPU a Spark task was assigned (cuda = cuda:0); the CUDA runtime's current device is per thread.
            int ordinal;
            try {
                ordinal = name.equals("cuda") ? 0 : Integer.parseInt(name.substring(5));
            } catch (NumberFormatException e) {
                ordinal = -1;
            }
            if (ordinal < 0) throw new IllegalArgumentException("--device cuda:N needs a GPU number N >= 0, got '" + device + "'");
            String cudaWhy = cudaUnavailabilityCause();
            if (cudaWhy != null) throw new IllegalStateException("--device " + device + ": " + cudaWhy + "; use --device cpu");
            return new CudaBackend(ordinal, tf32);
        }
        switch (name) {
            case "auto": {
                Description d = describe();
                for (String skipped : d.autoSkipped()) {
                    if (!skipped.startsWith("cuda")) LOG.warn("--device auto: not using {}", skipped);
                }
                return createFp32(d.autoDevice(), threads, tf32);
            }
            case "cpu":
                String why = cpuUnavailabilityCause();
                if (why != null) throw new IllegalStateException("--device " + device + ": " + why
                        + " (use --device reference for plain-Java loops)");
                return new CpuBackend(n);
            case "reference":
                return new ReferenceBackend();
            case EMULATED_CUDA:
                String emulatedWhy = CudaBackend.emulatedUnavailabilityCause();
                if (emulatedWhy != null) throw new IllegalStateException("--device " + device + ": " + emulatedWhy);
                return CudaBackend.emulated(n, 0, 1);
            default:
                throw new IllegalArgumentException("--device must be one of auto, cpu, cuda, cuda:N, cuda-emulated, reference; got '" + device + "'");
        }
    }
}
