// The socket_cat sample (samples/socket_cat) against libzmq (pyzmq, a separate process), over
// tcp and ipc, with socket_cat binding and connecting: the runnable example of
// docs/talking-to-libzmq.md works as that page says.

#include "interop_support.hpp"

#include <sys/wait.h>

#include <cstdio>

#ifndef TROUPE_SOCKET_CAT
#error "TROUPE_SOCKET_CAT must name the socket_cat binary"
#endif

namespace troupe_test {
namespace {

/// One socket_cat run; its stdout is read line by line. Every read is bounded by socket_cat's
/// own --timeout (it exits when it passes), so a broken run fails, never hangs.
class socket_cat {
public:
  explicit socket_cat(const std::string& args) {
    const std::string cmd = std::string(TROUPE_SOCKET_CAT) + " --timeout 10000 " + args;
    f_ = ::popen(cmd.c_str(), "r");
    REQUIRE(f_ != nullptr);
  }
  ~socket_cat() {
    if (f_) ::pclose(f_);
  }
  socket_cat(const socket_cat&) = delete;
  socket_cat& operator=(const socket_cat&) = delete;

  /// The next line of its output ("" at its end).
  std::string line() {
    char buf[4096];
    if (!std::fgets(buf, sizeof buf, f_)) return {};
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  /// The endpoint it printed with --print-endpoint.
  std::string endpoint() {
    const std::string l = line();
    REQUIRE_MESSAGE(l.rfind("endpoint ", 0) == 0, "socket_cat printed '" << l << "', not its endpoint");
    return l.substr(9);
  }
  /// Waits for it to exit; its exit status.
  int status() {
    const int st = ::pclose(f_);
    f_ = nullptr;
    REQUIRE(WIFEXITED(st));
    return WEXITSTATUS(st);
  }

private:
  FILE* f_ = nullptr;
};

}  // namespace

TEST_SUITE("interop_socket_cat") {

TEST_CASE("socket_cat PULL binds and prints what a libzmq PUSH sends") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    socket_cat cat("PULL --bind '" + fresh_endpoint(transport) + "' --print-endpoint --recv 2");
    libzmq_end push(shared_zmq_peer(), msg::socket_type::push);
    push.connect(cat.endpoint());
    push.send({"key", "value with | bar"});
    push.send({""});
    CHECK(cat.line() == "key|value with \\x7c bar");
    CHECK(cat.line() == "");
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat PUSH connects and a libzmq PULL receives its multipart messages") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    libzmq_end pull(shared_zmq_peer(), msg::socket_type::pull);
    const std::string ep = pull.bind(transport);
    socket_cat cat("PUSH --connect '" + ep + "' --send 'a|b|c' --send '\\x00\\xff'");
    CHECK(pull.recv_required() == text_parts{"a", "b", "c"});
    CHECK(pull.recv_required() == text_parts{std::string("\0\xff", 2)});
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat SUB subscribes to a prefix of a libzmq XPUB") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    libzmq_end xpub(shared_zmq_peer(), msg::socket_type::xpub);
    const std::string ep = xpub.bind(transport);
    socket_cat cat("SUB --connect '" + ep + "' --subscribe weather --recv 2");
    CHECK(xpub.recv_required() == text_parts{"\x01weather"});  // the subscription arrived
    xpub.send({"weather", "sunny"});
    xpub.send({"sports", "not for this subscriber"});
    xpub.send({"weather.rome", "rain"});
    CHECK(cat.line() == "weather|sunny");
    CHECK(cat.line() == "weather.rome|rain");
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat XPUB waits for a libzmq SUB and publishes to its prefix") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    socket_cat cat("XPUB --bind '" + fresh_endpoint(transport) +
                   "' --print-endpoint --wait-subscribers 1 --send 'news|1' --send 'other|2' --send 'news|3'");
    libzmq_end sub(shared_zmq_peer(), msg::socket_type::sub);
    sub.set(msg::option::subscribe, "news");
    sub.connect(cat.endpoint());
    CHECK(sub.recv_required() == text_parts{"news", "1"});
    CHECK(sub.recv_required() == text_parts{"news", "3"});
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat REQ asks a libzmq REP and prints the reply") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    libzmq_end rep(shared_zmq_peer(), msg::socket_type::rep);
    const std::string ep = rep.bind(transport);
    socket_cat cat("REQ --connect '" + ep + "' --send ping");
    CHECK(rep.recv_required() == text_parts{"ping"});
    rep.send({"pong", "2"});
    CHECK(cat.line() == "pong|2");
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat REP echoes a libzmq REQ") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    socket_cat cat("REP --bind '" + fresh_endpoint(transport) + "' --print-endpoint --recv 1");
    libzmq_end req(shared_zmq_peer(), msg::socket_type::req);
    req.connect(cat.endpoint());
    req.send({"hello", "world"});
    CHECK(req.recv_required() == text_parts{"hello", "world"});
    CHECK(cat.line() == "hello|world");
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat ROUTER shows a libzmq DEALER's identity and answers it") {
  for (const std::string& transport : wire_transports) {
    CAPTURE(transport);
    socket_cat cat("ROUTER --bind '" + fresh_endpoint(transport) + "' --print-endpoint --recv 1 --echo");
    libzmq_end dealer(shared_zmq_peer(), msg::socket_type::dealer);
    dealer.set(msg::option::routing_id, "peer-1");
    dealer.connect(cat.endpoint());
    dealer.send({"job", "42"});
    CHECK(cat.line() == "peer-1|job|42");
    CHECK(dealer.recv_required() == text_parts{"job", "42"});
    CHECK(cat.status() == 0);
  }
}

TEST_CASE("socket_cat names a bad endpoint and a bad socket type") {
  socket_cat bad_endpoint("PULL --bind 'tcp://127.0.0.1:notaport' 2>&1");
  const std::string l = bad_endpoint.line();
  CHECK(l.find("notaport") != std::string::npos);
  CHECK(bad_endpoint.status() == 1);

  socket_cat bad_type("FOO --bind tcp://127.0.0.1:* 2>&1");
  CHECK(bad_type.line() == "socket_cat: unknown socket type 'FOO'");
  CHECK(bad_type.status() == 2);
}

}  // TEST_SUITE

}  // namespace troupe_test
