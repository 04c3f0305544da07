#!/usr/bin/env python3
"""PyTorch reference for Classwise's benchmark workloads, written as a researcher would in plain PyTorch.

    python3 benchmarks/pytorch_reference.py --device cpu --threads 2 --batch 128 \
        --workload pgd10-train:madry-cnn --workload pgd10-train:small-cnn

`java -jar target/engine.jar bench --compare-pytorch` runs this script between its own timed runs and
prints both side by side; run it alone to see PyTorch's numbers only. One JSON object per workload
is printed on stdout (images/second from the median of --reps timed runs after --warmup untimed
runs, peak GPU memory on CUDA).

Workloads (the same definitions as io.classwise.bench.Workloads):
  pgd-step:ARCH     one l-inf PGD step: forward, input gradient of the mean cross-entropy, sign step,
                    projection onto the eps-ball and [0, 1]; model in training mode
  pgd10-train:ARCH  one PGD-10 adversarial training step (Madry et al.): random start, 10 PGD steps
                    on the training-mode network, forward + backward on the adversarial batch, SGD
                    (momentum 0.9, weight decay 5e-4)
  pgd20-eval:ARCH   PGD-20 evaluation: 20 steps on the evaluation-mode network, then the prediction
ARCH: madry-cnn, small-cnn (1x28x28, eps 0.3, step 0.01) or preact-resnet18, wrn-34-10 (3x32x32,
eps 8/255, step 2/255).

Modes: eager (fp32; on CUDA TF32 is switched off so fp32 means fp32), bf16 (eager with bf16 autocast:
on the CPU, oneDNN's bf16 convolutions and matrix products; fp32 weights, SGD and sign step) and fast
(CUDA only: channels_last, bf16 autocast, torch.compile) -- PyTorch's fastest settings.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- models (the same layers, shapes and parameter
# names as Classwise's; tests/fixtures/generate_pytorch_fixtures.py checks those names against Classwise)

class MadryCnn(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.linear1 = nn.Linear(7 * 7 * 64, 1024)
        self.linear2 = nn.Linear(1024, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.linear2(F.relu(self.linear1(x.flatten(1))))


class SmallCnn(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class PreActBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(x))
        skip = self.shortcut(out) if self.shortcut is not None else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class PreActResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        cin, layers = 64, []
        for i, planes in enumerate([64, 128, 256, 512]):
            blocks = []
            for j in range(2):
                blocks.append(PreActBlock(cin, planes, 2 if (j == 0 and i > 0) else 1))
                cin = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.bn = nn.BatchNorm2d(512)
        self.linear = nn.Linear(512, classes)

    def forward(self, x):
        out = self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))
        out = F.relu(self.bn(out))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class BasicBlock(nn.Module):
    """kuangliu/pytorch-cifar's ResNet block: conv1 bn1 relu conv2 bn2, + shortcut (conv, bn), relu."""
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin, layers = 64, []
        for i, planes in enumerate([64, 128, 256, 512]):
            blocks = []
            for j in range(2):
                blocks.append(BasicBlock(cin, planes, 2 if (j == 0 and i > 0) else 1))
                cin = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.linear = nn.Linear(512, classes)

    def forward(self, x):
        out = self.layer4(self.layer3(self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x)))))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.convShortcut = None if cin == cout else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return out + (x if self.convShortcut is None else self.convShortcut(a))


class WideGroup(nn.Module):
    """TRADES' NetworkBlock: its blocks are named blockK.layer.I.*"""
    def __init__(self, blocks):
        super().__init__()
        self.layer = nn.Sequential(*blocks)

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth=34, width=10, classes=10):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * width, 32 * width, 64 * width]
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        groups = []
        for g, stride in enumerate([1, 2, 2]):
            groups.append(WideGroup([WideBlock(ch[g] if i == 0 else ch[g + 1], ch[g + 1], stride if i == 0 else 1) for i in range(n)]))
        self.block1, self.block2, self.block3 = groups
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], classes)

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = F.relu(self.bn1(out))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))


ARCHITECTURES = {
    # name: (constructor, input shape, eps, step)
    "madry-cnn": (MadryCnn, (1, 28, 28), 0.3, 0.01),
    "small-cnn": (SmallCnn, (1, 28, 28), 0.3, 0.01),
    "preact-resnet18": (PreActResNet18, (3, 32, 32), 8 / 255, 2 / 255),
    "wrn-34-10": (lambda: WideResNet(34, 10), (3, 32, 32), 8 / 255, 2 / 255),
}


# ---------------------------------------------------------------- the attack and the training step

def pgd(model, x, y, eps, step, steps, random_start, amp):
    """l-inf PGD on the mean cross-entropy; only the input gradient is computed (autograd.grad)."""
    delta = torch.empty_like(x).uniform_(-eps, eps) if random_start else torch.zeros_like(x)
    delta = (x + delta).clamp_(0, 1) - x
    for _ in range(steps):
        delta.requires_grad_(True)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=amp):
            loss = F.cross_entropy(model(x + delta), y)
        grad, = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta = (delta + step * grad.sign()).clamp_(-eps, eps)
            delta = (x + delta).clamp_(0, 1) - x
    return (x + delta).detach()


def make_workload(kind, arch, batch, device, mode):
    ctor, shape, eps, step = ARCHITECTURES[arch]
    torch.manual_seed(0)
    model = ctor().to(device)
    fast = mode == "fast"
    amp = mode in ("fast", "bf16")  # bf16: eager with bf16 autocast (on the CPU, oneDNN's bf16 kernels)
    memory_format = torch.channels_last if fast else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    net = torch.compile(model) if fast else model
    x = torch.rand(batch, *shape, device=device).contiguous(memory_format=memory_format)
    y = torch.randint(0, 10, (batch,), device=device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    if kind == "pgd-step":
        model.train()
        return lambda: pgd(net, x, y, eps, step, 1, False, amp)
    if kind == "pgd10-train":
        model.train()

        def train_step():
            x_adv = pgd(net, x, y, eps, step, 10, True, amp)
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = F.cross_entropy(net(x_adv), y)
            loss.backward()
            opt.step()
            return loss
        return train_step
    if kind == "pgd20-eval":
        model.eval()

        def evaluate():
            x_adv = pgd(net, x, y, eps, step, 20, True, amp)
            with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                return net(x_adv).argmax(1)
        return evaluate
    raise SystemExit("unknown workload kind '%s' (expected pgd-step, pgd10-train or pgd20-eval)" % kind)


def measure(run, device, warmup, reps):
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        run()
    sync()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated() if device.type == "cuda" else None
    return statistics.median(times), peak


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="CPU threads (torch.set_num_threads), 0 = PyTorch's default")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--mode", default="eager", choices=["eager", "bf16", "fast"])
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--workload", action="append", required=True, help="KIND:ARCH, repeatable")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
        torch.set_num_interop_threads(1)
    device = torch.device(a.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: PyTorch sees no CUDA device")
        torch.backends.cudnn.benchmark = True
        # fp32 means fp32 in eager mode; the fast mode uses bf16 autocast anyway.
        torch.backends.cuda.matmul.allow_tf32 = a.mode == "fast"
        torch.backends.cudnn.allow_tf32 = a.mode == "fast"
    elif a.mode == "fast":
        raise SystemExit("--mode fast is a CUDA setting (channels_last + bf16 autocast + torch.compile)")
    for spec in a.workload:
        kind, _, arch = spec.partition(":")
        if arch not in ARCHITECTURES:
            raise SystemExit("--workload %s: unknown architecture '%s' (expected one of %s)" % (spec, arch, ", ".join(ARCHITECTURES)))
        run = make_workload(kind, arch, a.batch, device, a.mode)
        median, peak = measure(run, device, a.warmup, a.reps)
        print(json.dumps({"workload": kind, "arch": arch, "batch": a.batch, "device": a.device, "mode": a.mode,
                          "threads": torch.get_num_threads(), "median_s": median, "images_per_s": a.batch / median,
                          "peak_bytes": peak, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
