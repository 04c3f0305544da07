#!/usr/bin/env bash
# The class-aware defenses against PGD-AT and TRADES on Fashion-MNIST (the real files: Debian's dataset-fashion-mnist,
# or `engine.jar data fetch fashion-mnist`), one recipe for all: the small CNN, 20,000 training images (balanced),
# 10 epochs, SGD 0.05 ×0.1 at epochs 7 and 9, ε = 0.1, PGD-10 training (step 0.02), each method's own defaults.
# Then `compare`: PGD-20 on 2,000 test images, and the standard AutoAttack on 500. Prints the summary tables.
#   benchmarks/fair/run.sh [OUT (default runs/fair)] [DATA_DIR (default /usr/share/datasets)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-runs/fair}
data=${2:-/usr/share/datasets}
jar="$root/target/engine.jar"
[ -s "$jar" ] || (cd "$root" && mvn -B -q package -DskipTests)
recipe=(--dataset fashion-mnist --data-dir "$data" --arch small-cnn --epochs 10 --train-examples 20000 --eval-examples 1000
        --batch-size 128 --lr 0.05 --schedule multistep:7,9 --eps 0.1 --train-step 0.02 --train-steps 10 --eval-step 0.01
        --eval-steps 20 --seed 1 --no-progress --overwrite)
methods=(pgd-at trades frl cfa dafa)
for m in "${methods[@]}"; do
  java -jar "$jar" train "${recipe[@]}" --method "$m" --out "$out/$m" | tail -1
done
runs=(); for m in "${methods[@]}"; do runs+=("$out/$m"); done
java -jar "$jar" compare "${runs[@]}" --out "$out/compare-pgd20" --overwrite --examples 2000 --data-dir "$data"
java -jar "$jar" compare "${runs[@]}" --out "$out/compare-autoattack" --overwrite --examples 500 --autoattack --data-dir "$data"
column -s, -t < "$out/compare-pgd20/summary.csv"
column -s, -t < "$out/compare-autoattack/summary.csv"
