#!/usr/bin/env bash
# A distributed graph run for real: one `troupe node` process per node of the graph, then
# `troupe run` as the coordinator, then `troupe status`, then the nodes stopped (SIGTERM).
#   distributed.sh run    <tool> <graph> <dir> <nodes a,b,c> <transport> <node stdout regex> [run args...]
#       the run exits 0, the links between nodes use <transport> (ipc or tcp), and some
#       node printed a line matching the regex (the graph's own result check)
#   distributed.sh run_move <tool> <graph> <dir> <nodes a,b,c> <ACTOR=NODE,...> <node stdout regex> [run args...]
#       as run, with each actor moved (`troupe move`) in turn while the run goes on: the run
#       exits 0, each move said it was done, and some node printed the regex (the same result
#       as without moves)
#   distributed.sh sigint <tool> <graph> <dir> <nodes a,b>
#       an endless graph: one SIGINT to the coordinator drains every node (exit 130), and
#       the sink on another node took every message the source sent
#   distributed.sh multicast <tool> <graph> <dir> <nodes a,b,c> <summary regex>...
#       the run exits 0, every link between nodes chose epgm (the group shown), the sender's
#       node joined the group at start and each receiver's on its own interface, the summary
#       matches every regex (exact counts: each stream ended at its sender's count), and
#       every node is idle after
#   distributed.sh error  <tool> <graph> <dir> <nodes a,b> <stderr regex>
#       the run fails (exit 1) with that error from a node, and every node is idle after
#   distributed.sh kill   <tool> <graph> <dir> <nodes a,b>
#       an endless graph (on_node_lost: stop): node b killed with SIGKILL mid-run is reported
#       lost with its actors, the run stops the others and exits 1, node a is left idle; a
#       fresh node b at the same endpoint is then used by the next run, which drains exactly
#   distributed.sh restart <tool> <graph> <dir> <nodes a,b,c> [run args...]
#       an endless graph tick (a) -> square (b) -> sum (c) with on_node_lost: restart: node b
#       killed with SIGKILL mid-run is reported lost, square restarts on node a (as loaded as
#       c, and first), ticks flow through it again, and the timed run drains exactly: exit 0,
#       the sum took every tick but those queued in b when it died (at most the link HWMs)
#   distributed.sh move   <tool> <graph> <dir> <nodes a,b,c> <targets t1,t2,...> [run args...]
#       numbers -> counter (stateful) -> check (move_counter.json), paced: first `troupe move`
#       refusals each naming the bad value (no such actor, no such node, the node it is on,
#       a fiber-style actor); then the counter is moved to each target in turn while the run
#       goes on. The run exits 0, the summary shows the counter on the last target with
#       every number counted once, and both counters (state moved along) logged every number
#       exactly once and in order: count=N sum=N(N-1)/2 disorder=0
#   distributed.sh hang   <tool> <graph> <dir> <nodes a,b>
#       an endless graph: node b frozen with SIGSTOP mid-run (its connections stay open) is
#       reported lost once it misses its heartbeats, the run exits 1, node a is left idle
#   distributed.sh orphan <tool> <graph> <dir> <nodes a,b>
#       an endless graph whose coordinator is killed with SIGKILL keeps running on the nodes;
#       a new `troupe run` is refused naming the run and `troupe stop`; `troupe run --attach`
#       follows it and drains it exactly; after a second SIGKILLed coordinator, `troupe stop`
#       drains and tears it down, after a third `troupe stop --hard`; every node is then idle
# The graph's control endpoints (ipc:///tmp/troupe-node-NAME) are rewritten to paths unique
# to this run. Every wait is on a condition, with a bound.
set -u
mode=$1 tool=$2 graph=$3 dir=$4 nodes=$5
shift 5
tag="$mode-$(basename "$graph" .json)-$$"
prefix="/tmp/troupe-t$$-"
g="$dir/$tag.json"
# Multicast groups and ports too (239.193.77.1, port 7500), so that parallel runs never hear
# each other.
group="239.195.$(($$ % 250 + 1)).$(($$ / 250 % 250 + 1))" port=$((20000 + $$ % 30000))
sed -e "s#ipc:///tmp/troupe-node-#ipc://$prefix#g" -e "s#239\.193\.77\.1#$group#g" -e "s#\"port\": 7500#\"port\": $port#g" \
  "$graph" > "$g"
pids=()
for n in ${nodes//,/ }; do
  "$tool" node --name "$n" --listen "ipc://$prefix$n" >"$dir/$tag-node-$n.out" 2>"$dir/$tag-node-$n.err" &
  pids+=($!)
done
fail=0
problem() { echo "$*"; fail=1; }
# start_node NAME: one more node process (its pid appended to pids).
start_node() {
  "$tool" node --name "$1" --listen "ipc://$prefix$1" >>"$dir/$tag-node-$1.out" 2>>"$dir/$tag-node-$1.err" &
  pids+=($!)
}
# wait_progress FILE: until the run's progress line shows (~30 s at most).
wait_progress() {
  for _ in $(seq 1 3000); do grep -q '/s' "$1" 2>/dev/null && break; sleep 0.01; done
  grep -q '/s' "$1" || problem "the progress line never showed in $1"
}
# drained FILE: the summary in FILE shows the sum (node b) took every tick the source sent.
drained() {
  local sent got
  sent=$(awk '$1 == "tick" {print $3}' "$1")
  got=$(awk '$1 == "sum" {print $2}' "$1")
  [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$got" ] || problem "$1: tick sent '$sent', sum took '$got'"
}
# kill_b_then_run_ends RC: node b killed with SIGKILL; the run ($run) then ends with exit code RC.
kill_b_then_run_ends() {
  kill -9 "${pids[1]}"
  wait "${pids[1]}"
  wait "$run"
  rc=$?
  [ "$rc" -eq "$1" ] || problem "troupe run: exit code $rc, expected $1"
}
# all_idle: `troupe status` shows every node idle.
all_idle() {
  "$tool" status "$g" >"$dir/$tag-status.out" 2>&1 || problem "troupe status failed"
  for n in ${nodes//,/ }; do
    grep -q "^node $n (.*): idle" "$dir/$tag-status.out" || problem "node $n is not idle ($1)"
  done
}
# stop_nodes: SIGTERM, then up to ~30 s for each to exit.
stop_nodes() {
  kill -TERM "${pids[@]}" 2>/dev/null
  for p in "${pids[@]}"; do
    for _ in $(seq 1 3000); do kill -0 "$p" 2>/dev/null || break; sleep 0.01; done
    if kill -0 "$p" 2>/dev/null; then problem "node pid $p did not stop on SIGTERM"; kill -9 "$p"; fi
    wait "$p"
  done
  # A sanitizer build's report in a node (a report that does not stop the node, or one at
  # exit) fails the test too.
  for f in "$dir/$tag"-node-*.err; do
    grep -Eq "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$f" && problem "a sanitizer report in $f"
  done
}
show() {
  for f in "$dir/$tag"*.out "$dir/$tag"*.err; do echo "--- $f"; tail -40 "$f"; done
}
err="$dir/$tag-run.err" out="$dir/$tag-run.out"
if [ "$mode" = run ]; then
  transport=$1 expect=$2
  shift 2
  "$tool" run "$g" --no-progress --timeout 120 "$@" >"$out" 2>"$err"
  rc=$?
  [ "$rc" -eq 0 ] || problem "troupe run: exit code $rc, expected 0"
  grep -q "finished in" "$err" || problem "no summary"
  grep -Eq "\(node [a-z]+\)" "$err" || problem "the summary does not show the nodes"
  grep -q "): $transport (" "$err" || problem "no link between nodes chose $transport"
  other=ipc; [ "$transport" = ipc ] && other=tcp
  grep -q "): $other (" "$err" && problem "a link chose $other"
  # The status of idle nodes after the run (the graph was torn down).
  "$tool" status "$g" >"$dir/$tag-status.out" 2>&1 || problem "troupe status failed"
  for n in ${nodes//,/ }; do
    grep -q "^node $n (ipc://$prefix$n, pid [0-9]*): idle" "$dir/$tag-status.out" || problem "status does not show node $n idle"
  done
  stop_nodes  # flushes the nodes' stdout
  cat "$dir/$tag"-node-*.out | grep -Eq "$expect" || problem "no node printed '$expect'"
elif [ "$mode" = run_move ]; then
  moves=$1 expect=$2
  shift 2
  "$tool" run "$g" --progress --timeout 120 "$@" >"$out" 2>"$err" &
  run=$!
  wait_progress "$err"
  IFS=, read -ra each <<<"$moves"  # not word-split: names like count[1] are no globs here
  for m in "${each[@]}"; do
    a=${m%%=*} t=${m#*=}
    "$tool" move "$g" "$a" --to "$t" >"$dir/$tag-move.out" 2>&1 || problem "troupe move $a --to $t: $(cat "$dir/$tag-move.out")"
    grep -qF "$a moved to node '$t'" "$dir/$tag-move.out" || problem "troupe move $a --to $t did not say it moved"
  done
  wait "$run"
  rc=$?
  [ "$rc" -eq 0 ] || problem "troupe run: exit code $rc, expected 0"
  grep -q "finished in" "$err" || problem "no summary"
  all_idle "after the run"
  stop_nodes  # flushes the nodes' stdout
  cat "$dir/$tag"-node-*.out | grep -Eq "$expect" || problem "no node printed '$expect'"
elif [ "$mode" = multicast ]; then
  "$tool" run "$g" --no-progress --timeout 120 >"$out" 2>"$err"
  rc=$?
  [ "$rc" -eq 0 ] || problem "troupe run: exit code $rc, expected 0"
  grep -q "finished in" "$err" || problem "no summary"
  grep -q "): epgm $group:$port (multicast)" "$err" || problem "no link between nodes chose epgm $group:$port"
  grep -Eq "\): (ipc|tcp) \(" "$err" && problem "a link between nodes chose ipc or tcp"
  for re in "$@"; do grep -Eq "$re" "$err" || problem "the summary does not match '$re'"; done
  grep -q "multicast output .*: epgm, joined epgm://127.0.0.1;$group:$port" "$dir/$tag"-node-*.err || problem "no node joined the group as sender"
  n=$(cat "$dir/$tag"-node-*.err | grep -c "epgm, connected to epgm://127.0.0.1;$group:$port")
  [ "$n" -ge 2 ] || problem "$n receivers joined the group, expected 2 or more"
  grep -q "messages lost" "$dir/$tag"-node-*.err && problem "a node logged lost messages"
  all_idle "after the run"
  stop_nodes
elif [ "$mode" = error ]; then
  "$tool" run "$g" --no-progress >"$out" 2>"$err"
  rc=$?
  [ "$rc" -eq 1 ] || problem "troupe run: exit code $rc, expected 1"
  grep -Eq "$1" "$err" || problem "stderr does not match '$1'"
  "$tool" status "$g" >"$dir/$tag-status.out" 2>&1 || problem "troupe status failed"
  for n in ${nodes//,/ }; do
    grep -q "^node $n (.*): idle" "$dir/$tag-status.out" || problem "node $n is not idle after the failed run"
  done
  stop_nodes
elif [ "$mode" = kill ]; then
  "$tool" run "$g" --progress >"$out" 2>"$err" &
  run=$!
  wait_progress "$err"
  kill_b_then_run_ends 1
  grep -q "node 'b' at ipc://${prefix}b lost: its control connection closed (the process ended, or missed its heartbeats); actors lost: sum (on_node_lost: stop)" "$err" ||
    problem "node b not reported lost with its actors"
  grep -q "graph 'ticker' failed in" "$err" || problem "no summary"
  "$tool" status "$g" >"$dir/$tag-status.out" 2>&1
  grep -q "^node a (.*): idle" "$dir/$tag-status.out" || problem "node a is not idle after the run"
  grep -q "^node b (.*): not answering" "$dir/$tag-status.out" || problem "status does not report node b down"
  # b comes back (a fresh process at the same endpoint): the next run uses it.
  pids=("${pids[0]}")
  start_node b
  "$tool" run "$g" --progress --duration 1 >"$out.2" 2>"$err.2"
  rc=$?
  [ "$rc" -eq 0 ] || problem "the run with node b back: exit code $rc, expected 0"
  drained "$err.2"
  all_idle "after the run with node b back"
  stop_nodes
elif [ "$mode" = restart ]; then
  # --duration: the run drains by itself some seconds after the restart.
  "$tool" run "$g" --progress --duration 5 "$@" >"$out" 2>"$err" &
  run=$!
  wait_progress "$err"
  kill_b_then_run_ends 0
  grep -q "node 'b' at ipc://${prefix}b lost: its control connection closed (the process ended, or missed its heartbeats); actors lost: square (on_node_lost: restart)" "$err" ||
    problem "node b not reported lost with its actors"
  grep -q "restarting square of lost node 'b' on node 'a' (on_node_lost: restart)" "$err" || problem "square not restarted on node a"
  grep -q "link tick.out (a) -> square.in (a): inproc at inproc://" "$err" || problem "tick -> square is not inproc between the parts of node a"
  grep -q "graph 'relay' finished in" "$err" || problem "no summary"
  sent=$(awk '$1 == "tick" {print $3}' "$err")
  relayed=$(awk '$1 == "square" && /\(node a\)/ {print $2}' "$err")
  got=$(awk '$1 == "sum" {print $2}' "$err")
  [ -n "$relayed" ] && [ "$relayed" -gt 0 ] || problem "the restarted square (node a) took '$relayed' ticks"
  [ -n "$sent" ] && [ -n "$got" ] && [ "$got" -le "$sent" ] && [ "$got" -ge $((sent - 2000)) ] ||
    problem "tick sent '$sent', sum took '$got': more than the link HWMs lost"
  "$tool" status "$g" >"$dir/$tag-status.out" 2>&1
  grep -q "^node a (.*): idle" "$dir/$tag-status.out" || problem "node a is not idle after the run"
  grep -q "^node c (.*): idle" "$dir/$tag-status.out" || problem "node c is not idle after the run"
  pids=("${pids[0]}" "${pids[2]}")
  stop_nodes
elif [ "$mode" = move ]; then
  targets=$1
  shift
  n=$(grep -o '"count": [0-9]*' "$g" | grep -o '[0-9]*$')
  "$tool" run "$g" --progress --timeout 120 "$@" >"$out" 2>"$err" &
  run=$!
  wait_progress "$err"
  # refused: "$tool" move GRAPH ACTOR --to NODE, and what its error says
  refused() {
    "$tool" move "$g" "$1" --to "$2" >"$dir/$tag-refused.out" 2>&1 && problem "moving $1 to $2 was not refused"
    grep -q "$3" "$dir/$tag-refused.out" || problem "moving $1 to $2: no '$3' in: $(cat "$dir/$tag-refused.out")"
  }
  refused nosuch c "cannot move actor 'nosuch': graph 'moving' has no such actor (actors: numbers, counter, check)"
  refused counter z "cannot move actor 'counter' to node 'z': graph 'moving' has no such node (nodes: a, b, c)"
  where=$(grep -o '"name": "counter", "type": "test.counter[a-z_]*", "params": {[^}]*}, "node": "[a-z]*"' "$g" | grep -o '[a-z]*"$' | tr -d '"')
  refused counter "$where" "cannot move actor 'counter' to node '$where': it runs there already"
  refused numbers c "actor 'numbers' is fiber-style: moving it is not supported"
  last=
  for t in ${targets//,/ }; do
    "$tool" move "$g" counter --to "$t" >"$dir/$tag-move.out" 2>&1 || problem "troupe move counter --to $t: $(cat "$dir/$tag-move.out")"
    grep -q "counter moved to node '$t'" "$dir/$tag-move.out" || problem "troupe move counter --to $t did not say it moved"
    last=$t
  done
  wait "$run"
  rc=$?
  [ "$rc" -eq 0 ] || problem "troupe run: exit code $rc, expected 0"
  grep -q "graph 'moving': counter moved to node '$last'" "$err" || problem "the coordinator did not log the last move"
  grep -Eq "^  counter +$n +$n +0  test.counter[a-z_]*  \(node $last\)" "$err" || problem "the summary does not show counter on node $last with $n in and out"
  sum=$((n * (n - 1) / 2))
  for c in counter check; do
    cat "$dir/$tag"-node-*.err | grep -q "counter $c: count=$n sum=$sum disorder=0" ||
      problem "$c did not count every number once and in order (count=$n sum=$sum disorder=0): $(cat "$dir/$tag"-node-*.err | grep "counter $c:")"
  done
  all_idle "after the run"
  stop_nodes
elif [ "$mode" = hang ]; then
  # --timeout bounds the run if the heartbeats were not watched (then no "lost" below).
  "$tool" run "$g" --progress --timeout 60 >"$out" 2>"$err" &
  run=$!
  wait_progress "$err"
  kill -STOP "${pids[1]}"
  wait "$run"
  rc=$?
  [ "$rc" -eq 1 ] || problem "troupe run: exit code $rc, expected 1"
  grep -q "node 'b' at ipc://${prefix}b lost: its control connection closed (the process ended, or missed its heartbeats); actors lost: sum (on_node_lost: stop)" "$err" ||
    problem "frozen node b not reported lost with its actors"
  grep -q "did not finish within --timeout" "$err" && problem "the run ran into --timeout: the heartbeats did not tell"
  "$tool" status "$g" >"$dir/$tag-status.out" 2>&1
  grep -q "^node a (.*): idle" "$dir/$tag-status.out" || problem "node a is not idle after the run"
  kill -9 "${pids[1]}"
  wait "${pids[1]}"
  pids=("${pids[0]}")
  stop_nodes
elif [ "$mode" = orphan ]; then
  for round in attach stop hard; do
    "$tool" run "$g" --progress >"$out.$round" 2>"$err.$round" &
    run=$!
    wait_progress "$err.$round"
    kill -9 "$run"
    wait "$run" 2>/dev/null
    # The nodes run on; a new run is refused with what runs and how to stop it.
    "$tool" status "$g" >"$dir/$tag-status.out" 2>&1
    for n in ${nodes//,/ }; do
      grep -q "^node $n (.*): running, graph 'ticker' run " "$dir/$tag-status.out" || problem "node $n is not running its part after the coordinator died"
    done
    "$tool" run "$g" --no-progress >"$out.busy" 2>"$err.busy"
    rc=$?
    [ "$rc" -eq 1 ] || problem "troupe run on busy nodes: exit code $rc, expected 1"
    grep -q "troupe: node 'a' at ipc://${prefix}a is busy with graph 'ticker' (run [0-9a-f-]*, running) of another coordinator, running or gone: \`troupe stop $g\` stops it" "$err.busy" ||
      problem "troupe run on busy nodes does not say what runs and how to stop it"
    if [ "$round" = attach ]; then
      "$tool" run "$g" --attach --progress --duration 1 >"$out.attached" 2>"$err.attached"
      rc=$?
      [ "$rc" -eq 0 ] || problem "troupe run --attach: exit code $rc, expected 0"
      grep -q "graph 'ticker': attached to run " "$err.attached" || problem "troupe run --attach does not name the run"
      drained "$err.attached"
    elif [ "$round" = hard ]; then
      "$tool" stop "$g" --hard >"$out.hard" 2>"$err.hard"
      rc=$?
      [ "$rc" -eq 0 ] || problem "troupe stop --hard: exit code $rc, expected 0"
      grep -q "^graph 'ticker': stopping run [0-9a-f-]*$" "$out.hard" || problem "troupe stop --hard does not say it stops the run"
      grep -q "^graph 'ticker': run [0-9a-f-]* stopped$" "$out.hard" || problem "troupe stop --hard does not say it stopped the run"
    else
      "$tool" stop "$g" >"$out.stop" 2>"$err.stop"
      rc=$?
      [ "$rc" -eq 0 ] || problem "troupe stop: exit code $rc, expected 0"
      grep -q "^graph 'ticker': run [0-9a-f-]* stopped$" "$out.stop" || problem "troupe stop does not say it stopped the run"
      "$tool" stop "$g" >"$out.stop2" 2>&1
      rc=$?
      [ "$rc" -eq 0 ] || problem "a second troupe stop: exit code $rc, expected 0"
      grep -q "^graph 'ticker': nothing to stop: no node of graph 'ticker' is running it$" "$out.stop2" || problem "a second troupe stop does not say there is nothing to stop"
    fi
    all_idle "after troupe ${round}"
  done
  stop_nodes
else
  "$tool" run "$g" --progress --counters-json "$dir/$tag-counters.json" >"$out" 2>"$err" &
  run=$!
  for _ in $(seq 1 3000); do grep -q '/s' "$err" 2>/dev/null && break; sleep 0.01; done
  grep -q '/s' "$err" || problem "the progress line never showed"
  kill -INT "$run"
  wait "$run"
  rc=$?
  [ "$rc" -eq 130 ] || problem "troupe run: exit code $rc, expected 130"
  grep -q "interrupted in" "$err" || problem "no summary"
  # Drained: the sum (node b) took every tick the source (node a) sent.
  sent=$(awk '$1 == "tick" {print $3}' "$err")
  got=$(awk '$1 == "sum" {print $2}' "$err")
  [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$got" ] || problem "tick sent '$sent', sum took '$got'"
  stop_nodes
fi
rm -f "$g"
[ "$fail" -eq 0 ] || show
exit "$fail"
