package io.classwise.attack;

import java.util.List;
import java.util.Locale;

/**
 * Every attack by the name the command line and the Java API use, with one set of knobs. The
 * one place that maps names to attacks: {@code attack}, {@code eval} and JVM pipelines all go through it.
 */
public final class Attacks {
    private Attacks() {}

    /** The names, in the order of growing strength/cost roughly as the ladder runs them. */
    public static final List<String> NAMES = List.of("fgsm", "fgsm-rs", "pgd", "tpgd", "cw", "mi-fgsm", "l2-pgd", "apgd-ce",
            "apgd-dlr", "square", "fab-t", "autoattack");

    /**
     * The knobs: budget ε (ℓ2 radius for l2-pgd), step size, iterations, random restarts, temperature of
     * tpgd, CW confidence κ, query budget of square.
     */
    public record Settings(float eps, float step, int steps, int restarts, float temperature, float kappa, int queries) {
        /** PGD-style defaults: step ε/4, 20 steps, one start, T = 1, κ = 50, 1000 queries. */
        public static Settings of(float eps) { return new Settings(eps, eps / 4, 20, 1, 1f, 50f, 1000); }
    }

    /** Whether the attack's budget is an ℓ2 radius (else ℓ∞). */
    public static boolean isL2(String name) { return name.toLowerCase(Locale.ROOT).equals("l2-pgd"); }

    /** Whether the attack can be run towards target classes (the Pgd family). */
    public static boolean targetable(Attack a) { return a instanceof Pgd; }

    public static Attack byName(String name, Settings s) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "fgsm" -> Pgd.fgsm(s.eps());
            case "fgsm-rs" -> Pgd.fgsmRandomStart(s.eps(), 1.25f * s.eps()); // Wong et al.'s step
            case "pgd" -> Pgd.pgd(s.eps(), s.step(), s.steps(), s.restarts());
            case "tpgd" -> Pgd.temperaturePgd(s.eps(), s.step(), s.steps(), s.temperature());
            case "cw" -> Pgd.cw(s.eps(), s.step(), s.steps(), s.kappa());
            case "mi-fgsm" -> Pgd.miFgsm(s.eps(), s.steps(), 1f);
            case "l2-pgd" -> Pgd.l2(s.eps(), s.step(), s.steps(), s.restarts());
            case "apgd-ce" -> new Apgd(s.eps(), Math.max(s.steps(), 2), Apgd.Loss.CROSS_ENTROPY);
            case "apgd-dlr" -> new Apgd(s.eps(), Math.max(s.steps(), 2), Apgd.Loss.DLR);
            case "square" -> new SquareAttack(s.eps(), s.queries());
            case "fab-t" -> new FabAttack(s.eps(), Math.max(s.steps(), 1));
            // Always the standard version (the point of AutoAttack is one fixed evaluation); other budgets: new AutoAttack(...).
            case "autoattack" -> AutoAttack.standard(s.eps());
            default -> throw new IllegalArgumentException("--attack must be one of " + String.join(", ", NAMES) + "; got '" + name + "'");
        };
    }
}
