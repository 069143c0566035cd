// Fan-out/fan-in, troupe side: a fiber-style source (a loop of sends, suspended by the PUSH's
// back-pressure) -> a pool of handler-style workers (replicas; the PUSH balances over their
// PULLs) -> one handler-style sink. Messages are 8-byte sequence numbers.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

namespace perf_actors {
namespace {

using state = fan_state;
state* g_state = nullptr;

struct source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    g_state->t0 = clock::now();
    for (std::uint64_t i = 0; i < g_state->messages; ++i)
      if (!out("out").send_value(i)) return;
  }
};

struct worker : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_message(ta::input&, tm::multipart& m) override { out("out").send(m); }
};

struct sink : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void on_message(ta::input&, tm::multipart& m) override {
    g_state->sum += ta::decode<std::uint64_t>(m);
    g_state->arrived.arrive();
  }
};

}  // namespace

void fan(int threads, std::uint64_t messages, std::uint64_t workers) {
  state s(messages);
  g_state = &s;
  troupe_env env(threads);
  ta::graph g(env.ctx, "fan");
  g.spawn<source>("source");
  g.spawn<worker>("work", {.replicas = static_cast<int>(workers)});
  g.spawn<sink>("sink");
  g.connect("source.out", "work.in");
  g.connect("work.out", "sink.in");
  g.start();
  require(s.arrived.done.wait(), "every message reaches the sink");
  const clock::time_point t1 = s.arrived.reached_at();
  require(g.wait(std::chrono::seconds(30)).ok(), "the graph drains and finishes");
  require(s.sum == messages * (messages - 1) / 2, "the sink sees each message once");
  report("throughput", static_cast<double>(messages) / seconds(s.t0, t1), "msg/s");
}

}  // namespace perf_actors
