package io.classwise.tensor.cuda;

import io.classwise.tensor.Storage;
import io.classwise.tensor.Tensor;

/**
 * Device memory of one tensor: a block from the {@link DeviceAllocator}. Its owner releases it
 * explicitly ({@link Tensor#release()}: tapes, attack scratch, trainer buffers), which hands the block
 * back to the allocator's cache at once; the Cleaner only catches tensors nobody released (model
 * weights at the end of a program, a library user's temporaries) and is counted, so that a test can
 * see a training step leave nothing to it. No CUDA call happens on release: all work runs on one
 * stream, so a later reuse of the block is ordered after every use already queued.
 */
final class DeviceStorage implements Storage {
    private final long address;
    private final int floats;
    private final DeviceAllocator.Lease lease;

    DeviceStorage(DeviceAllocator allocator, int floats) {
        this.floats = Math.max(floats, 1);
        this.lease = allocator.lease(this, (long) this.floats * Float.BYTES);
        this.address = lease.address();
    }

    @Override
    public int capacity() { return floats; }

    @Override
    public void release() { lease.release(false); }

    @Override
    public boolean released() { return lease.released(); }

    static long address(Tensor t) {
        if (!(t.storage() instanceof DeviceStorage d)) throw new IllegalArgumentException(t + " does not live on the GPU");
        if (d.lease.released()) {
            throw new IllegalStateException(t + " was used after its memory was released (its owner, e.g. a Tape, was closed)");
        }
        return d.address;
    }
}
