// Back-pressure under a 10x speed mismatch: a fast source into a slow sink. PUSH blocks the
// source (through a handler relay that holds and then stops reading), so peak memory stays
// bounded by the high-water marks while everything arrives; PUB drops, so memory stays
// bounded and the sink gets fewer. Peak heap is sampled while the graph runs.
#include "actors_support.hpp"

#include <malloc.h>

#include <atomic>
#include <thread>

using namespace troupe_test;

namespace {

constexpr int total = 5000;
constexpr std::size_t body = 4096;  // 5000 x 4 KiB = ~20 MiB sent in all
constexpr int hwm = 100;

std::atomic<int> g_sent{0};
std::atomic<int> g_received{0};

std::size_t heap_in_use() {
  const struct mallinfo2 mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

/// As fast as it can: `total` messages of `body` bytes.
template <ta::port_kind Kind>
struct fast_source : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out", Kind, {.hwm = hwm}); }
  void run() override {
    const std::string payload(body, 'x');
    for (int i = 0; i < total && !stopping(); ++i) {
      tm::multipart m;
      if (Kind == ta::port_kind::pub) m.emplace_back(std::string_view("t"));
      m.emplace_back(std::string_view(payload));
      if (!out("out").send(m)) return;
      ++g_sent;
    }
  }
};

/// Handler style in between: passes each message on (holding it when the PUSH is full).
struct relay : ta::handler_actor {
  static void ports(ta::port_list& p) {
    p.input("in", ta::port_kind::pull, {.hwm = hwm}).output("out", ta::port_kind::push, {.hwm = hwm});
  }
  void on_message(ta::input&, tm::multipart& m) override { out("out").send(m); }
};

/// At least 10x slower than the source: 1 ms of sleep every 10 messages (~10k messages/s at
/// most, against well over 100k/s for the source).
template <ta::port_kind Kind>
struct slow_sink : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.input("in", Kind, {.hwm = hwm}); }
  void run() override {
    tm::multipart m;
    while (in("in").recv(m)) {
      if (m.back().size() != body) throw std::runtime_error("a message arrived cut");
      if (++g_received % 10 == 0 && !sleep_for(std::chrono::milliseconds(1))) return;
    }
  }
};

/// Runs the started graph to its end while sampling the heap; returns the peak growth.
std::size_t run_and_sample_peak(ta::graph& g, std::size_t baseline) {
  std::size_t peak = baseline;
  ta::stop_report r;
  for (;;) {
    peak = std::max(peak, heap_in_use());
    r = g.wait(std::chrono::milliseconds(2));
    if (!r.timed_out) break;
  }
  CHECK(r.ok());
  return peak - baseline;
}

}  // namespace

TEST_CASE("backpressure: a fast PUSH source into a 10x slower sink blocks and memory stays bounded by the HWMs") {
  fixture f;
  g_sent = 0;
  g_received = 0;
  ta::graph g(f.ctx, "push_pressure");
  g.spawn<fast_source<ta::port_kind::push>>("src");
  g.spawn<relay>("relay");
  g.spawn<slow_sink<ta::port_kind::pull>>("sink");
  g.connect("src.out", "relay.in");
  g.connect("relay.out", "sink.in");
  const std::size_t baseline = heap_in_use();
  g.start();
  const std::size_t peak = run_and_sample_peak(g, baseline);
  CHECK(g_sent == total);
  CHECK(g_received == total);  // blocking, not dropping: every message arrives
  // In flight at most: two pipes of SNDHWM + RCVHWM messages and one held by the relay.
  const std::size_t in_flight = (4 * hwm + 1) * body;
  MESSAGE("peak heap growth " << peak / 1024 << " KiB; HWM bound " << in_flight / 1024 << " KiB; sent "
                              << total * body / 1024 << " KiB");
#if !defined(TROUPE_SANITIZED)
  CHECK(peak < 2 * in_flight + (1u << 20));  // allocator slack; sending it all unbounded is ~20 MiB
#endif
}

TEST_CASE("backpressure: a fast PUB source into a 10x slower SUB sink drops and memory stays bounded by the HWMs") {
  fixture f;
  g_sent = 0;
  g_received = 0;
  ta::graph g(f.ctx, "pub_pressure");
  g.spawn<fast_source<ta::port_kind::pub>>("src");
  g.spawn<slow_sink<ta::port_kind::sub>>("sink");
  g.subscribe("src.out", "sink.in", {"t"});
  const std::size_t baseline = heap_in_use();
  g.start();
  const std::size_t peak = run_and_sample_peak(g, baseline);
  CHECK(g_sent == total);              // a PUB never blocks its source
  CHECK(g_received < total);           // the slow subscriber missed some
  CHECK(g_received >= 2 * hwm);        // but got at least what the pipe holds
  const std::size_t in_flight = (2 * hwm + 1) * body;
  MESSAGE("peak heap growth " << peak / 1024 << " KiB; HWM bound " << in_flight / 1024 << " KiB; received "
                              << g_received.load() << " of " << total);
#if !defined(TROUPE_SANITIZED)
  CHECK(peak < 2 * in_flight + (1u << 20));
#endif
}
