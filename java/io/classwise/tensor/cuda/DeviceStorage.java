package io.classwise.tensor.cuda;

import io.classwise.tensor.Storage;
import io.classwise.tensor.Tensor;

/**
 * Device memory of one tensor: a block from the {@link DeviceAllocator}. When the storage becomes
 * unreachable, a Cleaner hands the block back to the allocator's cache (no CUDA call on the cleaner
 * thread; all work runs on one stream, so a later reuse is ordered after every use already queued).
 */
final class DeviceStorage implements Storage {
    final long address;
    private final int floats;

    DeviceStorage(DeviceAllocator allocator, int floats) {
        this.floats = Math.max(floats, 1);
        DeviceAllocator.Block block = allocator.allocate((long) this.floats * Float.BYTES);
        this.address = block.address();
        allocator.releaseWhenUnreachable(this, block);
    }

    @Override
    public int capacity() { return floats; }

    static long address(Tensor t) {
        if (!(t.storage() instanceof DeviceStorage d)) throw new IllegalArgumentException(t + " does not live on the GPU");
        return d.address;
    }
}
