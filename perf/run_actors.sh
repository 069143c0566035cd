#!/bin/sh
# Builds the release preset's actor benchmarks and runs them, troupe and CAF 0.17 in the same
# run, interleaved (troupe, CAF, troupe, CAF …; 5 recorded runs each after 1 warm-up), both
# on the same number of worker threads (--threads, default 2: troupe's executor workers and
# CAF's scheduler.max-threads): ping-pong, fan-out/fan-in over 100 workers, spawn of 100 k
# actors (and idle actors per GiB), teardown of 100 k, Savina counting and thread ring.
# Prints median, min, max, spread (max/min) and the ratio troupe/CAF, and writes JSON and
# Markdown. About 5 minutes on 2 cores. Extra arguments go to actors_bench (e.g. --repeat 9,
# --filter ping_pong, --scale 0.2, --threads 4; see --help).
#
#   perf/run_actors.sh [actors_bench options...]
#
# The CAF side needs libcaf-dev (caf/all.hpp, libcaf_core.so); without it troupe runs alone.
#
# Environment:
#   TROUPE_PERF_OUT        where the results go (default: build/perf-results)
#   TROUPE_PERF_BUILD_DIR  build in this directory instead of the release preset's
#                          (same build type, RelWithDebInfo), e.g. when build/release is busy
#   CMAKE_BUILD_PARALLEL_LEVEL  build jobs (cmake's own variable)
set -eu
exec "$(dirname "$0")/run_bench.sh" actors_bench actors "$@"
