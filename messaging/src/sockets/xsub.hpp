#pragma once
// SUB and XSUB (RFC 29/PUBSUB): one class, since SUB is XSUB whose subscriptions are options.
//
// Receiving: fair-queued from the publishers. SUB delivers only messages whose first part
// matches one of its subscriptions (a message that does not is dropped whole); XSUB delivers
// all, as libzmq (its publishers filter).
// Subscriptions: counted locally (subscribe twice, unsubscribe twice). A subscription goes
// upstream every time (XPUB_VERBOSE counts them), an unsubscription only when it was the
// last; a publisher that attaches later gets every current one. They are written to every
// pipe even past the HWM: a lost subscription would silence the subscriber for good.
// A publisher whose pipe is made on another thread (it connected to this socket's bind) gets
// them from that thread at once (hand_over), not at this socket's next call: a SUB that
// binds, subscribes and then only waits is heard by publishers connecting later. A change
// made while such a pipe is being handed over is sent by the change's own call, which
// attaches the pipe (the hand-over and the change are ordered by published_mutex_).
// Sending (XSUB): 0x01+prefix / 0x00+prefix messages update the subscriptions as above; other
// messages go to every publisher, dropped where a queue is full (RFC 29). SUB cannot send.

#include "routing/dist.hpp"
#include "routing/fq.hpp"
#include "routing/trie.hpp"
#include "socket_base.hpp"

#include <mutex>
#include <set>
#include <string>

namespace troupe::messaging::internal {

class xsub_socket final : public socket_base {
public:
  /// `type` is socket_type::xsub or socket_type::sub.
  xsub_socket(context_core& ctx, socket_type type);

private:
  void xattach_pipe(pipe_end& p, bool locally_initiated) override;
  void hand_over(pipe_end& p) noexcept override;
  void xread_activated(pipe_end& p) override { fq_.activated(p); }
  void xwrite_activated(pipe_end& p) override { dist_.activated(p); }
  void xpipe_terminated(pipe_end& p) override;
  op_result xsend(message& m) override;
  op_result xrecv(message& m) override;
  bool xhas_in() override;
  bool xhas_out() override { return !sub_; }
  bool xset_bytes(option o, std::string_view value) override;

  bool wanted(const message& first_part) const noexcept {
    return !sub_ || subscriptions_.check(first_part.data(), first_part.size());
  }
  /// Reads and drops the rest of the message whose part `m` is.
  void skip_rest(message& m) noexcept;
  /// Applies a 0x01/0x00 message to the subscriptions; false if it need not go upstream.
  bool update(const message& m);
  /// Records a prefix's first subscription / last unsubscription in `published_`.
  void publish(bool subscribed, std::span<const std::byte> prefix);
  /// Writes `m` to every publisher, past the HWM, then attaches the pipes handed over
  /// meanwhile (they get `m` in the difference xattach_pipe() sends). Consumes it.
  void send_command(message& m);

  const bool sub_;  // SUB (filters, takes subscriptions as options) rather than XSUB
  bool more_in_ = false;    // inside a message being received
  bool more_out_ = false;   // inside a message being sent
  bool dropping_ = false;   // dropping the rest of a message being sent
  bool prefetched_ = false; // has_in() read the next wanted message into `next_`
  pipe_end* prefetched_from_ = nullptr;  // the pipe `next_` came from
  fq fq_;
  dist dist_;
  trie subscriptions_;
  // The subscribed prefixes (those of subscriptions_), for hand_over() on other threads.
  // Written by the owner under published_mutex_; the owner reads without it.
  std::mutex published_mutex_;
  std::set<std::string, std::less<>> published_;
  message next_;
};

}  // namespace troupe::messaging::internal
