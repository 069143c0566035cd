// The one-thread-at-a-time rule: documented in socket.hpp, detected in debug builds.
#include "support.hpp"

#include <thread>

using namespace troupe_test;
using msg::socket_type;

TEST_SUITE("socket") {
#ifndef NDEBUG
  TEST_CASE("debug builds detect a second thread inside a socket and say so") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    pull.bind("inproc://rule");
    push.connect("inproc://rule");
    std::thread blocked([&] {
      msg::message m;
      pull.recv(m);  // stays inside the socket until the push below
    });
    std::string what;
    const bool detected = wait_until([&] {
      try {
        pull.get_int(msg::option::rcvhwm);
        return false;  // the other thread is not inside yet
      } catch (const msg::error& e) {
        what = e.what();
        return e.kind() == msg::errc::concurrent_use;
      }
    });
    CHECK(detected);
    CHECK(what.find("two threads") != std::string::npos);
    REQUIRE(push.send("release"));
    blocked.join();
    CHECK(pull.get_int(msg::option::rcvhwm) == 1000);  // usable again, by one thread
  }
#endif

  TEST_CASE("a socket may move to another thread with a happens-before between the two") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    pull.bind("inproc://handover");
    push.connect("inproc://handover");
    REQUIRE(push.send("one"));
    std::thread t([&] { CHECK(recv_within(pull).view() == "one"); });
    t.join();  // the join is the happens-before
    REQUIRE(push.send("two"));
    CHECK(recv_within(pull).view() == "two");
  }
}
