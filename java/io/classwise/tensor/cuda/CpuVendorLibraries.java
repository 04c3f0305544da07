package io.classwise.tensor.cuda;

import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.HostStorage;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The vendor operations of the emulated device: the CPU backend's convolutions, GEMM and batch norm (themselves
 * checked against the reference backend) run in place on the emulated device's host memory, with the Backend
 * interface's semantics — which cuDNN and cuBLAS are called to reproduce on a GPU. What this cannot check is the
 * vendor calls themselves (descriptors, algorithms, workspace sizes, leading dimensions): only a GPU run can.
 */
final class CpuVendorLibraries implements VendorLibraries {
    private final Backend cpu;

    CpuVendorLibraries(int threads) { this.cpu = new CpuBackend(Math.max(1, threads)); }

    /** The floats at a device address as a CPU tensor of the given shape (a view: nothing is copied or owned). */
    private Tensor at(long address, int... shape) {
        int size = Tensor.sizeOf(shape);
        FloatPointer p = new FloatPointer(EmulatedRuntime.at(address)).capacity(size);
        return Tensor.of(cpu, HostStorage.view(p.asBuffer()), shape);
    }

    private Tensor atOrNull(long address, int... shape) { return address == 0 ? null : at(address, shape); }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, long b, float beta, long c) {
        cpu.gemm(transA, transB, m, n, k, alpha, at(a, m * k), at(b, k * n), beta, at(c, m * n));
    }

    @Override
    public void conv2dForward(long x, long w, long bias, long y, ConvGeometry g) {
        cpu.conv2dForward(at(x, g.inputShape()), at(w, g.weightShape()), atOrNull(bias, g.k()), at(y, g.outputShape()), g);
    }

    @Override
    public void conv2dBackwardData(long dy, long w, long dx, ConvGeometry g) {
        cpu.conv2dBackwardData(at(dy, g.outputShape()), at(w, g.weightShape()), at(dx, g.inputShape()), g);
    }

    @Override
    public void conv2dBackwardFilter(long x, long dy, long dw, long dBias, ConvGeometry g) {
        cpu.conv2dBackwardFilter(at(x, g.inputShape()), at(dy, g.outputShape()), at(dw, g.weightShape()), atOrNull(dBias, g.k()), g);
    }

    @Override
    public void batchNormTrainForward(long x, long gamma, long beta, long runningMean, long runningVar, float momentum, float eps, long y,
                                      long saveMean, long saveInvStd, int[] nchw) {
        int c = nchw[1];
        cpu.batchNormTrainForward(at(x, nchw), at(gamma, c), at(beta, c), at(runningMean, c), at(runningVar, c), momentum, eps, at(y, nchw),
                at(saveMean, c), at(saveInvStd, c));
    }

    @Override
    public void batchNormInferenceForward(long x, long gamma, long beta, long runningMean, long runningVar, float eps, long y, int[] nchw) {
        int c = nchw[1];
        cpu.batchNormInferenceForward(at(x, nchw), at(gamma, c), at(beta, c), at(runningMean, c), at(runningVar, c), eps, at(y, nchw));
    }

    @Override
    public void batchNormTrainBackward(long x, long dy, long gamma, long saveMean, long saveInvStd, long dx, long dGamma, long dBeta,
                                       int[] nchw) {
        int c = nchw[1];
        cpu.batchNormTrainBackward(at(x, nchw), at(dy, nchw), at(gamma, c), at(saveMean, c), at(saveInvStd, c), at(dx, nchw), at(dGamma, c),
                at(dBeta, c));
    }

    @Override
    public void close() { cpu.close(); }
}
