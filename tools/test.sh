#!/usr/bin/env bash
# Quick-start command 2: set up, configure and build the release preset, then run the whole
# test suite with CTest. Exits non-zero if anything fails. Works from any directory; extra
# arguments go to ctest (e.g. -L framework, -R strand, --verbose).
#
# Environment: TROUPE_WERROR=ON turns warnings into errors (CI sets it);
#              TROUPE_JOBS=N build parallelism (default: number of cores).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/tools/setup.sh"
# Configure quietly; show cmake's output only if it fails.
if ! log=$(cmake --preset release --log-level=WARNING -DTROUPE_WERROR="${TROUPE_WERROR:-OFF}" 2>&1); then
  printf '%s\n' "$log" >&2
  exit 1
fi
if grep -q 'Warning' <<<"$log"; then printf '%s\n' "$log" >&2; fi
cmake --build --preset release -j "${TROUPE_JOBS:-$(nproc)}"
ctest --preset release "$@"
