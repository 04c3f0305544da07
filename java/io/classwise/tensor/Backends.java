package io.classwise.tensor;

import io.classwise.tensor.cpu.Blas;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.cuda.CudaBackend;
import io.classwise.tensor.cuda.CudaProbe;
import io.classwise.tensor.reference.ReferenceBackend;

import java.util.Locale;

/**
 * Chooses a backend at start-up and says why when it falls back. The only place above the backends
 * that names their implementations.
 */
public final class Backends {
    private Backends() {}

    /** Why the CUDA backend cannot be used in this build or on this machine; null when it can. */
    public static String cudaUnavailabilityCause() { return CudaProbe.reasonUnusable(); }

    /** Why the OpenBLAS CPU backend cannot be used, or null when it can. */
    public static String cpuUnavailabilityCause() { return Blas.unavailabilityCause(); }

    /**
     * A backend for {@code --device}: "cpu", "reference", "cuda" or "auto". threads ≤ 0 means one per
     * available core. "auto" is the CPU backend until the CUDA backend has passed its GPU parity tests
     * on real hardware (it is written but unverified); "cuda" selects it explicitly.
     */
    public static Backend create(String device, int threads) { return create(device, threads, false); }

    /** The most CPU threads a backend takes per available core. */
    public static final int MAX_THREADS_PER_CORE = 4;

    /**
     * As {@link #create(String, int)}; {@code tf32} lets the CUDA backend use TF32 tensor cores for
     * convolutions and GEMMs (faster on Ampere/Hopper; products keep a 10-bit mantissa, so results
     * differ from fp32 at about 1e-3 relative). Ignored by the CPU backends.
     */
    public static Backend create(String device, int threads, boolean tf32) {
        int cores = Runtime.getRuntime().availableProcessors();
        // More threads than a few per core only costs memory (each has a stack and workspaces) and can exhaust the OS's threads.
        if (threads < 0 || threads > MAX_THREADS_PER_CORE * cores) {
            throw new IllegalArgumentException("--threads must be 0 (one per core) or 1.." + MAX_THREADS_PER_CORE * cores + " on this machine ("
                    + cores + " cores), got " + threads);
        }
        int n = threads > 0 ? threads : cores;
        switch (device.toLowerCase(Locale.ROOT)) {
            case "auto":
            case "cpu":
                String why = cpuUnavailabilityCause();
                if (why != null) throw new IllegalStateException("--device " + device + ": " + why + " (use --device reference for plain-Java loops)");
                return new CpuBackend(n);
            case "reference":
                return new ReferenceBackend();
            case "cuda":
                String cudaWhy = cudaUnavailabilityCause();
                if (cudaWhy != null) throw new IllegalStateException("--device cuda: " + cudaWhy + "; use --device cpu");
                return new CudaBackend(0, tf32);
            default:
                throw new IllegalArgumentException("--device must be one of auto, cpu, cuda, reference; got '" + device + "'");
        }
    }
}
