// The test actor types (see test_actor_library.hpp).
#include "test_actor_library.hpp"

#include <troupe/actors/actor.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

namespace troupe_test {

namespace ta = troupe::actors;
namespace tm = troupe::messaging;

namespace {

std::mutex g_mutex;
std::map<std::string, sink_result> g_results;

void add_result(const std::string& key, long long v) {
  std::lock_guard lock(g_mutex);
  sink_result& r = g_results[key];
  ++r.messages;
  r.sum += v;
}

struct numbers : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    const long long n = params().value("count", 0LL);
    for (long long i = 0; i < n && !stopping(); ++i) {
      if (!out("out").send_value(i)) return;
      report_progress(static_cast<std::uint64_t>(i + 1), static_cast<std::uint64_t>(n));
    }
  }
};

struct square : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in").output("out"); }
  void on_message(ta::input&, tm::multipart& msg) override {
    const auto v = ta::decode<long long>(msg);
    out("out").send_value(v * v);
  }
};

struct sum : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void on_message(ta::input&, tm::multipart& msg) override {
    add_result(params().value("key", name()), ta::decode<long long>(msg));
  }
};

struct parity : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out", ta::port_kind::pub, {.hwm = 0}); }
  void run() override {
    const long long n = params().value("count", 0LL);
    for (long long i = 0; i < n; ++i) out("out").send_value(i % 2 == 0 ? "even" : "odd", i);
  }
};

struct sum_sub : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::sub, {.hwm = 0}); }
  void on_message(ta::input&, tm::multipart& msg) override {
    add_result(params().value("key", name()), ta::decode<long long>(msg));
  }
};

/// Throws on every message: supervision restarts it until its limit stops the graph.
struct crash : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in"); }
  void on_message(ta::input&, tm::multipart&) override { throw std::runtime_error("crash on purpose"); }
};

/// A source that ignores drain requests: only a hard stop ends it.
struct stubborn : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    for (long long i = 0; sleep_for(std::chrono::milliseconds(1)); ++i)
      if (!out("out").send_value(i)) return;
  }
};

struct ticker : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    for (long long i = 0; !stopping(); ++i) {
      if (!out("out").send_value(i)) return;
      if (!sleep_for(std::chrono::milliseconds(1))) return;
    }
  }
};

}  // namespace

sink_result result_of(const std::string& key) {
  std::lock_guard lock(g_mutex);
  auto it = g_results.find(key);
  return it == g_results.end() ? sink_result{} : it->second;
}

void clear_results() {
  std::lock_guard lock(g_mutex);
  g_results.clear();
}

}  // namespace troupe_test

void troupe_register_test_actors(troupe::actors::registry& r) {
  using namespace troupe_test;
  r.add<numbers>("test.numbers");
  r.add<square>("test.square");
  r.add<sum>("test.sum");
  r.add<parity>("test.parity");
  r.add<sum_sub>("test.sum_sub");
  r.add<ticker>("test.ticker");
  r.add<crash>("test.crash");
  r.add<stubborn>("test.stubborn");
}
