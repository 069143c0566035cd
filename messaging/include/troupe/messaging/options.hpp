#pragma once
/// Socket options, numbered as in libzmq so that numeric values carry over.

#include <cstdint>
#include <string_view>

namespace troupe::messaging {

/// Options. Integer options take an int; byte options (routing_id, subscribe, unsubscribe)
/// take bytes. Numbers match libzmq's ZMQ_* constants.
enum class option : int {
  routing_id = 5,         ///< bytes, 1-255 bytes, must not start with 0
  subscribe = 6,          ///< bytes: a prefix (SUB, XSUB)
  unsubscribe = 7,        ///< bytes
  rate = 8,               ///< kbit/s a pgm/epgm publisher may send (default 100; > 0)
  recovery_ivl = 9,       ///< ms a pgm/epgm publisher keeps data for repairs (default 10000; > 0)
  rcvmore = 13,           ///< read-only int: the last part received had MORE
  type = 16,              ///< read-only int: socket_type
  linger = 17,            ///< ms; -1 = deliver everything queued (default; SUB/XSUB default 0), 0 = drop at close
  reconnect_ivl = 18,     ///< ms (wire transports)
  backlog = 19,
  reconnect_ivl_max = 21, ///< ms
  maxmsgsize = 22,        ///< bytes, -1 = unlimited (wire transports)
  sndhwm = 23,            ///< messages, 0 = unlimited (default 1000)
  rcvhwm = 24,            ///< messages, 0 = unlimited (default 1000)
  multicast_hops = 25,    ///< pgm/epgm: IP TTL of multicast packets (default 1: this subnet)
  rcvtimeo = 27,          ///< ms, -1 = block forever
  sndtimeo = 28,          ///< ms, -1 = block forever
  last_endpoint = 32,     ///< read-only bytes
  router_mandatory = 33,  ///< 0/1
  tcp_keepalive = 34,
  tcp_keepalive_cnt = 35,
  tcp_keepalive_idle = 36,
  tcp_keepalive_intvl = 37,
  immediate = 39,         ///< 0/1: queue only to completed connections
  xpub_verbose = 40,      ///< 0/1: XPUB passes up every subscription, not just a prefix's first
  router_handover = 56,
  req_correlate = 52,     ///< 0/1
  req_relaxed = 53,       ///< 0/1
  conflate = 54,          ///< 0/1: keep only the last message
  handshake_ivl = 66,     ///< ms (wire transports)
  xpub_nodrop = 69,       ///< 0/1: XPUB blocks/EAGAINs at HWM instead of dropping
  heartbeat_ivl = 75,     ///< ms (wire transports)
  heartbeat_ttl = 76,
  heartbeat_timeout = 77,
  xpub_verboser = 78,     ///< 0/1: as XPUB_VERBOSE, and every unsubscription too, not just the last
  connect_timeout = 79,
  multicast_maxtpdu = 84, ///< pgm/epgm: largest packet in bytes, headers included (default 1500)
  multicast_loop = 96,    ///< pgm/epgm: 0/1, this host's own members get our multicast (default 1)
};

/// Option name as in libzmq's docs ("ZMQ_SNDHWM"), or "option <n>" for an unknown number.
std::string_view option_name(option o) noexcept;

}  // namespace troupe::messaging
