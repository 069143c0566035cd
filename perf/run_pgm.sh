#!/bin/sh
# Builds the release preset's epgm benchmark and runs it, troupe and libzmq 4.3 in the same
# run, interleaved (troupe, libzmq, troupe, libzmq …; 5 recorded runs each after 1 warm-up):
# pgm_thr and zmq_pgm_thr, an XPUB and a SUB in one process over epgm on 127.0.0.1
# (MULTICAST_LOOP), RATE 200 Mbit/s, 64, 1024 and 8192 B messages (see pgm_bench.cpp). Prints
# median, min, max, spread and the ratio troupe/libzmq (above 1 is better), the load average
# before and after, and writes JSON and Markdown. Extra arguments go to pgm_bench (e.g.
# --repeat 9, --filter 1024, --scale 0.2; see --help).
#
#   perf/run_pgm.sh [pgm_bench options...]
#
# The libzmq side needs libzmq3-dev built with OpenPGM (Debian's is); without it troupe runs
# alone. Environment: as perf/run_wire.sh (TROUPE_PERF_OUT, TROUPE_PERF_BUILD_DIR).
set -eu
exec "$(dirname "$0")/run_bench.sh" pgm_bench messaging "$@"
