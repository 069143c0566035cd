#pragma once
// Helpers of the RFC spec tests (spec_reqrep.cpp, spec_pubsub.cpp, spec_pipeline.cpp,
// spec_expair.cpp): one TEST_CASE per SHALL clause of RFCs 28-31.
//
// Rules these tests keep, so that they run unchanged over every transport of transports():
// - each test runs once per transport (FOR_EACH_TRANSPORT) and binds only through
//   bind_somewhere() (or reserve_endpoint() when a peer must connect before the bind);
// - a socket whose routing is under test connects to its peers where it can: a connecting
//   socket has its queue at once, while an accepted connection appears asynchronously on
//   the wire transports;
// - no sleeps: bounded waits on conditions; to show that something does NOT arrive, a marker
//   is sent after it along the same path and the check is made once the marker arrived;
// - wire transports deliver asynchronously: anything that depends on a peer being known
//   (a ROUTER's identity, a publisher's subscription) is awaited explicitly first;
// - a queue filled "until a send is refused" is filled with saturate(): on the wire the
//   engine keeps draining the socket's queue into kernel buffers after the first refusal;
// - receivers that must see every sender's messages queued at once (fair queuing) get them
//   from saturated senders: each of its queues is then full, whatever the transport.

#include "support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe_test::spec {

using msg::flags;
using msg::option;
using msg::socket_type;
/// A whole message as strings. A type of its own (not std::vector<std::string>) so that its
/// doctest printer below cannot clash with how other test files print such vectors.
struct parts : std::vector<std::string> {
  using std::vector<std::string>::vector;
  parts() = default;
  parts(std::vector<std::string> v) : std::vector<std::string>(std::move(v)) {}  // NOLINT: implicit
};

/// Receives a whole message or fails the test after `bound`.
inline parts recv_msg(msg::socket& s, std::chrono::milliseconds bound = eventually) {
  return parts(recv_parts(s, bound));
}

/// An address of `transport` that a peer may connect to before anything is bound there. A
/// wildcard port ("tcp://host:*") cannot be connected to: it is replaced by a port the kernel
/// hands out for a socket bound and closed at once (free now; the test binds it moments later).
inline std::string reserve_endpoint(const std::string& transport) {
  const std::string ep = fresh_endpoint(transport);
  if (ep.size() < 2 || ep.compare(ep.size() - 2, 2, ":*") != 0) return ep;
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  return ep.substr(0, ep.size() - 1) + std::to_string(ntohs(addr.sin_port));
}

/// Every byte value once, zero bytes and 0x00/0x01 (what subscriptions start with) included.
inline std::string all_byte_values() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

/// A body far above the inline capacity of a message (shared storage), with a pattern.
inline std::string large_body(std::size_t size = 100 * 1024) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

/// Builds a string from byte values (for binary prefixes).
inline std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

/// Sends a whole message without waiting: true if it was taken (all parts), false if its first
/// part was refused (then nothing was taken).
inline bool try_send(msg::socket& s, const parts& p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    msg::message m(p[i]);
    const flags f = i + 1 < p.size() ? flags::dontwait | flags::sndmore : flags::dontwait;
    if (!s.send(m, f)) {
      REQUIRE_MESSAGE(i == 0, "a part after the first was refused: the message was cut");
      return false;
    }
  }
  return true;
}

/// Sends make(from), make(from + 1), ... without waiting until one is refused; returns how
/// many were taken in all (from included). Fails the test if more than `cap` were taken (the
/// socket never pushed back).
inline int fill(msg::socket& s, const std::function<parts(int)>& make, int cap = 5000000, int from = 0) {
  int n = from;
  while (try_send(s, make(n))) {
    ++n;
    REQUIRE_MESSAGE(n <= cap, "the socket took more than " << cap << " messages without pushing back");
  }
  return n;
}

/// `tag` and `i`, padded to 16 KiB: a few hundred of these fill a wire path (its kernel
/// buffers hold MiBs), where millions of small ones would be needed.
inline std::string padded(const std::string& tag, int i) {
  std::string s = tag + std::to_string(i) + ":";
  s.resize(16 * 1024, '.');
  return s;
}

/// Sends a whole message, waiting up to `bound` for its first part to be taken: true if it
/// was; false if the send gave up and left the message with the caller.
inline bool send_within(msg::socket& s, const parts& p, std::chrono::milliseconds bound) {
  s.set(option::sndtimeo, static_cast<int>(bound.count()));
  msg::message first(p[0]);
  const bool taken = s.send(first, p.size() > 1 ? flags::sndmore : flags::none);
  s.set(option::sndtimeo, -1);
  if (!taken) {
    REQUIRE_MESSAGE(first.view() == p[0], "a refused send changed the message");
    return false;
  }
  for (std::size_t i = 1; i < p.size(); ++i) {
    msg::message m(p[i]);
    REQUIRE_MESSAGE(s.send(m, i + 1 < p.size() ? flags::dontwait | flags::sndmore : flags::dontwait),
                    "a part after the first was refused: the message was cut");
  }
  return true;
}

/// How long a sender must stay blocked before its path counts as full (saturate()).
inline constexpr std::chrono::milliseconds settle{200};

/// Sends make(0), make(1), ... until the whole path to the peers is full, and returns how many
/// were taken. On inproc the queue is the whole path: the first refusal is final. On tcp and
/// ipc the connection's engine goes on moving the queue into its buffer and the kernel's, so a
/// refusal is followed by a send that may wait `settle`; the path is full once such a send
/// gives up (nothing moved for that long; on loopback this takes a few MiB).
inline int saturate(msg::socket& s, const std::string& transport, const std::function<parts(int)>& make,
                    int cap = 5000000) {
  int n = fill(s, make, cap);
  if (transport == "inproc") return n;
  while (send_within(s, make(n), settle)) n = fill(s, make, cap, n + 1);
  return n;
}

/// Receives from `rx` until `tx` can send again; returns what was received. On the wire a
/// sender whose path is full gets room only once the receiver has taken enough to free the
/// kernel's buffers and the engine's, not after one message.
inline std::vector<parts> recv_until_writable(msg::socket& rx, msg::socket& tx) {
  std::vector<parts> got;
  while (!tx.writable()) got.push_back(recv_msg(rx));
  return got;
}

/// Receives a whole message without waiting.
inline std::optional<parts> try_recv(msg::socket& s) {
  msg::message m;
  if (!s.recv(m, flags::dontwait)) return std::nullopt;
  parts p{m.str()};
  while (m.more()) {
    m = recv_within(s);  // the rest of a message is delivered with its first part
    p.push_back(m.str());
  }
  return p;
}

/// Receives a whole message within `bound`, or nothing (no failure).
inline std::optional<parts> recv_for(msg::socket& s, std::chrono::milliseconds bound) {
  s.set(option::rcvtimeo, static_cast<int>(bound.count()));
  msg::message m;
  const bool got = s.recv(m);
  s.set(option::rcvtimeo, -1);
  if (!got) return std::nullopt;
  parts p{m.str()};
  while (m.more()) {
    m = recv_within(s);
    p.push_back(m.str());
  }
  return p;
}

/// Receives whole messages until one whose first part is `marker`; returns those before it.
inline std::vector<parts> recv_until(msg::socket& s, const std::string& marker) {
  std::vector<parts> before;
  for (;;) {
    parts p = recv_msg(s);
    if (p.front() == marker) return before;
    before.push_back(std::move(p));
  }
}

/// For paths that may drop (PUB, XSUB, ROUTER at the HWM): sends the marker with `send_marker`
/// (which must not block) again and again while `rx` drains, until `rx` receives one. Returns
/// what `rx` received before it, markers excluded.
inline std::vector<parts> drain_until_marker(msg::socket& rx, const std::function<void()>& send_marker,
                                             const std::string& marker) {
  std::vector<parts> before;
  const auto deadline = steady::now() + eventually;
  for (int round = 0;; ++round) {
    REQUIRE_MESSAGE(steady::now() < deadline, "marker '" << marker << "' never arrived");
    send_marker();
    // Drain what is there; stop at the marker or when nothing more comes for a while.
    const auto quiet = std::chrono::milliseconds(std::min(5 + 5 * round, 200));
    while (auto p = recv_for(rx, quiet)) {
      if (p->front() == marker) return before;
      before.push_back(std::move(*p));
    }
  }
}

/// True if `s` refuses to receive as "not supported" (types that only send).
inline bool recv_refused(msg::socket& s) {
  try {
    msg::message m;
    s.recv(m, flags::dontwait);
    return false;
  } catch (const msg::error& e) {
    return e.kind() == msg::errc::not_supported;
  }
}

/// True if `s` refuses to send as "not supported" (types that only receive).
inline bool send_refused(msg::socket& s) {
  try {
    msg::message m("x");
    s.send(m, flags::dontwait);
    return false;
  } catch (const msg::error& e) {
    return e.kind() == msg::errc::not_supported;
  }
}

/// A blocking send bounded by SNDTIMEO = `bound`: true if it waited at least `bound`, gave up
/// and left the message with the caller (i.e. send blocks rather than failing or dropping).
inline bool send_blocks(msg::socket& s, const std::string& body,
                        std::chrono::milliseconds bound = std::chrono::milliseconds(50)) {
  s.set(option::sndtimeo, static_cast<int>(bound.count()));
  msg::message m(body);
  const auto t0 = steady::now();
  const bool sent = s.send(m);
  const auto waited = steady::now() - t0;
  s.set(option::sndtimeo, -1);
  return !sent && waited >= bound && m.view() == body;
}

/// A send that must not block: it is given `eventually` as SNDTIMEO, so a blocking
/// implementation fails the check instead of hanging the test.
inline bool send_without_blocking(msg::socket& s, const parts& p) {
  s.set(option::sndtimeo, static_cast<int>(eventually.count()));
  bool ok = true;
  for (std::size_t i = 0; i < p.size() && ok; ++i) {
    msg::message m(p[i]);
    ok = s.send(m, i + 1 < p.size() ? flags::sndmore : flags::none);
  }
  s.set(option::sndtimeo, -1);
  return ok;
}

/// Waits until one of `socks` is readable; returns its index (fails the test otherwise).
inline std::size_t wait_readable(const std::vector<msg::socket*>& socks) {
  std::size_t which = socks.size();
  const bool any = wait_until([&] {
    for (std::size_t i = 0; i < socks.size(); ++i) {
      if (socks[i]->readable()) {
        which = i;
        return true;
      }
    }
    return false;
  });
  REQUIRE_MESSAGE(any, "no socket became readable");
  return which;
}

/// ROUTER (with ROUTER_MANDATORY set) sends `p` as soon as the peer named by p[0] is known:
/// on the wire a peer's identity arrives with its handshake.
inline void send_when_routable(msg::socket& router, const parts& p) {
  bool sent = false;
  const bool ok = wait_until([&] {
    try {
      sent = try_send(router, p);
      return sent;
    } catch (const msg::error& e) {
      REQUIRE(e.kind() == msg::errc::host_unreachable);
      return false;
    }
  });
  REQUIRE_MESSAGE(ok, "peer '" << p.front() << "' never became routable");
}

/// Waits (ROUTER_MANDATORY set) until `router` no longer knows the peer `id`.
inline bool wait_unroutable(msg::socket& router, const std::string& id) {
  return wait_until([&] {
    try {
      try_send(router, {id, "probe"});  // a probe into a dying queue is lost with it
      return false;
    } catch (const msg::error& e) {
      return e.kind() == msg::errc::host_unreachable;
    }
  });
}

/// Publishes probes (first part `topic` + "/probe") on `pub` until `sub` receives one: from then
/// on the subscription covering `topic` is in effect at the publisher (subscriptions travel
/// asynchronously on the wire). A final marker flushes out the probes still on their way.
/// Returns what `sub` received other than probes and the marker.
inline std::vector<parts> await_subscription(msg::socket& pub, msg::socket& sub, const std::string& topic) {
  const std::string probe = topic + "/probe";
  const std::string synced = topic + "/synced";
  std::vector<parts> others;
  const auto deadline = steady::now() + eventually;
  for (int round = 0;; ++round) {
    REQUIRE_MESSAGE(steady::now() < deadline, "subscription '" << topic << "' never took effect");
    REQUIRE(pub.send(probe, flags::dontwait));
    bool seen = false;
    while (auto p = recv_for(sub, std::chrono::milliseconds(std::min(2 + 2 * round, 100)))) {
      if (p->front() == probe) {
        seen = true;
        break;
      }
      others.push_back(std::move(*p));
    }
    if (seen) break;
  }
  REQUIRE(pub.send(synced, flags::dontwait));
  for (parts& p : recv_until(sub, synced))
    if (p.front() != probe) others.push_back(std::move(p));
  return others;
}

/// Sources of a received sequence ('a', 'b', ...) alternate: no source twice in a row.
inline bool alternates(const std::string& sources) {
  for (std::size_t i = 1; i < sources.size(); ++i)
    if (sources[i] == sources[i - 1]) return false;
  return true;
}

}  // namespace troupe_test::spec

namespace troupe_test::spec::detail {

inline std::string printable(const parts& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += '"';
    const std::size_t shown = std::min<std::size_t>(v[i].size(), 64);
    for (std::size_t j = 0; j < shown; ++j) {
      const auto c = static_cast<unsigned char>(v[i][j]);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out += static_cast<char>(c);
      } else {
        static const char hex[] = "0123456789abcdef";
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    if (shown < v[i].size()) out += "...(" + std::to_string(v[i].size()) + " bytes)";
    out += '"';
  }
  return out + "}";
}

}  // namespace troupe_test::spec::detail

/// Failed checks print messages as {"part", ...} (other bytes as \xNN, long parts cut).
template <>
struct doctest::StringMaker<troupe_test::spec::parts> {
  static doctest::String convert(const troupe_test::spec::parts& v) {
    return troupe_test::spec::detail::printable(v).c_str();
  }
};
template <>
struct doctest::StringMaker<std::vector<troupe_test::spec::parts>> {
  static doctest::String convert(const std::vector<troupe_test::spec::parts>& vs) {
    std::string out = "[";
    for (std::size_t i = 0; i < vs.size(); ++i) out += (i ? ", " : "") + troupe_test::spec::detail::printable(vs[i]);
    return (out + "]").c_str();
  }
};
