// PUSH/PULL basics beyond the RFC clauses: HWM counts, connect before bind, many producers.
#include "support.hpp"

#include <troupe/messaging/error.hpp>
#include <troupe/messaging/monitor.hpp>

#include <set>
#include <thread>

using namespace troupe_test;
using msg::flags;
using msg::option;
using msg::socket_type;

TEST_SUITE("pipeline") {
  TEST_CASE("queued() is the number of whole messages arrived and not yet read") {
    for (const std::string transport : {"inproc", "tcp", "ipc"}) {
      CAPTURE(transport);
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
      push.connect(bind_somewhere(pull, transport));
      CHECK(pull.queued() == 0);
      for (int i = 0; i < 5; ++i) {
        push.send("part", flags::sndmore);  // multipart: counted once
        push.send("end");
      }
      CHECK(wait_until([&] { return pull.queued() == 5; }));
      CHECK(recv_parts(pull).size() == 2);
      CHECK(recv_parts(pull).size() == 2);
      CHECK(pull.queued() == 3);
      CHECK(push.queued() == 0);  // nothing flows back to a PUSH
    }
  }

  TEST_CASE("inproc PUSH->PULL queues exactly SNDHWM + RCVHWM messages (1000 + 1000 by default)") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
    pull.bind("inproc://hwm-default");
    push.connect("inproc://hwm-default");
    int sent = 0;
    while (push.send("m", flags::dontwait)) ++sent;
    CHECK(sent == 2000);
    int got = 0;
    msg::message m;
    while (pull.recv(m, flags::dontwait)) ++got;
    CHECK(got == 2000);
    // Room again after the reader drained: sending resumes.
    CHECK(push.send("again", flags::dontwait));
  }

  TEST_CASE("HWM counts whole messages - not parts") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
    push.set(option::sndhwm, 2);
    pull.set(option::rcvhwm, 1);
    pull.bind("inproc://hwm-multipart");
    push.connect("inproc://hwm-multipart");
    int sent = 0;
    for (;;) {
      msg::message a("a"), b("b"), c("c");
      if (!push.send(a, flags::dontwait | flags::sndmore)) break;
      REQUIRE(push.send(b, flags::dontwait | flags::sndmore));
      REQUIRE(push.send(c, flags::dontwait));
      ++sent;
    }
    CHECK(sent == 3);
    for (int i = 0; i < 3; ++i) CHECK(recv_parts(pull) == std::vector<std::string>{"a", "b", "c"});
  }

  TEST_CASE("traffic() tells a PULL how many messages came from each endpoint it connected to") {
    msg::context ctx;
    msg::socket a(ctx, socket_type::push), b(ctx, socket_type::push), pull(ctx, socket_type::pull);
    a.bind("inproc://traffic-a");
    b.bind("inproc://traffic-b");
    pull.connect("inproc://traffic-a");
    pull.connect("inproc://traffic-b");
    for (int i = 0; i < 3; ++i) REQUIRE(a.send("a"));
    for (int i = 0; i < 5; ++i) REQUIRE(b.send("b"));
    a.close();  // the pipe from a ends once read: its count must stay
    for (int i = 0; i < 8; ++i) recv_within(pull);
    auto count_of = [&](std::string_view ep) {
      for (const msg::endpoint_traffic& t : pull.traffic())
        if (t.endpoint == ep) return t.received;
      return std::uint64_t{999};
    };
    CHECK(count_of("inproc://traffic-a") == 3);
    CHECK(count_of("inproc://traffic-b") == 5);
    const auto sent = b.traffic();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].endpoint == "inproc://traffic-b");
    CHECK(sent[0].sent == 5);
  }

  TEST_CASE("connect before bind: messages sent meanwhile are delivered") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
    push.connect("inproc://late-binder");
    REQUIRE(push.send("early"));
    pull.bind("inproc://late-binder");
    CHECK(recv_within(pull).view() == "early");
  }

  TEST_CASE("a duplicate inproc bind is an error naming the endpoint") {
    msg::context ctx;
    msg::socket a(ctx, socket_type::pull), b(ctx, socket_type::pull);
    a.bind("inproc://taken");
    try {
      b.bind("inproc://taken");
      FAIL("second bind succeeded");
    } catch (const msg::error& e) {
      CHECK(e.kind() == msg::errc::address_in_use);
      CHECK(std::string(e.what()).find("inproc://taken") != std::string::npos);
    }
    b.bind("inproc://free");  // the socket stays usable
  }

  TEST_CASE("malformed endpoints and unknown transports are errors naming the value") {
    msg::context ctx;
    msg::socket s(ctx, socket_type::pull);
    try {
      s.bind("no-scheme");
      FAIL("bind succeeded");
    } catch (const msg::error& e) {
      CHECK(e.kind() == msg::errc::invalid_argument);
      CHECK(std::string(e.what()).find("no-scheme") != std::string::npos);
    }
    try {
      s.connect("carrier-pigeon://coop");
      FAIL("connect succeeded");
    } catch (const msg::error& e) {
      CHECK(e.kind() == msg::errc::protocol_not_supported);
      CHECK(std::string(e.what()).find("carrier-pigeon") != std::string::npos);
    }
  }

  TEST_CASE("incompatible socket types cannot connect over inproc") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), pair(ctx, socket_type::pair);
    pull.bind("inproc://pull-only");
    CHECK_THROWS_AS(pair.connect("inproc://pull-only"), msg::error);
  }

  TEST_CASE("bad option values are errors naming the option - the socket stays usable") {
    msg::context ctx;
    msg::socket s(ctx, socket_type::push);
    try {
      s.set(option::sndhwm, -5);
      FAIL("accepted");
    } catch (const msg::error& e) {
      CHECK(std::string(e.what()).find("ZMQ_SNDHWM") != std::string::npos);
      CHECK(std::string(e.what()).find("-5") != std::string::npos);
    }
    try {
      s.set(12345, 1);
      FAIL("accepted");
    } catch (const msg::error& e) {
      CHECK(e.kind() == msg::errc::unknown_option);
      CHECK(std::string(e.what()).find("12345") != std::string::npos);
    }
    CHECK_THROWS_AS(s.set(option::subscribe, "x"), msg::error);  // not a SUB
    s.set(option::sndhwm, 7);
    CHECK(s.get_int(option::sndhwm) == 7);
  }

  TEST_CASE("many producers on many threads into one PULL: every message arrives exactly once") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    pull.bind("inproc://fan-in");
    constexpr int producers = 8;
    constexpr int per_producer = 20000;
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&ctx, p] {
        msg::socket push(ctx, socket_type::push);
        push.connect("inproc://fan-in");
        for (int i = 0; i < per_producer; ++i) {
          const std::uint64_t tag = (static_cast<std::uint64_t>(p) << 32) | static_cast<std::uint32_t>(i);
          msg::message m(&tag, sizeof tag);
          push.send(m);
        }
      });
    }
    std::vector<int> next(producers, 0);
    bool in_order = true;
    std::size_t received = 0;
    pull.set(option::rcvtimeo, static_cast<int>(eventually.count()));
    msg::message m;
    while (received < static_cast<std::size_t>(producers) * per_producer && pull.recv(m)) {
      std::uint64_t tag = 0;
      std::memcpy(&tag, m.data(), sizeof tag);
      const auto p = static_cast<int>(tag >> 32);
      const auto i = static_cast<int>(tag & 0xffffffffu);
      if (next[p] != i) in_order = false;
      next[p] = i + 1;
      ++received;
    }
    for (auto& t : threads) t.join();
    CHECK(received == static_cast<std::size_t>(producers) * per_producer);
    CHECK(in_order);  // per-producer order is kept, so no duplicates and no gaps
    CHECK(nothing_pending(pull));
  }

  TEST_CASE("close with linger delivers everything queued to an inproc peer") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    pull.bind("inproc://linger");
    {
      msg::socket push(ctx, socket_type::push);
      push.connect("inproc://linger");
      for (int i = 0; i < 1500; ++i) REQUIRE(push.send(std::to_string(i), flags::dontwait));
    }  // closed here, before the reader read anything
    for (int i = 0; i < 1500; ++i) CHECK(recv_within(pull).view() == std::to_string(i));
    CHECK(nothing_pending(pull));
  }

  TEST_CASE("close with LINGER 0 drops what the peer has not read") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    pull.bind("inproc://no-linger");
    {
      msg::socket push(ctx, socket_type::push);
      push.set(option::linger, 0);
      push.connect("inproc://no-linger");
      for (int i = 0; i < 10; ++i) REQUIRE(push.send("x", flags::dontwait));
    }
    CHECK(nothing_pending(pull));
  }
}

TEST_SUITE("pipeline") {
  TEST_CASE("CONFLATE keeps only the newest message and never blocks the sender") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
    pull.set(option::conflate, 1);
    pull.bind("inproc://conflate");
    push.connect("inproc://conflate");
    for (int i = 0; i < 5000; ++i) REQUIRE(push.send(std::to_string(i), flags::dontwait));
    CHECK(recv_within(pull).view() == "4999");
    CHECK(nothing_pending(pull));
    REQUIRE(push.send("later"));
    CHECK(recv_within(pull).view() == "later");  // a sleeping reader is woken
  }

  TEST_CASE("IMMEDIATE: no pipe (and no queueing) until the peer is there") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push);
    push.set(option::immediate, 1);
    push.connect("inproc://immediate");
    CHECK_FALSE(push.send("dropped?", flags::dontwait));  // nowhere to queue: would block
    msg::socket pull(ctx, socket_type::pull);
    pull.bind("inproc://immediate");
    REQUIRE(push.send("now"));
    CHECK(recv_within(pull).view() == "now");
  }
}

TEST_SUITE("pipeline") {
  TEST_CASE("a multipart message cut short by close is never delivered in part") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    pull.bind("inproc://cut-short");
    {
      msg::socket push(ctx, socket_type::push);
      push.connect("inproc://cut-short");
      send_parts(push, {"whole", "message"});
      msg::message a("half"), b("done?");
      REQUIRE(push.send(a, flags::sndmore));
      REQUIRE(push.send(b, flags::sndmore));  // never finished
    }
    CHECK(recv_parts(pull) == std::vector<std::string>{"whole", "message"});
    CHECK(nothing_pending(pull));
  }

  TEST_CASE("disconnect stops delivery through that endpoint - unbind frees the name") {
    msg::context ctx;
    msg::socket pull_a(ctx, socket_type::pull), pull_b(ctx, socket_type::pull), push(ctx, socket_type::push);
    pull_a.bind("inproc://dis-a");
    pull_b.bind("inproc://dis-b");
    push.connect("inproc://dis-a");
    push.connect("inproc://dis-b");
    push.disconnect("inproc://dis-a");
    for (int i = 0; i < 4; ++i) REQUIRE(push.send("to-b"));
    for (int i = 0; i < 4; ++i) CHECK(recv_within(pull_b).view() == "to-b");
    CHECK(nothing_pending(pull_a));
    pull_a.unbind("inproc://dis-a");
    msg::socket again(ctx, socket_type::pull);
    again.bind("inproc://dis-a");  // the name is free again
    CHECK_THROWS_AS(pull_a.unbind("inproc://dis-a"), msg::error);  // not ours any more
  }
}

// inproc connects made before the bind: disconnect cancels them, the bind sizes their pipe as
// if it had come first, and a connect of the wrong type is refused where the connecter sees it.
TEST_SUITE("pipeline") {
  TEST_CASE("disconnect cancels a connect still waiting for its bind - with a pipe or IMMEDIATE or from a ROUTER") {
    msg::context ctx;
    SUBCASE("PUSH: what it queued is dropped and the binder never sees it") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket push(ctx, socket_type::push);
      push.connect(ep);
      REQUIRE(push.send("queued before the bind", flags::dontwait));
      push.disconnect(ep);
      CHECK_FALSE(push.writable());  // its only pipe is gone
      msg::socket pull(ctx, socket_type::pull);
      pull.bind(ep);
      CHECK_FALSE(push.writable());  // and the bind did not bring it back
      msg::socket marker(ctx, socket_type::push);
      marker.connect(ep);
      REQUIRE(marker.send("marker"));
      CHECK(recv_within(pull).view() == "marker");
      CHECK(nothing_pending(pull));
    }
    SUBCASE("PUSH with IMMEDIATE: no pipe appears at the bind") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket push(ctx, socket_type::push);
      push.set(option::immediate, 1);
      push.connect(ep);
      push.disconnect(ep);
      msg::socket pull(ctx, socket_type::pull);
      pull.bind(ep);
      CHECK_FALSE(push.writable());
      CHECK_FALSE(push.send("nowhere", flags::dontwait));
    }
    SUBCASE("ROUTER: the binder gets no peer") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket router(ctx, socket_type::router);
      router.connect(ep);
      router.disconnect(ep);
      msg::socket dealer(ctx, socket_type::dealer);
      dealer.bind(ep);
      CHECK_FALSE(dealer.writable());  // no pipe: the ROUTER's connect is gone
      CHECK_FALSE(dealer.send("hello?", flags::dontwait));
    }
  }

  TEST_CASE("disconnect of an inproc endpoint this socket is not connected to is an error naming it") {
    msg::context ctx;
    msg::socket push(ctx, socket_type::push), pull(ctx, socket_type::pull);
    const std::string ep = bind_somewhere(pull, "inproc");
    const auto disconnect_error = [&](const std::string& endpoint) -> std::string {
      try {
        push.disconnect(endpoint);
      } catch (const msg::error& e) {
        CHECK(e.kind() == msg::errc::address_not_available);
        return e.what();
      }
      return "";
    };
    CHECK(disconnect_error("inproc://never-connected").find("inproc://never-connected") != std::string::npos);
    CHECK(disconnect_error(ep).find(ep) != std::string::npos);  // bound by someone, not connected by us
    push.connect(ep);
    CHECK(disconnect_error(ep).empty());  // connected: fine
    CHECK(disconnect_error(ep).find(ep) != std::string::npos);  // not any more
    const std::string later = fresh_endpoint("inproc");
    push.connect(later);  // pending: disconnect cancels it, once
    CHECK(disconnect_error(later).empty());
    CHECK(disconnect_error(later).find(later) != std::string::npos);
  }

  TEST_CASE("connect before bind: at the bind each direction holds the writer's SNDHWM + the reader's RCVHWM") {
    msg::context ctx;
    SUBCASE("connecter -> binder") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket push(ctx, socket_type::push);
      push.set(option::sndhwm, 5);  // RCVHWM 1000: the guess made at connect was 5 + 1000
      push.connect(ep);
      REQUIRE(push.send("early-0", flags::dontwait));
      REQUIRE(push.send("early-1", flags::dontwait));
      msg::socket pull(ctx, socket_type::pull);
      pull.set(option::rcvhwm, 3);
      pull.bind(ep);
      int sent = 2;
      while (push.send("m", flags::dontwait)) REQUIRE(++sent <= 2000);
      CHECK(sent == 5 + 3);
      int got = 0;
      msg::message m;
      while (pull.recv(m, flags::dontwait)) ++got;
      CHECK(got == sent);
    }
    SUBCASE("binder -> connecter") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket connecter(ctx, socket_type::dealer);
      connecter.set(option::rcvhwm, 4);  // SNDHWM 1000: the guess made at connect was 1000 + 4
      connecter.connect(ep);
      msg::socket binder(ctx, socket_type::dealer);
      binder.set(option::sndhwm, 2);
      binder.bind(ep);
      int sent = 0;
      while (binder.send("m", flags::dontwait)) REQUIRE(++sent <= 2000);
      CHECK(sent == 2 + 4);
      int got = 0;
      msg::message m;
      while (connecter.recv(m, flags::dontwait)) ++got;
      CHECK(got == sent);
    }
  }

  TEST_CASE("connect before bind: the binder's CONFLATE applies to the pipe both ways") {
    msg::context ctx;
    SUBCASE("connecter -> binder: what was queued before the bind conflates too") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket push(ctx, socket_type::push);
      push.set(option::sndhwm, 1);
      push.set(option::rcvhwm, 1);  // guessed capacity 2: without CONFLATE the third send is refused
      push.connect(ep);
      REQUIRE(push.send("early-0", flags::dontwait));
      REQUIRE(push.send("early-1", flags::dontwait));
      msg::socket pull(ctx, socket_type::pull);
      pull.set(option::conflate, 1);
      pull.bind(ep);
      CHECK(recv_within(pull).view() == "early-1");
      CHECK(nothing_pending(pull));
      for (int i = 0; i < 100; ++i) REQUIRE(push.send(std::to_string(i), flags::dontwait));
      CHECK(recv_within(pull).view() == "99");
      CHECK(nothing_pending(pull));
      REQUIRE(push.send("later"));
      CHECK(recv_within(pull).view() == "later");  // a sleeping reader is woken
    }
    SUBCASE("binder -> connecter: a connecter asleep on its pipe is woken") {
      const std::string ep = fresh_endpoint("inproc");
      msg::socket connecter(ctx, socket_type::dealer);
      connecter.connect(ep);
      CHECK(nothing_pending(connecter));  // found empty: the pipe sleeps until told
      msg::socket binder(ctx, socket_type::dealer);
      binder.set(option::conflate, 1);
      binder.set(option::sndhwm, 1);
      binder.bind(ep);
      for (int i = 0; i < 100; ++i) REQUIRE(binder.send(std::to_string(i), flags::dontwait));
      CHECK(recv_within(connecter).view() == "99");
      CHECK(nothing_pending(connecter));
    }
  }

  TEST_CASE("a connect before the bind of a type the binder cannot talk to: the connecter is told and drops its pipe") {
    log_capture log;
    msg::context ctx;
    const std::string ep = fresh_endpoint("inproc");
    msg::socket push(ctx, socket_type::push), watcher(ctx, socket_type::pair);
    const std::string mon_ep = fresh_endpoint("inproc");
    push.monitor(mon_ep, msg::monitor_event::handshake_failed_protocol | msg::monitor_event::disconnected);
    watcher.connect(mon_ep);
    push.connect(ep);
    REQUIRE(push.send("queued", flags::dontwait));
    CHECK(push.writable());
    msg::socket pub(ctx, socket_type::pub);
    pub.bind(ep);
    // The connecter drops its end on its own thread, when it next looks at its mailbox.
    CHECK(wait_until([&] { return !push.writable(); }));
    std::vector<int> events;
    std::string endpoint;
    CHECK(wait_until([&] {
      msg::multipart parts;
      while (watcher.recv(parts, flags::dontwait)) {
        const auto r = msg::parse_monitor_event(parts[0], parts[1]);
        REQUIRE(r.has_value());
        events.push_back(r->event);
        if (r->event == msg::monitor_event::handshake_failed_protocol) endpoint = r->endpoint;
      }
      return events.size() >= 2;
    }));
    CHECK(events == std::vector<int>{msg::monitor_event::handshake_failed_protocol, msg::monitor_event::disconnected});
    CHECK(endpoint == ep);
    CHECK(log.count_containing("a PUSH socket cannot connect to a PUB socket") == 1);
    // The same for a connect that had no pipe yet (IMMEDIATE): the monitor still says why.
    msg::socket eager(ctx, socket_type::push), eager_watcher(ctx, socket_type::pair);
    const std::string eager_mon = fresh_endpoint("inproc");
    eager.monitor(eager_mon, msg::monitor_event::handshake_failed_protocol);
    eager_watcher.connect(eager_mon);
    eager.set(option::immediate, 1);
    const std::string ep2 = fresh_endpoint("inproc");
    eager.connect(ep2);
    msg::socket sub(ctx, socket_type::sub);
    sub.bind(ep2);
    msg::multipart parts;
    eager_watcher.set(option::rcvtimeo, static_cast<int>(eventually.count()));
    REQUIRE(eager_watcher.recv(parts));
    const auto r = msg::parse_monitor_event(parts[0], parts[1]);
    REQUIRE(r.has_value());
    CHECK(r->event == msg::monitor_event::handshake_failed_protocol);
    CHECK(r->endpoint == ep2);
    CHECK_FALSE(eager.writable());
  }
}
