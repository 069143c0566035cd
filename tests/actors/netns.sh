#!/usr/bin/env bash
# A distributed graph over several "hosts": Linux network namespaces, each with its own address
# on a veth pair joined by a bridge, a `troupe node` in each, `troupe run` from the first.
#   netns.sh <tool> <graph> <one-process graph|-> <dir> <nodes a,b,c> <result regex> [run args...]
# The graph's control endpoints ipc:///tmp/troupe-node-NAME become tcp://10.77.0.I:5700 (the
# I-th node of the list in namespace I); a graph without nodes is placed by the run args
# (--node NAME=tcp://10.77.0.I:5700, --place ...), which `troupe graph` and `status` get too.
# Checks:
#   - every link between nodes chose tcp ("other hosts"), in the run's log and `troupe graph`;
#   - the run exits 0 with its summary, `troupe status` shows every node idle after;
#   - some node printed a line matching the regex, and (unless '-') the lines that match it
#     are exactly those the one-process graph prints.
# Environment: NETNS_TRANSPORT=epgm expects every link between nodes to be multicast (epgm,
# "multicast" links) instead of tcp; NETNS_RESULT=summary takes the result lines from the run's
# summary (actors' message counts) instead of the nodes' output, and NETNS_RESULT_LINES=N
# wants exactly N of them. NETNS_LOSS=NODE=OBJECT loads the tc BPF classifier OBJECT
# (tests/messaging/pgm_loss.bpf.c) on that node's ingress before the run (loss injected), and
# NETNS_NODE_LOG=REGEX wants some node's log (stderr) to match REGEX after the run.
# Needs root (ip netns); otherwise, or when a namespace cannot be made, it prints why and
# exits 77 (CTest: skipped). The bridge lives in a namespace of its own, so nothing is added
# to the host's network and parallel runs (names carry this script's pid) do not meet.
# Every process and namespace is removed on exit; every wait is on a condition, with a bound.
set -u
tool=$1 graph=$2 single=$3 dir=$4 nodes=$5 expect=$6
shift 6
placement=()  # the --node/--place arguments among the run args
args=("$@")
for ((k = 0; k < ${#args[@]}; k++)); do
  case "${args[$k]}" in --node | --place) placement+=("${args[$k]}" "${args[$((k + 1))]}"); k=$((k + 1)) ;; esac
done
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "multi-host tests need root to create network namespaces (ip netns); running as uid $(id -u)"
command -v ip >/dev/null || skip "no 'ip' command (iproute2) to create network namespaces"
command -v ss >/dev/null || skip "no 'ss' command (iproute2) to wait for the nodes' sockets"

tag="netns-$(basename "$graph" .json)-$$"
id="tr$$"          # namespace prefix, unique per run
names=(${nodes//,/ })
pids=()
fail=0
problem() { echo "$*"; fail=1; }
. "$(dirname "$0")/../../tools/netns_hosts.sh"
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  netns_cleanup
  rm -f "$dir/$tag.json"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A namespace of these names can only be left over by a killed run whose pid was this one.
for ns in "${id}sw" "${names[@]/#/$id}"; do ip netns del "$ns" 2>/dev/null; done
netns_switch "${id}sw" 2>"$dir/$tag-ip.err" || skip "cannot create network namespaces here: $(tr '\n' ' ' <"$dir/$tag-ip.err")"
for i in "${!names[@]}"; do
  netns_host "${id}sw" "$id${names[$i]}" "10.77.0.$((i + 1))/24" || { problem "cannot set up host ${names[$i]}"; exit 1; }
done

# The graph with tcp control endpoints, one host per node.
g="$dir/$tag.json"
script=""
for i in "${!names[@]}"; do script+="s#ipc:///tmp/troupe-node-${names[$i]}\"#tcp://10.77.0.$((i + 1)):5700\"#g;"; done
sed "$script" "$graph" > "$g"
grep -q '"control": *"ipc:' "$g" && { problem "$graph has control endpoints other than ipc:///tmp/troupe-node-{$nodes}"; exit 1; }

if [ -n "${NETNS_LOSS:-}" ]; then
  ns="$id${NETNS_LOSS%%=*}"
  tc -n "$ns" qdisc add dev eth0 clsact && tc -n "$ns" filter add dev eth0 ingress bpf direct-action obj "${NETNS_LOSS#*=}" sec classifier ||
    { problem "cannot load the loss injector ${NETNS_LOSS#*=} on $ns"; exit 1; }
fi
for i in "${!names[@]}"; do
  n=${names[$i]}
  ip netns exec "$id$n" "$tool" node --name "$n" --listen "tcp://10.77.0.$((i + 1)):5700" \
    >"$dir/$tag-node-$n.out" 2>"$dir/$tag-node-$n.err" &
  pids+=($!)
done
for i in "${!names[@]}"; do
  netns_wait_listen "$id${names[$i]}" 5700 "${pids[$i]}" || problem "node ${names[$i]} never listened on tcp://10.77.0.$((i + 1)):5700"
done

show() {
  for f in "$dir/$tag"*.out "$dir/$tag"*.err; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
}
first="$id${names[0]}"
out="$dir/$tag-run.out" err="$dir/$tag-run.err"
if [ "$fail" -eq 0 ]; then
  ip netns exec "$first" "$tool" run "$g" --no-progress --timeout 120 "$@" >"$out" 2>"$err"
  rc=$?
  [ "$rc" -eq 0 ] || problem "troupe run: exit code $rc, expected 0"
  grep -q "finished in" "$err" || problem "no summary"
  # (a) Every link between nodes is logged, and every one chose tcp across hosts.
  want=${NETNS_TRANSPORT:-tcp}
  chosen="tcp (other hosts)"; [ "$want" = epgm ] && chosen="epgm [0-9.]*:[0-9]* (multicast)"
  links=$(grep -c "^troupe info: link .* (node [a-z]*) -> .* (node [a-z]*): " "$err")
  tcp=$(grep -c "^troupe info: link .* (node [a-z]*) -> .* (node [a-z]*): $chosen$" "$err")
  [ "$links" -gt 0 ] || problem "no link between nodes was logged"
  [ "$links" = "$tcp" ] || problem "$tcp of the $links links between nodes chose $chosen"
  for i in "${!names[@]}"; do
    grep -q "(node ${names[$i]})" "$err" || problem "the summary does not show node ${names[$i]}"
  done
  # The same choice in `troupe graph` (the plan alone: no node is asked).
  "$tool" graph "$g" "${placement[@]}" >"$dir/$tag-graph.out" 2>"$dir/$tag-graph.err" || problem "troupe graph failed"
  grep -q "\\\\n$want[ 0-9.:]* ([a-z]* -> [a-z]*)\"" "$dir/$tag-graph.out" || problem "troupe graph labels no link $want"
  grep -q '\\nipc (' "$dir/$tag-graph.out" && problem "troupe graph labels a link ipc"
  # Every node idle after the run (the graph was torn down everywhere).
  ip netns exec "$first" "$tool" status "$g" "${placement[@]}" >"$dir/$tag-status.out" 2>&1 || problem "troupe status failed"
  for i in "${!names[@]}"; do
    grep -q "^node ${names[$i]} (tcp://10.77.0.$((i + 1)):5700, pid [0-9]*): idle" "$dir/$tag-status.out" ||
      problem "status does not show node ${names[$i]} idle"
  done
fi
# Stop the nodes (SIGTERM flushes their stdout), up to ~30 s each.
kill -TERM "${pids[@]}" 2>/dev/null
for p in "${pids[@]}"; do
  for _ in $(seq 1 3000); do kill -0 "$p" 2>/dev/null || break; sleep 0.01; done
  kill -0 "$p" 2>/dev/null && problem "node pid $p did not stop on SIGTERM"
done
if [ "$fail" -eq 0 ]; then
  # (b) The result: the lines matching the regex, from the nodes and from one process.
  if [ "${NETNS_RESULT:-nodes}" = summary ]; then
    grep -E "$expect" "$err" >"$dir/$tag-result.txt" || problem "the summary has no line matching '$expect'"
  else
    cat "$dir/$tag"-node-*.out | grep -E "$expect" >"$dir/$tag-result.txt" || problem "no node printed '$expect'"
  fi
  if [ -n "${NETNS_NODE_LOG:-}" ]; then
    cat "$dir/$tag"-node-*.err | grep -Eq "$NETNS_NODE_LOG" || problem "no node logged a line matching '$NETNS_NODE_LOG'"
  fi
  if [ -n "${NETNS_LOSS:-}" ]; then
    drops=$(tc -n "$id${NETNS_LOSS%%=*}" -s qdisc show dev eth0 | sed -n '/qdisc clsact/,$p' | grep -o 'dropped [0-9]*' | head -1 | grep -o '[0-9]*')
    [ "${drops:-0}" -gt 0 ] || problem "the loss injector on ${NETNS_LOSS%%=*} dropped nothing"
    echo "the loss injector on ${NETNS_LOSS%%=*} dropped ${drops:-0} packets"
  fi
  if [ -n "${NETNS_RESULT_LINES:-}" ] && [ "$(wc -l <"$dir/$tag-result.txt")" -ne "$NETNS_RESULT_LINES" ]; then
    problem "$(wc -l <"$dir/$tag-result.txt") result lines match '$expect', expected $NETNS_RESULT_LINES"
  fi
  if [ "$single" != - ]; then
    "$tool" run "$single" --no-progress --timeout 120 >"$dir/$tag-single.out" 2>"$dir/$tag-single.err" ||
      problem "the one-process run of $single failed"
    grep -E "$expect" "$dir/$tag-single.out" >"$dir/$tag-single.txt"
    cmp -s "$dir/$tag-result.txt" "$dir/$tag-single.txt" ||
      problem "the result differs from one process: '$(cat "$dir/$tag-result.txt")' vs '$(cat "$dir/$tag-single.txt")'"
  fi
fi
if [ "$fail" -eq 0 ]; then
  same="the same as in one process"; [ "$single" = - ] && same="matching '$expect'"
  echo "ok: $(wc -l <"$dir/$tag-result.txt") result line(s) $same; $links links between ${#names[@]} hosts, all ${NETNS_TRANSPORT:-tcp}"
fi
[ "$fail" -eq 0 ] || show
exit "$fail"
