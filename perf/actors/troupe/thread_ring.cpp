// Savina "thread ring", troupe side: `actors` handler actors, n<i>.out -> n<i+1>.in and the
// last back to the first. The token is the 8-byte count of hops still to go; the first actor
// starts it from on_start, and whoever receives 1 ends the run.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

#include <string>

namespace perf_actors {
namespace {

using state = ring_state;
state* g_state = nullptr;

struct node : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_start() override {
    const std::uint64_t hops = params().value("hops", std::uint64_t{0});
    if (hops == 0) return;
    g_state->t0 = clock::now();
    out("out").send_value(hops);
  }
  void on_message(ta::input&, tm::multipart& m) override {
    const std::uint64_t left = ta::decode<std::uint64_t>(m);
    if (left == 1) {
      g_state->finish();
      return;
    }
    out("out").send_value(left - 1);
  }
};

}  // namespace

void thread_ring(int threads, std::uint64_t actors, std::uint64_t hops) {
  state s;
  g_state = &s;
  troupe_env env(threads);
  ta::graph g(env.ctx, "ring");
  for (std::uint64_t i = 0; i < actors; ++i)
    g.spawn<node>("n" + std::to_string(i), {.params = {{"hops", i == 0 ? hops : 0}}});
  for (std::uint64_t i = 0; i < actors; ++i)
    g.connect("n" + std::to_string(i) + ".out", "n" + std::to_string((i + 1) % actors) + ".in");
  g.start();
  require(s.done.wait(), "the token makes every hop");
  stop_hard(g);
  report("hops", static_cast<double>(hops) / seconds(s.t0, s.t1), "hops/s");
}

}  // namespace perf_actors
