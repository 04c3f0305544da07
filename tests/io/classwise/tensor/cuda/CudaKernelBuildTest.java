package io.classwise.tensor.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA kernels' build, checked on machines without a GPU: where nvcc exists the jar's classpath
 * carries a fatbin with every kernel native/cuda declares (SASS for sm_80 and sm_90 plus PTX), and
 * where it does not the native build configures to a CPU-only build and says so.
 */
class CudaKernelBuildTest {
    private static final Path SOURCES = Path.of("native", "cuda");

    private static boolean nvccAvailable() {
        try {
            Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Names of the extern "C" __global__ kernels declared in native/cuda/*.cu. */
    private static Set<String> declaredKernels() throws IOException {
        Pattern kernel = Pattern.compile("extern \"C\" __global__ void (cw_\\w+)\\(");
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                Matcher m = kernel.matcher(Files.readString(f));
                while (m.find()) names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void fatbinCarriesEveryKernelWhereNvccExists() throws IOException {
        assumeTrue(nvccAvailable(), "nvcc is not installed here, so this build is CPU-only by design");
        Set<String> declared = declaredKernels();
        assertTrue(declared.size() >= 30, "expected the kernels of native/cuda, found " + declared);
        byte[] fatbin;
        try (InputStream in = getClass().getResourceAsStream("/io/classwise/tensor/cuda/classwise_kernels.fatbin")) {
            assertNotNull(in, "nvcc is installed but the build put no classwise_kernels.fatbin on the classpath");
            fatbin = in.readAllBytes();
        }
        // A fatbin starts with its magic 0xBA55ED50 (little-endian) and names its kernels in the symbol tables.
        assertEquals(0xBA55ED50, (fatbin[0] & 0xff) | (fatbin[1] & 0xff) << 8 | (fatbin[2] & 0xff) << 16 | (fatbin[3] & 0xff) << 24,
                "not a fatbin");
        String text = new String(fatbin, StandardCharsets.ISO_8859_1);
        for (String k : declared) assertTrue(text.contains(k), "kernel " + k + " missing from the fatbin");
        for (String arch : new String[] {"sm_80", "sm_90"}) assertTrue(text.contains(arch), "no code for " + arch);
    }

    @Test
    void withoutNvccTheNativeBuildIsCpuOnlyAndSaysSo(@TempDir Path dir) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("cmake", "-S", "native", "-B", dir.resolve("build").toString(),
                    "-DCLASSWISE_NVCC=CLASSWISE_NVCC-NOTFOUND", "-DCLASSWISE_OUTPUT_DIR=" + dir.resolve("out"))
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "cmake is not installed: " + e.getMessage());
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("nvcc not found") && out.contains("CPU-only"), out);
        assertFalse(Files.exists(dir.resolve("out").resolve("classwise_kernels.fatbin")));
    }
}
