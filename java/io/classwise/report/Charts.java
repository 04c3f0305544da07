package io.classwise.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import io.classwise.analysis.ClassRobustness;
import java.awt.Font;
import java.util.Collections;

/** The report's charts (XChart), each saved as PNG and SVG; the PNG is embedded in report.html. */
public final class Charts {
    private Charts() {}

    static { System.setProperty("java.awt.headless", "true"); }

    private static final int W = 900, H = 500;
    /** Datasets with more classes than this get the heat map's cells without numbers and class ids as axis labels. */
    static final int MANY_CLASSES = 20;
    /** Per-class curves and bars show at most this many classes (the worst and best halves) plus the band. */
    static final int SHOWN_CLASSES = 10;

    /**
     * One colour per class, the same in every chart: 20 strong, distinct colours (no pale or yellow
     * tones that vanish on white) for the first 20 class ids; beyond that hues spread by the golden angle
     * at the same saturation and brightness.
     */
    public static Color classColor(int classId) {
        if (classId < PALETTE.length) return PALETTE[classId];
        float hue = (float) ((classId * 0.6180339887) % 1.0);
        return Color.getHSBColor(hue, 0.75f, 0.70f);
    }

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0x7f7f7f), new Color(0x1a1a80),
        new Color(0xaa3300), new Color(0x006d5b), new Color(0xb8860b), new Color(0x6a3d9a), new Color(0xc51b7d),
        new Color(0x4d9221), new Color(0x2166ac), new Color(0x8b0000), new Color(0x5e3c99), new Color(0x00688b)};

    /**
     * The classes a per-class chart shows: all when there are at most {@link #SHOWN_CLASSES}, else the
     * worst and the best halves by {@code score} (ids in class order).
     */
    public static List<Integer> worstAndBest(double[] score) { return ClassRobustness.worstAndBest(score, SHOWN_CLASSES); }

    /** How the heat map labels its axes: the labels (top row first), the font size and the cell size in pixels. */
    record HeatmapLayout(List<String> labels, int fontSize, int cellPixels, boolean rotateX) {}

    /**
     * Labels that never collide: for up to {@link #MANY_CLASSES} classes the names, cut with "…" to what
     * fits the cell width when rotated is not needed (y axis) and rotated 90° on the x axis; beyond that the
     * class ids (names in the tables). Cells are at least 14 pixels, so a 10-pixel font fits across them.
     */
    static HeatmapLayout heatmapLayout(List<String> names) {
        int k = names.size();
        int cell = Math.max(14, 640 / Math.max(1, k));
        int font = Math.min(12, cell - 4);
        List<String> labels = new ArrayList<>();
        for (int c = 0; c < k; c++) labels.add(k > MANY_CLASSES ? Integer.toString(c) : abbreviate(names.get(c), 16));
        return new HeatmapLayout(labels, font, cell, true);
    }

    static String abbreviate(String name, int max) { return name.length() <= max ? name : name.substring(0, max - 1) + "…"; }

    /**
     * Saves name.png and name.svg into dir and returns an {@code <img>} element with the PNG inlined
     * as a data URI (the SVGs, with text drawn as paths, are several times larger; they stay in plots/).
     */
    public static String save(Chart<?, ?> chart, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(chart, dir.resolve(name).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        byte[] png = Files.readAllBytes(dir.resolve(name + ".png"));
        return "<img alt=\"" + name + "\" src=\"data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png) + "\">";
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setChartTitleBoxVisible(false);
    }

    /** One line per class over epochs, with the band between the worst and best class shaded. */
    public static XYChart perClassOverEpochs(String title, double[] epochs, List<String> names, List<Integer> classIds,
                                             List<double[]> perClassOverEpochs, double[] min, double[] max) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle("epoch").yAxisTitle("accuracy").build();
        style(c.getStyler());
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        // The band: the best class's curve filled in grey, the worst class's filled in white over it.
        XYSeries top = c.addSeries("best class", epochs, max);
        top.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        top.setFillColor(new Color(220, 225, 235));
        top.setLineColor(new Color(160, 170, 190));
        top.setMarker(SeriesMarkers.NONE);
        XYSeries bottom = c.addSeries("worst class", epochs, min);
        bottom.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        bottom.setFillColor(Color.WHITE);
        bottom.setLineColor(new Color(160, 170, 190));
        bottom.setMarker(SeriesMarkers.NONE);
        for (int k = 0; k < names.size(); k++) {
            XYSeries line = c.addSeries(names.get(k), epochs, perClassOverEpochs.get(k));
            line.setMarker(SeriesMarkers.CIRCLE);
            if (classIds != null) { line.setLineColor(classColor(classIds.get(k))); line.setMarkerColor(classColor(classIds.get(k))); }
        }
        return c;
    }

    public static CategoryChart histogram(String title, List<String> bins, int[] counts, String yTitle) {
        CategoryChart c = new CategoryChartBuilder().width(W).height(H).title(title).xAxisTitle("robust accuracy interval").yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(false);
        // Counts are whole numbers: ticks at least one unit apart, printed without decimals.
        int most = 1;
        for (int x : counts) most = Math.max(most, x);
        c.getStyler().setYAxisMin(0.0).setYAxisMax((double) most).setYAxisDecimalPattern("#0");
        c.getStyler().setYAxisTickMarkSpacingHint(Math.max(74, (H - 150) / most));
        List<Integer> v = new ArrayList<>();
        for (int x : counts) v.add(x);
        c.addSeries("classes", bins, v);
        return c;
    }

    /**
     * Rows: true class, class 0 at the top; columns: class predicted after the attack; cell: fraction of
     * the row. Numbers in the cells only up to {@link #MANY_CLASSES} classes; the labels follow
     * {@link #heatmapLayout}.
     */
    public static HeatMapChart flipHeatmap(String title, List<String> names, double[][] rowNormalized) {
        HeatmapLayout layout = heatmapLayout(names);
        int k = names.size(), side = layout.cellPixels() * k;
        HeatMapChart c = new HeatMapChartBuilder().width(side + 360).height(side + 220).title(title).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setShowValue(k <= MANY_CLASSES);
        c.getStyler().setMin(0).setMax(1);
        c.getStyler().setRangeColors(new Color[] {new Color(255, 255, 255), new Color(255, 200, 120), new Color(200, 40, 30)});
        c.getStyler().setXAxisTitleVisible(true).setYAxisTitleVisible(true);
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, layout.fontSize()));
        c.getStyler().setXAxisLabelRotation(layout.rotateX() ? 90 : 0);
        c.setXAxisTitle(k > MANY_CLASSES ? "class id predicted after the attack" : "predicted after attack");
        c.setYAxisTitle(k > MANY_CLASSES ? "true class id" : "true class");
        // XChart draws the first y category at the bottom: list them bottom-up so class 0 is the top row.
        List<String> x = layout.labels(), y = new ArrayList<>(layout.labels());
        Collections.reverse(y);
        List<Number[]> cells = new ArrayList<>();
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) cells.add(new Number[] {j, k - 1 - i, Math.round(rowNormalized[i][j] * 100) / 100.0});
        c.addSeries("flips", x, y, cells);
        return c;
    }

    /** One point per class: classifier weight norm against robust accuracy. */
    public static XYChart scatter(String title, List<String> names, double[] x, double[] y, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(12);
        for (int k = 0; k < names.size(); k++) {
            XYSeries p = c.addSeries(names.get(k), new double[] {x[k]}, new double[] {y[k]});
            p.setMarkerColor(classColor(k));
        }
        c.getStyler().setLegendVisible(names.size() <= MANY_CLASSES);
        return c;
    }

    /** Grouped bars: classes on the x axis, one bar per series (attack). */
    public static CategoryChart groupedBars(String title, List<String> classes, List<String> series, List<double[]> values) {
        return groupedBars(title, classes, series, values, null, "robust accuracy", 0, 1);
    }

    /**
     * Grouped bars with whiskers: errors (nullable; one array per series) are half-widths drawn around each bar,
     * e.g. half a 95 % interval; y from yMin to yMax (a change against a baseline goes below 0).
     */
    public static CategoryChart groupedBars(String title, List<String> classes, List<String> series, List<double[]> values,
                                            List<double[]> errors, String yTitle, double yMin, double yMax) {
        CategoryChart c = new CategoryChartBuilder().width(W
                + 300).height(H).title(title).xAxisTitle("class").yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setYAxisMin(yMin).setYAxisMax(yMax);
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        for (int s = 0; s < series.size(); s++) {
            List<Double> v = new ArrayList<>(), e = new ArrayList<>();
            for (int k = 0; k < values.get(s).length; k++) {
                double d = values.get(s)[k];
                v.add(Double.isNaN(d) ? 0 : d);
                double err = errors == null ? 0 : errors.get(s)[k];
                e.add(Double.isNaN(err) ? 0 : err);
            }
            if (errors == null) c.addSeries(series.get(s), classes, v);
            else c.addSeries(series.get(s), classes, v, e);
        }
        return c;
    }

    /**
     * Curves over a numeric x (temperature, log scale). colours (nullable, one per curve, null entries
     * for XChart's own) keep a class's colour the same as in the other charts.
     */
    public static XYChart curves(String title, double[] x, List<String> names, List<double[]> ys, String xTitle, boolean logX,
            List<Color> colours) {
        XYChart c = curves(title, x, names, ys, xTitle, "robust accuracy", logX, colours);
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        return c;
    }

    /** As above with any y quantity (class weights, budgets), the y range fitted to the data. */
    public static XYChart curves(String title, double[] x, List<String> names, List<double[]> ys, String xTitle, String yTitle, boolean logX,
            List<Color> colours) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(logX);
        for (int k = 0; k < names.size(); k++) {
            XYSeries line = c.addSeries(names.get(k), x, ys.get(k));
            line.setMarker(SeriesMarkers.CIRCLE);
            Color colour = colours == null ? null : colours.get(k);
            if (colour != null) { line.setLineColor(colour); line.setMarkerColor(colour); }
        }
        return c;
    }
}
