// The tcp/ipc connecter: see stream.hpp.
#include "transport/stream.hpp"

#include "context_core.hpp"
#include "wire/session.hpp"
#include "wire/stream_engine.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/monitor.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace troupe::messaging::internal {

framework::ref_ptr<stream_connecter> stream_connecter::start(socket_base& s, const socket_options& o, resolver r,
                                                             std::string endpoint, std::string address) {
  // A bad address is the caller's error now, not a retry loop later.
  r(endpoint, address, false);
  framework::ref_ptr<stream_connecter> c(new stream_connecter(s, o, r, std::move(endpoint), std::move(address)));
  // The queue exists from now on (unless IMMEDIATE): sends before the connection wait in it.
  c->session_ = stream_session::make(s, o, c->endpoint_, true);
  c->attempt();
  return c;
}

stream_connecter::stream_connecter(socket_base& s, const socket_options& o, resolver r, std::string endpoint,
                                   std::string address)
    : sock_(&s), opts_(o), resolve_(r), endpoint_(std::move(endpoint)), address_(std::move(address)),
      current_ivl_(o.reconnect_ivl) {}

void stream_connecter::attempt() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (finished_ || engine_ || fd_ >= 0) return;
    if (!(stopped_ && sock_->ctx().terminated())) {
      const std::string failure = try_connect_locked();
      if (failure.empty() || retry_later_locked(failure)) return;
    }
  }
  finish();  // lingering, but the context is going away or no retry is possible: stop trying
}

std::string stream_connecter::try_connect_locked() noexcept {
  try {
    target_ = resolve_(endpoint_, address_, false);
  } catch (const std::exception& e) {
    return e.what();
  }
  const int fd = ::socket(target_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket(): ") + std::strerror(errno);
  apply_stream_options(fd, target_, opts_);
  if (::connect(fd, target_.get(), target_.length) != 0) {
    if (errno != EINPROGRESS) {
      std::string why = std::strerror(errno);
      closed_attempt_locked(fd, why);
      return why;
    }
    sock_->emit_event(monitor_event::connect_delayed, EINPROGRESS, endpoint_);
  }
  // Connected at once (ipc) or in progress: the descriptor becomes writable either way.
  fd_ = fd;
  framework::ref_ptr<stream_connecter> self(this);
  try {
    watch_ = sock_->ctx().rt().io().watch(fd_, framework::io_events::writable,
                                          [self](framework::io_events) { self->on_connect_ready(); });
    if (opts_.connect_timeout > 0) {
      timeout_timer_ = sock_->ctx().rt().io().after(std::chrono::milliseconds(opts_.connect_timeout), [self] {
        framework::io_watch_handle w;
        int late_fd;
        {
          std::lock_guard guard(self->mutex_);
          if (self->fd_ < 0 || self->finished_) return;
          late_fd = std::exchange(self->fd_, -1);
          w = std::move(self->watch_);
        }
        w.remove();  // outside the lock: it waits for a running on_connect_ready, which takes it
        {
          std::lock_guard guard(self->mutex_);
          self->closed_attempt_locked(late_fd, "connect timed out");
          if (self->retry_later_locked("connect timed out")) return;
        }
        self->finish();
      });
    }
  } catch (const std::exception& e) {
    fd_ = -1;
    ::close(fd);
    return e.what();
  }
  return {};
}

void stream_connecter::closed_attempt_locked(int fd, const std::string&) noexcept {
  // As libzmq: a failed attempt's descriptor is reported CLOSED, then CONNECT_RETRIED.
  sock_->emit_event(monitor_event::closed, fd, endpoint_);
  ::close(fd);
}

void stream_connecter::on_connect_ready() noexcept {
  std::unique_lock lock(mutex_);
  if (fd_ < 0 || finished_) return;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  const int fd = std::exchange(fd_, -1);
  watch_.remove();  // before the engine watches the same descriptor
  framework::timer timeout = std::move(timeout_timer_);
  if (err != 0) {
    closed_attempt_locked(fd, std::strerror(err));
    const bool retrying = retry_later_locked(std::strerror(err));
    lock.unlock();
    timeout.cancel();
    if (!retrying) finish();
    return;
  }
  current_ivl_ = opts_.reconnect_ivl;  // connected: the back-off starts over
  sock_->emit_event(monitor_event::connected, fd, endpoint_);
  framework::ref_ptr<stream_connecter> self(this);
  bool retrying = true;
  try {
    engine_ = stream_engine::start(opts_, fd, session_, [self](std::string_view why, bool) { self->engine_closed(why); });
    if (stopped_) engine_->shutdown();  // connected while lingering: deliver and go
  } catch (...) {
    ::close(fd);
    retrying = retry_later_locked("could not start the connection");
  }
  lock.unlock();
  timeout.cancel();
  if (!retrying) finish();
}

void stream_connecter::engine_closed(std::string_view why) noexcept {
  {
    std::lock_guard lock(mutex_);
    engine_.reset();
    if (finished_) return;
    // Lingering: reconnect only while there is something left to deliver.
    const bool done = stopped_ && (!lingering_ || !session_->has_queued() || sock_->ctx().terminated());
    if (!done && retry_later_locked(why)) return;
    if (!done && !stopped_) return;  // no reconnect (RECONNECT_IVL -1): the socket still holds the queue
  }
  finish();
}

bool stream_connecter::retry_later_locked(std::string_view why) noexcept {
  if (finished_) return true;
  if (opts_.reconnect_ivl < 0) {
    try {
      framework::log(framework::log_level::info,
                     endpoint_ + ": not reconnecting (RECONNECT_IVL is -1): " + std::string(why));
    } catch (...) {
      framework::log(framework::log_level::info, why);
    }
    return false;
  }
  const int ivl = std::max(1, current_ivl_);
  if (opts_.reconnect_ivl_max > opts_.reconnect_ivl)
    current_ivl_ = std::min(current_ivl_ * 2, opts_.reconnect_ivl_max);  // exponential back-off
  sock_->emit_event(monitor_event::connect_retried, ivl, endpoint_);
  framework::ref_ptr<stream_connecter> self(this);
  try {
    retry_timer_ = sock_->ctx().rt().io().after(std::chrono::milliseconds(ivl), [self] { self->attempt(); });
  } catch (...) {
    return false;  // the runtime is stopping: nothing to retry on
  }
  return true;
}

void stream_connecter::stop() noexcept {
  framework::ref_ptr<stream_engine> e;
  bool done = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    e = engine_;
    // LINGER other than 0: what was queued is still delivered, if need be over connections
    // yet to be made. Without a connection, only if something is queued.
    if (opts_.linger != 0 && session_->persistent() && (e || session_->has_queued())) {
      lingering_ = true;
      sock_->ctx().engine_opened();  // the context waits for us as for a connection
      if (opts_.linger > 0) {
        framework::ref_ptr<stream_connecter> self(this);
        try {
          linger_timer_ = sock_->ctx().rt().io().after(std::chrono::milliseconds(opts_.linger), [self] { self->finish(); });
        } catch (...) {
          done = true;
        }
      }
    } else if (!e) {
      done = true;
    }
  }
  if (e) e->shutdown();
  if (done) finish();
}

void stream_connecter::finish() noexcept {
  framework::ref_ptr<stream_engine> e;
  framework::io_watch_handle w;
  int fd = -1;
  bool was_lingering = false;
  {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    e = std::move(engine_);
    fd = std::exchange(fd_, -1);
    w = std::move(watch_);
    was_lingering = std::exchange(lingering_, false);
  }
  // Outside the lock: these wait for running callbacks, which take it (and return at once).
  w.remove();
  if (fd >= 0) ::close(fd);
  retry_timer_.cancel();
  timeout_timer_.cancel();
  linger_timer_.cancel();
  if (e) e->abort();  // LINGER ran out (or the socket let go with nothing to deliver)
  session_->abandon();
  if (was_lingering) sock_->ctx().engine_closed();
}

}  // namespace troupe::messaging::internal
