#pragma once
// The actor workloads, defined once for troupe (troupe/*.cpp) and once for CAF (caf/*.cpp)
// with the same message counts; each prints its result lines (workload_util.hpp's report)
// and exits non-zero if its own check of the result fails. `threads` is the number of
// worker threads of the actor runtime (troupe's executor, CAF's scheduler.max-threads).

#include <cstdint>

namespace perf_actors {

/// Which library this binary measures ("troupe" or "caf").
extern const char* const side_name;

/// Two actors bounce one message `rounds` times. Prints "round trips: N [rt/s]".
void ping_pong(int threads, std::uint64_t rounds);
/// One source sends `messages` to a load-balanced pool of `workers`, which forward each to one
/// sink. Timed from the first send to the sink's last receive. Prints "throughput: N [msg/s]".
void fan(int threads, std::uint64_t messages, std::uint64_t workers);
/// Creates and starts `actors` idle actors (each able to receive), times until every one has
/// run its start and measures the RSS they add: prints "spawn: N [ms]", "memory per actor:
/// N [B]", "actors per GiB: N [actors]". With `teardown`, then destroys them all and prints
/// "teardown: N [ms]"; without, the process ends there (skip_teardown()).
void spawn(int threads, std::uint64_t actors, bool teardown);
/// Savina "counting": a producer sends `increments` increments to a counter, then asks for the
/// total and checks the reply. Prints "throughput: N [msg/s]".
void counting(int threads, std::uint64_t increments);
/// Savina "thread ring": `actors` actors in a ring pass a token `hops` times. Prints
/// "hops: N [hops/s]".
void thread_ring(int threads, std::uint64_t actors, std::uint64_t hops);

}  // namespace perf_actors
