package io.classwise.tensor.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The typed CUDA boundary, checked on every machine (no GPU needed): the header declares exactly the
 * kernels native/cuda defines, CudaKernels has one method per declaration whose arguments have the
 * declaration's kinds in its order, and CudaBackend launches every kernel but the two per-class
 * reductions that wait for the GPU run (#12: wire them or drop them once measured).
 */
class CudaBoundaryTest {
    private static final Path HEADER = Path.of("native", "include", "classwise_kernels.h");
    private static final Pattern DECLARATION = Pattern.compile("extern \"C\" __global__ void (cw_\\w+)\\(([^)]*)\\)");
    /** Kernels compiled but not yet launched; each must be justified here, not forgotten. */
    private static final Set<String> NOT_YET_LAUNCHED = Set.of("cw_class_counts", "cw_flip_matrix");

    /** kernel → argument kinds (ptr, f, i32, i64) from C parameter lists. */
    private static Map<String, List<String>> signatures(String source) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = DECLARATION.matcher(source);
        while (m.find()) {
            List<String> kinds = new ArrayList<>();
            for (String p : m.group(2).split(",")) {
                String t = p.trim();
                kinds.add(t.contains("*") ? "ptr" : t.startsWith("float") ? "f" : t.startsWith("int64_t") ? "i64"
                        : t.startsWith("int") ? "i32" : "?" + t);
            }
            out.put(m.group(1), kinds);
        }
        return out;
    }

    private static String camel(String kernel) {
        String[] parts = kernel.substring(3).split("_");
        StringBuilder b = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) b.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i].substring(1));
        return b.toString();
    }

    @Test
    void headerDefinitionsTypedMethodsAndLaunchesAgree() throws IOException {
        Map<String, List<String>> declared = signatures(Files.readString(HEADER));
        Map<String, List<String>> defined = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(Path.of("native", "cuda"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).toList()) defined.putAll(signatures(Files.readString(f)));
        }
        assertEquals(new TreeSet<>(defined.keySet()), new TreeSet<>(declared.keySet()), "every defined kernel is declared, and only those");
        assertEquals(defined.size(), declared.size());
        for (String k : declared.keySet()) assertEquals(defined.get(k), declared.get(k), k + ": declaration and definition differ");

        String typed = Files.readString(Path.of("java", "io", "classwise", "tensor", "cuda", "CudaKernels.java"));
        Pattern method = Pattern.compile("void (\\w+)\\([^)]*\\) \\{\\s*module\\.args\\(\\)((?:\\.\\w+\\([^)]*\\))*);\\s*module\\.launch\\(\"(cw_\\w+)\", grid\\);");
        Matcher m = method.matcher(typed);
        Map<String, List<String>> methods = new LinkedHashMap<>();
        while (m.find()) {
            assertEquals(camel(m.group(3)), m.group(1), "method name of " + m.group(3));
            List<String> kinds = new ArrayList<>();
            Matcher a = Pattern.compile("\\.(\\w+)\\(").matcher(m.group(2));
            while (a.find()) kinds.add(a.group(1));
            methods.put(m.group(3), kinds);
        }
        assertEquals(declared, methods, "CudaKernels passes each kernel's arguments with the declared kinds, in order");

        String backend = Files.readString(Path.of("java", "io", "classwise", "tensor", "cuda", "CudaBackend.java"));
        Set<String> launched = new TreeSet<>();
        for (String k : declared.keySet()) if (backend.contains("kernels." + camel(k) + "(")) launched.add(k);
        Set<String> missing = new TreeSet<>(declared.keySet());
        missing.removeAll(launched);
        assertEquals(NOT_YET_LAUNCHED, missing, "declared kernels CudaBackend never launches");
        assertTrue(!backend.contains("kernels.args()") && !backend.contains("launch(\""),
                "CudaBackend launches only through the typed methods");
    }

    /** The CPU execution of the kernels leaves none out: each is tested in native/emu and launchable on the emulated device. */
    @Test
    void everyKernelIsEmulatedAndTested() throws IOException {
        Set<String> declared = signatures(Files.readString(HEADER)).keySet();
        String tests = Files.readString(Path.of("native", "emu", "kernel_tests.cpp"));
        String launcher = Files.readString(Path.of("native", "emu", "cuda_emu_launch.h"));
        for (String k : declared) {
            assertTrue(Pattern.compile("\\b" + k + "\\b,").matcher(tests).find(), k + " is launched by native/emu/kernel_tests.cpp");
            assertTrue(launcher.contains("CW_KERNEL(" + k + ")"), k + " is in the emulated device's launch table");
        }
        if (EmulatedKernels.unavailabilityCause() == null) assertEquals(declared.size(), EmulatedKernels.kernelCount());
    }
}
