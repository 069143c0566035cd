#pragma once
// The option values of one socket (owner thread only) and their validation.

#include <troupe/messaging/options.hpp>
#include <troupe/messaging/socket_type.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::messaging::internal {

struct socket_options {
  int sndhwm = 1000;
  int rcvhwm = 1000;
  int linger = -1;
  int sndtimeo = -1;
  int rcvtimeo = -1;
  std::string routing_id;
  bool router_mandatory = false;
  bool router_handover = false;
  bool req_relaxed = false;
  bool req_correlate = false;
  bool immediate = false;
  bool conflate = false;
  bool xpub_verbose = false;
  bool xpub_verboser = false;  // implies xpub_verbose
  bool xpub_nodrop = false;
  // Wire transports (issue #4) read these.
  int reconnect_ivl = 100;
  int reconnect_ivl_max = 0;
  int connect_timeout = 0;
  int handshake_ivl = 30000;
  int heartbeat_ivl = 0;
  int heartbeat_ttl = 0;
  int heartbeat_timeout = -1;
  std::int64_t maxmsgsize = -1;
  int backlog = 100;
  int tcp_keepalive = -1;
  int tcp_keepalive_cnt = -1;
  int tcp_keepalive_idle = -1;
  int tcp_keepalive_intvl = -1;
  // pgm/epgm (libzmq's defaults).
  int rate = 100;                // kbit/s
  int recovery_ivl = 10000;      // ms
  int multicast_hops = 1;
  int multicast_maxtpdu = 1500;  // bytes
  bool multicast_loop = true;
  std::string last_endpoint;

  /// Sets an integer option; throws messaging::error naming the option and the bad value.
  /// Byte options (subscribe, ...) are the socket's business and are refused here.
  void set_int(socket_type type, option o, std::int64_t value);
  void set_bytes(socket_type type, option o, std::string_view value);
  std::int64_t get_int(option o) const;
  std::string get_bytes(option o) const;
};

/// "ZMQ_SNDHWM" etc.
std::string describe(option o);

}  // namespace troupe::messaging::internal
