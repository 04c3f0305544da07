package io.classwise.tensor.cpu;

import io.classwise.tensor.HostStorage;
import io.classwise.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

import java.nio.FloatBuffer;

/** Native addresses of host tensors for the native kernels, resolved with JavaCPP (kept in this package). */
final class HostAddresses {
    private HostAddresses() {}

    static long of(HostStorage s) { return s.address(HostAddresses::resolve); }

    static long of(Tensor t) { return of(HostStorage.storageOf(t)); }

    private static long resolve(FloatBuffer b) { return new Pointer(b).address(); }
}
