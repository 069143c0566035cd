#include "wire/session.hpp"

#include "socket_base.hpp"
#include "socket_options.hpp"
#include "subscription_message.hpp"
#include "wire/stream_engine.hpp"

namespace troupe::messaging::internal {
namespace {

std::uint64_t hwm_of(int hwm) noexcept { return hwm <= 0 ? 0 : static_cast<std::uint64_t>(hwm); }


}  // namespace

framework::ref_ptr<stream_session> stream_session::make(socket_base& s, const socket_options& o, std::string endpoint,
                                                        bool initiated_here) {
  // A ROUTER must learn the peer's routing id (from its READY) before it can route to it.
  const bool persistent = initiated_here && !o.immediate && s.type() != socket_type::router;
  framework::ref_ptr<stream_session> ss(new stream_session(s, std::move(endpoint), initiated_here, persistent,
                                                           hwm_of(o.rcvhwm), hwm_of(o.sndhwm), o.conflate));
  if (persistent) {
    std::lock_guard lock(ss->mutex_);
    if (!ss->make_pipe_locked()) throw std::bad_alloc();
    s.attach_pipe(ss->pipe_, ss->pipe_->b(), true);  // we run on the socket's thread (connect)
  }
  return ss;
}

stream_session::stream_session(socket_base& s, std::string endpoint, bool initiated_here, bool persistent,
                               std::uint64_t rcvhwm, std::uint64_t sndhwm, bool conflate)
    : sock_(&s), endpoint_(std::move(endpoint)), initiated_here_(initiated_here), persistent_(persistent),
      rcvhwm_(rcvhwm), sndhwm_(sndhwm), conflate_(conflate) {}

bool stream_session::make_pipe_locked() noexcept {
  try {
    // a = ours (a -> b carries what the peer sends: the socket's RCVHWM), b = the socket's.
    pipe_ = make_pipe(rcvhwm_, sndhwm_, conflate_, conflate_);
  } catch (...) {
    return false;
  }
  end_ = &pipe_->a();
  pipe_end& theirs = pipe_->b();
  theirs.endpoint = endpoint_;
  theirs.initiated_here = initiated_here_;
  end_->set_owner(framework::ref_ptr<pipe_owner>(this));
  theirs.set_owner(framework::ref_ptr<pipe_owner>(sock_.get()));
  return true;
}

pipe_end* stream_session::attach(stream_engine& e, std::string peer_identity) noexcept {
  pipe_end* theirs = nullptr;
  {
    std::lock_guard lock(mutex_);
    engine_ = framework::ref_ptr<stream_engine>(&e);
    if (end_) {
      // The previous engine may have left the reader asleep or the writer blocked: look again.
      end_->read_active = true;
      end_->write_active = true;
      return end_;
    }
    if (!make_pipe_locked()) {
      engine_.reset();
      return nullptr;
    }
    theirs = &pipe_->b();
    theirs->peer_routing_id = std::move(peer_identity);
  }
  // Outside the lock: the socket may write into its end first (a bound SUB's subscriptions),
  // which wakes our end's reader, i.e. calls on_pipe_event(). Only this strand changes end_
  // and pipe_ from here on (detach), so they are safe to use.
  sock_->hand_over(*theirs);
  return end_;
}

void stream_session::detach(bool out_mid_message, bool socket_let_go, bool peer_lost) noexcept {
  framework::ref_ptr<stream_engine> gone;
  pipe_end* fresh = nullptr;
  {
    std::lock_guard lock(mutex_);
    gone = std::move(engine_);
    if (!end_) return;
    end_->rollback();  // half a message from the peer is never delivered
    if (!persistent_ || socket_let_go || peer_lost) {
      // The pipe ends with the connection. What the socket queued for this peer dies with it;
      // what the peer sent stays readable after an orderly end (it finished sending: its
      // LINGER promised those messages), and is destroyed with the queue when the connection
      // broke (RFC 28/30: a disconnected peer's queue is destroyed and its messages discarded).
      end_->close(peer_lost);
      end_ = nullptr;
      pipe_.reset();
      got_.clear();
      if (!persistent_ || socket_let_go) return;
      // A connecter keeps a queue while it reconnects (RFC 28-31): a new, empty one. The
      // socket re-sends its subscriptions into it (hand_over), so ours start from nothing.
      sent_.clear();
      if (!make_pipe_locked()) return;  // out of memory: the next connection makes one
      fresh = &pipe_->b();
    } else {
      if (out_mid_message) {
        // The rest of a message the peer got only part of: whole or not at all (a pipe
        // publishes whole messages, so the rest is there).
        message m;
        while (end_->read(m) == read_result::part && m.more()) m.clear();
      }
      // The peer is gone, and with it its subscriptions (RFC 29): the publisher hears CANCELs
      // in order with everything else the peer sent. Written past the HWM, as subscriptions are.
      for (const std::string& t : got_) {
        try {
          end_->write(make_subscription(false, t));
        } catch (...) {
          break;
        }
      }
      got_.clear();
      end_->flush();
      return;
    }
  }
  sock_->hand_over(*fresh);  // outside the lock, as in attach()
}

void stream_session::sent_subscription(bool subscribe, std::string_view topic) noexcept {
  if (!persistent_) return;  // nobody to re-send them to
  try {
    if (subscribe) sent_.emplace(topic);
    else if (auto it = sent_.find(topic); it != sent_.end()) sent_.erase(it);
  } catch (...) {
    // Out of memory: this subscription is not re-sent after a reconnect.
  }
}

void stream_session::got_subscription(bool subscribe, std::string_view topic) noexcept {
  if (!persistent_) return;  // the pipe ends with the connection: the socket drops them itself
  try {
    if (subscribe) got_.emplace(topic);
    else if (auto it = got_.find(topic); it != got_.end()) got_.erase(it);
  } catch (...) {
  }
}

bool stream_session::has_queued() noexcept {
  std::lock_guard lock(mutex_);
  return end_ && end_->has_unread();
}

void stream_session::abandon() noexcept {
  framework::ref_ptr<pipe> keep;
  std::lock_guard lock(mutex_);
  if (!end_) return;
  end_->close(true);
  end_ = nullptr;
  keep = std::move(pipe_);
}

void stream_session::on_pipe_event(pipe_end& end, pipe_event ev) noexcept {
  framework::ref_ptr<stream_engine> e;
  {
    std::lock_guard lock(mutex_);
    e = engine_;
  }
  if (e) e->on_pipe_event(end, ev);  // no engine: the next one looks at the pipe anyway
}

}  // namespace troupe::messaging::internal
