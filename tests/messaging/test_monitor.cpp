// Socket monitor: the events of a binder and of a connecter, as libzmq names them, decoded with
// parse_monitor_event; over inproc, and over tcp/ipc with libzmq's event sequence (each once).
#include "support.hpp"

#include <troupe/messaging/monitor.hpp>

#include <algorithm>
#include <cstring>

using namespace troupe_test;
using msg::option;
using msg::socket_type;
namespace ev = msg::monitor_event;

namespace {

// Receives the next monitor event, making `watched` look at its mailbox meanwhile (events
// from peers are processed by the socket's user, as in libzmq).
msg::monitor_record next_event(msg::socket& watcher, msg::socket* watched = nullptr) {
  msg::multipart parts;
  const bool got = wait_until([&] {
    if (watched && !watched->closed()) watched->readable();
    return watcher.recv(parts, msg::flags::dontwait);
  });
  REQUIRE_MESSAGE(got, "no monitor event within " << eventually.count() << " ms");
  REQUIRE(parts.size() == 2);
  const auto rec = msg::parse_monitor_event(parts[0], parts[1]);
  REQUIRE(rec.has_value());
  return *rec;
}

std::string name_of(const msg::monitor_record& r) { return msg::monitor_event_name(r.event); }

// Collects the events of one monitor, in order.
struct event_log {
  msg::socket& watcher;
  std::vector<int> seen;

  // Receives events until `event` has been seen `times` times in all; false after the bound.
  bool until(int event, std::size_t times = 1) {
    return wait_until([&] {
      msg::multipart parts;
      while (watcher.recv(parts, msg::flags::dontwait)) {
        const auto r = msg::parse_monitor_event(parts[0], parts[1]);
        REQUIRE(r.has_value());
        seen.push_back(r->event);
      }
      return count(event) >= times;
    });
  }
  std::size_t count(int event) const { return static_cast<std::size_t>(std::count(seen.begin(), seen.end(), event)); }
  std::size_t index(int event) const {
    return static_cast<std::size_t>(std::find(seen.begin(), seen.end(), event) - seen.begin());
  }
  std::string names() const {
    std::string out;
    for (int e : seen) out += std::string(msg::monitor_event_name(e)) + " ";
    return out;
  }
};

}  // namespace

TEST_SUITE("monitor") {
  TEST_CASE("a binder reports LISTENING then ACCEPTED then DISCONNECTED then CLOSED and MONITOR_STOPPED") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), watcher(ctx, socket_type::pair);
    const std::string mon_ep = fresh_endpoint("inproc");
    pull.monitor(mon_ep, ev::all);
    watcher.connect(mon_ep);

    const std::string ep = bind_somewhere(pull, "inproc");
    auto e = next_event(watcher);
    CHECK(name_of(e) == "LISTENING");
    CHECK(e.endpoint == ep);

    {
      msg::socket push(ctx, socket_type::push);
      push.connect(ep);
      REQUIRE(push.send("hello"));
      CHECK(recv_within(pull).view() == "hello");
      e = next_event(watcher, &pull);
      CHECK(name_of(e) == "ACCEPTED");
      CHECK(e.endpoint == ep);
    }  // the peer closes

    e = next_event(watcher, &pull);
    CHECK(name_of(e) == "DISCONNECTED");
    CHECK(e.endpoint == ep);

    pull.close();
    e = next_event(watcher);
    CHECK(name_of(e) == "CLOSED");
    CHECK(e.endpoint == ep);
    e = next_event(watcher);
    CHECK(name_of(e) == "MONITOR_STOPPED");
    CHECK(nothing_pending(watcher));
  }

  TEST_CASE("a connecter reports CONNECTED then DISCONNECTED when the binder closes") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push), watcher(ctx, socket_type::pair);
    const std::string ep = bind_somewhere(pull, "inproc");
    const std::string mon_ep = fresh_endpoint("inproc");
    push.monitor(mon_ep, ev::connected | ev::disconnected);
    watcher.connect(mon_ep);

    push.connect(ep);
    auto e = next_event(watcher, &push);
    CHECK(e.event == ev::connected);
    CHECK(e.endpoint == ep);

    pull.close();
    e = next_event(watcher, &push);
    CHECK(e.event == ev::disconnected);
    CHECK(e.endpoint == ep);

    // Not asked for: no CLOSED, no MONITOR_STOPPED.
    push.close();
    CHECK(nothing_pending(watcher));
  }

  TEST_CASE("a connect before the bind reports CONNECTED once the bind happens") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push), watcher(ctx, socket_type::pair);
    const std::string mon_ep = fresh_endpoint("inproc");
    push.monitor(mon_ep, ev::connected);
    watcher.connect(mon_ep);
    const std::string ep = fresh_endpoint("inproc");
    push.connect(ep);
    msg::socket pull(ctx, socket_type::pull);
    pull.bind(ep);
    const auto e = next_event(watcher, &push);
    CHECK(e.event == ev::connected);
    CHECK(e.endpoint == ep);
  }

  TEST_CASE("the event mask filters and a new monitor() replaces the old one") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), w1(ctx, socket_type::pair), w2(ctx, socket_type::pair);
    const std::string m1 = fresh_endpoint("inproc"), m2 = fresh_endpoint("inproc");
    pull.monitor(m1, ev::listening | ev::monitor_stopped);
    w1.connect(m1);
    const std::string ep = bind_somewhere(pull, "inproc");
    CHECK(next_event(w1).event == ev::listening);

    pull.monitor(m2, ev::closed);
    w2.connect(m2);
    CHECK(next_event(w1).event == ev::monitor_stopped);  // the old monitor stops
    msg::socket push(ctx, socket_type::push);
    push.connect(ep);  // ACCEPTED is not in the new mask
    REQUIRE(push.send("x"));
    recv_within(pull);
    pull.close();
    const auto e = next_event(w2);
    CHECK(e.event == ev::closed);
    CHECK(nothing_pending(w2));
  }

  TEST_CASE("a failed bind reports BIND_FAILED and a non-inproc monitor endpoint is refused") {
    msg::context ctx;
    msg::socket a(ctx, socket_type::pull), b(ctx, socket_type::pull), watcher(ctx, socket_type::pair);
    const std::string ep = bind_somewhere(a, "inproc");
    const std::string mon_ep = fresh_endpoint("inproc");
    b.monitor(mon_ep, ev::all);
    watcher.connect(mon_ep);
    CHECK_THROWS_AS(b.bind(ep), msg::error);
    const auto e = next_event(watcher);
    CHECK(name_of(e) == "BIND_FAILED");
    CHECK(e.endpoint == ep);
    CHECK_THROWS_AS(b.monitor("tcp://127.0.0.1:5555", ev::all), msg::error);
  }

  TEST_CASE("parse_monitor_event decodes libzmq's layout and refuses others") {
    unsigned char head[6];
    const std::uint16_t event = ev::accepted;
    const std::uint32_t value = 42;
    std::memcpy(head, &event, 2);
    std::memcpy(head + 2, &value, 4);
    const auto r = msg::parse_monitor_event(msg::message(head, 6), msg::message("inproc://x"));
    REQUIRE(r.has_value());
    CHECK(r->event == ev::accepted);
    CHECK(r->value == 42);
    CHECK(r->endpoint == "inproc://x");
    CHECK(!msg::parse_monitor_event(msg::message("short"), msg::message("")).has_value());
  }

  TEST_CASE("tcp and ipc: a binder reports LISTENING then ACCEPTED then HANDSHAKE_SUCCEEDED then DISCONNECTED then CLOSED - each once") {
    for (const std::string t : {"tcp", "ipc"}) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), watcher(ctx, socket_type::pair);
      const std::string mon_ep = fresh_endpoint("inproc");
      pull.monitor(mon_ep, ev::all);
      watcher.connect(mon_ep);
      event_log log{watcher, {}};
      const std::string ep = bind_somewhere(pull, t);
      {
        msg::socket push(ctx, socket_type::push);
        push.connect(ep);
        REQUIRE(push.send("hello"));
        CHECK(recv_within(pull).view() == "hello");
      }  // the peer closes
      REQUIRE(log.until(ev::disconnected));
      pull.close();
      REQUIRE(log.until(ev::monitor_stopped));
      CAPTURE(log.names());
      CHECK(log.seen == std::vector<int>{ev::listening, ev::accepted, ev::handshake_succeeded, ev::disconnected,
                                         ev::closed, ev::monitor_stopped});
    }
  }

  TEST_CASE("tcp and ipc: a connecter reports CONNECTED and HANDSHAKE_SUCCEEDED once and DISCONNECTED once - then retries") {
    for (const std::string t : {"tcp", "ipc"}) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), watcher(ctx, socket_type::pair);
      const std::string mon_ep = fresh_endpoint("inproc");
      push.monitor(mon_ep, ev::all);
      watcher.connect(mon_ep);
      event_log log{watcher, {}};
      {
        msg::socket pull(ctx, socket_type::pull);
        push.connect(bind_somewhere(pull, t));
        REQUIRE(push.send("hello"));
        CHECK(recv_within(pull).view() == "hello");
        REQUIRE(log.until(ev::handshake_succeeded));
      }  // the binder goes: the connecter notices and retries
      REQUIRE(log.until(ev::connect_retried));
      push.close();
      REQUIRE(log.until(ev::monitor_stopped));
      CAPTURE(log.names());
      CHECK(log.count(ev::connected) == 1);
      CHECK(log.count(ev::handshake_succeeded) == 1);
      CHECK(log.count(ev::disconnected) == 1);
      CHECK(log.count(ev::accepted) == 0);
      CHECK(log.count(ev::connect_delayed) <= 1 + log.count(ev::connect_retried));  // at most one per attempt
      // In libzmq's order; a failed retry reports CLOSED for its descriptor, then CONNECT_RETRIED.
      CHECK(log.index(ev::connected) < log.index(ev::handshake_succeeded));
      CHECK(log.index(ev::handshake_succeeded) < log.index(ev::disconnected));
      CHECK(log.index(ev::disconnected) < log.index(ev::connect_retried));
      CHECK(log.seen.back() == ev::monitor_stopped);
      CHECK(log.seen[log.seen.size() - 2] == ev::closed);
    }
  }
}
