#!/usr/bin/env bash
# bf16's accuracy effect on the class-wise picture: the small CNN trained with PGD-AT on Fashion-MNIST (the real
# files: Debian's dataset-fashion-mnist, or `engine.jar data fetch fashion-mnist`) in fp32 and in bf16 (the
# fastest bf16 kernel this CPU runs; `info` names it), two seeds each, so bf16's difference can be read against
# fp32's own seed-to-seed spread. Then `compare` evaluates all four the same way (fp32, PGD-20 on 2,000 test
# images, correctly classified inputs) and prints per-class clean and robust accuracy.
#   benchmarks/bf16/accuracy.sh [OUT (default runs/bf16)] [DATA_DIR (default /usr/share/datasets)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-runs/bf16}
data=${2:-/usr/share/datasets}
jar="$root/target/engine.jar"
[ -s "$jar" ] || (cd "$root" && mvn -B -q package -DskipTests)
recipe=(--dataset fashion-mnist --data-dir "$data" --arch small-cnn --method pgd-at --epochs 5 --train-examples 20000
        --eval-examples 1000 --batch-size 128 --lr 0.05 --schedule multistep:3,4 --eps 0.1 --train-step 0.02 --train-steps 10
        --eval-step 0.01 --eval-steps 20 --no-progress --overwrite)
runs=()
for precision in fp32 bf16; do
  for seed in 1 2; do
    java -jar "$jar" train "${recipe[@]}" --precision "$precision" --seed "$seed" --out "$out/$precision-seed$seed" | tail -1
    runs+=("$out/$precision-seed$seed")
  done
done
java -jar "$jar" compare "${runs[@]}" --out "$out/compare-pgd20" --overwrite --examples 2000 --data-dir "$data"
column -s, -t < "$out/compare-pgd20/summary.csv"
