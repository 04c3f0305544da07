package io.classwise.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.classwise.data.DataFormatException;
import io.classwise.data.DatasetId;
import io.classwise.data.download.TarGz;
import io.classwise.data.formats.CifarBinary;
import io.classwise.data.formats.Idx;
import io.classwise.data.formats.ImageFolder;
import io.classwise.data.formats.Stl10Binary;
import io.classwise.data.formats.Svhn;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.nn.checkpoint.SafetensorsFormatException;
import io.classwise.nn.checkpoint.TorchCheckpoint;
import io.classwise.nn.checkpoint.TorchPickle;
import io.classwise.train.Presets;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    /** One directory for the whole run: each input's file is written, parsed and deleted. */
    private static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            Path d = Files.createTempDirectory("classwise-fuzz");
            d.toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A parser of one file. */
    private interface FileParser {
        void parse(Path file) throws IOException;
    }

    /** Writes data under that name, parses it and deletes it; the format's own errors are the accepted outcome. */
    private static void parseFile(String name, byte[] data, FileParser parser) throws IOException {
        Path f = DIR.resolve(name);
        Files.write(f, data);
        try {
            parser.parse(f);
        } catch (DataFormatException | SafetensorsFormatException expected) {
            // the format's own error, naming the file
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void safetensors(byte[] data) throws IOException { parseFile("x.safetensors", data, Safetensors::read); }

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
        parseFile("data_batch_1.bin", data, f -> CifarBinary.read(List.of(f), 1, 0, DatasetId.CIFAR10.classNames(), Map.of("data_batch_1.bin", 10_000)));
    }

    @FuzzTest(maxDuration = "5s")
    void matV5(byte[] data) throws IOException { parseFile("train_32x32.mat", data, f -> Svhn.read(f, DatasetId.SVHN.classNames())); }

    @FuzzTest(maxDuration = "5s")
    void stl10(FuzzedDataProvider in) throws IOException {
        Path y = DIR.resolve("train_y.bin");
        byte[] x = in.consumeBytes(in.consumeInt(0, 4 * Stl10Binary.PIXELS));
        Files.write(y, in.consumeRemainingAsBytes());
        try {
            parseFile("train_X.bin", x, f -> Stl10Binary.read(f, y, DatasetId.STL10.classNames()));
        } finally {
            Files.deleteIfExists(y);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void tarGz(byte[] data) throws IOException {
        Path into = DIR.resolve("untar");
        try {
            parseFile("archive.tar.gz", data, f -> TarGz.extract(f, into));
        } finally {
            if (Files.exists(into)) {
                try (var all = Files.walk(into)) {
                    for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
        }
    }

    @FuzzTest(maxDuration = "5s")
    void torchPickle(byte[] data) {
        try {
            TorchPickle.read(data, Path.of("data.pkl"));
        } catch (SafetensorsFormatException expected) {
            // refused, naming the problem
        }
    }

    @FuzzTest(maxDuration = "5s")
    void torchArchive(byte[] data) throws IOException { parseFile("x.pt", data, TorchCheckpoint::read); }

    @FuzzTest(maxDuration = "5s")
    void imageFile(byte[] data) throws IOException { parseFile("image.JPEG", data, ImageFolder::decode); }

    @FuzzTest(maxDuration = "5s")
    void trainConfig(FuzzedDataProvider in) throws IOException {
        boolean yaml = in.consumeBoolean();
        parseFile(yaml ? "config.yaml" : "config.json", in.consumeRemainingAsBytes(), f -> {
            try {
                Presets.resolve(DatasetId.FASHION_MNIST, f, Map.of());
            } catch (IllegalArgumentException expected) {
                // "--config FILE: ..." or a TrainConfig field out of range, both naming what is wrong
            }
        });
    }
}
