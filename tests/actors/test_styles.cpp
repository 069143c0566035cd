// Handler and fiber styles, timers, typed values and JSON, back-pressure.
#include "actors_support.hpp"

#include <atomic>
#include <cstdint>

using namespace troupe_test;

namespace {

struct point {
  std::int32_t seq;
  double value;
};

/// Fiber source: sends params["count"] points, then returns (end of stream downstream).
struct point_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    const int n = params().value("count", 0);
    for (int i = 0; i < n; ++i)
      if (!out("out").send_value(point{i, i * 0.5})) return;
  }
};

/// Handler stage: doubles the value.
struct doubler : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_message(ta::input&, tm::multipart& msg) override {
    point pt = ta::decode<point>(msg);
    pt.value *= 2;
    out("out").send_value(pt);
  }
};

struct totals {
  std::atomic<int> count{0};
  std::atomic<std::int64_t> seq_sum{0};
  std::atomic<double> value_sum{0};
  std::atomic<bool> in_order{true};
};
totals g_totals;

/// Handler sink: checks order and sums.
struct point_sink : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  int expect = 0;
  void on_message(ta::input&, tm::multipart& msg) override {
    const point pt = ta::decode<point>(msg);
    if (pt.seq != expect++) g_totals.in_order = false;
    g_totals.seq_sum += pt.seq;
    g_totals.value_sum.store(g_totals.value_sum.load() + pt.value);
    ++g_totals.count;
  }
};

/// Fiber stage: JSON in, JSON out.
struct json_stage : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void run() override {
    tm::multipart msg;
    while (in("in").recv(msg)) {
      const point pt = ta::decode<point>(msg);
      out("out").send_json({{"seq", pt.seq}, {"value", pt.value}});
    }
  }
};

std::atomic<int> g_json_count{0};
std::atomic<std::int64_t> g_json_seq{0};

/// Fiber sink of JSON.
struct json_sink : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void run() override {
    nlohmann::json j;
    while (in("in").recv_json(j)) {
      g_json_seq += j["seq"].get<int>();
      ++g_json_count;
    }
  }
};

}  // namespace

TEST_CASE("styles: handler-style stages between a fiber source and a sink with typed values and end of stream") {
  fixture f;
  g_totals.count = 0;
  g_totals.seq_sum = 0;
  g_totals.value_sum = 0;
  g_totals.in_order = true;
  ta::graph g(f.ctx, "typed");
  g.spawn<point_source>("src", {.params = {{"count", 2000}}});
  g.spawn<doubler>("twice");
  g.spawn<point_sink>("sink");
  g.connect("src.out", "twice.in");
  g.connect("twice.out", "sink.in");
  g.start();
  const ta::stop_report r = g.wait(eventually);  // the source returns: everything drains
  CHECK(r.ok());
  CHECK(g_totals.count == 2000);
  CHECK(g_totals.seq_sum == 1999LL * 2000 / 2);
  CHECK(g_totals.value_sum.load() == doctest::Approx(1999.0 * 2000 / 2));
  CHECK(g_totals.in_order);
  const auto c = g.counters();
  CHECK(c["twice"]["in"] == 2000);
  CHECK(c["twice"]["out"] == 2000);
  CHECK(c["sink"]["state"] == "finished");
}

TEST_CASE("styles: fiber-style stages with blocking recv and JSON values") {
  fixture f;
  g_json_count = 0;
  g_json_seq = 0;
  ta::graph g(f.ctx, "fibers");
  g.spawn<point_source>("src", {.params = {{"count", 500}}});
  g.spawn<json_stage>("json");
  g.spawn<json_sink>("sink");
  g.connect("src.out", "json.in");
  g.connect("json.out", "sink.in");
  g.start();
  CHECK(g.wait(eventually).ok());
  CHECK(g_json_count == 500);
  CHECK(g_json_seq == 499LL * 500 / 2);
  CHECK(g.counters()["json"]["style"] == "fiber");
}

namespace {

std::atomic<int> g_ticks{0};
std::atomic<int> g_once{0};
std::atomic<int> g_fiber_ticks{0};

struct ticker : ta::handler_actor {
  static void ports(ta::port_list&) {}
  void on_start() override {
    every(std::chrono::milliseconds(2), [] { ++g_ticks; });
    after(std::chrono::milliseconds(5), [] { ++g_once; });
  }
  void on_message(ta::input&, tm::multipart&) override {}
};

struct fiber_ticker : ta::fiber_actor {
  static void ports(ta::port_list&) {}
  void run() override {
    every(std::chrono::milliseconds(2), [] { ++g_fiber_ticks; });
    while (!stopping()) sleep_for(std::chrono::milliseconds(50));  // timers run meanwhile
  }
};

}  // namespace

TEST_CASE("styles: per-actor timers in both styles (after fires once and every repeats)") {
  fixture f;
  g_ticks = 0;
  g_once = 0;
  g_fiber_ticks = 0;
  ta::graph g(f.ctx, "timers");
  g.spawn<ticker>("tick");
  g.spawn<fiber_ticker>("ftick");
  g.start();
  CHECK(wait_until([] { return g_ticks >= 5 && g_fiber_ticks >= 5 && g_once >= 1; }));
  CHECK(g.stop(ta::stop_mode::drain, eventually).ok());
  const int after_stop = g_ticks;
  CHECK(g_once == 1);
  // Timers end with the actor: no tick after the stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(g_ticks == after_stop);
}

namespace {

std::atomic<bool> g_gate{false};
std::atomic<int> g_sent{0};
std::atomic<int> g_got{0};

struct counting_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out", ta::port_kind::push, {.hwm = 10}); }
  void run() override {
    for (int i = 0; i < 1000; ++i) {
      if (!out("out").send_value(i)) return;
      ++g_sent;
    }
  }
};

struct gated_sink : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::pull, {.hwm = 10}); }
  void run() override {
    while (!g_gate && !stopping()) sleep_for(std::chrono::milliseconds(1));
    int v = 0;
    while (in("in").recv_value(v)) ++g_got;
  }
};

}  // namespace

TEST_CASE("styles: back-pressure blocks a fast PUSH producer at the HWMs and then all arrives") {
  fixture f;
  g_gate = false;
  g_sent = 0;
  g_got = 0;
  ta::graph g(f.ctx, "pressure");
  g.spawn<counting_source>("src");
  g.spawn<gated_sink>("sink");
  g.connect("src.out", "sink.in");
  g.start();
  CHECK(wait_until([] { return g_sent >= 20; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // would it go further?
  CHECK(g_sent <= 21);  // SNDHWM + RCVHWM of the one pipe (+1 being counted)
  CHECK(g_got == 0);
  g_gate = true;
  CHECK(g.wait(eventually).ok());
  CHECK(g_sent == 1000);
  CHECK(g_got == 1000);
}

namespace {

std::atomic<int> g_published{0};
std::atomic<int> g_subscribed{0};

/// Publishes 1000 values on a lossless PUB with a small HWM.
struct lossless_publisher : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out", ta::port_kind::pub, {.hwm = 10, .lossless = true}); }
  void run() override {
    for (int i = 0; i < 1000; ++i) {
      if (!out("out").send_value("k", i)) return;
      ++g_published;
    }
  }
};

/// Waits for the gate, then reads everything (checking order).
struct gated_subscriber : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::sub, {.hwm = 10}); }
  void run() override {
    while (!g_gate && !stopping()) sleep_for(std::chrono::milliseconds(1));
    tm::multipart m;
    while (in("in").recv(m)) {
      REQUIRE(m.size() == 2);
      if (ta::decode<int>(m[1]) != g_subscribed) return;  // a gap: stop counting
      ++g_subscribed;
    }
  }
};

struct lossless_push : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out", ta::port_kind::push, {.lossless = true}); }
  void on_message(ta::input&, tm::multipart&) override {}
};

}  // namespace

TEST_CASE("styles: a lossless PUB output blocks at a full subscriber instead of dropping") {
  fixture f;
  g_gate = false;
  g_published = 0;
  g_subscribed = 0;
  ta::graph g(f.ctx, "lossless");
  g.spawn<lossless_publisher>("pub");
  g.spawn<gated_subscriber>("sub");
  g.subscribe("pub.out", "sub.in", {"k"});
  g.start();
  CHECK(wait_until([] { return g_published >= 20; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // would it go further?
  CHECK(g_published <= 21);  // SNDHWM + RCVHWM of the one pipe (+1 being counted)
  CHECK(g_subscribed == 0);
  g_gate = true;
  CHECK(g.wait(eventually).ok());
  CHECK(g_published == 1000);
  CHECK(g_subscribed == 1000);  // all of them, in order
}

TEST_CASE("styles: lossless is refused on a PUSH output with the port named") {
  fixture f;
  ta::graph g(f.ctx, "lossless_push");
  const std::string e = error_of([&] { g.spawn<lossless_push>("p"); });
  CHECK(contains(e, "'out'"));
  CHECK(contains(e, "lossless is for pub outputs"));
}
