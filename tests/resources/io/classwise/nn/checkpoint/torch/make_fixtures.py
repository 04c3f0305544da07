"""Writes the torch.save fixtures of TorchCheckpointTest with real PyTorch (Debian's python3-torch, 1.13).

Run from this directory:  /usr/bin/python3 make_fixtures.py
Every file is small; the expected values are written beside them as JSON (flattened, row-major).
"""
import collections
import io
import json
import os
import pickle
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def dump(name, obj):
    torch.save(obj, name)


def flat(t):
    return [float(v) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


# 1. dtypes and layouts: contiguous, transposed (non-contiguous), a slice with a storage offset sharing
#    storage with another tensor, fp16, bf16, fp64, an int64 scalar, bool.
base = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7
sd = collections.OrderedDict()
sd["contiguous"] = torch.randn(2, 3)
sd["transposed"] = base.t()
sd["offset_slice"] = base[1:, 1:3]
sd["half"] = torch.randn(5).half()
sd["bfloat"] = torch.randn(2, 2).bfloat16()
sd["double"] = torch.randn(3).double()
sd["num_batches_tracked"] = torch.tensor(7, dtype=torch.long)
sd["mask"] = torch.tensor([True, False, True])
dump("layouts.pt", sd)
json.dump({k: {"shape": list(v.shape), "values": flat(v)} for k, v in sd.items()}, open("layouts.json", "w"), indent=1)


# 2. A training checkpoint: weights under "state_dict" with DataParallel's "module." prefix, next to an
#    optimizer state, an epoch and a nested dict.
lin = nn.Linear(4, 3)
wrapped = {"module." + k: v for k, v in lin.state_dict().items()}
opt = torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
dump("training_checkpoint.pt", {"epoch": 5, "state_dict": wrapped, "optimizer": opt.state_dict(), "best_acc": 0.5,
                                "args": {"arch": "linear", "eps": 8 / 255}})


# 3. Classwise's small-cnn in PyTorch (names conv1, conv2, fc1, fc2), on 8x8 inputs; logits of a fixed batch.
class SmallCnn(nn.Module):
    def __init__(self, c, h, w, k):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 16, 3, 1, 1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1, 1)
        self.fc1 = nn.Linear(32 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, k)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


m = SmallCnn(1, 8, 8, 10).eval()
x = torch.rand(3, 1, 8, 8)
dump("small_cnn_8x8.pt", m.state_dict())
json.dump({"input_shape": [3, 1, 8, 8], "input": flat(x), "logits": flat(m(x))}, open("small_cnn_8x8.json", "w"))

# 4. The same network for 28x28 Fashion-MNIST, saved in fp16 (as many zoo files are), for the CLI.
m28 = SmallCnn(1, 28, 28, 10).eval()
dump("small_cnn_fmnist_fp16.pt", {"model_state_dict": {k: v.half() for k, v in m28.state_dict().items()}, "epoch": 1})


# 5. Files that must be refused: pickles naming code to run, REDUCE on a callable outside the allowlist,
#    a storage that claims far more than it holds, a truncated archive, a pre-1.6 file.
def archive(name, pickle_bytes, extra=None):
    with zipfile.ZipFile(name, "w") as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/version", "3\n")
        for k, v in (extra or {}).items():
            z.writestr("archive/" + k, v)


class RunsShell:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/classwise-pwned",))


class Evals:
    def __reduce__(self):
        return (eval, ("__import__('os').system('echo pwned')",))


archive("evil_system.pt", pickle.dumps({"w": RunsShell()}, protocol=2))
archive("evil_eval.pt", pickle.dumps({"w": Evals()}, protocol=2))


class LoadsAgain:
    def __reduce__(self):
        return (torch.load, ("other.pt",))


archive("evil_reduce.pt", pickle.dumps({"w": LoadsAgain()}, protocol=2))

# A storage declaring 10^12 floats while data/0 holds 16 bytes.
buf = io.BytesIO()
torch.save({"w": torch.zeros(4)}, buf)
raw = buf.getvalue()
with zipfile.ZipFile(io.BytesIO(raw)) as z:
    names = z.namelist()
    pkl_name = [n for n in names if n.endswith("data.pkl")][0]
    pkl = z.read(pkl_name)
    data_name = [n for n in names if n.endswith("data/0")][0]
    data0 = z.read(data_name)
# The numel in the persistent id ('storage', FloatStorage, '0', 'cpu', 4) is BININT1 4 right before the tuple: patch it to BININT 10^12 is not
# representable in 4 bytes, so use LONG1 (little-endian two's complement: a sixth byte keeps it positive).
needle = b"cpuq\x06K\x04t"
assert needle in pkl, pkl
huge = pkl.replace(needle, b"cpuq\x06\x8a\x06\x00\x10\xa5\xd4\xe8\x00t")  # LONG1, 6 bytes: 10^12
archive("huge_storage.pt", huge, {"data/0": data0})

with open("truncated.pt", "wb") as f:
    f.write(raw[: len(raw) // 2])

torch.save({"w": torch.zeros(2)}, "legacy_format.pt", _use_new_zipfile_serialization=False)
print("fixtures written:", sorted(n for n in os.listdir(".") if n.endswith(".pt")))
