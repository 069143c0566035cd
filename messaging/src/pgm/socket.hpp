#pragma once
// An OpenPGM socket set up as libzmq sets up its pgm/epgm sockets (same ports, rate, window,
// timers), so that libzmq peers and troupe meet on the wire. Owner: one engine's strand.
//
// OpenPGM is initialised once per process (pgm_init) and never shut down: sockets may be
// open in any context at any time. It starts no thread of its own (its timers are run by
// whoever calls pgm_recv/pgm_send when pgm tells them to: our engines, on reactor timers).

#include "socket_options.hpp"

#include <pgm/pgm.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::messaging::internal::pgm {

/// "interface;group:port" after the scheme.
struct address {
  std::string network;  // "interface;group", as pgm_getaddrinfo reads it
  std::string interface;
  std::string group;
  std::uint16_t port = 0;
};

/// Parses and checks `addr` (from `endpoint`); throws messaging::error naming the bad part.
address parse_address(std::string_view endpoint, std::string_view addr);

class socket {
public:
  /// Opens, binds and connects a sender or receiver socket. `udp`: epgm (UDP encapsulation).
  /// Throws messaging::error naming the endpoint and what OpenPGM refused (no such interface,
  /// no permission for raw pgm, ...).
  socket(std::string_view endpoint, const address& a, const socket_options& o, bool sender, bool udp);
  ~socket();
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;

  pgm_sock_t* get() const noexcept { return sock_; }
  /// A descriptor OpenPGM uses (PGM_RECV_SOCK, PGM_SEND_SOCK, PGM_REPAIR_SOCK, PGM_PENDING_SOCK).
  int fd(int which) const;
  /// Largest payload of one packet without fragmentation (PGM_MSS).
  std::size_t max_tsdu() const;
  /// After a pgm call said so: how long until pgm wants to be called again (PGM_TIME_REMAIN or
  /// PGM_RATE_REMAIN), in milliseconds, at least 1.
  int remaining_ms(int which) const noexcept;

private:
  pgm_sock_t* sock_ = nullptr;
};

}  // namespace troupe::messaging::internal::pgm
