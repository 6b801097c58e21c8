#!/usr/bin/env bash
# Builds the benchmarks and what they need, then runs every benchmark with short settings (about fifteen
# minutes on two cores: three and a half of them for the many-identities benchmarks 6 to 8, six for the
# fleet-scale sweep benchmarks 9 to 12, see benchmarks/README.md) and writes benchmarks/results/latest.md.
# Arguments go to RunAll:
#   --only=throughput,fresh-path,storm,sweep,jdbc-storm,many-throughput,many-heap,many-statements,
#          fleet-sweep,claim-cost,sweep-heap,rate-limit   run some (prints, writes no file)
#   --smoke                                               one-second iterations, small sizes (wiring check)
# Environment: BENCH_NOTE="..." adds a note to the results (e.g. "laptop on battery").
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# One reactor build: core and the modules the benchmarks depend on are packaged from this checkout (nothing
# is installed to ~/.m2), and the class path file lists those fresh jars.
mvn -q -B -ntp -pl benchmarks -am -DskipTests package \
    org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime

classpath="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
commit="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"

# `java -cp` (not `mvn exec:java`) so that java.class.path is the real class path: JMH forks inherit it.
exec java -Xms1g -Xmx1g -cp "$classpath" \
    -Dbench.commit="$commit" -Dbench.note="${BENCH_NOTE:-}" \
    org.oauthidentity.benchmarks.RunAll "$@"
