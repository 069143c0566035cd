#pragma once
// ZMTP greeting (RFC 23 and 37): 64 bytes, the first 11 of which tell an old peer from a new
// one. Pure: bytes in, a verdict out.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace troupe::messaging::internal::zmtp {

inline constexpr std::size_t greeting_size = 64;
/// Bytes that identify a ZMTP/3.x peer: signature (10) + major version (1).
inline constexpr std::size_t signature_and_major = 11;

struct greeting {
  std::uint8_t major = 3;
  std::uint8_t minor = 1;
  std::string mechanism = "NULL";
  bool as_server = false;
};

/// Our greeting: libzmq-compatible padding (a ZMTP/1.0 length of 1, so old peers see a
/// short frame), version 3.1.
std::array<std::byte, greeting_size> encode_greeting(const greeting& g);

/// What the first bytes say, before the whole greeting is in.
enum class signature_verdict { need_more, zmtp3, too_old, not_zmtp };

/// Looks at up to the first 11 bytes: a ZMTP/3 signature and major version >= 3?
signature_verdict check_signature(std::span<const std::byte> first) noexcept;

struct greeting_error {
  std::string reason;
};

/// Parses a whole 64-byte greeting; errors say what was wrong with it.
std::variant<greeting, greeting_error> decode_greeting(std::span<const std::byte, greeting_size> bytes);

}  // namespace troupe::messaging::internal::zmtp
