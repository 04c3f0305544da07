package io.classwise.tensor.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** A fixed pool that splits index ranges into contiguous, equal slices, one per thread. */
final class CpuThreads implements AutoCloseable {
    interface RangeBody { void run(int thread, int from, int to); }

    private final int count;
    private final ExecutorService pool;

    CpuThreads(int count) {
        if (count < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + count);
        this.count = count;
        this.pool = count == 1 ? null : Executors.newFixedThreadPool(count - 1, r -> {
            Thread t = new Thread(r, "classwise-cpu");
            t.setDaemon(true);
            return t;
        });
    }

    int count() { return count; }

    /**
     * Runs body over [0, n) split into at most {@link #count} slices (thread 0 runs on the caller).
     * Returns the number of slices used; slice t always gets the same range for the same n.
     */
    int forRange(int n, RangeBody body) {
        int slices = Math.max(1, Math.min(count, n));
        if (slices == 1) {
            body.run(0, 0, n);
            return 1;
        }
        List<Future<?>> futures = new ArrayList<>(slices - 1);
        for (int t = 1; t < slices; t++) {
            int thread = t, from = (int) ((long) n * t / slices), to = (int) ((long) n * (t + 1) / slices);
            futures.add(pool.submit(() -> body.run(thread, from, to)));
        }
        body.run(0, 0, (int) ((long) n / slices));
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for CPU workers", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) throw re;
                if (cause instanceof Error err) throw err;
                throw new IllegalStateException(cause);
            }
        }
        return slices;
    }

    @Override
    public void close() { if (pool != null) pool.shutdownNow(); }
}
