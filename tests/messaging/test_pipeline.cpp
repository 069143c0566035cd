// PUSH/PULL basics beyond the RFC clauses: HWM counts, connect before bind, many producers.
#include "support.hpp"

#include <set>
#include <thread>

using namespace troupe_test;
using msg::flags;
using msg::option;
using msg::socket_type;

TEST_SUITE("pipeline") {
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
