#!/bin/sh
# Builds the release preset's wire benchmarks and runs them, troupe and libzmq 4.3 in the same
# run, interleaved (troupe, libzmq, troupe, libzmq …; 5 recorded runs each after 1 warm-up):
# local_thr/remote_thr and local_lat/remote_lat over tcp (127.0.0.1) and ipc for 1, 64, 1024
# and 65536 bytes, each run two processes of one library; then one cross check each way
# (troupe's local tool against libzmq's remote tool and the reverse, 64 B, tcp and ipc). Prints
# median, min, max, spread (max/min) and the ratio troupe/libzmq (throughput: above 1 is
# better; latency: below 1 is better), the load average before and after, and writes JSON and
# Markdown. Extra arguments go to wire_bench (e.g. --repeat 9, --filter tcp_lat, --scale 0.2;
# see --help).
#
#   perf/run_wire.sh [wire_bench options...]
#
# The libzmq side needs libzmq3-dev (zmq.h, libzmq.so); without it troupe runs alone.
#
# Environment:
#   TROUPE_PERF_OUT        where the results go (default: build/perf-results)
#   TROUPE_PERF_BUILD_DIR  build in this directory instead of the release preset's
#                          (same build type, RelWithDebInfo), e.g. when build/release is busy
#   CMAKE_BUILD_PARALLEL_LEVEL  build jobs (cmake's own variable)
set -eu
exec "$(dirname "$0")/run_bench.sh" wire_bench messaging "$@"
