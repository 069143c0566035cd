#!/usr/bin/env bash
# CLI smoke test of Ctrl-C (SIGINT) on `troupe run`:
#   cli_sigint.sh drain <tool> <graph> <dir>  one SIGINT drains the graph: summary, exit 130
#   cli_sigint.sh hard  <tool> <graph> <dir>  the graph ignores the drain; a second SIGINT
#                                             stops it hard at once (before the drain's own
#                                             10 s bound would have), exit 130
# The tool is forced to draw its progress line (stderr is a file here), so the first line in
# its stderr tells that the graph runs; every wait is on a condition, with a bound.
set -u
mode=$1 tool=$2 graph=$3 dir=$4
err="$dir/sigint-$mode.err" counters="$dir/sigint-$mode.json"
rm -f "$err" "$counters"
"$tool" run "$graph" --progress --counters-json "$counters" 2>"$err" &
pid=$!
# wait_for <grep pattern>: polls stderr for up to ~20 s.
wait_for() {
  for _ in $(seq 1 2000); do
    grep -q "$1" "$err" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "stderr never showed '$1'"; cat "$err"; kill -9 "$pid"; exit 1
}
wait_for '/s'  # the progress line ("0.2s src 1.0k/s | ...")
kill -INT "$pid"
if [ "$mode" = hard ]; then
  wait_for "interrupted: draining"
  kill -INT "$pid"
fi
wait "$pid"
rc=$?
fail=0
[ "$rc" -eq 130 ] || { echo "exit code $rc, expected 130"; fail=1; }
grep -q "interrupted: draining" "$err" || { echo "no drain notice"; fail=1; }
grep -q "interrupted in" "$err" || { echo "no summary"; fail=1; }
grep -q '"result": "interrupted"' "$counters" || { echo "counters file missing or wrong"; fail=1; }
if [ "$mode" = hard ] && grep -q "drain did not finish" "$err"; then
  echo "the drain ran into its own bound: the second SIGINT did not stop the graph"; fail=1
fi
if [ "$fail" -ne 0 ]; then echo "--- stderr:"; cat "$err"; fi
exit "$fail"
