// ZMTP heartbeats (RFC 37 PING/PONG) with libzmq peers and with peers that go silent.
// These tests are about time: they wait whole heartbeat intervals on purpose, with bounds
// generous enough for a loaded 2-core machine.
#include "interop_support.hpp"

using namespace troupe_test;
using msg::option;
using msg::socket_type;
using namespace std::chrono_literals;
namespace ev = msg::monitor_event;

namespace {

constexpr int ivl_ms = 100;      // HEARTBEAT_IVL
constexpr int timeout_ms = 500;  // HEARTBEAT_TIMEOUT
// Long enough for many PING/PONG rounds and several heartbeat timeouts: a missing PONG would
// have dropped the connection by then.
constexpr auto quiet_period = 2000ms;

int ms(steady::duration d) { return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }

void set_heartbeats(end& e) {
  e.set(option::heartbeat_ivl, ivl_ms);
  e.set(option::heartbeat_timeout, timeout_ms);
  e.set(option::heartbeat_ttl, 2000);
}

/// A DEALER "quiet" and a troupe ROUTER exchange one round trip.
void round_trip(end& dealer, end& router) {
  dealer.send({"ping"});
  CHECK(summary(router.recv_required()) == summary({"quiet", "ping"}));
  router.send({"quiet", "pong"});
  CHECK(summary(dealer.recv_required()) == summary({"pong"}));
}

// ---- A peer that stops answering. ----

enum class silent_kind {
  raw_after_handshake,   // a raw tcp socket completes the handshake, then reads and writes nothing
  stopped_libzmq,        // a libzmq DEALER whose process is SIGSTOPped
  stopped_libzmq_ttl,    // the same, having asked troupe (HEARTBEAT_TTL) to drop it after 1 s
};

struct silent_row {
  const char* test_name;
  silent_kind kind;
  bool troupe_heartbeats;   // troupe's ROUTER sets HEARTBEAT_IVL/TIMEOUT
  const char* log_reason;   // in the log line of the close
  int deadline_ms;          // the connection should be gone this long after the peer's last word
};

constexpr silent_row silent_rows[] = {
    {"heartbeat: a raw peer that goes silent after the handshake is dropped after HEARTBEAT_TIMEOUT",
     silent_kind::raw_after_handshake, true, "heartbeat timeout", ivl_ms + timeout_ms},
    {"heartbeat: a SIGSTOPped libzmq peer is dropped after HEARTBEAT_TIMEOUT", silent_kind::stopped_libzmq, true,
     "heartbeat timeout", ivl_ms + timeout_ms},
    {"heartbeat: a SIGSTOPped libzmq peer that sent HEARTBEAT_TTL is dropped after its TTL",
     silent_kind::stopped_libzmq_ttl, false, "heartbeat TTL expired", 1000},
};

void run_silent(const silent_row& row) {
  log_capture log;
  msg::context ctx;
  troupe_end router(ctx, socket_type::router);
  router.set(option::router_mandatory, 1);
  if (row.troupe_heartbeats) set_heartbeats(router);
  event_watch events(ctx, router.socket(), ev::disconnected);
  const std::string ep = router.bind("tcp");

  unique_fd raw;
  std::unique_ptr<zmq_peer> process;
  std::unique_ptr<libzmq_end> dealer;
  if (row.kind == silent_kind::raw_after_handshake) {
    raw = raw_connect(tcp_port_of(ep));
    raw_write(raw.get(), zmtp_greeting() + zmtp_ready("DEALER", "quiet"));
    CHECK(raw_read(raw.get(), 64).size() == 64);  // troupe's greeting...
    CHECK(raw_read_frame(raw.get()).find("READY") != std::string::npos);  // ...and READY
  } else {
    process = std::make_unique<zmq_peer>();
    dealer = std::make_unique<libzmq_end>(*process, socket_type::dealer);
    dealer->set(option::routing_id, "quiet");
    if (row.kind == silent_kind::stopped_libzmq_ttl) {
      dealer->set(option::heartbeat_ivl, ivl_ms);
      dealer->set(option::heartbeat_ttl, 1000);  // tells troupe: drop me after 1 s of silence
    }
    dealer->connect(ep);
    round_trip(*dealer, router);
    if (row.kind == silent_kind::stopped_libzmq_ttl) std::this_thread::sleep_for(5 * ivl_ms * 1ms);  // a PING with the TTL arrives
  }
  // The pipe is there: the ROUTER can route to the peer.
  REQUIRE(wait_until([&] { return router.try_send({"quiet", "are you there"}, 0ms); }));

  if (process) process->signal(SIGSTOP);  // its libzmq I/O thread stops too: no PONG, nothing
  const auto silent_since = steady::now();
  const auto gone = events.wait_for(ev::disconnected);
  const int after = ms(steady::now() - silent_since);
  if (process) process->signal(SIGCONT);
  REQUIRE_MESSAGE(gone.has_value(), "the silent peer was never dropped");
  MESSAGE("dropped " << after << " ms after the peer fell silent (expected about " << row.deadline_ms << " ms)");
  CHECK(after >= row.deadline_ms / 2);     // not for some other reason, right away
  CHECK(after <= row.deadline_ms + 3000);  // promptly, with room for a loaded machine
  CHECK(wait_until([&] { return log.count_containing(row.log_reason) > 0; }));
  // Its pipe is torn down: the ROUTER no longer knows the peer.
  CHECK(wait_until([&] { return !router.try_send({"quiet", "still there?"}, 0ms); }));
  if (raw.get() >= 0) CHECK(raw_wait_closed(raw.get()));
}

}  // namespace

TEST_SUITE("interop_heartbeat") {
  TEST_CASE("heartbeat: troupe PINGs a libzmq peer that PONGs - the connection stays up and messages flow") {
    for (const bool troupe_binds : {true, false}) {
      SUBCASE(troupe_binds ? "troupe ROUTER binds" : "troupe ROUTER connects") {
        msg::context ctx;
        troupe_end router(ctx, socket_type::router);
        set_heartbeats(router);
        event_watch events(ctx, router.socket(), ev::disconnected);
        libzmq_end dealer(shared_zmq_peer(), socket_type::dealer);
        dealer.set(option::routing_id, "quiet");
        if (troupe_binds) {
          dealer.connect(router.bind("tcp"));
        } else {
          router.connect(dealer.bind("tcp"));
        }
        dealer.monitor();
        round_trip(dealer, router);
        std::this_thread::sleep_for(quiet_period);  // nothing but PINGs and PONGs meanwhile
        CHECK_MESSAGE(events.count(ev::disconnected) == 0, "troupe dropped a peer that answers PINGs");
        for (const int e : dealer.events()) CHECK_MESSAGE(e != ev::disconnected, "the libzmq side saw a disconnect");
        round_trip(dealer, router);
      }
    }
  }

  TEST_CASE("heartbeat: a libzmq peer's PINGs get PONGs from troupe - its HEARTBEAT_TIMEOUT never fires") {
    for (const bool troupe_binds : {true, false}) {
      SUBCASE(troupe_binds ? "troupe ROUTER binds" : "troupe ROUTER connects") {
        msg::context ctx;
        troupe_end router(ctx, socket_type::router);  // no heartbeat options of its own
        event_watch events(ctx, router.socket(), ev::disconnected);
        libzmq_end dealer(shared_zmq_peer(), socket_type::dealer);
        dealer.set(option::routing_id, "quiet");
        set_heartbeats(dealer);  // libzmq drops the connection if no PONG within 500 ms
        dealer.monitor();
        if (troupe_binds) {
          dealer.connect(router.bind("tcp"));
        } else {
          router.connect(dealer.bind("tcp"));
        }
        round_trip(dealer, router);
        std::this_thread::sleep_for(quiet_period);
        const auto seen = dealer.events();
        // libzmq's events: 0x0200 DISCONNECTED; a reconnection would show as a second
        // HANDSHAKE_SUCCEEDED (0x1000).
        CHECK(std::count(seen.begin(), seen.end(), ev::disconnected) == 0);
        CHECK(std::count(seen.begin(), seen.end(), ev::handshake_succeeded) == 1);
        CHECK(events.count(ev::disconnected) == 0);
        round_trip(dealer, router);
      }
    }
  }

  TEST_CASE(silent_rows[0].test_name) { run_silent(silent_rows[0]); }
  TEST_CASE(silent_rows[1].test_name) { run_silent(silent_rows[1]); }
  TEST_CASE(silent_rows[2].test_name) { run_silent(silent_rows[2]); }
  static_assert(std::size(silent_rows) == 3, "one TEST_CASE per row");
}
