// The test actor types (see test_actor_library.hpp).
#include "test_actor_library.hpp"

#include <troupe/actors/actor.hpp>
#include <troupe/framework/log.hpp>

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
    const long long per_ms = params().value("per_ms", 0LL);  // 0: as fast as the link takes them
    for (long long i = 0; i < n && !stopping(); ++i) {
      if (!out("out").send_value(i)) return;
      report_progress(static_cast<std::uint64_t>(i + 1), static_cast<std::uint64_t>(n));
      if (per_ms > 0 && (i + 1) % per_ms == 0 && !sleep_for(std::chrono::milliseconds(1))) return;
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
    const long long per_ms = params().value("per_ms", 0LL);  // 0: as fast as it can
    for (long long i = 0; i < n; ++i) {
      out("out").send_value(i % 2 == 0 ? "even" : "odd", i);
      report_progress(static_cast<std::uint64_t>(i + 1), static_cast<std::uint64_t>(n));
      if (per_ms > 0 && (i + 1) % per_ms == 0 && !sleep_for(std::chrono::milliseconds(1))) return;
    }
  }
};

struct sum_sub : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in", ta::port_kind::sub, {.hwm = 0}); }
  void on_message(ta::input&, tm::multipart& msg) override {
    add_result(params().value("key", name()), ta::decode<long long>(msg));
  }
};

/// Stateful: counts and sums what it takes and checks that the sequence 0, 1, 2, ... arrives in
/// order (a gap or a repeat is a disorder); forwards each value if params "forward". Its state
/// moves with it (troupe move); on_stop logs it:
/// "counter NAME: count=N sum=S disorder=D". test.counter takes from a PULL input, its
/// [topic][value] twin test.counter_sub from a SUB (the value is the last part either way).
template <ta::port_kind In>
struct counter : ta::handler_actor {
  static void ports(ta::port_list& p) { p.input("in", In).output("out", ta::port_kind::push, {.required = false}); }
  long long count = 0, total = 0, next = 0, disorder = 0;
  void on_message(ta::input&, tm::multipart& msg) override {
    const auto v = ta::decode<long long>(msg);
    if (v != next) ++disorder;
    next = v + 1;
    ++count;
    total += v;
    if (params().value("forward", false)) out("out").send_value(v);
  }
  nlohmann::json save_state() const override {
    return {{"count", count}, {"sum", total}, {"next", next}, {"disorder", disorder}};
  }
  void load_state(const nlohmann::json& s) override {
    count = s.at("count").get<long long>();
    total = s.at("sum").get<long long>();
    next = s.at("next").get<long long>();
    disorder = s.at("disorder").get<long long>();
  }
  void on_stop() override {
    troupe::framework::log(troupe::framework::log_level::info, "counter " + name() + ": count=" + std::to_string(count) +
                                                                   " sum=" + std::to_string(total) + " disorder=" + std::to_string(disorder));
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
  r.add<counter<ta::port_kind::pull>>("test.counter");
  r.add<counter<ta::port_kind::sub>>("test.counter_sub");
  r.add<stubborn>("test.stubborn");
}
