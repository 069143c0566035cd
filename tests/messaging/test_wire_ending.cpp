// How a tcp/ipc connection ends decides what becomes of the messages the peer sent and the
// socket has not read yet (docs/transports/tcp.md, "When a peer goes"):
// - an orderly end (the peer finished sending and closed its stream between messages) keeps
//   them readable: a peer closing with LINGER delivers everything, as with libzmq;
// - a broken connection (a reset, a protocol error, heartbeat silence, a peer closing with
//   LINGER 0) destroys that peer's queue and discards them (RFC 28/30: "If this peer
//   disconnects the socket SHALL destroy its queue and SHALL discard any messages it contains").
// Each check waits for DISCONNECTED before reading: the socket's queue is settled by then.
#include "interop_support.hpp"

#include <sys/socket.h>

using namespace troupe_test;
using msg::option;
using msg::socket_type;
namespace ev = msg::monitor_event;

namespace {

/// A raw PUSH peer of a PULL bound at `ep` that sends two whole messages; `then` ends it.
template <typename Then>
void raw_pusher(event_watch& events, const std::string& ep, Then then) {
  unique_fd raw = raw_connect_to(ep);
  raw_handshake(raw.get(), "PUSH");
  REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
  raw_write(raw.get(), zmtp_frame("raw-1") + zmtp_frame("raw-2"));
  then(raw.get());
  REQUIRE_MESSAGE(events.wait_for(ev::disconnected).has_value(), "events: " << events.seen());
}

/// After the bad peer's queue went: a whole message from a good peer arrives alone.
void only_the_good_peer_is_heard(msg::socket& pull, msg::context& ctx, const std::string& ep) {
  msg::socket good(ctx, socket_type::push);
  good.connect(ep);
  send_parts(good, {"good"});
  CHECK(recv_parts(pull) == std::vector<std::string>{"good"});
  CHECK(nothing_pending(pull));
}

/// Over tcp and ipc: a raw PUSH peer of a bound PULL sends two whole messages and `then` ends
/// its connection; once DISCONNECTED is seen, the two are readable (`kept`) or gone.
template <typename Then>
void check_ending(Then then, bool kept, int heartbeat_ivl = 0) {
  for (const std::string& t : wire_transports) {
    CAPTURE(t);
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    if (heartbeat_ivl > 0) {
      pull.set(option::heartbeat_ivl, heartbeat_ivl);
      pull.set(option::heartbeat_timeout, 3 * heartbeat_ivl);
    }
    event_watch events(ctx, pull);
    const std::string ep = bind_somewhere(pull, t);
    raw_pusher(events, ep, then);
    if (kept) {
      CHECK(recv_parts(pull) == std::vector<std::string>{"raw-1"});
      CHECK(recv_parts(pull) == std::vector<std::string>{"raw-2"});
    }
    only_the_good_peer_is_heard(pull, ctx, ep);
  }
}

}  // namespace

TEST_SUITE("wire") {
  TEST_CASE("connection end: a troupe peer closing with LINGER delivers all it sent - read after the hang-up") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull);
      event_watch events(ctx, pull, ev::disconnected);
      const std::string ep = bind_somewhere(pull, t);
      {
        msg::socket push(ctx, socket_type::push);
        push.set(option::linger, 5000);
        push.connect(ep);
        for (int i = 0; i < 100; ++i) send_parts(push, {"m-" + std::to_string(i), "second part"});
      }  // closes in order once all is written
      REQUIRE_MESSAGE(events.wait_for(ev::disconnected).has_value(), "events: " << events.seen());
      for (int i = 0; i < 100; ++i) REQUIRE(recv_parts(pull) == std::vector<std::string>{"m-" + std::to_string(i), "second part"});
      CHECK(nothing_pending(pull));
    }
  }

  TEST_CASE("connection end: a peer that ends its stream between messages - what it sent stays readable") {
    check_ending([](int fd) { ::shutdown(fd, SHUT_WR); }, true);
  }

  TEST_CASE("connection end: a peer that breaks the protocol - what it sent before is discarded") {
    check_ending([](int fd) { raw_write(fd, std::string("\x80\x01x", 3)); }, false);  // reserved flag bit
  }

  TEST_CASE("connection end: a peer that ends its stream inside a frame - what it sent before is discarded") {
    check_ending(
        [](int fd) {
          raw_write(fd, std::string("\x00\x05" "ab", 4));  // a 5-byte body of which 2 came
          ::shutdown(fd, SHUT_WR);
        },
        false);
  }

  TEST_CASE("connection end: a peer that falls silent past HEARTBEAT_TIMEOUT - what it sent before is discarded") {
    unique_fd kept_open;  // never answers the PINGs, never closes
    check_ending([&](int fd) { kept_open = unique_fd(::dup(fd)); }, false, 100);
  }

  TEST_CASE("connection end: a troupe peer closing with LINGER 0 drops its connection - tcp resets it") {
    msg::context ctx;
    int port = 0;
    unique_fd listener = raw_listen(port);
    {
      msg::socket push(ctx, socket_type::push);
      push.set(option::linger, 0);
      push.connect("tcp://127.0.0.1:" + std::to_string(port));
      unique_fd raw = raw_accept(listener.get());
      raw_handshake(raw.get(), "PULL");
      send_parts(push, {"m"});
      CHECK(raw_read_frame(raw.get()).size() == 3);  // header and "m": the connection is in use
      push.close();
      char c = 0;
      ssize_t n = 0;
      int err = 0;
      CHECK(wait_until([&] {
        n = ::recv(raw.get(), &c, 1, MSG_DONTWAIT);
        err = n < 0 ? errno : 0;
        return n >= 0 || (err != EAGAIN && err != EWOULDBLOCK);
      }));
      CHECK(n == -1);
      CHECK(err == ECONNRESET);  // not an orderly end (0)
    }
  }

  TEST_CASE("connection end: a connecting socket whose connection broke queues afresh for the next one") {
    int port = 0;
    unique_fd listener = raw_listen(port);
    msg::context ctx;
    msg::socket dealer(ctx, socket_type::dealer);
    dealer.set(option::reconnect_ivl, 10);
    event_watch events(ctx, dealer, ev::disconnected);
    dealer.connect("tcp://127.0.0.1:" + std::to_string(port));
    {
      unique_fd first = raw_accept(listener.get());
      raw_handshake(first.get(), "DEALER");
      raw_write(first.get(), zmtp_frame("lost"));
      raw_write(first.get(), std::string("\x80\x01x", 3));  // a protocol error breaks it
      REQUIRE(events.wait_for(ev::disconnected).has_value());
    }
    // The old queue is gone with what came over it; a new one takes messages at once.
    CHECK(nothing_pending(dealer));
    send_parts(dealer, {"queued while away"});
    unique_fd second = raw_accept(listener.get());
    raw_handshake(second.get(), "DEALER");
    CHECK(raw_read_frame(second.get()) == zmtp_frame("queued while away"));
    raw_write(second.get(), zmtp_frame("back"));
    CHECK(recv_parts(dealer) == std::vector<std::string>{"back"});
  }
}
