#pragma once
/// Proxies: forward messages between a frontend and a backend socket, as zmq_proxy and
/// zmq_proxy_steerable do.

#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include <cstdint>
#include <optional>

namespace troupe::messaging {

/// Why a proxy returned.
enum class proxy_exit {
  terminated,         ///< the context was terminated (zmq_proxy's ETERM)
  socket_closed,      ///< one of the sockets was closed
  terminate_command,  ///< TERMINATE arrived on the control socket
};

/// What a steerable proxy replies to STATISTICS: whole messages (a multipart message counts
/// once) and their bytes (all parts), per socket, since the proxy started.
struct proxy_statistics {
  std::uint64_t frontend_messages_in = 0;
  std::uint64_t frontend_bytes_in = 0;
  std::uint64_t frontend_messages_out = 0;
  std::uint64_t frontend_bytes_out = 0;
  std::uint64_t backend_messages_in = 0;
  std::uint64_t backend_bytes_in = 0;
  std::uint64_t backend_messages_out = 0;
  std::uint64_t backend_bytes_out = 0;
  friend bool operator==(const proxy_statistics&, const proxy_statistics&) = default;
};

/// Decodes a STATISTICS reply: eight parts of 8 bytes each (host byte order, as libzmq), in
/// the order of proxy_statistics' fields. nullopt if `reply` is not one.
std::optional<proxy_statistics> parse_proxy_statistics(const multipart& reply);

/// Forwards whole multipart messages between `frontend` and `backend`, both ways, until the
/// context is terminated or one of the sockets is closed. A message moves from one side to
/// the other only when the source has one and the destination can take one now (a
/// destination of a blocking type at its HWM holds the flow back; a dropping type drops as it
/// always does). Each part forwarded is also sent to `capture` if given (a PUSH, PAIR, DEALER
/// or PUB; its send may block).
///
/// Runs in the calling thread or fiber (a fiber is suspended while nothing moves), which
/// becomes the user of all the sockets. Returns why it ended; any other error (e.g.
/// host_unreachable from a ROUTER_MANDATORY backend) is thrown, as zmq_proxy returns -1.
proxy_exit proxy(socket& frontend, socket& backend, socket* capture = nullptr);

/// proxy() steered through `control`, whose messages are commands (first part):
///  - "PAUSE" stops forwarding (messages wait in the sockets), "RESUME" restarts it;
///  - "TERMINATE" makes the proxy return proxy_exit::terminate_command;
///  - "STATISTICS" replies with the eight counters (see proxy_statistics).
/// A REP control socket gets a reply to every command (an empty message, or the statistics);
/// a PAIR gets only the statistics; a SUB gets nothing. Unknown commands are logged and
/// ignored (a REP still gets its empty reply).
proxy_exit steerable_proxy(socket& frontend, socket& backend, socket* capture, socket& control);

}  // namespace troupe::messaging
