#pragma once
// Helpers shared by the messaging tests. Spec tests take the transport as a parameter:
// FOR_EACH_TRANSPORT runs the enclosing test once per transport (as a doctest SUBCASE), and
// bind_somewhere() binds to a fresh address of that transport and returns what peers
// connect to.

#include "../framework/support.hpp"

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/socket.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

namespace troupe_test {

namespace msg = troupe::messaging;

/// Transports every spec test runs over: inproc, or the comma-separated list in the environment
/// variable TROUPE_TEST_TRANSPORTS (e.g. "inproc,tcp,ipc"). tcp and ipc become the default once
/// every spec test passes over them (issue #4; docs/transports/tcp-ipc.md lists what does not).
inline const std::vector<std::string>& transports() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    const char* env = std::getenv("TROUPE_TEST_TRANSPORTS");
    std::string list = env && *env ? env : "inproc";
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

}  // namespace troupe_test

/// Runs the rest of the enclosing TEST_CASE once per transport; `var` names it.
#define FOR_EACH_TRANSPORT(var)                          \
  for (const std::string& var : ::troupe_test::transports()) \
  SUBCASE(var.c_str())
