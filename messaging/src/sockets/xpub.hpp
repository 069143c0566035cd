#pragma once
// PUB and XPUB (RFC 29/PUBSUB): one class, since PUB is XPUB that never passes anything up.
//
// Sending: the first part of each message is matched against the subscription trie and the
// whole message goes to the matching pipes (dist: one shared body, never copied). A pipe
// without room misses the message (drop), unless XPUB_NODROP: then send waits (or says
// `again`) until every matching pipe has room.
// Receiving: subscribers send 0x01+prefix / 0x00+prefix (and an XSUB any other message).
// XPUB reads what they sent through a fair queue (routing/fq: one whole message per
// subscriber per turn, RFC 29), applies each (un)subscription to the trie as it reads it, and
// queues for recv what it passes up, in the order it read it: so the passed-up stream is
// fair-queued and always agrees with the trie (a prefix's "first" and "last" are decided in
// that same order). Reading happens at the start of every send (before matching, so the
// filter is as fresh as the pipes) and of every recv/readable. XPUB passes up a subscription
// that is a prefix's first, an unsubscription that is its last, every subscription with
// XPUB_VERBOSE and every unsubscription too with XPUB_VERBOSER; and the other messages its
// subscribers send, as they are. PUB drops all of these (and queues nothing). A pipe that goes
// away loses its subscriptions; XPUB passes up the unsubscriptions that results in, as libzmq.
// Bound: the queue for recv holds at most RCVHWM whole messages (0: no bound, as libzmq). While
// it is full XPUB reads no more from its subscribers, so their later (un)subscriptions wait
// in their pipes and take effect only once the user has received some of what is queued.

#include "routing/dist.hpp"
#include "routing/fq.hpp"
#include "routing/mtrie.hpp"
#include "socket_base.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace troupe::messaging::internal {

class xpub_socket final : public socket_base {
public:
  /// `type` is socket_type::xpub or socket_type::pub.
  xpub_socket(context_core& ctx, socket_type type);

private:
  void xattach_pipe(pipe_end& p, bool locally_initiated) override;
  void xread_activated(pipe_end& p) override { fq_.activated(p); }
  void xwrite_activated(pipe_end& p) override { dist_.activated(p); }
  void xpipe_terminated(pipe_end& p) override;
  op_result xsend(message& m) override;
  op_result xrecv(message& m) override;
  bool xhas_in() override;
  bool xhas_out() override;

  /// Reads what the subscribers sent, fair-queued, until their pipes are empty or the queue
  /// for recv is full: (un)subscriptions update the trie; XPUB queues what it passes up.
  void pump();
  /// Applies one (un)subscription; true if it is to be passed up.
  bool apply(pipe_end& p, const message& sub);
  void pass_up(message&& m);
  bool up_full() const noexcept {
    return xpub_ && opts_.rcvhwm > 0 && up_messages_ >= static_cast<std::size_t>(opts_.rcvhwm);
  }

  const bool xpub_;   // XPUB (passes up) rather than PUB
  bool more_out_ = false;  // inside a message being sent
  bool more_up_ = false;   // recv is inside a passed-up multipart message
  dist dist_;
  fq fq_;
  mtrie subscriptions_;
  // What XPUB passes up, oldest at up_head_, in the order it was read. A vector (not a deque)
  // so that an idle socket owns no buffer.
  std::vector<message> up_;
  std::size_t up_head_ = 0;
  std::size_t up_messages_ = 0;  // whole messages in up_ (the RCVHWM bound counts these)
};

}  // namespace troupe::messaging::internal
