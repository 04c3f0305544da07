package io.classwise.data;

import io.classwise.data.pipeline.Batch;
import io.classwise.data.pipeline.BatchLoader;
import io.classwise.data.pipeline.Transform;
import io.classwise.data.pipeline.Transforms;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineTest {

    /** n images of C×S×S whose pixel (c, y, x) of example i encodes i, and label i % classes. */
    static InMemoryDataset synthetic(int n, int c, int s, int classes) {
        byte[] px = new byte[n * c * s * s];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
            for (int j = 0; j < c * s * s; j++) px[i * c * s * s + j] = (byte) (i + j % 7);
        }
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) names.add("c" + k);
        return new InMemoryDataset("synthetic", px, labels, c, s, s, names);
    }

    private static List<float[]> epochImages(BatchLoader loader, int epoch, List<Integer> order) {
        List<float[]> out = new ArrayList<>();
        try (BatchLoader.Epoch e = loader.epoch(epoch)) {
            while (e.hasNext()) {
                Batch b = e.next();
                out.add(b.imagesArray());
                for (int i = 0; i < b.size(); i++) order.add(b.index(i));
            }
        }
        return out;
    }

    @Test
    void seededShufflingCoversEveryExampleAndIsIndependentOfPrefetching() {
        InMemoryDataset d = synthetic(103, 3, 8, 10);
        Transform aug = Transforms.randomCrop(new int[] {3, 8, 8}, 2, true);
        List<Integer> o1 = new ArrayList<>(), o2 = new ArrayList<>(), o3 = new ArrayList<>();
        List<float[]> a = epochImages(new BatchLoader(d, aug, 16, true, false, 7, 3), 2, o1);
        List<float[]> b = epochImages(new BatchLoader(d, aug, 16, true, false, 7, 0), 2, o2);
        epochImages(new BatchLoader(d, aug, 16, true, false, 7, 3), 3, o3);
        assertEquals(7, a.size());
        assertEquals(o1, o2, "same order with and without the prefetch thread");
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), "same augmented pixels");
        assertEquals(103, new HashSet<>(o1).size(), "every example exactly once");
        assertNotEquals(o1, o3, "another epoch, another order");
        List<Integer> sorted = new ArrayList<>();
        epochImages(new BatchLoader(d, aug, 16, false, true, 7, 1), 0, sorted);
        assertEquals(96, sorted.size(), "drop-last keeps whole batches");
        assertEquals(0, sorted.get(0));
    }

    @Test
    void randomCropPadsWithZerosAndFlips() {
        InMemoryDataset d = synthetic(1, 1, 6, 2);
        Image src = d.image(0);
        Transform crop = Transforms.randomCrop(new int[] {1, 6, 6}, 2, true);
        Set<String> seen = new HashSet<>();
        boolean sawZeroBorder = false, sawFlip = false, sawIdentity = false;
        for (long s = 0; s < 200; s++) {
            float[] out = new float[36];
            crop.apply(src, new Rng(s), out, 0);
            seen.add(Arrays.toString(out));
            for (float v : out) sawZeroBorder |= v == 0f;
            sawIdentity |= Arrays.equals(out, src.pixels());
            float[] flipped = new float[36];
            for (int y = 0; y < 6; y++) for (int x = 0; x < 6; x++) flipped[y * 6 + x] = src.pixels()[y * 6 + 5 - x];
            sawFlip |= Arrays.equals(out, flipped);
        }
        assertTrue(sawZeroBorder && sawFlip && sawIdentity, "zero padding, flips and the unshifted image all occur");
        assertEquals(50, seen.size(), "5 × 5 offsets × 2 flips");
        Transform noFlip = Transforms.randomCrop(new int[] {1, 6, 6}, 0, false);
        float[] out = new float[36];
        noFlip.apply(src, new Rng(1), out, 0);
        assertArrayEquals(src.pixels(), out);
    }

    @Test
    void imagenetCropsHaveTheModelShape() {
        float[] px = new float[3 * 300 * 400];
        for (int i = 0; i < px.length; i++) px[i] = (i % 400) / 400f;   // brightness grows left to right
        Image img = new Image(3, 300, 400, px);
        float[] out = new float[3 * 224 * 224];
        Transforms.forEvaluation(DatasetId.IMAGENET).apply(img, new Rng(0), out, 0);
        // Centre crop of the resized image: the middle column keeps the middle brightness.
        assertEquals(0.5, out[112 * 224 + 112], 0.01);
        // Shorter side 300 → 256, so the 224 crop spans 262.5 source columns from 68.75: edges at 68.8/400 and 330.2/400.
        assertEquals(68.84 / 400, out[0], 0.002);
        assertEquals(330.16 / 400, out[223], 0.002);
        Transforms.forTraining(DatasetId.IMAGENET).apply(img, new Rng(3), out, 0);
        for (float v : out) assertTrue(v >= 0 && v <= 1);
        assertArrayEquals(new int[] {3, 224, 224}, Transforms.forTraining(DatasetId.IMAGENET).outputShape());
    }

    @Test
    void batchUploadsToATensorInOneCopy() {
        InMemoryDataset d = synthetic(5, 1, 4, 3);
        BatchLoader loader = new BatchLoader(d, Transforms.identity(new int[] {1, 4, 4}), 4, false, false, 1, 1);
        try (BatchLoader.Epoch e = loader.epoch(0)) {
            Batch b = e.next();
            ReferenceBackend backend = new ReferenceBackend();
            Tensor t = backend.allocate(b.shape());
            backend.upload(b.images(), t);
            assertArrayEquals(b.imagesArray(), t.toArray());
            assertArrayEquals(new float[] {0, 1, 2, 0}, b.labelsAsFloats());
            Batch last = e.next();
            assertEquals(1, last.size());
            assertFalse(e.hasNext());
        }
    }

    @Test
    void classRemovalRemapsLabelsAndKeepsTheMapBack() {
        InMemoryDataset d = synthetic(20, 1, 2, 5);
        SubsetDataset s = SubsetDataset.withoutClasses(d, Set.of(1, 3));
        assertEquals(12, s.size());
        assertEquals(List.of("c0", "c2", "c4"), s.classNames());
        assertEquals(4, s.originalClass(2));
        assertEquals(-1, s.labelOf(3));
        for (int i = 0; i < s.size(); i++) assertEquals(d.label(s.baseIndex(i)), s.originalClass(s.label(i)));
        assertArrayEquals(new int[] {4, 4, 4}, s.classCounts());
        assertThrows(IllegalArgumentException.class, () -> SubsetDataset.withoutClasses(d, Set.of(7)));
    }

    @Test
    void balancedSamplingIsSeededAndBalanced() {
        InMemoryDataset d = synthetic(50, 1, 2, 5);
        SubsetDataset a = SubsetDataset.balanced(d, 3, 9), b = SubsetDataset.balanced(d, 3, 9), c = SubsetDataset.balanced(d, 3, 10);
        assertArrayEquals(new int[] {3, 3, 3, 3, 3}, a.classCounts());
        int[] ia = new int[a.size()], ib = new int[b.size()], ic = new int[c.size()];
        for (int i = 0; i < a.size(); i++) { ia[i] = a.baseIndex(i); ib[i] = b.baseIndex(i); ic[i] = c.baseIndex(i); }
        assertArrayEquals(ia, ib);
        assertFalse(Arrays.equals(ia, ic));
        assertThrows(IllegalArgumentException.class, () -> SubsetDataset.balanced(d, 11, 1));
    }
}
