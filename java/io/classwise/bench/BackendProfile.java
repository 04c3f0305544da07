package io.classwise.bench;

import io.classwise.tensor.Backend;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import io.classwise.tensor.ConvGeometry;

/**
 * Where a workload's time goes, per Backend operation: the backend is wrapped in a proxy that clocks
 * every call (the operations a backend runs inside its own methods are not double-counted; they do not
 * pass through the proxy). Meant for synchronous backends: a CUDA call returns before the GPU is done.
 */
public final class BackendProfile {
    /** Per operation: calls and nanoseconds since the last {@link #reset}. */
    private final Map<String, long[]> totals = new LinkedHashMap<>();
    /** Multiply-add FLOPs of the convolutions and matrix products since the last {@link #reset}. */
    private double flops;
    private final Backend profiled;

    public BackendProfile(Backend backend) {
        this.profiled = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy,
                method, args) -> {
            long start = System.nanoTime();
            try {
                return method.invoke(backend, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                long[] t = totals.computeIfAbsent(key(method.getName(), args), k -> new long[2]);
                t[0]++;
                t[1] += System.nanoTime() - start;
                flops += flopsOf(method.getName(), args);
            }
        });
    }

    /** The operation and, for convolutions and products, its shape: they differ by layer. */
    private static String key(String op, Object[] args) {
        if (args == null) return op;
        for (Object a : args) {
            if (a instanceof ConvGeometry g) {
                return String.format(Locale.ROOT, "%s %d→%d %dx%d on %dx%d", op, g.c(), g.k(), g.r(), g.s(), g.h(), g.w());
            }
        }
        if (op.equals("gemm")) return String.format(Locale.ROOT, "gemm %s%s %dx%dx%d", (boolean) args[0] ? "T" : "N",
                (boolean) args[1] ? "T" : "N",
                (int) args[2], (int) args[3], (int) args[4]);
        return op;
    }

    /** 2·M·N·K of a product, 2·N·K·C·R·S·P·Q of each of a convolution's three passes; 0 for everything else. */
    private static double flopsOf(String op, Object[] args) {
        if (args == null) return 0;
        if (op.equals("gemm")) return 2.0 * (int) args[2] * (int) args[3] * (int) args[4];
        if (op.startsWith("conv2d")) for (Object a : args) if (a instanceof ConvGeometry g) return g.flops();
        return 0;
    }

    /** FLOPs of the convolutions and matrix products per run ({@code runs} runs since the reset): the work a GEMM peak bounds. */
    public double flopsPerRun(int runs) { return flops / runs; }

    /** The backend to hand to the workload. */
    public Backend backend() { return profiled; }

    public void reset() {
        totals.clear();
        flops = 0;
    }

    /** Prints operations by total time, per run of the workload ({@code runs} runs since the reset). */
    public void print(String title, int runs, PrintStream out) {
        long all = totals.values().stream().mapToLong(t -> t[1]).sum();
        out.printf(Locale.ROOT, "%s: %.1f ms per run in Backend calls%n", title, all / 1e6 / runs);
        out.printf(Locale.ROOT, "  %-40s %10s %12s %7s%n", "operation", "calls/run", "ms/run", "share");
        totals.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1]).reversed())
                .forEach(e -> out.printf(Locale.ROOT, "  %-40s %10.1f %12.2f %6.1f%%%n", e.getKey(), e.getValue()[0] / (double) runs,
                        e.getValue()[1] / 1e6 / runs, 100.0 * e.getValue()[1] / Math.max(1, all)));
    }
}
