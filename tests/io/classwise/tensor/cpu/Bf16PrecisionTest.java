package io.classwise.tensor.cpu;

import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Parameter;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Precision;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import static io.classwise.TestUtil.randn;
import static io.classwise.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bf16 precision of the CPU backend: bf16 operands, fp32 accumulation, fp32 master weights — the
 * reference a GPU bf16 path will be checked against.
 */
class Bf16PrecisionTest {

    @Test
    void roundingIsToNearestEvenAndKeepsSpecialValues() {
        assertEquals(1f, Precision.roundToBf16(1f));
        float ulp = 0x1p-7f; // bf16 has 7 explicit mantissa bits: its spacing at 1 is 2^-7
        assertEquals(1f, Precision.roundToBf16(1f + ulp / 2), "a tie goes to the even neighbour (1.0)");
        assertEquals(1f + 2 * ulp, Precision.roundToBf16(1f + 3 * ulp / 2), "a tie goes to the even neighbour (1 + 2ulp)");
        assertEquals(1f + ulp, Precision.roundToBf16(1f + ulp / 2 + 0x1p-20f), "just above the tie rounds up");
        assertEquals(-3.140625f, Precision.roundToBf16(-3.14159f));
        assertTrue(Float.isNaN(Precision.roundToBf16(Float.intBitsToFloat(0x7f800001))), "a NaN with a low payload stays NaN");
        assertEquals(Float.POSITIVE_INFINITY, Precision.roundToBf16(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Precision.roundToBf16(Float.MAX_VALUE), "past bf16's largest finite value");
        for (float v : uniform(new Rng(1), 1000, -100, 100)) {
            float r = Precision.roundToBf16(v);
            assertEquals(0, Float.floatToRawIntBits(r) & 0xffff, "the low 16 bits are zero");
            assertTrue(Math.abs(r - v) <= Math.abs(v) * 0x1p-8f, "within half a bf16 ulp");
        }
    }

    @Test
    void aConvolutionInBf16IsTheFp32ConvolutionOfRoundedOperands() {
        try (CpuBackend fp32 = new CpuBackend(1); CpuBackend bf16 = new CpuBackend(1).precision(Precision.BF16, Bf16Kernel.EMULATED)) {
            ConvGeometry g = new ConvGeometry(2, 3, 9, 9, 4, 3, 3, 2, 1);
            Rng rng = new Rng(2);
            float[] x = randn(rng, 2 * 3 * 9 * 9, 1), w = randn(rng, 4 * 3 * 3 * 3, 0.5), xr = x.clone(), wr = w.clone();
            for (int i = 0; i < xr.length; i++) xr[i] = Precision.roundToBf16(xr[i]);
            for (int i = 0; i < wr.length; i++) wr[i] = Precision.roundToBf16(wr[i]);
            Tensor y16 = bf16.allocate(g.outputShape()), yRef = fp32.allocate(g.outputShape()), y32 = fp32.allocate(g.outputShape());
            bf16.conv2dForward(bf16.allocate(g.inputShape()).copyFrom(x), bf16.allocate(4, 3, 3, 3).copyFrom(w), null, y16, g);
            fp32.conv2dForward(fp32.allocate(g.inputShape()).copyFrom(xr), fp32.allocate(4, 3, 3, 3).copyFrom(wr), null, yRef, g);
            fp32.conv2dForward(fp32.allocate(g.inputShape()).copyFrom(x), fp32.allocate(4, 3, 3, 3).copyFrom(w), null, y32, g);
            assertArrayEquals(yRef.toArray(), y16.toArray(), "bf16 operands, fp32 accumulation");
            double worst = 0, scale = 0;
            for (int i = 0; i < y32.size(); i++) {
                worst = Math.max(worst, Math.abs(y16.toArray()[i] - y32.toArray()[i]));
                scale = Math.max(scale, Math.abs(y32.toArray()[i]));
            }
            assertTrue(worst > 1e-5 * scale && worst < 2e-2 * scale, "bf16 differs from fp32 by bf16's precision: " + worst + " of " + scale);
        }
    }

    @Test
    void aBf16TrainingStepKeepsFp32MasterWeights() {
        try (CpuBackend b = new CpuBackend(1).precision(Precision.BF16)) {
            Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 3);
            Sgd sgd = new Sgd(m.parameters(), 0.9f, 0f, 5e-4f, false);
            Tensor x = b.allocate(4, 1, 28, 28).copyFrom(uniform(new Rng(4), 4 * 28 * 28, 0, 1));
            Tensor y = b.allocate(4).copyFrom(new float[] {1, 2, 3, 4});
            try (Tape tape = new Tape(b).training(true)) {
                Tensor logits = m.forward(tape, x);
                Tensor d = b.allocate(logits.shape());
                Losses.crossEntropy(logits, y, 1f, b.allocate(4), d);
                m.backward(tape, d, Grad.PARAMS);
            }
            sgd.step(0.05f);
            int notBf16 = 0, total = 0;
            for (Parameter p : m.parameters()) for (float v : p.value().toArray()) { total++; if ((Float.floatToRawIntBits(v) & 0xffff) != 0) notBf16++; }
            assertTrue(notBf16 > total / 2, "the updated weights are fp32 values, not bf16: " + notBf16 + " of " + total);
        }
    }
}
