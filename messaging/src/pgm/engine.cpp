#include "pgm/engine.hpp"

#include "context_core.hpp"
#include "pgm/receiver.hpp"
#include "pgm/sender.hpp"
#include "subscription_message.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/error.hpp>

#include <algorithm>
#include <thread>

namespace troupe::messaging::internal::pgm {
namespace {

std::uint64_t hwm_of(int hwm) noexcept { return hwm <= 0 ? 0 : static_cast<std::uint64_t>(hwm); }

}  // namespace

framework::ref_ptr<engine> engine::start(socket_base& s, std::string endpoint, std::string_view addr, bool udp,
                                         bool bound) {
  const socket_type t = s.type();
  const bool sending = t == socket_type::pub || t == socket_type::xpub;
  if (!sending && t != socket_type::sub && t != socket_type::xsub)
    throw error(errc::protocol_not_supported, "endpoint '" + endpoint + "': pgm and epgm carry PUB, XPUB, SUB and XSUB only, not " +
                                                  std::string(name(t)));
  const address a = parse_address(endpoint, addr);
  auto sock = std::make_unique<socket>(endpoint, a, s.opts(), sending, udp);
  framework::ref_ptr<engine> e = sending ? make_sender(s, endpoint, std::move(sock))
                                         : make_receiver(s, endpoint, std::move(sock));
  // The pipe: a = ours (a -> b carries what arrives: the socket's RCVHWM), b = the socket's.
  e->pipe_ = make_pipe(hwm_of(s.opts().rcvhwm), hwm_of(s.opts().sndhwm));
  e->end_ = &e->pipe_->a();
  pipe_end& theirs = e->pipe_->b();
  theirs.endpoint = endpoint;
  theirs.initiated_here = !bound;
  e->end_->set_owner(framework::ref_ptr<pipe_owner>(e.get()));
  theirs.set_owner(framework::ref_ptr<pipe_owner>(&s));
  std::vector<std::pair<int, framework::io_events>> fds;
  const auto in = framework::io_events::readable;
  fds.emplace_back(e->pgm_->fd(PGM_RECV_SOCK), in);
  fds.emplace_back(e->pgm_->fd(PGM_PENDING_SOCK), in);
  if (sending) {
    fds.emplace_back(e->pgm_->fd(PGM_REPAIR_SOCK), in);
    fds.emplace_back(e->pgm_->fd(PGM_SEND_SOCK), framework::io_events::writable);
  }
  try {
    e->watch_all(fds);
  } catch (...) {
    e->others_.clear();
    e->watch_.remove();
    e->end_->close(true);
    theirs.close(true);
    throw;
  }
  e->self_ = e;
  s.ctx().engine_opened();
  // Multicast carries no subscriptions upstream: a publisher's pipe takes everything (its
  // XPUB sees one subscription to all, as with libzmq). Written before the socket attaches
  // the pipe, so that its very next send already counts it.
  if (sending) {
    e->end_->write(make_subscription(true, ""));
    e->end_->flush();
  }
  s.attach_pipe(e->pipe_, theirs, true);
  e->started_.store(true, std::memory_order_release);
  e->watch_.notify(framework::io_events::wakeup);
  return e;
}

engine::engine(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock)
    : sock_(&s), opts_(s.opts()), endpoint_(std::move(endpoint)), pgm_(std::move(sock)) {}

engine::~engine() = default;

void engine::watch_all(const std::vector<std::pair<int, framework::io_events>>& fds) {
  auto& io = sock_->ctx().rt().io();
  engine* raw = this;
  watch_ = io.watch(fds[0].first, fds[0].second, [raw](framework::io_events) { raw->handle(); });
  std::vector<int> seen{fds[0].first};
  for (std::size_t i = 1; i < fds.size(); ++i) {
    if (std::find(seen.begin(), seen.end(), fds[i].first) != seen.end()) continue;
    seen.push_back(fds[i].first);
    others_.push_back(io.watch(fds[i].first, fds[i].second,
                               [raw](framework::io_events) { raw->watch_.notify(framework::io_events::wakeup); }));
  }
}

void engine::stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  watch_.notify(framework::io_events::wakeup);
}

void engine::on_pipe_event(pipe_end&, pipe_event) noexcept {
  pipe_woke_.store(true, std::memory_order_release);
  watch_.notify(framework::io_events::wakeup);
}

void engine::handle() noexcept {
  while (!started_.load(std::memory_order_acquire)) std::this_thread::yield();  // start() is finishing
  if (closed_) return;
  if (pipe_woke_.exchange(false, std::memory_order_acq_rel) && end_) {
    end_->read_active = true;   // the socket queued messages for us...
    end_->write_active = true;  // ...or made room for ours
  }
  bool more = false;
  try {
    more = run();
  } catch (const std::bad_alloc&) {
    close("out of memory");
  } catch (...) {
    framework::log_exception(endpoint_, std::current_exception());
    close("unexpected error");
  }
  if (closed_) {
    auto keep = std::move(self_);  // may be the last reference: nothing touches `this` after
    return;
  }
  if (more) watch_.notify(framework::io_events::wakeup);
}

void engine::run_in(int ms) noexcept {
  const auto due = framework::clock::now() + std::chrono::milliseconds(ms);
  if (timer_.active() && timer_due_ <= due) return;
  timer_.cancel();
  try {
    framework::ref_ptr<engine> self(this);
    timer_ = sock_->ctx().rt().io().after(std::chrono::milliseconds(ms),
                                          [self] { self->watch_.notify(framework::io_events::wakeup); });
    timer_due_ = due;
  } catch (...) {
    // No timer: the next descriptor event runs OpenPGM's timers late; log, do not fail.
    framework::log(framework::log_level::warning, endpoint_ + ": no timer for OpenPGM");
  }
}

int engine::receive(pgm_msgv_t& msgv) noexcept {
  std::size_t bytes = 0;
  pgm_error_t* err = nullptr;
  const int st = pgm_recvmsg(pgm_->get(), &msgv, MSG_ERRQUEUE, &bytes, &err);
  if (err) pgm_error_free(err);
  if (st == PGM_IO_STATUS_TIMER_PENDING) run_in(pgm_->remaining_ms(PGM_TIME_REMAIN));
  else if (st == PGM_IO_STATUS_RATE_LIMITED) run_in(pgm_->remaining_ms(PGM_RATE_REMAIN));
  return st;
}

void engine::close(std::string_view why) noexcept {
  if (closed_) return;
  closed_ = true;
  for (auto& w : others_) w.remove();  // their handlers only notify watch_: nothing to wait for
  timer_.cancel();
  watch_.stop();  // from inside our own handler: does not wait; notify() stays safe
  pgm_.reset();
  if (end_) {
    end_->close(false);  // what a receiver delivered stays readable
    end_ = nullptr;
  }
  pipe_.reset();
  if (framework::log_enabled(framework::log_level::debug))
    framework::log(framework::log_level::debug, endpoint_ + ": closed: " + std::string(why));
  sock_->ctx().engine_closed();
}

}  // namespace troupe::messaging::internal::pgm
