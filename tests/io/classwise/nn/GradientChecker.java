package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.Arrays;

/**
 * Central finite differences of L = Σ y·r (r a fixed random tensor) against the layer's analytic
 * backward, for the input and every parameter. float32 forward passes, so h = 1e-2 on O(1) values
 * and a tolerance of 1e-3 absolute + 2e-2 relative; at most {@code maxPerTensor} sampled elements
 * per tensor keep large layers fast. A check whose gradients are all zero fails (it would prove nothing).
 *
 * <p>Networks with ReLUs inside are piecewise smooth: a step can move a hidden activation across 0
 * and the difference quotient then measures the kink, not the derivative. Such samples show up as
 * a disagreement between steps h and h/2; they are skipped, at most a quarter of them per tensor.
 */
final class GradientChecker {
    private final Backend backend;
    private final double h, atol, rtol;
    private final int maxPerTensor;

    GradientChecker(Backend backend) { this(backend, 1e-2, 1e-3, 2e-2, 40); }

    GradientChecker(Backend backend, double h, double atol, double rtol, int maxPerTensor) {
        this.backend = backend; this.h = h; this.atol = atol; this.rtol = rtol; this.maxPerTensor = maxPerTensor;
    }

    /** Checks ∂L/∂x and ∂L/∂θ of {@code layer} at input x (values as given). */
    void check(String what, Layer layer, float[] x, int[] shape, boolean training) {
        Tape tape = new Tape(backend).training(training);
        Tensor in = backend.allocate(shape).copyFrom(x);
        Tensor y = layer.forward(tape, in);
        float[] r = new float[y.size()];
        Rng rng = new Rng(77);
        for (int i = 0; i < r.length; i++) r[i] = (float) rng.uniform(-1, 1);
        Tensor dy = backend.allocate(y.shape()).copyFrom(r);
        List<Parameter> params = layer.parameters();
        for (Parameter p : params) backend.fill(p.grad(), 0f);
        float[] dx = layer.backward(tape, dy, Grad.INPUT_AND_PARAMS).toArray();

        compare(what + " ∂/∂input", dx, x.clone(), v -> loss(layer, v, shape, r, training), rng);
        for (int pi = 0; pi < params.size(); pi++) {
            Parameter p = params.get(pi);
            float[] analytic = p.grad().toArray();
            float[] base = p.value().toArray();
            compare(what + " ∂/∂param" + pi + " " + Arrays.toString(p.value().shape()), analytic, base.clone(), v -> {
                p.value().copyFrom(v);
                double l = loss(layer, x, shape, r, training);
                p.value().copyFrom(base);
                return l;
            }, rng);
        }
    }

    private interface Fn { double at(float[] v); }

    private void compare(String what, float[] analytic, float[] point, Fn f, Rng rng) {
        int n = point.length;
        boolean anyNonZero = false;
        int kinks = 0;
        int count = Math.min(n, maxPerTensor);
        for (int s = 0; s < count; s++) {
            int i = n <= maxPerTensor ? s : rng.nextInt(n);
            float old = point[i];
            double numeric = difference(f, point, i, h);
            double half = difference(f, point, i, h / 2);
            if (Math.abs(numeric - half) > atol + rtol * Math.abs(half)) {
                if (++kinks > count / 4) fail(what + ": " + kinks + " of " + count
                        + " samples sit on a kink; choose inputs away from them");
                continue;
            }
            if (numeric != 0 || analytic[i] != 0) anyNonZero = true;
            double err = Math.abs(numeric - analytic[i]);
            if (err > atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic[i]))) {
                fail(what + " at [" + i + "]: analytic " + analytic[i] + " vs finite difference " + numeric);
            }
        }
        if (!anyNonZero) fail(what + ": all gradients sampled were zero; the check would prove nothing");
        assertTrue(count > 0);
    }

    private static double difference(Fn f, float[] point, int i, double step) {
        float old = point[i];
        point[i] = (float) (old + step);
        double plus = f.at(point);
        point[i] = (float) (old - step);
        double minus = f.at(point);
        point[i] = old;
        return (plus - minus) / (2 * step);
    }

    private double loss(Layer layer, float[] x, int[] shape, float[] r, boolean training) {
        Tape tape = new Tape(backend).training(training);
        Tensor y = layer.forward(tape, backend.allocate(shape).copyFrom(x));
        float[] v = y.toArray();
        double s = 0;
        for (int i = 0; i < v.length; i++) s += (double) v[i] * r[i];
        return s;
    }
}
