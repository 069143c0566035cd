#include "sockets/router.hpp"

#include "sockets/socket_types.hpp"

#include <troupe/framework/log.hpp>

namespace troupe::messaging::internal {

void router_socket::xattach_pipe(pipe_end& p, bool) {
  std::string id = p.peer_routing_id;
  if (!id.empty()) {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      if (!opts_.router_handover) {
        framework::log(framework::log_level::warning,
                       "ROUTER: refused a peer on " + p.endpoint + " whose routing id is already in use");
        terminate_pipe(p);
        return;
      }
      // Handover: the old pipe loses the id (gets a generated one) and the new one takes it.
      pipe_end* old = it->second;
      by_id_.erase(it);
      std::string fresh(5, '\0');
      const std::uint32_t n = next_id_++;
      for (int i = 0; i < 4; ++i) fresh[1 + i] = static_cast<char>(n >> (24 - 8 * i));
      old->peer_routing_id = fresh;
      by_id_.emplace(std::move(fresh), old);
    }
  } else {
    // Generated ids start with a zero byte, which user ids may not (as libzmq).
    id.assign(5, '\0');
    const std::uint32_t n = next_id_++;
    for (int i = 0; i < 4; ++i) id[1 + i] = static_cast<char>(n >> (24 - 8 * i));
    p.peer_routing_id = id;
  }
  by_id_.emplace(std::move(id), &p);
  fq_.attach(p);
}

void router_socket::xpipe_terminated(pipe_end& p) {
  auto it = by_id_.find(p.peer_routing_id);
  if (it != by_id_.end() && it->second == &p) by_id_.erase(it);
  fq_.terminated(p);
  if (current_out_ == &p) current_out_ = nullptr;  // drop the rest of the message
}

op_result router_socket::xsend(message& m) {
  if (!more_out_) {
    // First part: the routing id.
    if (!m.more()) {
      m.clear();  // an id with no message: nothing to send
      return op_result::done;
    }
    auto it = by_id_.find(m.view());
    current_out_ = nullptr;
    if (it == by_id_.end()) {
      if (opts_.router_mandatory)
        throw error(errc::host_unreachable, "ROUTER: no peer with routing id of " + std::to_string(m.size()) +
                                                " bytes (ROUTER_MANDATORY is set)");
    } else if (it->second->check_write()) {
      current_out_ = it->second;
    } else if (opts_.router_mandatory) {
      return op_result::again;  // retried after the pipe's writable event
    }
    more_out_ = true;
    m.clear();
    return op_result::done;
  }
  more_out_ = m.more();
  if (current_out_) {
    current_out_->write(std::move(m));
    if (!more_out_) {
      current_out_->flush();
      current_out_ = nullptr;
    }
  }
  m.clear();
  return op_result::done;
}

op_result router_socket::xrecv(message& m) {
  if (prefetched_) {
    m = std::move(prefetched_msg_);
    prefetched_ = false;
    more_in_ = m.more();
    return op_result::done;
  }
  pipe_end* from = nullptr;
  if (fq_.recv(m, &from) != op_result::done) return op_result::again;
  if (more_in_) {
    more_in_ = m.more();
    return op_result::done;
  }
  // A new message: hand out the id first.
  prefetched_msg_ = std::move(m);
  prefetched_ = true;
  m = message(from->peer_routing_id);
  m.set_more(true);
  more_in_ = true;
  return op_result::done;
}

bool router_socket::xhas_in() { return prefetched_ || more_in_ || fq_.has_in(); }

bool router_socket::xhas_out() {
  // Without ROUTER_MANDATORY a send never blocks (unroutable messages are dropped). With it,
  // as libzmq: writable while at least one peer has room for a message (whether a send blocks
  // depends on the peer it names). A full peer found here will report `writable`.
  if (!opts_.router_mandatory || more_out_) return true;
  for (const auto& [id, p] : by_id_)
    if (p->check_write()) return true;
  return false;
}

framework::ref_ptr<socket_base> make_router_socket(context_core& ctx) {
  return framework::make_ref<router_socket>(ctx);
}

}  // namespace troupe::messaging::internal
