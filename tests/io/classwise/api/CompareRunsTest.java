package io.classwise.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.RunComparison;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.Split;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.train.Recipes;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** compare: two small runs side by side, every file written and consistent with itself. */
class CompareRunsTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @Test
    void twoRunsSideBySide(@TempDir Path dir) throws Exception {
        try (CpuBackend b = new CpuBackend(2)) {
            for (String m : List.of("pgd-at", "dafa")) {
                TrainConfig c = Recipes.smallCnn(m, 2, 25, "constant", 0.025, 2, 0.025, 2, 200, 50, 1);
                c.source = "embedded";
                c.dafaWarmup = 1;
                new Trainer(c, b, DatasetId.FASHION_MNIST, DemoData.fashionMnist(Split.TRAIN), DemoData.fashionMnist(Split.TEST),
                        new RunDirectory(dir.resolve(m)), QUIET, false).fit(false);
            }
            Path out = dir.resolve("cmp");
            RunComparison c = CompareRuns.run(new CompareRuns.Request(List.of(dir.resolve("pgd-at"), dir.resolve("dafa")), out, null, null, 3,
                    60, false, 32, null, 0, false), b, QUIET);
            assertEquals(2, c.runs().size());
            assertEquals(60, c.examples());
            double[] self = c.changeAgainstBaseline(0, 0);
            for (double v : self) assertEquals(0, v, 0, "the baseline against itself");
            assertTrue(c.runs().get(0).plans().isEmpty(), "PGD-AT has no per-class plan");
            assertEquals(1, c.runs().get(1).plans().size(), "DAFA's plan starts after its warm-up epoch");
            for (String f : List.of("report.html", "comparison.json", "summary.csv", "per_class.csv")) assertTrue(Files.size(out.resolve(f)) > 0, f);
            assertEquals(1 + 2, Files.readAllLines(out.resolve("summary.csv")).size(), "a header and a row per run");
            assertEquals(1 + 2 * 10, Files.readAllLines(out.resolve("per_class.csv")).size());
            JsonNode j = new ObjectMapper().readTree(out.resolve("comparison.json").toFile());
            assertEquals("dafa", j.path("runs").get(1).path("method").asText());
            String html = Files.readString(out.resolve("report.html"));
            assertTrue(html.contains("Change against pgd-at") || html.contains("change_"), "the change chart");
            assertTrue(html.contains("robust-term weight") || html.contains("clean-term weight"), "DAFA's weights over epochs");
            assertThrows(IllegalArgumentException.class, () -> CompareRuns.run(new CompareRuns.Request(List.of(dir.resolve("pgd-at")), out, null,
                    null, 3, 60, false, 32, null, 0, false), b, QUIET));
        }
    }
}
