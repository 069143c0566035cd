// The command line of troupe_actors and caf_actors (the same for both):
//
//   <binary> <threads> ping_pong <rounds>
//   <binary> <threads> fan <messages> <workers>
//   <binary> <threads> spawn <actors> <teardown: 0 or 1>
//   <binary> <threads> counting <increments>
//   <binary> <threads> thread_ring <actors> <hops>
#include "workload_util.hpp"
#include "workloads.hpp"

#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
  using namespace perf_actors;
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s <threads> ping_pong <rounds> | fan <messages> <workers> | spawn <actors> <0|1> |\n"
                 "       counting <increments> | thread_ring <actors> <hops>\n",
                 argv[0]);
    return 2;
  }
  const int threads = static_cast<int>(count_arg(argc, argv, 1, "threads"));
  const std::string_view w = argv[2];
  std::printf("side: %s, worker threads: %d\n", side_name, threads);
  if (w == "ping_pong") {
    ping_pong(threads, count_arg(argc, argv, 3, "rounds"));
  } else if (w == "fan") {
    fan(threads, count_arg(argc, argv, 3, "messages"), count_arg(argc, argv, 4, "workers"));
  } else if (w == "spawn") {
    const std::string_view teardown = argc > 4 ? argv[4] : "";
    if (teardown != "0" && teardown != "1") {
      std::fprintf(stderr, "spawn: <teardown> must be 0 or 1, got '%s'\n", argc > 4 ? argv[4] : "");
      return 2;
    }
    spawn(threads, count_arg(argc, argv, 3, "actors"), teardown == "1");
  } else if (w == "counting") {
    counting(threads, count_arg(argc, argv, 3, "increments"));
  } else if (w == "thread_ring") {
    thread_ring(threads, count_arg(argc, argv, 3, "actors"), count_arg(argc, argv, 4, "hops"));
  } else {
    std::fprintf(stderr, "unknown workload '%s' (ping_pong, fan, spawn, counting, thread_ring)\n", argv[2]);
    return 2;
  }
  return 0;
}
