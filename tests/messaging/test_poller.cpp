// The poller: sockets and descriptors together, timeouts, wake-ups from other threads,
// writability at the HWM, and a poller inside a fiber that frees its worker.
#include "support.hpp"

#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/error.hpp>
#include <troupe/messaging/poller.hpp>

#include <set>
#include <thread>

using namespace troupe_test;
using msg::flags;
using msg::option;
using msg::poll_events;
using msg::socket_type;

namespace {

troupe::framework::runtime_options one_worker() {
  troupe::framework::runtime_options o;
  o.executor.concurrency = 1;
  return o;
}

bool has_item(const std::vector<msg::poll_event>& ready, const msg::socket& s, poll_events e) {
  for (const auto& r : ready)
    if (r.sock == &s && any(r.events & e)) return true;
  return false;
}

bool has_fd(const std::vector<msg::poll_event>& ready, int fd, poll_events e) {
  for (const auto& r : ready)
    if (r.sock == nullptr && r.fd == fd && any(r.events & e)) return true;
  return false;
}

}  // namespace

TEST_SUITE("poller") {
  TEST_CASE("sockets and an eventfd in one poller: each reported when and only when ready") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    const std::string ep = bind_somewhere(pull, "inproc");
    push.connect(ep);
    unique_fd efd = make_eventfd();
    REQUIRE(efd.get() >= 0);

    int tag = 7;
    msg::poller p;
    p.add(pull, poll_events::in, &tag);
    p.add_fd(efd.get(), poll_events::in);
    CHECK(p.size() == 2);
    std::vector<msg::poll_event> ready;
    CHECK(p.wait(ready, 0ms) == 0);
    CHECK(ready.empty());

    REQUIRE(push.send("one"));
    REQUIRE(p.wait(ready, eventually) == 1);
    CHECK(has_item(ready, pull, poll_events::in));
    CHECK(ready[0].user_data == &tag);
    CHECK(ready[0].fd == -1);

    REQUIRE(eventfd_add(efd.get(), 1));
    REQUIRE(p.wait(ready, eventually) == 2);
    CHECK(has_item(ready, pull, poll_events::in));
    CHECK(has_fd(ready, efd.get(), poll_events::in));

    CHECK(recv_within(pull).view() == "one");
    REQUIRE(p.wait(ready, eventually) == 1);
    CHECK(has_fd(ready, efd.get(), poll_events::in));
    CHECK(eventfd_drain(efd.get()) == 1);
    CHECK(p.wait(ready, 0ms) == 0);

    // out: a PUSH with a peer has room; modify and remove take effect.
    p.add(push, poll_events::out);
    REQUIRE(p.wait(ready, 0ms) == 1);
    CHECK(has_item(ready, push, poll_events::out));
    p.modify(push, poll_events::none);
    CHECK(p.wait(ready, 0ms) == 0);
    p.remove(push);
    p.remove_fd(efd.get());
    CHECK(p.size() == 1);
    CHECK_THROWS_AS(p.remove(push), msg::error);
    CHECK_THROWS_AS(p.add(pull, poll_events::in), msg::error);
  }

  TEST_CASE("the eventfd wakes a poller blocked on sockets and the descriptor") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    bind_somewhere(pull, "inproc");
    unique_fd efd = make_eventfd();
    msg::poller p;
    p.add(pull, poll_events::in);
    p.add_fd(efd.get(), poll_events::in);
    std::thread writer([&] { eventfd_add(efd.get(), 3); });
    std::vector<msg::poll_event> ready;
    REQUIRE(p.wait(ready, msg::poll_forever) == 1);
    CHECK(has_fd(ready, efd.get(), poll_events::in));
    writer.join();
    CHECK(eventfd_drain(efd.get()) == 3);
  }

  TEST_CASE("a poller with only a descriptor waits in poll(2) on a thread") {
    unique_fd efd = make_eventfd();
    msg::poller p;
    p.add_fd(efd.get(), poll_events::in | poll_events::out);
    std::vector<msg::poll_event> ready;
    REQUIRE(p.wait(ready, 0ms) == 1);  // an eventfd has room: writable
    CHECK(ready[0].events == poll_events::out);
    p.modify_fd(efd.get(), poll_events::in);
    CHECK(p.wait(ready, 20ms) == 0);
    std::thread writer([&] { eventfd_add(efd.get(), 1); });
    REQUIRE(p.wait(ready, msg::poll_forever) == 1);
    CHECK(ready[0].events == poll_events::in);
    writer.join();
  }

  TEST_CASE("the timeout is honoured: no earlier than asked and not much later") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    bind_somewhere(pull, "inproc");
    unique_fd efd = make_eventfd();
    msg::poller p;
    p.add(pull, poll_events::in);
    p.add_fd(efd.get(), poll_events::in);
    std::vector<msg::poll_event> ready;
    for (const auto timeout : {1ms, 50ms, 200ms}) {
      const auto t0 = steady::now();
      CHECK(p.wait(ready, timeout) == 0);
      const auto took = steady::now() - t0;
      CHECK(took >= timeout);
      CHECK(took < timeout + 2s);  // generous: the machine is shared and maybe sanitized
    }
    // An empty poller sleeps out its timeout; forever on it is an error.
    msg::poller empty;
    const auto t0 = steady::now();
    CHECK(empty.wait(ready, 30ms) == 0);
    CHECK(steady::now() - t0 >= 30ms);
    CHECK_THROWS_AS(empty.wait(ready, msg::poll_forever), msg::error);
  }

  TEST_CASE("readability appears when a peer sends from another thread") {
    msg::context ctx;
    msg::socket a(ctx, socket_type::pull), b(ctx, socket_type::pull);
    const std::string ea = bind_somewhere(a, "inproc");
    const std::string eb = bind_somewhere(b, "inproc");
    msg::socket pa(ctx, socket_type::push), pb(ctx, socket_type::push);
    pa.connect(ea);
    pb.connect(eb);
    msg::poller p;
    p.add(a, poll_events::in);
    p.add(b, poll_events::in);
    constexpr int rounds = 200;
    std::thread sender([&] {
      for (int i = 0; i < rounds; ++i) {
        msg::socket& s = i % 2 == 0 ? pa : pb;
        s.send(msg::message(std::to_string(i)));
      }
    });
    std::vector<msg::poll_event> ready;
    int got = 0;
    while (got < rounds) {
      REQUIRE(p.wait(ready, eventually) > 0);
      for (const auto& r : ready) {
        msg::message m;
        while (r.sock->recv(m, flags::dontwait)) ++got;
      }
    }
    sender.join();
    CHECK(got == rounds);
    CHECK(p.wait(ready, 0ms) == 0);
  }

  TEST_CASE("a multipart message is readable only once it is whole") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    push.connect(bind_somewhere(pull, "inproc"));
    msg::poller p;
    p.add(pull, poll_events::in);
    std::vector<msg::poll_event> ready;
    REQUIRE(push.send("head", flags::sndmore));
    CHECK(p.wait(ready, 0ms) == 0);
    REQUIRE(push.send("tail"));
    REQUIRE(p.wait(ready, eventually) == 1);
    CHECK(recv_parts(pull) == std::vector<std::string>{"head", "tail"});
  }

  TEST_CASE("writability: lost at the HWM and back when the reader drains") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    pull.set(option::rcvhwm, 5);
    push.set(option::sndhwm, 5);
    const std::string ep = bind_somewhere(pull, "inproc");
    push.connect(ep);
    msg::poller p;
    p.add(push, poll_events::out);
    std::vector<msg::poll_event> ready;
    int sent = 0;
    while (p.wait(ready, 0ms) == 1) {
      REQUIRE(push.send(msg::message("x"), flags::dontwait));
      ++sent;
      REQUIRE(sent <= 10);
    }
    CHECK(sent == 10);  // SNDHWM + RCVHWM on inproc
    CHECK(!push.send(msg::message("y"), flags::dontwait));

    std::thread reader([&] {
      for (int i = 0; i < sent; ++i) recv_within(pull);
    });
    REQUIRE(p.wait(ready, eventually) == 1);
    CHECK(has_item(ready, push, poll_events::out));
    reader.join();
  }

  TEST_CASE("ROUTER_MANDATORY: out only while some peer has room (libzmq) and back when the peer drains") {
    msg::context ctx;
    msg::socket router(ctx, socket_type::router), dealer(ctx, socket_type::dealer);
    router.set(option::router_mandatory, 1);
    router.set(option::sndhwm, 2);
    const std::string ep = bind_somewhere(router, "inproc");
    msg::poller p;
    p.add(router, poll_events::out);
    std::vector<msg::poll_event> ready;
    CHECK(p.wait(ready, 0ms) == 0);  // no peer: a send could only fail
    dealer.set(option::routing_id, "d");
    dealer.set(option::rcvhwm, 3);
    dealer.connect(ep);
    REQUIRE(dealer.send("hello"));
    recv_parts(router);  // "d" is known
    REQUIRE(p.wait(ready, 0ms) == 1);
    int sent = 0;
    for (;;) {
      msg::message id("d"), body("x");
      if (!router.send(id, flags::dontwait | flags::sndmore)) break;
      REQUIRE(router.send(body, flags::dontwait));
      REQUIRE(++sent <= 100);
    }
    CHECK(sent == 5);  // SNDHWM + RCVHWM
    CHECK(p.wait(ready, 0ms) == 0);
    CHECK_FALSE(router.writable());
    std::thread reader([&] {
      for (int i = 0; i < sent; ++i) recv_within(dealer);
    });
    REQUIRE(p.wait(ready, eventually) == 1);
    CHECK(has_item(ready, router, poll_events::out));
    reader.join();
    router.set(option::router_mandatory, 0);
    CHECK(router.writable());  // without it a send never blocks
  }

  TEST_CASE("XPUB_NODROP: out only while no subscriber is full and back when it drains") {
    msg::context ctx;
    msg::socket xpub(ctx, socket_type::xpub), sub(ctx, socket_type::sub), idle(ctx, socket_type::sub);
    xpub.set(option::xpub_nodrop, 1);
    xpub.set(option::sndhwm, 2);
    const std::string ep = bind_somewhere(xpub, "inproc");
    sub.set(option::rcvhwm, 2);
    sub.connect(ep);
    sub.set(option::subscribe, "t");
    idle.connect(ep);
    idle.set(option::subscribe, "other");
    std::set<std::string> subs{recv_within(xpub).str(), recv_within(xpub).str()};  // both applied
    REQUIRE(subs.size() == 2);
    msg::poller p;
    p.add(xpub, poll_events::out);
    std::vector<msg::poll_event> ready;
    int sent = 0;
    while (p.wait(ready, 0ms) == 1) {
      REQUIRE(xpub.send(msg::message("t"), flags::dontwait));
      REQUIRE(++sent <= 100);
    }
    CHECK(sent == 4);  // SNDHWM + RCVHWM, and every send the poller allowed went through
    CHECK_FALSE(xpub.send(msg::message("t"), flags::dontwait));
    CHECK_FALSE(xpub.writable());
    std::thread reader([&] {
      for (int i = 0; i < sent; ++i) recv_within(sub);
    });
    REQUIRE(p.wait(ready, eventually) == 1);
    CHECK(has_item(ready, xpub, poll_events::out));
    reader.join();
    xpub.set(option::xpub_nodrop, 0);
    for (int i = 0; i < 10; ++i) REQUIRE(xpub.send(msg::message("t"), flags::dontwait));  // drops
    CHECK(xpub.writable());  // without NODROP a send never blocks
  }

  TEST_CASE("a poller waiting in a fiber frees its worker") {
    troupe::framework::runtime rt(one_worker());
    msg::context ctx(rt);
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    unique_fd efd = make_eventfd();
    push.connect(bind_somewhere(pull, "inproc"));
    std::atomic<int> stage{0};
    std::string received;
    rt.spawn([&] {
      msg::poller p;
      p.add(pull, poll_events::in);
      p.add_fd(efd.get(), poll_events::in);
      std::vector<msg::poll_event> ready;
      stage.store(1);
      msg::message m;
      if (p.wait(ready, msg::poll_forever) == 1 && ready[0].sock == &pull && pull.recv(m, flags::dontwait))
        received = m.str();
      // and again, woken by the descriptor through the reactor
      stage.store(2);
      if (p.wait(ready, msg::poll_forever) == 1 && ready[0].fd == efd.get()) stage.store(3);
    });
    REQUIRE(wait_until([&] { return stage.load() == 1; }));
    // The only worker runs this task only if the fiber gave it back.
    rt.post([&] { push.send(msg::message("from a task")); });
    REQUIRE(wait_until([&] { return stage.load() == 2; }));
    rt.post([&] { eventfd_add(efd.get(), 1); });
    REQUIRE(wait_until([&] { return stage.load() == 3; }));
    rt.fibers().wait_all();
    CHECK(received == "from a task");
  }

  TEST_CASE("a descriptor-only poller in a fiber waits through the reactor it is given") {
    troupe::framework::runtime rt(one_worker());
    unique_fd efd = make_eventfd();
    std::atomic<int> stage{0};
    rt.spawn([&] {
      msg::poller without;
      without.add_fd(efd.get(), poll_events::in);
      std::vector<msg::poll_event> ready;
      try {
        without.wait(ready, 10ms);  // poll(2) would hold the worker: refused
      } catch (const msg::error& e) {
        if (e.kind() == msg::errc::invalid_argument) stage.store(1);
      }
      msg::poller with(rt.io());
      with.add_fd(efd.get(), poll_events::in);
      if (with.wait(ready, msg::poll_forever) == 1 && ready[0].fd == efd.get()) stage.store(2);
    });
    REQUIRE(wait_until([&] { return stage.load() == 1; }));
    rt.post([&] { eventfd_add(efd.get(), 1); });
    REQUIRE(wait_until([&] { return stage.load() == 2; }));
    rt.fibers().wait_all();
  }

  TEST_CASE("a fiber's poller timeout fires and the worker stays free meanwhile") {
    troupe::framework::runtime rt(one_worker());
    msg::context ctx(rt);
    msg::socket pull(ctx, socket_type::pull);
    bind_somewhere(pull, "inproc");
    std::atomic<bool> done{false};
    std::atomic<bool> task_ran{false};
    std::atomic<long long> took_ms{-1};
    rt.spawn([&] {
      msg::poller p;
      p.add(pull, poll_events::in);
      std::vector<msg::poll_event> ready;
      const auto t0 = steady::now();
      const auto n = p.wait(ready, 100ms);
      took_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count());
      done.store(n == 0);
    });
    rt.post([&] { task_ran.store(true); });
    REQUIRE(wait_until([&] { return done.load(); }));
    CHECK(task_ran.load());
    CHECK(took_ms.load() >= 100);
    rt.fibers().wait_all();
  }

  TEST_CASE("terminating the context ends a wait with errc::terminated") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    bind_somewhere(pull, "inproc");
    std::atomic<int> outcome{0};
    std::thread waiter([&] {
      msg::poller p;
      p.add(pull, poll_events::in);
      std::vector<msg::poll_event> ready;
      try {
        p.wait(ready, msg::poll_forever);
        outcome.store(1);
      } catch (const msg::error& e) {
        outcome.store(e.kind() == msg::errc::terminated ? 2 : 3);
      }
    });
    ctx.terminate();
    waiter.join();
    CHECK(outcome.load() == 2);
  }

  TEST_CASE("poll(): zmq_poll in one call") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    push.connect(bind_somewhere(pull, "inproc"));
    unique_fd efd = make_eventfd();
    msg::poll_item items[] = {{&pull, -1, poll_events::in, {}}, {nullptr, efd.get(), poll_events::in, {}}};
    CHECK(msg::poll(items, 0ms) == 0);
    REQUIRE(push.send("hi"));
    REQUIRE(msg::poll(items, eventually) == 1);
    CHECK(items[0].revents == poll_events::in);
    CHECK(items[1].revents == poll_events::none);
  }

  TEST_CASE("a busy poller beside an idle socket keeps working (waiters handed to the idle one are dropped)") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), idle(ctx, socket_type::pull), push(ctx, socket_type::push);
    push.connect(bind_somewhere(pull, "inproc"));
    bind_somewhere(idle, "inproc");
    msg::poller p;
    p.add(pull, poll_events::in);
    p.add(idle, poll_events::in);
    std::vector<msg::poll_event> ready;
    // Woken through `pull` each time while `idle` never fires: its waiter copies must not pile up.
    std::thread sender([&] {
      for (int i = 0; i < 500; ++i) push.send(msg::message("m"));
    });
    int got = 0;
    while (got < 500) {
      REQUIRE(p.wait(ready, eventually) >= 1);
      msg::message m;
      while (pull.recv(m, flags::dontwait)) ++got;
    }
    sender.join();
    CHECK(got == 500);
  }
}
