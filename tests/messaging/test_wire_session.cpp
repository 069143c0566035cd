// tcp/ipc queues (issue #4): a connecter's queue exists from connect() on and survives
// reconnects; subscriptions follow a reconnect both ways; close with LINGER delivers what was
// queued, and a positive LINGER bounds how long that is tried.
#include "spec_support.hpp"

#include <troupe/messaging/monitor.hpp>

#include <thread>

using namespace troupe_test;
using msg::flags;
using msg::option;
using msg::socket_type;

namespace {

const std::vector<std::string> wire_transports{"tcp", "ipc"};

// Waits until `watcher` (a PAIR connected to a monitor) has reported `event`.
void await_event(msg::socket& watcher, int event) {
  msg::multipart parts;
  const bool seen = wait_until([&] {
    while (watcher.recv(parts, flags::dontwait)) {
      const auto r = msg::parse_monitor_event(parts[0], parts[1]);
      if (r && r->event == event) return true;
    }
    return false;
  });
  REQUIRE_MESSAGE(seen, "no " << msg::monitor_event_name(event) << " within " << eventually.count() << " ms");
}

std::string body(int i) {
  std::string b(1024, static_cast<char>('a' + i % 26));
  std::memcpy(b.data(), &i, sizeof i);
  return b;
}

int index_of(const msg::message& m) {
  int i = -1;
  if (m.size() == 1024) std::memcpy(&i, m.data(), sizeof i);
  return i;
}

}  // namespace

TEST_SUITE("wire") {
  TEST_CASE("a connecter queues before its connection exists - sends succeed without a peer and all arrive at bind") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket push(ctx, socket_type::push);
      const std::string ep = spec::reserve_endpoint(t);
      push.connect(ep);
      for (int i = 0; i < 50; ++i) REQUIRE(push.send(std::to_string(i), flags::dontwait));
      msg::socket pull(ctx, socket_type::pull);
      pull.bind(ep);
      for (int i = 0; i < 50; ++i) CHECK(recv_within(pull).view() == std::to_string(i));
    }
  }

  TEST_CASE("IMMEDIATE: no queue until the connection is up") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket push(ctx, socket_type::push);
      push.set(option::immediate, 1);
      const std::string ep = spec::reserve_endpoint(t);
      push.connect(ep);
      CHECK(!push.send("nowhere", flags::dontwait));
      msg::socket pull(ctx, socket_type::pull);
      pull.bind(ep);
      push.set(option::sndtimeo, static_cast<int>(eventually.count()));
      REQUIRE(push.send("now"));
      CHECK(recv_within(pull).view() == "now");
    }
  }

  TEST_CASE("a connecter's queue survives a reconnect - what was sent while the peer was away arrives") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket push(ctx, socket_type::push), watcher(ctx, socket_type::pair);
      const std::string mon = fresh_endpoint("inproc");
      push.monitor(mon, msg::monitor_event::disconnected);
      watcher.connect(mon);
      std::string ep;
      {
        msg::socket pull(ctx, socket_type::pull);
        ep = bind_somewhere(pull, t);
        push.connect(ep);
        REQUIRE(push.send("first"));
        CHECK(recv_within(pull).view() == "first");
      }
      await_event(watcher, msg::monitor_event::disconnected);  // nothing sent below is in flight
      for (int i = 0; i < 20; ++i) REQUIRE(push.send(std::to_string(i), flags::dontwait));
      msg::socket pull2(ctx, socket_type::pull);
      pull2.bind(ep);
      for (int i = 0; i < 20; ++i) CHECK(recv_within(pull2).view() == std::to_string(i));
    }
  }

  TEST_CASE("a SUB re-subscribes after a reconnect by itself - without its user calling anything") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket sub(ctx, socket_type::sub);
      sub.set(option::subscribe, "news");
      sub.set(option::subscribe, "sport");
      sub.set(option::unsubscribe, "sport");
      std::string ep;
      {
        msg::socket xpub(ctx, socket_type::xpub);
        ep = bind_somewhere(xpub, t);
        sub.connect(ep);
        CHECK(recv_within(xpub).str() == std::string("\x01news", 5));
      }
      // A new publisher at the same address hears the subscription with no call on the SUB.
      msg::socket xpub2(ctx, socket_type::xpub);
      xpub2.bind(ep);
      CHECK(recv_within(xpub2).str() == std::string("\x01news", 5));
      CHECK(nothing_pending(xpub2));
      bool got = false;
      sub.set(option::rcvtimeo, 10);
      for (int i = 0; i < 2000 && !got; ++i) {
        REQUIRE(xpub2.send("news flash"));
        msg::message m;
        got = sub.recv(m);
        if (got) CHECK(m.view() == "news flash");
      }
      CHECK(got);
    }
  }

  TEST_CASE("a connecting XPUB that loses a subscriber drops its subscriptions - unsubscriptions are passed up") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      msg::socket xpub(ctx, socket_type::xpub);
      std::string ep;
      {
        msg::socket sub(ctx, socket_type::sub);
        ep = bind_somewhere(sub, t);
        sub.set(option::subscribe, "a");
        xpub.connect(ep);
        // A bound SUB's subscriptions reach a new publisher without its user calling it.
        CHECK(spec::recv_msg(xpub) == spec::parts{std::string("\x01" "a", 2)});
      }
      CHECK(recv_within(xpub).str() == std::string("\x00" "a", 2));
      msg::socket sub2(ctx, socket_type::sub);
      sub2.set(option::subscribe, "b");
      sub2.bind(ep);
      CHECK(spec::recv_msg(xpub) == spec::parts{std::string("\x01" "b", 2)});
    }
  }

  TEST_CASE("close with LINGER delivers everything queued - 1500 x 1 KiB closed right after the last send") {
    for (const std::string& t : wire_transports) {
      for (const bool push_binds : {false, true}) {
        CAPTURE(t);
        CAPTURE(push_binds);
        msg::context ctx;
        msg::socket pull(ctx, socket_type::pull);
        std::string ep;
        msg::socket push(ctx, socket_type::push);
        if (push_binds) {
          ep = bind_somewhere(push, t);
          pull.connect(ep);
        } else {
          ep = bind_somewhere(pull, t);
        }
        constexpr int count = 1500;
        std::thread sender([&] {
          if (!push_binds) push.connect(ep);
          for (int i = 0; i < count; ++i) push.send(body(i));
          push.close();  // LINGER -1 (the default)
        });
        int received = 0, in_order = 0;
        pull.set(option::rcvtimeo, static_cast<int>(eventually.count()));
        for (msg::message m; received < count && pull.recv(m); ++received) in_order += index_of(m) == received;
        sender.join();
        CHECK(received == count);
        CHECK(in_order == count);
      }
    }
  }

  TEST_CASE("close with LINGER -1 keeps trying: a message queued while nobody listens arrives when a peer binds") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      msg::context ctx;
      const std::string ep = spec::reserve_endpoint(t);
      {
        msg::socket push(ctx, socket_type::push);
        push.set(option::reconnect_ivl, 20);
        push.connect(ep);
        REQUIRE(push.send("late", flags::dontwait));
      }  // closed
      msg::socket pull(ctx, socket_type::pull);
      pull.bind(ep);
      CHECK(recv_within(pull).view() == "late");
    }
  }

  TEST_CASE("a positive LINGER bounds how long a closed socket tries to deliver to a peer that is gone") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      steady::time_point closed_at;
      {
        msg::context ctx;
        msg::socket push(ctx, socket_type::push);
        push.set(option::linger, 300);
        push.set(option::reconnect_ivl, 60000);  // only LINGER can end the wait below
        push.connect(spec::reserve_endpoint(t));
        for (int i = 0; i < 10; ++i) REQUIRE(push.send("undeliverable", flags::dontwait));
        push.close();
        closed_at = steady::now();
      }  // ~context waits for lingering connections
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - closed_at);
      CHECK(waited >= 250ms);   // it did linger (timer granularity: a little slack)
      CHECK(waited < 5000ms);   // and LINGER, not the 60 s reconnect interval, ended it
    }
  }

  TEST_CASE("LINGER 0 drops what is queued at once") {
    for (const std::string& t : wire_transports) {
      CAPTURE(t);
      const std::string ep = spec::reserve_endpoint(t);
      msg::context ctx;
      {
        msg::socket push(ctx, socket_type::push);
        push.set(option::linger, 0);
        push.set(option::reconnect_ivl, 20);
        push.connect(ep);
        REQUIRE(push.send("dropped", flags::dontwait));
      }
      msg::socket pull(ctx, socket_type::pull), push2(ctx, socket_type::push);
      pull.bind(ep);
      push2.connect(ep);
      REQUIRE(push2.send("marker"));
      CHECK(recv_within(pull).view() == "marker");  // the dropped one would have come first
    }
  }
}

TEST_SUITE("wire") {
  TEST_CASE("an XPUB receives a SUB's subscription over tcp and ipc - whichever side binds") {
    for (const std::string& t : wire_transports) {
      for (const bool xpub_binds : {true, false}) {
        CAPTURE(t);
        CAPTURE(xpub_binds);
        msg::context ctx;
        msg::socket xpub(ctx, socket_type::xpub);
        msg::socket sub(ctx, socket_type::sub);
        if (xpub_binds) {
          sub.connect(bind_somewhere(xpub, t));
        } else {
          xpub.connect(bind_somewhere(sub, t));
        }
        sub.set(option::subscribe, "a");
        // A SUB that accepted the connection sends its subscriptions into it when its user next
        // calls into the socket (as libzmq's): keep calling while the XPUB waits.
        msg::message m;
        const bool got = wait_until([&] {
          CHECK_FALSE(sub.recv(m, flags::dontwait));
          return xpub.recv(m, flags::dontwait);
        });
        REQUIRE_MESSAGE(got, "the XPUB never received the subscription");
        CHECK(m.view() == std::string("\x01" "a", 2));
      }
    }
  }
}
