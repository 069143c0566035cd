#pragma once
// PUB and XPUB (RFC 29/PUBSUB): one class, since PUB is XPUB that never passes anything up.
//
// Sending: the first part of each message is matched against the subscription trie and the
// whole message goes to the matching pipes (dist: one shared body, never copied). A pipe
// without room misses the message (drop), unless XPUB_NODROP: then send waits (or says
// `again`) until every matching pipe has room.
// Subscriptions: subscribers send 0x01+prefix / 0x00+prefix. They are read as soon as the
// pipe says it is readable (and once at attach), i.e. at the latest when the next send or
// recv processes the socket's events. XPUB passes up (recv) a subscription that is a prefix's
// first, an unsubscription that is its last, every subscription with XPUB_VERBOSE and every
// unsubscription too with XPUB_VERBOSER; and the other messages its subscribers send, as
// they are. PUB drops all of these. A pipe that goes away loses its subscriptions; XPUB passes
// up the unsubscriptions that results in, as libzmq does.

#include "routing/dist.hpp"
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
  void xread_activated(pipe_end& p) override { read_from(p); }
  void xwrite_activated(pipe_end& p) override { dist_.activated(p); }
  void xpipe_terminated(pipe_end& p) override;
  op_result xsend(message& m) override;
  op_result xrecv(message& m) override;
  bool xhas_in() override;
  bool xhas_out() override { return dist_.has_out(); }

  /// Reads everything `p` has: (un)subscriptions update the trie; XPUB queues what it passes up.
  void read_from(pipe_end& p);
  void apply(pipe_end& p, message& sub);
  void pass_up(message&& m);

  const bool xpub_;   // XPUB (passes up) rather than PUB
  bool more_out_ = false;  // inside a message being sent
  dist dist_;
  mtrie subscriptions_;
  // What XPUB passes up, oldest at head_. A vector (not a deque) so that an idle socket owns
  // no buffer.
  std::vector<message> up_;
  std::size_t up_head_ = 0;
};

}  // namespace troupe::messaging::internal
