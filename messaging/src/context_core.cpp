#include "context_core.hpp"

#include "socket_base.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/messaging/error.hpp>
#include <troupe/messaging/monitor.hpp>

#include <algorithm>

namespace troupe::messaging::internal {
namespace {

// inproc capacity of one direction: the writer's SNDHWM plus the reader's RCVHWM, as libzmq
// (0 on either side means no limit).
std::uint64_t combined_hwm(int sndhwm, int rcvhwm) noexcept {
  if (sndhwm == 0 || rcvhwm == 0) return 0;
  return static_cast<std::uint64_t>(sndhwm) + static_cast<std::uint64_t>(rcvhwm);
}

std::string endpoint_of(const std::string& name) { return "inproc://" + name; }

}  // namespace

void context_core::add_socket(socket_base& s) {
  std::lock_guard lock(mutex_);
  sockets_.insert(&s);
}

void context_core::remove_socket(socket_base& s) noexcept {
  std::lock_guard lock(mutex_);
  sockets_.erase(&s);
  if (sockets_.empty()) no_sockets_.notify_all();
}

std::size_t context_core::socket_count() const noexcept {
  std::lock_guard lock(mutex_);
  return sockets_.size();
}

void context_core::wait_until_no_sockets() noexcept {
  std::unique_lock lock(mutex_);
  no_sockets_.wait(lock, [&] { return sockets_.empty(); });
}

void context_core::engine_opened() noexcept {
  std::lock_guard lock(mutex_);
  ++engines_;
}

void context_core::engine_closed() noexcept {
  std::lock_guard lock(mutex_);
  if (--engines_ == 0) no_sockets_.notify_all();
}

bool context_core::wait_until_no_engines(std::chrono::milliseconds bound) noexcept {
  std::unique_lock lock(mutex_);
  return no_sockets_.wait_for(lock, bound, [&] { return engines_ == 0; });
}

void context_core::terminate() noexcept {
  terminated_.store(true, std::memory_order_release);
  std::vector<framework::ref_ptr<socket_base>> all;
  {
    std::lock_guard lock(mutex_);
    for (socket_base* s : sockets_) all.emplace_back(s);
  }
  for (auto& s : all) s->wake();
}

context_core::peer_view context_core::view_of(const socket_base& s) {
  return peer_view{s.opts().sndhwm, s.opts().rcvhwm, s.opts().conflate, s.opts().routing_id};
}

void context_core::join(socket_base& connecter, const peer_view& cv, socket_base& binder, const peer_view& bv,
                        const std::string& name, bool connecter_is_caller, framework::ref_ptr<pipe> existing) {
  const bool made_now = !existing;
  // CONFLATE on either side makes both directions keep only the newest message.
  const bool conflate = cv.conflate || bv.conflate;
  framework::ref_ptr<pipe> p =
      made_now ? make_pipe(combined_hwm(cv.sndhwm, bv.rcvhwm), combined_hwm(bv.sndhwm, cv.rcvhwm), conflate, conflate)
               : std::move(existing);
  pipe_end& a = p->a();  // connecter's
  pipe_end& b = p->b();  // binder's
  // Made at connect time from the connecter's options alone: now that the binder's are known,
  // the capacities become what they would have been had the bind come first (as libzmq), and
  // the binder's CONFLATE applies too.
  if (!made_now) p->rebind(combined_hwm(cv.sndhwm, bv.rcvhwm), combined_hwm(bv.sndhwm, cv.rcvhwm), conflate);
  if (made_now) {
    a.endpoint = b.endpoint = endpoint_of(name);
    a.initiated_here = true;
    a.peer_routing_id = bv.routing_id;
    b.peer_routing_id = cv.routing_id;
    a.set_owner(framework::ref_ptr<pipe_owner>(&connecter));
  }
  b.set_owner(framework::ref_ptr<pipe_owner>(&binder));
  // hand_over(): a bound SUB's subscriptions reach a publisher that connects later without
  // waiting for the SUB's user. The binder's end goes last, as before (the connecter has its
  // end first).
  if (made_now) {
    if (connecter_is_caller) {
      connecter.attach_pipe(p, a, true);
    } else {
      connecter.hand_over(a);
    }
  }
  binder.hand_over(b);
}

void context_core::refuse(pending& pc, socket_base& binder, const std::string& name) {
  const std::string why = endpoint_of(name) + ": a " + std::string(messaging::name(pc.connecter->type())) +
                          " socket cannot connect to a " + std::string(messaging::name(binder.type())) +
                          " socket; its connect, made before the bind, is dropped";
  framework::log(framework::log_level::warning, why);
  pc.connecter->emit_event(monitor_event::handshake_failed_protocol, 0, endpoint_of(name));
  // End a belongs to the connecter's thread: close only ours. The connecter hears
  // peer_closed in its mailbox and drops its end there (DISCONNECTED); what it queued goes.
  if (pc.p) pc.p->b().close(true);
}

void context_core::inproc_bind(const std::string& name, socket_base& s) {
  std::vector<pending> ready;
  const peer_view bv = view_of(s);
  {
    std::lock_guard lock(mutex_);
    if (binds_.contains(name))
      throw error(errc::address_in_use, "inproc://" + name + " is already bound in this context");
    binds_.emplace(name, binding{framework::ref_ptr<socket_base>(&s), bv});
    names_of_[&s].push_back(name);
    auto [first, last] = pending_.equal_range(name);
    for (auto it = first; it != last; ++it) ready.push_back(std::move(it->second));
    pending_.erase(first, last);
    if (ready.empty()) return;
    joining_.insert(name);
  }
  struct done_guard {
    context_core& core;
    const std::string& joined;
    ~done_guard() {
      std::lock_guard lock(core.mutex_);
      core.joining_.erase(core.joining_.find(joined));
      core.joins_done_.notify_all();
    }
  } done{*this, name};
  for (pending& pc : ready) {
    if (!compatible(pc.connecter->type(), s.type())) {
      refuse(pc, s, name);
      continue;
    }
    join(*pc.connecter, pc.view, s, bv, name, false, std::move(pc.p));
  }
}

void context_core::inproc_unbind(const std::string& name, socket_base& s) {
  std::lock_guard lock(mutex_);
  auto it = binds_.find(name);
  if (it == binds_.end() || it->second.sock.get() != &s)
    throw error(errc::address_not_available, "inproc://" + name + " is not bound by this socket");
  binds_.erase(it);
  auto& names = names_of_[&s];  // a socket that binds and unbinds in a loop must not grow it
  if (auto n = std::find(names.begin(), names.end(), name); n != names.end()) names.erase(n);
}

void context_core::inproc_connect(const std::string& name, socket_base& s) {
  framework::ref_ptr<socket_base> binder;
  peer_view bv;
  {
    std::lock_guard lock(mutex_);
    auto it = binds_.find(name);
    if (it == binds_.end()) {
      // Not bound yet: the connect completes at bind time. A pipe exists now and messages
      // queue in it, except with IMMEDIATE, and except for a ROUTER, which must know the
      // binder's routing id before it can route anything to it.
      pending pc{framework::ref_ptr<socket_base>(&s), view_of(s), nullptr};
      if (!s.opts().immediate && s.type() != socket_type::router) {
        const int hwm_guess_in = s.opts().rcvhwm;   // the binder's RCVHWM is not known yet:
        const int hwm_guess_out = s.opts().sndhwm;  // assume it matches ours
        pc.p = make_pipe(combined_hwm(s.opts().sndhwm, hwm_guess_in), combined_hwm(hwm_guess_out, s.opts().rcvhwm),
                         s.opts().conflate, s.opts().conflate);
        pipe_end& a = pc.p->a();
        a.endpoint = pc.p->b().endpoint = endpoint_of(name);
        a.initiated_here = true;
        pc.p->b().peer_routing_id = s.opts().routing_id;
        a.set_owner(framework::ref_ptr<pipe_owner>(&s));
      }
      framework::ref_ptr<pipe> p = pc.p;
      pending_.emplace(name, std::move(pc));
      names_of_[&s].push_back(name);
      if (p) s.attach_pipe(p, p->a(), true);
      return;
    }
    binder = it->second.sock;
    bv = it->second.view;
  }
  if (!compatible(s.type(), binder->type()))
    throw error(errc::incompatible_peer, "inproc://" + name + ": a " + std::string(messaging::name(s.type())) +
                                             " socket cannot connect to a " +
                                             std::string(messaging::name(binder->type())) + " socket");
  join(s, view_of(s), *binder, bv, name, true, nullptr);
}

bool context_core::inproc_cancel_connect(const std::string& name, socket_base& s) {
  std::vector<pending> cancelled;  // released outside the lock
  std::unique_lock lock(mutex_);
  joins_done_.wait(lock, [&] { return !joining_.contains(name); });
  auto [first, last] = pending_.equal_range(name);
  for (auto it = first; it != last;) {
    if (it->second.connecter.get() == &s) {
      cancelled.push_back(std::move(it->second));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  lock.unlock();
  return !cancelled.empty();
}

void context_core::inproc_forget(socket_base& s) noexcept {
  std::lock_guard lock(mutex_);
  auto names = names_of_.extract(&s);
  if (names.empty()) return;
  for (const std::string& name : names.mapped()) {
    if (auto b = binds_.find(name); b != binds_.end() && b->second.sock.get() == &s) binds_.erase(b);
    auto [first, last] = pending_.equal_range(name);
    for (auto it = first; it != last;) {
      // The connecter's end closes with the socket; the binder's end stays pending so what was
      // queued is still delivered at bind time (linger), unless the pipe was never made.
      if (it->second.connecter.get() == &s && !it->second.p) {
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace troupe::messaging::internal
