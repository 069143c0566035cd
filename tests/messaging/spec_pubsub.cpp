// RFC 29/PUBSUB (rfc.zeromq.org/spec:29): one test per SHALL clause of PUB, XPUB, SUB and XSUB,
// run over every transport. Clauses quoted in the test names; see spec_support.hpp for the
// rules. Functional tests of the same sockets (counting, verbose modes, NODROP, tries) are in
// test_pubsub.cpp.
//
// Subscriptions travel asynchronously on the wire: a test either waits for the XPUB to pass
// one up, or publishes probes until the subscriber gets one (await_subscription). Each
// subscriber syncs on a prefix of its own, so that probes for one do not reach another.
#include "spec_support.hpp"

#include <set>

using namespace troupe_test;
using namespace troupe_test::spec;

namespace {

std::string sub_cmd(const std::string& prefix) { return bytes({1}) + prefix; }
std::string unsub_cmd(const std::string& prefix) { return bytes({0}) + prefix; }

/// A 1 KiB body starting with `prefix` and the number `i`.
std::string numbered_kib(const std::string& prefix, int i) {
  std::string s = prefix + std::to_string(i);
  s.resize(1024, '.');
  return s;
}

/// Drop tests send this many 1 KiB messages: 20 MiB, more than any queue or socket buffer of
/// any transport holds while the receiver does not read.
constexpr int burst = 20000;

/// What `rx` got of a burst of numbered_kib(prefix, i): whole, in order, no duplicates.
void check_in_order_subset(const std::vector<parts>& got, const std::string& prefix) {
  int last = -1;
  for (const parts& p : got) {
    REQUIRE(p.size() == 1);
    REQUIRE(p[0].compare(0, prefix.size(), prefix) == 0);
    const int i = std::stoi(p[0].substr(prefix.size()));
    CHECK(i > last);
    CHECK(p[0] == numbered_kib(prefix, i));
    last = i;
  }
}

}  // namespace

TEST_SUITE("spec-pubsub") {
  // ----------------------------------------------------------------- PUB ----

  TEST_CASE("PUB: 'SHALL only send messages'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), sub(ctx, socket_type::sub);
      sub.set(option::subscribe, "");
      sub.connect(bind_somewhere(pub, t));
      CHECK(recv_refused(pub));
      CHECK_FALSE(pub.readable());
      CHECK(await_subscription(pub, sub, "").empty());  // sending works
    }
  }

  TEST_CASE("PUB: 'SHALL maintain a single outgoing message queue for each connected subscriber'") {
    // Observable consequence: a subscriber whose queue is full does not hold up another one.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), slow(ctx, socket_type::sub), fast(ctx, socket_type::sub);
      pub.set(option::sndhwm, 1);
      slow.set(option::rcvhwm, 1);
      const std::string ep = bind_somewhere(pub, t);
      for (msg::socket* s : {&slow, &fast}) {
        s->set(option::subscribe, "m");
        s->connect(ep);
      }
      slow.set(option::subscribe, "sync-slow");
      fast.set(option::subscribe, "sync-fast");
      await_subscription(pub, slow, "sync-slow");
      await_subscription(pub, fast, "sync-fast");
      for (int i = 0; i < 10; ++i) {
        REQUIRE(send_without_blocking(pub, {numbered_kib("m", i)}));
        CHECK(recv_msg(fast) == parts{numbered_kib("m", i)});  // slow never reads meanwhile
      }
      const std::vector<parts> at_slow =
          drain_until_marker(slow, [&] { send_without_blocking(pub, {"sync-slow-end"}); }, "sync-slow-end");
      check_in_order_subset(at_slow, "m");
    }
  }

  TEST_CASE("PUB: 'SHALL create a queue when initiating an outgoing connection to a subscriber and SHALL "
            "maintain the queue whether or not the connection is established'") {
    // Observable consequence: a connect made before the subscriber exists completes, and the
    // subscriber's subscriptions reach the publisher through it.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub);
      const std::string ep = reserve_endpoint(t);
      pub.connect(ep);
      CHECK(send_without_blocking(pub, {"nobody subscribed yet"}));
      msg::socket sub(ctx, socket_type::sub);
      sub.set(option::subscribe, "t");
      sub.bind(ep);
      CHECK(await_subscription(pub, sub, "t").empty());
      CHECK(send_without_blocking(pub, {"t-1"}));
      CHECK(recv_msg(sub) == parts{"t-1"});
    }
  }

  TEST_CASE("PUB: 'SHALL create a queue when a subscriber connects to it. If this subscriber disconnects the "
            "PUB socket SHALL destroy its queue and SHALL discard any messages it contains'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), sub(ctx, socket_type::sub);
      const std::string ep = bind_somewhere(pub, t);
      sub.set(option::subscribe, "m");
      sub.set(option::subscribe, "sync");
      sub.connect(ep);
      CHECK(await_subscription(pub, sub, "sync").empty());  // a queue exists for it
      for (int i = 0; i < 3; ++i) REQUIRE(send_without_blocking(pub, {"m-old-" + std::to_string(i)}));
      sub.disconnect(ep);  // with three messages unread
      sub.connect(ep);     // a new connection: a new, empty queue
      const std::vector<parts> before = await_subscription(pub, sub, "sync");
      CHECK_MESSAGE(before.empty(), "the old queue's messages reached the new connection");
      REQUIRE(send_without_blocking(pub, {"m-new"}));
      CHECK(recv_msg(sub) == parts{"m-new"});
    }
  }

  TEST_CASE("PUB: 'SHALL silently discard any messages that subscribers send it'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), xsub(ctx, socket_type::xsub);
      xsub.connect(bind_somewhere(pub, t));
      CHECK(send_without_blocking(xsub, {"hello"}));  // data, not a subscription
      CHECK(send_without_blocking(xsub, {"multi", "part"}));
      CHECK(send_without_blocking(xsub, {bytes({2}) + "not a command"}));
      CHECK(send_without_blocking(xsub, {sub_cmd("s")}));
      CHECK(await_subscription(pub, xsub, "s").empty());  // the publisher carries on
      CHECK_FALSE(pub.readable());
      CHECK(recv_refused(pub));
    }
  }

  TEST_CASE("PUB: 'SHALL not modify outgoing messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), sub(ctx, socket_type::sub);
      sub.set(option::subscribe, "");
      sub.connect(bind_somewhere(pub, t));
      await_subscription(pub, sub, "");
      const std::vector<parts> sent{
          {""},
          {"", "", ""},
          {all_byte_values()},
          {large_body(), "second", large_body(70000)},
          {sub_cmd("looks like a subscription")},
      };
      for (const parts& p : sent) REQUIRE(send_without_blocking(pub, p));
      REQUIRE(send_without_blocking(pub, {"marker"}));
      CHECK(recv_until(sub, "marker") == sent);
    }
  }

  TEST_CASE("PUB: 'SHALL perform a binary comparison of the subscription against the start of the first frame "
            "of the message'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), xsub(ctx, socket_type::xsub);  // XSUB: no local filter
      xsub.connect(bind_somewhere(pub, t));
      const std::string prefix = bytes({0, 0xff, 'A'});
      REQUIRE(send_without_blocking(xsub, {sub_cmd(prefix)}));
      await_subscription(pub, xsub, prefix);
      const std::vector<parts> matching{{prefix + "tail"}, {prefix}, {prefix, "second frame"}};
      const std::vector<parts> other{
          {bytes({0, 0xff, 'a'}) + "tail"},  // case differs
          {bytes({0, 0xfe, 'A'})},           // one bit differs
          {bytes({0, 0xff})},                // shorter than the subscription
          {"x" + prefix},                    // not at the start
          {"other", prefix},                 // only in the second frame
      };
      for (std::size_t i = 0; i < other.size(); ++i) {
        REQUIRE(send_without_blocking(pub, matching[i % matching.size()]));
        REQUIRE(send_without_blocking(pub, other[i]));
      }
      REQUIRE(send_without_blocking(pub, {prefix + "/end"}));
      const std::vector<parts> got = recv_until(xsub, prefix + "/end");
      std::vector<parts> expected;
      for (std::size_t i = 0; i < other.size(); ++i) expected.push_back(matching[i % matching.size()]);
      CHECK(got == expected);
    }
  }

  TEST_CASE("PUB: 'SHALL silently drop the message if the queue for a subscriber is full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), sub(ctx, socket_type::sub);
      pub.set(option::sndhwm, 1);
      sub.set(option::rcvhwm, 1);
      sub.set(option::subscribe, "");
      sub.connect(bind_somewhere(pub, t));
      await_subscription(pub, sub, "");
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(pub, {numbered_kib("m", i)}));
      const std::vector<parts> got = drain_until_marker(sub, [&] { send_without_blocking(pub, {"end"}); }, "end");
      CHECK(got.size() < static_cast<std::size_t>(burst));
      check_in_order_subset(got, "m");
    }
  }

  TEST_CASE("PUB: 'SHALL NOT block on sending'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub);
      pub.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(pub, t);
      for (int i = 0; i < 100; ++i) REQUIRE(send_without_blocking(pub, {"no subscriber"}));
      CHECK(pub.writable());
      msg::socket sub(ctx, socket_type::sub);  // a subscriber that never reads
      sub.set(option::rcvhwm, 1);
      sub.set(option::subscribe, "");
      sub.connect(ep);
      await_subscription(pub, sub, "");
      for (int i = 0; i < 2000; ++i) REQUIRE(send_without_blocking(pub, {numbered_kib("m", i)}));
      CHECK(pub.writable());
    }
  }

  TEST_CASE("PUB: 'SHALL receive subscribe and unsubscribe requests from subscribers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), xsub(ctx, socket_type::xsub);  // XSUB: the filter is the PUB's
      xsub.connect(bind_somewhere(pub, t));
      REQUIRE(send_without_blocking(pub, {"a-before"}));  // nobody subscribed: not sent
      REQUIRE(send_without_blocking(xsub, {sub_cmd("a")}));
      CHECK(await_subscription(pub, xsub, "a").empty());
      REQUIRE(send_without_blocking(pub, {"a-1"}));
      CHECK(recv_msg(xsub) == parts{"a-1"});
      REQUIRE(send_without_blocking(xsub, {unsub_cmd("a")}));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("b")}));
      CHECK(await_subscription(pub, xsub, "b").empty());  // the unsubscription, sent first, is in effect
      REQUIRE(send_without_blocking(pub, {"a-2"}));
      REQUIRE(send_without_blocking(pub, {"b-end"}));
      CHECK(recv_until(xsub, "b-end").empty());
    }
  }

  TEST_CASE("PUB: 'SHALL NOT deliver these commands to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket pub(ctx, socket_type::pub), sub(ctx, socket_type::sub);
      sub.connect(bind_somewhere(pub, t));
      sub.set(option::subscribe, "x");
      sub.set(option::unsubscribe, "x");
      sub.set(option::subscribe, "y");
      await_subscription(pub, sub, "y");  // all three reached the publisher
      CHECK_FALSE(pub.readable());
      CHECK(recv_refused(pub));
    }
  }

  // ---------------------------------------------------------------- XPUB ----

  TEST_CASE("XPUB: 'SHALL maintain a double queue for each connected subscriber allowing outgoing and incoming "
            "messages to be queued independently'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), a(ctx, socket_type::xsub), b(ctx, socket_type::xsub);
      xpub.set(option::sndhwm, 1);
      a.set(option::rcvhwm, 1);
      const std::string ep = bind_somewhere(xpub, t);
      a.connect(ep);
      b.connect(ep);
      REQUIRE(send_without_blocking(a, {sub_cmd("a")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("a")});
      REQUIRE(send_without_blocking(b, {sub_cmd("b")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("b")});
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(xpub, {numbered_kib("a", i)}));
      // a's outgoing queue is full; its incoming queue is not ...
      REQUIRE(send_without_blocking(a, {"up-1"}));
      REQUIRE(send_without_blocking(a, {"up-2", "two parts"}));
      CHECK(recv_msg(xpub) == parts{"up-1"});
      CHECK(recv_msg(xpub) == parts{"up-2", "two parts"});
      // ... and b's queues are its own.
      REQUIRE(send_without_blocking(xpub, {"b-1"}));
      CHECK(recv_msg(b) == parts{"b-1"});
      check_in_order_subset(drain_until_marker(a, [&] { send_without_blocking(xpub, {"a-end"}); }, "a-end"), "a");
    }
  }

  TEST_CASE("XPUB: 'SHALL create a double queue when initiating an outgoing connection to a subscriber and "
            "SHALL maintain the double queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub);
      const std::string ep = reserve_endpoint(t);
      xpub.connect(ep);
      CHECK(send_without_blocking(xpub, {"nobody subscribed yet"}));
      msg::socket sub(ctx, socket_type::sub);
      sub.bind(ep);
      sub.set(option::subscribe, "t");
      CHECK(recv_msg(xpub) == parts{sub_cmd("t")});  // upstream through that queue
      REQUIRE(send_without_blocking(xpub, {"t-1"}));
      CHECK(recv_msg(sub) == parts{"t-1"});  // and downstream
    }
  }

  TEST_CASE("XPUB: 'SHALL create a double queue when a subscriber connects to it. If this subscriber "
            "disconnects the XPUB socket SHALL destroy its double queue and SHALL discard any messages it "
            "contains'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), sub(ctx, socket_type::sub);
      const std::string ep = bind_somewhere(xpub, t);
      sub.set(option::subscribe, "m");
      sub.connect(ep);
      CHECK(recv_msg(xpub) == parts{sub_cmd("m")});
      for (int i = 0; i < 3; ++i) REQUIRE(send_without_blocking(xpub, {"m-old-" + std::to_string(i)}));
      sub.disconnect(ep);  // with three messages unread
      CHECK(recv_msg(xpub) == parts{unsub_cmd("m")});  // its queue, and subscriptions, are gone
      sub.connect(ep);
      CHECK(recv_msg(xpub) == parts{sub_cmd("m")});  // a new queue
      REQUIRE(send_without_blocking(xpub, {"m-new"}));
      CHECK(recv_msg(sub) == parts{"m-new"});
    }
  }

  TEST_CASE("XPUB: 'SHALL not modify outgoing messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), sub(ctx, socket_type::sub);
      sub.set(option::subscribe, "");
      sub.connect(bind_somewhere(xpub, t));
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      const std::vector<parts> sent{
          {""},
          {"", "", ""},
          {all_byte_values()},
          {large_body(), "second", large_body(70000)},
          {unsub_cmd("looks like an unsubscription")},
      };
      for (const parts& p : sent) REQUIRE(send_without_blocking(xpub, p));
      REQUIRE(send_without_blocking(xpub, {"marker"}));
      CHECK(recv_until(sub, "marker") == sent);
    }
  }

  TEST_CASE("XPUB: 'SHALL perform a binary comparison of the subscription against the start of the first "
            "frame of the message'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), xsub(ctx, socket_type::xsub);
      xsub.connect(bind_somewhere(xpub, t));
      const std::string prefix = bytes({1, 0, 0x80});
      REQUIRE(send_without_blocking(xsub, {sub_cmd(prefix)}));
      CHECK(recv_msg(xpub) == parts{sub_cmd(prefix)});
      const std::vector<parts> matching{{prefix + "tail"}, {prefix}, {prefix, "second frame"}};
      const std::vector<parts> other{
          {bytes({1, 0, 0x81})},  // last byte differs
          {bytes({1, 0})},        // shorter than the subscription
          {bytes({0}) + prefix},  // not at the start
          {"", prefix},           // only in the second frame
      };
      for (std::size_t i = 0; i < other.size(); ++i) {
        REQUIRE(send_without_blocking(xpub, matching[i % matching.size()]));
        REQUIRE(send_without_blocking(xpub, other[i]));
      }
      REQUIRE(send_without_blocking(xpub, {prefix + "/end"}));
      std::vector<parts> expected;
      for (std::size_t i = 0; i < other.size(); ++i) expected.push_back(matching[i % matching.size()]);
      CHECK(recv_until(xsub, prefix + "/end") == expected);
    }
  }

  TEST_CASE("XPUB: 'SHALL silently drop the message if the queue for a subscriber is full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), sub(ctx, socket_type::sub);
      xpub.set(option::sndhwm, 1);
      sub.set(option::rcvhwm, 1);
      sub.set(option::subscribe, "");
      sub.connect(bind_somewhere(xpub, t));
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(xpub, {numbered_kib("m", i)}));
      const std::vector<parts> got = drain_until_marker(sub, [&] { send_without_blocking(xpub, {"end"}); }, "end");
      CHECK(got.size() < static_cast<std::size_t>(burst));
      check_in_order_subset(got, "m");
      CHECK_FALSE(xpub.readable());  // and nothing about it is passed up
    }
  }

  TEST_CASE("XPUB: 'SHALL NOT block on sending'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub);
      xpub.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(xpub, t);
      for (int i = 0; i < 100; ++i) REQUIRE(send_without_blocking(xpub, {"no subscriber"}));
      msg::socket sub(ctx, socket_type::sub);
      sub.set(option::rcvhwm, 1);
      sub.set(option::subscribe, "");
      sub.connect(ep);
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      for (int i = 0; i < 2000; ++i) REQUIRE(send_without_blocking(xpub, {numbered_kib("m", i)}));
      CHECK(xpub.writable());
    }
  }

  // (libzmq's XPUB reads a subscriber's pipe to the end when it becomes readable: it passes up
  // "aaaabbbb". troupe reads through a fair queue: "abababab".)
  TEST_CASE("XPUB: 'SHALL receive incoming messages from its subscribers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), a(ctx, socket_type::xsub), b(ctx, socket_type::xsub);
      const std::string ep = bind_somewhere(xpub, t);
      a.connect(ep);
      b.connect(ep);
      REQUIRE(send_without_blocking(a, {"a-hello"}));
      REQUIRE(send_without_blocking(b, {"b-hello"}));
      const std::set<std::string> hellos{recv_msg(xpub).front(), recv_msg(xpub).front()};
      CHECK(hellos == std::set<std::string>{"a-hello", "b-hello"});
      for (int i = 0; i < 4; ++i) REQUIRE(send_without_blocking(a, {"a", std::to_string(i)}));
      for (int i = 0; i < 4; ++i) REQUIRE(send_without_blocking(b, {"b", std::to_string(i)}));
      // Fair-queuing is about what is queued: on the wire, wait until all eight have arrived.
      REQUIRE(wait_until([&] { return xpub.queued() == 8; }));
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 8; ++i) {
        const parts p = recv_msg(xpub);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == std::to_string(p[0] == "a" ? next_a++ : next_b++));
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("XPUB: 'SHALL deliver these messages to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), xsub(ctx, socket_type::xsub);
      xsub.connect(bind_somewhere(xpub, t));
      const std::vector<parts> sent{{"data", "more"}, {"", "empty first part"}, {large_body()}, {"last"}};
      for (const parts& p : sent) REQUIRE(send_without_blocking(xsub, p));
      REQUIRE(send_without_blocking(xsub, {"marker"}));
      CHECK(recv_until(xpub, "marker") == sent);
    }
  }

  TEST_CASE("XPUB: 'SHALL receive subscribe and unsubscribe requests from subscribers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), xsub(ctx, socket_type::xsub);  // XSUB: the filter is the XPUB's
      xsub.connect(bind_somewhere(xpub, t));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("a")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("a")});
      for (const char* m : {"a-1", "b-1", "a-2", "a-end"}) REQUIRE(send_without_blocking(xpub, {m}));
      CHECK(recv_until(xsub, "a-end") == std::vector<parts>{{"a-1"}, {"a-2"}});
      REQUIRE(send_without_blocking(xsub, {unsub_cmd("a")}));
      CHECK(recv_msg(xpub) == parts{unsub_cmd("a")});
      REQUIRE(send_without_blocking(xsub, {sub_cmd("z")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("z")});
      for (const char* m : {"a-3", "z-end"}) REQUIRE(send_without_blocking(xpub, {m}));
      CHECK(recv_until(xsub, "z-end").empty());
    }
  }

  TEST_CASE("XPUB: 'SHALL deliver these commands to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub), sub(ctx, socket_type::sub);
      sub.connect(bind_somewhere(xpub, t));
      sub.set(option::subscribe, "topic");
      sub.set(option::subscribe, bytes({0, 1, 0xff}));
      sub.set(option::unsubscribe, "topic");
      CHECK(recv_msg(xpub) == parts{sub_cmd("topic")});
      CHECK(recv_msg(xpub) == parts{sub_cmd(bytes({0, 1, 0xff}))});
      CHECK(recv_msg(xpub) == parts{unsub_cmd("topic")});
    }
  }

  TEST_CASE("XPUB: 'SHALL if the subscriber peer disconnects prematurely generate a suitable unsubscribe "
            "request for the calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub);
      const std::string ep = bind_somewhere(xpub, t);
      {
        msg::socket sub(ctx, socket_type::sub);
        sub.connect(ep);
        sub.set(option::subscribe, "x");
        sub.set(option::subscribe, "y");
        CHECK(recv_msg(xpub) == parts{sub_cmd("x")});
        CHECK(recv_msg(xpub) == parts{sub_cmd("y")});
      }  // gone without unsubscribing
      const std::set<std::string> unsubs{recv_msg(xpub).front(), recv_msg(xpub).front()};
      CHECK(unsubs == std::set<std::string>{unsub_cmd("x"), unsub_cmd("y")});
    }
  }

  // ----------------------------------------------------------------- SUB ----

  TEST_CASE("SUB: 'SHALL only receive messages'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), pub(ctx, socket_type::pub);
      sub.set(option::subscribe, "");
      pub.connect(bind_somewhere(sub, t));
      CHECK(send_refused(sub));
      CHECK_FALSE(sub.writable());
      CHECK(await_subscription(pub, sub, "").empty());  // receiving works
    }
  }

  TEST_CASE("SUB: 'SHALL maintain a single incoming message queue for each connected publisher'") {
    // Observable consequence: a publisher filling its queue does not hold up another one.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), flood(ctx, socket_type::pub), other(ctx, socket_type::pub);
      sub.set(option::rcvhwm, 1);
      flood.set(option::sndhwm, 1);
      sub.set(option::subscribe, "f");
      sub.set(option::subscribe, "o");
      const std::string ep = bind_somewhere(sub, t);
      flood.connect(ep);
      other.connect(ep);
      await_subscription(flood, sub, "f");
      await_subscription(other, sub, "o");
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(flood, {numbered_kib("f", i)}));
      REQUIRE(send_without_blocking(other, {"o-1"}));
      const std::vector<parts> from_flood = recv_until(sub, "o-1");
      CHECK(from_flood.size() < static_cast<std::size_t>(burst));
      check_in_order_subset(from_flood, "f");
    }
  }

  TEST_CASE("SUB: 'SHALL create a queue when initiating an outgoing connection to a publisher and SHALL "
            "maintain the queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub);
      const std::string ep = reserve_endpoint(t);
      sub.connect(ep);
      sub.set(option::subscribe, "t");  // before the publisher exists: kept in the queue
      msg::socket pub(ctx, socket_type::pub);
      pub.bind(ep);
      CHECK(await_subscription(pub, sub, "t").empty());
      REQUIRE(send_without_blocking(pub, {"t-1", "two parts"}));
      CHECK(recv_msg(sub) == parts{"t-1", "two parts"});
    }
  }

  TEST_CASE("SUB: 'SHALL create a queue when a publisher connects to it. If this publisher disconnects the SUB "
            "socket SHALL destroy its queue and SHALL discard any messages it contains'") {
    // The publisher disconnects with LINGER 0, i.e. at once (see spec_pipeline.cpp's PULL test).
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), pub(ctx, socket_type::pub);
      pub.set(option::linger, 0);
      sub.set(option::subscribe, "m");
      sub.set(option::subscribe, "sync");
      const std::string ep = bind_somewhere(sub, t);
      event_watch events(ctx, sub, msg::monitor_event::disconnected);
      pub.connect(ep);
      CHECK(await_subscription(pub, sub, "sync").empty());  // a queue exists for it
      for (int i = 0; i < 3; ++i) REQUIRE(send_without_blocking(pub, {"m-old-" + std::to_string(i)}));
      pub.disconnect(ep);  // three messages unread
      REQUIRE(events.wait_for(msg::monitor_event::disconnected));  // over the wire it is seen later
      pub.connect(ep);     // a new connection, a new queue
      const std::vector<parts> before = await_subscription(pub, sub, "sync");
      CHECK_MESSAGE(before.empty(), "messages of the old queue were delivered");
      REQUIRE(send_without_blocking(pub, {"m-new"}));
      CHECK(recv_msg(sub) == parts{"m-new"});
    }
  }

  TEST_CASE("SUB: 'SHALL silently discard messages if the queue for a publisher is full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), pub(ctx, socket_type::pub);
      sub.set(option::rcvhwm, 1);  // the publisher keeps its default SNDHWM
      sub.set(option::subscribe, "");
      pub.connect(bind_somewhere(sub, t));
      await_subscription(pub, sub, "");
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(pub, {numbered_kib("m", i)}));
      const std::vector<parts> got = drain_until_marker(sub, [&] { send_without_blocking(pub, {"end"}); }, "end");
      CHECK(got.size() < static_cast<std::size_t>(burst));
      check_in_order_subset(got, "m");
    }
  }

  TEST_CASE("SUB: 'SHALL receive incoming messages from its publishers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      // Publishers that push back (XPUB_NODROP) fill their paths: each of the SUB's queues
      // holds at least 4 messages when it starts reading, on every transport.
      msg::socket sub(ctx, socket_type::sub), a(ctx, socket_type::xpub), b(ctx, socket_type::xpub);
      sub.set(option::rcvhwm, 8);
      sub.set(option::subscribe, "a");
      sub.set(option::subscribe, "b");
      for (msg::socket* p : {&a, &b}) p->set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(sub, t);
      a.connect(ep);
      b.connect(ep);
      await_subscription(a, sub, "a");  // its probes must not be refused: NODROP only from now on
      await_subscription(b, sub, "b");
      for (msg::socket* p : {&a, &b}) p->set(option::xpub_nodrop, 1);
      saturate(a, t, [](int i) { return parts{"a", padded("", i)}; });
      saturate(b, t, [](int i) { return parts{"b", padded("", i)}; });
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 8; ++i) {
        const parts p = recv_msg(sub);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == padded("", p[0] == "a" ? next_a++ : next_b++));
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("SUB: 'SHALL not modify incoming messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), xpub(ctx, socket_type::xpub);
      sub.set(option::subscribe, "");
      xpub.connect(bind_somewhere(sub, t));
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      const std::vector<parts> sent{
          {"", "x"},
          {all_byte_values(), ""},
          {large_body()},
          {sub_cmd("s"), unsub_cmd("u")},
      };
      for (const parts& p : sent) REQUIRE(send_without_blocking(xpub, p));
      REQUIRE(send_without_blocking(xpub, {"marker"}));
      CHECK(recv_until(sub, "marker") == sent);
    }
  }

  // "MAY, depending on the transport, filter messages according to subscriptions, using a
  // prefix match algorithm": troupe's SUB does (as libzmq's), on every transport.
  TEST_CASE("SUB: 'MAY ... filter messages according to subscriptions using a prefix match algorithm'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), xpub(ctx, socket_type::xpub);
      sub.set(option::subscribe, "ab");
      xpub.connect(bind_somewhere(sub, t));
      CHECK(recv_msg(xpub) == parts{sub_cmd("ab")});
      for (const char* m : {"a", "ab", "b", "abc", "xab", "", "AB", "ab-end"}) REQUIRE(send_without_blocking(xpub, {m}));
      CHECK(recv_until(sub, "ab-end") == std::vector<parts>{{"ab"}, {"abc"}});
    }
  }

  TEST_CASE("SUB: 'SHALL deliver messages to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub), xpub(ctx, socket_type::xpub);
      sub.set(option::subscribe, "");
      xpub.connect(bind_somewhere(sub, t));
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      for (int i = 0; i < 100; ++i) REQUIRE(send_without_blocking(xpub, {std::to_string(i), "tail"}));
      for (int i = 0; i < 100; ++i) CHECK(recv_msg(sub) == parts{std::to_string(i), "tail"});
      CHECK(nothing_pending(sub));
    }
  }

  // ---------------------------------------------------------------- XSUB ----

  TEST_CASE("XSUB: 'SHALL maintain a double queue for each connected publisher allowing outgoing and incoming "
            "messages to be queued independently'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), a(ctx, socket_type::xpub), b(ctx, socket_type::xpub);
      xsub.set(option::rcvhwm, 1);
      a.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(xsub, t);
      a.connect(ep);
      b.connect(ep);
      REQUIRE(send_without_blocking(xsub, {sub_cmd("")}));
      CHECK(recv_msg(a) == parts{sub_cmd("")});
      CHECK(recv_msg(b) == parts{sub_cmd("")});
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(a, {numbered_kib("a", i)}));
      // The queue from a is full; the queues to a and b are not.
      REQUIRE(send_without_blocking(xsub, {"up"}));
      CHECK(recv_msg(a) == parts{"up"});
      CHECK(recv_msg(b) == parts{"up"});
      check_in_order_subset(drain_until_marker(xsub, [&] { send_without_blocking(a, {"end"}); }, "end"), "a");
    }
  }

  TEST_CASE("XSUB: 'SHALL create a double queue when initiating an outgoing connection to a publisher and "
            "SHALL maintain the double queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub);
      const std::string ep = reserve_endpoint(t);
      xsub.connect(ep);
      REQUIRE(send_without_blocking(xsub, {sub_cmd("topic")}));  // before the publisher exists
      msg::socket xpub(ctx, socket_type::xpub);
      xpub.bind(ep);
      CHECK(recv_msg(xpub) == parts{sub_cmd("topic")});
      REQUIRE(send_without_blocking(xpub, {"topic-1"}));
      CHECK(recv_msg(xsub) == parts{"topic-1"});
    }
  }

  TEST_CASE("XSUB: 'SHALL create a double queue when a publisher connects to it. If this publisher disconnects "
            "the XSUB socket SHALL destroy its double queue and SHALL discard any messages it contains'") {
    // The publisher disconnects with LINGER 0, i.e. at once (see spec_pipeline.cpp's PULL test).
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), xpub(ctx, socket_type::xpub);
      xpub.set(option::linger, 0);
      const std::string ep = bind_somewhere(xsub, t);
      event_watch events(ctx, xsub, msg::monitor_event::disconnected);
      xpub.connect(ep);
      REQUIRE(send_without_blocking(xsub, {sub_cmd("m")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("m")});  // a queue exists for it
      for (int i = 0; i < 3; ++i) REQUIRE(send_without_blocking(xpub, {"m-old-" + std::to_string(i)}));
      xpub.disconnect(ep);  // three messages unread
      REQUIRE(events.wait_for(msg::monitor_event::disconnected));  // over the wire it is seen later
      xpub.connect(ep);     // a new connection, a new queue: the XSUB subscribes on it again
      parts up;
      do {
        up = recv_msg(xpub);  // the XPUB may first pass up the old connection's "unsubscribe m"
      } while (up == parts{unsub_cmd("m")});
      CHECK(up == parts{sub_cmd("m")});
      REQUIRE(send_without_blocking(xpub, {"m-new"}));
      CHECK(recv_msg(xsub) == parts{"m-new"});
    }
  }

  TEST_CASE("XSUB: 'SHALL not modify incoming messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), xpub(ctx, socket_type::xpub);
      xpub.connect(bind_somewhere(xsub, t));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      const std::vector<parts> sent{
          {"", "x"},
          {all_byte_values(), ""},
          {large_body()},
          {sub_cmd("s"), unsub_cmd("u")},
      };
      for (const parts& p : sent) REQUIRE(send_without_blocking(xpub, p));
      REQUIRE(send_without_blocking(xpub, {"marker"}));
      CHECK(recv_until(xsub, "marker") == sent);
    }
  }

  TEST_CASE("XSUB: 'SHALL silently discard messages if the incoming queue for a publisher is full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), pub(ctx, socket_type::pub);
      xsub.set(option::rcvhwm, 1);
      pub.connect(bind_somewhere(xsub, t));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("")}));
      await_subscription(pub, xsub, "");
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(pub, {numbered_kib("m", i)}));
      const std::vector<parts> got = drain_until_marker(xsub, [&] { send_without_blocking(pub, {"end"}); }, "end");
      CHECK(got.size() < static_cast<std::size_t>(burst));
      check_in_order_subset(got, "m");
    }
  }

  TEST_CASE("XSUB: 'SHALL receive incoming messages from its publishers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      // Publishers that push back (XPUB_NODROP) fill their paths: each of the XSUB's queues
      // holds at least 4 messages when it starts reading, on every transport.
      msg::socket xsub(ctx, socket_type::xsub), a(ctx, socket_type::xpub), b(ctx, socket_type::xpub);
      xsub.set(option::rcvhwm, 8);
      for (msg::socket* p : {&a, &b}) {
        p->set(option::xpub_nodrop, 1);
        p->set(option::sndhwm, 1);
      }
      const std::string ep = bind_somewhere(xsub, t);
      a.connect(ep);
      b.connect(ep);
      REQUIRE(send_without_blocking(xsub, {sub_cmd("")}));
      CHECK(recv_msg(a) == parts{sub_cmd("")});
      CHECK(recv_msg(b) == parts{sub_cmd("")});
      saturate(a, t, [](int i) { return parts{"a", padded("", i)}; });
      saturate(b, t, [](int i) { return parts{"b", padded("", i)}; });
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 8; ++i) {
        const parts p = recv_msg(xsub);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == padded("", p[0] == "a" ? next_a++ : next_b++));
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("XSUB: 'SHALL deliver messages to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), xpub(ctx, socket_type::xpub);
      xpub.connect(bind_somewhere(xsub, t));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("")});
      for (int i = 0; i < 100; ++i) REQUIRE(send_without_blocking(xpub, {std::to_string(i), "tail"}));
      for (int i = 0; i < 100; ++i) CHECK(recv_msg(xsub) == parts{std::to_string(i), "tail"});
      CHECK(nothing_pending(xsub));
    }
  }

  TEST_CASE("XSUB: 'SHALL not modify outgoing messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), xpub(ctx, socket_type::xpub);
      xsub.connect(bind_somewhere(xpub, t));
      // Data messages (a first part not starting with 0x00/0x01), and a subscription as it is.
      const std::vector<parts> sent{
          {"data", all_byte_values()},
          {"", "empty first part"},
          {large_body()},
          {sub_cmd(bytes({0, 0xff}) + "binary")},
      };
      for (const parts& p : sent) REQUIRE(send_without_blocking(xsub, p));
      REQUIRE(send_without_blocking(xsub, {"marker"}));
      CHECK(recv_until(xpub, "marker") == sent);
    }
  }

  TEST_CASE("XSUB: 'SHALL send all messages to all connected publishers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub);
      std::vector<msg::socket> pubs;
      for (int i = 0; i < 3; ++i) {
        pubs.emplace_back(ctx, socket_type::xpub);
        xsub.connect(bind_somewhere(pubs.back(), t));
      }
      REQUIRE(send_without_blocking(xsub, {sub_cmd("t")}));
      REQUIRE(send_without_blocking(xsub, {"data", "2"}));
      REQUIRE(send_without_blocking(xsub, {unsub_cmd("t")}));
      for (msg::socket& p : pubs) {
        CHECK(recv_msg(p) == parts{sub_cmd("t")});
        CHECK(recv_msg(p) == parts{"data", "2"});
        CHECK(recv_msg(p) == parts{unsub_cmd("t")});
      }
    }
  }

  TEST_CASE("XSUB: 'SHALL silently drop the message if the outgoing queue for a publisher is full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), xpub(ctx, socket_type::xpub);
      xsub.set(option::sndhwm, 1);
      xpub.set(option::rcvhwm, 1);
      xsub.connect(bind_somewhere(xpub, t));
      REQUIRE(send_without_blocking(xsub, {"hello"}));
      CHECK(recv_msg(xpub) == parts{"hello"});
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(xsub, {numbered_kib("d", i)}));
      const std::vector<parts> got = drain_until_marker(xpub, [&] { send_without_blocking(xsub, {"end"}); }, "end");
      CHECK(got.size() < static_cast<std::size_t>(burst));
      check_in_order_subset(got, "d");
    }
  }

  TEST_CASE("XSUB: 'SHALL NOT block on sending'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub);
      xsub.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(xsub, t);
      for (int i = 0; i < 100; ++i) REQUIRE(send_without_blocking(xsub, {"no publisher"}));
      CHECK(xsub.writable());
      msg::socket xpub(ctx, socket_type::xpub);  // a publisher that never reads
      xpub.set(option::rcvhwm, 1);
      xpub.connect(ep);
      for (int i = 0; i < 2000; ++i) REQUIRE(send_without_blocking(xsub, {numbered_kib("d", i)}));
      CHECK(xsub.writable());
    }
  }

  TEST_CASE("XSUB: 'SHALL accept subscription commands from its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), pub(ctx, socket_type::pub);
      pub.connect(bind_somewhere(xsub, t));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("ab")}));  // taken as a command: the PUB filters by it
      await_subscription(pub, xsub, "ab");
      for (const char* m : {"ab-1", "cd-1", "ab-end"}) REQUIRE(send_without_blocking(pub, {m}));
      CHECK(recv_until(xsub, "ab-end") == std::vector<parts>{{"ab-1"}});
      REQUIRE(send_without_blocking(xsub, {unsub_cmd("ab")}));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("zz")}));
      await_subscription(pub, xsub, "zz");
      for (const char* m : {"ab-2", "zz-end"}) REQUIRE(send_without_blocking(pub, {m}));
      CHECK(recv_until(xsub, "zz-end").empty());
    }
  }

  TEST_CASE("XSUB: 'SHALL send subscribe and unsubscribe requests to publishers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket xsub(ctx, socket_type::xsub), xpub(ctx, socket_type::xpub);
      xsub.connect(bind_somewhere(xpub, t));
      REQUIRE(send_without_blocking(xsub, {sub_cmd("ab")}));
      REQUIRE(send_without_blocking(xsub, {sub_cmd(bytes({0, 0xff}))}));
      REQUIRE(send_without_blocking(xsub, {unsub_cmd("ab")}));
      CHECK(recv_msg(xpub) == parts{sub_cmd("ab")});
      CHECK(recv_msg(xpub) == parts{sub_cmd(bytes({0, 0xff}))});
      CHECK(recv_msg(xpub) == parts{unsub_cmd("ab")});
    }
  }
}
