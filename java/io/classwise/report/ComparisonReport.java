package io.classwise.report;

import io.classwise.analysis.RobustFairness;
import io.classwise.analysis.RunComparison;
import io.classwise.util.AtomicFiles;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Writes a {@link RunComparison}: comparison.json (everything), summary.csv (per run and attack: average,
 * worst class, gap, spread, with 95 % bootstrap intervals), per_class.csv, plots/ and report.html — per-class
 * robust accuracy as grouped bars with intervals, the change against the baseline, the flip matrices side
 * by side and the class-aware methods' budgets and weights over epochs, drawn with the report's charts.
 */
public final class ComparisonReport {
    private ComparisonReport() {}

    public static Path write(Path out, RunComparison c) throws IOException {
        Files.createDirectories(out);
        Tables.json(out.resolve("comparison.json"), c);
        List<List<Object>> summary = new ArrayList<>(), perClass = new ArrayList<>();
        for (int r = 0; r < c.runs().size(); r++) {
            RunComparison.Run run = c.runs().get(r);
            for (int a = 0; a < c.attacks().size(); a++) {
                RobustFairness f = run.robust().get(a);
                summary.add(List.of(run.name(), run.method(), c.attacks().get(a), f.average(), f.interval()[0][0], f.interval()[0][1], f.worst(),
                        c.classNames().get(f.worstClass()), f.interval()[1][0], f.interval()[1][1], f.gap(), f.interval()[2][0],
                        f.interval()[2][1], f.std(), mean(run.clean())));
                double[] change = c.changeAgainstBaseline(r, a);
                for (int k = 0; k < c.classNames().size(); k++) {
                    perClass.add(List.of(run.name(), c.attacks().get(a), c.classNames().get(k), f.perClass()[k], f.lower()[k], f.upper()[k],
                            run.clean()[k], change[k]));
                }
            }
        }
        Tables.csv(out.resolve("summary.csv"), List.of("run", "method", "attack", "average", "average_low", "average_high", "worst",
                "worst_class", "worst_low", "worst_high", "gap", "gap_low", "gap_high", "std", "clean_average"), summary);
        Tables.csv(out.resolve("per_class.csv"), List.of("run", "attack", "class", "robust", "robust_low", "robust_high", "clean",
                "change_vs_baseline"), perClass);
        Path report = out.resolve("report.html");
        String html = html(c, out.resolve("plots"));
        AtomicFiles.write(report, o -> o.write(html.getBytes(StandardCharsets.UTF_8)));
        return report;
    }

    private static String html(RunComparison c, Path plots) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Classwise comparison</title><style>")
            .append("body{font-family:system-ui,sans-serif;max-width:1300px;margin:2em auto;color:#222}")
            .append("table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
            .append("th{background:#f0f2f5}td:first-child,th:first-child{text-align:left}img{max-width:100%;height:auto}")
            .append("h2{border-bottom:2px solid #dde;padding-bottom:4px;margin-top:2em}.note{color:#555}.grid{display:flex;flex-wrap:wrap;gap:1em}")
            .append(".grid figure{width:48%;margin:0}")
            .append("</style></head><body>\n<h1>Class-wise comparison</h1>\n");
        h.append(String.format(Locale.ROOT, "<p>%d runs, %d test examples (balanced), ε = %.4f, baseline <b>%s</b>. Robust = correct on the "
                + "clean example and under the attack; intervals are 95 %% bootstrap intervals (test examples resampled within each class, "
                + "%d resamples).</p>%n", c.runs().size(), c.examples(), c.eps(), esc(c.runs().get(c.baseline()).name()),
                c.runs().get(0).robust().get(0).resamples()));
        h.append("<h2>Average, worst class and gap</h2>\n<table><tr><th>run</th><th>method</th><th>clean</th>");
        for (String a : c.attacks()) h.append("<th>").append(esc(a)).append(" average</th><th>worst class</th><th>gap</th><th>std</th>");
        h.append("</tr>\n");
        for (RunComparison.Run run : c.runs()) {
            h.append("<tr><td>").append(esc(run.name())).append("</td><td>").append(esc(run.method())).append("</td><td>")
                .append(num(mean(run.clean()))).append("</td>");
            for (RobustFairness f : run.robust()) {
                h.append("<td>").append(withInterval(f.average(), f.interval()[0])).append("</td><td>")
                    .append(withInterval(f.worst(), f.interval()[1])).append(" ").append(esc(c.classNames().get(f.worstClass())))
                    .append("</td><td>").append(withInterval(f.gap(), f.interval()[2])).append("</td><td>").append(num(f.std())).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        List<String> runNames = c.runs().stream().map(RunComparison.Run::name).toList();
        for (int a = 0; a < c.attacks().size(); a++) {
            String attack = c.attacks().get(a);
            h.append("<h2>Per-class robust accuracy, ").append(esc(attack)).append("</h2>\n");
            final int ai = a;
            List<double[]> values = series(c, r -> r.robust().get(ai).perClass());
            List<double[]> half = series(c, r -> halfWidths(r.robust().get(ai)));
            h.append(figure(Charts.save(Charts.groupedBars("Robust accuracy per class (" + attack + ")", c.classNames(), runNames, values, half,
                    "robust accuracy", 0, 1), plots, "per_class_" + slug(attack)),
                    "Whiskers: half the width of each class's 95 % interval, drawn around the estimate (the exact bounds are in the table "
                            + "and per_class.csv)."));
            h.append(perClassTable(c, a));
            if (c.runs().size() > 1) {
                List<String> others = new ArrayList<>();
                List<double[]> change = new ArrayList<>();
                for (int r = 0; r < c.runs().size(); r++) {
                    if (r == c.baseline()) continue;
                    others.add(c.runs().get(r).name());
                    change.add(c.changeAgainstBaseline(r, a));
                }
                // The y range fits the largest change (to the next 0.1), so small differences stay visible.
                double largest = 0.05;
                for (double[] d : change) for (double v : d) if (!Double.isNaN(v)) largest = Math.max(largest, Math.abs(v));
                double bound = Math.min(1, Math.ceil(largest * 10 + 1e-9) / 10);
                h.append(figure(Charts.save(Charts.groupedBars("Change against " + c.runs().get(c.baseline()).name() + " (" + attack + ")",
                        c.classNames(), others, change, null, "robust accuracy − baseline's", -bound, bound), plots, "change_" + slug(attack)),
                        "Above 0: the run is more robust on that class than the baseline."));
            }
        }
        h.append("<h2>Where each class's adversarial examples go (").append(esc(c.attacks().get(0))).append(")</h2>\n<div class=\"grid\">");
        for (RunComparison.Run run : c.runs()) {
            h.append(figure(Charts.save(Charts.flipHeatmap(run.name(), c.classNames(), run.flips()), plots, "flips_" + slug(run.name())),
                    "Row: true class; column: prediction under the attack; rows normalised over the examples classified correctly before it."));
        }
        h.append("</div>\n");
        boolean anyPlan = c.runs().stream().anyMatch(r -> !r.plans().isEmpty());
        if (anyPlan) {
            h.append("<h2>What the class-aware methods set per class, over epochs</h2>\n<div class=\"grid\">");
            for (RunComparison.Run run : c.runs()) {
                if (run.plans().isEmpty()) continue;
                h.append(planChart(c, run, "ε per class", RunComparison.EpochPlan::eps, plots, "eps"));
                h.append(planChart(c, run, "clean-term weight per class", RunComparison.EpochPlan::cleanWeights, plots, "clean_weights"));
                h.append(planChart(c, run, "robust-term weight per class", RunComparison.EpochPlan::robustWeights, plots, "robust_weights"));
            }
            h.append("</div>\n");
        }
        h.append("<p class=\"note\">Generated by Classwise compare; the numbers are in comparison.json, summary.csv and per_class.csv.</p>"
                + "</body></html>\n");
        return h.toString();
    }

    private static String planChart(RunComparison c, RunComparison.Run run, String what, Function<RunComparison.EpochPlan, double[]> field,
                                    Path plots, String file) throws IOException {
        return planChart(run.name(), run.method(), c.classNames(), run.plans(), what, field, plots, file);
    }

    /** A class-aware method's per-class quantity over epochs, one line per class in its colour; "" when the plans lack it. */
    static String planChart(String runName, String method, List<String> classNames, List<RunComparison.EpochPlan> plans, String what,
                            Function<RunComparison.EpochPlan, double[]> field, Path plots, String file) throws IOException {
        List<RunComparison.EpochPlan> with = plans.stream().filter(p -> field.apply(p) != null).toList();
        if (with.isEmpty()) return "";
        double[] x = with.stream().mapToDouble(RunComparison.EpochPlan::epoch).toArray();
        List<double[]> ys = new ArrayList<>();
        List<Color> colours = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classNames.size(); k++) {
            final int kk = k;
            ys.add(with.stream().mapToDouble(p -> field.apply(p)[kk]).toArray());
            colours.add(Charts.classColor(k));
            names.add(classNames.get(k));
        }
        return figure(Charts.save(Charts.curves(runName + ": " + what, x, names, ys, "epoch", what, false, colours), plots,
                file + "_" + slug(runName)), method + ": " + what + " by epoch (metrics.jsonl).");
    }

    private static String perClassTable(RunComparison c, int a) {
        StringBuilder t = new StringBuilder("<table><tr><th>class</th>");
        for (RunComparison.Run run : c.runs()) t.append("<th>").append(esc(run.name())).append("</th>");
        t.append("</tr>\n");
        for (int k = 0; k < c.classNames().size(); k++) {
            t.append("<tr><td>").append(esc(c.classNames().get(k))).append("</td>");
            for (RunComparison.Run run : c.runs()) {
                RobustFairness f = run.robust().get(a);
                t.append("<td>").append(withInterval(f.perClass()[k], new double[] {f.lower()[k], f.upper()[k]})).append("</td>");
            }
            t.append("</tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    private static List<double[]> series(RunComparison c, Function<RunComparison.Run, double[]> f) {
        return c.runs().stream().map(f).toList();
    }

    private static double[] halfWidths(RobustFairness f) {
        double[] h = new double[f.perClass().length];
        for (int k = 0; k < h.length; k++) h[k] = (f.upper()[k] - f.lower()[k]) / 2;
        return h;
    }

    private static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) if (!Double.isNaN(x)) { s += x; n++; }
        return n == 0 ? Double.NaN : s / n;
    }

    private static String withInterval(double v, double[] interval) {
        return num(v) + " <small>[" + num(interval[0]) + ", " + num(interval[1]) + "]</small>";
    }

    private static String num(double v) { return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v); }

    private static String figure(String img, String caption) { return "<figure>" + img + "<figcaption>" + esc(caption) + "</figcaption></figure>\n"; }

    private static String slug(String s) { return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-"); }

    private static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"); }
}
