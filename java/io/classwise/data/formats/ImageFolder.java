package io.classwise.data.formats;

import io.classwise.data.DataFormatException;
import io.classwise.data.Image;
import io.classwise.data.ImageDataset;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.IIOException;

/**
 * ImageNet-style directory of class folders (one per WordNet id) holding JPEG/PNG files; the class
 * index is the sorted folder order, as torchvision's ImageFolder. Human-readable names come from a
 * mapping file ("wnid name, name, ...") when one is given. Images are decoded on access.
 */
public final class ImageFolder implements ImageDataset {
    private final Path root;
    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();
    private final List<String> wnids = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    public ImageFolder(Path root, Path mappingFile) throws IOException {
        this.root = root;
        if (!Files.isDirectory(root)) throw new DataFormatException(root, "is not a directory of class folders");
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(wnids::add);
        }
        if (wnids.isEmpty()) {
            long loose;
            try (Stream<Path> all = Files.list(root)) {
                loose = all.filter(p -> isImage(p.getFileName().toString())).count();
            }
            if (loose > 0) {
                throw new DataFormatException(root, "holds " + loose
                        + " images directly but no class folders: sort them into one folder per "
                        + "class (n01440764/...), using each image's class from LOC_val_solution.csv (Kaggle) or the ILSVRC devkit's ground "
                        + "truth (the widely used valprep.sh does this for val/)");
            }
            throw new DataFormatException(root, "has no class folders (expected one folder per class, e.g. n01440764/)");
        }
        Map<String, String> mapping = mappingFile != null && Files.exists(mappingFile) ? readMapping(mappingFile) : Map.of();
        for (int c = 0; c < wnids.size(); c++) {
            names.add(mapping.getOrDefault(wnids.get(c), wnids.get(c)));
            try (Stream<Path> imgs = Files.list(root.resolve(wnids.get(c)))) {
                int cls = c;
                imgs.filter(p -> isImage(p.getFileName().toString())).sorted().forEach(p -> { files.add(p); labels.add(cls); });
            }
        }
        if (files.isEmpty()) throw new DataFormatException(root, "class folders contain no .jpeg/.jpg/.png files");
    }

    private static boolean isImage(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".jpeg") || n.endsWith(".jpg") || n.endsWith(".png");
    }

    /** LOC_synset_mapping.txt / synset_words.txt: "n01440764 tench, Tinca tinca" per line. */
    static Map<String, String> readMapping(Path file) throws IOException {
        Map<String, String> m = new HashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            int sp = line.indexOf(' ');
            if (sp <= 0) throw new DataFormatException(file, "line " + lineNo + " is not 'wnid name': " + line);
            String first = line.substring(sp + 1).split(",")[0].trim();
            m.put(line.substring(0, sp), first);
        }
        return m;
    }

    public List<String> wnids() { return List.copyOf(wnids); }

    public Path file(int i) { return files.get(i); }

    @Override public int size() { return files.size(); }
    @Override public int label(int i) { return labels.get(i); }
    @Override public int numClasses() { return wnids.size(); }
    @Override public List<String> classNames() { return List.copyOf(names); }
    @Override public String source() { return root.toString(); }

    /** Decodes example i to RGB [0, 1] at its own size; an undecodable file raises an error naming it. */
    @Override
    public Image image(int i) {
        try {
            return decode(files.get(i));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Image decode(Path file) throws IOException {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IIOException e) {
            // ImageIO's own reason, e.g. "Unsupported Image Type" (CMYK JPEGs) or "Bogus marker length"
            throw new DataFormatException(file, "cannot be decoded as an image: " + e.getMessage()
                    + " (re-encode it as RGB JPEG or PNG, or remove it)");
        } catch (IOException | RuntimeException e) {
            // Decoders fail on damaged data with whatever exception they hit first; the file is the problem, not the class name.
            throw new DataFormatException(file, "cannot be decoded as an image: the data is corrupt or truncated (" + file.toFile().length()
                    + " bytes); re-download or remove it");
        }
        if (img == null) throw new DataFormatException(file, "is not a readable JPEG/PNG image");
        int h = img.getHeight(), w = img.getWidth();
        float[] px = new float[3 * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                px[y * w + x] = ((rgb >> 16) & 0xFF) / 255f;
                px[(h + y) * w + x] = ((rgb >> 8) & 0xFF) / 255f;
                px[(2 * h + y) * w + x] = (rgb & 0xFF) / 255f;
            }
        return new Image(3, h, w, px);
    }
}
