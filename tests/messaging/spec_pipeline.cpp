// RFC 30/PIPELINE (rfc.zeromq.org/spec:30): one test per SHALL clause of PUSH and PULL, run
// over every transport. Clauses quoted in the test names; see spec_support.hpp for the rules.
#include "spec_support.hpp"

#include <set>
#include <thread>

using namespace troupe_test;
using namespace troupe_test::spec;

TEST_SUITE("spec-pipeline") {
  // ---------------------------------------------------------------- PUSH ----

  TEST_CASE("PUSH: 'SHALL only send messages'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
      push.connect(bind_somewhere(pull, t));
      CHECK(recv_refused(push));
      CHECK_FALSE(push.readable());
      send_parts(push, {"still usable"});
      CHECK(recv_msg(pull) == parts{"still usable"});
    }
  }

  TEST_CASE("PUSH: 'SHALL not filter or modify outgoing messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
      push.connect(bind_somewhere(pull, t));
      const std::vector<parts> sent{
          {""},
          {all_byte_values()},
          {large_body()},
          {"", "", ""},
          {bytes({1}) + "looks-like-a-subscribe", bytes({0}), large_body(70000), "tail"},
      };
      for (const parts& p : sent) send_parts(push, p);
      send_parts(push, {"marker"});
      CHECK(recv_until(pull, "marker") == sent);
    }
  }

  TEST_CASE("PUSH: 'SHALL maintain an outgoing message queue for each connected peer'") {
    // Observable consequence: what was queued for a slow peer stays queued for it (it is not
    // handed to a faster peer), and the fast peer is served from its own queue meanwhile.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), slow(ctx, socket_type::pull), fast(ctx, socket_type::pull);
      push.connect(bind_somewhere(slow, t));
      push.connect(bind_somewhere(fast, t));
      for (int i = 0; i < 10; ++i) send_parts(push, {std::to_string(i)});
      std::set<std::string> at_fast, at_slow;
      for (int i = 0; i < 5; ++i) at_fast.insert(recv_msg(fast).front());
      for (int i = 0; i < 5; ++i) at_slow.insert(recv_msg(slow).front());
      CHECK(at_fast.size() == 5);
      CHECK(at_slow.size() == 5);
      for (const std::string& s : at_fast) CHECK(at_slow.count(s) == 0);
      CHECK(nothing_pending(fast));
      CHECK(nothing_pending(slow));
    }
  }

  TEST_CASE("PUSH: 'SHALL create this queue when initiating an outgoing connection to a peer and SHALL "
            "maintain the queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push);
      const std::string ep = reserve_endpoint(t);
      push.connect(ep);  // nothing there yet
      CHECK(try_send(push, {"queued-1"}));
      CHECK(try_send(push, {"queued-2", "two parts"}));
      msg::socket pull(ctx, socket_type::pull);
      pull.bind(ep);
      CHECK(recv_msg(pull) == parts{"queued-1"});
      CHECK(recv_msg(pull) == parts{"queued-2", "two parts"});
    }
  }

  TEST_CASE("PUSH: 'SHALL create this queue when a peer connects to it. If this peer disconnects the PUSH "
            "socket SHALL destroy its queue and SHALL discard any messages it contains'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push);
      const std::string ep = bind_somewhere(push, t);
      {
        msg::socket gone(ctx, socket_type::pull);
        gone.connect(ep);
        // Queued for `gone` (its only peer; a blocking send waits for the connection).
        for (int i = 0; i < 3; ++i) send_parts(push, {"for-gone-" + std::to_string(i)});
        CHECK(push.writable());
      }  // `gone` disconnects without reading
      CHECK(wait_until([&] { return !push.writable(); }));  // its queue is gone: no peer left
      msg::socket next(ctx, socket_type::pull);
      next.connect(ep);
      send_parts(push, {"marker"});
      // Nothing queued for the departed peer is rerouted to the new one.
      CHECK(recv_msg(next) == parts{"marker"});
      CHECK(nothing_pending(next));
    }
  }

  TEST_CASE("PUSH: 'SHALL consider a peer as available only when it has a outgoing queue that is not full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), a(ctx, socket_type::pull), b(ctx, socket_type::pull);
      push.set(option::sndhwm, 1);
      a.set(option::rcvhwm, 1);
      b.set(option::rcvhwm, 1);
      push.connect(bind_somewhere(a, t));
      push.connect(bind_somewhere(b, t));
      const int n = saturate(push, t, [](int i) { return parts{padded("m", i)}; });
      CHECK(n >= 2);
      CHECK_FALSE(push.writable());
      // b makes room; a stays full: a is not available, so the next message must go to b.
      std::vector<parts> at_b = recv_until_writable(b, push);
      CHECK_FALSE(at_b.empty());
      CHECK(try_send(push, {"x"}));
      for (parts& p : recv_until(b, "x")) at_b.push_back(std::move(p));
      const int at_a = n - static_cast<int>(at_b.size());
      CHECK(at_a >= 1);
      for (int i = 0; i < at_a; ++i) CHECK(recv_msg(a).front() != "x");
      CHECK(nothing_pending(a));
    }
  }

  TEST_CASE("PUSH: 'SHALL route outgoing messages to available peers using a round-robin strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push);
      std::vector<msg::socket> pulls;
      for (int i = 0; i < 3; ++i) {
        pulls.emplace_back(ctx, socket_type::pull);
        push.connect(bind_somewhere(pulls.back(), t));
      }
      for (int i = 0; i < 9; ++i) send_parts(push, {std::to_string(i)});
      // Each peer gets every third message: k, k+3, k+6, with a different k for each.
      std::set<int> offsets;
      for (msg::socket& pull : pulls) {
        const int k = std::stoi(recv_msg(pull).front());
        CHECK(recv_msg(pull) == parts{std::to_string(k + 3)});
        CHECK(recv_msg(pull) == parts{std::to_string(k + 6)});
        CHECK(nothing_pending(pull));
        offsets.insert(k);
      }
      CHECK(offsets == std::set<int>{0, 1, 2});
    }
  }

  TEST_CASE("PUSH: 'SHALL block on sending or return a suitable error when it has no available peers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push);
      const std::string ep = bind_somewhere(push, t);
      CHECK_FALSE(try_send(push, {"nowhere"}));  // don't-wait: refused, not an error
      CHECK(send_blocks(push, "nowhere"));       // blocking: waits (here until SNDTIMEO)
      // A blocked send completes once a peer arrives.
      bool sent = false;
      std::thread sender([&] { sent = push.send("late"); });
      msg::socket pull(ctx, socket_type::pull);
      pull.connect(ep);
      CHECK(recv_msg(pull) == parts{"late"});
      sender.join();
      CHECK(sent);
    }
  }

  TEST_CASE("PUSH: 'SHALL not accept further messages when it has no available peers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
      push.set(option::sndhwm, 1);
      pull.set(option::rcvhwm, 1);
      push.connect(bind_somewhere(pull, t));
      const int n = saturate(push, t, [](int i) { return parts{padded("", i)}; });
      CHECK(n >= 1);
      for (int i = 0; i < 3; ++i) {
        msg::message m("refused");
        CHECK_FALSE(push.send(m, flags::dontwait));
        CHECK(m.view() == "refused");  // not taken: still the caller's
      }
      CHECK_FALSE(push.writable());
      CHECK(send_blocks(push, "refused"));
    }
  }

  TEST_CASE("PUSH: 'SHALL NOT discard messages that it cannot queue'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
      push.set(option::sndhwm, 1);
      pull.set(option::rcvhwm, 1);
      push.connect(bind_somewhere(pull, t));
      const auto make = [](int i) { return parts{padded("", i)}; };
      const int n = saturate(push, t, make);
      msg::message refused("refused");
      CHECK_FALSE(push.send(refused, flags::dontwait));
      for (int i = 0; i < n; ++i) CHECK(recv_msg(pull) == make(i));
      REQUIRE(push.send(refused));  // the caller still has it and it goes through now
      CHECK(recv_msg(pull) == parts{"refused"});
      // A sender that blocks at the HWM loses nothing either.
      std::thread sender([&] {
        for (int i = 0; i < 200; ++i) push.send("b" + std::to_string(i));
      });
      for (int i = 0; i < 200; ++i) CHECK(recv_msg(pull) == parts{"b" + std::to_string(i)});
      sender.join();
      CHECK(nothing_pending(pull));
    }
  }

  // ---------------------------------------------------------------- PULL ----

  TEST_CASE("PULL: 'SHALL only receive messages'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
      push.connect(bind_somewhere(pull, t));
      CHECK(send_refused(pull));
      CHECK_FALSE(pull.writable());
      send_parts(push, {"still usable"});
      CHECK(recv_msg(pull) == parts{"still usable"});
    }
  }

  TEST_CASE("PULL: 'SHALL not filter or modify incoming messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
      pull.connect(bind_somewhere(push, t));
      const std::vector<parts> sent{
          {"", "empty first part"},
          {bytes({0}) + "zero", bytes({1}) + "one", ""},
          {all_byte_values(), large_body()},
          {"plain"},
      };
      for (const parts& p : sent) send_parts(push, p);
      send_parts(push, {"marker"});
      CHECK(recv_until(pull, "marker") == sent);
    }
  }

  TEST_CASE("PULL: 'SHALL maintain an incoming queue for each connected peer'") {
    // Observable consequence: one peer filling its queue to the PULL does not stop another
    // peer from queueing.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), flood(ctx, socket_type::push), other(ctx, socket_type::push);
      pull.set(option::rcvhwm, 1);
      flood.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(pull, t);
      flood.connect(ep);
      other.connect(ep);
      send_parts(flood, {"f-first"});  // waits for the connection if it has to
      CHECK(recv_msg(pull) == parts{"f-first"});
      const int n = saturate(flood, t, [](int i) { return parts{padded("f", i)}; });
      CHECK_FALSE(try_send(flood, {"f-refused"}));
      send_parts(other, {"o-0"});  // its own queue has room
      int from_flood = 0;
      bool other_seen = false;
      while (from_flood < n || !other_seen) {
        const parts p = recv_msg(pull);
        if (p.front() == "o-0") {
          other_seen = true;
        } else {
          CHECK(p.front() == padded("f", from_flood));
          ++from_flood;
        }
      }
      CHECK(nothing_pending(pull));
    }
  }

  TEST_CASE("PULL: 'SHALL create this queue when initiating an outgoing connection to a peer and SHALL "
            "maintain the queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull);
      const std::string ep = reserve_endpoint(t);
      pull.connect(ep);  // nothing there yet
      CHECK_FALSE(try_recv(pull).has_value());
      msg::socket push(ctx, socket_type::push);
      push.bind(ep);
      send_parts(push, {"after bind", "2"});
      CHECK(recv_msg(pull) == parts{"after bind", "2"});
    }
  }

  TEST_CASE("PULL: 'SHALL create this queue when a peer connects to it. If this peer disconnects the PULL "
            "socket SHALL destroy its queue and SHALL discard any messages it contains'") {
    // A peer that closes with LINGER 0 drops its connection: what the PULL holds of it is
    // discarded. (A peer closing with linger ends its connection in order once what it queued
    // was delivered, and those messages stay readable, as in libzmq; design.md: "close with
    // linger delivers all that was queued". docs/transports/tcp.md: how a connection ends.)
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull);
      const std::string ep = bind_somewhere(pull, t);
      event_watch events(ctx, pull, msg::monitor_event::disconnected);
      {
        msg::socket gone(ctx, socket_type::push);
        gone.set(option::linger, 0);
        gone.connect(ep);
        send_parts(gone, {"first"});
        CHECK(recv_msg(pull) == parts{"first"});  // the queue exists and delivers
        for (int i = 0; i < 3; ++i) send_parts(gone, {"unread-" + std::to_string(i)});
      }
      REQUIRE(events.wait_for(msg::monitor_event::disconnected));  // over the wire it is seen later
      msg::socket next(ctx, socket_type::push);
      next.connect(ep);
      send_parts(next, {"marker"});
      CHECK(recv_until(pull, "marker").empty());
      CHECK(nothing_pending(pull));
    }
  }

  TEST_CASE("PULL: 'SHALL receive incoming messages from its peers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), a(ctx, socket_type::push), b(ctx, socket_type::push);
      pull.set(option::rcvhwm, 8);
      a.set(option::sndhwm, 1);
      b.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(pull, t);
      a.connect(ep);
      b.connect(ep);
      // Both connections carry one message first, so both are established before the test.
      send_parts(a, {"a-hello"});
      send_parts(b, {"b-hello"});
      std::set<std::string> hellos{recv_msg(pull).front(), recv_msg(pull).front()};
      CHECK(hellos == std::set<std::string>{"a-hello", "b-hello"});
      // Both senders fill their paths: each of the PULL's queues holds at least 4 messages when
      // it starts reading, on every transport (a writer sees the reader's progress every half
      // RCVHWM: the hello read may still count against the 8).
      saturate(a, t, [](int i) { return parts{"a", padded("", i)}; });
      saturate(b, t, [](int i) { return parts{"b", padded("", i)}; });
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 8; ++i) {
        const parts p = recv_msg(pull);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == padded("", p[0] == "a" ? next_a++ : next_b++));  // per-peer order kept
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("PULL: 'SHALL deliver these to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
      push.connect(bind_somewhere(pull, t));
      for (int i = 0; i < 100; ++i) send_parts(push, {std::to_string(i), "part-2"});
      for (int i = 0; i < 100; ++i) {
        msg::message m = recv_within(pull);
        CHECK(m.view() == std::to_string(i));
        CHECK(m.more());
        CHECK(pull.more());
        CHECK(pull.get_int(option::rcvmore) == 1);
        m = recv_within(pull);
        CHECK(m.view() == "part-2");
        CHECK_FALSE(m.more());
      }
      CHECK(nothing_pending(pull));
    }
  }
}
