#!/usr/bin/env bash
# engine.jar on a Spark or Hadoop classpath: the libraries such classpaths also carry must be inside engine.jar only
# under io.classwise.shaded, and a sweep must work with another Jackson (and SnakeYAML) first on the classpath, as a
# cluster's jars come before the application's. Run after `mvn package` (CI does).
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=target/engine.jar
[ -f "$jar" ] || { echo "shading-check: $jar is missing (mvn -B package -DskipTests first)" >&2; exit 1; }

clashing=$(unzip -Z1 "$jar" | grep -E '^(com/fasterxml/jackson|org/yaml/snakeyaml|picocli|org/slf4j|org/jline|org/apache/commons)/' | head -5 || true)
if [ -n "$clashing" ]; then
  echo "shading-check: engine.jar carries classes at their original names (a cluster's copies would replace them):" >&2
  echo "$clashing" >&2
  exit 1
fi
echo "shading-check: no Jackson, SnakeYAML, picocli, SLF4J, JLine or commons classes at their original names"

# Spark 3.5's Jackson and an older SnakeYAML, first on the classpath.
other=target/other-jackson
mkdir -p "$other"
for a in com.fasterxml.jackson.core:jackson-core:2.15.2 com.fasterxml.jackson.core:jackson-databind:2.15.2 \
         com.fasterxml.jackson.core:jackson-annotations:2.15.2 com.fasterxml.jackson.dataformat:jackson-dataformat-yaml:2.15.2 \
         org.yaml:snakeyaml:1.33; do
  mvn -B -q dependency:copy -Dartifact="$a" -DoutputDirectory="$other" > /dev/null
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/spec.yaml" <<SPEC
out: $work/out
dataset: fashion-mnist
embedded: true
settings: {architecture: small-cnn, epochs: 1, trainExamples: 100, evalExamples: 20, evalSteps: 1, method: natural}
grid:
  seed: [0, 1]
SPEC
java -cp "$other/*:$jar" io.classwise.cli.Main sweep "$work/spec.yaml" > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
test -s "$work/out/summary.csv" || { cat "$work/log" >&2; echo "shading-check: no summary.csv" >&2; exit 1; }
echo "shading-check: a sweep with Jackson 2.15.2 and SnakeYAML 1.33 first on the classpath finished ($(wc -l < "$work/out/summary.csv") summary lines)"
