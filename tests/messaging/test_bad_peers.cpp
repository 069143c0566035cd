// Peers that break ZMTP on purpose (raw tcp sockets written here). Each must cost only its own
// connection: closed, a monitor event of the right type, a log line naming the reason, no big
// allocation, and the socket goes on serving a good peer connected at the same time.
#include "interop_support.hpp"

using namespace troupe_test;
using msg::option;
using msg::socket_type;
using namespace std::chrono_literals;
namespace ev = msg::monitor_event;

namespace {

constexpr int handshake_ivl_ms = 1000;

std::string long_size_frame(std::uint64_t size) {  // a long frame's header alone
  std::string f(1, '\x02');
  for (int i = 7; i >= 0; --i) f += static_cast<char>((size >> (8 * i)) & 0xff);
  return f;
}

std::string greeting_with(std::size_t at, char byte) {
  std::string g = zmtp_greeting();
  g[at] = byte;
  return g;
}

std::string greeting_with_mechanism(std::string_view mechanism) {
  std::string g = zmtp_greeting();
  std::fill(g.begin() + 12, g.begin() + 32, '\0');
  std::copy(mechanism.begin(), mechanism.end(), g.begin() + 12);
  return g;
}

struct bad_peer_row {
  const char* test_name;
  bool handshake_first;     // complete a valid handshake (as a DEALER) before `bytes`
  std::string (*bytes)();   // what the peer writes
  bool hang_up;             // then shuts down its sending side
  int event;                // the monitor event troupe emits for it
  const char* log_reason;   // in the log line of the close
  const char* reply;        // troupe's answer must contain this (nullptr: anything)
};

const bad_peer_row rows[] = {
    {"bad peer: garbage bytes - HANDSHAKE_FAILED_PROTOCOL", false,
     [] { return std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); }, false, ev::handshake_failed_protocol,
     "bad signature", nullptr},
    {"bad peer: a truncated greeting then a hang-up - HANDSHAKE_FAILED_NO_DETAIL", false,
     [] { return zmtp_greeting().substr(0, 20); }, true, ev::handshake_failed_no_detail,
     "peer closed the connection during the", nullptr},
    {"bad peer: a wrong signature (first byte) - HANDSHAKE_FAILED_PROTOCOL", false,
     [] { return greeting_with(0, '\xfe'); }, false, ev::handshake_failed_protocol, "bad signature", nullptr},
    {"bad peer: a wrong signature (byte 9 not 0x7F) - HANDSHAKE_FAILED_PROTOCOL", false,
     [] { return greeting_with(9, '\x7e'); }, false, ev::handshake_failed_protocol, "older than 3.0", nullptr},
    {"bad peer: a ZMTP 2.0 greeting - HANDSHAKE_FAILED_PROTOCOL", false, [] { return greeting_with(10, '\x02'); },
     false, ev::handshake_failed_protocol, "older than 3.0", nullptr},
    {"bad peer: the CURVE mechanism - HANDSHAKE_FAILED_PROTOCOL", false,
     [] { return greeting_with_mechanism("CURVE"); }, false, ev::handshake_failed_protocol,
     "security mechanism 'CURVE' is not supported", nullptr},
    {"bad peer: a PUB's READY to a ROUTER - ERROR then HANDSHAKE_FAILED_PROTOCOL", false,
     [] { return zmtp_greeting() + zmtp_ready("PUB"); }, false, ev::handshake_failed_protocol,
     "invalid socket type", "ERROR"},
    {"bad peer: a frame announcing 2^63 bytes - DISCONNECTED without allocating", true,
     [] { return long_size_frame(std::uint64_t{1} << 63) + "xxxx"; }, false, ev::disconnected, "top bit set", nullptr},
    {"bad peer: a frame announcing 2^63-1 bytes - DISCONNECTED without allocating", true,
     [] { return long_size_frame(~std::uint64_t{0} >> 1) + "xxxx"; }, false, ev::disconnected,
     "exceeds the limit", nullptr},
    {"bad peer: a frame announcing 1 GiB that never comes - memory grows only with the bytes", true,
     [] { return long_size_frame(std::uint64_t{1} << 30) + std::string(100000, 'x'); }, true, ev::disconnected,
     "peer closed the connection", nullptr},
    {"bad peer: reserved flag bits set - DISCONNECTED", true, [] { return std::string("\x08\x01x", 3); }, false,
     ev::disconnected, "reserved flag bits", nullptr},
    {"bad peer: an unknown command - DISCONNECTED", true, [] { return zmtp_command("HELLO", "there"); }, false,
     ev::disconnected, "unknown command 'HELLO'", nullptr},
    {"bad peer: connects and says nothing - closed after HANDSHAKE_IVL", false, [] { return std::string(); }, false,
     ev::handshake_failed_no_detail, "handshake not completed", nullptr},
};

/// A troupe DEALER "good" and the ROUTER exchange one round trip.
void good_round_trip(msg::socket& good, msg::socket& router) {
  REQUIRE(good.send("ping"));
  CHECK(recv_parts(router) == std::vector<std::string>{"good", "ping"});
  send_parts(router, {"good", "pong"});
  CHECK(recv_parts(good) == std::vector<std::string>{"pong"});
}

void run_bad_peer(const bad_peer_row& row) {
  log_capture log;
  msg::context ctx;
  msg::socket router(ctx, socket_type::router), good(ctx, socket_type::dealer);
  router.set(option::handshake_ivl, handshake_ivl_ms);
  router.set(option::linger, 0);
  good.set(option::linger, 0);
  event_watch events(ctx, router);
  const std::string ep = bind_somewhere(router, "tcp");
  good.set(option::routing_id, "good");
  good.connect(ep);
  good_round_trip(good, router);
  REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());  // the good peer's
  events.count(ev::all);  // and whatever else it caused: from here on, events are the bad peer's
  const std::size_t rss_before = rss_kib();

  const auto connected_at = steady::now();
  unique_fd bad = raw_connect(tcp_port_of(ep));
  if (row.handshake_first) {
    raw_write(bad.get(), zmtp_greeting() + zmtp_ready("DEALER", "bad"));
    REQUIRE(raw_read(bad.get(), 64).size() == 64);
    REQUIRE(raw_read_frame(bad.get()).find("READY") != std::string::npos);
    REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
  }
  const std::string bytes = row.bytes();
  if (!bytes.empty()) raw_write(bad.get(), bytes);
  if (row.hang_up) ::shutdown(bad.get(), SHUT_WR);

  const auto rec = events.wait_for(row.event);
  REQUIRE_MESSAGE(rec.has_value(), "no " << msg::monitor_event_name(row.event) << "; events: " << events.seen());
  CHECK(rec->endpoint == ep);
  CHECK_MESSAGE(wait_until([&] { return log.count_containing(row.log_reason) > 0; }),
                "no log line says '" << row.log_reason << "'");
  std::string answer;
  CHECK_MESSAGE(raw_wait_closed(bad.get(), &answer), "troupe did not close the bad connection");
  if (row.reply) CHECK(answer.find(row.reply) != std::string::npos);
  if (row.event == ev::handshake_failed_no_detail && bytes.empty())  // HANDSHAKE_IVL, not sooner
    CHECK(steady::now() - connected_at >= std::chrono::milliseconds(handshake_ivl_ms * 9 / 10));

  const std::size_t rss_after = rss_kib();
  MESSAGE("RSS " << rss_before << " KiB -> " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 8 * 1024);
  // The good peer was never disturbed.
  good_round_trip(good, router);
  CHECK(events.count(ev::disconnected) <= 1u);  // the bad one's, once (after HANDSHAKE_FAILED_*, as libzmq)
}

}  // namespace

TEST_SUITE("interop_bad_peers") {
#define TROUPE_BAD_PEER(i) \
  TEST_CASE(rows[i].test_name) { run_bad_peer(rows[i]); }
  TROUPE_BAD_PEER(0)
  TROUPE_BAD_PEER(1)
  TROUPE_BAD_PEER(2)
  TROUPE_BAD_PEER(3)
  TROUPE_BAD_PEER(4)
  TROUPE_BAD_PEER(5)
  TROUPE_BAD_PEER(6)
  TROUPE_BAD_PEER(7)
  TROUPE_BAD_PEER(8)
  TROUPE_BAD_PEER(9)
  TROUPE_BAD_PEER(10)
  TROUPE_BAD_PEER(11)
  TROUPE_BAD_PEER(12)
  static_assert(std::size(rows) == 13, "one TEST_CASE per row");
#undef TROUPE_BAD_PEER
}
