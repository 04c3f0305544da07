package io.classwise.tensor.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;

/**
 * Whether this machine can run the CUDA backend, decided once and cached with its reason: the
 * kernels are in the jar, the CUDA runtime loads, a device exists and the driver is new enough.
 * Never throws; the CPU path calls it only through {@link #reasonUnusable()}.
 */
public final class CudaProbe {
    private CudaProbe() {}

    /** Oldest driver (CUDA 13.0 = 13000) that loads the fatbin's PTX and SASS. */
    static final int MIN_DRIVER = 13000;

    private static String reason;
    private static boolean done;

    /** Null when the CUDA backend can be created, else one line saying why not. */
    public static synchronized String reasonUnusable() {
        if (!done) {
            reason = probe();
            done = true;
        }
        return reason;
    }

    private static String probe() {
        if (CudaProbe.class.getResource(CudaRuntime.FATBIN) == null) {
            return "this jar was built without nvcc and has no CUDA kernels (CPU-only jar)";
        }
        try {
            Loader.load(cudart.class);
            int[] count = {0}, driver = {0};
            int status = cudart.cudaDriverGetVersion(driver);
            if (status != cudart.cudaSuccess || driver[0] == 0) return "no NVIDIA driver found (libcuda.so.1)";
            if (driver[0] < MIN_DRIVER) {
                return "the NVIDIA driver supports CUDA " + driver[0] / 1000 + "." + driver[0] % 1000 / 10
                        + "; Classwise's kernels need CUDA 13.0 or newer (update the driver)";
            }
            status = cudart.cudaGetDeviceCount(count);
            if (status != cudart.cudaSuccess) return "cudaGetDeviceCount: " + cudart.cudaGetErrorString(status).getString();
            if (count[0] == 0) return "no CUDA device found";
            return null;
        } catch (UnsatisfiedLinkError e) {
            return "the CUDA 13 runtime (libcudart.so.13) or the NVIDIA driver (libcuda.so.1) is not installed or not on "
                    + "LD_LIBRARY_PATH (" + e.getMessage() + ")";
        } catch (Throwable t) {
            // NoClassDefFoundError after a failed load, or a preset failing to initialise.
            return "the CUDA runtime could not be loaded (" + t.getClass().getSimpleName() + ": " + t.getMessage() + ")";
        }
    }
}
