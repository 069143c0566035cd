#!/usr/bin/env bash
# The flagship word_frequency graph's throughput (words per second) in one process, over 3
# node processes on this host (links over ipc), and over 3 "hosts" made of Linux network
# namespaces (links over tcp; needs root, else that configuration is left out with a note).
# Runs the three interleaved (1 process, ipc, tcp, 1 process, ...): 1 unrecorded warm-up, then
# --repeat recorded runs each, and prints per configuration the median, min, max and spread
# (max/min) of words/s, computed from the run's own time ("finished in": start to the last
# actor done, deploy and teardown excluded), of the wall time of the whole `troupe run`, and
# of the CPU time (user + system) of the coordinator and the nodes, which a busy machine
# moves less than the rates.
# Every run must print the same result line (words, distinct, digest) as the first
# one-process run. Writes Markdown and JSON (every run) into TROUPE_PERF_OUT.
#
#   perf/run_distributed.sh [--words N] [--repeat N]      (defaults: 20000000 words, 5 runs)
#
# Environment:
#   TROUPE_PERF_OUT        where the results go (default: build/perf-results)
#   TROUPE_PERF_TOOL       a built `troupe` to use (default: build the release preset's)
#   TROUPE_PERF_BUILD_DIR  build in this directory instead of the release preset's
set -u
words=20000000 repeat=5
while [ $# -gt 0 ]; do
  case "$1" in
    --words) words=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
    *) echo "run_distributed.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$words$repeat" in *[!0-9]*) echo "run_distributed.sh: --words and --repeat take whole numbers" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TROUPE_PERF_OUT:-$root/build/perf-results}
cd "$root"
. "$root/perf/troupe_tool.sh"
mkdir -p "$out"
work=$(mktemp -d /tmp/troupe-perf-dist.XXXXXX)
id="tp$$"
pids=()
. "$root/tools/netns_hosts.sh"
failed=0
cleanup() {
  kill -TERM "${pids[@]}" 2>/dev/null
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null
    rc=$?
    [ "$failed" = 0 ] || echo "node pid $p: exit status $rc" >&2
  done
  netns_cleanup
  if [ "$failed" = 0 ]; then rm -rf "$work"; else echo "the nodes' output is kept in $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The graphs, with the input size: one process, 3 nodes over ipc, 3 namespaced hosts.
wf=samples/word_frequency
sized() { sed "s/\"words\": 500000,/\"words\": $words,/" "$1"; }
sized $wf/graph.json >"$work/one.json"
sized $wf/graph.nodes.json | sed "s#ipc:///tmp/troupe-node-\([abc]\)\"#ipc://$work/node-\1\"#" >"$work/ipc.json"
sized $wf/graph.nodes.json | sed 's#ipc:///tmp/troupe-node-a"#tcp://10.78.0.1:5700"#; s#ipc:///tmp/troupe-node-b"#tcp://10.78.0.2:5700"#; s#ipc:///tmp/troupe-node-c"#tcp://10.78.0.3:5700"#' >"$work/tcp.json"
grep -q "\"words\": $words," "$work/one.json" || { echo "cannot set the input size in $wf/graph.json" >&2; exit 1; }

configs=(one ipc)
for n in a b c; do
  "$tool" node --name "$n" --listen "ipc://$work/node-$n" >"$work/ipc-node-$n.out" 2>"$work/ipc-node-$n.err" &
  pids+=($!)
done
tcp_note=""
if [ "$(id -u)" != 0 ]; then
  tcp_note="left out: network namespaces need root"
elif ! netns_switch "${id}sw" 2>"$work/ip.err"; then
  tcp_note="left out: $(tr '\n' ' ' <"$work/ip.err")"
else
  i=0
  for n in a b c; do
    i=$((i + 1))
    netns_host "${id}sw" "$id$n" "10.78.0.$i/24" || exit 1
    ip netns exec "$id$n" "$tool" node --name "$n" --listen "tcp://10.78.0.$i:5700" >"$work/tcp-node-$n.out" 2>"$work/tcp-node-$n.err" &
    pids+=($!)
    netns_wait_listen "$id$n" 5700 $! || exit 1
  done
  configs+=(tcp)
fi

# node_cpu CONFIG: the CPU seconds (user + system) the config's node processes used so far.
ticks=$(getconf CLK_TCK)
node_cpu() {
  local i=0 k=0 p sum=0
  [ "$1" = tcp ] && k=3
  for p in "${pids[@]}"; do
    if [ "$i" -ge "$k" ] && [ "$i" -lt $((k + 3)) ]; then
      sum=$((sum + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    fi
    i=$((i + 1))
  done
  printf '%.2f' "$(echo "$sum / $ticks" | bc -l)"
}

# run CONFIG: one `troupe run`; prints "<run seconds> <wall seconds> <CPU seconds>" (CPU:
# the coordinator's and the nodes') or fails.
run() {
  local c=$1 g="$work/$1.json" e="$work/run.err" t0 t1 n0=0 n1=0 cpu
  local -a cmd=("$tool" run "$g" --no-progress --timeout 600)
  [ "$c" = tcp ] && cmd=(ip netns exec "${id}a" "${cmd[@]}")
  [ "$c" = one ] || n0=$(node_cpu "$c")
  t0=$(date +%s.%N)
  local TIMEFORMAT='%U %S'
  { time "${cmd[@]}" >"$work/run.out" 2>"$e"; } 2>"$work/time" || {
    echo "troupe run ($c) failed:" >&2
    tail -20 "$e" >&2
    for f in "$work/$c"-node-*.err; do echo "--- $f" >&2; tail -5 "$f" >&2; done
    return 1
  }
  t1=$(date +%s.%N)
  [ "$c" = one ] || n1=$(node_cpu "$c")
  cpu=$(echo "$(sed 's/ / + /' "$work/time") + $n1 - $n0" | bc -l)
  [ "$c" = one ] && grep -E "^$words words, [0-9]+ distinct, digest [0-9a-f]+" "$work/run.out" >>"$work/one-results.txt"
  local s
  s=$(sed -n "s/^troupe[^:]*: graph 'word_frequency' finished in \([0-9.]*\) s.*/\1/p; s/^graph 'word_frequency' finished in \([0-9.]*\) s.*/\1/p" "$e" | head -1)
  [ -n "$s" ] || { echo "no 'finished in' in the output of troupe run ($c):" >&2; tail -20 "$e" >&2; return 1; }
  printf '%s %.3f %.3f\n' "$s" "$(echo "$t1 - $t0" | bc -l)" "$cpu"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before the run: $load_before"
echo "word_frequency, $words words; configurations: ${configs[*]}${tcp_note:+ (tcp $tcp_note)}"
declare -A rates walls cpus
for ((r = 0; r <= repeat; r++)); do
  for c in "${configs[@]}"; do
    v=$(run "$c") || { failed=1; exit 1; }
    set -- $v
    rate=$(printf '%.0f' "$(echo "$words / $1" | bc -l)")
    printf '%s %-4s run %d: %8.3f s  %12.0f words/s  (wall %.3f s, CPU %.2f s)\n' "$([ $r = 0 ] && echo warm-up || echo recorded)" "$c" "$r" "$1" "$rate" "$2" "$3"
    [ "$r" = 0 ] && continue
    rates[$c]+="$rate "
    walls[$c]+="$2 "
    cpus[$c]+="$3 "
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average after the run: $load_after"

# Every run's result is the one-process result.
kill -TERM "${pids[@]}" 2>/dev/null
for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
pids=()
expected=$(head -1 "$work/one-results.txt")
for c in "${configs[@]}"; do
  f="$work/one-results.txt"
  [ "$c" = one ] || f="$work/$c-node-a.out"
  got=$(grep -cE "^$words words, " "$f")
  same=$(grep -cxF "$expected" "$f")
  [ "$got" = $((repeat + 1)) ] && [ "$same" = "$got" ] ||
    { echo "config $c: $same of $got result lines are '$expected' ($((repeat + 1)) runs)" >&2; exit 1; }
done
echo "every run: $expected"

# stats "v1 v2 ...": median min max spread
stats() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f %.0f %.0f %.2f", m, v[1], v[NR], v[NR]/v[1]}'; }
wstats() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.3f %.3f %.3f %.2f", m, v[1], v[NR], v[NR]/v[1]}'; }
label() { case "$1" in one) echo "1 process" ;; ipc) echo "3 nodes, one host (ipc)" ;; tcp) echo "3 namespaced hosts (tcp)" ;; esac; }
base=$(stats "${rates[one]}" | cut -d' ' -f1)
md="$out/distributed.md"
{
  echo "| configuration | words/s median | min | max | spread | vs 1 process | wall s median (spread) | CPU s median (spread) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${configs[@]}"; do
    read -r m lo hi sp <<<"$(stats "${rates[$c]}")"
    read -r wm _ _ wsp <<<"$(wstats "${walls[$c]}")"
    read -r cm _ _ csp <<<"$(wstats "${cpus[$c]}")"
    printf '| %s | %s | %s | %s | %s | %.2f | %s (%s) | %s (%s) |\n' "$(label "$c")" "$m" "$lo" "$hi" "$sp" "$(echo "$m / $base" | bc -l)" "$wm" "$wsp" "$cm" "$csp"
  done
  [ -n "$tcp_note" ] && echo "| 3 namespaced hosts (tcp) | $tcp_note | | | | | | |"
} >"$md"
cat "$md"
{
  printf '{"benchmark": "word_frequency distributed", "date": "%s", "command": "perf/run_distributed.sh --words %s --repeat %s",\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$words" "$repeat"
  printf ' "machine": "%s, %s cores", "load_before": "%s", "load_after": "%s", "result": "%s",\n' "$(uname -srm)" "$(nproc)" "$load_before" "$load_after" "$expected"
  printf ' "runs": {'
  sep=""
  for c in "${configs[@]}"; do
    printf '%s"%s": {"words_per_s": [%s], "wall_s": [%s], "cpu_s": [%s]}' "$sep" "$c" "$(echo ${rates[$c]} | tr ' ' ',')" \
      "$(echo ${walls[$c]} | tr ' ' ',')" "$(echo ${cpus[$c]} | tr ' ' ',')"
    sep=", "
  done
  printf '}}\n'
} >"$out/distributed.json"
echo "results: $out/distributed.json, $md"
