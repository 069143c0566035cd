#include "transport/registry.hpp"

#include "transport/inproc.hpp"
#include "transport/pgm.hpp"
#include "transport/tcp_ipc.hpp"

#include <troupe/messaging/error.hpp>

#include <string>

namespace troupe::messaging::internal {
namespace {

const transport_ops table[] = {
    {"inproc", &inproc_bind, &inproc_connect, &inproc_unbind, &inproc_disconnect},
    {"tcp", &tcp_bind, &tcp_connect, &stream_unbind, &stream_disconnect},
    {"ipc", &ipc_bind, &ipc_connect, &stream_unbind, &stream_disconnect},
    {"pgm", &pgm_bind, &pgm_connect, &stream_unbind, &stream_disconnect},
    {"epgm", &epgm_bind, &epgm_connect, &stream_unbind, &stream_disconnect},
};

}  // namespace

std::span<const transport_ops> transports() noexcept { return table; }

resolved_endpoint resolve(std::string_view endpoint) {
  const auto sep = endpoint.find("://");
  if (sep == std::string_view::npos || sep == 0)
    throw error(errc::invalid_argument,
                "malformed endpoint '" + std::string(endpoint) + "': expected scheme://address");
  const std::string_view scheme = endpoint.substr(0, sep);
  const std::string_view address = endpoint.substr(sep + 3);
  for (const transport_ops& t : table) {
    if (t.scheme != scheme) continue;
    if (address.empty())
      throw error(errc::invalid_argument, "malformed endpoint '" + std::string(endpoint) + "': empty address");
    return {&t, address};
  }
  std::string known;
  for (const transport_ops& t : table) {
    if (!known.empty()) known += ", ";
    known += t.scheme;
  }
  throw error(errc::protocol_not_supported, "endpoint '" + std::string(endpoint) + "': unknown transport '" +
                                                std::string(scheme) + "' (supported: " + known + ")");
}

}  // namespace troupe::messaging::internal
