#!/usr/bin/env bash
# The library as a JVM pipeline uses it: `mvn install` puts io.classwise:classwise into the local repository;
# a separate Maven project depends on it (plus slf4j-nop, its own logging choice), compiles README.md's
# Java API example and runs it. Passes when the example prints its line and nothing is said about SLF4J
# providers (the library brings no binding).   Usage (project root): tests/library/check.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
version=$(mvn -B -q -Dstyle.color=never help:evaluate -Dexpression=project.version -DforceStdout | sed "s/\x1b\[[0-9;]*m//g")
mvn -B -q install -DskipTests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/main/java/example"
# The example is README.md's first ```java block.
example=$(awk '/^```java$/{on=1; next} on && /^```$/{exit} on' README.md)
cat > "$work/src/main/java/example/ReadmeExample.java" <<JAVA
package example;

import io.classwise.analysis.ClassRobustness;
import io.classwise.analysis.FlipMatrix;
import io.classwise.api.Classwise;
import io.classwise.attack.Attack;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.Model;
import io.classwise.train.TrainConfig;

import java.nio.file.Files;
import java.nio.file.Path;

public class ReadmeExample {
    public static void main(String[] args) throws Exception {
        Path runDir = Files.createTempDirectory("classwise-library-check");
$example
    }
}
JAVA
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>classwise-consumer</artifactId>
  <version>1</version>
  <properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <dependencies>
    <dependency><groupId>io.classwise</groupId><artifactId>classwise</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>2.0.13</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version>
    <configuration><release>17</release></configuration>
  </plugin></plugins></build>
</project>
POM
(cd "$work" && mvn -B -q compile && mvn -B -q dependency:build-classpath -Dmdep.outputFile=cp.txt)
cp="$work/target/classes:$(cat "$work/cp.txt")"
out=$(java -cp "$cp" example.ReadmeExample 2> "$work/stderr.txt")
echo "$out"
if grep -q "SLF4J" "$work/stderr.txt"; then echo "FAIL: SLF4J complained:"; cat "$work/stderr.txt"; exit 1; fi
echo "$out" | grep -q "worst class" || { echo "FAIL: the example printed nothing"; cat "$work/stderr.txt"; exit 1; }
jar=$(ls "$HOME/.m2/repository/io/classwise/classwise/$version/classwise-$version.jar")
echo "library check: OK ($(du -h "$jar" | cut -f1) library jar; slf4j-nop chosen by the consumer, no provider warning)"
