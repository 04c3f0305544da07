package io.classwise.tensor;

import java.nio.FloatBuffer;
import java.util.Locale;

/**
 * The arithmetic of convolutions and matrix products: fp32, or bf16 operands with fp32 accumulation (what
 * tensor cores do under PyTorch's bf16 autocast). Weights, their updates and everything elementwise stay
 * fp32 either way ("master weights"); the attack's sign step is unchanged.
 */
public enum Precision {
    FP32, BF16;

    /** fp32 or bf16 (the --precision flag and config.json's precision field). */
    public static Precision parse(String s) {
        return switch (s == null ? "fp32" : s.toLowerCase(Locale.ROOT)) {
            case "fp32" -> FP32;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("--precision must be fp32 or bf16, got '" + s + "'");
        };
    }

    /**
     * v rounded to the nearest bfloat16 (ties to even), as a float: the top 16 bits of its IEEE 754 binary32
     * form. NaN stays NaN (its quiet bit set, so no payload rounds it into infinity); values past bf16's largest
     * finite number round to infinity, as the hardware conversion does.
     */
    public static float roundToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7f800000) == 0x7f800000) return (bits & 0x007fffff) != 0 ? Float.intBitsToFloat(bits | 0x00400000) : v;
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat((bits + roundingBias) & 0xffff0000);
    }

    /** dst[i] = roundToBf16(src[i]) for the first n values. */
    public static void roundToBf16(FloatBuffer src, FloatBuffer dst, int n) {
        for (int i = 0; i < n; i++) dst.put(i, roundToBf16(src.get(i)));
    }
}
