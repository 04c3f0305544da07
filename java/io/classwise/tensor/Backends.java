package io.classwise.tensor;

import io.classwise.tensor.cpu.Blas;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.reference.ReferenceBackend;

import java.util.Locale;

/**
 * Chooses a backend at start-up and says why when it falls back. The only place above the backends
 * that names their implementations.
 */
public final class Backends {
    private Backends() {}

    /** Why the CUDA backend cannot be used in this build or on this machine. */
    public static String cudaUnavailabilityCause() {
        boolean kernels = Backends.class.getResource("/io/classwise/tensor/cuda/classwise_kernels.fatbin") != null;
        return kernels
                ? "the CUDA kernels are compiled into this jar, but the CUDA backend (cuDNN/cuBLAS through JavaCPP) is not written yet"
                : "this jar was built without nvcc and has no CUDA kernels (CPU-only jar)";
    }

    /** Why the OpenBLAS CPU backend cannot be used, or null when it can. */
    public static String cpuUnavailabilityCause() { return Blas.unavailabilityCause(); }

    /**
     * A backend for {@code --device}: "cpu", "reference", "cuda" or "auto" (CUDA when usable, else CPU).
     * threads ≤ 0 means one per available core.
     */
    public static Backend create(String device, int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        switch (device.toLowerCase(Locale.ROOT)) {
            case "auto":
            case "cpu":
                String why = cpuUnavailabilityCause();
                if (why != null) throw new IllegalStateException("--device " + device + ": " + why + " (use --device reference for plain-Java loops)");
                return new CpuBackend(n);
            case "reference":
                return new ReferenceBackend();
            case "cuda":
                throw new IllegalStateException("--device cuda: " + cudaUnavailabilityCause() + "; use --device cpu");
            default:
                throw new IllegalArgumentException("--device must be one of auto, cpu, cuda, reference; got '" + device + "'");
        }
    }
}
