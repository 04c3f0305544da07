#!/usr/bin/env bash
# The CUDA backend's check on a GPU machine, in one command of at most ~8 minutes (benchmarks/gpu/README.md).
#
#   benchmarks/gpu/check.sh --prepare    on the build machine: build, run the CPU reference training,
#                                        pack .device/ (JRE, engine.jar, test classes, JUnit launcher)
#   benchmarks/gpu/check.sh --dry-run    anywhere with Java: check the packed files, the classpath and every
#                                        command line (engine flags parsed, tests discovered) without running them
#   benchmarks/gpu/check.sh              on the GPU machine (sources .device/env.sh itself): the steps below,
#                                        each under its own timeout, logs and results under $OUT, going on past a failed step
#
# Steps: 1 GPU, driver, CUDA/cuDNN/cuBLAS versions and `engine.jar info`; 2 every test tagged gpu (failing,
# not skipping, when CUDA does not start), with each parity comparison's max errors in $OUT/parity.tsv, and
# again under CUDA_LAUNCH_BLOCKING=1 if one fails; 3 the CPU reference run's recipe with --device cuda, per-class
# accuracies side by side; 4 one PGD-10 PGD-AT epoch of PreActResNet-18 on synthetic 32x32x3 images (img/s, peak
# memory); 5 `bench --device cuda`; then, while time is left, the GPU tests under compute-sanitizer and
# `bench --compare-pytorch`. $OUT/summary.txt lists each step's exit status and seconds.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

DEV=${CLASSWISE_DEVICE_DIR:-.device}
OUT=${OUT:-/tmp/classwise-gpu-check}
BUDGET_S=${CHECK_BUDGET_S:-470}
JUNIT_VERSION=1.11.4
JRE_MODULES=${JRE_MODULES:-java.base,java.logging,java.management,java.naming,jdk.unsupported}
# The CPU reference run (made by --prepare) and its CUDA twin (step 3): same recipe, same seed.
TRAIN_RECIPE=(train --dataset fashion-mnist --embedded --method pgd-at --arch small-cnn --epochs 2
              --train-examples 2000 --eval-examples 500 --seed 7 --no-progress)
# Step 4: PGD-10 PGD-AT of PreActResNet-18 at CIFAR-10's eps 8/255, step 2/255, one epoch of 4096 random images.
PREACT_RECIPE=(train --dataset cifar10 --synthetic 4096 --arch preact-resnet18 --method pgd-at --epochs 1 --batch-size 128
               --eps 0.0313725 --train-step 0.00784314 --train-steps 10 --eval-examples 200 --eval-steps 10 --seed 1 --no-progress)

mode=run
for arg in "$@"; do
  case "$arg" in
    --prepare) mode=prepare ;;
    --dry-run) mode=dry-run ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "check.sh: unknown argument $arg (expected --prepare, --dry-run or nothing)" >&2; exit 2 ;;
  esac
done

jar="$DEV/engine.jar"
tests="$DEV/test-classes"
console="$DEV/lib/junit-platform-console-standalone-$JUNIT_VERSION.jar"
gpu_tests=(-cp "$jar:$tests" --select-package io.classwise.tensor.cuda --include-tag gpu)

# ------------------------------------------------------------------------------------------------ prepare
if [ "$mode" = prepare ]; then
  set -e
  mvn -B -q package -DskipTests
  mvn -B -q test-compile
  mkdir -p "$DEV/lib"
  rm -rf "$tests" "$DEV/cpu-run"
  cp target/engine.jar "$jar"
  cp -r target/test-classes "$tests"
  # Only compiled classes travel: the GPU tests read no test resources, and the model-zoo checkpoints and PyTorch
  # fixtures among them (~5 MiB) would push what travels past the 64 MiB limit.
  find "$tests" -type f ! -name '*.class' ! -name 'junit-platform.properties' -delete
  [ -f "$console" ] || mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_VERSION \
      -DoutputDirectory="$root/$DEV/lib"
  echo "CPU reference run: java -jar target/engine.jar ${TRAIN_RECIPE[*]} --device cpu --out $DEV/cpu-run"
  java -jar target/engine.jar "${TRAIN_RECIPE[@]}" --device cpu --out "$DEV/cpu-run" > "$DEV/cpu-run.log" 2>&1 \
      || { cat "$DEV/cpu-run.log"; exit 1; }
  tail -3 "$DEV/cpu-run.log"
  rm -rf "$DEV/cpu-run/checkpoints" # only metrics.jsonl and config.json travel
  pack="${CLASSWISE_PACK:-$root/../shared/device/pack.sh}"
  # The pack script records .device/ in .git/info/exclude; a checkout made without .git/info (CI's) needs it made.
  [ -d .git ] && mkdir -p .git/info
  if [ -x "$pack" ]; then
    # The GPU run writes no charts: a JRE without java.desktop keeps the tree that travels under 64 MiB.
    JRE_MODULES="$JRE_MODULES" "$pack"
  else
    echo "check.sh --prepare: $pack not found; set CLASSWISE_PACK to the device pack script (it makes $DEV/jre.tar.xz and env.sh)" >&2
    exit 1
  fi
  set +e
  mode=dry-run # a prepared tree is always dry-run checked
fi

# ------------------------------------------------------------------------------------------------ dry run
if [ "$mode" = dry-run ]; then
  bad=0
  fail() { echo "  FAIL: $*"; bad=1; }
  echo "== files in $DEV"
  for f in "$DEV/jre.tar.xz" "$DEV/env.sh" "$jar" "$console" "$DEV/cpu-run/metrics.jsonl" \
           "$tests/io/classwise/tensor/cuda/CudaBackendParityTest.class" "$tests/io/classwise/tensor/BackendParityCases.class"; do
    if [ -s "$f" ]; then echo "  ok   $f"; else fail "$f is missing (run benchmarks/gpu/check.sh --prepare)"; fi
  done
  echo "== size of what travels (tracked + untracked-not-ignored files + $DEV), limit 64 MiB"
  tree_bytes=$( (git ls-files -co --exclude-standard -z 2>/dev/null | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1) || echo 0)
  dev_bytes=$(du -sb "$DEV" 2>/dev/null | cut -f1)
  total=$(( ${tree_bytes:-0} + ${dev_bytes:-0} ))
  echo "  tree $(( ${tree_bytes:-0} / 1048576 )) MiB + $DEV $(( ${dev_bytes:-0} / 1048576 )) MiB = $(( total / 1048576 )) MiB"
  [ "$total" -le $(( 64 * 1048576 )) ] || fail "more than 64 MiB would travel"
  [ "$total" -le $(( 60 * 1048576 )) ] || echo "  WARNING: less than 4 MiB below the limit; the JRE and jar vary by a few hundred KiB between machines"
  echo "== GPU tests on the classpath (JUnit discover)"
  if [ -s "$console" ] && [ -s "$jar" ]; then
    found=$(java -jar "$console" discover --disable-banner "${gpu_tests[@]}" 2>&1 | grep -Eo '[0-9]+ tests found' | head -1)
    echo "  ${found:-nothing found}"
    [ -n "$found" ] && [ "${found%% *}" -gt 0 ] || fail "no GPU tests discovered with -cp $jar:$tests"
  fi
  parse_log=$(mktemp)
  echo "== engine command lines (parsed and checked with -Dclasswise.parseOnly=true, not run)"
  for cmd in "info" "${TRAIN_RECIPE[*]} --device cuda --out $OUT/cuda-run" "${PREACT_RECIPE[*]} --device cuda --out $OUT/preact-run" \
             "bench --device cuda --reps 5 --warmup 2" "bench --device cuda --compare-pytorch --python python3 --rounds 3 --reps 3 --warmup 2"; do
    echo "  java -jar $jar $cmd"
    # shellcheck disable=SC2086
    [ -s "$jar" ] && { java -Dclasswise.parseOnly=true -jar "$jar" $cmd > "$parse_log" 2>&1 || fail "the engine rejects: $cmd ($(cat "$parse_log"))"; }
  done
  echo "== comparison script on the CPU run against itself"
  if command -v python3 > /dev/null && [ -s "$DEV/cpu-run/metrics.jsonl" ]; then
    python3 benchmarks/gpu/compare_metrics.py "$DEV/cpu-run/metrics.jsonl" "$DEV/cpu-run/metrics.jsonl" | tail -1 || fail "compare_metrics.py"
  else
    echo "  (skipped: no python3 or no CPU run)"
  fi
  if [ "$bad" = 0 ]; then echo "dry run: OK"; else echo "dry run: FAILED"; fi
  exit "$bad"
fi

# ------------------------------------------------------------------------------------------------ GPU run
mkdir -p "$OUT"
# shellcheck disable=SC1091
source "$DEV/env.sh" 2>&1 | tee "$OUT/env.log"
source "$DEV/env.sh" > /dev/null 2>&1 # again outside the pipe, so the exports stay in this shell
summary="$OUT/summary.txt"
: > "$summary"
left() { echo $(( BUDGET_S - SECONDS )); }

# step NAME TIMEOUT_S MIN_LEFT_S CMD...: runs CMD under `timeout` into $OUT/NAME.log (and stdout) unless less
# than MIN_LEFT_S of the budget is left; records the exit status.
step() {
  local name=$1 limit=$2 need=$3; shift 3
  if [ "$(left)" -lt "$need" ]; then
    echo "== $name: skipped, $(left) s of the budget left" | tee -a "$summary"
    return 99
  fi
  [ "$limit" -gt "$(left)" ] && limit=$(left)
  echo "== $name (timeout ${limit}s): $*"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  printf '%-24s rc=%-4s %4ss\n' "$name" "$rc" "$((SECONDS - t0))" | tee -a "$summary"
  return "$rc"
}

versions() {
  nvidia-smi || true
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv || true
  echo "cuDNN / cuBLAS / cudart files found:"
  IFS=: read -ra dirs <<< "${LD_LIBRARY_PATH:-}"
  for d in "${dirs[@]}"; do ls "$d" 2>/dev/null | grep -E '^lib(cudnn|cublas|cublasLt|cudart)\.so\.[0-9]+\.[0-9]' | sed "s|^|  $d/|"; done
  python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(), torch.cuda.get_device_name(0))' || true
  java -jar "$jar" info
}

step 1-versions 60 30 versions
step 2-gpu-tests 180 60 java -Dclasswise.requireGpu=true -Dclasswise.parityReport="$OUT/parity.tsv" -jar "$console" execute \
    --disable-banner --details=tree --reports-dir "$OUT/junit" "${gpu_tests[@]}"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 99 ]; then
  CUDA_LAUNCH_BLOCKING=1 step 2b-gpu-tests-blocking 120 90 java -Dclasswise.requireGpu=true -jar "$console" execute \
      --disable-banner --details=tree "${gpu_tests[@]}"
fi
[ -s "$OUT/parity.tsv" ] && { echo "== parity comparisons (what, n, max abs, max rel, atol, rtol, verdict)"; sort -t$'\t' -k3 -g -r "$OUT/parity.tsv" | head -40; }
step 3-train-cuda 120 60 java -jar "$jar" "${TRAIN_RECIPE[@]}" --device cuda --out "$OUT/cuda-run"
step 3b-cpu-vs-cuda 20 10 python3 benchmarks/gpu/compare_metrics.py "$DEV/cpu-run/metrics.jsonl" "$OUT/cuda-run/metrics.jsonl"
step 4-preact-epoch 150 60 java -jar "$jar" "${PREACT_RECIPE[@]}" --device cuda --out "$OUT/preact-run"
step 5-bench 150 60 java -jar "$jar" bench --device cuda --reps 5 --warmup 2
if command -v compute-sanitizer > /dev/null; then
  step 6-sanitizer 120 100 compute-sanitizer --tool memcheck --target-processes all java -Dclasswise.requireGpu=true -jar "$console" execute \
      --disable-banner --details=summary -cp "$jar:$tests" --select-class io.classwise.tensor.cuda.CudaBackendParityTest
fi
step 7-compare-pytorch 150 100 java -jar "$jar" bench --device cuda --compare-pytorch --python python3 --rounds 3 --reps 3 --warmup 2 \
    --workload pgd10-train:preact-resnet18 --batch 128
echo "== summary (budget ${BUDGET_S}s, used ${SECONDS}s)"
cat "$summary"
