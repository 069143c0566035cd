#!/usr/bin/env bash
# Quick-start command 1: set up, configure and build the release preset, then run the demo.
# Works from any directory; extra arguments go to the demo (try --help).
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
cmake --build --preset release --target troupe_demo -j "${TROUPE_JOBS:-$(nproc)}"
echo
exec "$root/build/release/samples/troupe_demo" "$@"
