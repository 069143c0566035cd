#include "wire/stream_engine.hpp"

#include "context_core.hpp"
#include "socket_base.hpp"
#include "subscription_message.hpp"
#include "zmtp/commands.hpp"
#include "zmtp/greeting.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/log.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/monitor.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace troupe::messaging::internal {
namespace {

constexpr std::size_t in_capacity = 64 * 1024;
constexpr std::size_t out_batch = 256 * 1024;  // stop pulling from the pipe past this
constexpr std::size_t direct_read_threshold = 8 * 1024;
// After a large frame, the next read (between frames) asks only this much: enough for the
// next header and a little, so that most of a following large body is read straight into it
// (body_window) rather than into in_ and copied. A read that brings only small frames ends it.
constexpr std::size_t boundary_read = 1024;

bool sends_identity(socket_type t) noexcept {
  return t == socket_type::req || t == socket_type::dealer || t == socket_type::router;
}
bool is_publisher(socket_type t) noexcept { return t == socket_type::pub || t == socket_type::xpub; }
bool is_subscriber(socket_type t) noexcept { return t == socket_type::sub || t == socket_type::xsub; }


}  // namespace

framework::ref_ptr<stream_engine> stream_engine::start(const socket_options& opts, int fd,
                                                       framework::ref_ptr<stream_session> session, closed_fn on_closed) {
  socket_base& sock = session->sock();
  framework::ref_ptr<stream_engine> e(new stream_engine(opts, fd, std::move(session), std::move(on_closed)));
  e->self_ = e;
  stream_engine* raw = e.get();
  try {
    // Readiness runs the engine on the reactor thread itself (a bounded, non-blocking run):
    // one thread wake-up less per message in each direction than going through a worker.
    // Writability is asked for only while a write is blocked (see write_socket()).
    e->watch_ = sock.ctx().rt().io().watch(fd, framework::io_events::readable,
                                           [raw](framework::io_events ev) { raw->handle(ev); },
                                           framework::io_dispatch::reactor_thread);
  } catch (...) {
    e->phase_ = phase::closed;
    e->fd_ = -1;  // the caller still owns it
    e->self_.reset();
    sock.ctx().engine_closed();
    throw;
  }
  e->handshake_deadline_ = framework::clock::now() + std::chrono::milliseconds(opts.handshake_ivl);
  if (opts.handshake_ivl > 0) e->handshake_timer_ = e->start_timer(std::chrono::milliseconds(opts.handshake_ivl), false);
  // The watch may run handle() on a worker before watch_ was assigned above: it waits for this.
  e->started_.store(true, std::memory_order_release);
  e->watch_.notify(framework::io_events::wakeup);  // send our greeting now
  return e;
}

stream_engine::stream_engine(const socket_options& opts, int fd, framework::ref_ptr<stream_session> session,
                             closed_fn on_closed)
    : session_(std::move(session)),
      sock_(session_->sock()),
      opts_(opts),
      type_(sock_.type()),
      fd_(fd),
      endpoint_(session_->endpoint()),
      on_closed_(std::move(on_closed)),
      in_(in_capacity),
      decoder_(opts.maxmsgsize),
      last_input_(framework::clock::now()) {
  const auto g = zmtp::encode_greeting({});
  out_.add_bytes(g);  // may throw: then start() fails before the context counts us
  sock_.ctx().engine_opened();
}

stream_engine::~stream_engine() {
  if (fd_ >= 0) ::close(fd_);
}

framework::timer stream_engine::start_timer(std::chrono::milliseconds after, bool periodic) {
  // Timers only raise a flag and wake the strand; tick() does the work there.
  framework::ref_ptr<stream_engine> self(this);
  auto fn = [self] {
    self->tick_pending_.store(true, std::memory_order_release);
    self->watch_.notify(framework::io_events::wakeup);
  };
  auto& io = sock_.ctx().rt().io();
  return periodic ? io.every(after, std::move(fn)) : io.after(after, std::move(fn));
}

void stream_engine::shutdown() noexcept {
  shutdown_requested_.store(true, std::memory_order_release);
  watch_.notify(framework::io_events::wakeup);
}

void stream_engine::abort() noexcept {
  abort_requested_.store(true, std::memory_order_release);
  watch_.notify(framework::io_events::wakeup);
}

void stream_engine::on_pipe_event(pipe_end&, pipe_event ev) noexcept {
  wake_pending_.store(true, std::memory_order_release);
  // The socket queued messages for an idle engine. After a pause (a request, a reply, a
  // message now and then) the sending thread writes them itself: waking a worker to do it
  // costs more than the write (a futex and a context switch per message, on the latency
  // path). In a stream the engine wrote moments ago: a worker takes the run, so the sender
  // goes on queuing meanwhile and the engine writes many messages per syscall.
  if (ev == pipe_event::readable && framework::clock::now().time_since_epoch().count() -
                                            last_write_.load(std::memory_order_relaxed) >=
                                        std::chrono::duration_cast<framework::clock::duration>(inline_send_after).count()) {
    watch_.run_or_notify(framework::io_events::wakeup);
    return;
  }
  watch_.notify(framework::io_events::wakeup);
}

void stream_engine::handle(framework::io_events ev) noexcept {
  while (!started_.load(std::memory_order_acquire)) std::this_thread::yield();  // start() is finishing
  if (phase_ == phase::closed) return;
  if (any(ev & framework::io_events::closed)) peer_hung_up_ = true;
  if (any(ev & framework::io_events::readable) || peer_hung_up_) sock_readable_ = true;
  if (any(ev & framework::io_events::writable)) sock_writable_ = true;
  run_once();
  if (phase_ == phase::closed) {
    auto keep = std::move(self_);  // may be the last reference: nothing touches `this` after
  }
}

void stream_engine::run_once() noexcept {
  try {
    run_rounds();
  } catch (const std::bad_alloc&) {
    close("out of memory handling this connection", monitor_event::disconnected);
  } catch (...) {
    framework::log_exception(endpoint_, std::current_exception());
    close("unexpected error handling this connection", monitor_event::disconnected);
  }
}

void stream_engine::run_rounds() {
  if (abort_requested_.load(std::memory_order_acquire)) {
    close("linger expired: what was still queued is dropped", 0, ending::dropped);
    return;
  }
  if (!lingering_ && shutdown_requested_.load(std::memory_order_acquire)) {
    begin_linger();
    if (phase_ == phase::closed) return;
  }
  if (tick_pending_.exchange(false, std::memory_order_acq_rel)) tick();
  if (phase_ == phase::closed) return;
  if (wake_pending_.exchange(false, std::memory_order_acq_rel) && end_) {
    end_->read_active = true;   // the socket queued messages for us...
    end_->write_active = true;  // ...or made room for ours
  }
  // Rounds until nothing moves: no bytes read or written, no message taken from the pipe (a
  // round that pulls and writes a whole batch leaves the buffers as it found them).
  bool more = true;
  for (int round = 0; round < 64 && more; ++round) {
    const std::uint64_t before = progress_;
    const std::size_t in_before = in_end_ - in_begin_;
    if (!consume_input()) return;
    if (sock_readable_ && !have_held_ && in_begin_ == in_end_) {
      if (!read_socket()) return;
      if (!consume_input()) return;
    }
    if (phase_ == phase::active) pull_from_pipe();
    if (phase_ == phase::closed) return;
    if (!out_.empty() && sock_writable_ && !write_socket()) return;
    more = progress_ != before || (in_end_ - in_begin_) != in_before;
  }
  if (let_go_ && out_.empty()) {
    // The socket closed its end and all it left has been written (linger done). With LINGER 0
    // it dropped the rest: the peer must not take what did go out as an orderly end.
    close("socket closed", 0, opts_.linger == 0 ? ending::dropped : ending::ours);
    return;
  }
  if (more) watch_.notify(framework::io_events::wakeup);  // more to do: let others run first
}

void stream_engine::begin_linger() noexcept {
  lingering_ = true;
  // Nothing can be queued for a connection whose pipe does not exist yet.
  if (opts_.linger == 0 || (!end_ && !session_->persistent())) {
    close("socket closed", 0, opts_.linger == 0 ? ending::dropped : ending::ours);
    return;
  }
  // Otherwise go on until the pipe ends (the socket closes its end after letting go of us).
  if (opts_.linger > 0) {
    try {
      linger_timer_ = start_timer(std::chrono::milliseconds(opts_.linger), false);
    } catch (...) {
      close("socket closed (no timer for LINGER)", 0, ending::dropped);
      return;
    }
    linger_deadline_ = framework::clock::now() + std::chrono::milliseconds(opts_.linger);
  }
}

bool stream_engine::read_socket() {
  // Large bodies are read straight into their buffer: no copy through in_.
  if (phase_ == phase::active) {
    auto window = decoder_.body_window();
    if (window.size() >= direct_read_threshold) {
      const ssize_t n = ::recv(fd_, window.data(), window.size(), 0);
      if (n > 0) {
        ++progress_;
        note_read(static_cast<std::size_t>(n), window.size());
        if (decoder_.body_written(static_cast<std::size_t>(n)) == zmtp::decoder::status::frame_ready) {
          if (on_frame(decoder_.take_frame()) && end_) end_->flush();
        }
        return phase_ != phase::closed;
      }
      if (n == 0) {
        close("peer closed the connection inside a frame", monitor_event::disconnected);
        return false;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        sock_readable_ = false;
        return true;
      }
      close(std::string("read failed: ") + std::strerror(errno), monitor_event::disconnected);
      return false;
    }
  }
  in_begin_ = in_end_ = 0;
  const std::size_t ask = after_large_frame_ && decoder_.between_frames() ? boundary_read : in_.size();
  const ssize_t n = ::recv(fd_, in_.data(), ask, 0);
  if (n > 0) {
    ++progress_;
    in_end_ = static_cast<std::size_t>(n);
    note_read(in_end_, ask);
    return true;
  }
  if (n == 0) {
    close_at_end_of_stream();
    return false;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    sock_readable_ = false;
    return true;
  }
  close(std::string("read failed: ") + std::strerror(errno), monitor_event::disconnected);
  return false;
}

void stream_engine::note_read(std::size_t got, std::size_t asked) noexcept {
  last_input_ = framework::clock::now();
  // A short read emptied the socket: more data raises a new edge, so the next recv() would
  // only say EAGAIN (one syscall per wake-up saved). Not once the peer hung up: the edge of
  // its end-of-stream may be the one being handled, and only a recv() returning 0 shows it.
  if (got < asked && !peer_hung_up_) sock_readable_ = false;
}

bool stream_engine::consume_input() {
  bool delivered = false;
  if (have_held_) {
    if (end_->peer_closed()) {
      held_.clear();  // the socket let go: nobody will read it
    } else if (!end_->check_write()) {
      return true;  // still full: wait for room
    } else {
      end_->write(std::move(held_));
      held_.clear();
      delivered = true;
    }
    have_held_ = false;
  }
  while (in_begin_ < in_end_ && phase_ != phase::closed && !have_held_) {
    if (phase_ == phase::greeting) {
      if (!on_greeting_bytes()) break;
      continue;
    }
    const auto r = decoder_.decode(std::span<const std::byte>(in_.data() + in_begin_, in_end_ - in_begin_));
    in_begin_ += r.consumed;
    if (r.what == zmtp::decoder::status::failed) {
      close("protocol error: " + decoder_.error(), phase_ == phase::active ? monitor_event::disconnected
                                                                            : monitor_event::handshake_failed_protocol);
      return false;
    }
    if (r.what == zmtp::decoder::status::frame_ready) {
      if (!on_frame(decoder_.take_frame())) {
        if (phase_ == phase::closed) return false;
        break;  // held: the pipe is full
      }
      delivered = true;
    }
  }
  if (delivered && end_) end_->flush();  // one publish for everything decoded from this read
  return phase_ != phase::closed;
}

bool stream_engine::on_greeting_bytes() {
  const std::size_t have = in_end_ - in_begin_;
  const auto bytes = std::span<const std::byte>(in_.data() + in_begin_, have);
  const auto verdict = zmtp::check_signature(bytes.first(std::min(have, zmtp::signature_and_major)));
  if (verdict == zmtp::signature_verdict::not_zmtp) {
    close("peer did not send a ZMTP greeting (bad signature)", monitor_event::handshake_failed_protocol);
    return false;
  }
  if (verdict == zmtp::signature_verdict::too_old) {
    close("peer speaks a ZMTP version older than 3.0 (refused)", monitor_event::handshake_failed_protocol);
    return false;
  }
  if (have < zmtp::greeting_size) {
    // Keep the partial greeting at the front of the buffer and read more after it.
    if (in_begin_ != 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, have);
      in_begin_ = 0;
      in_end_ = have;
    }
    const ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
    if (n > 0) {
      in_end_ += static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      close("peer closed the connection during the greeting", monitor_event::handshake_failed_no_detail);
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) sock_readable_ = false;
    else close(std::string("read failed: ") + std::strerror(errno), monitor_event::handshake_failed_no_detail);
    return false;
  }
  auto g = zmtp::decode_greeting(std::span<const std::byte, zmtp::greeting_size>(in_.data() + in_begin_, zmtp::greeting_size));
  in_begin_ += zmtp::greeting_size;
  if (auto* err = std::get_if<zmtp::greeting_error>(&g)) {
    close(err->reason, monitor_event::handshake_failed_protocol);
    return false;
  }
  const auto& greet = std::get<zmtp::greeting>(g);
  if (greet.mechanism != "NULL") {
    close("security mechanism '" + greet.mechanism + "' is not supported (only NULL)",
          monitor_event::handshake_failed_protocol);
    return false;
  }
  peer_minor_ = greet.minor;
  zmtp::properties props{{"Socket-Type", std::string(name(type_))}};
  if (sends_identity(type_)) props.emplace_back("Identity", opts_.routing_id);
  queue_frame(zmtp::encode_ready(props));
  phase_ = phase::ready;
  return true;
}

bool stream_engine::on_frame(message&& m) {
  after_large_frame_ = m.size() >= direct_read_threshold;
  if (phase_ == phase::ready) {
    if (!m.command()) {
      close("peer sent a message before READY", monitor_event::handshake_failed_protocol);
      return false;
    }
    auto cmd = zmtp::parse_command(m.bytes());
    if (auto* err = std::get_if<zmtp::error_cmd>(&cmd)) {
      close("peer refused the handshake: " + err->reason, monitor_event::handshake_failed_protocol);
      return false;
    }
    auto* ready = std::get_if<zmtp::ready_cmd>(&cmd);
    if (!ready) {
      close("expected READY as the first command", monitor_event::handshake_failed_protocol);
      return false;
    }
    const std::string* peer_type_name = ready->find("Socket-Type");
    const auto peer_type = peer_type_name ? parse_socket_type(*peer_type_name) : std::nullopt;
    if (!peer_type || !compatible(type_, *peer_type)) {
      const std::string what = peer_type_name ? *peer_type_name : std::string("(none)");
      queue_frame(zmtp::encode_error("Invalid socket type"));
      if (sock_writable_) write_socket();
      close("invalid socket type: a " + std::string(name(type_)) + " cannot talk to a " + what,
            monitor_event::handshake_failed_protocol);
      return false;
    }
    const std::string* identity = ready->find("Identity");
    become_active(identity ? *identity : std::string());
    return phase_ == phase::active;
  }
  if (m.command()) return on_command(m);
  if (is_publisher(type_) && !in_more_ && !m.more() && is_subscription(m)) {
    // A ZMTP 3.0 peer subscribes with a message: the session remembers it as a command.
    session_->got_subscription(subscribes(m), subscription_topic(m));
  }
  in_more_ = m.more();
  return deliver(std::move(m));
}

bool stream_engine::deliver(message&& m) {
  if (end_->peer_closed()) return true;  // the socket let go: nobody will read it
  if (!end_->check_write()) {
    held_ = std::move(m);
    have_held_ = true;
    return false;
  }
  end_->write(std::move(m));
  return true;
}

bool stream_engine::on_command(const message& m) {
  auto cmd = zmtp::parse_command(m.bytes());
  if (auto* s = std::get_if<zmtp::subscribe_cmd>(&cmd)) {
    if (!is_publisher(type_)) return true;  // only publishers care
    session_->got_subscription(true, s->topic);
    return deliver(make_subscription(true, s->topic));
  }
  if (auto* c = std::get_if<zmtp::cancel_cmd>(&cmd)) {
    if (!is_publisher(type_)) return true;
    session_->got_subscription(false, c->topic);
    return deliver(make_subscription(false, c->topic));
  }
  if (auto* p = std::get_if<zmtp::ping_cmd>(&cmd)) {
    queue_frame(zmtp::encode_pong(p->context));
    if (p->ttl_deciseconds && !peer_ttl_ms_) {
      peer_ttl_ms_ = p->ttl_deciseconds * 100u;
      if (!heartbeat_timer_) {
        try {
          heartbeat_timer_ = start_timer(std::chrono::milliseconds(std::max(1u, peer_ttl_ms_ / 2)), true);
        } catch (...) {
          // The runtime is stopping: no TTL check.
        }
      }
    }
    return true;
  }
  if (std::holds_alternative<zmtp::pong_cmd>(cmd)) return true;
  if (auto* e = std::get_if<zmtp::error_cmd>(&cmd)) {
    close("peer sent ERROR: " + e->reason, monitor_event::disconnected);
    return false;
  }
  if (std::holds_alternative<zmtp::ready_cmd>(cmd)) {
    close("protocol error: READY after the handshake", monitor_event::disconnected);
    return false;
  }
  if (auto* u = std::get_if<zmtp::unknown_cmd>(&cmd)) {
    close("protocol error: unknown command '" + u->name + "'", monitor_event::disconnected);
    return false;
  }
  close("protocol error: " + std::get<zmtp::bad_cmd>(cmd).reason, monitor_event::disconnected);
  return false;
}

void stream_engine::become_active(std::string peer_identity) {
  end_ = session_->attach(*this, std::move(peer_identity));
  if (!end_) {
    close("out of memory making the pipe", monitor_event::disconnected);
    return;
  }
  phase_ = phase::active;
  handshake_timer_.cancel();
  sock_.emit_event(monitor_event::handshake_succeeded, 0, endpoint_);
  // A subscriber tells a new publisher everything it subscribed to before (a reconnect keeps
  // the pipe, so the socket does not know); what the pipe still holds follows.
  if (is_subscriber(type_)) {
    for (const std::string& topic : session_->sent_subscriptions()) {
      if (peer_minor_ >= 1) {
        queue_frame(zmtp::encode_subscribe(topic));
      } else {
        queue_frame(make_subscription(true, topic));
      }
    }
  }
  // PING/PONG are ZMTP 3.1: a 3.0 peer could not answer them, so it gets no heartbeats (and
  // is not dropped for the silence it could not help).
  if (opts_.heartbeat_ivl > 0 && peer_minor_ >= 1) {
    try {
      heartbeat_timer_ = start_timer(std::chrono::milliseconds(opts_.heartbeat_ivl), true);
    } catch (...) {
    }
  }
}

void stream_engine::pull_from_pipe() {
  if (!end_ || let_go_) return;
  while (out_.pending() < out_batch) {
    message m;
    const read_result r = end_->read(m);
    if (r == read_result::empty) return;
    if (r == read_result::ended) {
      // The socket closed its end: what it left has been taken; close once it is written.
      let_go_ = true;
      return;
    }
    // Before anything that may throw: if this part is lost with the connection, detach()
    // must know a message was begun, so that its rest is not sent to the next connection.
    const bool first_part = !out_more_;
    out_more_ = m.more();
    ++progress_;
    if (is_subscriber(type_) && first_part && !m.more() && is_subscription(m)) {
      const bool subscribe = subscribes(m);
      const std::string_view topic = subscription_topic(m);
      session_->sent_subscription(subscribe, topic);
      // ZMTP 3.1 carries subscriptions as commands; 3.0 peers get the message as it is.
      if (peer_minor_ >= 1) {
        queue_frame(subscribe ? zmtp::encode_subscribe(topic) : zmtp::encode_cancel(topic));
        continue;
      }
    }
    queue_frame(std::move(m));  // a large body is held and written in place, not copied
  }
}

void stream_engine::queue_frame(message&& m) { out_.add_frame(std::move(m)); }

bool stream_engine::write_socket() {
  const write_queue::result r = out_.write_to(fd_);
  if (r.bytes) {
    ++progress_;
    last_write_.store(framework::clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  if (r.what == write_queue::status::failed) {
    close(std::string("write failed: ") + std::strerror(r.error), monitor_event::disconnected);
    return false;
  }
  const bool blocked = r.what == write_queue::status::blocked;
  if (blocked) sock_writable_ = false;
  // Writability is watched only while blocked: a Unix socket reports write space each time
  // its peer reads, so an always-on watch would wake this engine once per message sent, for
  // nothing. Adding the interest reports the current state, so no edge is lost in between.
  if (blocked != watching_writable_) {
    watch_.modify(blocked ? framework::io_events::readable | framework::io_events::writable
                          : framework::io_events::readable);
    watching_writable_ = blocked;
  }
  return true;
}

void stream_engine::tick() {
  const auto now = framework::clock::now();
  if (lingering_ && opts_.linger > 0 && now >= linger_deadline_) {
    close("linger expired: what was still queued is dropped", 0, ending::dropped);
    return;
  }
  if (phase_ != phase::active) {
    if (opts_.handshake_ivl > 0 && now >= handshake_deadline_)
      close("handshake not completed within " + std::to_string(opts_.handshake_ivl) + " ms",
            monitor_event::handshake_failed_no_detail);
    return;
  }
  const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_input_).count();
  if (opts_.heartbeat_ivl > 0 && peer_minor_ >= 1) {
    const int timeout = opts_.heartbeat_timeout >= 0 ? opts_.heartbeat_timeout : opts_.heartbeat_ivl;
    if (silent > opts_.heartbeat_ivl + timeout) {
      close("heartbeat timeout: nothing heard for " + std::to_string(silent) + " ms", monitor_event::disconnected);
      return;
    }
    queue_frame(zmtp::encode_ping(static_cast<std::uint16_t>(std::min(opts_.heartbeat_ttl / 100, 65535)), ""));
  }
  if (peer_ttl_ms_ && silent > static_cast<long>(peer_ttl_ms_)) {
    close("the peer's heartbeat TTL expired (" + std::to_string(peer_ttl_ms_) + " ms of silence)",
          monitor_event::disconnected);
  }
}

void stream_engine::close_at_end_of_stream() noexcept {
  if (phase_ != phase::active) {
    close("peer closed the connection during the handshake", monitor_event::handshake_failed_no_detail);
  } else if (!decoder_.between_frames() || in_more_) {
    close("peer closed the connection inside a message", monitor_event::disconnected);
  } else {
    close("peer closed the connection", monitor_event::disconnected, ending::peer_done);
  }
}

void stream_engine::break_connection() noexcept {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
  if (addr.ss_family == AF_UNIX) {
    // What was written so far may end between frames. One more byte begins a frame (the flags
    // of a short one) that never ends. Only when nothing is pending: bytes appended to a frame
    // cut short could complete it with garbage instead.
    if (out_.empty()) {
      const std::byte begin_frame{0};
      [[maybe_unused]] const ssize_t n = ::send(fd_, &begin_frame, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    return;
  }
  const ::linger reset{1, 0};  // close() then sends RST, not FIN
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
}

void stream_engine::close(std::string_view reason, int event, ending how) noexcept {
  if (phase_ == phase::closed) return;
  const bool was_active = phase_ == phase::active;
  phase_ = phase::closed;
  // Our own side closing is routine; anything else is worth a line.
  const auto level = event == 0 ? framework::log_level::debug
                     : was_active ? framework::log_level::info
                                  : framework::log_level::warning;
  try {
    framework::log(level, endpoint_ + ": connection closed: " + std::string(reason));
  } catch (...) {
    framework::log(level, reason);  // no memory for the endpoint's name: the reason alone
  }
  watch_.stop();  // not remove(): pipe events and timers may still call watch_.notify()
  const int fd = fd_;
  if (fd_ >= 0) {
    if (how == ending::dropped && was_active) {
      break_connection();
    } else if (how == ending::ours) {
      // Unread input makes the kernel reset the connection instead of ending it in order (tcp):
      // read it away first, so that the peer keeps what we sent (bounded: a peer that keeps
      // sending gets its reset).
      std::byte sink[4096];
      for (int i = 0; i < 16 && ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
      }
    }
    ::close(fd_);
  }
  fd_ = -1;
  handshake_timer_.cancel();
  heartbeat_timer_.cancel();
  linger_timer_.cancel();
  if (end_) {
    // Before the monitor hears of it: once DISCONNECTED is seen, the socket's queue for this
    // peer is already settled (destroyed, or left readable after an orderly end).
    session_->detach(out_more_, let_go_, how == ending::broken);
    end_ = nullptr;
  }
  if (event != 0) {
    // As libzmq: the reason (a failed handshake), then DISCONNECTED with the descriptor. Our
    // own side closing (close, disconnect, unbind) reports nothing here.
    if (event != monitor_event::disconnected) sock_.emit_event(event, 0, endpoint_);
    sock_.emit_event(monitor_event::disconnected, fd, endpoint_);
  }
  held_.clear();
  have_held_ = false;
  out_.clear();
  if (on_closed_) {
    auto fn = std::move(on_closed_);
    fn(reason, was_active);
  }
  sock_.ctx().engine_closed();
}

}  // namespace troupe::messaging::internal
