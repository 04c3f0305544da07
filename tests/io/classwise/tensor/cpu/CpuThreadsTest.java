package io.classwise.tensor.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The spinning team behind every parallel CPU kernel: each index exactly once, in fixed slices, failures surfaced. */
class CpuThreadsTest {

    /** Runs a range that marks every index, and checks each was visited once by the slice that owns it. */
    private static void coversOnce(CpuThreads threads, int n) {
        AtomicIntegerArray visits = new AtomicIntegerArray(n), owner = new AtomicIntegerArray(n);
        int slices = threads.forRange(n, (t, from, to) -> {
            for (int i = from; i < to; i++) {
                visits.incrementAndGet(i);
                owner.set(i, t);
            }
        });
        assertEquals(Math.max(1, Math.min(threads.count(), n)), slices);
        for (int i = 0; i < n; i++) {
            assertEquals(1, visits.get(i), "index " + i + " of " + n);
            assertEquals(slicesOwner(i, n, slices), owner.get(i), "slice of index " + i + " of " + n);
        }
    }

    /** The slice t with from(t) ≤ i < from(t + 1), from(t) = ⌊n·t / slices⌋. */
    private static int slicesOwner(int i, int n, int slices) {
        for (int t = slices - 1; t >= 0; t--) if ((long) n * t / slices <= i) return t;
        return 0;
    }

    @Test
    void everyIndexRunsOnceInItsSliceAcrossManyRangesOfChangingSize() {
        try (CpuThreads threads = new CpuThreads(3)) {
            // 1 and 2 slices leave workers out (they must skip those ranges, not run them twice later)
            for (int round = 0; round < 2000; round++) coversOnce(threads, round % 7);
            coversOnce(threads, 100_003);
        }
    }

    @Test
    void aFailureInAWorkerSliceOrTheCallersReachesTheCallerAndTheTeamGoesOn() {
        try (CpuThreads threads = new CpuThreads(2)) {
            IllegalArgumentException inWorker = new IllegalArgumentException("worker");
            assertSame(inWorker, assertThrows(IllegalArgumentException.class,
                    () -> threads.forRange(10, (t, from, to) -> { if (t == 1) throw inWorker; })));
            IllegalStateException inCaller = new IllegalStateException("caller");
            assertSame(inCaller, assertThrows(IllegalStateException.class,
                    () -> threads.forRange(10, (t, from, to) -> { if (t == 0) throw inCaller; })));
            coversOnce(threads, 1000);
        }
    }

    @Test
    void aNestedRangeRunsItsSlicesOnTheCallingThread() {
        try (CpuThreads threads = new CpuThreads(2)) {
            AtomicIntegerArray inner = new AtomicIntegerArray(2 * 50);
            threads.forRange(2, (t, from, to) -> threads.forRange(50, (u, a, b) -> {
                for (int i = a; i < b; i++) inner.incrementAndGet(t * 50 + i);
            }));
            for (int i = 0; i < inner.length(); i++) assertEquals(1, inner.get(i), "inner index " + i);
        }
    }

    @Test
    void concurrentCallersTakeTurns() throws Exception {
        try (CpuThreads threads = new CpuThreads(2)) {
            ExecutorService callers = Executors.newFixedThreadPool(3);
            try {
                Future<?>[] f = new Future<?>[3];
                for (int c = 0; c < f.length; c++) f[c] = callers.submit(() -> { for (int r = 0; r < 300; r++) coversOnce(threads, 257); });
                for (Future<?> x : f) x.get();
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void aClosedTeamRefusesNewRanges() {
        CpuThreads threads = new CpuThreads(2);
        threads.close();
        assertThrows(IllegalStateException.class, () -> threads.forRange(4, (t, from, to) -> {}));
    }
}
