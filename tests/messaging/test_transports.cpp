// Transports (issue #4): the registry, tcp addressing (IPv6, host names, '*', wildcard ports),
// tcp socket options, ipc abstract names and files, bind errors, reconnect back-off; and the
// ZMTP 3.0 peer (subscription messages, no PING).
#include "interop_support.hpp"

#include "transport/registry.hpp"

#include <netinet/tcp.h>
#include <sys/stat.h>

#include <set>

using namespace troupe_test;
using msg::option;
using msg::socket_type;
using namespace std::chrono_literals;
namespace ev = msg::monitor_event;
namespace internal = troupe::messaging::internal;

namespace {

/// A PUSH connected to a PULL bound at `bind_to` carries one message; returns LAST_ENDPOINT.
/// The PUSH connects to `connect_to(LAST_ENDPOINT)`, or to LAST_ENDPOINT itself.
std::string round_trip(msg::context& ctx, const std::string& bind_to,
                       std::string (*connect_to)(const std::string& bound) = nullptr) {
  msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
  pull.set(option::linger, 0);
  push.set(option::linger, 0);
  pull.bind(bind_to);
  const std::string bound = pull.get_bytes(option::last_endpoint);
  const std::string ep = connect_to ? connect_to(bound) : bound;
  push.connect(ep);
  REQUIRE(push.send("over " + ep));
  CHECK(recv_within(pull).view() == "over " + ep);
  return bound;
}

int int_opt(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  REQUIRE(::getsockopt(fd, level, name, &v, &len) == 0);
  return v;
}

bool ipv6_loopback_available() {
  unique_fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

TEST_SUITE("wire") {
  TEST_CASE("transport registry: every compiled-in scheme resolves and carries a message") {
    std::set<std::string> schemes;
    for (const internal::transport_ops& t : internal::transports()) {
      CAPTURE(t.scheme);
      schemes.emplace(t.scheme);
      const std::string ep = std::string(t.scheme) + "://some-address";
      const auto r = internal::resolve(ep);
      CHECK(r.transport == &t);
      CHECK(r.address == "some-address");
      // pgm and epgm carry PUB/SUB only: their round trip is in test_pgm.cpp.
      if (t.scheme == "pgm" || t.scheme == "epgm") continue;
      msg::context ctx;
      round_trip(ctx, fresh_endpoint(std::string(t.scheme)));
    }
    CHECK(schemes == std::set<std::string>{"inproc", "tcp", "ipc", "pgm", "epgm"});
    msg::errc kind{};
    const std::string what = error_message_of([] { internal::resolve("pgmx://eth0;239.1.1.1:5555"); }, &kind);
    CHECK(kind == msg::errc::protocol_not_supported);
    CHECK(what.find("unknown transport 'pgmx'") != std::string::npos);
    CHECK(what.find("supported: inproc, tcp, ipc, pgm, epgm") != std::string::npos);
  }

  TEST_CASE("tcp over IPv6: [::1] with a wildcard port - LAST_ENDPOINT in brackets") {
    if (!ipv6_loopback_available()) {
      MESSAGE("SKIPPED: ::1 is not available on this machine");
      return;
    }
    msg::context ctx;
    CHECK(round_trip(ctx, "tcp://[::1]:*").starts_with("tcp://[::1]:"));
  }

  TEST_CASE("tcp host names: localhost binds and connects") {
    msg::context ctx;
    const std::string bound = round_trip(ctx, "tcp://localhost:*", [](const std::string& b) {
      return "tcp://localhost:" + std::to_string(tcp_port_of(b));
    });
    CHECK(bound.starts_with("tcp://127.0.0.1:"));  // IPv4 first, as libzmq without IPV6
  }

  TEST_CASE("tcp bind to * listens on every interface - LAST_ENDPOINT says 0.0.0.0") {
    msg::context ctx;
    const std::string bound = round_trip(ctx, "tcp://*:*", [](const std::string& b) {
      return "tcp://127.0.0.1:" + std::to_string(tcp_port_of(b));
    });
    CHECK(bound.starts_with("tcp://0.0.0.0:"));
    msg::socket push(ctx, socket_type::push);
    CHECK(error_message_of([&] { push.connect("tcp://*:5555"); }).find("'*' can only be bound") != std::string::npos);
  }

  TEST_CASE("tcp options: TCP_NODELAY always and the keep-alive options as set - on both sides") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    for (msg::socket* s : {&pull, &push}) {
      s->set(option::linger, 0);
      s->set(option::tcp_keepalive, 1);
      s->set(option::tcp_keepalive_cnt, 5);
      s->set(option::tcp_keepalive_idle, 30);
      s->set(option::tcp_keepalive_intvl, 7);
    }
    event_watch accepted(ctx, pull), connected(ctx, push);
    const std::string ep = bind_somewhere(pull, "tcp");
    push.connect(ep);
    REQUIRE(push.send("x"));
    CHECK(recv_within(pull).view() == "x");  // both connections are up: their descriptors are open
    const auto a = accepted.wait_for(ev::accepted);
    const auto c = connected.wait_for(ev::connected);
    REQUIRE(a.has_value());
    REQUIRE(c.has_value());
    for (const int fd : {static_cast<int>(a->value), static_cast<int>(c->value)}) {
      CAPTURE(fd);
      CHECK(int_opt(fd, IPPROTO_TCP, TCP_NODELAY) != 0);
      CHECK(int_opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
      CHECK(int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT) == 5);
      CHECK(int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 30);
      CHECK(int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL) == 7);
    }
  }

  TEST_CASE("tcp options: TCP_KEEPALIVE 0 turns keep-alive off") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull), push(ctx, socket_type::push);
    pull.set(option::linger, 0);
    push.set(option::linger, 0);
    push.set(option::tcp_keepalive, 0);
    event_watch connected(ctx, push);
    push.connect(bind_somewhere(pull, "tcp"));
    REQUIRE(push.send("x"));
    CHECK(recv_within(pull).view() == "x");
    const auto c = connected.wait_for(ev::connected);
    REQUIRE(c.has_value());
    CHECK(int_opt(static_cast<int>(c->value), SOL_SOCKET, SO_KEEPALIVE) == 0);
    CHECK(int_opt(static_cast<int>(c->value), IPPROTO_TCP, TCP_NODELAY) != 0);
  }

  TEST_CASE("ipc abstract names: no file - LAST_ENDPOINT gives the name back") {
    msg::context ctx;
    const std::string name = "troupe-abstract-" + std::to_string(::getpid());
    const std::string ep = "ipc://@" + name;
    msg::socket pull(ctx, socket_type::pull);
    pull.set(option::linger, 0);
    pull.bind(ep);
    CHECK(pull.get_bytes(option::last_endpoint) == ep);
    struct stat st{};
    CHECK(::stat(("@" + name).c_str(), &st) != 0);  // nothing in the working directory
    round_trip(ctx, "ipc://@" + name + "-2");
    msg::errc kind{};
    msg::socket again(ctx, socket_type::pull);
    const std::string what = error_message_of([&] { again.bind(ep); }, &kind);
    CHECK(kind == msg::errc::address_in_use);
    CHECK(what.find(ep) != std::string::npos);
  }

  TEST_CASE("ipc files: ipc://* makes a path - removed at unbind") {
    msg::context ctx;
    msg::socket pull(ctx, socket_type::pull);
    pull.set(option::linger, 0);
    pull.bind("ipc://*");
    const std::string ep = pull.get_bytes(option::last_endpoint);
    REQUIRE(ep.starts_with("ipc:///"));
    const std::string path = ep.substr(6);
    struct stat st{};
    CHECK(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    round_trip(ctx, "ipc://*");
    pull.unbind(ep);
    CHECK(::stat(path.c_str(), &st) != 0);
  }

  TEST_CASE("bind errors name the endpoint and the reason - address in use and bad interface") {
    msg::context ctx;
    msg::socket a(ctx, socket_type::pull), b(ctx, socket_type::pull);
    a.set(option::linger, 0);
    b.set(option::linger, 0);
    const std::string ep = bind_somewhere(a, "tcp");
    msg::errc kind{};
    std::string what = error_message_of([&] { b.bind(ep); }, &kind);
    CHECK(kind == msg::errc::address_in_use);
    CHECK(what.find(ep) != std::string::npos);
    CHECK(what.find("Address already in use") != std::string::npos);

    // 192.0.2.1 (TEST-NET-1) is no interface of this machine.
    what = error_message_of([&] { b.bind("tcp://192.0.2.1:5555"); }, &kind);
    CHECK(kind == msg::errc::address_not_available);
    CHECK(what.find("tcp://192.0.2.1:5555") != std::string::npos);
    CHECK(what.find("Cannot assign requested address") != std::string::npos);

    what = error_message_of([&] { b.bind("ipc:///troupe-no-such-directory/sock"); }, &kind);
    CHECK(what.find("ipc:///troupe-no-such-directory/sock") != std::string::npos);
    CHECK(what.find("No such file or directory") != std::string::npos);

    what = error_message_of([&] { b.bind("tcp://127.0.0.1:99999"); }, &kind);
    CHECK(kind == msg::errc::invalid_argument);
    CHECK(what.find("port '99999'") != std::string::npos);
  }

  TEST_CASE("reconnect backs off exponentially from RECONNECT_IVL to RECONNECT_IVL_MAX") {
    int port = 0;
    { unique_fd gone = raw_listen(port); }  // a port nobody listens on now: connects are refused
    msg::context ctx;
    msg::socket push(ctx, socket_type::push);
    push.set(option::linger, 0);
    push.set(option::reconnect_ivl, 5);
    push.set(option::reconnect_ivl_max, 40);
    event_watch events(ctx, push);
    push.connect("tcp://127.0.0.1:" + std::to_string(port));
    std::vector<std::uint32_t> intervals;
    while (intervals.size() < 6) {
      const auto rec = events.wait_for(ev::connect_retried);
      REQUIRE_MESSAGE(rec.has_value(), "events: " << events.seen());
      intervals.push_back(rec->value);
    }
    CHECK(intervals == std::vector<std::uint32_t>{5, 10, 20, 40, 40, 40});
  }

  TEST_CASE("CONNECT_TIMEOUT abandons an attempt the peer never answers - and the next attempt connects") {
    // A listener with a full accept queue (backlog 0 and one connection waiting): Linux drops
    // further SYNs, so a connect neither succeeds nor fails until its timeout.
    int port = 0;
    unique_fd listener = raw_listen(port, 0);
    unique_fd filler = raw_connect(port);  // fills the queue
    msg::context ctx;
    msg::socket push(ctx, socket_type::push);
    push.set(option::linger, 0);
    push.set(option::connect_timeout, 100);
    push.set(option::reconnect_ivl, 50);
    event_watch events(ctx, push);
    const auto started = steady::now();
    push.connect("tcp://127.0.0.1:" + std::to_string(port));
    REQUIRE(events.wait_for(ev::connect_delayed).has_value());
    REQUIRE_MESSAGE(events.wait_for(ev::closed).has_value(), "events: " << events.seen());
    CHECK(steady::now() - started >= 90ms);  // not before CONNECT_TIMEOUT
    REQUIRE(events.wait_for(ev::connect_retried).has_value());
    CHECK(events.count(ev::connected) == 0u);
    // Room in the queue again: a later attempt gets through.
    unique_fd taken = raw_accept(listener.get());
    REQUIRE_MESSAGE(events.wait_for(ev::connected).has_value(), "events: " << events.seen());
  }

  TEST_CASE("ZMTP 3.0 peer: a troupe SUB sends it subscription messages - not SUBSCRIBE commands") {
    msg::context ctx;
    msg::socket sub(ctx, socket_type::sub);
    sub.set(option::linger, 0);
    sub.set(option::subscribe, "ab");
    event_watch events(ctx, sub);
    const std::string ep = bind_somewhere(sub, "tcp");
    unique_fd pub = raw_connect_to(ep);
    raw_handshake(pub.get(), "PUB", {}, 0);
    // (Waiting for the event calls into the SUB, which then sends its subscriptions.)
    REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
    CHECK(raw_read_frame(pub.get()) == zmtp_frame("\x01" "ab"));  // flags 0: a message
    raw_write(pub.get(), zmtp_frame("ab-1"));
    CHECK(recv_within(sub).view() == "ab-1");
    sub.set(option::unsubscribe, "ab");
    CHECK(raw_read_frame(pub.get()) == zmtp_frame(std::string("\x00" "ab", 3)));
  }

  TEST_CASE("ZMTP 3.0 peer: a troupe PUB takes its subscription messages and never PINGs it") {
    msg::context ctx;
    msg::socket pub(ctx, socket_type::pub);
    pub.set(option::linger, 0);
    pub.set(option::heartbeat_ivl, 20);
    pub.set(option::heartbeat_timeout, 60);
    event_watch events(ctx, pub);
    const std::string ep = bind_somewhere(pub, "tcp");
    unique_fd sub = raw_connect_to(ep);
    raw_handshake(sub.get(), "SUB", {}, 0);
    raw_write(sub.get(), zmtp_frame("\x01" "to"));
    REQUIRE(events.wait_for(ev::handshake_succeeded).has_value());
    // Publish until the subscription has reached the PUB: the first frame must match it.
    std::string first;
    for (int i = 0; i < 200 && first.empty(); ++i) {
      REQUIRE(pub.send("other"));
      REQUIRE(pub.send("to-" + std::to_string(i)));
      pollfd p{sub.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) first = raw_read_frame(sub.get());
    }
    REQUIRE(!first.empty());
    CHECK(first.substr(2).starts_with("to-"));
    CHECK(first[0] == '\0');  // a message, not a command
    // Many heartbeat intervals of silence from the 3.0 peer (which cannot PONG): troupe neither
    // PINGs it nor drops it for HEARTBEAT_TIMEOUT.
    std::this_thread::sleep_for(300ms);
    REQUIRE(pub.send("to-later"));
    for (;;) {
      const std::string f = raw_read_frame(sub.get());
      REQUIRE_MESSAGE((static_cast<unsigned char>(f[0]) & 4) == 0, "troupe sent a 3.0 peer a command: " << f.substr(3, 4));
      if (f.substr(2) == "to-later") break;
    }
    CHECK(events.count(ev::disconnected) == 0u);
  }
}
