#include <troupe/messaging/error.hpp>

namespace troupe::messaging {
namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "troupe.messaging"; }
  std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::invalid_argument: return "invalid argument";
      case errc::unknown_option: return "unknown option";
      case errc::not_supported: return "operation not supported by this socket type";
      case errc::wrong_state: return "operation not valid in the socket's current state";
      case errc::protocol_not_supported: return "transport not supported";
      case errc::incompatible_peer: return "incompatible socket types";
      case errc::address_in_use: return "address in use";
      case errc::address_not_available: return "address not available";
      case errc::host_unreachable: return "host unreachable";
      case errc::terminated: return "context terminated";
      case errc::socket_closed: return "socket closed";
      case errc::message_too_large: return "message too large";
      case errc::concurrent_use: return "socket used by two threads at once";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& messaging_category() noexcept {
  static const category c;
  return c;
}

}  // namespace troupe::messaging
