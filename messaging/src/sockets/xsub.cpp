// XSUB (RFC 29/PUBSUB), and SUB through the same class: see xsub.hpp.
#include "sockets/xsub.hpp"

#include "sockets/socket_types.hpp"
#include "subscription_message.hpp"

#include <algorithm>

namespace troupe::messaging::internal {

xsub_socket::xsub_socket(context_core& ctx, socket_type type)
    : socket_base(ctx, type), sub_(type == socket_type::sub), fq_(*this) {
  // As libzmq: what a subscriber still owes its publishers at close is only subscriptions
  // (and, for XSUB, messages a publisher may drop anyway): do not keep them.
  opts_.linger = 0;
}

void xsub_socket::xattach_pipe(pipe_end& p, bool) {
  fq_.attach(p);
  dist_.attach(p);
  if (p.primed) {
    // Primed on another thread with what was subscribed then: send what changed since.
    const std::vector<std::string> before = std::move(p.primed_subscriptions);
    p.primed_subscriptions = {};
    p.primed = false;
    for (const std::string& t : before)
      if (!published_.contains(t)) p.write(make_subscription(false, t));
    for (const std::string& t : published_)
      if (!std::binary_search(before.begin(), before.end(), t)) p.write(make_subscription(true, t));
  } else {
    // A new publisher gets every current subscription, once per prefix (it keeps a set).
    subscriptions_.apply([&](std::string_view prefix) { p.write(make_subscription(true, prefix)); });
  }
  p.flush();
}

void xsub_socket::hand_over(pipe_end& p) noexcept {
  // Runs on the thread that made the pipe. The socket's thread changes the subscriptions
  // under the same lock and then processes its events: a change made after the snapshot finds
  // the attach event already queued, and xattach_pipe() sends it in the difference.
  std::lock_guard lock(published_mutex_);
  std::size_t written = 0;
  try {
    std::vector<std::string> topics(published_.begin(), published_.end());  // sorted
    try {
      for (; written < topics.size(); ++written) p.write(make_subscription(true, topics[written]));
    } catch (...) {
      // Out of memory: what was written counts as sent; the socket sends the rest at attach.
    }
    topics.resize(written);
    p.primed_subscriptions = std::move(topics);
    p.primed = true;
  } catch (...) {
    // Not primed: the socket sends them all at attach.
  }
  p.flush();
  p.send_attach();
}

void xsub_socket::xpipe_terminated(pipe_end& p) {
  // A pipe ends only after its last whole message was read, so no message is cut short here.
  // A message has_in() took from a queue that was then destroyed (the peer's connection broke)
  // goes with that queue.
  if (prefetched_ && prefetched_from_ == &p && p.peer_discarded()) {
    next_.clear();
    prefetched_ = false;
  }
  if (prefetched_from_ == &p) prefetched_from_ = nullptr;
  fq_.terminated(p);
  dist_.terminated(p);
}

// ---- receiving ----

op_result xsub_socket::xrecv(message& m) {
  if (prefetched_) {
    m = std::move(next_);
    prefetched_ = false;
    more_in_ = m.more();
    return op_result::done;
  }
  for (;;) {
    if (fq_.recv(m) != op_result::done) return op_result::again;
    if (more_in_ || wanted(m)) {
      more_in_ = m.more();
      return op_result::done;
    }
    skip_rest(m);
  }
}

bool xsub_socket::xhas_in() {
  if (more_in_ || prefetched_) return true;
  for (;;) {
    if (fq_.recv(next_, &prefetched_from_) != op_result::done) return false;
    if (wanted(next_)) {
      prefetched_ = true;
      return true;
    }
    skip_rest(next_);
  }
}

void xsub_socket::skip_rest(message& m) noexcept {
  // A pipe publishes whole messages, so the rest is there already.
  while (m.more() && fq_.recv(m) == op_result::done) {
  }
  m.clear();
}

// ---- subscriptions and sending ----

bool xsub_socket::update(const message& m) {
  const std::span<const std::byte> prefix(m.data() + 1, m.size() - 1);
  if (m.data()[0] == std::byte{1}) {
    if (subscriptions_.add(prefix)) publish(true, prefix);
    return true;  // always: an XPUB upstream may count duplicates (XPUB_VERBOSE)
  }
  if (!subscriptions_.rm(prefix)) return false;  // the last one only; an unknown one goes nowhere
  publish(false, prefix);
  return true;
}

void xsub_socket::publish(bool subscribed, std::span<const std::byte> prefix) {
  const std::string_view topic(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  std::lock_guard lock(published_mutex_);
  if (subscribed) published_.emplace(topic);
  else if (auto it = published_.find(topic); it != published_.end()) published_.erase(it);
}

void xsub_socket::send_command(message& m) {
  for (std::size_t i = 0; i < dist_.size(); ++i) {
    pipe_end& p = dist_.at(i);
    if (p.peer_closed()) continue;
    p.write(m.share());
    p.flush();
  }
  m.clear();
  process_events();
}

bool xsub_socket::xset_bytes(option o, std::string_view value) {
  if (!sub_ || (o != option::subscribe && o != option::unsubscribe)) return false;
  message m = make_subscription(o == option::subscribe, value);
  if (update(m)) send_command(m);
  return true;
}

op_result xsub_socket::xsend(message& m) {
  if (sub_) return socket_base::xsend(m);  // SUB: not supported
  const bool more = m.more();
  if (dropping_) {
    m.clear();
    dropping_ = more;
    return op_result::done;
  }
  if (!more_out_) {
    if (is_subscription(m)) {
      if (!update(m)) {
        m.clear();
        dropping_ = more;
        return op_result::done;
      }
      if (!more) {
        send_command(m);
        return op_result::done;
      }
    }
    dist_.match_all();
  }
  dist_.send_to_matching(m);  // RFC 29: never blocks, a full queue misses the message
  more_out_ = more;
  return op_result::done;
}

framework::ref_ptr<socket_base> make_xsub_socket(context_core& ctx) {
  return framework::make_ref<xsub_socket>(ctx, socket_type::xsub);
}

}  // namespace troupe::messaging::internal
