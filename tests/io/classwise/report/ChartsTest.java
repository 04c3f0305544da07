package io.classwise.report;

import io.classwise.data.DatasetId;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The charts stay readable for 10 and for 100 classes. */
class ChartsTest {
    static FontMetrics metrics(int size) {
        return new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics().getFontMetrics(new Font(Font.SANS_SERIF,
                Font.PLAIN, size));
    }

    /** Rotated x labels and horizontal y labels each take one text line per cell: the line must fit the cell, and labels differ. */
    @Test
    void heatmapLabelsFitTheirCellsForTenAndAHundredClasses() {
        for (List<String> names : List.of(DatasetId.FASHION_MNIST.classNames(), DatasetId.CIFAR100.classNames())) {
            Charts.HeatmapLayout l = Charts.heatmapLayout(names);
            FontMetrics fm = metrics(l.fontSize());
            assertTrue(fm.getAscent() + fm.getDescent() <= l.cellPixels(), names.size() + " classes: a " + l.fontSize() + " pt line is "
                    + (fm.getAscent() + fm.getDescent()) + " px in a " + l.cellPixels() + " px cell");
            assertEquals(names.size(), new HashSet<>(l.labels()).size(), "labels never coincide");
            for (String label : l.labels()) assertTrue(fm.stringWidth(label) <= 140, "label '" + label
                    + "' is too long for the axis margin");
        }
    }

    @Test
    void heatmapRowsRunTopDownInClassOrderAndNumbersOnlyForFewClasses() {
        List<String> names = DatasetId.FASHION_MNIST.classNames();
        double[][] m = new double[10][10];
        for (int i = 0; i < 10; i++) m[i][i] = 1;
        HeatMapChart c = Charts.flipHeatmap("t", names, m);
        List<?> y = c.getHeatMapSeries().getYData();
        assertEquals("T-shirt/top", y.get(y.size() - 1), "XChart draws the last y category at the top: class 0");
        assertTrue(c.getStyler().isShowValue());
        double[][] big = new double[100][100];
        assertFalse(Charts.flipHeatmap("t", DatasetId.CIFAR100.classNames(), big).getStyler().isShowValue(), "no numbers in 10,000 cells");
    }

    @Test
    void classColoursAreDistinctAndNeverPale() {
        HashSet<Color> seen = new HashSet<>();
        for (int c = 0; c < 100; c++) {
            Color col = Charts.classColor(c);
            double luminance = (0.2126 * col.getRed() + 0.7152 * col.getGreen() + 0.0722 * col.getBlue()) / 255;
            assertTrue(luminance < 0.75, "class " + c + " colour " + col + " is too pale on white (" + luminance + ")");
            if (c < 20) assertTrue(seen.add(col), "class " + c + " repeats a colour");
        }
        assertEquals(Charts.classColor(3), Charts.classColor(3), "one colour per class");
    }

    @Test
    void manyClassesShowTheWorstAndBestOnly() {
        double[] score = new double[100];
        for (int c = 0; c < 100; c++) score[c] = (c * 37 % 100) / 100.0;
        List<Integer> shown = Charts.worstAndBest(score);
        assertEquals(10, shown.size());
        for (int c : shown) assertTrue(score[c] < 0.05 || score[c] >= 0.95, "class " + c + " score " + score[c]);
        assertEquals(List.of(0, 1, 2), Charts.worstAndBest(new double[] {0.3, 0.1, 0.2}));
    }

    @Test
    void everyChartHasAxisTitlesAndCountsHaveWholeTicks() {
        XYChart curves = Charts.curves("t", new double[] {1, 2}, List.of("a"), List.of(new double[] {0.1, 0.2}), "temperature T",
                true, null);
        assertFalse(curves.getXAxisTitle().isBlank() || curves.getYAxisTitle().isBlank());
        var hist = Charts.histogram("t", List.of("0-10%", "10-20%"), new int[] {2, 1}, "classes");
        assertEquals("#0", hist.getStyler().getYAxisDecimalPattern());
        assertEquals(2.0, hist.getStyler().getYAxisMax());
        assertFalse(hist.getXAxisTitle().isBlank() || hist.getYAxisTitle().isBlank());
        HeatMapChart h = Charts.flipHeatmap("t", DatasetId.CIFAR100.classNames(), new double[100][100]);
        assertFalse(h.getXAxisTitle().isBlank() || h.getYAxisTitle().isBlank());
    }
}
