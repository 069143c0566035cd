#include "zmtp/greeting.hpp"

#include <cstring>

namespace troupe::messaging::internal::zmtp {

std::array<std::byte, greeting_size> encode_greeting(const greeting& g) {
  std::array<std::byte, greeting_size> out{};
  out[0] = std::byte{0xFF};
  out[8] = std::byte{0x01};  // padding: as libzmq, reads as a 1-byte ZMTP/1.0 frame
  out[9] = std::byte{0x7F};
  out[10] = std::byte{g.major};
  out[11] = std::byte{g.minor};
  std::memcpy(out.data() + 12, g.mechanism.data(), std::min<std::size_t>(g.mechanism.size(), 20));
  out[32] = std::byte{static_cast<unsigned char>(g.as_server ? 1 : 0)};
  return out;
}

signature_verdict check_signature(std::span<const std::byte> first) noexcept {
  if (first.empty()) return signature_verdict::need_more;
  if (first[0] != std::byte{0xFF}) return signature_verdict::not_zmtp;  // ZMTP/1.0 or garbage
  if (first.size() < 10) return signature_verdict::need_more;
  // Bit 0 of byte 9 set marks ZMTP/2.0+; clear is a ZMTP/1.0 long-length frame.
  if ((std::to_integer<unsigned>(first[9]) & 1u) == 0) return signature_verdict::too_old;
  if (first.size() < signature_and_major) return signature_verdict::need_more;
  return std::to_integer<unsigned>(first[10]) >= 3 ? signature_verdict::zmtp3 : signature_verdict::too_old;
}

std::variant<greeting, greeting_error> decode_greeting(std::span<const std::byte, greeting_size> b) {
  switch (check_signature(b.first(signature_and_major))) {
    case signature_verdict::zmtp3: break;
    case signature_verdict::too_old:
      return greeting_error{"peer speaks ZMTP " + std::to_string(std::to_integer<unsigned>(b[10])) +
                            ".x (older than 3.0, refused)"};
    default: return greeting_error{"not a ZMTP greeting (bad signature)"};
  }
  greeting g;
  g.major = std::to_integer<std::uint8_t>(b[10]);
  g.minor = std::to_integer<std::uint8_t>(b[11]);
  const char* mech = reinterpret_cast<const char*>(b.data() + 12);
  g.mechanism.assign(mech, strnlen(mech, 20));
  const auto as_server = std::to_integer<unsigned>(b[32]);
  if (as_server > 1) return greeting_error{"greeting: as-server byte is " + std::to_string(as_server) + ", not 0 or 1"};
  g.as_server = as_server == 1;
  return g;
}

}  // namespace troupe::messaging::internal::zmtp
