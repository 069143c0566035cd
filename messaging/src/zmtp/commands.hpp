#pragma once
// ZMTP commands (RFC 23/37): READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG. Pure encode/parse;
// a parse error says what was wrong, for the log line that closes the connection.

#include <troupe/messaging/message.hpp>

#include "zmtp/decoder.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace troupe::messaging::internal::zmtp {

/// Metadata properties in READY: name -> value, in order.
using properties = std::vector<std::pair<std::string, std::string>>;

struct ready_cmd {
  properties props;
  /// The value of a property (names compare case-insensitively, as the RFC says), or null.
  const std::string* find(std::string_view name) const noexcept;
};
struct error_cmd {
  std::string reason;
};
struct subscribe_cmd {
  std::string topic;
};
struct cancel_cmd {
  std::string topic;
};
struct ping_cmd {
  std::uint16_t ttl_deciseconds = 0;
  std::string context;
};
struct pong_cmd {
  std::string context;
};
struct unknown_cmd {
  std::string name;
};
struct bad_cmd {
  std::string reason;
};

using command = std::variant<ready_cmd, error_cmd, subscribe_cmd, cancel_cmd, ping_cmd, pong_cmd, unknown_cmd, bad_cmd>;

/// Parses the body of a frame that had the COMMAND flag.
command parse_command(std::span<const std::byte> body);

/// Command frames, ready to send (COMMAND flag set on the message).
message encode_ready(const properties& props);
message encode_error(std::string_view reason);
message encode_subscribe(std::string_view topic);
message encode_cancel(std::string_view topic);
message encode_ping(std::uint16_t ttl_deciseconds, std::string_view context);
message encode_pong(std::string_view context);

/// Longest frame header: flags and an 8-byte size.
inline constexpr std::size_t max_header = 9;

/// Frame header for `m` (flags + size): returns its length (2 or 9) written into `out`.
/// Inline: the writer calls it once per frame.
inline std::size_t encode_header(const message& m, std::byte out[max_header]) noexcept {
  std::uint8_t flags = 0;
  if (m.more()) flags |= flag_more;
  if (m.command()) flags |= flag_command;
  const std::uint64_t size = m.size();
  if (size <= 255) {
    out[0] = std::byte{flags};
    out[1] = std::byte{static_cast<unsigned char>(size)};
    return 2;
  }
  out[0] = std::byte{static_cast<std::uint8_t>(flags | flag_long)};
  for (int i = 0; i < 8; ++i) out[1 + i] = std::byte{static_cast<unsigned char>(size >> (56 - 8 * i))};
  return 9;
}

}  // namespace troupe::messaging::internal::zmtp
