// Supervision: restart keeps the inbox, the restart limit escalates, policy stop.
#include "actors_support.hpp"

#include <atomic>

using namespace troupe_test;

namespace {

/// Sends 0..99 with "boom" in place of 50.
struct poison_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    for (int i = 0; i < 100; ++i) out("out").send(i == 50 ? std::string("boom") : std::to_string(i));
  }
};

std::atomic<int> g_handled{0};
std::atomic<int> g_instances{0};
std::atomic<int> g_stopped{0};

struct fragile_sink : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  fragile_sink() { ++g_instances; }
  int local = 0;  // fresh state after a restart
  void on_message(ta::input&, tm::multipart& msg) override {
    if (msg.front() == "boom") throw std::runtime_error("poisoned message");
    ++local;
    ++g_handled;
  }
  void on_stop() override { ++g_stopped; }
};

struct always_fails : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void on_message(ta::input&, tm::multipart&) override { throw std::runtime_error("cannot cope"); }
};

struct fiber_fails_once : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  static inline std::atomic<int> runs{0};
  static inline std::atomic<int> got{0};
  void run() override {
    const int my_run = ++runs;
    tm::multipart m;
    while (in("in").recv(m)) {
      if (my_run == 1 && got == 10) throw std::runtime_error("fiber trips");
      ++got;
    }
  }
};

}  // namespace

TEST_CASE("supervision: a restart gives a fresh instance and keeps the inbox (exact counts)") {
  fixture f;
  log_capture logs;
  g_handled = 0;
  g_instances = 0;
  g_stopped = 0;
  ta::graph g(f.ctx, "restart");
  g.spawn<poison_source>("src");
  g.spawn<fragile_sink>("sink");
  g.connect("src.out", "sink.in");
  g.start();
  CHECK(g.wait(eventually).ok());
  CHECK(g_handled == 99);  // all but the poisoned one: nothing queued was lost
  CHECK(g_instances == 2);
  CHECK(g_stopped == 1);  // on_stop of the second instance, at the end of the stream
  const auto c = g.counters();
  CHECK(c["sink"]["restarts"] == 1);
  CHECK(c["sink"]["failures"] == 1);
  CHECK(c["sink"]["in"] == 100);
  CHECK(logs.count_containing("actor 'sink' failed in on_message (port 'in'): poisoned message") == 1);
}

TEST_CASE("supervision: a fiber actor restarts on a new fiber with its inbox kept") {
  fixture f;
  log_capture logs;
  fiber_fails_once::runs = 0;
  fiber_fails_once::got = 0;
  struct src100 : ta::fiber_actor {
    static void ports(ta::port_list& p) { p.output("out"); }
    void run() override {
      for (int i = 0; i < 100; ++i) out("out").send_value(i);
    }
  };
  ta::graph g(f.ctx, "fiber_restart");
  g.spawn<src100>("src");
  g.spawn<fiber_fails_once>("sink");
  g.connect("src.out", "sink.in");
  g.start();
  CHECK(g.wait(eventually).ok());
  CHECK(fiber_fails_once::runs == 2);
  CHECK(fiber_fails_once::got == 99);
  CHECK(g.counters()["sink"]["restarts"] == 1);
}

TEST_CASE("supervision: exceeding the restart limit stops the graph with a clear error") {
  fixture f;
  log_capture logs;
  struct endless : ta::fiber_actor {
    static void ports(ta::port_list& p) { p.output("out"); }
    void run() override {
      while (!stopping()) out("out").send("x");
    }
  };
  ta::graph g(f.ctx, "escalate");
  g.spawn<endless>("src");
  g.spawn<always_fails>("bad", {.policy = {.max_restarts = 2, .window = std::chrono::seconds(60)}});
  g.connect("src.out", "bad.in");
  g.start();
  const ta::stop_report r = g.wait(eventually);
  CHECK(r.finished);
  CHECK_FALSE(r.ok());
  CHECK(contains(r.error, "actor 'bad' failed in on_message (port 'in'): cannot cope"));
  CHECK(contains(r.error, "restart limit reached (2 restarts in 60000 ms)"));
  CHECK(g.counters()["bad"]["restarts"] == 2);
  CHECK(g.counters()["bad"]["failures"] == 3);
}

TEST_CASE("supervision: policy stop stops only that actor and downstream sees its end of stream") {
  fixture f;
  log_capture logs;
  struct relay_fails : ta::handler_actor {
    static void ports(ta::port_list& p) { p.input("in").output("out"); }
    void on_message(ta::input&, tm::multipart& m) override {
      if (m.front() == "boom") throw std::runtime_error("no");
      out("out").send(std::move(m));
    }
  };
  g_handled = 0;
  g_instances = 0;
  ta::graph g(f.ctx, "policy_stop");
  g.spawn<poison_source>("src");
  g.spawn<relay_fails>("relay", {.policy = {.on_failure = ta::supervision::action::stop}});
  g.spawn<fragile_sink>("sink");
  g.connect("src.out", "relay.in");
  g.connect("relay.out", "sink.in");
  g.start();
  // The source may block once the relay is gone; stop it hard after the sink finished.
  CHECK(wait_until([&] { return g.counters()["sink"]["state"] == "finished"; }));
  CHECK(g_handled == 50);  // 0..49 passed before the relay stopped
  CHECK(g.counters()["relay"]["restarts"] == 0);
  CHECK(logs.count_containing("actor 'relay' failed in on_message (port 'in'): no; stopping it") == 1);
  CHECK(g.stop(ta::stop_mode::hard, eventually).finished);
}
