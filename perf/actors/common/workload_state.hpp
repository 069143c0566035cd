#pragma once
// What a workload's actors share with its main(), the same on both sides: set by the actors
// (their own thread), read by main() after the done flag (whose mutex orders the two).
#include "workload_util.hpp"

#include <cstdint>

namespace perf_actors {

/// A run timed by the actors: t0 at the first send, t1 at the end, then `done`.
struct timed_run {
  clock::time_point t0{}, t1{};
  done_flag done;
  void finish() {
    t1 = clock::now();
    done.set();
  }
};

struct ping_pong_state : timed_run {
  std::uint64_t rounds = 0;
  bool in_order = true;  // each ball came back unchanged
};

struct fan_state {
  explicit fan_state(std::uint64_t n) : messages(n), arrived(n) {}
  std::uint64_t messages;
  clock::time_point t0{};
  std::uint64_t sum = 0;  // the sink's
  countdown arrived;
};

struct counting_state : timed_run {
  std::uint64_t increments = 0;
  std::uint64_t total = 0;  // the counter's answer
};

using ring_state = timed_run;

/// The spawn workload's first three lines, from its clock and RSS readings.
inline void report_spawn(clock::time_point t0, clock::time_point t1, std::size_t rss0, std::size_t rss1,
                         std::uint64_t actors) {
  const double per_actor = static_cast<double>(rss1 - rss0) / static_cast<double>(actors);
  report("spawn", seconds(t0, t1) * 1e3, "ms");
  report("memory per actor", per_actor, "B");
  report("actors per GiB", 1073741824.0 / per_actor, "actors");
}

}  // namespace perf_actors
