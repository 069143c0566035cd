#!/usr/bin/env bash
# Live migration under load: how long `troupe move` takes to move a running actor of the
# flagship word_frequency graph (3 node processes on this host, links over ipc), and that the
# result stays the one-process result. Each run counts --words generated words and moves, in
# turn, tokenize[1] to c, count[1] to a and count[2] to c while the graph runs at full
# speed; a move's time is the wall time of its `troupe move` command (the command's own start
# and its request included; the actor's senders are paused for part of it). Prints the
# median, min, max and spread (max/min) per actor type moved, and fails unless every run
# printed the digest of a run without moves.
#
#   perf/run_move.sh [--words N] [--repeat N]      (defaults: 30000000 words, 5 runs)
#
# Environment: TROUPE_PERF_OUT (default build/perf-results), TROUPE_PERF_TOOL (a built
# `troupe`), TROUPE_PERF_BUILD_DIR (build it there; default: the release preset's).
set -u
words=30000000 repeat=5
while [ $# -gt 0 ]; do
  case "$1" in
    --words) words=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
    *) echo "run_move.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$words$repeat" in *[!0-9]*) echo "run_move.sh: --words and --repeat take whole numbers" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TROUPE_PERF_OUT:-$root/build/perf-results}
cd "$root"
. "$root/perf/troupe_tool.sh"
mkdir -p "$out"
work=$(mktemp -d)
prefix="/tmp/troupe-move$$-"
graph="$work/graph.json"
sed -e "s#ipc:///tmp/troupe-node-#ipc://$prefix#g" -e "s#\"words\": [0-9]*#\"words\": $words#" \
  samples/word_frequency/graph.nodes.json >"$graph"
pids=()  # each node's stdout line-buffered: the result is read after each run
for n in a b c; do
  stdbuf -oL "$tool" node --name "$n" --listen "ipc://$prefix$n" >"$work/node-$n.out" 2>"$work/node-$n.err" &
  pids+=($!)
done
cleanup() {
  kill -TERM "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
digest_of() { grep -aho "$words words, [0-9]* distinct, digest [0-9a-f]*" "$work"/node-*.out | tail -1; }
# The reference: a run without moves.
"$tool" run "$graph" --no-progress --timeout 300 >/dev/null 2>"$work/ref.err" || { cat "$work/ref.err"; exit 1; }
sleep 0.2
want=$(digest_of)
[ -n "$want" ] || { echo "run_move.sh: the reference run printed no result"; exit 1; }
moves=("tokenize[1]=c" "count[1]=a" "count[2]=c")
: >"$work/times"
for r in $(seq 1 "$repeat"); do
  : >"$work/node-a.out"; : >"$work/node-b.out"; : >"$work/node-c.out"
  "$tool" run "$graph" --progress --timeout 300 >/dev/null 2>"$work/run.err" &
  run=$!
  for _ in $(seq 1 3000); do grep -q '/s' "$work/run.err" 2>/dev/null && break; sleep 0.01; done
  for m in "${moves[@]}"; do
    a=${m%%=*} t=${m#*=}
    t0=$(date +%s%N)
    if ! "$tool" move "$graph" "$a" --to "$t" >"$work/move.out" 2>&1; then
      echo "run $r: troupe move $a --to $t failed: $(cat "$work/move.out")"
      exit 1
    fi
    t1=$(date +%s%N)
    echo "${a%%[*} $(( (t1 - t0) / 1000 ))" >>"$work/times"
  done
  wait "$run" || { echo "run $r failed:"; tail -5 "$work/run.err"; exit 1; }
  sleep 0.2
  got=$(digest_of)
  [ "$got" = "$want" ] || { echo "run $r: '$got', expected '$want'"; exit 1; }
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "perf/run_move.sh --words $words --repeat $repeat: $repeat runs x ${#moves[@]} moves, every run '$want' (load average $load)"
  echo
  echo "| actor moved | moves | median ms | min ms | max ms | spread |"
  echo "|---|---:|---:|---:|---:|---:|"
  for kind in tokenize count; do
    awk -v k="$kind" '$1 == k {print $2}' "$work/times" | sort -n | awk -v k="$kind" '
      { v[NR] = $1 }
      END {
        if (NR == 0) exit
        med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "| %s | %d | %.1f | %.1f | %.1f | %.2f |\n", k, NR, med / 1000, v[1] / 1000, v[NR] / 1000, v[NR] / v[1]
      }'
  done
} | tee "$out/move.md"
