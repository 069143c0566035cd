#pragma once
// Helpers of the wire tests against real and hostile peers (issue #4):
//
// - zmq_peer: a libzmq peer process (tests/messaging/peers/zmq_peer.py on pyzmq), driven line
//   by line; the tests never link libzmq. A missing python3-zmq fails the test loudly.
// - end: one socket of a pair, troupe's or libzmq's, behind one interface, so a scenario is
//   written once and runs with troupe on either side.
// - raw ZMTP bytes and raw tcp sockets for peers that misbehave on purpose.
// - monitor and memory probes.

#include "support.hpp"

#include <troupe/messaging/monitor.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef TROUPE_TEST_PEERS
#error "TROUPE_TEST_PEERS must name tests/messaging/peers"
#endif

namespace troupe_test {

using text_parts = std::vector<std::string>;

/// A short, comparable description of a message: sizes, short bodies verbatim, a hash of
/// long ones (so a failed CHECK does not print a MiB).
inline std::string summary(const text_parts& p) {
  std::string out;
  for (const auto& s : p) {
    out += "[" + std::to_string(s.size()) + ":";
    if (s.size() <= 16) {
      for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
      }
    } else {
      std::uint64_t h = 14695981039346656037ull;  // FNV-1a
      for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
      out += "#" + std::to_string(h);
    }
    out += "]";
  }
  return out;
}

/// `n` bytes that are not all alike (a reordered or shifted body would not compare equal).
inline std::string patterned(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

// ---------------------------------------------------------------------------------------
// The libzmq peer process.

/// One running zmq_peer.py. Requests are answered in order; every wait is bounded.
class zmq_peer {
public:
  zmq_peer() {
    ::signal(SIGPIPE, SIG_IGN);  // a dead peer must fail a test, not kill the binary
    // Loud, not skipped: CI installs python3-zmq (tools/setup.sh).
    REQUIRE_MESSAGE(std::system("/usr/bin/python3 -c 'import zmq' 2>/dev/null") == 0,
                    "python3-zmq (pyzmq) is missing: the libzmq interop tests need it (run tools/setup.sh)");
    int to_child[2], from_child[2];
    REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
    const std::string script = std::string(TROUPE_TEST_PEERS) + "/zmq_peer.py";
    const char* argv[] = {"/usr/bin/python3", "-u", script.c_str(), nullptr};
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      ::execv(argv[0], const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
    const auto hello = call("hello");
    REQUIRE_MESSAGE(hello.size() == 2, "the libzmq peer did not start");
    version_ = hello[1];
  }
  ~zmq_peer() { stop(); }
  zmq_peer(const zmq_peer&) = delete;
  zmq_peer& operator=(const zmq_peer&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& libzmq_version() const noexcept { return version_; }
  bool alive() const noexcept { return pid_ > 0 && !dead_; }

  /// Sends one request, returns the reply's words; fails the test if none comes within
  /// `bound`, or if the reply is "err ..." (unless `allow_err`).
  std::vector<std::string> call(const std::string& line, std::chrono::milliseconds bound = eventually) {
    REQUIRE_MESSAGE(alive(), "the libzmq peer is not running");
    const std::string out = line + "\n";
    for (std::size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(in_, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) dead_ = true;
      REQUIRE_MESSAGE(n > 0, "the libzmq peer is gone (write failed)");
      done += static_cast<std::size_t>(n);
    }
    const auto deadline = steady::now() + bound;
    for (;;) {
      const auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string reply = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        std::istringstream words(reply);
        std::vector<std::string> w;
        for (std::string s; words >> s;) w.push_back(s);
        REQUIRE_MESSAGE(!w.empty(), "empty reply from the libzmq peer");
        REQUIRE_MESSAGE(w[0] != "err", "libzmq peer: '" << line.substr(0, 120) << "' failed: " << reply);
        return w;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      if (left.count() <= 0) dead_ = true;  // out of step from now on
      REQUIRE_MESSAGE(left.count() > 0, "the libzmq peer did not answer '" << line.substr(0, 120) << "'");
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[1 << 16];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) dead_ = true;
      REQUIRE_MESSAGE(n > 0, "the libzmq peer exited");
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Sends a signal to the process (SIGSTOP, SIGCONT, SIGKILL).
  void signal(int sig) { REQUIRE(::kill(pid_, sig) == 0); }

  /// SIGKILL and reap: the process is gone when this returns.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap();
  }

  /// Closes stdin (the peer exits), waits a bounded time, then kills.
  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // in case a test left it stopped
    if (in_ >= 0) ::close(in_);
    in_ = -1;
    const auto deadline = steady::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (steady::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pid_ = -1;
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }

private:
  void reap() noexcept {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (in_ >= 0) ::close(in_);
    if (out_ >= 0) ::close(out_);
    in_ = out_ = -1;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  bool dead_ = false;
  std::string buf_;
  std::string version_;
};

/// The peer process shared by the tests of this binary (started at first use, restarted if
/// a test left it broken). Each test closes the sockets it made.
inline zmq_peer& shared_zmq_peer() {
  static std::unique_ptr<zmq_peer> peer;
  if (!peer || !peer->alive()) {
    peer.reset();
    peer = std::make_unique<zmq_peer>();
  }
  return *peer;
}

inline std::string hex_token(std::string_view s) {
  if (s.empty()) return "-";
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline std::string from_hex_token(const std::string& t) {
  if (t == "-") return {};
  std::string out(t.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(std::stoi(t.substr(2 * i, 2), nullptr, 16));
  return out;
}

// ---------------------------------------------------------------------------------------
// One end of a pair, troupe's or libzmq's.

/// "PUSH", "XSUB", ...: ZMTP's names are pyzmq's constants too.
inline std::string zmq_type_name(msg::socket_type t) { return std::string(msg::name(t)); }

class end {
public:
  explicit end(msg::socket_type t) : type_(t) {}
  virtual ~end() = default;
  msg::socket_type type() const noexcept { return type_; }
  /// "troupe PUSH" / "libzmq PULL".
  virtual std::string who() const = 0;
  virtual void set(msg::option o, int v) = 0;
  virtual void set(msg::option o, std::string_view v) = 0;
  /// Binds to `endpoint`; returns LAST_ENDPOINT (what to connect to).
  virtual std::string bind_at(const std::string& endpoint) = 0;
  /// Binds to a fresh address of `transport`; returns what to connect to.
  virtual std::string bind(const std::string& transport) = 0;
  virtual void connect(const std::string& endpoint) = 0;
  /// Sends a whole message; false if it could not go now (unroutable, or no room within
  /// `bound`).
  virtual bool try_send(const text_parts& p, std::chrono::milliseconds bound) = 0;
  /// Receives a whole message within `bound`.
  virtual std::optional<text_parts> recv(std::chrono::milliseconds bound) = 0;

  void send(const text_parts& p) { REQUIRE_MESSAGE(try_send(p, eventually), who() << " could not send " << summary(p)); }
  text_parts recv_required(std::chrono::milliseconds bound = eventually) {
    auto got = recv(bound);
    REQUIRE_MESSAGE(got.has_value(), who() << " received nothing within " << bound.count() << " ms");
    return *got;
  }
  /// SUB: the SUBSCRIBE option; XSUB: a subscription message.
  void subscribe(const std::string& prefix) {
    if (type_ == msg::socket_type::sub) set(msg::option::subscribe, prefix);
    else send({std::string(1, '\x01') + prefix});
  }

private:
  msg::socket_type type_;
};

class troupe_end final : public end {
public:
  troupe_end(msg::context& ctx, msg::socket_type t) : end(t), s_(ctx, t) { s_.set(msg::option::linger, 0); }
  std::string who() const override { return "troupe " + zmq_type_name(type()); }
  void set(msg::option o, int v) override { s_.set(o, v); }
  void set(msg::option o, std::string_view v) override { s_.set(o, v); }
  std::string bind_at(const std::string& endpoint) override {
    s_.bind(endpoint);
    return s_.get_bytes(msg::option::last_endpoint);
  }
  std::string bind(const std::string& transport) override { return bind_at(fresh_endpoint(transport)); }
  void connect(const std::string& endpoint) override { s_.connect(endpoint); }
  bool try_send(const text_parts& p, std::chrono::milliseconds bound) override {
    s_.set(msg::option::sndtimeo, static_cast<int>(bound.count()));
    msg::multipart m;
    for (const auto& s : p) m.emplace_back(s);
    try {
      return s_.send(m);
    } catch (const msg::error& e) {
      if (e.kind() == msg::errc::host_unreachable) return false;
      throw;
    }
  }
  std::optional<text_parts> recv(std::chrono::milliseconds bound) override {
    s_.set(msg::option::rcvtimeo, static_cast<int>(bound.count()));
    msg::multipart m;
    if (!s_.recv(m)) return std::nullopt;
    text_parts out;
    for (const auto& part : m) out.push_back(part.str());
    return out;
  }
  msg::socket& socket() noexcept { return s_; }

private:
  msg::socket s_;
};

class libzmq_end final : public end {
public:
  libzmq_end(zmq_peer& peer, msg::socket_type t) : end(t), peer_(peer) {
    id_ = peer_.call("new " + zmq_type_name(t)).at(1);
  }
  ~libzmq_end() override {
    if (peer_.alive()) {
      try {
        peer_.call("close " + id_);
      } catch (...) {
      }
    }
  }
  std::string who() const override { return "libzmq " + zmq_type_name(type()); }
  void set(msg::option o, int v) override {
    peer_.call("set " + id_ + " " + std::to_string(static_cast<int>(o)) + " i" + std::to_string(v));
  }
  void set(msg::option o, std::string_view v) override {
    peer_.call("set " + id_ + " " + std::to_string(static_cast<int>(o)) + " b" + (v.empty() ? "" : hex_token(v)));
  }
  std::string bind_at(const std::string& endpoint) override { return peer_.call("bind " + id_ + " " + endpoint).at(1); }
  std::string bind(const std::string& transport) override { return bind_at(fresh_libzmq_endpoint(transport)); }
  void connect(const std::string& endpoint) override { peer_.call("connect " + id_ + " " + endpoint); }
  bool try_send(const text_parts& p, std::chrono::milliseconds bound) override {
    std::string line = "send " + id_ + " " + std::to_string(bound.count());
    for (const auto& s : p) line += " " + hex_token(s);
    return peer_.call(line, bound + eventually)[0] == "ok";
  }
  std::optional<text_parts> recv(std::chrono::milliseconds bound) override {
    const auto w = peer_.call("recv " + id_ + " " + std::to_string(bound.count()), bound + eventually);
    if (w[0] != "ok") return std::nullopt;
    text_parts out;
    for (std::size_t i = 1; i < w.size(); ++i) out.push_back(from_hex_token(w[i]));
    return out;
  }
  /// Starts collecting this socket's monitor events in the peer.
  void monitor() { peer_.call("monitor " + id_); }
  /// libzmq event numbers seen since the last look.
  std::vector<int> events() {
    std::vector<int> out;
    const auto w = peer_.call("events " + id_);
    for (std::size_t i = 1; i < w.size(); ++i) out.push_back(std::stoi(w[i]));
    return out;
  }

  static std::string fresh_libzmq_endpoint(const std::string& transport) {
    static std::atomic<int> counter{0};
    if (transport == "tcp") return "tcp://127.0.0.1:*";
    return "ipc://@troupe-libzmq-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  }

private:
  zmq_peer& peer_;
  std::string id_;
};

/// The stream transports, for tests that run over the wire only.
inline const std::vector<std::string> wire_transports{"tcp", "ipc"};

// ---------------------------------------------------------------------------------------
// Raw ZMTP, for peers that misbehave on purpose.

/// A ZMTP 3.1 NULL greeting, as libzmq sends it.
inline std::string zmtp_greeting(unsigned major = 3, unsigned minor = 1) {
  std::string g(64, '\0');
  g[0] = '\xff';
  g[8] = '\x01';
  g[9] = '\x7f';
  g[10] = static_cast<char>(major);
  g[11] = static_cast<char>(minor);
  std::memcpy(g.data() + 12, "NULL", 4);
  return g;
}

/// A frame: flags byte, 1- or 8-byte size, body.
inline std::string zmtp_frame(std::string_view body, bool more = false, bool command = false) {
  std::string f;
  unsigned char flags = (more ? 1 : 0) | (command ? 4 : 0);
  if (body.size() > 255) {
    f += static_cast<char>(flags | 2);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((static_cast<std::uint64_t>(body.size()) >> (8 * i)) & 0xff);
  } else {
    f += static_cast<char>(flags);
    f += static_cast<char>(body.size());
  }
  f.append(body);
  return f;
}

/// A command frame: name-size, name, data.
inline std::string zmtp_command(std::string_view name, std::string_view data = {}) {
  std::string body;
  body += static_cast<char>(name.size());
  body.append(name);
  body.append(data);
  return zmtp_frame(body, false, true);
}

/// READY with the given Socket-Type (and Identity, if not empty).
inline std::string zmtp_ready(std::string_view socket_type, std::string_view identity = {}) {
  auto prop = [](std::string_view name, std::string_view value) {
    std::string p;
    p += static_cast<char>(name.size());
    p.append(name);
    for (int i = 3; i >= 0; --i) p += static_cast<char>((value.size() >> (8 * i)) & 0xff);
    p.append(value);
    return p;
  };
  std::string data = prop("Socket-Type", socket_type);
  if (!identity.empty()) data += prop("Identity", identity);
  return zmtp_command("READY", data);
}

/// The "port" of "tcp://host:port".
inline int tcp_port_of(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

/// A raw tcp connection to 127.0.0.1:port.
inline unique_fd raw_connect(int port) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

/// A raw connection to a troupe endpoint: "tcp://127.0.0.1:port" or "ipc://path" (or
/// "ipc://@name", abstract).
inline unique_fd raw_connect_to(const std::string& endpoint) {
  if (endpoint.starts_with("tcp://")) return raw_connect(tcp_port_of(endpoint));
  REQUIRE_MESSAGE(endpoint.starts_with("ipc://"), "not a tcp or ipc endpoint: " << endpoint);
  const std::string path = endpoint.substr(6);
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof a.sun_path);
  std::memcpy(a.sun_path, path.data(), path.size());
  if (path.starts_with("@")) a.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path.starts_with("@") ? 0 : 1));
  REQUIRE_MESSAGE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), len) == 0,
                  "connect " << endpoint << ": " << std::strerror(errno));
  return fd;
}

/// A raw tcp listener on 127.0.0.1 at a port the kernel picks.
inline unique_fd raw_listen(int& port, int backlog = 8) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd.get(), backlog) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
  port = ntohs(a.sin_port);
  return fd;
}

/// Accepts one connection within `bound`.
inline unique_fd raw_accept(int listener, std::chrono::milliseconds bound = eventually) {
  pollfd p{listener, POLLIN, 0};
  REQUIRE_MESSAGE(::poll(&p, 1, static_cast<int>(bound.count())) == 1, "nobody connected within " << bound.count() << " ms");
  unique_fd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(fd.get() >= 0);
  return fd;
}

inline void raw_write(int fd, std::string_view bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    REQUIRE_MESSAGE(n > 0, "raw write failed: " << std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

/// Reads exactly `n` bytes within `bound` (fewer if the peer hangs up or time runs out).
inline std::string raw_read(int fd, std::size_t n, std::chrono::milliseconds bound = eventually) {
  std::string out;
  const auto deadline = steady::now() + bound;
  while (out.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

/// Reads until the peer closes the connection (true) or `bound` passes (false); the bytes
/// read go to `seen`.
inline bool raw_wait_closed(int fd, std::string* seen = nullptr, std::chrono::milliseconds bound = eventually) {
  const auto deadline = steady::now() + bound;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET;
    if (seen) seen->append(buf, static_cast<std::size_t>(got));
  }
}

/// Reads one whole ZMTP frame (header and body) from a raw connection.
inline std::string raw_read_frame(int fd, std::chrono::milliseconds bound = eventually) {
  std::string head = raw_read(fd, 2, bound);
  REQUIRE(head.size() == 2);
  std::uint64_t size = static_cast<unsigned char>(head[1]);
  if (head[0] & 2) {
    head += raw_read(fd, 7, bound);
    REQUIRE(head.size() == 9);
    size = 0;
    for (int i = 1; i < 9; ++i) size = (size << 8) | static_cast<unsigned char>(head[i]);
  }
  std::string body = raw_read(fd, static_cast<std::size_t>(size), bound);
  REQUIRE(body.size() == size);
  return head + body;
}

/// Greeting (ZMTP 3.`minor`) and READY as a `socket_type` peer; reads troupe's greeting and READY.
inline void raw_handshake(int fd, std::string_view socket_type, std::string_view identity = {}, unsigned minor = 1) {
  raw_write(fd, zmtp_greeting(3, minor) + zmtp_ready(socket_type, identity));
  REQUIRE(raw_read(fd, 64).size() == 64);
  REQUIRE(raw_read_frame(fd).find("READY") != std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Memory.

/// Resident set size of this process in KiB (VmRSS).
inline std::size_t rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      std::size_t kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

}  // namespace troupe_test
