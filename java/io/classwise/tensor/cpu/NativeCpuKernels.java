package io.classwise.tensor.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of native/cpu/classwise_cpu.h, classwise_conv.h, classwise_conv_input_gradient.h, classwise_gemm.h, classwise_bf16.h,
 * classwise_amx_conv.h and classwise_cpuid.h, generated and compiled at build time by JavaCPP's
 * builder (pom.xml, phase process-classes) and carried in the jar. Arguments are raw addresses of
 * direct buffers ({@link CpuBackend} resolves them once per tensor) and sizes; every kernel has a
 * plain-Java twin in ReferenceBackend that the tests compare it with.
 *
 * <p>If the library cannot be loaded (a platform the jar was not built on), {@link #AVAILABLE} is
 * false, {@link #REASON} says why, and CpuBackend uses its Java loops instead.
 */
@Platform(include = {"classwise_cpu.h", "classwise_cpuid.h", "classwise_conv.h", "classwise_bf16.h", "classwise_amx_conv.h", "classwise_gemm.h", "classwise_conv_input_gradient.h"})
final class NativeCpuKernels {
    static final boolean AVAILABLE;
    static final String REASON;

    static {
        boolean ok;
        String why;
        try {
            Loader.load();
            ok = true;
            why = "loaded";
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            ok = false;
            why = "native CPU kernels not loaded (" + e.getMessage() + "); using Java loops";
            org.slf4j.LoggerFactory.getLogger(NativeCpuKernels.class).warn(why);
        }
        AVAILABLE = ok;
        REASON = why;
    }

    private NativeCpuKernels() {}

    @Name("cw_relu") static native void relu(long x, long y, long n);

    @Name("cw_add") static native void add(long a, long b, long out, long n);

    @Name("cw_relu_backward") static native void reluBackward(long y, long dy, long dx, long n);

    @Name("cw_add_channel_bias") static native void addChannelBias(long y, long bias, long n, long channels, long plane);

    @Name("cw_max_pool_forward")
    static native void maxPoolForward(long x, long y, long planes, long h, long w, long kernel, long stride, long pad, int relu);

    @Name("cw_max_pool_backward")
    static native void maxPoolBackward(long x, long dy, long dx, long planes, long h, long w, long kernel, long stride, long pad, int relu);

    @Name("cw_bn_train_forward")
    static native void batchNormTrainForward(long x, long gamma, long beta, long runMean, long runVar, float momentum, float eps, long y,
                                             long saveMean, long saveInvStd, long n, long c, long hw, long c0, long c1);

    @Name("cw_bn_train_backward")
    static native void batchNormTrainBackward(long x, long dy, long gamma, long saveMean, long saveInvStd, long dx, long dGamma, long dBeta,
                                              long n, long c, long hw, long c0, long c1);

    @Name("cw_bn_relu_train_forward")
    static native void batchNormReluTrainForward(long x, long gamma, long beta, long runMean, long runVar, float momentum, float eps, long y,
                                                 long saveMean, long saveInvStd, long n, long c, long hw, long c0, long c1, int relu);

    @Name("cw_bn_relu_train_backward")
    static native void batchNormReluTrainBackward(long x, long beta, long dy, long gamma, long saveMean, long saveInvStd, long plus, long dx,
                                                  long dGamma, long dBeta, long n, long c, long hw, long c0, long c1);

    @Name("cw_bn_inference_forward")
    static native void batchNormInferenceForward(long x, long gamma, long beta, long runMean, long runVar, float eps, long y,
                                                 long n, long c, long hw, long c0, long c1);

    @Name("cw_bn_inference_backward")
    static native void batchNormInferenceBackward(long x, long dy, long gamma, long runMean, long runVar, float eps, long dx, long dGamma,
                                                  long dBeta, long n, long c, long hw, long c0, long c1);

    @Name("cw_linf_pgd_step") static native void linfPgdStep(long xAdv, long grad, long xNat, float step, float eps, long n);

    @Name("cw_im2col") static native void im2col(long x, long cols, long c, long h, long w, long r, long s, long stride, long pad);

    /** cols (C·R·S, P·Q) with rows ld floats apart: one image's columns among a group's. */
    @Name("cw_im2col_strided")
    static native void im2colStrided(long x, long cols, long ld, long c, long h, long w, long r, long s, long stride, long pad);

    /** x (C, H, W) = col2im of cols (C·R·S, P·Q) with rows ld floats apart: one image's columns among a group's. */
    @Name("cw_col2im_strided")
    static native void col2imStrided(long cols, long ld, long x, long c, long h, long w, long r, long s, long stride, long pad);

    /** sub (N, C, P, Q) = every stride-th pixel of x (N, C, H, W), images [n0, n1). */
    @Name("cw_conv_subsample")
    static native void convSubsample(long x, long sub, long n0, long n1, long c, long h, long w, long stride, long p, long q);

    /** dst (K, n·PQ) = the n images of src (n, K, PQ) side by side. */
    @Name("cw_side_by_side") static native void sideBySide(long src, long dst, long n, long k, long pq);

    @Name("cw_col2im") static native void col2im(long cols, long x, long c, long h, long w, long r, long s, long stride, long pad);

    // ---- classwise_conv.h: convolution as an implicit GEMM (ImplicitConvolution)

    @Name("cw_conv_has_vector_kernels") static native int convHasVectorKernels();

    @Name("cw_conv_packed_weights_floats") static native long convPackedWeightsFloats(long k, long crs);

    @Name("cw_conv_workspace_floats") static native long convWorkspaceFloats(long k);

    @Name("cw_conv_pack_weights") static native void convPackWeights(long w, long packed, long k, long crs);

    @Name("cw_conv_flip_weights") static native void convFlipWeights(long w, long flipped, long k, long c, long r, long s);

    @Name("cw_conv_padded_input_floats") static native long convPaddedInputFloats(long n, long c, long h, long w, long pad);

    @Name("cw_conv_pad_input") static native void convPadInput(long x, long padded, long n0, long n1, long c, long h, long w, long pad);

    @Name("cw_conv2d_forward_implicit")
    static native void conv2dForwardImplicit(long padded, long packed, long bias, long residual, long y, long n, long c, long h, long w, long k,
            long r, long s,
                                             long stride, long pad, long j0, long j1, long workspace, int kernel);

    // ---- classwise_conv_input_gradient.h: the input gradient of stride-1 convolutions with few input channels

    @Name("cw_conv_input_gradient_direct")
    static native void convInputGradientDirect(long dy, long w, long dx, long c, long h, long wd, long k, long r, long s, long pad,
                                               long plane0, long plane1, int vector);

    // ---- classwise_gemm.h: fp32 products of a few rows times a wide row-major matrix (RowsTimesWideGemm)

    @Name("cw_pack_row_tiles") static native void packRowTiles(long a, long lda, long m, long depth, long packed, long t0, long t1);

    @Name("cw_gemm_packed_rows_floats") static native long gemmPackedRowsFloats(long m, long k);

    @Name("cw_gemm_workspace_floats") static native long gemmWorkspaceFloats();

    @Name("cw_gemm_rows_wide")
    static native void gemmRowsWide(long packedA, long m, long k, long b, long ldb, int bTransposed, long c, long ldc, int accumulate,
                                    long j0, long j1, long workspace, int kernel);

    // ---- classwise_bf16.h: bf16 operands, fp32 sums (Bf16Kernel, ImplicitConvolution, Bf16Gemm)

    @Name("cw_bf16_dot_speedup") static native double bf16DotSpeedup();

    @Name("cw_bf16_round_floats") static native void bf16RoundFloats(long src, long dst, long n);

    @Name("cw_bf16_packed_a_elems") static native long bf16PackedAElems(long m, long k);

    @Name("cw_bf16_pack_a")
    static native void bf16PackA(long a, long lda, int kContiguous, long m, long k, long m0, long m1, long packed, int kernel);

    @Name("cw_bf16_conv_workspace_bytes") static native long bf16ConvWorkspaceBytes(long k);

    @Name("cw_bf16_conv2d_forward")
    static native void bf16Conv2dForward(long padded, long packed, long bias, long residual, long y, long n, long c, long h, long w, long k, long r,
                                         long s, long stride, long pad, long j0, long j1, long workspace, int kernel);

    @Name("cw_bf16_gemm_workspace_bytes") static native long bf16GemmWorkspaceBytes(long m0, long m1);

    @Name("cw_bf16_gemm")
    static native void bf16Gemm(long packedA, long m, long k, long b, long ldb, int bNContiguous, long c, long ldc, int cTransposed,
                                float alpha, float beta, long m0, long m1, long n0, long n1, long workspace, int kernel);

    // ---- classwise_amx_conv.h: stride-1 convolutions straight from a channels-last bf16 image (AMX)

    /** 0: row tiles, 1: tiles along the padded width, 2: shifted copies (classwise_amx_conv.h). */
    @Name("cw_amx_conv_layout") static native int amxConvLayout(long h, long w, long r, long s, long pad);

    @Name("cw_amx_conv_tiles") static native long amxConvTiles(long n, long h, long w, long r, long s, long pad);

    @Name("cw_amx_conv_input_elems") static native long amxConvInputElems(long n, long c, long h, long w, long r, long s, long pad);

    @Name("cw_amx_conv_weight_elems") static native long amxConvWeightElems(long k, long c, long r, long s);

    @Name("cw_amx_conv_pack_weights") static native void amxConvPackWeights(long w, long packed, long k, long c, long r, long s, int turned,
                                                                            long u0, long u1);

    @Name("cw_amx_conv_pack_input") static native void amxConvPackInput(long x, long packed, long n0, long n1, long c, long h, long w, long r, long s,
                                                                        long pad);

    @Name("cw_amx_conv_forward")
    static native void amxConvForward(long packedInput, long packedWeights, long bias, long residual, long y, long c, long h, long w, long k,
                                      long r, long s, long pad, long t0, long t1);

    // ---- classwise_cpuid.h: what the CPU is (for BlasCoreType), and setenv before OpenBLAS loads

    @Name("cw_cpu_is_amd") static native int cpuIsAmd();

    @Name("cw_cpu_family") static native int cpuFamily();

    @Name("cw_cpu_avx512_level") static native int cpuAvx512Level();

    @Name("cw_cpu_has_avx2_fma") static native int cpuHasAvx2Fma();

    @Name("cw_cpu_amx_ready") static native int cpuAmxReady();

    @Name("cw_setenv_if_unset") static native int setenvIfUnset(String name, String value);
}
