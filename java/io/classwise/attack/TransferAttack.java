package io.classwise.attack;

import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/**
 * Black-box transfer: adversarial examples crafted with white-box access to a surrogate model,
 * then shown to the target, which is only queried for its predictions.
 */
public final class TransferAttack implements Attack {
    private final Attack crafting;
    private final Model surrogate;

    public TransferAttack(Attack crafting, Model surrogate) {
        this.crafting = crafting;
        this.surrogate = surrogate;
    }

    @Override public String name() { return "transfer(" + crafting.name() + ")"; }

    @Override
    public AttackResult run(Model target, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        // The surrogate's passes live on a tape nested in the caller's, closed with it.
        Tape surrogateTape = tape.cache(this, () -> new Tape(surrogate.backend()));
        AttackResult onSurrogate = crafting.run(surrogate, surrogateTape, x, labels, targets, rng);
        int[] pred = x.backend().argmaxRows(target.forward(tape, onSurrogate.adversarial()));
        int[] y = Pgd.toInts((targets == null ? labels : targets).toArray());
        boolean[] success = new boolean[pred.length];
        for (int i = 0; i < pred.length; i++) success[i] = targets == null ? pred[i] != y[i] : pred[i] == y[i];
        return new AttackResult(onSurrogate.adversarial(), pred, success);
    }
}
