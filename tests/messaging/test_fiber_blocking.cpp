// Blocking socket calls made from a fiber suspend the fiber, not the worker: on a runtime with
// a single worker, a task posted while the fiber blocks still runs and unblocks it.
#include "support.hpp"

#include <troupe/framework/runtime.hpp>

using namespace troupe_test;
using msg::option;
using msg::socket_type;

namespace {

troupe::framework::runtime_options one_worker() {
  troupe::framework::runtime_options o;
  o.executor.concurrency = 1;
  return o;
}

}  // namespace

TEST_SUITE("fiber") {
  TEST_CASE("a blocking recv in a fiber frees its worker: a posted task sends and the fiber receives") {
    troupe::framework::runtime rt(one_worker());
    msg::context ctx(rt);
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    push.connect(bind_somewhere(pull, "inproc"));
    std::atomic<bool> blocking{false};
    std::atomic<bool> done{false};
    std::string received;
    rt.spawn([&] {
      blocking.store(true);
      msg::message m;
      if (pull.recv(m)) received = m.str();  // no timeout: only the task below can end this
      done.store(true);
    });
    REQUIRE(wait_until([&] { return blocking.load(); }));
    rt.post([&] { push.send(msg::message("woken by a task")); });
    REQUIRE(wait_until([&] { return done.load(); }));
    rt.fibers().wait_all();
    CHECK(received == "woken by a task");
  }

  TEST_CASE("a blocking send at the HWM in a fiber frees its worker until a task reads") {
    troupe::framework::runtime rt(one_worker());
    msg::context ctx(rt);
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    push.set(option::sndhwm, 1);
    pull.set(option::rcvhwm, 1);
    push.connect(bind_somewhere(pull, "inproc"));
    std::atomic<int> sent{0};
    std::atomic<bool> done{false};
    rt.spawn([&] {
      for (int i = 0; i < 3; ++i) {  // the third send blocks: capacity is 1 + 1
        if (push.send(msg::message("m"))) sent.fetch_add(1);
      }
      done.store(true);
    });
    REQUIRE(wait_until([&] { return sent.load() == 2; }));
    std::atomic<int> read{0};
    rt.post([&] {
      msg::message m;
      while (read.load() < 3 && pull.recv(m, msg::flags::dontwait)) read.fetch_add(1);
    });
    REQUIRE(wait_until([&] { return done.load(); }));
    rt.fibers().wait_all();
    CHECK(sent.load() == 3);
  }

  TEST_CASE("a recv timeout in a fiber expires without holding the worker") {
    troupe::framework::runtime rt(one_worker());
    msg::context ctx(rt);
    msg::socket pull(ctx, socket_type::pull);
    bind_somewhere(pull, "inproc");
    pull.set(option::rcvtimeo, 100);
    std::atomic<int> outcome{0};
    std::atomic<bool> task_ran{false};
    rt.spawn([&] {
      msg::message m;
      outcome.store(pull.recv(m) ? 1 : 2);
    });
    rt.post([&] { task_ran.store(true); });
    REQUIRE(wait_until([&] { return outcome.load() != 0; }));
    rt.fibers().wait_all();
    CHECK(outcome.load() == 2);
    CHECK(task_ran.load());
  }
}
