package io.classwise.report;

import io.classwise.data.DatasetId;
import io.classwise.train.RunDirectory;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.classwise.analysis.ReportRenderCheckAccess;

/**
 * A CIFAR-100-sized report from analysis files written the way Diagnosis writes them: the heat map
 * without cell numbers, the most confused pairs named in a table, the ladder and Temperature-PGD
 * charts restricted to the worst and best classes, every class still in the tables.
 */
class ReportWriterTest {
    @TempDir Path dir;

    @Test
    void aHundredClassReportStaysReadable() throws Exception {
        RunDirectory run = new RunDirectory(dir);
        Files.createDirectories(run.analysis());
        List<String> names = DatasetId.CIFAR100.classNames();
        int k = names.size();
        Rng rng = new Rng(4);
        long[][] counts = new long[k][k];
        double[][] norm = new double[k][k];
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            counts[i][i] = 3 + rng.nextInt(5);
            counts[i][(i + 1) % k] = rng.nextInt(6);
            counts[i][(i + 7) % k] = rng.nextInt(3);
            long total = counts[i][i] + counts[i][(i + 1) % k] + counts[i][(i + 7) % k];
            for (int j = 0; j < k; j++) norm[i][j] = (double) counts[i][j] / total;
            perClass.add(Map.of("class", names.get(i), "correct_before_attack", total, "clean_errors", 2, "flips", total - counts[i][i],
                    "top_targets", List.of(), "top1_share", 0.5, "top2_share", 1.0, "entropy_bits", 1.0));
        }
        Map<String, Object> flips = new LinkedHashMap<>();
        flips.put("attack", "PGD-20"); flips.put("eps", 0.031); flips.put("population",
                "test examples classified correctly before the attack");
        flips.put("class_names", names); flips.put("counts", counts); flips.put("row_normalized", norm); flips.put("per_class", perClass);
        Tables.json(run.analysis().resolve("flip_matrix.json"), flips);

        List<Map<String, Object>> rungs = new ArrayList<>();
        for (String a : List.of("FGSM", "PGD-10", "PGD-20")) {
            double[] v = new double[k];
            for (int c = 0; c < k; c++) v[c] = rng.nextDouble() * 0.5;
            rungs.add(Map.of("attack", a, "overall", 0.25, "perClass", v));
        }
        Map<String, Object> ladder = new LinkedHashMap<>();
        ladder.put("eps", 0.031); ladder.put("class_names", names); ladder.put("clean", Map.of("attack", "clean", "overall", 0.5,
                "perClass", new double[k]));
        ladder.put("rungs", rungs); ladder.put("drop_weakest_to_strongest", new double[k]);
        ladder.put("drop_vs_pgd20_robustness", Map.of("pearson", 0.1, "spearman", 0.2));
        Tables.json(run.analysis().resolve("attack_ladder.json"), ladder);

        List<Map<String, Object>> rows = new ArrayList<>();
        for (double t : new double[] {1, 5}) {
            double[] v = new double[k];
            for (int c = 0; c < k; c++) v[c] = rng.nextDouble();
            rows.add(Map.of("attack", "TPGD-20(T=" + t + ")", "overall", 0.3, "perClass", v));
        }
        Tables.json(run.analysis().resolve("temperature_pgd.json"), Map.of("eps", 0.031, "temperatures", new double[] {1, 5},
                "class_names", names, "rows", rows));

        Path model = run.checkpoints().resolve("model.safetensors");
        Files.createDirectories(model.getParent());
        Files.writeString(model, "a model");
        AnalysisSeal.write(run, new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode(), new io.classwise.train.RunManifest.FinalModel(model, null));
        Path report = new ReportWriter(run).write();
        String html = Files.readString(report);
        String pairs = html.substring(html.indexOf("<table id=\"confused-pairs\">"), html.indexOf("</table>",
                html.indexOf("<table id=\"confused-pairs\">")));
        assertEquals(20, pairs.split("<tr>").length - 2, "20 most confused pairs named");
        assertTrue(html.contains("shown: the 5 worst and 5 best classes by PGD-20"), "ladder chart restricted, and says so");
        assertTrue(html.contains("worst/best envelope of all 100"), "Temperature-PGD chart: worst and best classes plus the band");
        Matcher m = Pattern.compile("<table id=\"ladder\">(.*?)</table>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find());
        assertEquals(k + 4, m.group(1).split("<tr>").length - 2, "every class, overall, and average / worst class / gap in the ladder table");
        double worstPgd20 = Double.POSITIVE_INFINITY;
        for (double v : (double[]) rungs.get(2).get("perClass")) worstPgd20 = Math.min(worstPgd20, v);
        assertTrue(m.group(1).contains(String.format(java.util.Locale.ROOT, "%.3f</td><td></td></tr>\n<tr><td><b>gap", worstPgd20)),
                "the worst-class row ends with PGD-20's worst class");
        for (String chart : List.of("flip_matrix", "attack_ladder",
                "temperature_pgd")) assertTrue(Files.size(run.plots().resolve(chart + ".png")) > 5_000, chart);
        ReportRenderCheckAccess.render(report, dir.resolve("screenshot.png"));
    }
}
