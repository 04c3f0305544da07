package io.classwise.api;

import io.classwise.analysis.ClassRobustness;
import io.classwise.analysis.FlipMatrix;
import io.classwise.attack.Attack;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.Model;
import io.classwise.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java API example of README.md, compiled and run here; a second test checks README shows exactly this code. */
class ReadmeExampleTest {
    @TempDir Path runs;

    @Test
    void exampleRuns() throws Exception {
        Path runDir = runs.resolve("api-example");
        // README-EXAMPLE-BEGIN
        try (Classwise cw = Classwise.open("cpu")) {
            ImageDataset train = Classwise.embeddedFashionMnist(Split.TRAIN);
            ImageDataset test = SubsetDataset.balanced(Classwise.embeddedFashionMnist(Split.TEST), 20, 0);
            TrainConfig config = new TrainConfig();          // dataset "fashion-mnist" by default
            config.architecture = "small-cnn";
            config.method = "pgd-at";
            config.epochs = 1;
            config.eps = 0.1;
            config.trainStep = 0.025;
            config.trainSteps = 3;
            config.trainExamples = 1000;
            Model model = cw.train(config, train, test, runDir);
            Attack pgd = cw.pgd(0.1, 0.025, 10);
            ClassRobustness robust = cw.robustness(model, test, pgd);
            FlipMatrix flips = cw.flipMatrix(model, test, pgd);
            int worst = robust.worstClass();
            System.out.printf("worst class %s (%.2f), gap %.2f, its examples mostly flip into %s%n",
                    test.classNames().get(worst), robust.min(), robust.gap(),
                    flips.topTargets(worst).isEmpty() ? "-" : test.classNames().get(flips.topTargets(worst).get(0)));
        }
        // README-EXAMPLE-END
        assertTrue(Files.exists(runDir.resolve("checkpoints/last.safetensors")));
        assertTrue(Files.readAllLines(runDir.resolve("metrics.jsonl")).size() == 1);
    }

    private static String normalized(List<String> lines) {
        return lines.stream().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining("\n"));
    }

    @Test
    void readmeShowsThisExample() throws Exception {
        List<String> src = Files.readAllLines(Path.of("tests/io/classwise/api/ReadmeExampleTest.java"));
        int from = -1, to = -1;
        for (int i = 0; i < src.size(); i++) {
            if (src.get(i).contains("README-EXAMPLE-" + "BEGIN")) from = i + 1;
            if (src.get(i).contains("README-EXAMPLE-" + "END")) to = i;
        }
        String example = normalized(src.subList(from, to));
        List<String> readme = Files.readAllLines(Path.of("README.md"));
        int start = readme.indexOf("```java"), end = start < 0 ? -1 : readme.subList(start + 1, readme.size()).indexOf("```") + start + 1;
        assertTrue(start >= 0 && end > start, "README has a ```java block");
        assertEquals(example, normalized(readme.subList(start + 1, end)), "README's Java example must be the tested one");
    }
}
