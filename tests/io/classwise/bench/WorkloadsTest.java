package io.classwise.bench;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark workloads: names parse, geometries exist, and the pre-timing check catches a wrong answer. */
class WorkloadsTest {
    @Test
    void specsAndGeometriesParse() {
        Workloads.Spec s = Workloads.Spec.parse("pgd10-train:preact-resnet18");
        assertEquals("preact-resnet18", s.architecture());
        assertThrows(IllegalArgumentException.class, () -> Workloads.Spec.parse("pgd10-train"));
        assertEquals(128, Workloads.conv("resnet-down", 4).k());
        assertThrows(IllegalArgumentException.class, () -> Workloads.conv("vgg", 4));
    }

    @Test
    void verifyComparesWithTheReferenceLoopsAndCatchesAWrongAnswer() {
        try (Backend cpu = Backends.create("cpu", 1); Backend ref = Backends.create("reference", 1)) {
            Workloads.verify(Workloads.convForward(cpu, Workloads.conv("madry-conv2", 2)), Workloads.convForward(ref,
                    Workloads.conv("madry-conv2", 2)), 1e-3, 1e-3);
            // A "convolution" that computes the input gradient instead is wrong, and verify says so.
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Workloads.verify(
                    Workloads.convInputGradient(cpu, Workloads.conv("resnet-3x3", 2)), Workloads.convForward(ref,
                            Workloads.conv("resnet-3x3", 2)), 1e-3, 1e-3));
            assertTrue(e.getMessage().contains("reference loops"), e.getMessage());
        }
    }
}
