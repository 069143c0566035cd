#include "socket_options.hpp"

#include <troupe/messaging/error.hpp>

#include <climits>

namespace troupe::messaging {

std::string_view option_name(option o) noexcept {
  switch (o) {
    case option::routing_id: return "ZMQ_ROUTING_ID";
    case option::subscribe: return "ZMQ_SUBSCRIBE";
    case option::unsubscribe: return "ZMQ_UNSUBSCRIBE";
    case option::rcvmore: return "ZMQ_RCVMORE";
    case option::type: return "ZMQ_TYPE";
    case option::linger: return "ZMQ_LINGER";
    case option::reconnect_ivl: return "ZMQ_RECONNECT_IVL";
    case option::backlog: return "ZMQ_BACKLOG";
    case option::reconnect_ivl_max: return "ZMQ_RECONNECT_IVL_MAX";
    case option::maxmsgsize: return "ZMQ_MAXMSGSIZE";
    case option::sndhwm: return "ZMQ_SNDHWM";
    case option::rcvhwm: return "ZMQ_RCVHWM";
    case option::rcvtimeo: return "ZMQ_RCVTIMEO";
    case option::sndtimeo: return "ZMQ_SNDTIMEO";
    case option::last_endpoint: return "ZMQ_LAST_ENDPOINT";
    case option::router_mandatory: return "ZMQ_ROUTER_MANDATORY";
    case option::tcp_keepalive: return "ZMQ_TCP_KEEPALIVE";
    case option::tcp_keepalive_cnt: return "ZMQ_TCP_KEEPALIVE_CNT";
    case option::tcp_keepalive_idle: return "ZMQ_TCP_KEEPALIVE_IDLE";
    case option::tcp_keepalive_intvl: return "ZMQ_TCP_KEEPALIVE_INTVL";
    case option::immediate: return "ZMQ_IMMEDIATE";
    case option::xpub_verbose: return "ZMQ_XPUB_VERBOSE";
    case option::xpub_verboser: return "ZMQ_XPUB_VERBOSER";
    case option::router_handover: return "ZMQ_ROUTER_HANDOVER";
    case option::req_correlate: return "ZMQ_REQ_CORRELATE";
    case option::req_relaxed: return "ZMQ_REQ_RELAXED";
    case option::conflate: return "ZMQ_CONFLATE";
    case option::handshake_ivl: return "ZMQ_HANDSHAKE_IVL";
    case option::xpub_nodrop: return "ZMQ_XPUB_NODROP";
    case option::heartbeat_ivl: return "ZMQ_HEARTBEAT_IVL";
    case option::heartbeat_ttl: return "ZMQ_HEARTBEAT_TTL";
    case option::heartbeat_timeout: return "ZMQ_HEARTBEAT_TIMEOUT";
    case option::connect_timeout: return "ZMQ_CONNECT_TIMEOUT";
    case option::rate: return "ZMQ_RATE";
    case option::recovery_ivl: return "ZMQ_RECOVERY_IVL";
    case option::multicast_hops: return "ZMQ_MULTICAST_HOPS";
    case option::multicast_maxtpdu: return "ZMQ_MULTICAST_MAXTPDU";
    case option::multicast_loop: return "ZMQ_MULTICAST_LOOP";
  }
  return {};
}

namespace internal {
namespace {

[[noreturn]] void bad_value(option o, std::int64_t v, std::string_view expected) {
  throw error(errc::invalid_argument, describe(o) + ": invalid value " + std::to_string(v) + " (expected " +
                                          std::string(expected) + ")");
}

[[noreturn]] void wrong_type(option o, socket_type t) {
  throw error(errc::invalid_argument,
              describe(o) + " does not apply to a " + std::string(name(t)) + " socket");
}

int non_negative(option o, std::int64_t v) {
  if (v < 0 || v > INT_MAX) bad_value(o, v, ">= 0");
  return static_cast<int>(v);
}
int at_least_minus_one(option o, std::int64_t v) {
  if (v < -1 || v > INT_MAX) bad_value(o, v, ">= -1, where -1 means forever");
  return static_cast<int>(v);
}
bool boolean(option o, std::int64_t v) {
  if (v != 0 && v != 1) bad_value(o, v, "0 or 1");
  return v == 1;
}
void only_for(option o, socket_type t, std::initializer_list<socket_type> types) {
  for (socket_type x : types)
    if (x == t) return;
  wrong_type(o, t);
}

}  // namespace

std::string describe(option o) {
  const std::string_view n = option_name(o);
  if (!n.empty()) return std::string(n);
  return "option " + std::to_string(static_cast<int>(o));
}

void socket_options::set_int(socket_type t, option o, std::int64_t v) {
  using st = socket_type;
  switch (o) {
    case option::sndhwm: sndhwm = non_negative(o, v); return;
    case option::rcvhwm: rcvhwm = non_negative(o, v); return;
    case option::linger: linger = at_least_minus_one(o, v); return;
    case option::sndtimeo: sndtimeo = at_least_minus_one(o, v); return;
    case option::rcvtimeo: rcvtimeo = at_least_minus_one(o, v); return;
    case option::router_mandatory:
      only_for(o, t, {st::router});
      router_mandatory = boolean(o, v);
      return;
    case option::router_handover:
      only_for(o, t, {st::router});
      router_handover = boolean(o, v);
      return;
    case option::req_relaxed:
      only_for(o, t, {st::req});
      req_relaxed = boolean(o, v);
      return;
    case option::req_correlate:
      only_for(o, t, {st::req});
      req_correlate = boolean(o, v);
      return;
    case option::immediate: immediate = boolean(o, v); return;
    case option::conflate:
      only_for(o, t, {st::pub, st::sub, st::push, st::pull, st::dealer, st::pair, st::xpub, st::xsub});
      conflate = boolean(o, v);
      return;
    case option::xpub_verbose:
      only_for(o, t, {st::xpub});
      xpub_verbose = boolean(o, v);
      xpub_verboser = false;  // as libzmq: the last of VERBOSE/VERBOSER set wins
      return;
    case option::xpub_verboser:
      only_for(o, t, {st::xpub});
      xpub_verboser = xpub_verbose = boolean(o, v);
      return;
    case option::xpub_nodrop:
      only_for(o, t, {st::xpub, st::pub});
      xpub_nodrop = boolean(o, v);
      return;
    case option::reconnect_ivl: reconnect_ivl = at_least_minus_one(o, v); return;
    case option::reconnect_ivl_max: reconnect_ivl_max = non_negative(o, v); return;
    case option::connect_timeout: connect_timeout = non_negative(o, v); return;
    case option::handshake_ivl: handshake_ivl = non_negative(o, v); return;
    case option::heartbeat_ivl: heartbeat_ivl = non_negative(o, v); return;
    case option::heartbeat_ttl:
      if (v < 0 || v > 6553599) bad_value(o, v, "0..6553599 ms");
      heartbeat_ttl = static_cast<int>(v);
      return;
    case option::heartbeat_timeout: heartbeat_timeout = at_least_minus_one(o, v); return;
    case option::maxmsgsize:
      if (v < -1) bad_value(o, v, ">= -1, where -1 means no limit");
      maxmsgsize = v;
      return;
    case option::backlog: backlog = non_negative(o, v); return;
    case option::tcp_keepalive:
      if (v < -1 || v > 1) bad_value(o, v, "-1, 0 or 1");
      tcp_keepalive = static_cast<int>(v);
      return;
    case option::tcp_keepalive_cnt: tcp_keepalive_cnt = at_least_minus_one(o, v); return;
    case option::tcp_keepalive_idle: tcp_keepalive_idle = at_least_minus_one(o, v); return;
    case option::tcp_keepalive_intvl: tcp_keepalive_intvl = at_least_minus_one(o, v); return;
    case option::rate:
      if (v < 1 || v > INT_MAX) bad_value(o, v, "kbit/s >= 1");
      rate = static_cast<int>(v);
      return;
    case option::recovery_ivl:
      if (v < 1 || v > INT_MAX) bad_value(o, v, "ms >= 1");
      recovery_ivl = static_cast<int>(v);
      return;
    case option::multicast_hops:
      if (v < 1 || v > 255) bad_value(o, v, "1..255");
      multicast_hops = static_cast<int>(v);
      return;
    case option::multicast_maxtpdu:
      // Below a few hundred bytes PGM's own headers leave no room for data.
      if (v < 512 || v > 65535) bad_value(o, v, "512..65535 bytes");
      multicast_maxtpdu = static_cast<int>(v);
      return;
    case option::multicast_loop: multicast_loop = boolean(o, v); return;
    case option::rcvmore:
    case option::type:
    case option::last_endpoint:
      throw error(errc::invalid_argument, describe(o) + " is read-only");
    case option::routing_id:
    case option::subscribe:
    case option::unsubscribe:
      throw error(errc::invalid_argument, describe(o) + " takes bytes, not an integer");
  }
  throw error(errc::unknown_option, "unknown socket option " + describe(o));
}

void socket_options::set_bytes(socket_type, option o, std::string_view value) {
  switch (o) {
    case option::routing_id:
      if (value.empty() || value.size() > 255)
        throw error(errc::invalid_argument,
                    "ZMQ_ROUTING_ID: must be 1 to 255 bytes, got " + std::to_string(value.size()));
      if (value.front() == '\0')
        throw error(errc::invalid_argument,
                    "ZMQ_ROUTING_ID: must not start with a zero byte (reserved for generated ids)");
      routing_id = std::string(value);
      return;
    default: break;
  }
  if (option_name(o).empty()) throw error(errc::unknown_option, "unknown socket option " + describe(o));
  throw error(errc::invalid_argument, describe(o) + " takes an integer, not bytes");
}

std::int64_t socket_options::get_int(option o) const {
  switch (o) {
    case option::sndhwm: return sndhwm;
    case option::rcvhwm: return rcvhwm;
    case option::linger: return linger;
    case option::sndtimeo: return sndtimeo;
    case option::rcvtimeo: return rcvtimeo;
    case option::router_mandatory: return router_mandatory;
    case option::router_handover: return router_handover;
    case option::req_relaxed: return req_relaxed;
    case option::req_correlate: return req_correlate;
    case option::immediate: return immediate;
    case option::conflate: return conflate;
    case option::xpub_verbose: return xpub_verbose;
    case option::xpub_verboser: return xpub_verboser;
    case option::xpub_nodrop: return xpub_nodrop;
    case option::reconnect_ivl: return reconnect_ivl;
    case option::reconnect_ivl_max: return reconnect_ivl_max;
    case option::connect_timeout: return connect_timeout;
    case option::handshake_ivl: return handshake_ivl;
    case option::heartbeat_ivl: return heartbeat_ivl;
    case option::heartbeat_ttl: return heartbeat_ttl;
    case option::heartbeat_timeout: return heartbeat_timeout;
    case option::maxmsgsize: return maxmsgsize;
    case option::backlog: return backlog;
    case option::tcp_keepalive: return tcp_keepalive;
    case option::tcp_keepalive_cnt: return tcp_keepalive_cnt;
    case option::tcp_keepalive_idle: return tcp_keepalive_idle;
    case option::tcp_keepalive_intvl: return tcp_keepalive_intvl;
    case option::rate: return rate;
    case option::recovery_ivl: return recovery_ivl;
    case option::multicast_hops: return multicast_hops;
    case option::multicast_maxtpdu: return multicast_maxtpdu;
    case option::multicast_loop: return multicast_loop;
    default: break;
  }
  if (option_name(o).empty()) throw error(errc::unknown_option, "unknown socket option " + describe(o));
  throw error(errc::invalid_argument, describe(o) + " is not an integer option");
}

std::string socket_options::get_bytes(option o) const {
  switch (o) {
    case option::routing_id: return routing_id;
    case option::last_endpoint: return last_endpoint;
    default: break;
  }
  if (option_name(o).empty()) throw error(errc::unknown_option, "unknown socket option " + describe(o));
  throw error(errc::invalid_argument, describe(o) + " is not a bytes option");
}

}  // namespace internal
}  // namespace troupe::messaging
