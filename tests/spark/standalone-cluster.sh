#!/usr/bin/env bash
# A real Spark standalone cluster on this machine — Spark's own Master and two Workers in separate JVMs, from the Spark
# jars Maven resolves (no download) — and engine.jar submitted to it as users do (SparkSubmit, what spark-submit runs):
#   1. sweep: 2 runs × 4 epochs, one executor JVM killed with SIGKILL after a run's first committed epoch; Spark retries
#      the task elsewhere and it resumes; every run's final checkpoint must equal, byte for byte, the same run made on
#      one machine without Spark (`engine.jar sweep`);
#   2. evaluate --shards 2 on the cluster: its per-class table must equal `engine.jar attack` on one machine.
# Run after `mvn package` (CI does); about 1–2 minutes on 2 cores. Logs under target/spark-cluster/.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
jar=$root/target/engine.jar
[ -f "$jar" ] || { echo "standalone-cluster: $jar is missing (mvn -B package -DskipTests first)" >&2; exit 1; }
work=$root/target/spark-cluster
rm -rf "$work"
mkdir -p "$work/home/jars"
start=$(date +%s)

# Spark's jars as a minimal SPARK_HOME: the Worker builds each executor's classpath from $SPARK_HOME/jars.
mvn -B -q dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile="$work/spark-classpath.txt" > /dev/null
for j in $(tr ':' '\n' < "$work/spark-classpath.txt"); do ln -sf "$j" "$work/home/jars/"; done
export SPARK_HOME=$work/home SPARK_SCALA_VERSION=2.13
opens=$(sed -n 's:.*<spark.opens>\(.*\)</spark.opens>.*:\1:p' pom.xml)
cp "$jar" "$work/engine.jar"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  pkill -9 -f "CoarseGrainedExecutorBackend.*$work" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# shellcheck disable=SC2086
java $opens -cp "$work/home/jars/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 0 --webui-port 0 > "$work/master.log" 2>&1 &
pids+=($!)
master=""
for _ in $(seq 1 60); do
  master=$(grep -o 'spark://127.0.0.1:[0-9]*' "$work/master.log" | head -1 || true)
  [ -n "$master" ] && break
  sleep 1
done
[ -n "$master" ] || { cat "$work/master.log" >&2; echo "standalone-cluster: the master did not start" >&2; exit 1; }
for w in 1 2; do
  mkdir -p "$work/worker$w"
  # shellcheck disable=SC2086
  java $opens -cp "$work/home/jars/*" org.apache.spark.deploy.worker.Worker "$master" --host 127.0.0.1 --cores 1 --memory 1500m \
      --webui-port 0 --work-dir "$work/worker$w" > "$work/worker$w.log" 2>&1 &
  pids+=($!)
done
for w in 1 2; do
  for _ in $(seq 1 60); do grep -q "Successfully registered with master" "$work/worker$w.log" && break; sleep 1; done
  grep -q "Successfully registered with master" "$work/worker$w.log" || { cat "$work/worker$w.log" >&2; exit 1; }
done
echo "standalone-cluster: master $master, 2 workers of 1 core ($(( $(date +%s) - start )) s)"

submit() {
  # shellcheck disable=SC2086
  timeout 600 java $opens -cp "$work/home/jars/*:$work/engine.jar" org.apache.spark.deploy.SparkSubmit --class io.classwise.spark.SparkMain \
      --master "$master" --conf spark.executor.memory=1g --conf spark.task.maxFailures=4 "$work/engine.jar" "$@"
}

spec() { # $1: out
  cat <<SPEC
out: $1
dataset: fashion-mnist
embedded: true
settings: {architecture: small-cnn, epochs: 4, trainExamples: 1000, evalExamples: 100, batchSize: 50, trainSteps: 2, evalSteps: 2, threads: 1}
grid:
  seed: [0, 1]
SPEC
}
spec "$work/cluster" > "$work/cluster.yaml"
spec "$work/single" > "$work/single.yaml"

# 1. The sweep, with one executor killed once a run has committed its first epoch.
(
  for _ in $(seq 1 600); do
    if [ -n "$(find "$work/cluster" -name metrics.jsonl -size +0 2>/dev/null | head -1)" ]; then
      victim=$(pgrep -f "CoarseGrainedExecutorBackend" | head -1 || true)
      if [ -n "$victim" ]; then kill -9 "$victim"; echo "killed executor JVM $victim" > "$work/killed"; fi
      exit 0
    fi
    sleep 0.2
  done
) &
killer=$!
submit sweep "$work/cluster.yaml" > "$work/sweep.log" 2>&1 || { tail -40 "$work/sweep.log" >&2; echo "standalone-cluster: the sweep failed" >&2; exit 1; }
wait "$killer" || true
[ -f "$work/killed" ] || { echo "standalone-cluster: no executor was killed (the sweep ended first?)" >&2; exit 1; }
grep -q "resuming in" "$work"/cluster/logs/*.log || { cat "$work"/cluster/logs/*.log >&2; echo "standalone-cluster: no run resumed after the kill" >&2; exit 1; }
java -jar "$work/engine.jar" sweep "$work/single.yaml" > "$work/single.log" 2>&1 || { tail -20 "$work/single.log" >&2; exit 1; }
for run in seed-0 seed-1; do
  for f in checkpoints/last.safetensors checkpoints/epoch-004.safetensors; do
    cmp "$work/cluster/$run/$f" "$work/single/$run/$f" || { echo "standalone-cluster: $run/$f differs from the single-machine run" >&2; exit 1; }
  done
done
echo "standalone-cluster: sweep of 2 runs with an executor killed ($(cat "$work/killed")): checkpoints byte-identical to one machine's"

# 2. A sharded evaluation on the cluster against attack on one machine.
ckpt=$work/single/seed-0
submit evaluate --checkpoint "$ckpt" --shards 2 --attack pgd --steps 5 --examples 200 --batch-size 50 > "$work/evaluate.log" 2>&1 \
    || { tail -40 "$work/evaluate.log" >&2; exit 1; }
java -jar "$work/engine.jar" attack --checkpoint "$ckpt" --attack pgd --steps 5 --examples 200 --batch-size 50 --device cpu --threads 1 \
    > "$work/attack.log" 2>&1 || { cat "$work/attack.log" >&2; exit 1; }
rows() { grep -E '^[0-9]+ +[A-Za-z]' "$1" | sed 's/\].*/]/'; }
rows "$work/evaluate.log" > "$work/evaluate.rows"
rows "$work/attack.log" > "$work/attack.rows"
[ "$(wc -l < "$work/attack.rows")" -eq 10 ] || { cat "$work/attack.log" >&2; echo "standalone-cluster: attack printed no per-class table" >&2; exit 1; }
diff "$work/evaluate.rows" "$work/attack.rows" || { echo "standalone-cluster: evaluate --shards 2 differs from attack" >&2; exit 1; }
echo "standalone-cluster: evaluate --shards 2 equals attack class by class"
echo "standalone-cluster: passed in $(( $(date +%s) - start )) s"
