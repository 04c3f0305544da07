package io.classwise.nn;

import java.util.Arrays;

/**
 * Learning rate as a function of training progress, measured in epochs as a real number
 * (epoch e, iteration i of n ⇒ t = e + i/n), so per-iteration schedules (cyclic) and per-epoch ones
 * (multi-step) share one interface.
 */
public interface LrSchedule {
    double lr(double epoch);

    /** Constant. */
    static LrSchedule constant(double lr) { return t -> lr; }

    /** PyTorch MultiStepLR: lr · gamma^(number of milestones ≤ floor(t)). */
    static LrSchedule multiStep(double lr, double gamma, int... milestones) {
        int[] ms = milestones.clone();
        Arrays.sort(ms);
        return t -> {
            int passed = 0;
            for (int m : ms) if (Math.floor(t) >= m) passed++;
            return lr * Math.pow(gamma, passed);
        };
    }

    /** PyTorch CosineAnnealingLR (closed form, per epoch): min + (lr − min)(1 + cos(π·floor(t)/T))/2. */
    static LrSchedule cosine(double lr, double minLr, int totalEpochs) {
        return t -> minLr + (lr - minLr) * (1 + Math.cos(Math.PI * Math.min(Math.floor(t), totalEpochs) / totalEpochs)) / 2;
    }

    /**
     * Triangular cyclic / one-cycle schedule (Wong et al.'s fast adversarial training): linear from 0
     * to maxLr over the first half of training, back to 0 at the end; evaluated per iteration.
     */
    static LrSchedule cyclic(double maxLr, double totalEpochs) {
        return t -> {
            double half = totalEpochs / 2;
            double x = Math.max(0, Math.min(t, totalEpochs));
            return x <= half ? maxLr * x / half : maxLr * (totalEpochs - x) / half;
        };
    }
}
