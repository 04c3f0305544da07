package io.classwise.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that splits index ranges into contiguous, equal slices, one per thread; the caller runs
 * slice 0. A training step makes hundreds of these calls, many of them shorter than a millisecond, so the team does
 * not go through an executor's queue: a worker waits for the next range by spinning on a counter for a short while
 * ({@link #SPIN_NANOS}) before it parks, and the caller waits for the workers the same way. Handing a range to a
 * parked thread and waiting on a future measured 2–80 µs a call on this project's 2-core virtual machine (the
 * wake-ups of the kernel's futex), a spinning worker starts within a microsecond (benchmarks/RESULTS.md).
 *
 * <p>One range at a time: concurrent callers take turns (the backends' per-thread workspaces are indexed by slice, so
 * two ranges must not run at once). A body that calls forRange of its own team gets its nested range run slice after
 * slice on the calling thread (handing it to the team would wait for the team itself).
 */
final class CpuThreads implements AutoCloseable {
    interface RangeBody { void run(int thread, int from, int to); }

    /** How long an idle worker, or a caller waiting for the workers, spins before it parks. */
    static final long SPIN_NANOS = 100_000;

    private final int count;
    private final Worker[] workers;
    private final Object turn = new Object();
    /** The latest range handed out; workers run it when its number moves past the one they last ran. */
    private volatile Range current = new Range(0, null, 0, 0, null);
    private volatile boolean closed;

    /** One call's range, immutable but for its count of workers still running and their first failure. */
    private static final class Range {
        final long number;
        final RangeBody body;
        final int n, slices;
        final Thread caller;
        final AtomicInteger pending;
        volatile Throwable failure;

        Range(long number, RangeBody body, int n, int slices, Thread caller) {
            this.number = number;
            this.body = body;
            this.n = n;
            this.slices = slices;
            this.caller = caller;
            this.pending = new AtomicInteger(Math.max(0, slices - 1));
        }
    }

    CpuThreads(int count) {
        if (count < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + count);
        this.count = count;
        this.workers = new Worker[count - 1];
        for (int t = 1; t < count; t++) {
            workers[t - 1] = new Worker(t);
            workers[t - 1].start();
        }
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
        if (closed) throw new IllegalStateException("the CPU threads are closed");
        if (Thread.currentThread() instanceof Worker w && w.team() == this || Thread.holdsLock(turn)) {
            for (int t = 0; t < slices; t++) body.run(t, from(n, t, slices), from(n, t + 1, slices));
            return slices;
        }
        synchronized (turn) {
            Range range = new Range(current.number + 1, body, n, slices, Thread.currentThread());
            current = range;
            for (int t = 1; t < slices; t++) LockSupport.unpark(workers[t - 1]);
            Throwable own = null;
            try {
                body.run(0, 0, from(n, 1, slices));
            } catch (Throwable e) {
                own = e;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (range.pending.get() > 0) {
                if (closed) throw new IllegalStateException("the CPU threads were closed while a range ran");
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.parkNanos(this, SPIN_NANOS);
            }
            current = new Range(range.number, null, 0, 0, null);  // let go of the body (and what it holds)
            Throwable e = own != null ? own : range.failure;
            if (e instanceof RuntimeException re) throw re;
            if (e instanceof Error err) throw err;
            if (e != null) throw new IllegalStateException(e);
        }
        return slices;
    }

    private static int from(int n, int t, int slices) { return (int) ((long) n * t / slices); }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    /** Worker t: runs slice t of every range that has more than t slices. */
    private final class Worker extends Thread {
        private final int slice;

        Worker(int slice) {
            super("classwise-cpu-" + slice);
            this.slice = slice;
            setDaemon(true);
        }

        CpuThreads team() { return CpuThreads.this; }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                Range range;
                while ((range = current).number == seen && !closed) {
                    if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                    else LockSupport.park(CpuThreads.this);
                }
                if (closed) return;
                seen = range.number;
                if (range.body == null || slice >= range.slices) continue;  // released, or fewer slices than threads
                try {
                    range.body.run(slice, from(range.n, slice, range.slices), from(range.n, slice + 1, range.slices));
                } catch (Throwable e) {
                    if (range.failure == null) range.failure = e;
                } finally {
                    if (range.pending.decrementAndGet() == 0) LockSupport.unpark(range.caller);
                }
            }
        }
    }
}
