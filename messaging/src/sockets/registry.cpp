// The socket-type registry: one row per type, giving its ZMTP name, its valid peers (RFC 23,
// 28-31) and its factory. A new socket type is one source file and one row here.
#include "sockets/socket_types.hpp"

#include "socket_base.hpp"

#include <troupe/messaging/socket_type.hpp>

namespace troupe::messaging {
namespace {

using st = socket_type;
constexpr st pair_peers[] = {st::pair};
constexpr st pub_peers[] = {st::sub, st::xsub};
constexpr st sub_peers[] = {st::pub, st::xpub};
constexpr st req_peers[] = {st::rep, st::router};
constexpr st rep_peers[] = {st::req, st::dealer};
constexpr st dealer_peers[] = {st::rep, st::dealer, st::router};
constexpr st router_peers[] = {st::req, st::dealer, st::router};
constexpr st pull_peers[] = {st::push};
constexpr st push_peers[] = {st::pull};
constexpr st xpub_peers[] = {st::sub, st::xsub};
constexpr st xsub_peers[] = {st::pub, st::xpub};

struct row {
  socket_type_info info;
  internal::socket_factory create;
};

const row table[] = {
    {{st::pair, "PAIR", pair_peers}, &internal::make_pair_socket},
    {{st::pub, "PUB", pub_peers}, &internal::make_pub_socket},
    {{st::sub, "SUB", sub_peers}, &internal::make_sub_socket},
    {{st::req, "REQ", req_peers}, &internal::make_req_socket},
    {{st::rep, "REP", rep_peers}, &internal::make_rep_socket},
    {{st::dealer, "DEALER", dealer_peers}, &internal::make_dealer_socket},
    {{st::router, "ROUTER", router_peers}, &internal::make_router_socket},
    {{st::pull, "PULL", pull_peers}, &internal::make_pull_socket},
    {{st::push, "PUSH", push_peers}, &internal::make_push_socket},
    {{st::xpub, "XPUB", xpub_peers}, &internal::make_xpub_socket},
    {{st::xsub, "XSUB", xsub_peers}, &internal::make_xsub_socket},
};

const row& row_of(socket_type t) noexcept { return table[static_cast<int>(t)]; }
static_assert(std::size(table) == 11);

}  // namespace

std::span<const socket_type_info> socket_types() noexcept {
  static const auto infos = [] {
    std::array<socket_type_info, std::size(table)> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = table[i].info;
    return a;
  }();
  return infos;
}

const socket_type_info& info(socket_type t) noexcept { return row_of(t).info; }
std::string_view name(socket_type t) noexcept {
  const auto i = static_cast<unsigned>(t);
  return i < std::size(table) ? table[i].info.name : std::string_view("UNKNOWN");
}

std::optional<socket_type> parse_socket_type(std::string_view n) noexcept {
  for (const row& r : table)
    if (r.info.name == n) return r.info.type;
  return std::nullopt;
}

bool compatible(socket_type a, socket_type b) noexcept {
  for (socket_type p : row_of(a).info.peers)
    if (p == b) return true;
  return false;
}

namespace internal {
framework::ref_ptr<socket_base> create_socket(context_core& ctx, socket_type type) {
  const auto i = static_cast<unsigned>(type);
  if (i >= std::size(table))
    throw error(errc::invalid_argument, "unknown socket type " + std::to_string(static_cast<int>(type)));
  return table[i].create(ctx);
}
}  // namespace internal

}  // namespace troupe::messaging
