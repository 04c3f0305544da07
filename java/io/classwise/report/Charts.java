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

/** The report's charts (XChart), each saved as PNG and SVG; the PNG is embedded in report.html. */
public final class Charts {
    private Charts() {}

    static { System.setProperty("java.awt.headless", "true"); }

    private static final int W = 900, H = 500;

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
    public static XYChart perClassOverEpochs(String title, double[] epochs, List<String> names, List<double[]> perClassOverEpochs,
                                             double[] min, double[] max) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle("epoch").yAxisTitle("accuracy").build();
        style(c.getStyler());
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        // The band: the best class's curve filled in grey, the worst class's filled in white over it.
        XYSeries top = c.addSeries("best class", epochs, max);
        top.setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Area);
        top.setFillColor(new Color(220, 225, 235));
        top.setLineColor(new Color(160, 170, 190));
        top.setMarker(SeriesMarkers.NONE);
        XYSeries bottom = c.addSeries("worst class", epochs, min);
        bottom.setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Area);
        bottom.setFillColor(Color.WHITE);
        bottom.setLineColor(new Color(160, 170, 190));
        bottom.setMarker(SeriesMarkers.NONE);
        for (int k = 0; k < names.size(); k++) c.addSeries(names.get(k), epochs, perClassOverEpochs.get(k)).setMarker(SeriesMarkers.CIRCLE);
        return c;
    }

    public static CategoryChart histogram(String title, List<String> bins, int[] counts, String yTitle) {
        CategoryChart c = new CategoryChartBuilder().width(W).height(H).title(title).xAxisTitle("robust accuracy interval").yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(false);
        List<Integer> v = new ArrayList<>();
        for (int x : counts) v.add(x);
        c.addSeries("classes", bins, v);
        return c;
    }

    /** Rows: true class; columns: class predicted after the attack; cell: fraction of the row. */
    public static HeatMapChart flipHeatmap(String title, List<String> names, double[][] rowNormalized) {
        HeatMapChart c = new HeatMapChartBuilder().width(W).height(W * 4 / 5).title(title).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setShowValue(true);
        c.getStyler().setMin(0).setMax(1);
        c.getStyler().setRangeColors(new Color[] {new Color(255, 255, 255), new Color(255, 200, 120), new Color(200, 40, 30)});
        c.getStyler().setXAxisTitleVisible(true).setYAxisTitleVisible(true);
        c.setXAxisTitle("predicted after attack");
        c.setYAxisTitle("true class");
        List<Number[]> cells = new ArrayList<>();
        for (int i = 0; i < names.size(); i++)
            for (int j = 0; j < names.size(); j++) cells.add(new Number[] {j, i, Math.round(rowNormalized[i][j] * 100) / 100.0});
        c.addSeries("flips", names, names, cells);
        return c;
    }

    /** One point per class: classifier weight norm against robust accuracy. */
    public static XYChart scatter(String title, List<String> names, double[] x, double[] y, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(12);
        for (int k = 0; k < names.size(); k++) c.addSeries(names.get(k), new double[] {x[k]}, new double[] {y[k]});
        return c;
    }

    /** Grouped bars: classes on the x axis, one bar per series (attack). */
    public static CategoryChart groupedBars(String title, List<String> classes, List<String> series, List<double[]> values) {
        CategoryChart c = new CategoryChartBuilder().width(W + 300).height(H).title(title).xAxisTitle("class").yAxisTitle("robust accuracy").build();
        style(c.getStyler());
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        c.getStyler().setXAxisLabelRotation(30);
        for (int s = 0; s < series.size(); s++) {
            List<Double> v = new ArrayList<>();
            for (double d : values.get(s)) v.add(Double.isNaN(d) ? 0 : d);
            c.addSeries(series.get(s), classes, v);
        }
        return c;
    }

    /** Curves over a numeric x (temperature, log scale). */
    public static XYChart curves(String title, double[] x, List<String> names, List<double[]> ys, String xTitle, boolean logX) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(xTitle).yAxisTitle("robust accuracy").build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(logX);
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        for (int k = 0; k < names.size(); k++) c.addSeries(names.get(k), x, ys.get(k)).setMarker(SeriesMarkers.CIRCLE);
        return c;
    }
}
