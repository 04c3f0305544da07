package io.classwise.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.classwise.data.DataFormatException;
import io.classwise.data.formats.Idx;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.nn.checkpoint.SafetensorsFormatException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.classwise.data.DatasetId;
import io.classwise.data.download.TarGz;
import io.classwise.data.formats.CifarBinary;
import io.classwise.data.formats.ImageFolder;
import io.classwise.data.formats.Stl10Binary;
import io.classwise.data.formats.Svhn;
import io.classwise.train.Presets;
import java.io.EOFException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipException;

/**
 * Coverage-guided fuzzing (Jazzer) of every parser that reads files from outside. Each target feeds the
 * fuzzer's bytes to a parser and accepts only the format's own clear error (a DataFormatException or
 * SafetensorsFormatException naming the file); any other exception — an index out of bounds, a buffer
 * underflow, an out-of-memory from a lying header — fails the test, and Jazzer saves the input.
 *
 * <p>In every {@code mvn test} the targets run in regression mode on the inputs under
 * tests/resources/io/classwise/fuzz/ParsersFuzzTestInputs/ (crashes found earlier, kept as fixtures);
 * with {@code JAZZER_FUZZ=1} one target is fuzzed for its maxDuration (.ci/run: each parser in turn).
 */
class ParsersFuzzTest {
    private static Path file(String name, byte[] data) throws IOException {
        Path dir = Files.createTempDirectory("fuzz");
        dir.toFile().deleteOnExit();
        Path f = dir.resolve(name);
        Files.write(f, data);
        f.toFile().deleteOnExit();
        return f;
    }

    @FuzzTest(maxDuration = "5s")
    void safetensors(byte[] data) throws IOException {
        Path f = file("x.safetensors", data);
        try {
            Safetensors.read(f);
        } catch (SafetensorsFormatException expected) {
            // the format's own error, naming the file
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void idxImages(byte[] data) throws IOException {
        try {
            Idx.readImages(new ByteArrayInputStream(data), "fuzz-idx3-ubyte", new int[3]);
        } catch (DataFormatException expected) {
            // the format's own error
        } catch (ZipException | EOFException gzipDamage) {
            // the stream form reports gzip damage as such; the file form (readImages(Path)) names the file
        }
    }

    @FuzzTest(maxDuration = "5s")
    void cifarBinary(byte[] data) throws IOException {
        Path f = file("data_batch_1.bin", data);
        try {
            CifarBinary.read(List.of(f), 1, 0, DatasetId.CIFAR10.classNames(),
                    Map.of("data_batch_1.bin", 10_000));
        } catch (DataFormatException expected) {
            // the format's own error
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void matV5(byte[] data) throws IOException {
        Path f = file("train_32x32.mat", data);
        try {
            Svhn.read(f, DatasetId.SVHN.classNames());
        } catch (DataFormatException expected) {
            // the format's own error
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void stl10(com.code_intelligence.jazzer.api.FuzzedDataProvider in) throws IOException {
        Path x = file("train_X.bin", in.consumeBytes(in.consumeInt(0, 4 * Stl10Binary.PIXELS)));
        Path y = file("train_y.bin", in.consumeRemainingAsBytes());
        try {
            Stl10Binary.read(x, y, DatasetId.STL10.classNames());
        } catch (DataFormatException expected) {
            // the format's own error
        } finally {
            Files.deleteIfExists(x);
            Files.deleteIfExists(y);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void tarGz(byte[] data) throws IOException {
        Path f = file("archive.tar.gz", data);
        Path into = Files.createTempDirectory("fuzz-untar");
        try {
            TarGz.extract(f, into);
        } catch (DataFormatException expected) {
            // the format's own error
        } finally {
            Files.deleteIfExists(f);
            try (var all = Files.walk(into)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    @FuzzTest(maxDuration = "5s")
    void imageFile(byte[] data) throws IOException {
        Path f = file("image.JPEG", data);
        try {
            ImageFolder.decode(f);
        } catch (DataFormatException expected) {
            // the format's own error
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void trainConfig(com.code_intelligence.jazzer.api.FuzzedDataProvider in) throws IOException {
        boolean yaml = in.consumeBoolean();
        Path f = file(yaml ? "config.yaml" : "config.json", in.consumeRemainingAsBytes());
        try {
            Presets.resolve(DatasetId.FASHION_MNIST, f, Map.of());
        } catch (IllegalArgumentException expected) {
            // "--config FILE: ..." or a TrainConfig field out of range, both naming what is wrong
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
