# Sourced by perf scripts that run the `troupe` tool: sets `tool` to TROUPE_PERF_TOOL, or to
# the `troupe` built in TROUPE_PERF_BUILD_DIR, or to the release preset's (built first).
# Needs `root` (the repository) and the current directory there; exits 1 if a build fails.
if [ -n "${TROUPE_PERF_TOOL:-}" ]; then
  tool=$TROUPE_PERF_TOOL
elif [ -n "${TROUPE_PERF_BUILD_DIR:-}" ]; then
  cmake -S . -B "$TROUPE_PERF_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROUPE_BUILD_TESTS=OFF || exit 1
  cmake --build "$TROUPE_PERF_BUILD_DIR" --target troupe || exit 1
  tool=$TROUPE_PERF_BUILD_DIR/tools/troupe/troupe
else
  { cmake --preset release && cmake --build --preset release --target troupe; } || exit 1
  tool=$root/build/release/tools/troupe/troupe
fi
