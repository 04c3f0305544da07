"""Writes the model-zoo fixtures of ZooParityTest with real PyTorch (Debian's python3-torch 1.13 and
python3-torchvision 0.14).

Run from this directory:  /usr/bin/python3 make_zoo_fixtures.py

For each architecture family of the CIFAR-10 l-inf zoo and ImageNet's ResNet-50, at full size and with
its published parameter names, this writes
  ARCH.pt         the state_dict as torch.save writes it (TRADES's files also carry the unused sub_block1,
                  as the released TRADES checkpoints do; ResNet-50's names carry a normalising wrapper's
                  "model." prefix);
  ARCH.parity.pt  {"input": x in [0, 1], "logits": the model's logits in eval mode, computed in float64}.
A full-size WideResNet-70-16 is 1 GB of weights; to keep the files small every weight is a strided view
into one of two small random storages (torch.save keeps views as views: storage, offset, size, stride),
so the files also exercise the reader's offsets, strides and shared storages. The batch-norm running
statistics are real: measured on a batch of images in training mode (so activations stay normalised
through 70 layers and the logits depend on the input), then stored in float16 (half the bytes; the
reference logits are computed from the rounded values). Weights are random: parity of the architecture
is what is checked, not accuracy.
"""
import collections
import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# PreActResNet-18 (Wong et al.'s names), ResNet-18 (kuangliu's) and TRADES's WideResNet: the definitions the
# benchmarks and the other parity fixtures use.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 6, "benchmarks"))
from pytorch_reference import PreActResNet18, ResNet18, WideBlock, WideGroup, WideResNet  # noqa: E402

torch.manual_seed(0)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2471, 0.2435, 0.2616)


# ---------------------------------------------------------------- TRADES / MART WideResNet (wrn-D-W)
class TradesWideResNet(WideResNet):
    """As TRADES's released code: a first sub-block defined and never called, so its files hold sub_block1.*"""
    def __init__(self, depth, width, classes=10):
        super().__init__(depth, width, classes)
        n, ch = (depth - 4) // 6, 16 * width
        self.sub_block1 = WideGroup([WideBlock(16 if i == 0 else ch, ch, 1) for i in range(n)])


# ---------------------------------------------------------------- DeepMind WideResNet (dm-wrn-D-W), Swish
class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class DmBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.batchnorm_0 = nn.BatchNorm2d(cin, momentum=0.01)
        self.relu_0 = Swish()
        self.conv_0 = nn.Conv2d(cin, cout, 3, stride, 0, bias=False)  # padded by hand below, TensorFlow's "SAME"
        self.batchnorm_1 = nn.BatchNorm2d(cout, momentum=0.01)
        self.relu_1 = Swish()
        self.conv_1 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if cin != cout else None
        self.stride = stride

    def forward(self, x):
        a = self.relu_0(self.batchnorm_0(x))
        v = F.pad(a, (1, 1, 1, 1) if self.stride == 1 else (0, 1, 0, 1))
        out = self.conv_1(self.relu_1(self.batchnorm_1(self.conv_0(v))))
        return (self.shortcut(a) if self.shortcut is not None else x) + out


class DmGroup(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.block = nn.Sequential(*[DmBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])

    def forward(self, x):
        return self.block(x)


class DmWideResNet(nn.Module):
    def __init__(self, depth, width, classes=10):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * width, 32 * width, 64 * width]
        self.mean = torch.tensor(CIFAR10_MEAN).view(3, 1, 1)  # plain attributes, not in the state_dict
        self.std = torch.tensor(CIFAR10_STD).view(3, 1, 1)
        self.init_conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.layer = nn.Sequential(DmGroup(n, ch[0], ch[1], 1), DmGroup(n, ch[1], ch[2], 2), DmGroup(n, ch[2], ch[3], 2))
        self.batchnorm = nn.BatchNorm2d(ch[3], momentum=0.01)
        self.relu = Swish()
        self.logits = nn.Linear(ch[3], classes)
        self.channels = ch[3]

    def forward(self, x):
        out = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        out = self.relu(self.batchnorm(self.layer(self.init_conv(out))))
        return self.logits(F.avg_pool2d(out, 8).view(-1, self.channels))


# ---------------------------------------------------------------- weights as views into small storages
weights = torch.rand(81920) * 2 - 1       # conv/linear weights, scaled per model below
units = torch.rand(8192 + 4096) * 2 - 1    # BN weight/bias, linear biases


def view(base, shape, name, scale_base):
    """A strided view of base with this shape, at an offset derived from the name (reproducible)."""
    offset = zlib.crc32(name.encode()) % 4096
    strides = [1] * len(shape)
    # (out, in, k, k) → strides (29, 13, 3, 1); (out, in) → (29, 1); vectors → 1. Indices overlap on purpose.
    if len(shape) == 4:
        strides = [29, 13, 3, 1]
    elif len(shape) == 2:
        strides = [29, 1]
    reach = offset + sum((s - 1) * st for s, st in zip(shape, strides))
    assert reach < base.numel(), (name, shape, reach)
    return torch.as_strided(scale_base, tuple(shape), tuple(strides), offset)


def strided_weights(model, scale):
    scaled = (weights * scale).contiguous()
    sd = collections.OrderedDict()
    for name, t in model.state_dict().items():
        if "running_" in name or name.endswith("num_batches_tracked"):
            sd[name] = t
        elif t.dim() >= 2:
            sd[name] = view(scaled, t.shape, name, scaled)
        else:
            sd[name] = view(units, t.shape, name, units)
    return sd


def calibrate(model, x):
    """Running statistics = the statistics of one training-mode pass over x, rounded to float16."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average: after one batch, exactly that batch's statistics
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()


def make(name, model, x, scale):
    model.load_state_dict(strided_weights(model, scale))
    calibrate(model, torch.cat([cifar_input(6), x]) if x.shape[-1] == 32 else torch.cat([x, x.flip(3)]))
    sd = collections.OrderedDict()
    for k, v in strided_weights(model, scale).items():
        if k.endswith("num_batches_tracked"):
            sd[k] = torch.tensor(100, dtype=torch.long)
        elif "running_" in k:
            sd[k] = v.half()
        else:
            sd[k] = v
    model.load_state_dict(sd)
    torch.save(sd, name + ".pt")
    with torch.no_grad():
        logits = model.double()(x.double())
    torch.save({"input": x, "logits": logits}, name + ".parity.pt")
    print(name, "logits std %.3f" % logits.std().item(), "argmax", logits.argmax(1).tolist())


def cifar_input(n=2):
    """Noise, and smooth colour gradients: images unlike each other, so their logits differ."""
    x = torch.rand(n, 3, 32, 32)
    ramp = torch.linspace(0, 1, 32)
    for i in range(1, n, 2):
        x[i] = 0.3 * x[i] + 0.7 * torch.stack([ramp.view(1, 32).expand(32, 32), ramp.view(32, 1).expand(32, 32),
                                                 (ramp.view(1, 32) * ramp.view(32, 1))])
    return x


make("wrn-28-10", TradesWideResNet(28, 10), cifar_input(), 1 / 48)
make("wrn-34-10", TradesWideResNet(34, 10), cifar_input(), 1 / 48)
make("wrn-34-20", TradesWideResNet(34, 20), cifar_input(), 1 / 96)
make("dm-wrn-28-10", DmWideResNet(28, 10), cifar_input(), 1 / 48)
make("dm-wrn-70-16", DmWideResNet(70, 16), cifar_input(), 1 / 96)
make("preact-resnet18", PreActResNet18(), cifar_input(), 1 / 48)
make("resnet18", ResNet18(), cifar_input(), 1 / 48)
# torchvision's own ResNet-50 (names conv1, layer1.0.conv1, downsample.0, fc); one 224x224 image, itself a
# strided view (rows 224 apart would need 150k values; 229 apart over a shared plane keeps the file small).
pixels = torch.rand(3 * 4099 + 229 * 224)
class ImageNetNormalized(nn.Module):
    """torchvision's models take (x - mean) / std with ImageNet's statistics, applied in the data pipeline."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        mean = torch.tensor((0.485, 0.456, 0.406), dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor((0.229, 0.224, 0.225), dtype=x.dtype).view(1, 3, 1, 1)
        return self.model((x - mean) / std)


# Saved with the wrapper's "model." prefix, as RobustBench's normalising wrappers save ImageNet models.
make("resnet50", ImageNetNormalized(torchvision.models.resnet50()),
     torch.as_strided(pixels, (1, 3, 224, 224), (0, 4099, 229, 1), 0), 1 / 48)
