// XPUB (RFC 29/PUBSUB), and PUB through the same class: see xpub.hpp.
#include "sockets/xpub.hpp"

#include "sockets/socket_types.hpp"

#include <cstring>

namespace troupe::messaging::internal {
namespace {

// A subscriber's 0x01+prefix (subscribe) or 0x00+prefix (unsubscribe).
bool is_subscription(const message& m) noexcept {
  return !m.empty() && (m.data()[0] == std::byte{0} || m.data()[0] == std::byte{1});
}

}  // namespace

xpub_socket::xpub_socket(context_core& ctx, socket_type type)
    : socket_base(ctx, type), xpub_(type == socket_type::xpub) {}

void xpub_socket::xattach_pipe(pipe_end& p, bool) {
  dist_.attach(p);
  // What the subscriber sent before we took the pipe (it may subscribe before connecting)
  // raised no event: read it now. From here on the pipe sleeps when empty and wakes us.
  read_from(p);
}

void xpub_socket::read_from(pipe_end& p) {
  // A pipe publishes whole messages only, so each message read here is read to its last part
  // within this loop.
  message m;
  bool first = true;
  bool command = false;  // the message being read is an (un)subscription
  for (;;) {
    switch (p.read(m)) {
      case read_result::part: break;
      case read_result::empty: return;
      case read_result::ended: terminate_pipe(p); return;
    }
    const bool more = m.more();
    if (first) {
      command = is_subscription(m);
      if (command) apply(p, m);
    }
    // Further parts of a subscription are not part of the protocol: dropped. PUB drops what
    // its subscribers send (RFC 29); XPUB passes it up as it came.
    if (!command && xpub_) pass_up(std::move(m));
    m.clear();
    first = !more;
  }
}

void xpub_socket::apply(pipe_end& p, message& sub) {
  const std::span<const std::byte> prefix(sub.data() + 1, sub.size() - 1);
  bool notify = false;
  if (sub.data()[0] == std::byte{1}) {
    notify = subscriptions_.add(prefix, p) || opts_.xpub_verbose;
  } else {
    notify = subscriptions_.rm(prefix, p) == mtrie::rm_result::last_removed || opts_.xpub_verboser;
  }
  if (notify && xpub_) {
    sub.set_more(false);
    pass_up(std::move(sub));
  }
}

void xpub_socket::xpipe_terminated(pipe_end& p) {
  // RFC 29: a subscriber that goes away unsubscribes; XPUB tells its user of the prefixes
  // nobody wants any more (of all the pipe's prefixes with XPUB_VERBOSER).
  subscriptions_.rm_all(p, [&](std::string_view prefix, bool last) {
    if (!xpub_ || !(last || opts_.xpub_verboser)) return;
    message m(prefix.size() + 1);
    m.data()[0] = std::byte{0};
    if (!prefix.empty()) std::memcpy(m.data() + 1, prefix.data(), prefix.size());
    pass_up(std::move(m));
  });
  dist_.terminated(p);
}

op_result xpub_socket::xsend(message& m) {
  if (!more_out_) {
    // The first part chooses the pipes; the rest of the message follows it to the same ones.
    dist_.unmatch();
    subscriptions_.match(m.data(), m.size(), [this](pipe_end& p) { dist_.match(p); });
    if (opts_.xpub_nodrop && !dist_.matching_have_room()) {
      dist_.unmatch();
      return op_result::again;  // a writable event will come from the full pipe
    }
  }
  more_out_ = m.more();
  dist_.send_to_matching(m);
  return op_result::done;
}

op_result xpub_socket::xrecv(message& m) {
  if (!xpub_) return socket_base::xrecv(m);  // PUB: not supported
  if (up_head_ == up_.size()) return op_result::again;
  m = std::move(up_[up_head_++]);
  if (up_head_ == up_.size()) {
    up_.clear();
    up_head_ = 0;
  }
  return op_result::done;
}

bool xpub_socket::xhas_in() { return xpub_ && up_head_ < up_.size(); }

void xpub_socket::pass_up(message&& m) {
  // Reuse the space already read before growing.
  if (up_head_ > 0 && up_.size() == up_.capacity() && up_head_ * 2 >= up_.size()) {
    up_.erase(up_.begin(), up_.begin() + static_cast<std::ptrdiff_t>(up_head_));
    up_head_ = 0;
  }
  up_.push_back(std::move(m));
}

framework::ref_ptr<socket_base> make_xpub_socket(context_core& ctx) {
  return framework::make_ref<xpub_socket>(ctx, socket_type::xpub);
}

}  // namespace troupe::messaging::internal
