package io.classwise.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The training methods of the study. */
public enum Method {
    /** Plain cross-entropy on clean images (the undefended baseline). */
    NATURAL("natural"),
    /** Madry et al.: cross-entropy on PGD-k adversarial examples. */
    PGD_AT("pgd-at"),
    /** Wong et al.: FGSM with random start (step 1.25 ε), cyclic learning rate, early stop on PGD collapse. */
    FGSM_RS("fgsm-rs"),
    /** Zhang et al.: CE(f(x), y) + β·KL(f(x) ‖ f(x')), x' maximising the KL term. */
    TRADES("trades"),
    /** Wang et al.: boosted CE on x' + β·KL(f(x) ‖ f(x'))·(1 − p_y(x)). */
    MART("mart"),
    /** Pang et al.: PGD-AT with hypersphere embedding (cosine head, scale s, margin m). */
    HE("he"),
    /** Xu et al. (ICML 2021), "To be Robust or to be Fair": TRADES with class weights and margins from Lagrange multipliers of fairness constraints. */
    FRL("frl"),
    /** Wei et al. (CVPR 2023), "CFA": class-wise calibrated margins (CCM) and TRADES β (CCR), fairness-aware weight averaging (FAWA). */
    CFA("cfa"),
    /** Lee et al. (ICLR 2024), "DAFA": class weights and margins from the similarity between classes, after a warm-up. */
    DAFA("dafa");

    public final String cliName;

    Method(String cliName) { this.cliName = cliName; }

    public static Method parse(String s) {
        for (Method m : values()) if (m.cliName.equals(s.toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown method '" + s + "'; expected one of "
                + Arrays.stream(values()).map(m -> m.cliName).collect(Collectors.joining(", ")));
    }
}
