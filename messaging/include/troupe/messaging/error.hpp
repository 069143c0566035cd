#pragma once
/// Errors of the messaging layer.

#include <stdexcept>
#include <string>
#include <system_error>

namespace troupe::messaging {

/// What went wrong, with libzmq's errno meaning where one exists.
enum class errc {
  invalid_argument = 1,   ///< EINVAL: a bad option value, a malformed endpoint
  unknown_option,         ///< EINVAL: an option number this socket does not know
  not_supported,          ///< ENOTSUP: the operation does not exist for this socket type
  wrong_state,            ///< EFSM: e.g. REQ sending twice without receiving
  protocol_not_supported, ///< EPROTONOSUPPORT: unknown transport scheme
  incompatible_peer,      ///< the two socket types are not a valid ZMTP pair
  address_in_use,         ///< EADDRINUSE: endpoint already bound
  address_not_available,  ///< EADDRNOTAVAIL / ENOENT: nothing bound there (unbind/disconnect)
  host_unreachable,       ///< EHOSTUNREACH: ROUTER_MANDATORY and no such peer
  terminated,             ///< ETERM: the context is shutting down
  socket_closed,          ///< ENOTSOCK: the socket was closed
  message_too_large,      ///< EMSGSIZE
  concurrent_use,         ///< two threads inside one socket at once (debug builds)
};

const std::error_category& messaging_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), messaging_category()}; }

/// Thrown for misuse, bad configuration and bad endpoints. what() names the bad value and
/// the socket; the socket stays usable. Would-block is never an error (send/recv return false).
class error : public std::system_error {
public:
  error(errc code, const std::string& what) : std::system_error(make_error_code(code), what) {}
  errc kind() const noexcept { return static_cast<errc>(code().value()); }
};

}  // namespace troupe::messaging

template <>
struct std::is_error_code_enum<troupe::messaging::errc> : std::true_type {};
