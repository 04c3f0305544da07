#!/usr/bin/env python3
"""Per-class accuracies of two Classwise runs side by side (the last epoch of each metrics.jsonl).

Usage: compare_metrics.py CPU_RUN/metrics.jsonl CUDA_RUN/metrics.jsonl [--max-diff 0.02]
Prints, for the test set's clean and robust accuracy, one row per class with both values and
their difference, then the largest difference; exits 1 when it exceeds --max-diff (the two backends
round differently, so a few examples may flip; a bug moves whole classes).
"""
import argparse
import json
import sys


def last_epoch(path):
    lines = [l for l in open(path, encoding="utf-8") if l.strip()]
    if not lines:
        sys.exit(f"{path}: no epochs recorded")
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("candidate")
    ap.add_argument("--max-diff", type=float, default=0.02)
    a = ap.parse_args()
    ref, cand = last_epoch(a.reference), last_epoch(a.candidate)
    names = ref["class_names"]
    if cand["class_names"] != names or ref["epoch"] != cand["epoch"]:
        sys.exit(f"the runs differ in classes or epochs: {a.reference} epoch {ref['epoch']}, {a.candidate} epoch {cand['epoch']}")
    worst = 0.0
    print(f"epoch {ref['epoch']}: test accuracy per class, {a.reference} vs {a.candidate}")
    print(f"{'class':<14} {'clean ref':>9} {'clean new':>9} {'diff':>7}   {'robust ref':>10} {'robust new':>10} {'diff':>7}")
    for c, name in enumerate(names):
        row = [name[:14]]
        for kind in ("clean", "robust"):
            r = ref["test"][kind]["per_class"][c]
            n = cand["test"][kind]["per_class"][c]
            d = abs(r - n)
            worst = max(worst, d)
            row += [r, n, d]
        print("{:<14} {:>9.4f} {:>9.4f} {:>7.4f}   {:>10.4f} {:>10.4f} {:>7.4f}".format(*row))
    for kind in ("clean", "robust"):
        print(f"overall {kind}: {ref['test'][kind]['overall']:.4f} vs {cand['test'][kind]['overall']:.4f}")
    print(f"largest per-class difference: {worst:.4f} (allowed {a.max_diff})")
    return 0 if worst <= a.max_diff else 1


if __name__ == "__main__":
    sys.exit(main())
