#!/usr/bin/env bash
# CLI smoke test: Ctrl-C (SIGINT) drains a running graph, prints the summary and exits 130.
#   cli_sigint.sh <troupe tool> <graph file of an endless graph> <scratch dir>
# The tool is forced to draw its progress line (stderr is a file here), so the first line in
# its stderr tells that the graph runs; no sleeps decide anything.
set -u
tool=$1 graph=$2 dir=$3
err="$dir/sigint.err" counters="$dir/sigint-counters.json"
rm -f "$err" "$counters"
"$tool" run "$graph" --progress --counters-json "$counters" 2>"$err" &
pid=$!
for _ in $(seq 1 2000); do  # up to ~20 s for the first progress line
  [ -s "$err" ] && break
  sleep 0.01
done
[ -s "$err" ] || { echo "no progress line appeared"; kill -9 "$pid"; exit 1; }
kill -INT "$pid"
wait "$pid"
rc=$?
fail=0
[ "$rc" -eq 130 ] || { echo "exit code $rc, expected 130"; fail=1; }
grep -q "interrupted: draining" "$err" || { echo "no drain notice"; fail=1; }
grep -q "graph 'ticker' interrupted in" "$err" || { echo "no summary"; fail=1; }
grep -q '"result": "interrupted"' "$counters" || { echo "counters file missing or wrong"; fail=1; }
if [ "$fail" -ne 0 ]; then echo "--- stderr:"; cat "$err"; fi
exit "$fail"
