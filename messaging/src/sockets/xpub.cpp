// XPUB (RFC 29/PUBSUB), and PUB through the same class: see xpub.hpp.
#include "sockets/xpub.hpp"

#include "sockets/socket_types.hpp"
#include "subscription_message.hpp"

namespace troupe::messaging::internal {

xpub_socket::xpub_socket(context_core& ctx, socket_type type)
    : socket_base(ctx, type), xpub_(type == socket_type::xpub), fq_(*this) {}

void xpub_socket::xattach_pipe(pipe_end& p, bool) {
  dist_.attach(p);
  // Active in the fair queue: what the subscriber sent before we took the pipe (it may
  // subscribe before connecting) raised no event, and the next pump() reads it. From then on
  // the pipe sleeps when found empty and wakes us.
  fq_.attach(p);
}

void xpub_socket::pump() {
  message m;
  while (!up_full()) {
    pipe_end* from = nullptr;
    if (fq_.recv(m, &from) != op_result::done) return;
    // fq stays on `from` until the message's last part, and a pipe publishes whole messages
    // only, so the rest of the message is read within this iteration.
    const bool command = is_subscription(m);
    // Subscriptions: applied now (the filter is current), passed up per the VERBOSE options,
    // further parts dropped (not part of the protocol). Other messages: passed up whole by
    // XPUB, dropped by PUB (RFC 29).
    const bool notify = command ? apply(*from, m) : true;
    const bool keep = xpub_ && notify;
    std::size_t queued = 0;
    for (bool first = true;; first = false) {
      const bool more = m.more();
      if (keep && (first || !command)) {
        if (command) m.set_more(false);
        pass_up(std::move(m));
        ++queued;
      }
      m.clear();
      if (!more) break;
      if (fq_.recv(m) != op_result::done) {
        // Cannot happen with a healthy pipe; never pass up part of a message.
        if (keep && !command) {
          up_.resize(up_.size() - queued);
          if (up_head_ > up_.size()) up_head_ = up_.size();
        }
        break;
      }
    }
  }
}

bool xpub_socket::apply(pipe_end& p, const message& sub) {
  const std::span<const std::byte> prefix(sub.data() + 1, sub.size() - 1);
  if (subscribes(sub)) return subscriptions_.add(prefix, p) || opts_.xpub_verbose;
  return subscriptions_.rm(prefix, p) == mtrie::rm_result::last_removed || opts_.xpub_verboser;
}

void xpub_socket::xpipe_terminated(pipe_end& p) {
  // RFC 29: a subscriber that goes away unsubscribes; XPUB tells its user of the prefixes
  // nobody wants any more (of all the pipe's prefixes with XPUB_VERBOSER). Queued after what
  // was already read, even past the RCVHWM bound: they are owed and at most one per prefix.
  subscriptions_.rm_all(p, [&](std::string_view prefix, bool last) {
    if (!xpub_ || !(last || opts_.xpub_verboser)) return;
    pass_up(make_subscription(false, prefix));
  });
  fq_.terminated(p);
  dist_.terminated(p);
}

op_result xpub_socket::xsend(message& m) {
  if (!more_out_) {
    // Take in the subscriptions that arrived, then let the first part choose the pipes; the
    // rest of the message follows it to the same ones.
    pump();
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
  pump();
  if (up_head_ == up_.size()) return op_result::again;
  m = std::move(up_[up_head_++]);
  more_up_ = m.more();
  if (!more_up_) --up_messages_;
  if (up_head_ == up_.size()) {
    up_.clear();
    up_head_ = 0;
  }
  return op_result::done;
}

bool xpub_socket::xhas_in() {
  if (!xpub_) return false;
  if (more_up_) return true;
  pump();
  return up_head_ < up_.size();
}

bool xpub_socket::xhas_out() {
  // Without XPUB_NODROP a send never blocks: a full subscriber misses the message (as libzmq,
  // whose XPUB always reports POLLOUT). With it, a send blocks if a matching subscriber is
  // full; which ones match depends on the message, so writable means "no subscriber is full":
  // then no send can block.
  if (!opts_.xpub_nodrop || more_out_) return true;
  return dist_.all_have_room();
}

void xpub_socket::pass_up(message&& m) {
  // Reuse the space already read before growing.
  if (up_head_ > 0 && up_.size() == up_.capacity() && up_head_ * 2 >= up_.size()) {
    up_.erase(up_.begin(), up_.begin() + static_cast<std::ptrdiff_t>(up_head_));
    up_head_ = 0;
  }
  if (!m.more()) ++up_messages_;
  up_.push_back(std::move(m));
}

framework::ref_ptr<socket_base> make_xpub_socket(context_core& ctx) {
  return framework::make_ref<xpub_socket>(ctx, socket_type::xpub);
}

}  // namespace troupe::messaging::internal
