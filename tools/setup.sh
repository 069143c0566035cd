#!/usr/bin/env bash
# troupe's one set-up step: installs, from Debian packages, whatever is missing of the build
# tool chain, the libraries troupe links and the peers its tests talk to (libzmq, cppzmq and
# pyzmq are test peers only; they are never linked into troupe's libraries), and CAF, the
# actor framework perf/run_actors.sh compares with (a benchmark peer only; without it the
# actor benchmarks run troupe alone).
#
# Idempotent, non-interactive, and silent when everything is already installed. Installing
# needs root; without root it succeeds only if nothing is missing.
#
# Usage: tools/setup.sh            (from any directory)
set -euo pipefail

packages=(
  # tool chain
  cmake g++ ninja-build
  # libraries troupe builds against
  libtbb-dev libboost-context-dev doctest-dev nlohmann-json3-dev
  # pgm:// and epgm:// (reliable multicast, messaging/src/pgm/): OpenPGM, with pkg-config
  libpgm-dev pkg-config
  # real ZeroMQ peers for interop tests and benchmarks
  libzmq3-dev cppzmq-dev python3-zmq
  # the optional perf peer of the actor benchmarks (perf/actors/): CAF 0.17
  libcaf-dev
  # the fuzz preset (.ci/run's fuzz stage): clang with libFuzzer and its sanitizer runtimes;
  # clang also builds the pgm loss tests' BPF classifier (clang -target bpf)
  clang libclang-rt-14-dev
  # the pgm tests' "hosts" (ip netns, a bridge, veth) and their loss injection (tc clsact
  # with a BPF classifier; Debian's tc is built with libbpf)
  iproute2
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "tools/setup.sh: this is not a Debian system (no dpkg-query)." >&2
  echo "Install these packages or their equivalents by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done

(( ${#missing[@]} == 0 )) && exit 0

if (( EUID != 0 )); then
  echo "tools/setup.sh: missing packages: ${missing[*]}" >&2
  echo "Installing them needs root. Run: sudo $(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/setup.sh" >&2
  echo "(or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "tools/setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "tools/setup.sh: done"
