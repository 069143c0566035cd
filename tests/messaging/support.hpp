#pragma once
// Helpers shared by the messaging tests. Spec tests take the transport as a parameter:
// FOR_EACH_TRANSPORT runs the enclosing test once per transport (as a doctest SUBCASE), and
// bind_somewhere() binds to a fresh address of that transport and returns what peers
// connect to.

#include "../framework/support.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/monitor.hpp>
#include <troupe/messaging/socket.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

namespace troupe_test {

namespace msg = troupe::messaging;

/// Transports every spec test runs over: inproc, tcp and ipc, or the comma-separated list in the
/// environment variable TROUPE_TEST_TRANSPORTS (e.g. "inproc" for a quick run).
inline const std::vector<std::string>& transports() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    const char* env = std::getenv("TROUPE_TEST_TRANSPORTS");
    std::string list = env && *env ? env : "inproc,tcp,ipc";
    for (std::size_t at = 0; at <= list.size();) {
      const std::size_t comma = std::min(list.find(',', at), list.size());
      if (comma > at) v.push_back(list.substr(at, comma - at));
      at = comma + 1;
    }
    return v;
  }();
  return all;
}

/// A fresh endpoint name of `transport` for binding (unique within the process).
inline std::string fresh_endpoint(const std::string& transport) {
  static std::atomic<int> counter{0};
  const int n = counter.fetch_add(1);
  if (transport == "tcp") return "tcp://127.0.0.1:*";  // the kernel picks a free port
  if (transport == "ipc")  // abstract names: no files, unique across parallel test processes
    return "ipc://@troupe-test-" + std::to_string(::getpid()) + "-" + std::to_string(n);
  return transport + "://troupe-test-" + std::to_string(n);
}

/// Binds `s` to a fresh address of `transport`; returns the endpoint to connect to.
inline std::string bind_somewhere(msg::socket& s, const std::string& transport) {
  const std::string ep = fresh_endpoint(transport);
  s.bind(ep);
  return s.get_bytes(msg::option::last_endpoint);
}

/// Receives one part or fails the test after `bound` (RCVTIMEO is set for the call).
inline msg::message recv_within(msg::socket& s, std::chrono::milliseconds bound = eventually) {
  s.set(msg::option::rcvtimeo, static_cast<int>(bound.count()));
  msg::message m;
  const bool got = s.recv(m);
  s.set(msg::option::rcvtimeo, -1);
  REQUIRE_MESSAGE(got, "nothing received within " << bound.count() << " ms");
  return m;
}

/// Receives a whole message as strings or fails the test after `bound`.
inline std::vector<std::string> recv_parts(msg::socket& s, std::chrono::milliseconds bound = eventually) {
  std::vector<std::string> parts;
  msg::message m = recv_within(s, bound);
  parts.push_back(m.str());
  while (m.more()) {
    m = recv_within(s, bound);
    parts.push_back(m.str());
  }
  return parts;
}

/// Sends the strings as one multipart message (blocking).
inline void send_parts(msg::socket& s, const std::vector<std::string>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    msg::message m(parts[i]);
    REQUIRE(s.send(m, i + 1 < parts.size() ? msg::flags::sndmore : msg::flags::none));
  }
}

/// Nothing arrives (non-blocking look after the peer had every chance to deliver).
inline bool nothing_pending(msg::socket& s) {
  msg::message m;
  return !s.recv(m, msg::flags::dontwait);
}

/// What `f` throws as a messaging::error (its kind to `kind`), or "(no error)".
template <class F>
std::string error_message_of(F&& f, msg::errc* kind = nullptr) {
  try {
    f();
  } catch (const msg::error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "(no error)";
}

/// A monitor on a troupe socket: events are read from an inproc PAIR.
class event_watch {
public:
  event_watch(msg::context& ctx, msg::socket& watched, int mask = msg::monitor_event::all)
      : watched_(&watched), pair_(ctx, msg::socket_type::pair) {
    const std::string ep = fresh_endpoint("inproc");
    watched.monitor(ep, mask);
    pair_.connect(ep);
  }

  /// The next event, if one comes within `bound`.
  std::optional<msg::monitor_record> next(std::chrono::milliseconds bound = eventually) {
    msg::multipart parts;
    const bool got = wait_until(
        [&] {
          if (watched_ && !watched_->closed()) watched_->readable();  // let it take its mailbox
          return pair_.recv(parts, msg::flags::dontwait);
        },
        bound);
    if (!got) return std::nullopt;
    REQUIRE(parts.size() == 2);
    auto rec = msg::parse_monitor_event(parts[0], parts[1]);
    REQUIRE(rec.has_value());
    seen_.push_back(rec->event);
    return rec;
  }

  /// Waits for an event of type `event` (others are recorded and skipped).
  std::optional<msg::monitor_record> wait_for(int event, std::chrono::milliseconds bound = eventually) {
    const auto deadline = steady::now() + bound;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      if (left.count() <= 0) return std::nullopt;
      auto rec = next(left);
      if (!rec) return std::nullopt;
      if (rec->event == event) return rec;
    }
  }

  /// Reads whatever is queued now; returns how many events of type `event` were seen so far.
  std::size_t count(int event) {
    while (next(std::chrono::milliseconds(0))) {
    }
    return static_cast<std::size_t>(std::count(seen_.begin(), seen_.end(), event));
  }

  /// Names of every event seen so far, for messages.
  std::string seen() const {
    std::string out;
    for (int e : seen_) out += std::string(out.empty() ? "" : " ") + msg::monitor_event_name(e);
    return out;
  }

private:
  msg::socket* watched_;
  msg::socket pair_;
  std::vector<int> seen_;
};

}  // namespace troupe_test

/// Runs the rest of the enclosing TEST_CASE once per transport; `var` names it.
#define FOR_EACH_TRANSPORT(var)                          \
  for (const std::string& var : ::troupe_test::transports()) \
  SUBCASE(var.c_str())
