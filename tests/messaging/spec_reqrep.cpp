// RFC 28/REQREP (rfc.zeromq.org/spec:28): one test per SHALL clause of REQ, REP, DEALER and
// ROUTER, run over every transport. Clauses quoted in the test names; see spec_support.hpp for
// the rules.
#include "spec_support.hpp"

#include <set>
#include <thread>

using namespace troupe_test;
using namespace troupe_test::spec;

namespace {

/// The error kind `fn` throws, or nullopt if it does not throw a messaging error.
template <class Fn>
std::optional<msg::errc> error_of(Fn&& fn) {
  try {
    fn();
  } catch (const msg::error& e) {
    return e.kind();
  }
  return std::nullopt;
}

/// A 1 KiB body starting with the number `i` (drop tests send many: they must overflow every
/// buffer of every transport, kernel socket buffers included).
std::string numbered_kib(int i) {
  std::string s = std::to_string(i);
  s.resize(1024, '.');
  return s;
}

}  // namespace

TEST_SUITE("spec-reqrep") {
  // ----------------------------------------------------------------- REQ ----

  TEST_CASE("REQ: 'SHALL send and then receive exactly one message at a time'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req), rep(ctx, socket_type::rep);
      req.connect(bind_somewhere(rep, t));
      msg::message m;
      CHECK(error_of([&] { req.recv(m, flags::dontwait); }) == msg::errc::wrong_state);  // nothing sent
      send_parts(req, {"request", "in two parts"});  // one message
      CHECK(error_of([&] { req.send("second request"); }) == msg::errc::wrong_state);
      CHECK(recv_msg(rep) == parts{"request", "in two parts"});
      send_parts(rep, {"reply"});
      CHECK(recv_msg(req) == parts{"reply"});
      CHECK(error_of([&] { req.recv(m, flags::dontwait); }) == msg::errc::wrong_state);  // one reply only
      send_parts(req, {"next"});
      CHECK(recv_msg(rep) == parts{"next"});
    }
  }

  TEST_CASE("REQ: 'The request and reply messages SHALL have this format on the wire' - delimiter then data") {
    // A reply without the empty delimiter frame is not a reply: REQ drops it.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req), router(ctx, socket_type::router);
      req.connect(bind_somewhere(router, t));
      send_parts(req, {"q"});
      const parts request = recv_msg(router);
      REQUIRE(request.size() == 3);
      const std::string id = request[0];
      send_parts(router, {id, "no delimiter"});
      send_parts(router, {id, "not-empty", "", "wrong delimiter"});
      send_parts(router, {id, "", "good", "reply"});
      CHECK(recv_msg(req) == parts{"good", "reply"});
      send_parts(req, {"q2"});  // and it is back to sending: the bad ones left nothing behind
      CHECK(recv_msg(router) == parts{id, "", "q2"});
    }
  }

  TEST_CASE("REQ: 'SHALL prefix the outgoing message with an empty delimiter frame'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req), router(ctx, socket_type::router);
      req.set(option::routing_id, "req-1");
      req.connect(bind_somewhere(router, t));
      send_parts(req, {"hello", "world"});
      CHECK(recv_msg(router) == parts{"req-1", "", "hello", "world"});
    }
  }

  TEST_CASE("REQ: 'SHALL route outgoing messages to connected peers using a round-robin strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req);
      std::vector<msg::socket> reps;
      for (int i = 0; i < 3; ++i) {
        reps.emplace_back(ctx, socket_type::rep);
        req.connect(bind_somewhere(reps.back(), t));
      }
      std::vector<msg::socket*> ptrs{&reps[0], &reps[1], &reps[2]};
      std::vector<std::size_t> served;
      for (int i = 0; i < 6; ++i) {
        const std::string q = "q" + std::to_string(i);
        send_parts(req, {q});
        const std::size_t k = wait_readable(ptrs);
        CHECK(recv_msg(reps[k]) == parts{q});
        send_parts(reps[k], {"r" + std::to_string(i)});
        CHECK(recv_msg(req) == parts{"r" + std::to_string(i)});
        served.push_back(k);
      }
      CHECK(std::set<std::size_t>(served.begin(), served.begin() + 3) == std::set<std::size_t>{0, 1, 2});
      for (std::size_t i = 3; i < served.size(); ++i) CHECK(served[i] == served[i - 3]);
    }
  }

  TEST_CASE("REQ: 'SHALL block on sending or return a suitable error when it has no connected peers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req);
      const std::string ep = bind_somewhere(req, t);
      CHECK_FALSE(try_send(req, {"q"}));
      CHECK(send_blocks(req, "q"));
      // The request that could not go out did not count: REQ still expects to send.
      msg::message m;
      CHECK(error_of([&] { req.recv(m, flags::dontwait); }) == msg::errc::wrong_state);
      bool sent = false;
      std::thread sender([&] { sent = req.send("late"); });
      msg::socket rep(ctx, socket_type::rep);
      rep.connect(ep);
      CHECK(recv_msg(rep) == parts{"late"});
      sender.join();
      CHECK(sent);
      send_parts(rep, {"answer"});
      CHECK(recv_msg(req) == parts{"answer"});
    }
  }

  TEST_CASE("REQ: 'SHALL NOT discard messages that it cannot send to a connected peer'") {
    // Connected but not established yet: the request waits in the queue, it is not dropped.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req);
      const std::string ep = reserve_endpoint(t);
      req.connect(ep);
      CHECK(try_send(req, {"early", "request"}));
      msg::socket rep(ctx, socket_type::rep);
      rep.bind(ep);
      CHECK(recv_msg(rep) == parts{"early", "request"});
      send_parts(rep, {"answer"});
      CHECK(recv_msg(req) == parts{"answer"});
    }
  }

  TEST_CASE("REQ: 'SHALL accept an incoming message only from the last peer that it sent a request to'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req), x(ctx, socket_type::router), y(ctx, socket_type::router);
      req.set(option::routing_id, "req");
      x.set(option::router_mandatory, 1);
      y.set(option::router_mandatory, 1);
      req.connect(bind_somewhere(x, t));
      req.connect(bind_somewhere(y, t));
      send_parts(req, {"request"});
      std::vector<msg::socket*> routers{&x, &y};
      const std::size_t k = wait_readable(routers);
      msg::socket& asked = *routers[k];
      msg::socket& other = *routers[1 - k];
      send_when_routable(other, {"req", "", "not from the one asked"});
      REQUIRE(wait_until([&] { return req.readable(); }));  // it is there (and will be dropped)
      CHECK(recv_msg(asked) == parts{"req", "", "request"});
      send_parts(asked, {"req", "", "the reply"});
      CHECK(recv_msg(req) == parts{"the reply"});
    }
  }

  TEST_CASE("REQ: 'SHALL discard silently any messages received from other peers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket req(ctx, socket_type::req), x(ctx, socket_type::router), y(ctx, socket_type::router);
      req.set(option::routing_id, "req");
      x.set(option::router_mandatory, 1);
      y.set(option::router_mandatory, 1);
      req.connect(bind_somewhere(x, t));
      req.connect(bind_somewhere(y, t));
      send_parts(req, {"request-1"});
      std::vector<msg::socket*> routers{&x, &y};
      const std::size_t k = wait_readable(routers);
      msg::socket& asked = *routers[k];
      msg::socket& other = *routers[1 - k];
      send_when_routable(other, {"req", "", "stray"});
      REQUIRE(wait_until([&] { return req.readable(); }));
      msg::message m;
      bool got = true;
      CHECK_NOTHROW(got = req.recv(m, flags::dontwait));  // silently: no error ...
      CHECK_FALSE(got);                                   // ... and nothing delivered
      CHECK(recv_msg(asked) == parts{"req", "", "request-1"});
      send_parts(asked, {"req", "", "reply-1"});
      CHECK(recv_msg(req) == parts{"reply-1"});
      // Round-robin: the next request goes to the other peer. The stray message is gone for
      // good: it is not taken for the reply from that peer now.
      send_parts(req, {"request-2"});
      CHECK(recv_msg(other) == parts{"req", "", "request-2"});
      send_parts(other, {"req", "", "reply-2"});
      CHECK(recv_msg(req) == parts{"reply-2"});
    }
  }

  // ----------------------------------------------------------------- REP ----

  TEST_CASE("REP: 'SHALL not filter or modify outgoing or incoming messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      dealer.connect(bind_somewhere(rep, t));
      send_parts(dealer, {"", all_byte_values(), "", large_body()});
      CHECK(recv_msg(rep) == parts{all_byte_values(), "", large_body()});
      send_parts(rep, {large_body(), "", bytes({0, 1})});
      CHECK(recv_msg(dealer) == parts{"", large_body(), "", bytes({0, 1})});
    }
  }

  TEST_CASE("REP: 'SHALL receive and then send exactly one message at a time'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), req(ctx, socket_type::req);
      req.connect(bind_somewhere(rep, t));
      CHECK(error_of([&] { rep.send("unasked"); }) == msg::errc::wrong_state);
      send_parts(req, {"q1"});
      CHECK(recv_msg(rep) == parts{"q1"});
      msg::message m;
      CHECK(error_of([&] { rep.recv(m, flags::dontwait); }) == msg::errc::wrong_state);
      send_parts(rep, {"r1"});
      CHECK(error_of([&] { rep.send("second reply"); }) == msg::errc::wrong_state);
      CHECK(recv_msg(req) == parts{"r1"});
      send_parts(req, {"q2"});
      CHECK(recv_msg(rep) == parts{"q2"});
    }
  }

  TEST_CASE("REP: 'The request and reply messages SHALL have this format on the wire' - envelope delimiter "
            "data") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      dealer.connect(bind_somewhere(rep, t));
      send_parts(dealer, {"no delimiter: not a request"});
      send_parts(dealer, {"", "empty envelope"});  // zero identity frames
      CHECK(recv_msg(rep) == parts{"empty envelope"});
      send_parts(rep, {"r1"});
      CHECK(recv_msg(dealer) == parts{"", "r1"});
      send_parts(dealer, {"id-1", "id-2", "", "two identities"});
      CHECK(recv_msg(rep) == parts{"two identities"});
      send_parts(rep, {"r2"});
      CHECK(recv_msg(dealer) == parts{"id-1", "id-2", "", "r2"});
    }
  }

  TEST_CASE("REP: 'SHALL receive incoming messages from its peers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
      rep.set(option::rcvhwm, 3);
      a.set(option::sndhwm, 1);
      b.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(rep, t);
      a.connect(ep);
      b.connect(ep);
      // Saturated senders: each of the REP's queues holds (at least) 3 requests when it starts.
      saturate(a, t, [](int i) { return parts{"", "a", padded("", i)}; });
      saturate(b, t, [](int i) { return parts{"", "b", padded("", i)}; });
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 6; ++i) {
        const parts p = recv_msg(rep);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == padded("", p[0] == "a" ? next_a++ : next_b++));
        send_parts(rep, {"ok"});
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("REP: 'SHALL remove and store the address envelope including the delimiter'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      dealer.connect(bind_somewhere(rep, t));
      send_parts(dealer, {"hop", "", "payload"});
      msg::message m = recv_within(rep);
      CHECK(m.view() == "payload");  // removed: neither the identity nor the delimiter shows
      CHECK_FALSE(m.more());
      send_parts(rep, {"ok"});  // stored: it comes back on the reply
      CHECK(recv_msg(dealer) == parts{"hop", "", "ok"});
    }
  }

  TEST_CASE("REP: 'SHALL pass the remaining data frames to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      dealer.connect(bind_somewhere(rep, t));
      send_parts(dealer, {"", "d1", "", "d3", ""});  // empty data frames are data, not delimiters
      CHECK(recv_msg(rep) == parts{"d1", "", "d3", ""});
    }
  }

  TEST_CASE("REP: 'SHALL wait for a single reply message from its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      dealer.connect(bind_somewhere(rep, t));
      send_parts(dealer, {"", "q"});
      CHECK(recv_msg(rep) == parts{"q"});
      msg::message first("part-1");
      REQUIRE(rep.send(first, flags::sndmore));
      // Not a whole reply yet: nothing of it goes out. (The check is immediate: a sent part
      // would already be in the peer's queue on inproc; no marker can follow a half message.)
      CHECK(nothing_pending(dealer));
      send_parts(rep, {"part-2"});
      CHECK(recv_msg(dealer) == parts{"", "part-1", "part-2"});
      CHECK(error_of([&] { rep.send("another"); }) == msg::errc::wrong_state);  // a single reply
    }
  }

  TEST_CASE("REP: 'SHALL prepend the address envelope and delimiter'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      dealer.connect(bind_somewhere(rep, t));
      const std::string binary_id = bytes({0, 1, 2, 0xff});
      send_parts(dealer, {binary_id, "hop-2", "hop-3", "", "q1"});
      CHECK(recv_msg(rep) == parts{"q1"});
      send_parts(rep, {"r1", "more"});
      CHECK(recv_msg(dealer) == parts{binary_id, "hop-2", "hop-3", "", "r1", "more"});
      send_parts(dealer, {"other", "", "q2"});  // each request's own envelope
      CHECK(recv_msg(rep) == parts{"q2"});
      send_parts(rep, {"r2"});
      CHECK(recv_msg(dealer) == parts{"other", "", "r2"});
    }
  }

  TEST_CASE("REP: 'SHALL deliver this message back to the originating peer'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), a(ctx, socket_type::req), b(ctx, socket_type::req);
      const std::string ep = bind_somewhere(rep, t);
      a.connect(ep);
      b.connect(ep);
      send_parts(a, {"from-a"});
      send_parts(b, {"from-b"});
      for (int i = 0; i < 2; ++i) {
        const parts q = recv_msg(rep);
        send_parts(rep, {"re:" + q.front()});
      }
      CHECK(recv_msg(a) == parts{"re:from-a"});
      CHECK(recv_msg(b) == parts{"re:from-b"});
    }
  }

  TEST_CASE("REP: 'SHALL silently discard the reply or return an error if the originating peer is no longer "
            "connected'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep);
      const std::string ep = bind_somewhere(rep, t);
      {
        msg::socket gone(ctx, socket_type::req);
        gone.set(option::linger, 0);
        gone.connect(ep);
        send_parts(gone, {"q-gone"});
        CHECK(recv_msg(rep) == parts{"q-gone"});
      }
      bool discarded = false;
      try {
        discarded = send_without_blocking(rep, {"orphan reply"});  // silently dropped ...
      } catch (const msg::error&) {
        discarded = true;  // ... or an error: both allowed
      }
      CHECK(discarded);
      // REP carries on with the next peer, and the orphan reply reaches nobody.
      msg::socket next(ctx, socket_type::req);
      next.connect(ep);
      send_parts(next, {"q-next"});
      CHECK(recv_msg(rep) == parts{"q-next"});
      send_parts(rep, {"r-next"});
      CHECK(recv_msg(next) == parts{"r-next"});
    }
  }

  TEST_CASE("REP: 'SHALL not block on sending'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket rep(ctx, socket_type::rep), dealer(ctx, socket_type::dealer);
      rep.set(option::sndhwm, 1);
      dealer.set(option::rcvhwm, 1);
      dealer.connect(bind_somewhere(rep, t));
      // Far more replies than the dealer's queue (or any socket buffer) takes; it never reads.
      for (int i = 0; i < 2000; ++i) {
        send_parts(dealer, {"", std::to_string(i)});
        REQUIRE(recv_msg(rep) == parts{std::to_string(i)});
        REQUIRE(send_without_blocking(rep, {numbered_kib(i)}));
      }
    }
  }

  // -------------------------------------------------------------- DEALER ----

  TEST_CASE("DEALER: 'SHALL not filter or modify outgoing or incoming messages in any way'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), router(ctx, socket_type::router);
      dealer.set(option::routing_id, "d");
      dealer.connect(bind_somewhere(router, t));
      send_parts(dealer, {all_byte_values(), "", large_body()});
      CHECK(recv_msg(router) == parts{"d", all_byte_values(), "", large_body()});
      send_parts(router, {"d", "", bytes({0}), large_body(), ""});
      CHECK(recv_msg(dealer) == parts{"", bytes({0}), large_body(), ""});
    }
  }

  TEST_CASE("DEALER: 'SHALL maintain a double queue for each connected peer allowing outgoing and incoming "
            "messages to be queued independently'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), router(ctx, socket_type::router);
      dealer.set(option::routing_id, "d");
      dealer.set(option::sndhwm, 1);
      router.set(option::rcvhwm, 1);
      dealer.connect(bind_somewhere(router, t));
      send_parts(dealer, {"hello"});
      CHECK(recv_msg(router) == parts{"d", "hello"});
      const int n = saturate(dealer, t, [](int i) { return parts{padded("out-", i)}; });
      CHECK_FALSE(dealer.writable());  // outgoing full ...
      send_parts(router, {"d", "in-0"});  // ... incoming is not
      send_parts(router, {"d", "in-1"});
      CHECK(recv_msg(dealer) == parts{"in-0"});
      CHECK(recv_msg(dealer) == parts{"in-1"});
      for (int i = 0; i < n; ++i) CHECK(recv_msg(router) == parts{"d", padded("out-", i)});
    }
  }

  TEST_CASE("DEALER: 'SHALL create a double queue when initiating an outgoing connection to a peer and SHALL "
            "maintain the double queue whether or not the connection is established'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer);
      dealer.set(option::routing_id, "d");
      const std::string ep = reserve_endpoint(t);
      dealer.connect(ep);
      CHECK(try_send(dealer, {"early-1"}));
      CHECK(try_send(dealer, {"early-2", "more"}));
      msg::socket router(ctx, socket_type::router);
      router.bind(ep);
      CHECK(recv_msg(router) == parts{"d", "early-1"});
      CHECK(recv_msg(router) == parts{"d", "early-2", "more"});
      send_parts(router, {"d", "back"});
      CHECK(recv_msg(dealer) == parts{"back"});
    }
  }

  TEST_CASE("DEALER: 'SHALL create a double queue when a peer connects to it. If this peer disconnects the "
            "DEALER socket SHALL destroy its double queue and SHALL discard any messages it contains'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer);
      const std::string ep = bind_somewhere(dealer, t);
      {
        msg::socket gone(ctx, socket_type::dealer);
        gone.set(option::linger, 0);  // disconnects at once, see spec_pipeline.cpp's PULL test
        gone.connect(ep);
        send_parts(gone, {"hello"});
        CHECK(recv_msg(dealer) == parts{"hello"});
        for (int i = 0; i < 3; ++i) send_parts(dealer, {"out-" + std::to_string(i)});  // unread by gone
        for (int i = 0; i < 3; ++i) send_parts(gone, {"in-" + std::to_string(i)});     // unread by dealer
      }
      CHECK(wait_until([&] { return !dealer.writable(); }));  // no peer, no queue
      msg::socket next(ctx, socket_type::dealer);
      next.connect(ep);
      send_parts(dealer, {"marker-out"});
      CHECK(recv_msg(next) == parts{"marker-out"});
      send_parts(next, {"marker-in"});
      CHECK(recv_until(dealer, "marker-in").empty());
    }
  }

  TEST_CASE("DEALER: 'SHALL consider a peer as available only when it has a outgoing queue that is not full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), a(ctx, socket_type::router), b(ctx, socket_type::router);
      dealer.set(option::routing_id, "d");
      dealer.set(option::sndhwm, 1);
      a.set(option::rcvhwm, 1);
      b.set(option::rcvhwm, 1);
      dealer.connect(bind_somewhere(a, t));
      dealer.connect(bind_somewhere(b, t));
      const int n = saturate(dealer, t, [](int i) { return parts{padded("m", i)}; });
      CHECK(n >= 2);
      CHECK_FALSE(dealer.writable());
      std::vector<parts> at_b = recv_until_writable(b, dealer);  // b makes room, a stays full
      CHECK_FALSE(at_b.empty());
      CHECK(try_send(dealer, {"x"}));
      for (;;) {
        at_b.push_back(recv_msg(b));
        if (at_b.back() == parts{"d", "x"}) break;
      }
      const int at_a = n - static_cast<int>(at_b.size() - 1);
      CHECK(at_a >= 1);
      for (int i = 0; i < at_a; ++i) CHECK(recv_msg(a) != parts{"d", "x"});
      CHECK(nothing_pending(a));
    }
  }

  TEST_CASE("DEALER: 'SHALL route outgoing messages to available peers using a round-robin strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer);
      dealer.set(option::routing_id, "d");
      std::vector<msg::socket> routers;
      for (int i = 0; i < 3; ++i) {
        routers.emplace_back(ctx, socket_type::router);
        dealer.connect(bind_somewhere(routers.back(), t));
      }
      for (int i = 0; i < 9; ++i) send_parts(dealer, {std::to_string(i)});
      std::set<int> offsets;
      for (msg::socket& r : routers) {
        const parts first = recv_msg(r);
        REQUIRE(first.size() == 2);
        const int k = std::stoi(first[1]);
        CHECK(recv_msg(r) == parts{"d", std::to_string(k + 3)});
        CHECK(recv_msg(r) == parts{"d", std::to_string(k + 6)});
        CHECK(nothing_pending(r));
        offsets.insert(k);
      }
      CHECK(offsets == std::set<int>{0, 1, 2});
    }
  }

  TEST_CASE("DEALER: 'SHALL block on sending or return a suitable error when it has no available peers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer);
      dealer.set(option::routing_id, "d");
      const std::string ep = bind_somewhere(dealer, t);
      CHECK_FALSE(try_send(dealer, {"nowhere"}));
      CHECK(send_blocks(dealer, "nowhere"));
      bool sent = false;
      std::thread sender([&] { sent = dealer.send("late"); });
      msg::socket router(ctx, socket_type::router);
      router.connect(ep);
      CHECK(recv_msg(router) == parts{"d", "late"});
      sender.join();
      CHECK(sent);
    }
  }

  TEST_CASE("DEALER: 'SHALL not accept further messages when it has no available peers'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), router(ctx, socket_type::router);
      dealer.set(option::sndhwm, 1);
      router.set(option::rcvhwm, 1);
      dealer.connect(bind_somewhere(router, t));
      const int n = saturate(dealer, t, [](int i) { return parts{padded("", i)}; });
      CHECK(n >= 1);
      for (int i = 0; i < 3; ++i) {
        msg::message m("refused");
        CHECK_FALSE(dealer.send(m, flags::dontwait | flags::sndmore));
        CHECK(m.view() == "refused");
      }
      CHECK_FALSE(dealer.writable());
      CHECK(send_blocks(dealer, "refused"));
    }
  }

  TEST_CASE("DEALER: 'SHALL NOT discard messages that it cannot queue'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), router(ctx, socket_type::router);
      dealer.set(option::routing_id, "d");
      dealer.set(option::sndhwm, 1);
      router.set(option::rcvhwm, 1);
      dealer.connect(bind_somewhere(router, t));
      const int n = saturate(dealer, t, [](int i) { return parts{padded("", i)}; });
      msg::message refused("refused");
      CHECK_FALSE(dealer.send(refused, flags::dontwait));
      for (int i = 0; i < n; ++i) CHECK(recv_msg(router) == parts{"d", padded("", i)});
      REQUIRE(dealer.send(refused));
      CHECK(recv_msg(router) == parts{"d", "refused"});
      std::thread sender([&] {
        for (int i = 0; i < 200; ++i) dealer.send("b" + std::to_string(i));
      });
      for (int i = 0; i < 200; ++i) CHECK(recv_msg(router) == parts{"d", "b" + std::to_string(i)});
      sender.join();
      CHECK(nothing_pending(router));
    }
  }

  TEST_CASE("DEALER: 'SHALL receive incoming messages from its peers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), x(ctx, socket_type::router), y(ctx, socket_type::router);
      dealer.set(option::routing_id, "d");
      dealer.set(option::rcvhwm, 8);
      x.set(option::router_mandatory, 1);  // a full queue refuses (and a blocking send waits)
      y.set(option::router_mandatory, 1);
      x.set(option::sndhwm, 1);
      y.set(option::sndhwm, 1);
      dealer.connect(bind_somewhere(x, t));
      dealer.connect(bind_somewhere(y, t));
      send_when_routable(x, {"d", "a", padded("", 0)});
      send_when_routable(y, {"d", "b", padded("", 0)});
      // Saturated senders: each of the DEALER's queues holds at least 4 messages.
      saturate(x, t, [](int i) { return parts{"d", "a", padded("", i + 1)}; });
      saturate(y, t, [](int i) { return parts{"d", "b", padded("", i + 1)}; });
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 8; ++i) {
        const parts p = recv_msg(dealer);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == padded("", p[0] == "a" ? next_a++ : next_b++));
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("DEALER: 'SHALL deliver these to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket dealer(ctx, socket_type::dealer), router(ctx, socket_type::router);
      dealer.set(option::routing_id, "d");
      router.set(option::router_mandatory, 1);
      dealer.connect(bind_somewhere(router, t));
      send_when_routable(router, {"d", "0", "tail"});
      for (int i = 1; i < 100; ++i) send_parts(router, {"d", std::to_string(i), "tail"});
      for (int i = 0; i < 100; ++i) CHECK(recv_msg(dealer) == parts{std::to_string(i), "tail"});
      CHECK(nothing_pending(dealer));
    }
  }

  // -------------------------------------------------------------- ROUTER ----

  TEST_CASE("ROUTER: 'SHALL maintain a double queue for each connected peer allowing outgoing and incoming "
            "messages to be queued independently'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
      router.set(option::router_mandatory, 1);
      router.set(option::sndhwm, 1);
      a.set(option::routing_id, "a");
      a.set(option::rcvhwm, 1);
      b.set(option::routing_id, "b");
      const std::string ep = bind_somewhere(router, t);
      a.connect(ep);
      b.connect(ep);
      send_when_routable(router, {"a", "to-a-first"});
      send_when_routable(router, {"b", "to-b-first"});
      CHECK(recv_msg(b) == parts{"to-b-first"});  // b's queue is empty again
      const int n = saturate(router, t, [](int i) { return parts{"a", padded("to-a-", i)}; });
      CHECK_FALSE(try_send(router, {"a", "refused"}));  // a's outgoing queue is full ...
      send_parts(a, {"from-a"});                        // ... its incoming queue is not
      CHECK(recv_msg(router) == parts{"a", "from-a"});
      CHECK(try_send(router, {"b", "to-b"}));  // and b has queues of its own
      CHECK(recv_msg(b) == parts{"to-b"});
      CHECK(recv_msg(a) == parts{"to-a-first"});
      for (int i = 0; i < n; ++i) CHECK(recv_msg(a) == parts{padded("to-a-", i)});
    }
  }

  TEST_CASE("ROUTER: 'SHALL create a double queue when initiating an outgoing connection to a peer and SHALL "
            "maintain the double queue whether or not the connection is established'") {
    // A ROUTER cannot address a peer before it knows the peer's identity, so the observable
    // consequence is that a connect made before the peer exists completes: traffic flows both
    // ways through that queue once the peer binds.
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router);
      const std::string ep = reserve_endpoint(t);
      router.connect(ep);
      msg::socket dealer(ctx, socket_type::dealer);
      dealer.bind(ep);
      send_parts(dealer, {"hi"});
      const parts got = recv_msg(router);
      REQUIRE(got.size() == 2);
      CHECK_FALSE(got[0].empty());
      CHECK(got[1] == "hi");
      send_parts(router, {got[0], "back"});
      CHECK(recv_msg(dealer) == parts{"back"});
    }
  }

  // Not a SHALL clause, but the SHALL above makes it matter: the identity of a peer reached by a
  // connect made before the peer bound (a ROUTER's pending connect makes its pipe at the bind,
  // when the binder's ROUTING_ID is known, as libzmq).
  TEST_CASE("ROUTER: 'SHOULD allow the peer to specify its identity explicitly' - also when the ROUTER "
            "connected before the peer bound") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router);
      const std::string ep = reserve_endpoint(t);
      router.connect(ep);
      msg::socket dealer(ctx, socket_type::dealer);
      dealer.set(option::routing_id, "late");
      dealer.bind(ep);
      send_parts(dealer, {"hi"});
      CHECK(recv_msg(router) == parts{"late", "hi"});
      router.set(option::router_mandatory, 1);
      const auto err = error_of([&] { send_parts(router, {"late", "back"}); });
      CHECK_MESSAGE(!err.has_value(), "the ROUTER does not know the identity 'late'");
      if (!err) CHECK(recv_msg(dealer) == parts{"back"});
    }
  }

  TEST_CASE("ROUTER: 'SHALL create a double queue when a peer connects to it. If this peer disconnects the "
            "ROUTER socket SHALL destroy its double queue and SHALL discard any messages it contains'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router);
      router.set(option::router_mandatory, 1);
      const std::string ep = bind_somewhere(router, t);
      {
        msg::socket gone(ctx, socket_type::dealer);
        gone.set(option::routing_id, "x");
        gone.set(option::linger, 0);
        gone.connect(ep);
        send_parts(gone, {"hello"});
        CHECK(recv_msg(router) == parts{"x", "hello"});  // its queue exists
        for (int i = 0; i < 3; ++i) send_parts(router, {"x", "out-" + std::to_string(i)});
        for (int i = 0; i < 3; ++i) send_parts(gone, {"in-" + std::to_string(i)});
      }
      CHECK(wait_unroutable(router, "x"));  // its queue is gone
      msg::socket next(ctx, socket_type::dealer);
      next.set(option::routing_id, "x");  // same identity, new connection
      next.connect(ep);
      send_parts(next, {"hello-again"});
      CHECK(recv_msg(router) == parts{"x", "hello-again"});  // nothing of the old queue came first
      send_parts(router, {"x", "marker"});
      CHECK(recv_msg(next) == parts{"marker"});
    }
  }

  TEST_CASE("ROUTER: 'SHALL identify each double queue using a unique identity binary string'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router);
      router.set(option::router_mandatory, 1);
      const std::string ep = bind_somewhere(router, t);
      std::vector<msg::socket> peers;
      for (int i = 0; i < 3; ++i) {
        peers.emplace_back(ctx, socket_type::dealer);
        if (i == 2) peers.back().set(option::routing_id, bytes({'n', 0, 0xff}));  // binary, explicit
        peers.back().connect(ep);
        send_parts(peers.back(), {std::to_string(i)});
      }
      std::vector<std::string> ids(3);
      for (int i = 0; i < 3; ++i) {
        const parts p = recv_msg(router);
        REQUIRE(p.size() == 2);
        CHECK_FALSE(p[0].empty());
        ids[static_cast<std::size_t>(std::stoi(p[1]))] = p[0];
      }
      CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 3);
      CHECK(ids[2] == bytes({'n', 0, 0xff}));  // SHOULD: the peer's own identity is used
      for (int i = 0; i < 3; ++i) send_parts(router, {ids[static_cast<std::size_t>(i)], "for-" + std::to_string(i)});
      for (int i = 0; i < 3; ++i) CHECK(recv_msg(peers[static_cast<std::size_t>(i)]) == parts{"for-" + std::to_string(i)});
      // A second connection claiming an identity in use does not share its queue.
      msg::socket dup(ctx, socket_type::dealer);
      dup.set(option::routing_id, bytes({'n', 0, 0xff}));
      dup.connect(ep);
      try_send(dup, {"from-dup"});
      send_parts(router, {ids[2], "to-the-id"});
      std::vector<msg::socket*> both{&peers[2], &dup};
      const std::size_t k = wait_readable(both);
      CHECK(recv_msg(*both[k]) == parts{"to-the-id"});
      CHECK(nothing_pending(*both[1 - k]));
    }
  }

  TEST_CASE("ROUTER: 'SHALL receive incoming messages from its peers using a fair-queuing strategy'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
      router.set(option::rcvhwm, 8);
      a.set(option::routing_id, "a");
      b.set(option::routing_id, "b");
      a.set(option::sndhwm, 1);
      b.set(option::sndhwm, 1);
      const std::string ep = bind_somewhere(router, t);
      a.connect(ep);
      b.connect(ep);
      // Saturated senders: each of the ROUTER's queues holds at least 4 messages.
      saturate(a, t, [](int i) { return parts{padded("", i)}; });
      saturate(b, t, [](int i) { return parts{padded("", i)}; });
      std::string sources;
      int next_a = 0, next_b = 0;
      for (int i = 0; i < 8; ++i) {
        const parts p = recv_msg(router);
        REQUIRE(p.size() == 2);
        sources += p[0];
        CHECK(p[1] == padded("", p[0] == "a" ? next_a++ : next_b++));
      }
      CHECK_MESSAGE(alternates(sources), "sources in order of delivery: " << sources);
    }
  }

  TEST_CASE("ROUTER: 'SHALL prefix each incoming message with a frame containing the identity of the "
            "originating double queue'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), dealer(ctx, socket_type::dealer), req(ctx, socket_type::req);
      dealer.set(option::routing_id, "alice");
      req.set(option::routing_id, "bob");
      const std::string ep = bind_somewhere(router, t);
      dealer.connect(ep);
      req.connect(ep);
      send_parts(dealer, {"a", "b"});
      send_parts(req, {"q"});
      std::vector<parts> got{recv_msg(router), recv_msg(router)};
      if (got[0].front() == "bob") std::swap(got[0], got[1]);
      CHECK(got[0] == parts{"alice", "a", "b"});
      CHECK(got[1] == parts{"bob", "", "q"});
    }
  }

  TEST_CASE("ROUTER: 'SHALL deliver the resulting messages to its calling application'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), dealer(ctx, socket_type::dealer);
      dealer.set(option::routing_id, "d");
      dealer.connect(bind_somewhere(router, t));
      for (int i = 0; i < 100; ++i) send_parts(dealer, {std::to_string(i), "", "tail"});
      for (int i = 0; i < 100; ++i) {
        msg::message id = recv_within(router);
        CHECK(id.view() == "d");
        CHECK(id.more());
        CHECK(recv_msg(router) == parts{std::to_string(i), "", "tail"});
      }
      CHECK(nothing_pending(router));
    }
  }

  TEST_CASE("ROUTER: 'SHALL remove the first frame from each outgoing message and use this as the identity of a "
            "double queue'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
      router.set(option::router_mandatory, 1);
      a.set(option::routing_id, "a");
      b.set(option::routing_id, "b");
      const std::string ep = bind_somewhere(router, t);
      a.connect(ep);
      b.connect(ep);
      send_when_routable(router, {"b", "x", "y"});
      CHECK(recv_msg(b) == parts{"x", "y"});  // the identity frame is gone
      send_when_routable(router, {"a", "marker"});
      CHECK(recv_msg(a) == parts{"marker"});  // and a got nothing before
    }
  }

  TEST_CASE("ROUTER: 'SHALL route the message to the outgoing queue if that queue exists and has space'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
      router.set(option::router_mandatory, 1);
      router.set(option::sndhwm, 1);
      a.set(option::routing_id, "a");
      a.set(option::rcvhwm, 1);
      b.set(option::routing_id, "b");
      const std::string ep = bind_somewhere(router, t);
      a.connect(ep);
      b.connect(ep);
      send_when_routable(router, {"a", "a-0"});
      send_when_routable(router, {"b", "b-0"});
      CHECK(recv_msg(b) == parts{"b-0"});  // b's queue is empty again
      const auto to_a = [](int i) { return parts{"a", padded("a-", i + 1)}; };
      const int n = saturate(router, t, to_a);
      CHECK(try_send(router, {"b", "b-1"}));  // b's queue has space though a's has none
      CHECK(recv_msg(b) == parts{"b-1"});
      CHECK(recv_msg(a) == parts{"a-0"});
      for (int i = 0; i < n; ++i) CHECK(recv_msg(a) == parts{to_a(i)[1]});
      CHECK(wait_until([&] { return try_send(router, {"a", "after-room"}); }));  // space again
      CHECK(recv_msg(a) == parts{"after-room"});
    }
  }

  TEST_CASE("ROUTER: 'SHALL either silently drop the message or return an error depending on configuration "
            "if the queue does not exist or is full'") {
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), a(ctx, socket_type::dealer);
      router.set(option::router_mandatory, 1);
      router.set(option::sndhwm, 1);
      a.set(option::routing_id, "a");
      a.set(option::rcvhwm, 1);
      a.connect(bind_somewhere(router, t));
      send_when_routable(router, {"a", "hello"});
      CHECK(recv_msg(a) == parts{"hello"});

      // ROUTER_MANDATORY: no such queue -> an error; a full queue -> refused (would block).
      CHECK(error_of([&] { try_send(router, {"nobody", "x"}); }) == msg::errc::host_unreachable);
      const int n = saturate(router, t, [](int i) { return parts{"a", padded("", i)}; });
      msg::message id("a");
      CHECK_FALSE(router.send(id, flags::dontwait | flags::sndmore));
      CHECK(id.view() == "a");
      for (int i = 0; i < n; ++i) CHECK(recv_msg(a) == parts{padded("", i)});

      // Default: both are dropped silently.
      router.set(option::router_mandatory, 0);
      CHECK(send_without_blocking(router, {"nobody", "dropped"}));
      constexpr int burst = 20000;  // 20 MiB: more than any queue or socket buffer holds
      for (int i = 0; i < burst; ++i) REQUIRE(send_without_blocking(router, {"a", numbered_kib(i)}));
      const std::vector<parts> got =
          drain_until_marker(a, [&] { send_without_blocking(router, {"a", "marker"}); }, "marker");
      CHECK(got.size() < static_cast<std::size_t>(burst));
      int last = -1;
      for (const parts& p : got) {  // what arrived is whole and in order; the rest was dropped
        REQUIRE(p.size() == 1);
        const int i = std::stoi(p[0]);
        CHECK(i > last);
        CHECK(p[0] == numbered_kib(i));
        last = i;
      }
    }
  }

  TEST_CASE("ROUTER: 'SHALL NOT block on sending'") {
    // In the default configuration (ROUTER_MANDATORY makes a full queue refuse a send; a
    // blocking send then waits, as libzmq's does).
    FOR_EACH_TRANSPORT(t) {
      msg::context ctx;
      msg::socket router(ctx, socket_type::router), a(ctx, socket_type::dealer);
      router.set(option::sndhwm, 1);
      a.set(option::routing_id, "a");
      a.set(option::rcvhwm, 1);
      a.connect(bind_somewhere(router, t));
      send_parts(a, {"hello"});
      CHECK(recv_msg(router) == parts{"a", "hello"});  // a is known
      CHECK(send_without_blocking(router, {"nobody", "x"}));
      for (int i = 0; i < 2000; ++i) REQUIRE(send_without_blocking(router, {"a", numbered_kib(i)}));
      CHECK(router.writable());
    }
  }
}
