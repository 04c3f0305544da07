package io.classwise.report;

import io.classwise.analysis.AdversarialExamples;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.util.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes adversarial examples for people to look at, into one directory:
 * {@code class-NN.png} per class — one row per example: the clean image, the adversarial image and the
 * perturbation ×10 (grey = 0), under a line naming the example, its true class and both predictions —
 * {@code examples.safetensors} with the raw tensors (clean and adversarial (M, C, H, W) F32; index, label,
 * clean_prediction, adversarial_prediction (M) I64) and {@code index.json}, which the report's gallery reads.
 */
public final class ExampleGallery {
    private ExampleGallery() {}

    /** Pixels per image side in the PNGs (images are scaled up by an integer factor to about this size). */
    private static final int TARGET_SIDE = 96;
    private static final int LABEL_HEIGHT = 16, GAP = 6;

    public static Path write(Path dir, AdversarialExamples examples, List<String> classNames, String attack,
            double eps) throws IOException {
        if (Files.isDirectory(dir) && !Files.exists(dir.resolve("index.json"))) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) throw new IllegalArgumentException(dir + " is not empty and holds no gallery (index.json): "
                        + "Classwise never writes over what it did not create; choose another --examples-dir");
            }
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is a file; the gallery needs a directory");
        Files.createDirectories(dir);
        int[] shape = examples.imageShape();
        List<Map<String, Object>> perClass = new ArrayList<>();
        List<AdversarialExamples.Example> all = new ArrayList<>();
        for (int c = 0; c < examples.classes(); c++) {
            List<AdversarialExamples.Example> list = examples.of(c);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("class", classNames.get(c));
            List<Map<String, Object>> rows = new ArrayList<>();
            for (AdversarialExamples.Example e : list) {
                rows.add(Map.of("index", e.index(), "clean_prediction", classNames.get(e.cleanPrediction()),
                        "adversarial_prediction", classNames.get(e.adversarialPrediction()), "flipped", e.flipped()));
            }
            entry.put("examples", rows);
            if (!list.isEmpty()) {
                String png = String.format(Locale.ROOT, "class-%02d.png", c);
                BufferedImage grid = grid(list, shape, classNames);
                AtomicFiles.write(dir.resolve(png), out -> ImageIO.write(grid, "png", out));
                entry.put("png", png);
            }
            perClass.add(entry);
            all.addAll(list);
        }
        if (!all.isEmpty()) Safetensors.write(dir.resolve("examples.safetensors"), tensors(all, shape), Map.of("classwise.attack", attack,
                "classwise.eps", Double.toString(eps)));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("attack", attack);
        doc.put("eps", eps);
        doc.put("note", "per class: examples classified correctly before the attack, the ones the attack flipped first; "
                + "columns: clean, adversarial, perturbation ×10 (grey = 0)");
        doc.put("class_names", classNames);
        doc.put("classes", perClass);
        Tables.json(dir.resolve("index.json"), doc);
        return dir;
    }

    private static Map<String, Safetensors.Entry> tensors(List<AdversarialExamples.Example> all, int[] shape) {
        int m = all.size(), size = shape[0] * shape[1] * shape[2];
        float[] clean = new float[m * size], adv = new float[m * size];
        long[] index = new long[m], label = new long[m], cleanPred = new long[m], advPred = new long[m];
        for (int i = 0; i < m; i++) {
            AdversarialExamples.Example e = all.get(i);
            System.arraycopy(e.clean(), 0, clean, i * size, size);
            System.arraycopy(e.adversarial(), 0, adv, i * size, size);
            index[i] = e.index(); label[i] = e.label(); cleanPred[i] = e.cleanPrediction(); advPred[i] = e.adversarialPrediction();
        }
        int[] batched = {m, shape[0], shape[1], shape[2]};
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        t.put("clean", Safetensors.Entry.f32(batched, clean));
        t.put("adversarial", Safetensors.Entry.f32(batched, adv));
        t.put("index", Safetensors.Entry.i64(new int[] {m}, index));
        t.put("label", Safetensors.Entry.i64(new int[] {m}, label));
        t.put("clean_prediction", Safetensors.Entry.i64(new int[] {m}, cleanPred));
        t.put("adversarial_prediction", Safetensors.Entry.i64(new int[] {m}, advPred));
        return t;
    }

    /** One row per example: label line, then clean | adversarial | perturbation ×10. */
    static BufferedImage grid(List<AdversarialExamples.Example> rows, int[] shape, List<String> names) {
        int channels = shape[0], h = shape[1], w = shape[2];
        int scale = Math.max(1, TARGET_SIDE / Math.max(h, w));
        int cellW = w * scale, cellH = h * scale;
        int width = Math.max(3 * cellW + 4 * GAP, 320), rowH = LABEL_HEIGHT + cellH + GAP;
        BufferedImage img = new BufferedImage(width, LABEL_HEIGHT + GAP + rows.size() * rowH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
        g.setColor(Color.DARK_GRAY);
        String[] titles = {"clean", "adversarial", "perturbation ×10"};
        for (int col = 0; col < 3; col++) g.drawString(titles[col], GAP + col * (cellW + GAP), LABEL_HEIGHT - 3);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int r = 0; r < rows.size(); r++) {
            AdversarialExamples.Example e = rows.get(r);
            int top = LABEL_HEIGHT + GAP + r * rowH;
            g.setColor(e.flipped() ? new Color(0xB0, 0x20, 0x20) : new Color(0x20, 0x60, 0x20));
            g.drawString(String.format(Locale.ROOT, "#%d  %s → %s", e.index(), names.get(e.label()), names.get(e.adversarialPrediction())),
                    GAP, top + LABEL_HEIGHT - 4);
            float[] delta = new float[e.clean().length];
            for (int i = 0; i < delta.length; i++) delta[i] = Math.min(1f, Math.max(0f, 0.5f + 10 * (e.adversarial()[i] - e.clean()[i])));
            float[][] cells = {e.clean(), e.adversarial(), delta};
            for (int col = 0; col < 3; col++) paint(img, cells[col], channels, h, w, scale, GAP + col * (cellW + GAP), top + LABEL_HEIGHT);
        }
        g.dispose();
        return img;
    }

    /** Draws (C, H, W) pixels in [0, 1] (grey for one channel, RGB for three) scaled by an integer factor. */
    private static void paint(BufferedImage img, float[] px, int channels, int h, int w, int scale, int x0, int y0) {
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = byteOf(px[y * w + x]);
                int gr = channels >= 3 ? byteOf(px[(h + y) * w + x]) : r;
                int b = channels >= 3 ? byteOf(px[(2 * h + y) * w + x]) : r;
                int rgb = (r << 16) | (gr << 8) | b;
                for (int dy = 0; dy < scale; dy++) for (int dx = 0; dx < scale; dx++) img.setRGB(x0 + x * scale + dx, y0
                        + y * scale + dy, rgb);
            }
        }
    }

    private static int byteOf(float v) { return Math.round(Math.min(1f, Math.max(0f, v)) * 255); }
}
