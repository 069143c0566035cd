#!/bin/sh
# Builds the release preset's messaging benchmarks and runs them, troupe and libzmq 4.3 in the
# same run, interleaved (troupe, libzmq, troupe, libzmq …; 5 recorded runs each after 1 warm-up):
# inproc_thr and inproc_lat for 1, 64, 1024 and 65536 bytes, and the PUB -> 1, 4, 16 SUB
# fan-out. Prints median, min, max, spread (max/min) and the ratio troupe/libzmq (throughput:
# above 1 is better; latency: below 1 is better), and writes JSON and Markdown. Extra arguments
# go to messaging_bench (e.g. --repeat 9, --filter inproc_lat, --scale 0.2; see --help).
#
#   perf/run_messaging.sh [messaging_bench options...]
#
# The libzmq side needs libzmq3-dev (zmq.h, libzmq.so); without it troupe runs alone.
#
# Environment:
#   TROUPE_PERF_OUT        where the results go (default: build/perf-results)
#   TROUPE_PERF_BUILD_DIR  build in this directory instead of the release preset's
#                          (same build type, RelWithDebInfo), e.g. when build/release is busy
#   CMAKE_BUILD_PARALLEL_LEVEL  build jobs (cmake's own variable)
set -eu
exec "$(dirname "$0")/run_bench.sh" messaging_bench messaging "$@"
