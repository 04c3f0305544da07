package io.classwise.tensor.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import static io.classwise.tensor.cuda.Cuda.check;

/**
 * The real device: the CUDA runtime for memory, copies and the stream, the driver API for the jar's
 * classwise_kernels.fatbin (native/cuda, compiled by nvcc at build time) and its launches. All work is queued on
 * one stream.
 *
 * <p>cuLaunchKernel wants an array of pointers to host memory holding each argument's value: the pointer array
 * points at the argument slots of {@link KernelModule} once and for all, so a launch allocates nothing.
 */
final class CudaRuntime implements DeviceRuntime {
    /** Where the build puts nvcc's output on the classpath (native/CMakeLists.txt, pom.xml). */
    static final String FATBIN = "/io/classwise/tensor/cuda/classwise_kernels.fatbin";

    private final CUstream_st stream = new CUstream_st();
    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final int multiprocessors;
    private PointerPointer<Pointer> slots;
    private long slotsFor;

    CudaRuntime(int device) {
        check(cudart.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        check(cudart.cudaFree(null), "cudaFree(null) (creating the primary context)");
        check(cudart.cudaStreamCreate(stream), "cudaStreamCreate");
        IntPointer sms = new IntPointer(1);
        check(cudart.cudaDeviceGetAttribute(sms, cudart.cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
        multiprocessors = sms.get();
        byte[] fatbin;
        try (InputStream in = CudaRuntime.class.getResourceAsStream(FATBIN)) {
            if (in == null) throw new CudaException("classwise_kernels.fatbin is missing from the jar (built without nvcc)");
            fatbin = in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("cannot read classwise_kernels.fatbin: " + e.getMessage());
        }
        BytePointer image = new BytePointer(fatbin.length);
        image.put(fatbin, 0, fatbin.length);
        Cuda.checkDriver(cudart.cuModuleLoadData(module, image), "cuModuleLoadData(classwise_kernels.fatbin)");
        image.close();
    }

    CUstream_st stream() { return stream; }

    @Override
    public long malloc(long bytes) {
        Pointer p = new Pointer();
        int status = cudart.cudaMalloc(p, bytes);
        if (status == cudart.cudaErrorMemoryAllocation) {
            cudart.cudaGetLastError(); // an allocation failure is not sticky; clear it
            throw new CudaException("cudaMalloc(" + bytes + " bytes): out of memory", true);
        }
        // Anything else (e.g. a sticky cudaErrorIllegalAddress left by a faulting kernel) is reported as what it is.
        check(status, "cudaMalloc(" + bytes + " bytes)");
        return p.address();
    }

    @Override public void free(long address) { cudart.cudaFree(Cuda.at(address)); }

    @Override
    public void copyToDevice(long dst, Pointer host, long bytes) {
        check(cudart.cudaMemcpyAsync(Cuda.at(dst), host, bytes, cudart.cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync(upload)");
    }

    @Override
    public void copyToHost(Pointer host, long src, long bytes) {
        check(cudart.cudaMemcpyAsync(host, Cuda.at(src), bytes, cudart.cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync(download)");
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        check(cudart.cudaMemcpyAsync(Cuda.at(dst), Cuda.at(src), bytes, cudart.cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync(copy)");
    }

    @Override
    public void memsetZero(long dst, long bytes) { check(cudart.cudaMemsetAsync(Cuda.at(dst), 0, bytes, stream), "cudaMemsetAsync"); }

    @Override public void synchronize() { check(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize"); }

    @Override
    public void launch(String kernel, int blocks, int threads, BytePointer args, int argCount) {
        CUfunc_st f = functions.computeIfAbsent(kernel, name -> {
            CUfunc_st fn = new CUfunc_st();
            Cuda.checkDriver(cudart.cuModuleGetFunction(fn, module, name), "cuModuleGetFunction(" + name + ")");
            return fn;
        });
        if (slots == null || slotsFor != args.address()) {
            // One pointer per 8-byte slot of the (fixed) argument arena.
            slots = new PointerPointer<>(KernelModule.MAX_ARGS);
            for (int i = 0; i < KernelModule.MAX_ARGS; i++) slots.put(i, Cuda.at(args.address() + 8L * i));
            slotsFor = args.address();
        }
        Cuda.checkDriver(cudart.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, 0, stream, slots, null), "cuLaunchKernel(" + kernel + ")");
    }

    @Override public int multiprocessors() { return multiprocessors; }

    @Override
    public long[] memoryInfo() {
        SizeTPointer freeBytes = new SizeTPointer(1), total = new SizeTPointer(1);
        cudart.cudaMemGetInfo(freeBytes, total);
        return new long[] {freeBytes.get(), total.get()};
    }

    @Override
    public void close() {
        synchronize();
        cudart.cuModuleUnload(module);
        if (slots != null) slots.close();
        cudart.cudaStreamDestroy(stream);
    }
}
