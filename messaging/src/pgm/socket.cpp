#include "pgm/socket.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/messaging/error.hpp>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/time.h>

#include <charconv>
#include <mutex>
#include <random>

namespace troupe::messaging::internal::pgm {
namespace {

[[noreturn]] void bad(std::string_view endpoint, const std::string& why, errc code = errc::invalid_argument) {
  throw error(code, "endpoint '" + std::string(endpoint) + "': " + why);
}

// OpenPGM's messages go to troupe's log (its warnings about lo are noise at our level).
void log_handler(const int level, const char* message, void*) {
  const auto l = level >= PGM_LOG_LEVEL_ERROR ? framework::log_level::warning : framework::log_level::debug;
  if (framework::log_enabled(l)) framework::log(l, std::string("OpenPGM: ") + (message ? message : ""));
}

void init_once() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    pgm_log_set_handler(&log_handler, nullptr);
    pgm_error_t* err = nullptr;
    if (!pgm_init(&err)) {
      failure = err && err->message ? err->message : "pgm_init failed";
      if (err) pgm_error_free(err);
    }
  });
  if (!failure.empty()) throw error(errc::protocol_not_supported, "OpenPGM cannot start: " + failure);
}

std::string take_message(pgm_error_t* err, const char* fallback) {
  std::string m = err && err->message ? err->message : fallback;
  if (err) pgm_error_free(err);
  return m;
}

template <class T>
void set(pgm_sock_t* s, int level, int name, const T& v, std::string_view endpoint, const char* what) {
  if (!pgm_setsockopt(s, level, name, &v, sizeof v)) bad(endpoint, std::string("OpenPGM refused ") + what);
}

}  // namespace

address parse_address(std::string_view endpoint, std::string_view addr) {
  const auto semi = addr.find(';');
  const auto colon = addr.rfind(':');
  if (semi == std::string_view::npos || semi == 0)
    bad(endpoint, "expected interface;group:port (interface by name or address, e.g. epgm://eth0;239.192.1.1:5555)");
  if (colon == std::string_view::npos || colon < semi) bad(endpoint, "expected interface;group:port: no port");
  address a;
  a.interface = std::string(addr.substr(0, semi));
  a.group = std::string(addr.substr(semi + 1, colon - semi - 1));
  if (a.group.empty()) bad(endpoint, "expected interface;group:port: no multicast group");
  const std::string_view port_text = addr.substr(colon + 1);
  int port = 0;
  const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535)
    bad(endpoint, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
  a.port = static_cast<std::uint16_t>(port);
  in_addr v4{};
  if (::inet_pton(AF_INET, a.group.c_str(), &v4) == 1 && !IN_MULTICAST(ntohl(v4.s_addr)))
    bad(endpoint, "'" + a.group + "' is not a multicast group (224.0.0.0/4)");
  in6_addr v6{};
  if (::inet_pton(AF_INET6, a.group.c_str(), &v6) == 1 && !IN6_IS_ADDR_MULTICAST(&v6))
    bad(endpoint, "'" + a.group + "' is not a multicast group (ff00::/8)");
  // An interface given by name must exist (OpenPGM's message for this one is obscure).
  if (::inet_pton(AF_INET, a.interface.c_str(), &v4) != 1 && ::inet_pton(AF_INET6, a.interface.c_str(), &v6) != 1 &&
      ::if_nametoindex(a.interface.c_str()) == 0)
    bad(endpoint, "no network interface named '" + a.interface + "'", errc::address_not_available);
  a.network = a.interface + ";" + a.group;
  return a;
}

socket::socket(std::string_view endpoint, const address& a, const socket_options& o, bool sender, bool udp) {
  init_once();
  pgm_addrinfo_t* res = nullptr;
  pgm_error_t* err = nullptr;
  pgm_addrinfo_t hints{};
  hints.ai_family = AF_UNSPEC;
  if (!pgm_getaddrinfo(a.network.c_str(), &hints, &res, &err))
    bad(endpoint, "interface '" + a.interface + "' / group '" + a.group + "': " + take_message(err, "not usable"),
        errc::address_not_available);
  struct addrinfo_guard {
    pgm_addrinfo_t* r;
    ~addrinfo_guard() { pgm_freeaddrinfo(r); }
  } guard{res};
  const sa_family_t family = res->ai_send_addrs[0].gsr_group.ss_family;
  if (!pgm_socket(&sock_, family, SOCK_SEQPACKET, udp ? IPPROTO_UDP : IPPROTO_PGM, &err))
    bad(endpoint,
        std::string(udp ? "cannot open an epgm socket: " : "cannot open a raw pgm socket (needs root or CAP_NET_RAW): ") +
            take_message(err, "refused"),
        errc::address_not_available);
  try {
    if (udp) {
      const int port = a.port;
      set(sock_, IPPROTO_PGM, PGM_UDP_ENCAP_UCAST_PORT, port, endpoint, "the UDP port");
      set(sock_, IPPROTO_PGM, PGM_UDP_ENCAP_MCAST_PORT, port, endpoint, "the UDP port");
    }
    set(sock_, IPPROTO_PGM, PGM_MTU, o.multicast_maxtpdu, endpoint, "ZMQ_MULTICAST_MAXTPDU");
    // The window holds RECOVERY_IVL's worth of packets at RATE (as libzmq sizes it).
    const std::uint64_t bytes = static_cast<std::uint64_t>(o.rate) / 8 * static_cast<std::uint64_t>(o.recovery_ivl);
    const int sqns = static_cast<int>(std::clamp<std::uint64_t>(bytes / static_cast<std::uint64_t>(o.multicast_maxtpdu), 1,
                                                                (1u << 30)));
    const int one = 1;
    if (sender) {
      const int max_rte = static_cast<int>(std::min<std::uint64_t>(std::uint64_t(o.rate) * 1000 / 8, INT32_MAX));
      const int ambient_spm = pgm_secs(30);
      const int heartbeat_spm[] = {pgm_msecs(100), pgm_msecs(100),  pgm_msecs(100),  pgm_msecs(100), pgm_msecs(1300),
                                   pgm_secs(7),    pgm_secs(16),    pgm_secs(25),    pgm_secs(30)};
      set(sock_, IPPROTO_PGM, PGM_SEND_ONLY, one, endpoint, "PGM_SEND_ONLY");
      set(sock_, IPPROTO_PGM, PGM_TXW_SQNS, sqns, endpoint, "the transmit window (ZMQ_RATE x ZMQ_RECOVERY_IVL)");
      set(sock_, IPPROTO_PGM, PGM_TXW_MAX_RTE, max_rte, endpoint, "ZMQ_RATE");
      set(sock_, IPPROTO_PGM, PGM_AMBIENT_SPM, ambient_spm, endpoint, "PGM_AMBIENT_SPM");
      if (!pgm_setsockopt(sock_, IPPROTO_PGM, PGM_HEARTBEAT_SPM, heartbeat_spm, sizeof heartbeat_spm))
        bad(endpoint, "OpenPGM refused PGM_HEARTBEAT_SPM");
    } else {
      const int peer_expiry = pgm_secs(300), spmr_expiry = pgm_msecs(25), nak_bo_ivl = pgm_msecs(50),
                nak_rpt_ivl = pgm_msecs(200), nak_rdata_ivl = pgm_msecs(200), nak_data_retries = 50,
                nak_ncf_retries = 50;
      set(sock_, IPPROTO_PGM, PGM_RECV_ONLY, one, endpoint, "PGM_RECV_ONLY");
      set(sock_, IPPROTO_PGM, PGM_PASSIVE, 0, endpoint, "PGM_PASSIVE");
      set(sock_, IPPROTO_PGM, PGM_RXW_SQNS, sqns, endpoint, "the receive window (ZMQ_RATE x ZMQ_RECOVERY_IVL)");
      set(sock_, IPPROTO_PGM, PGM_PEER_EXPIRY, peer_expiry, endpoint, "PGM_PEER_EXPIRY");
      set(sock_, IPPROTO_PGM, PGM_SPMR_EXPIRY, spmr_expiry, endpoint, "PGM_SPMR_EXPIRY");
      set(sock_, IPPROTO_PGM, PGM_NAK_BO_IVL, nak_bo_ivl, endpoint, "PGM_NAK_BO_IVL");
      set(sock_, IPPROTO_PGM, PGM_NAK_RPT_IVL, nak_rpt_ivl, endpoint, "PGM_NAK_RPT_IVL");
      set(sock_, IPPROTO_PGM, PGM_NAK_RDATA_IVL, nak_rdata_ivl, endpoint, "PGM_NAK_RDATA_IVL");
      set(sock_, IPPROTO_PGM, PGM_NAK_DATA_RETRIES, nak_data_retries, endpoint, "PGM_NAK_DATA_RETRIES");
      set(sock_, IPPROTO_PGM, PGM_NAK_NCF_RETRIES, nak_ncf_retries, endpoint, "PGM_NAK_NCF_RETRIES");
    }
    // A random session id: several publishers of one host and group are told apart by it.
    pgm_sockaddr_t sa{};
    std::random_device rd;
    std::uint8_t gsi_seed[16];
    for (auto& b : gsi_seed) b = static_cast<std::uint8_t>(rd());
    pgm_gsi_create_from_data(&sa.sa_addr.gsi, gsi_seed, sizeof gsi_seed);
    sa.sa_port = a.port;
    sa.sa_addr.sport = static_cast<std::uint16_t>(1 + rd() % 65534);
    pgm_interface_req_t if_req{};
    if_req.ir_interface = res->ai_recv_addrs[0].gsr_interface;
    if (family == AF_INET6)
      if_req.ir_scope_id = reinterpret_cast<const sockaddr_in6*>(&res->ai_recv_addrs[0].gsr_group)->sin6_scope_id;
    if (!pgm_bind3(sock_, &sa, sizeof sa, &if_req, sizeof if_req, &if_req, sizeof if_req, &err))
      bad(endpoint, "cannot bind: " + take_message(err, "refused"), errc::address_not_available);
    for (unsigned i = 0; i < res->ai_recv_addrs_len; ++i)
      if (!pgm_setsockopt(sock_, IPPROTO_PGM, PGM_JOIN_GROUP, &res->ai_recv_addrs[i], sizeof(group_req)))
        bad(endpoint, "cannot join group '" + a.group + "'", errc::address_not_available);
    if (!pgm_setsockopt(sock_, IPPROTO_PGM, PGM_SEND_GROUP, &res->ai_send_addrs[0], sizeof(group_req)))
      bad(endpoint, "cannot send to group '" + a.group + "'", errc::address_not_available);
    const int loop = o.multicast_loop ? 1 : 0;
    set(sock_, IPPROTO_PGM, PGM_MULTICAST_LOOP, loop, endpoint, "ZMQ_MULTICAST_LOOP");
    set(sock_, IPPROTO_PGM, PGM_MULTICAST_HOPS, o.multicast_hops, endpoint, "ZMQ_MULTICAST_HOPS");
    set(sock_, IPPROTO_PGM, PGM_NOBLOCK, one, endpoint, "PGM_NOBLOCK");
    if (!pgm_connect(sock_, &err)) bad(endpoint, "cannot start: " + take_message(err, "refused"), errc::address_not_available);
  } catch (...) {
    pgm_close(sock_, false);
    sock_ = nullptr;
    throw;
  }
}

socket::~socket() {
  if (sock_) pgm_close(sock_, true);
}

int socket::fd(int which) const {
  int fd = -1;
  socklen_t len = sizeof fd;
  if (!pgm_getsockopt(sock_, IPPROTO_PGM, which, &fd, &len) || fd < 0)
    throw error(errc::invalid_argument, "OpenPGM gave no descriptor " + std::to_string(which));
  return fd;
}

std::size_t socket::max_tsdu() const {
  int mss = 0;
  socklen_t len = sizeof mss;
  if (!pgm_getsockopt(sock_, IPPROTO_PGM, PGM_MSS, &mss, &len) || mss <= 0)
    throw error(errc::invalid_argument, "OpenPGM gave no PGM_MSS");
  return static_cast<std::size_t>(mss);
}

int socket::remaining_ms(int which) const noexcept {
  timeval tv{};
  socklen_t len = sizeof tv;
  if (!pgm_getsockopt(sock_, IPPROTO_PGM, which, &tv, &len)) return 1;
  const long ms = tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
  return ms < 1 ? 1 : static_cast<int>(std::min<long>(ms, 60000));
}

}  // namespace troupe::messaging::internal::pgm
