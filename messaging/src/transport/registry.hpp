#pragma once
// Transports plug in by URL scheme: one row each. A row's functions run on the socket's
// owner thread and throw messaging::error naming the endpoint when they cannot do the job.

#include <span>
#include <string>
#include <string_view>

namespace troupe::messaging::internal {

class socket_base;

struct transport_ops {
  std::string_view scheme;  // "inproc", "tcp", ...
  /// Returns the endpoint actually bound (a wildcard port or path resolved), for LAST_ENDPOINT.
  std::string (*bind)(socket_base& s, std::string_view endpoint, std::string_view address);
  void (*connect)(socket_base& s, std::string_view endpoint, std::string_view address);
  void (*unbind)(socket_base& s, std::string_view endpoint, std::string_view address);
  void (*disconnect)(socket_base& s, std::string_view endpoint, std::string_view address);
};

/// Every compiled-in transport.
std::span<const transport_ops> transports() noexcept;

struct resolved_endpoint {
  const transport_ops* transport;
  std::string_view address;  // after "scheme://"
};

/// Splits "scheme://address" and finds the transport; throws errc::invalid_argument for a
/// malformed endpoint and errc::protocol_not_supported for an unknown scheme, naming it.
resolved_endpoint resolve(std::string_view endpoint);

}  // namespace troupe::messaging::internal
