// RFC 31/EXPAIR (rfc.zeromq.org/spec:31): one test per SHALL clause of PAIR, run over every
// transport. Clauses quoted in the test names; see spec_support.hpp for the rules.
#include "spec_support.hpp"

#include <thread>

using namespace troupe_test;
using namespace troupe_test::spec;

TEST_SUITE("spec-expair") {
  TEST_CASE("PAIR: 'MAY be connected to at most one PAIR peers' - a second peer is not accepted") {
    // Written as MAY in the RFC, but "at most one" is the rule: a second peer is refused.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket bound(ctx, socket_type::pair), first(ctx, socket_type::pair), second(ctx, socket_type::pair);
      const std::string ep = bind_somewhere(bound, t);
      first.connect(ep);
      send_parts(first, {"from-first"});
      CHECK(recv_msg(bound) == parts{"from-first"});  // `first` is the peer
      second.connect(ep);
      try_send(second, {"from-second"});  // may be taken by its own queue, never delivered
      send_parts(first, {"marker"});
      CHECK(recv_msg(bound) == parts{"marker"});
      send_parts(bound, {"to-peer"});
      CHECK(recv_msg(first) == parts{"to-peer"});
      CHECK(nothing_pending(second));
      CHECK(nothing_pending(bound));
    }
  }

  TEST_CASE("PAIR: 'SHALL not filter or modify outgoing or incoming messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair), b(ctx, socket_type::pair);
      b.connect(bind_somewhere(a, t));
      const std::vector<parts> sent{
          {""},
          {"", "", ""},
          {all_byte_values(), large_body()},
          {bytes({0, 1, 0xff}), "x"},
      };
      for (const parts& p : sent) send_parts(a, p);
      send_parts(a, {"marker"});
      CHECK(recv_until(b, "marker") == sent);
      for (const parts& p : sent) send_parts(b, p);
      send_parts(b, {"marker"});
      CHECK(recv_until(a, "marker") == sent);
    }
  }

  TEST_CASE("PAIR: 'SHALL maintain a double queue for its peer allowing outgoing and incoming messages to be "
            "queued independently'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair), b(ctx, socket_type::pair);
      a.set(option::sndhwm, 1);
      b.set(option::rcvhwm, 1);
      b.connect(bind_somewhere(a, t));
      send_parts(a, {"hello"});
      CHECK(recv_msg(b) == parts{"hello"});
      const auto out = [](int i) { return parts{padded("out-", i)}; };
      const int n = saturate(a, t, out);
      CHECK_FALSE(a.writable());  // a -> b is full ...
      send_parts(b, {"in-0"});    // ... b -> a is not
      send_parts(b, {"in-1"});
      CHECK(recv_msg(a) == parts{"in-0"});
      CHECK(recv_msg(a) == parts{"in-1"});
      for (int i = 0; i < n; ++i) CHECK(recv_msg(b) == out(i));
    }
  }

  TEST_CASE("PAIR: 'SHALL create a double queue when initiating an outgoing connection to a peer and SHALL "
            "maintain the double queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair);
      const std::string ep = reserve_endpoint(t);
      a.connect(ep);  // nothing there yet
      CHECK(try_send(a, {"early-1"}));
      CHECK(try_send(a, {"early-2", "more"}));
      msg::socket b(ctx, socket_type::pair);
      b.bind(ep);
      CHECK(recv_msg(b) == parts{"early-1"});
      CHECK(recv_msg(b) == parts{"early-2", "more"});
      send_parts(b, {"back"});
      CHECK(recv_msg(a) == parts{"back"});
    }
  }

  TEST_CASE("PAIR: 'SHALL create a double queue when a peer connects to it. If this peer disconnects the PAIR "
            "socket SHALL destroy its double queue and SHALL discard any messages it contains'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket bound(ctx, socket_type::pair);
      const std::string ep = bind_somewhere(bound, t);
      {
        msg::socket gone(ctx, socket_type::pair);
        gone.connect(ep);
        for (int i = 0; i < 3; ++i) send_parts(bound, {"for-gone-" + std::to_string(i)});  // waits for it
        CHECK(bound.writable());
      }  // disconnects without reading
      CHECK(wait_until([&] { return !bound.writable(); }));  // its double queue is gone
      msg::socket next(ctx, socket_type::pair);
      next.connect(ep);
      send_parts(bound, {"marker"});
      CHECK(recv_msg(next) == parts{"marker"});  // nothing of the old queue reaches the new peer
      send_parts(next, {"hi"});
      CHECK(recv_msg(bound) == parts{"hi"});
    }
  }

  TEST_CASE("PAIR: 'SHALL consider its peer as available only when it has a outgoing queue that is not full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair), b(ctx, socket_type::pair);
      a.set(option::sndhwm, 1);
      b.set(option::rcvhwm, 1);
      b.connect(bind_somewhere(a, t));
      send_parts(a, {"hello"});
      CHECK(recv_msg(b) == parts{"hello"});
      CHECK(a.writable());
      const auto make = [](int i) { return parts{padded("", i)}; };
      const int n = saturate(a, t, make);
      CHECK(n >= 1);
      CHECK_FALSE(a.writable());
      const std::vector<parts> read = recv_until_writable(b, a);  // the peer reads: room again
      CHECK_FALSE(read.empty());
      CHECK(try_send(a, {"after-room"}));
      for (std::size_t i = 0; i < read.size(); ++i) CHECK(read[i] == make(static_cast<int>(i)));
      for (int i = static_cast<int>(read.size()); i < n; ++i) CHECK(recv_msg(b) == make(i));
      CHECK(recv_msg(b) == parts{"after-room"});
    }
  }

  TEST_CASE("PAIR: 'SHALL block on sending or return a suitable error when it has no available peer'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair);
      const std::string ep = bind_somewhere(a, t);
      CHECK_FALSE(a.writable());
      CHECK_FALSE(try_send(a, {"nowhere"}));
      CHECK(send_blocks(a, "nowhere"));
      bool sent = false;
      std::thread sender([&] { sent = a.send("late"); });
      msg::socket b(ctx, socket_type::pair);
      b.connect(ep);
      CHECK(recv_msg(b) == parts{"late"});
      sender.join();
      CHECK(sent);
    }
  }

  TEST_CASE("PAIR: 'SHALL not accept further messages when it has no available peer'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair), b(ctx, socket_type::pair);
      a.set(option::sndhwm, 1);
      b.set(option::rcvhwm, 1);
      b.connect(bind_somewhere(a, t));
      send_parts(a, {"hello"});
      CHECK(recv_msg(b) == parts{"hello"});
      saturate(a, t, [](int i) { return parts{padded("", i)}; });
      for (int i = 0; i < 3; ++i) {
        msg::message m("refused");
        CHECK_FALSE(a.send(m, flags::dontwait));
        CHECK(m.view() == "refused");
      }
      CHECK(send_blocks(a, "refused"));
    }
  }

  TEST_CASE("PAIR: 'SHALL NOT discard messages that it cannot queue'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair), b(ctx, socket_type::pair);
      a.set(option::sndhwm, 1);
      b.set(option::rcvhwm, 1);
      b.connect(bind_somewhere(a, t));
      send_parts(a, {"hello"});
      CHECK(recv_msg(b) == parts{"hello"});
      const auto make = [](int i) { return parts{padded("", i)}; };
      const int n = saturate(a, t, make);
      msg::message refused("refused");
      CHECK_FALSE(a.send(refused, flags::dontwait));
      for (int i = 0; i < n; ++i) CHECK(recv_msg(b) == make(i));
      REQUIRE(a.send(refused));
      CHECK(recv_msg(b) == parts{"refused"});
      std::thread sender([&] {
        for (int i = 0; i < 200; ++i) a.send("b" + std::to_string(i));
      });
      for (int i = 0; i < 200; ++i) CHECK(recv_msg(b) == parts{"b" + std::to_string(i)});
      sender.join();
      CHECK(nothing_pending(b));
    }
  }

  TEST_CASE("PAIR: 'SHALL receive incoming messages from its single peer if it has one'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair);
      const std::string ep = bind_somewhere(a, t);
      // No peer: nothing to receive, and that is not an error.
      CHECK_FALSE(try_recv(a).has_value());
      CHECK_FALSE(recv_for(a, std::chrono::milliseconds(20)).has_value());
      msg::socket b(ctx, socket_type::pair);
      b.connect(ep);
      send_parts(b, {"from-peer"});
      CHECK(recv_msg(a) == parts{"from-peer"});
    }
  }

  TEST_CASE("PAIR: 'SHALL deliver these to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket a(ctx, socket_type::pair), b(ctx, socket_type::pair);
      b.connect(bind_somewhere(a, t));
      for (int i = 0; i < 100; ++i) send_parts(b, {std::to_string(i), "tail"});
      for (int i = 0; i < 100; ++i) CHECK(recv_msg(a) == parts{std::to_string(i), "tail"});
      CHECK(nothing_pending(a));
    }
  }
}
