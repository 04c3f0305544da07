#!/usr/bin/env python3
"""Proves the kernel emulation can fail: injects typical CUDA kernel bugs, one at a time, into a copy of native/,
and runs the emulated kernel tests on each under the forward, reverse and random schedules, AddressSanitizer +
UBSan, and ThreadSanitizer. Prints a Markdown table: which variant caught which mutation.

    python3 native/emu/mutations.py [--jobs 2]          (about 10 minutes on 2 cores)

Exit status 1 if a harmful mutation goes uncaught. A mutation listed as "redundant" changes nothing observable
(the code it removes is not needed), and is expected to pass.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (name, file under native/, the text as it is, the mutated text, which occurrence (0 = first), expected harmful)
MUTATIONS = [
    ("barrier removed before the block sum's read (cw_block_sum)", "cuda/common.cuh",
     "    if (lane == 0) partial[warp] = v;\n    __syncthreads();\n    v = threadIdx.x < (blockDim.x >> 5) ? partial[lane] : 0.f;",
     "    if (lane == 0) partial[warp] = v;\n    v = threadIdx.x < (blockDim.x >> 5) ? partial[lane] : 0.f;", 0, True),
    ("barrier removed before the result is read (cw_block_sum)", "cuda/common.cuh",
     "        if (lane == 0) result = v;\n    }\n    __syncthreads();\n    return result;",
     "        if (lane == 0) result = v;\n    }\n    return result;", 0, True),
    ("first barrier of cw_block_sum removed (the trailing barrier of the previous call already orders it)", "cuda/common.cuh",
     "    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;\n    __syncthreads();\n    if (lane == 0) partial[warp] = v;",
     "    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;\n    if (lane == 0) partial[warp] = v;", 0, False),
    ("grid-stride bound < becomes <=", "cuda/common.cuh",
     "i < (n); i +=", "i <= (n); i +=", 0, True),
    ("wrong shuffle offset (16 → 8) in the block sum", "cuda/common.cuh",
     "    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);\n    const int lane",
     "    for (int o = 8; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);\n    const int lane", 0, True),
    ("argmax ties go to the last index", "cuda/common.cuh",
     "(ov == v && oi < idx)", "(ov == v && oi > idx)", 0, True),
    ("pooling window one row too large", "include/classwise_pool_window.h",
     "for (int64_t r = 0; r < kernel; r++)", "for (int64_t r = 0; r <= kernel; r++)", 0, True),
    ("grid-stride loop forgets gridDim", "cuda/common.cuh",
     "i += (int64_t) blockDim.x * gridDim.x", "i += (int64_t) blockDim.x", 0, True),
    ("early exit before a block reduction (cw_l2_normalize_rows)", "cuda/elementwise.cu",
     "    float s = 0.f;\n    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) s += x[r * dim + j] * x[r * dim + j];",
     "    if (threadIdx.x >= dim) return;\n    float s = 0.f;\n    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) s += x[r * dim + j] * x[r * dim + j];",
     0, True),
    ("atomicAdd replaced by += (cw_class_counts)", "cuda/classwise.cu",
     "atomicAdd(total + y, 1);", "total[y] += 1;", 0, True),
    ("out-of-bounds write (cw_zero_pad2d_backward)", "cuda/elementwise.cu",
     "dx[i] = dy[(p * hp + r + top) * wp + c + left];", "dx[i + 1] = dy[(p * hp + r + top) * wp + c + left];", 0, True),
]

VARIANTS = [
    ("forward", "kernel_tests", ["--order", "forward"]),
    ("reverse", "kernel_tests", ["--order", "reverse"]),
    ("random", "kernel_tests", ["--order", "random", "--seed", "1"]),
    ("ASan+UBSan", "kernel_tests_asan", ["--order", "random", "--seed", "3"]),
    ("TSan", "kernel_tests_tsan", ["--order", "random", "--seed", "4", "--quick"]),
]


def mutate(index, work):
    name, rel, before, after, occurrence, harmful = MUTATIONS[index]
    tree = os.path.join(work, "m%02d" % index)
    shutil.copytree(os.path.join(ROOT, "native"), os.path.join(tree, "native"))
    path = os.path.join(tree, "native", rel)
    text = open(path).read()
    if text.count(before) <= occurrence:
        return name, harmful, {"error": "pattern not found in %s" % rel}
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(before, at + 1)
    open(path, "w").write(text[:at] + after + text[at + len(before):])
    build = os.path.join(tree, "build")
    subprocess.run(["cmake", "-S", os.path.join(tree, "native", "emu"), "-B", build], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", build, "-j1"], check=True, capture_output=True)
    results = {}
    for label, exe, args in VARIANTS:
        env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1:exitcode=66", UBSAN_OPTIONS="halt_on_error=1")
        try:
            p = subprocess.run([os.path.join(build, exe)] + args, capture_output=True, text=True, timeout=600, env=env)
            results[label] = p.returncode != 0
        except subprocess.TimeoutExpired:
            results[label] = True  # a hang is a caught bug too
    return name, harmful, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    jobs = ap.parse_args().jobs
    work = tempfile.mkdtemp(prefix="classwise-mutations-")
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            rows = list(pool.map(lambda i: mutate(i, work), range(len(MUTATIONS))))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| mutation | " + " | ".join(v[0] for v in VARIANTS) + " | caught |")
    print("|---|" + "---|" * (len(VARIANTS) + 1))
    missed = 0
    for name, harmful, results in rows:
        if "error" in results:
            print("| %s | %s |" % (name, results["error"]))
            missed += 1
            continue
        caught = any(results.values())
        cells = ["yes" if results[v[0]] else "–" for v in VARIANTS]
        verdict = ("yes" if caught else "**no**") if harmful else ("no (redundant)" if not caught else "yes (expected redundant)")
        if harmful and not caught:
            missed += 1
        print("| %s | %s | %s |" % (name, " | ".join(cells), verdict))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
