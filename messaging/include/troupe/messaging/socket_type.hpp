#pragma once
/// The eleven ZeroMQ socket types and which pairs of them may talk.

#include <optional>
#include <span>
#include <string_view>

namespace troupe::messaging {

/// Socket types, numbered as in libzmq (and as ZMTP names them in READY's Socket-Type).
enum class socket_type {
  pair = 0,
  pub = 1,
  sub = 2,
  req = 3,
  rep = 4,
  dealer = 5,
  router = 6,
  pull = 7,
  push = 8,
  xpub = 9,
  xsub = 10,
};

/// One row of the registry: a type, its ZMTP name, and its valid peers (RFC 28-31).
struct socket_type_info {
  socket_type type;
  std::string_view name;  ///< "PAIR", "PUB", ... as on the wire
  std::span<const socket_type> peers;
};

/// Every socket type, one row each.
std::span<const socket_type_info> socket_types() noexcept;
const socket_type_info& info(socket_type t) noexcept;
std::string_view name(socket_type t) noexcept;
/// Parses a ZMTP Socket-Type name ("ROUTER"); nullopt if unknown.
std::optional<socket_type> parse_socket_type(std::string_view name) noexcept;
/// True when `a` may talk to `b` (symmetric).
bool compatible(socket_type a, socket_type b) noexcept;

}  // namespace troupe::messaging
