package io.classwise.analysis;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Renders a report in headless Chromium (Debian package chromium; .ci/run installs it) and checks
 * that the screenshot shows a real page: large, with many colours (charts), not a blank or error page.
 * Skipped where Chromium is absent, except under CI.
 */
final class ReportRenderCheck {
    private ReportRenderCheck() {}

    static void renderIfChromiumPresent(Path report, Path screenshot) throws Exception {
        String chromium = null;
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) if (new File(c).canExecute()) chromium = c;
        if (chromium == null) {
            if (System.getenv("CI") != null) fail("chromium is not installed (apt-get install chromium)");
            return;
        }
        Path profile = Files.createTempDirectory("chromium-profile");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--hide-scrollbars", "--window-size=1400,2400", "--screenshot=" + screenshot.toAbsolutePath(), report.toUri().toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        assertEquals(0, p.exitValue(), "chromium exit code");
        BufferedImage img = ImageIO.read(screenshot.toFile());
        assertEquals(1400, img.getWidth());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 4) for (int x = 0; x < img.getWidth(); x += 4) colours.add(img.getRGB(x, y));
        assertTrue(colours.size() > 50, "the rendered report has only " + colours.size() + " colours: blank page?");
    }
}
