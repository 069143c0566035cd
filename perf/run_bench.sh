#!/bin/sh
# What perf/run_messaging.sh, run_wire.sh and run_actors.sh share: build one benchmark driver
# (the release preset, or TROUPE_PERF_BUILD_DIR), run it with JSON and Markdown output into
# TROUPE_PERF_OUT (default build/perf-results), and print the load average before and after.
#
#   perf/run_bench.sh <target> <folder under perf/> [driver options...]
set -eu

target=$1
folder=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TROUPE_PERF_OUT:-$root/build/perf-results}
cd "$root"

if [ -n "${TROUPE_PERF_BUILD_DIR:-}" ]; then
  cmake -S . -B "$TROUPE_PERF_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTROUPE_BUILD_TESTS=OFF -DTROUPE_BUILD_SAMPLES=OFF
  cmake --build "$TROUPE_PERF_BUILD_DIR" --target "$target"
  bench=$TROUPE_PERF_BUILD_DIR/perf/$folder/$target
else
  cmake --preset release
  cmake --build --preset release --target "$target"
  bench=$root/build/release/perf/$folder/$target
fi

mkdir -p "$out"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
"$bench" --json "$out/$target.json" --markdown "$out/$target.md" "$@" || status=$?
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $out/$target.json, $out/$target.md"
exit "$status"
