// Graph building, errors, pools, key-partitioning, drain and hard stop, counters, exclusion.
#include "actors_support.hpp"

#include <array>
#include <atomic>
#include <mutex>
#include <set>

using namespace troupe_test;

namespace {

/// Fiber source: sends params["count"] ints (or forever if absent) until stopped.
struct int_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  static inline std::atomic<long> sent{0};
  void run() override {
    const long n = params().value("count", -1L);
    for (long i = 0; (n < 0 || i < n) && !stopping(); ++i) {
      if (!out("out").send_value(static_cast<int>(i))) return;
      ++sent;
    }
  }
};

struct counting_sink : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  static inline std::atomic<long> got{0};
  void on_message(ta::input&, tm::multipart&) override { ++got; }
};

}  // namespace

TEST_CASE("graph: errors name the actor and port and the reason") {
  fixture f;
  ta::registry types;
  types.add<int_source>("int_source");
  types.add<counting_sink>("counting_sink");
  struct sub_sink : ta::handler_actor {
    static void ports(ta::port_list& p) { p.input("in", ta::port_kind::sub); }
    void on_message(ta::input&, tm::multipart&) override {}
  };
  types.add<sub_sink>("sub_sink");
  ta::graph g(f.ctx, "errors", types);

  CHECK(contains(error_of([&] { g.spawn("x", "no_such_type"); }), "unknown actor type 'no_such_type'"));
  g.spawn("src", "int_source");
  g.spawn("sink", "counting_sink");
  g.spawn("subs", "sub_sink");
  CHECK(contains(error_of([&] { g.spawn("src", "counting_sink"); }), "duplicate actor name 'src'"));
  CHECK(contains(error_of([&] { types.add<int_source>("int_source"); }), "already registered"));
  CHECK(contains(error_of([&] { g.connect("src.nope", "sink.in"); }), "actor 'src' (type 'int_source') has no port 'nope'"));
  CHECK(contains(error_of([&] { g.connect("ghost.out", "sink.in"); }), "unknown actor 'ghost'"));
  CHECK(contains(error_of([&] { g.connect("src.out", "subs.in"); }), "PUSH output to a SUB input"));
  CHECK(contains(error_of([&] { g.connect("sink.in", "src.out"); }), "'sink.in' is an input port"));
  CHECK(contains(error_of([&] { g.connect("src", "sink.in"); }), "expected 'actor.port'"));
  CHECK(contains(error_of([&] { g.start(); }), "actor 'src': required output port 'out' is not connected"));
  g.connect("src.out", "sink.in");
  CHECK(contains(error_of([&] { g.connect("src.out", "sink.in"); }), "duplicate link"));
  CHECK(contains(error_of([&] { g.start(); }), "actor 'subs': required input port 'in' is not connected"));
  CHECK(contains(error_of([&] { g.spawn("pool", "counting_sink", {.replicas = 0}); }), "replicas must be at least 1"));
}

namespace {

std::array<std::atomic<int>, 4> g_per_replica{};

struct replica_worker : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_message(ta::input&, tm::multipart& msg) override {
    // name() is "work[i]"
    g_per_replica[static_cast<std::size_t>(name()[5] - '0')]++;
    out("out").send(std::move(msg));
  }
};

}  // namespace

TEST_CASE("graph: a pool of replicas gets the work load-balanced") {
  fixture f;
  for (auto& c : g_per_replica) c = 0;
  counting_sink::got = 0;
  ta::graph g(f.ctx, "pool");
  g.spawn<int_source>("src", {.params = {{"count", 400}}});
  g.spawn<replica_worker>("work", {.replicas = 4});
  g.spawn<counting_sink>("sink");
  g.connect("src.out", "work.in");
  g.connect("work.out", "sink.in");
  CHECK(g.actors().size() == 6);
  g.start();
  CHECK(g.wait(eventually).ok());
  CHECK(counting_sink::got == 400);
  int total = 0;
  for (auto& c : g_per_replica) {
    CHECK(c >= 50);  // round-robin over four pipes that never fill: 100 each
    total += c;
  }
  CHECK(total == 400);
}

namespace {

/// Publishes params["count"] messages with keys "a", "b", "c" in turn.
struct keyed_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out", ta::port_kind::pub, {.hwm = 0}); }
  void run() override {
    static constexpr const char* keys[] = {"a", "b", "c"};
    const int n = params()["count"];
    for (int i = 0; i < n; ++i) out("out").send_value(keys[i % 3], i);
  }
};

std::mutex g_shard_mutex;
std::array<std::multiset<std::string>, 2> g_shard_keys;

struct shard : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::sub, {.hwm = 0}); }
  void on_message(ta::input&, tm::multipart& msg) override {
    std::lock_guard lock(g_shard_mutex);
    g_shard_keys[static_cast<std::size_t>(name()[6] - '0')].insert(msg.front().str());
  }
};

}  // namespace

TEST_CASE("graph: key-partitioned PUB/SUB shards each get exactly their keys") {
  fixture f;
  for (auto& s : g_shard_keys) s.clear();
  ta::graph g(f.ctx, "shards");
  g.spawn<keyed_source>("src", {.params = {{"count", 300}}});
  g.spawn<shard>("shard", {.replicas = 2});
  g.subscribe("src.out", "shard[0].in", {"a"});
  g.subscribe("src.out", "shard[1].in", {"b", "c"});
  g.start();
  CHECK(g.wait(eventually).ok());
  std::lock_guard lock(g_shard_mutex);
  CHECK(g_shard_keys[0].size() == 100);
  CHECK(g_shard_keys[0].count("a") == 100);
  CHECK(g_shard_keys[1].size() == 200);
  CHECK(g_shard_keys[1].count("b") == 100);
  CHECK(g_shard_keys[1].count("c") == 100);
}

namespace {

/// A slow-ish middle stage (busy work per message), so messages queue up before a drain.
struct slow_stage : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_message(ta::input&, tm::multipart& msg) override {
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 2000; ++i) x = x + i;
    out("out").send(std::move(msg));
  }
};

}  // namespace

TEST_CASE("graph: a drain delivers every message the source sent") {
  fixture f;
  int_source::sent = 0;
  counting_sink::got = 0;
  ta::graph g(f.ctx, "drain");
  g.spawn<int_source>("src");  // endless until stopped
  g.spawn<slow_stage>("slow", {.replicas = 2});
  g.spawn<counting_sink>("sink");
  g.connect("src.out", "slow.in");
  g.connect("slow.out", "sink.in");
  g.start();
  CHECK(wait_until([] { return int_source::sent > 3000; }));
  const ta::stop_report r = g.stop(ta::stop_mode::drain, eventually);
  CHECK(r.ok());
  CHECK(int_source::sent > 3000);
  CHECK(counting_sink::got == int_source::sent);
  const auto c = g.counters();
  CHECK(c["sink"]["in"] == int_source::sent.load());
}

TEST_CASE("graph: a hard stop ends a busy graph promptly") {
  fixture f;
  int_source::sent = 0;
  counting_sink::got = 0;
  ta::graph g(f.ctx, "hard");
  g.spawn<int_source>("src");
  g.spawn<slow_stage>("slow");
  g.spawn<counting_sink>("sink");
  g.connect("src.out", "slow.in");
  g.connect("slow.out", "sink.in");
  g.start();
  CHECK(wait_until([] { return counting_sink::got > 100; }));
  const auto t0 = steady::now();
  const ta::stop_report r = g.stop(ta::stop_mode::hard, eventually);
  CHECK(r.ok());
  CHECK(r.unfinished.empty());
  CHECK(steady::now() - t0 < std::chrono::seconds(5));
  const nlohmann::json all = g.counters();
  for (auto& [name, c] : all.items()) CHECK(c["state"] == "finished");
}

namespace {

std::atomic<int> g_inside{0};
std::atomic<int> g_overlaps{0};
std::atomic<long> g_calls{0};

struct exclusive : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void enter() {
    if (g_inside.fetch_add(1) != 0) ++g_overlaps;
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 200; ++i) x = x + i;
    g_inside.fetch_sub(1);
    ++g_calls;
  }
  void on_start() override {
    every(std::chrono::milliseconds(1), [this] { enter(); });
  }
  void on_message(ta::input&, tm::multipart&) override { enter(); }
};

}  // namespace

TEST_CASE("graph: an actor never runs concurrently with itself (fan-in of three sources plus a timer)") {
  fixture f;
  g_inside = 0;
  g_overlaps = 0;
  g_calls = 0;
  ta::graph g(f.ctx, "exclusive");
  g.spawn<int_source>("src", {.params = {{"count", 3000}}, .replicas = 3});
  g.spawn<exclusive>("one");
  g.connect("src.out", "one.in");
  g.start();
  CHECK(g.wait(eventually).ok());
  CHECK(g_calls >= 9000);
  CHECK(g_overlaps == 0);
}

TEST_CASE("graph: counters are JSON and readable while the graph runs") {
  fixture f;
  int_source::sent = 0;
  counting_sink::got = 0;
  ta::graph g(f.ctx, "counters");
  g.spawn<int_source>("src");
  g.spawn<counting_sink>("sink");
  g.connect("src.out", "sink.in");
  g.start();
  CHECK(wait_until([] { return counting_sink::got > 100; }));
  const nlohmann::json c = g.counters();
  CHECK(c["sink"]["state"] == "running");
  CHECK(c["sink"]["style"] == "handler");
  CHECK(c["src"]["style"] == "fiber");
  CHECK(c["sink"]["in"].get<long>() > 0);
  CHECK(c["src"]["out"].get<long>() > 0);
  CHECK(c["sink"]["ports"]["in"] == c["sink"]["in"]);
  CHECK(c["sink"]["restarts"] == 0);
  CHECK(c["sink"].contains("busy_us"));
  CHECK(c["sink"].contains("held"));
  CHECK(g.stop().ok());
  const nlohmann::json end = g.counters();  // after a drain, what went out came in
  CHECK(end["src"]["out"] == end["sink"]["in"]);
  CHECK(end["sink"]["state"] == "finished");
}

namespace {

std::atomic<int> g_depth_sent{0};
std::atomic<bool> g_depth_gate{false};

struct burst_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    for (int i = 0; i < 100; ++i) {
      if (!out("out").send_value(i)) return;
      ++g_depth_sent;
    }
  }
};

/// Takes one message per run (batch 1): the first waits until the source sent everything,
/// the second until the test opened the gate, so between them the queue depth is known.
struct stalling_sink : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void on_message(ta::input&, tm::multipart&) override {
    if (++seen_ == 1) wait_until([] { return g_depth_sent == 100; });
    if (seen_ == 2) wait_until([] { return g_depth_gate.load(); });
  }
  int seen_ = 0;
};

}  // namespace

TEST_CASE("graph: counters show each input's queue depth") {
  fixture f;
  g_depth_sent = 0;
  g_depth_gate = false;
  ta::graph g(f.ctx, "depth");
  g.spawn<burst_source>("src");
  g.spawn<stalling_sink>("sink", {.batch = 1});
  g.connect("src.out", "sink.in");
  g.start();
  // After its first message the sink sampled its queue: the other 99 wait in it.
  CHECK(wait_until([&] { return g.counters()["sink"]["queued"] == 99; }));
  const nlohmann::json c = g.counters();
  CHECK(c["sink"]["queues"]["in"] == 99);
  CHECK(c["src"]["queued"] == 0);  // a source has no inputs
  g_depth_gate = true;
  CHECK(g.wait(eventually).ok());
  const nlohmann::json end = g.counters();
  CHECK(end["sink"]["in"] == 100);
  CHECK(end["sink"]["queued"] == 0);
}

namespace {

std::atomic<int> g_tail_got{0};

/// Sends 50 messages from on_stop through a PUSH that holds 10 at most (HWMs 5 + 5).
struct tail_sender : ta::handler_actor {
  static void ports(ta::port_list& p) {
    p.input("in").output("out", ta::port_kind::push, {.hwm = 5});
  }
  void on_message(ta::input&, tm::multipart&) override {}
  void on_stop() override {
    for (int i = 0; i < 50; ++i) out("out").send_value(i);
  }
};

/// Reads slowly, so most of the tail is still held when on_stop returns.
struct slow_reader : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::pull, {.hwm = 5}); }
  void run() override {
    int v = 0;
    while (in("in").recv_value(v)) {
      if (v != g_tail_got) return;  // out of order or a gap: stop counting
      ++g_tail_got;
      sleep_for(std::chrono::milliseconds(1));
    }
  }
};

}  // namespace

TEST_CASE("graph: what a handler sends in on_stop beyond the HWM is delivered before it finishes") {
  fixture f;
  g_tail_got = 0;
  int_source::sent = 0;
  ta::graph g(f.ctx, "tail");
  g.spawn<int_source>("src", {.params = {{"count", 3}}});
  g.spawn<tail_sender>("tail");
  g.spawn<slow_reader>("sink");
  g.connect("src.out", "tail.in");
  g.connect("tail.out", "sink.in");
  g.start();
  CHECK(g.wait(eventually).ok());
  CHECK(g_tail_got == 50);
}
