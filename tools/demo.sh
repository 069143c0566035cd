#!/usr/bin/env bash
# Quick-start command 1: set up, configure and build the release preset, then run the
# flagship sample: the word-frequency actor pipeline (samples/word_frequency). Without
# arguments it counts a generated corpus and checks the result against a single-threaded
# count; extra arguments go to the sample instead (try --help, or a text file or folder).
# Works from any directory.
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
cmake --build --preset release --target word_frequency -j "${TROUPE_JOBS:-$(nproc)}"
echo
if [[ $# -eq 0 ]]; then set -- --check; fi
exec "$root/build/release/samples/word_frequency" "$@"
