// Ping-pong, troupe side: two handler actors, ping.out -> pong.in and pong.out -> ping.in
// (PUSH -> PULL both ways). The ball is an 8-byte count; pong echoes the message it got.
#include "env.hpp"

#include "../common/workload_state.hpp"
#include "../common/workloads.hpp"

namespace perf_actors {
namespace {

using state = ping_pong_state;
state* g_state = nullptr;

struct pinger : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  std::uint64_t left = 0;
  void on_start() override {
    left = g_state->rounds;
    g_state->t0 = clock::now();
    out("out").send_value(left);
  }
  void on_message(ta::input&, tm::multipart& m) override {
    if (ta::decode<std::uint64_t>(m) != left) g_state->in_order = false;
    if (--left == 0) {
      g_state->finish();
      return;
    }
    out("out").send_value(left);
  }
};

struct ponger : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_message(ta::input&, tm::multipart& m) override { out("out").send(m); }
};

}  // namespace

void ping_pong(int threads, std::uint64_t rounds) {
  state s;
  s.rounds = rounds;
  g_state = &s;
  troupe_env env(threads);
  ta::graph g(env.ctx, "ping_pong");
  g.spawn<pinger>("ping");
  g.spawn<ponger>("pong");
  g.connect("ping.out", "pong.in");
  g.connect("pong.out", "ping.in");
  g.start();
  require(s.done.wait(), "every round trip completes");
  stop_hard(g);
  require(s.in_order, "each ball comes back unchanged");
  report("round trips", static_cast<double>(rounds) / seconds(s.t0, s.t1), "rt/s");
}

}  // namespace perf_actors
