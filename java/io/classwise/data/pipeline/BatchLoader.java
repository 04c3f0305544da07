package io.classwise.data.pipeline;

import io.classwise.data.ImageDataset;
import io.classwise.util.Rng;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Batches of a dataset for one epoch: a seeded permutation, per-example transforms, and a
 * background thread that prepares up to {@code prefetch} batches ahead of the consumer. Every
 * random choice is a function of (seed, epoch, example index), so the batches are the same
 * whatever the timing of the threads.
 */
public final class BatchLoader {
    private final ImageDataset data;
    private final Transform transform;
    private final int batchSize, prefetch;
    private final boolean shuffle, dropLast;
    private final long seed;

    public BatchLoader(ImageDataset data, Transform transform, int batchSize, boolean shuffle, boolean dropLast, long seed, int prefetch) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (data.size() == 0) throw new IllegalArgumentException(data.source() + " has no examples");
        this.data = data; this.transform = transform; this.batchSize = batchSize; this.shuffle = shuffle;
        this.dropLast = dropLast; this.seed = seed; this.prefetch = Math.max(0, prefetch);
    }

    public int batchesPerEpoch() { return dropLast ? data.size() / batchSize : (data.size() + batchSize - 1) / batchSize; }

    /** The example order of an epoch (a permutation when shuffling). */
    public int[] order(int epoch) {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        if (shuffle) new Rng(mix(seed, epoch, -1)).shuffle(order);
        return order;
    }

    static long mix(long seed, long epoch, long index) {
        Rng r = new Rng(seed ^ 0x5DEECE66DL);
        r.setState(r.nextLong() ^ (epoch * 0x9E3779B97F4A7C15L));
        r.setState(r.nextLong() ^ (index * 0xC2B2AE3D27D4EB4FL));
        return r.nextLong();
    }

    /** The batches of one epoch; the iterator must be drained or {@link Epoch#close() closed}. */
    public Epoch epoch(int epoch) { return new Epoch(epoch); }

    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final int[] order;
        private final int batches;
        private final BlockingQueue<Batch> free, filled;
        private final Thread producer;
        private volatile Throwable failure;
        private int delivered;
        private Batch current;
        private final Batch direct; // used when prefetch == 0

        Epoch(int epoch) {
            this.epochNo = epoch;
            this.order = order(epoch);
            this.batches = batchesPerEpoch();
            int slots = prefetch + 1;
            this.free = new ArrayBlockingQueue<>(slots + 1);
            this.filled = new ArrayBlockingQueue<>(slots + 1);
            if (prefetch == 0) {
                direct = new Batch(batchSize, transform.outputShape());
                producer = null;
                return;
            }
            direct = null;
            for (int i = 0; i < slots; i++) free.add(new Batch(batchSize, transform.outputShape()));
            producer = new Thread(() -> {
                try {
                    for (int b = 0; b < batches; b++) {
                        Batch batch = free.take();
                        fill(batch, epoch, b);
                        filled.put(batch);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Throwable t) {
                    failure = t;
                    filled.offer(new Batch(1, new int[] {1, 1, 1})); // wake the consumer
                }
            }, "classwise-prefetch");
            producer.setDaemon(true);
            producer.start();
        }

        private final int epochNo;

        private void fill(Batch batch, int epoch, int b) {
            int from = b * batchSize, to = Math.min(order.length, from + batchSize);
            int per = batch.scratch().length / batchSize;
            for (int row = 0; row < to - from; row++) {
                int idx = order[from + row];
                transform.apply(data.image(idx), new Rng(mix(seed, epoch, idx)), batch.scratch(), row * per);
                batch.set(row, idx, data.label(idx));
            }
            batch.seal(to - from);
        }

        @Override
        public boolean hasNext() { return delivered < batches; }

        /** The next batch; the previous one is handed back to the loader and must not be used any more. */
        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            if (producer == null) {
                fill(direct, epochNo, delivered++);
                return direct;
            }
            if (current != null) free.add(current);
            try {
                current = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for data", e);
            }
            if (failure != null) {
                if (failure instanceof RuntimeException re) throw re;
                throw new IllegalStateException("data loading failed: " + failure.getMessage(), failure);
            }
            delivered++;
            return current;
        }

        @Override
        public void close() { if (producer != null) producer.interrupt(); }
    }
}
