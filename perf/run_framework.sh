#!/bin/sh
# Builds the release preset and runs the framework micro-benchmarks (framework_bench), writing
# the results as JSON and as a Markdown table. Extra arguments go to framework_bench
# (e.g. --repeat 9, --filter timer, --scale 0.1; see --help).
#
#   perf/run_framework.sh [framework_bench options...]
#
# Environment:
#   TROUPE_PERF_OUT        where the results go (default: build/perf-results)
#   TROUPE_PERF_BUILD_DIR  build in this directory instead of the release preset's
#                          (same build type, RelWithDebInfo), e.g. when build/release is busy
#   CMAKE_BUILD_PARALLEL_LEVEL  build jobs (cmake's own variable)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${TROUPE_PERF_OUT:-$root/build/perf-results}
cd "$root"

if [ -n "${TROUPE_PERF_BUILD_DIR:-}" ]; then
  cmake -S . -B "$TROUPE_PERF_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTROUPE_BUILD_TESTS=OFF -DTROUPE_BUILD_SAMPLES=OFF
  cmake --build "$TROUPE_PERF_BUILD_DIR" --target framework_bench
  bench=$TROUPE_PERF_BUILD_DIR/perf/framework_bench
else
  cmake --preset release
  cmake --build --preset release --target framework_bench
  bench=$root/build/release/perf/framework_bench
fi

mkdir -p "$out"
"$bench" --json "$out/framework_bench.json" --markdown "$out/framework_bench.md" "$@"
echo "results: $out/framework_bench.json, $out/framework_bench.md"
