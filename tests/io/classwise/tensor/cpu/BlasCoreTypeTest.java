package io.classwise.tensor.cpu;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which CPUs get an OPENBLAS_CORETYPE request: only those OpenBLAS 0.3.31 misdetects. */
class BlasCoreTypeTest {
    @Test
    void zen5WithAvx512GetsTheAvx512Kernels() {
        assertEquals(Optional.of("COOPERLAKE"), BlasCoreType.override(true, 0x1A, 2));
        assertEquals(Optional.of("SKYLAKEX"), BlasCoreType.override(true, 0x1A, 1));
        assertEquals(Optional.of("COOPERLAKE"), BlasCoreType.override(true, 0x1B, 2), "later families are unknown to 0.3.31 too");
    }

    @Test
    void cpusOpenBlasKnowsOrWithoutAvx512AreLeftAlone() {
        assertEquals(Optional.empty(), BlasCoreType.override(true, 0x19, 2), "Zen 4: OpenBLAS detects it itself");
        assertEquals(Optional.empty(), BlasCoreType.override(false, 0x1A, 2), "not AMD");
        assertEquals(Optional.empty(), BlasCoreType.override(true, 0x1A, 0), "no AVX-512");
    }
}
