package io.classwise.nn.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * torch.save files written by real PyTorch 1.13 (tests/resources/.../torch/make_fixtures.py) read without
 * executing anything: every dtype and layout, where the weights sit, logits equal to PyTorch's, and the
 * malicious or broken files refused with one clear line.
 */
class TorchCheckpointTest {

    static Path fixture(String name) {
        try {
            return Path.of(TorchCheckpointTest.class.getResource("torch/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyDtypeAndLayoutReadsAsPyTorchHasIt() throws IOException {
        TorchCheckpoint.Contents c = TorchCheckpoint.read(fixture("layouts.pt"));
        JsonNode expected = new ObjectMapper().readTree(fixture("layouts.json").toFile());
        assertEquals("", c.foundUnder());
        for (String name : List.of("contiguous", "transposed", "offset_slice", "half", "bfloat", "double", "mask")) {
            Safetensors.Entry e = c.tensors().get(name);
            JsonNode x = expected.path(name);
            int[] shape = new int[x.path("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = x.path("shape").get(i).asInt();
            assertArrayEquals(shape, e.shape(), name);
            float[] v = e.toFloats();
            for (int i = 0; i < v.length; i++) assertEquals(x.path("values").get(i).asDouble(), v[i], 1e-6, name + "[" + i + "]");
        }
        assertEquals(7L, c.tensors().get("num_batches_tracked").toLongs()[0]);
        assertEquals(Safetensors.DType.I64, c.tensors().get("num_batches_tracked").dtype());
    }

    @Test
    void weightsUnderStateDictWithTheDataParallelPrefixAreFoundAndTheRestListed() throws IOException {
        TorchCheckpoint.Contents c = TorchCheckpoint.read(fixture("training_checkpoint.pt"));
        assertEquals("state_dict", c.foundUnder());
        assertTrue(c.dataParallel());
        assertEquals(List.of("weight", "bias"), List.copyOf(c.tensors().keySet()));
        assertTrue(c.ignored().containsAll(List.of("epoch", "optimizer", "best_acc", "args")), c.ignored().toString());
    }

    /** The small CNN saved by PyTorch gives PyTorch's logits here (the fixture holds the input and the logits). */
    @Test
    void aPyTorchModelGivesPyTorchsLogits() throws IOException {
        ReferenceBackend b = new ReferenceBackend();
        Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 8, 8), 99);
        Checkpoint.Loaded loaded = Checkpoint.loadWeights(m, fixture("small_cnn_8x8.pt"));
        assertFalse(loaded.torch().dataParallel());
        assertNull(loaded.droppedPrefix());
        assertTrue(loaded.unused().isEmpty());
        JsonNode j = new ObjectMapper().readTree(fixture("small_cnn_8x8.json").toFile());
        float[] x = new float[j.path("input").size()];
        for (int i = 0; i < x.length; i++) x[i] = (float) j.path("input").get(i).asDouble();
        Tensor logits = m.forward(new Tape(b), b.allocate(3, 1, 8, 8).copyFrom(x));
        float[] z = logits.toArray();
        for (int i = 0; i < z.length; i++) {
            double want = j.path("logits").get(i).asDouble();
            assertEquals(want, z[i], 1e-4 * Math.max(1, Math.abs(want)), "logit " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil_system.pt", "evil_eval.pt", "evil_reduce.pt"})
    void picklesThatNameCodeAreRefusedNamingTheGlobal(String name) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> TorchCheckpoint.read(fixture(name)));
        String m = e.getMessage();
        assertTrue(m.contains("refused") && m.contains("nothing in it was executed"), m);
        // Protocol 2 spells Python 3's builtins as __builtin__.
        assertTrue(m.contains("posix.system") || m.contains("__builtin__.eval") || m.contains("torch.serialization.load"), m);
        assertFalse(m.contains("\n"), "one line");
        assertFalse(Files.exists(Path.of("/tmp/classwise-pwned")), "nothing ran");
    }

    @Test
    void brokenFilesAreRefusedWithTheReason() {
        String huge = assertThrows(SafetensorsFormatException.class, () -> TorchCheckpoint.read(fixture("huge_storage.pt"))).getMessage();
        assertTrue(huge.contains("declares 1000000000000 elements"), huge);
        String cut = assertThrows(IOException.class, () -> TorchCheckpoint.read(fixture("truncated.pt"))).getMessage();
        assertTrue(cut.contains("truncated.pt"), cut);
        String legacy = assertThrows(SafetensorsFormatException.class, () -> TorchCheckpoint.read(fixture("legacy_format.pt"))).getMessage();
        assertTrue(legacy.contains("pre-1.6") && legacy.contains("re-save"), legacy);
    }

    @Test
    void halfPrecisionDecodesExactly() {
        assertEquals(1.0f, TorchCheckpoint.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, TorchCheckpoint.halfToFloat((short) 0xc000));
        assertEquals(65504f, TorchCheckpoint.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, TorchCheckpoint.halfToFloat((short) 0x0001));
        assertTrue(Float.isInfinite(TorchCheckpoint.halfToFloat((short) 0x7c00)));
    }
}
