// REQ/REP/DEALER/ROUTER basics beyond the RFC clauses: identities, mandatory routing, state.
#include "support.hpp"

using namespace troupe_test;
using msg::flags;
using msg::option;
using msg::socket_type;

TEST_SUITE("reqrep") {
  TEST_CASE("REQ and REP alternate - a second send on REQ is a state error and REQ stays usable") {
    msg::context ctx;
    msg::socket rep(ctx, socket_type::rep), req(ctx, socket_type::req);
    rep.bind("inproc://rr");
    req.connect("inproc://rr");
    REQUIRE(req.send("hello"));
    try {
      req.send("again");
      FAIL("second send accepted");
    } catch (const msg::error& e) {
      CHECK(e.kind() == msg::errc::wrong_state);
      CHECK(std::string(e.what()).find("REQ") != std::string::npos);
    }
    CHECK(recv_within(rep).view() == "hello");
    CHECK_THROWS_AS(rep.recv(*std::make_unique<msg::message>()), msg::error);  // reply pending
    REQUIRE(rep.send("world"));
    CHECK(recv_within(req).view() == "world");
    REQUIRE(req.send("next"));  // alternation resumes
    CHECK(recv_within(rep).view() == "next");
  }

  TEST_CASE("ROUTER prefixes the peer's ROUTING_ID and routes replies by it") {
    msg::context ctx;
    msg::socket router(ctx, socket_type::router);
    router.bind("inproc://router-ids");
    msg::socket a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
    a.set(option::routing_id, "alice");
    b.set(option::routing_id, "bob");
    a.connect("inproc://router-ids");
    b.connect("inproc://router-ids");
    send_parts(a, {"from-a"});
    send_parts(b, {"from-b"});
    auto m1 = recv_parts(router);
    auto m2 = recv_parts(router);
    if (m1[0] == "bob") std::swap(m1, m2);
    CHECK(m1 == std::vector<std::string>{"alice", "from-a"});
    CHECK(m2 == std::vector<std::string>{"bob", "from-b"});
    send_parts(router, {"bob", "to-b"});
    send_parts(router, {"alice", "to-a"});
    CHECK(recv_parts(a) == std::vector<std::string>{"to-a"});
    CHECK(recv_parts(b) == std::vector<std::string>{"to-b"});
  }

  TEST_CASE("ROUTER drops unroutable messages - or reports them with ROUTER_MANDATORY") {
    msg::context ctx;
    msg::socket router(ctx, socket_type::router);
    router.bind("inproc://router-mandatory");
    send_parts(router, {"nobody", "lost"});  // dropped silently
    router.set(option::router_mandatory, 1);
    try {
      send_parts(router, {"nobody", "lost"});
      FAIL("unroutable message accepted");
    } catch (const msg::error& e) {
      CHECK(e.kind() == msg::errc::host_unreachable);
    }
    msg::socket d(ctx, socket_type::dealer);
    d.set(option::routing_id, "d");
    d.connect("inproc://router-mandatory");
    send_parts(d, {"hi"});
    CHECK(recv_parts(router) == std::vector<std::string>{"d", "hi"});
    send_parts(router, {"d", "routed"});
    CHECK(recv_parts(d) == std::vector<std::string>{"routed"});
  }

  TEST_CASE("ROUTER_MANDATORY makes a send to a full peer wait instead of dropping") {
    msg::context ctx;
    msg::socket router(ctx, socket_type::router), d(ctx, socket_type::dealer);
    router.set(option::router_mandatory, 1);
    router.set(option::sndhwm, 1);
    d.set(option::rcvhwm, 1);
    d.set(option::routing_id, "slow");
    router.bind("inproc://router-full");
    d.connect("inproc://router-full");
    send_parts(d, {"hello"});
    CHECK(recv_parts(router) == std::vector<std::string>{"slow", "hello"});
    int sent = 0;
    for (;;) {
      msg::message id("slow"), body("x");
      if (!router.send(id, flags::dontwait | flags::sndmore)) break;
      REQUIRE(router.send(body, flags::dontwait));
      ++sent;
    }
    CHECK(sent == 2);
    CHECK(recv_parts(d) == std::vector<std::string>{"x"});
  }

  TEST_CASE("REQ_CORRELATE + REQ_RELAXED: a new request may go out - the stale reply is ignored") {
    msg::context ctx;
    msg::socket router(ctx, socket_type::router), req(ctx, socket_type::req);
    req.set(option::req_relaxed, 1);
    req.set(option::req_correlate, 1);
    router.bind("inproc://relaxed");
    req.connect("inproc://relaxed");
    REQUIRE(req.send("first"));
    auto first = recv_parts(router);  // id, request-id, "", "first"
    REQUIRE(first.size() == 4);
    REQUIRE(req.send("second"));
    auto second = recv_parts(router);
    REQUIRE(second.size() == 4);
    CHECK(first[1] != second[1]);
    send_parts(router, {first[0], first[1], "", "stale"});
    send_parts(router, {second[0], second[1], "", "fresh"});
    CHECK(recv_parts(req) == std::vector<std::string>{"fresh"});
  }

  TEST_CASE("DEALER to DEALER carries multipart messages whole - both ways") {
    msg::context ctx;
    msg::socket a(ctx, socket_type::dealer), b(ctx, socket_type::dealer);
    a.bind("inproc://dd");
    b.connect("inproc://dd");
    send_parts(a, {"1", "2", "3"});
    CHECK(recv_parts(b) == std::vector<std::string>{"1", "2", "3"});
    send_parts(b, {"x", "", "z"});
    CHECK(recv_parts(a) == std::vector<std::string>{"x", "", "z"});
  }
}
