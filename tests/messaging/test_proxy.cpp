// proxy and steerable_proxy: a ROUTER/DEALER broker, capture, and the control commands.
#include "support.hpp"

#include <troupe/messaging/error.hpp>
#include <troupe/messaging/proxy.hpp>

#include <map>
#include <thread>

using namespace troupe_test;
using msg::flags;
using msg::option;
using msg::proxy_exit;
using msg::socket_type;

namespace {

// Runs a proxy on its own thread; the result is read after join().
struct proxy_thread {
  std::thread thread;
  std::atomic<int> result{-1};
  std::string error;

  template <class F>
  explicit proxy_thread(F run) {
    thread = std::thread([this, run]() mutable {
      try {
        result.store(static_cast<int>(run()));
      } catch (const std::exception& e) {
        error = e.what();
        result.store(100);
      }
    });
  }
  proxy_exit join() {
    thread.join();
    INFO("proxy failed: " << error);
    REQUIRE(result.load() < 100);
    return static_cast<proxy_exit>(result.load());
  }
};

msg::proxy_statistics statistics(msg::socket& control) {
  send_parts(control, {"STATISTICS"});
  control.set(option::rcvtimeo, static_cast<int>(eventually.count()));
  msg::multipart reply;
  REQUIRE(control.recv(reply));
  control.set(option::rcvtimeo, -1);
  const auto stats = msg::parse_proxy_statistics(reply);
  REQUIRE(stats.has_value());
  return *stats;
}

void command(msg::socket& control, const std::string& c) {
  send_parts(control, {c});
  CHECK(recv_parts(control) == std::vector<std::string>{""});  // REP control: empty reply
}

}  // namespace

TEST_SUITE("proxy") {
  TEST_CASE("a ROUTER/DEALER broker answers every request of many REQ clients through many REP workers") {
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::router), backend(ctx, socket_type::dealer);
    const std::string front_ep = bind_somewhere(frontend, "inproc");
    const std::string back_ep = bind_somewhere(backend, "inproc");
    proxy_thread px([&] { return msg::proxy(frontend, backend); });

    constexpr int workers = 3, clients = 4, requests = 50;
    std::atomic<int> served{0};
    std::vector<std::thread> worker_threads;
    for (int w = 0; w < workers; ++w) {
      worker_threads.emplace_back([&, w] {
        msg::socket rep(ctx, socket_type::rep);
        rep.connect(back_ep);
        try {
          for (;;) {
            msg::message req;
            if (!rep.recv(req)) continue;
            served.fetch_add(1);  // before the reply, which the client may see at once
            rep.send(msg::message(req.str() + " served by " + std::to_string(w)));
          }
        } catch (const msg::error& e) {
          if (e.kind() != msg::errc::terminated) throw;
        }
      });
    }
    std::atomic<int> answered{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> client_threads;
    for (int c = 0; c < clients; ++c) {
      client_threads.emplace_back([&, c] {
        msg::socket req(ctx, socket_type::req);
        req.connect(front_ep);
        req.set(option::rcvtimeo, static_cast<int>(eventually.count()));
        for (int i = 0; i < requests; ++i) {
          const std::string body = "client " + std::to_string(c) + " request " + std::to_string(i);
          req.send(msg::message(body));
          msg::message reply;
          if (!req.recv(reply)) return;
          if (reply.view().starts_with(body + " served by ")) {
            answered.fetch_add(1);
          } else {
            wrong.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : client_threads) t.join();
    CHECK(answered.load() == clients * requests);
    CHECK(wrong.load() == 0);
    CHECK(served.load() == clients * requests);
    ctx.terminate();
    CHECK(px.join() == proxy_exit::terminated);
    for (auto& t : worker_threads) t.join();
  }

  TEST_CASE("the capture socket sees every part of every message both ways") {
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::router), backend(ctx, socket_type::dealer);
    msg::socket capture(ctx, socket_type::push), tap(ctx, socket_type::pull);
    const std::string front_ep = bind_somewhere(frontend, "inproc");
    const std::string back_ep = bind_somewhere(backend, "inproc");
    capture.connect(bind_somewhere(tap, "inproc"));
    msg::socket req(ctx, socket_type::req), rep(ctx, socket_type::rep);
    req.set(option::routing_id, "client");
    req.connect(front_ep);
    rep.connect(back_ep);
    proxy_thread px([&] { return msg::proxy(frontend, backend, &capture); });

    constexpr int rounds = 20;
    for (int i = 0; i < rounds; ++i) {
      req.send(msg::message("ask " + std::to_string(i)));
      CHECK(recv_parts(rep) == std::vector<std::string>{"ask " + std::to_string(i)});
      rep.send(msg::message("answer " + std::to_string(i)));
      CHECK(recv_parts(req) == std::vector<std::string>{"answer " + std::to_string(i)});
    }
    // Request from the frontend: [id, "", body]; reply from the backend: the same envelope.
    for (int i = 0; i < rounds; ++i) {
      CHECK(recv_parts(tap) == std::vector<std::string>{"client", "", "ask " + std::to_string(i)});
      CHECK(recv_parts(tap) == std::vector<std::string>{"client", "", "answer " + std::to_string(i)});
    }
    CHECK(nothing_pending(tap));
    ctx.terminate();
    CHECK(px.join() == proxy_exit::terminated);
  }

  TEST_CASE("a destination at its HWM holds the flow back and nothing is lost") {
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::pull), backend(ctx, socket_type::push);
    backend.set(option::sndhwm, 2);
    msg::socket source(ctx, socket_type::push), sink(ctx, socket_type::pull);
    sink.set(option::rcvhwm, 2);
    source.connect(bind_somewhere(frontend, "inproc"));
    sink.connect(bind_somewhere(backend, "inproc"));
    proxy_thread px([&] { return msg::proxy(frontend, backend); });
    constexpr int n = 500;
    std::thread producer([&] {
      for (int i = 0; i < n; ++i) source.send(msg::message(std::to_string(i)));
    });
    for (int i = 0; i < n; ++i) CHECK(recv_within(sink).str() == std::to_string(i));
    producer.join();
    ctx.terminate();
    CHECK(px.join() == proxy_exit::terminated);
  }

  TEST_CASE("steerable: PAUSE stops forwarding and RESUME restarts it and TERMINATE ends the proxy") {
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::pull), backend(ctx, socket_type::push);
    msg::socket control(ctx, socket_type::rep), steer(ctx, socket_type::req);
    msg::socket source(ctx, socket_type::push), sink(ctx, socket_type::pull);
    source.connect(bind_somewhere(frontend, "inproc"));
    sink.connect(bind_somewhere(backend, "inproc"));
    steer.connect(bind_somewhere(control, "inproc"));
    proxy_thread px([&] { return msg::steerable_proxy(frontend, backend, nullptr, control); });

    REQUIRE(source.send("before"));
    CHECK(recv_within(sink).view() == "before");
    command(steer, "PAUSE");
    REQUIRE(source.send("while paused"));
    // Paused: the message is not counted as received by the frontend, and does not come out.
    CHECK(statistics(steer).frontend_messages_in == 1);
    sink.set(option::rcvtimeo, 100);
    msg::message m;
    CHECK(!sink.recv(m));
    command(steer, "RESUME");
    CHECK(recv_within(sink).view() == "while paused");
    CHECK(statistics(steer).frontend_messages_in == 2);
    command(steer, "TERMINATE");
    CHECK(px.join() == proxy_exit::terminate_command);
  }

  TEST_CASE("steerable: STATISTICS counts whole messages and bytes exactly in libzmq's order") {
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::pair), backend(ctx, socket_type::pair);
    msg::socket control(ctx, socket_type::pair), steer(ctx, socket_type::pair);
    msg::socket client(ctx, socket_type::pair), worker(ctx, socket_type::pair);
    client.connect(bind_somewhere(frontend, "inproc"));
    worker.connect(bind_somewhere(backend, "inproc"));
    steer.connect(bind_somewhere(control, "inproc"));
    proxy_thread px([&] { return msg::steerable_proxy(frontend, backend, nullptr, control); });

    CHECK(statistics(steer) == msg::proxy_statistics{});
    // client -> worker: 3 messages, one of them multipart, 1 + 5 + 10 = 16 bytes
    send_parts(client, {"a"});
    send_parts(client, {"ab", "cde"});
    send_parts(client, {"0123456789"});
    CHECK(recv_parts(worker) == std::vector<std::string>{"a"});
    CHECK(recv_parts(worker) == std::vector<std::string>{"ab", "cde"});
    CHECK(recv_parts(worker) == std::vector<std::string>{"0123456789"});
    // worker -> client: 2 messages, 4 + 3 + 0 = 7 bytes
    send_parts(worker, {"back"});
    send_parts(worker, {"x", "yz", ""});
    CHECK(recv_parts(client) == std::vector<std::string>{"back"});
    CHECK(recv_parts(client) == std::vector<std::string>{"x", "yz", ""});

    msg::proxy_statistics expected;
    expected.frontend_messages_in = 3;
    expected.frontend_bytes_in = 16;
    expected.frontend_messages_out = 2;
    expected.frontend_bytes_out = 7;
    expected.backend_messages_in = 2;
    expected.backend_bytes_in = 7;
    expected.backend_messages_out = 3;
    expected.backend_bytes_out = 16;
    CHECK(statistics(steer) == expected);

    // A PAIR control gets no reply to the other commands.
    send_parts(steer, {"TERMINATE"});
    CHECK(px.join() == proxy_exit::terminate_command);
    CHECK(nothing_pending(steer));
  }

  TEST_CASE("steerable: unknown commands are logged and answered and the proxy goes on") {
    log_capture logs;
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::pull), backend(ctx, socket_type::push);
    msg::socket control(ctx, socket_type::rep), steer(ctx, socket_type::req);
    msg::socket source(ctx, socket_type::push), sink(ctx, socket_type::pull);
    source.connect(bind_somewhere(frontend, "inproc"));
    sink.connect(bind_somewhere(backend, "inproc"));
    steer.connect(bind_somewhere(control, "inproc"));
    proxy_thread px([&] { return msg::steerable_proxy(frontend, backend, nullptr, control); });
    command(steer, "DANCE");
    CHECK(logs.count_containing("DANCE") == 1);
    REQUIRE(source.send("still here"));
    CHECK(recv_within(sink).view() == "still here");
    command(steer, "TERMINATE");
    CHECK(px.join() == proxy_exit::terminate_command);
  }

  TEST_CASE("a proxy whose socket is closed returns socket_closed") {
    // Closing a socket under a running proxy breaks the one-thread rule, so the proxy is
    // given an already closed socket: the same path, taken at once.
    msg::context ctx;
    msg::socket frontend(ctx, socket_type::pull), backend(ctx, socket_type::push);
    backend.close();
    CHECK(msg::proxy(frontend, backend) == proxy_exit::socket_closed);
  }

  TEST_CASE("parse_proxy_statistics refuses what is not a STATISTICS reply") {
    msg::multipart bad;
    bad.emplace_back("short");
    CHECK(!msg::parse_proxy_statistics(bad).has_value());
  }
}
