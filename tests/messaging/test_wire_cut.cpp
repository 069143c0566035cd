// A multipart message cut short by a dropped connection is never delivered in part (RFC 23: a
// message is delivered whole or not at all). A raw peer (a socket written here) completes the
// handshake, sends the first parts of a message with MORE set, and hangs up; the troupe socket
// must deliver nothing of it, and a whole message from another peer afterwards arrives whole
// and alone. Over tcp and ipc, for PULL, SUB and ROUTER binding, and for a PULL whose
// connecter keeps its pipe across the reconnect.
#include "interop_support.hpp"

using namespace troupe_test;
using msg::option;
using msg::socket_type;
namespace ev = msg::monitor_event;

namespace {

/// Parts 1..2 of a 3-part message, then a hang-up; returns once troupe has closed its side
/// (so it has read everything the peer sent).
void send_cut_message_and_hang_up(int fd) {
  raw_write(fd, zmtp_frame("cut-1", true) + zmtp_frame("cut-2", true));
  ::shutdown(fd, SHUT_WR);
  REQUIRE_MESSAGE(raw_wait_closed(fd), "troupe did not close the connection of the peer that hung up");
}

/// A bad peer of `bad_type` connects to `ep`, sends a cut message, and hangs up.
void cut_peer(event_watch& events, const std::string& ep, std::string_view bad_type,
              std::string_view bad_identity = {}) {
  unique_fd bad = raw_connect_to(ep);
  raw_handshake(bad.get(), bad_type, bad_identity);
  REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
  send_cut_message_and_hang_up(bad.get());
  REQUIRE_MESSAGE(events.wait_for(ev::disconnected).has_value(), "events: " << events.seen());
}

}  // namespace

TEST_SUITE("wire") {
  TEST_CASE("a message cut by a hang-up is not delivered in part - PULL over tcp and ipc") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), good(ctx, socket_type::push);
      pull.set(option::linger, 0);
      good.set(option::linger, 0);
      event_watch events(ctx, pull);
      const std::string ep = bind_somewhere(pull, t);
      good.connect(ep);
      REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
      cut_peer(events, ep, "PUSH");
      send_parts(good, {"whole-1", "whole-2", "whole-3"});
      CHECK(recv_parts(pull) == std::vector<std::string>{"whole-1", "whole-2", "whole-3"});
      CHECK(nothing_pending(pull));
    }
  }

  TEST_CASE("a message cut by a hang-up is not delivered in part - SUB over tcp and ipc") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), good(ctx, socket_type::xpub);
      sub.set(option::linger, 0);
      good.set(option::linger, 0);
      sub.set(option::subscribe, "");
      event_watch events(ctx, sub);
      const std::string ep = bind_somewhere(sub, t);
      good.connect(ep);
      // (Waiting for the event calls into the SUB, which then sends its subscription.)
      REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
      CHECK(recv_parts(good) == std::vector<std::string>{std::string(1, '\x01')});
      cut_peer(events, ep, "PUB");
      send_parts(good, {"whole-1", "whole-2"});
      CHECK(recv_parts(sub) == std::vector<std::string>{"whole-1", "whole-2"});
      CHECK(nothing_pending(sub));
    }
  }

  TEST_CASE("a message cut by a hang-up is not delivered in part - ROUTER over tcp and ipc") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), good(ctx, socket_type::dealer);
      router.set(option::linger, 0);
      good.set(option::linger, 0);
      good.set(option::routing_id, "good");
      event_watch events(ctx, router);
      const std::string ep = bind_somewhere(router, t);
      good.connect(ep);
      REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
      cut_peer(events, ep, "DEALER", "bad");
      send_parts(good, {"whole-1", "whole-2"});
      CHECK(recv_parts(router) == std::vector<std::string>{"good", "whole-1", "whole-2"});
      CHECK(nothing_pending(router));
    }
  }

  TEST_CASE("a message cut by a hang-up is not delivered in part - a connecting PULL keeps its pipe across the reconnect") {
    int port = 0;
    unique_fd listener = raw_listen(port);
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    pull.set(option::linger, 0);
    pull.set(option::reconnect_ivl, 10);
    pull.connect("tcp://127.0.0.1:" + std::to_string(port));
    {
      unique_fd first = raw_accept(listener.get());
      raw_handshake(first.get(), "PUSH");
      send_cut_message_and_hang_up(first.get());
    }
    // The same pipe, a new connection: the parts of the first are gone from it.
    unique_fd second = raw_accept(listener.get());
    raw_handshake(second.get(), "PUSH");
    raw_write(second.get(), zmtp_frame("whole-1", true) + zmtp_frame("whole-2"));
    CHECK(recv_parts(pull) == std::vector<std::string>{"whole-1", "whole-2"});
    CHECK(nothing_pending(pull));
  }

  TEST_CASE("a whole message and the hang-up right behind it - the message arrives and the hang-up is noticed over tcp and ipc") {
    // The frames and the end of stream come in one burst: a read that returns the frames
    // short of the buffer must not stop the engine from reading on to the end of stream.
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull);
      pull.set(option::linger, 0);
      event_watch events(ctx, pull);
      const std::string ep = bind_somewhere(pull, t);
      unique_fd peer = raw_connect_to(ep);
      raw_handshake(peer.get(), "PUSH");
      REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
      raw_write(peer.get(), zmtp_frame("last-1", true) + zmtp_frame("last-2"));
      ::shutdown(peer.get(), SHUT_WR);
      CHECK_MESSAGE(raw_wait_closed(peer.get()), "troupe did not close the connection of the peer that hung up");
      CHECK(events.wait_for(ev::disconnected).has_value());
      CHECK(recv_parts(pull) == std::vector<std::string>{"last-1", "last-2"});
    }
  }
}
