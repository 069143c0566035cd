#include "socket_base.hpp"

#include "context_core.hpp"
#include "spin_wait.hpp"
#include "transport/registry.hpp"

#include <troupe/framework/fiber.hpp>
#include <troupe/framework/log.hpp>
#include <troupe/messaging/monitor.hpp>

#include <algorithm>
#include <cstring>
#include <utility>

namespace troupe::messaging::internal {

socket_base::socket_base(context_core& ctx, socket_type type) : ctx_(&ctx), type_(type) {
  ctx.add_socket(*this);
}

socket_base::~socket_base() = default;

void socket_base::enter() const {
#ifndef NDEBUG
  if (users_.fetch_add(1, std::memory_order_acquire) != 0) {
    users_.fetch_sub(1, std::memory_order_release);
    throw error(errc::concurrent_use, std::string(name(type_)) +
                                          " socket used by two threads at once (a socket is used by one "
                                          "thread at a time)");
  }
#endif
}

void socket_base::leave() const noexcept {
#ifndef NDEBUG
  users_.fetch_sub(1, std::memory_order_release);
#endif
}

void socket_base::check_terminated() const {
  if (ctx_->terminated()) throw error(errc::terminated, "the context was terminated");
}

// ---- endpoints ----

void socket_base::bind(std::string_view endpoint) {
  usage_guard g(*this);
  if (closed_) throw error(errc::socket_closed, "bind on a closed socket");
  const resolved_endpoint r = resolve(endpoint);
  std::string bound;
  try {
    bound = r.transport->bind(*this, endpoint, r.address);
  } catch (...) {
    emit_event(monitor_event::bind_failed, 0, endpoint);
    throw;
  }
  opts_.last_endpoint = bound;
  emit_event(monitor_event::listening, 0, bound);
}

void socket_base::connect(std::string_view endpoint) {
  usage_guard g(*this);
  if (closed_) throw error(errc::socket_closed, "connect on a closed socket");
  const resolved_endpoint r = resolve(endpoint);
  r.transport->connect(*this, endpoint, r.address);
  opts_.last_endpoint = std::string(endpoint);
}

void socket_base::unbind(std::string_view endpoint) {
  usage_guard g(*this);
  const resolved_endpoint r = resolve(endpoint);
  r.transport->unbind(*this, endpoint, r.address);
}

void socket_base::disconnect(std::string_view endpoint) {
  usage_guard g(*this);
  const resolved_endpoint r = resolve(endpoint);
  r.transport->disconnect(*this, endpoint, r.address);
}

void socket_base::add_endpoint_object(std::string endpoint, framework::ref_ptr<endpoint_object> obj) {
  endpoint_objects_.emplace_back(std::move(endpoint), std::move(obj));
}

bool socket_base::stop_endpoint_objects(std::string_view endpoint) noexcept {
  bool any = false;
  for (std::size_t i = 0; i < endpoint_objects_.size();) {
    if (endpoint_objects_[i].first == endpoint) {
      endpoint_objects_[i].second->stop();
      endpoint_objects_.erase(endpoint_objects_.begin() + static_cast<std::ptrdiff_t>(i));
      any = true;
    } else {
      ++i;
    }
  }
  return any;
}

bool socket_base::close_pipes(std::string_view endpoint, bool initiated_here) noexcept {
  bool any = false;
  for (std::size_t i = 0; i < pipes_.size();) {
    pipe_end& p = *pipes_[i].end;
    if (p.endpoint == endpoint && p.initiated_here == initiated_here) {
      terminate_pipe(p);  // swaps the last pipe into slot i
      any = true;
    } else {
      ++i;
    }
  }
  return any;
}

// ---- sending and receiving ----

bool socket_base::send(message& m, flags f) {
  usage_guard g(*this);
  if (closed_) throw error(errc::socket_closed, "send on a closed socket");
  check_terminated();
  m.set_more(has(f, flags::sndmore));
  process_events();
  if (xsend(m) == op_result::done) return true;
  if (has(f, flags::dontwait) || opts_.sndtimeo == 0) return false;
  std::optional<framework::clock::time_point> deadline;
  if (opts_.sndtimeo > 0) deadline = framework::clock::now() + std::chrono::milliseconds(opts_.sndtimeo);
  for (;;) {
    if (!wait_for_activity(deadline, true)) return false;
    check_terminated();
    process_events();
    if (xsend(m) == op_result::done) return true;
  }
}

bool socket_base::recv(message& m, flags f) {
  usage_guard g(*this);
  if (closed_) throw error(errc::socket_closed, "recv on a closed socket");
  check_terminated();
  process_events();
  op_result r = xrecv(m);
  if (r != op_result::done) {
    if (has(f, flags::dontwait) || opts_.rcvtimeo == 0) return false;
    std::optional<framework::clock::time_point> deadline;
    if (opts_.rcvtimeo > 0) deadline = framework::clock::now() + std::chrono::milliseconds(opts_.rcvtimeo);
    if (!framework::this_fiber::inside() && should_spin()) r = spin_recv(m);
    while (r != op_result::done) {
      if (!wait_for_activity(deadline, false)) return false;
      check_terminated();
      process_events();
      r = xrecv(m);
    }
  }
  rcvmore_ = m.more();
  return true;
}

bool socket_base::has_in() {
  usage_guard g(*this);
  if (closed_) return false;
  process_events();
  return xhas_in();
}

std::uint64_t socket_base::queued_inbound() {
  usage_guard g(*this);
  if (closed_) return 0;
  process_events();
  std::uint64_t n = 0;
  for (const owned_pipe& p : pipes_) n += p.end->queued();
  return n;
}

bool socket_base::has_out() {
  usage_guard g(*this);
  if (closed_) return false;
  process_events();
  return xhas_out();
}

op_result socket_base::xsend(message&) {
  throw error(errc::not_supported, std::string("send is not supported by a ") + std::string(name(type_)) + " socket");
}

op_result socket_base::xrecv(message&) {
  throw error(errc::not_supported, std::string("recv is not supported by a ") + std::string(name(type_)) + " socket");
}

bool socket_base::should_spin() noexcept {
  // A spin pays when the answer comes within the window: a peer thread of this process on the
  // other core. A peer behind tcp or ipc (another process, two syscalls and its wake-ups away)
  // almost never answers that fast, and on a small machine the spin takes the core that peer
  // needs (measured: tcp/ipc round trips 1.3-2x longer). So after spin_miss_limit misses in a
  // row recv parks at once, and spins again on every spin_probe_every-th wait to notice when
  // spinning pays again (one hit resets the count).
  constexpr std::uint8_t spin_miss_limit = 8;
  constexpr std::uint8_t spin_probe_every = 64;
  if (spin_misses_ < spin_miss_limit) return true;
  if (++spin_skips_ < spin_probe_every) return false;
  spin_skips_ = 0;
  return true;
}

op_result socket_base::spin_recv(message& m) {
  // Look at the pipes without putting them to sleep for a while; then one last look that does
  // put them to sleep, so that writers wake us from now on.
  may_sleep_ = false;
  op_result r = op_result::again;
  spin_until([&] {
    process_events();
    r = xrecv(m);
    return r == op_result::done;
  });
  may_sleep_ = true;
  if (r == op_result::done) {
    spin_misses_ = 0;
    return r;
  }
  if (spin_misses_ < 255) ++spin_misses_;
  return xrecv(m);
}

bool socket_base::wait_for_activity(const std::optional<framework::clock::time_point>& deadline, bool spin) {
  if (pending_.load(std::memory_order_acquire)) return true;
  if (spin && !framework::this_fiber::inside() &&
      spin_until([&] { return pending_.load(std::memory_order_acquire); }))
    return true;
  framework::waiter w;
  {
    std::lock_guard lock(mutex_);
    if (pending_.load(std::memory_order_relaxed) || ctx_->terminated()) return true;
    waiters_.push_back(w);
  }
  if (!deadline) {
    w.wait();
    return true;
  }
  if (w.wait_until(*deadline) == framework::wait_result::notified) return true;
  std::lock_guard lock(mutex_);
  waiters_.clear();  // only this thread adds waiters to its socket
  return pending_.load(std::memory_order_relaxed);
}

// ---- options ----

void socket_base::set_int(option o, std::int64_t v) {
  usage_guard g(*this);
  opts_.set_int(type_, o, v);
  xoption_changed(o);
}

void socket_base::set_bytes(option o, std::string_view v) {
  usage_guard g(*this);
  process_events();
  if (xset_bytes(o, v)) return;
  if (o == option::subscribe || o == option::unsubscribe)
    throw error(errc::invalid_argument, describe(o) + " does not apply to a " + std::string(name(type_)) + " socket");
  opts_.set_bytes(type_, o, v);
}

std::int64_t socket_base::get_int(option o) {
  usage_guard g(*this);
  if (o == option::rcvmore) return rcvmore_;
  if (o == option::type) return static_cast<int>(type_);
  return opts_.get_int(o);
}

std::string socket_base::get_bytes(option o) {
  usage_guard g(*this);
  return opts_.get_bytes(o);
}

// ---- events ----

void socket_base::on_pipe_event(pipe_end& end, pipe_event ev) noexcept {
  std::shared_ptr<const std::function<void()>> sig;
  {
    std::lock_guard lock(mutex_);
    if (mailbox_closed_) return;
    try {
      events_.push_back(queued_event{framework::ref_ptr<pipe>(&end.owner_pipe()), &end, ev});
    } catch (...) {
      framework::log(framework::log_level::error, "socket mailbox: out of memory, event lost");
      return;
    }
    pending_.store(true, std::memory_order_release);
    for (const framework::waiter& w : waiters_) w.notify();
    waiters_.clear();
    sig = signal_;
  }
  if (sig) (*sig)();
}

void socket_base::wake() noexcept {
  std::shared_ptr<const std::function<void()>> sig;
  {
    std::lock_guard lock(mutex_);
    for (const framework::waiter& w : waiters_) w.notify();
    waiters_.clear();
    sig = signal_;
  }
  if (sig) (*sig)();
}

void socket_base::set_signal_handler(std::function<void()> fn) {
  auto sig = fn ? std::make_shared<const std::function<void()>>(std::move(fn)) : nullptr;
  std::lock_guard lock(mutex_);
  signal_ = std::move(sig);
}

void socket_base::add_waiter(const framework::waiter& w) {
  std::lock_guard lock(mutex_);
  if (pending_.load(std::memory_order_relaxed) || mailbox_closed_ || ctx_->terminated()) {
    w.notify();
    return;
  }
  waiters_.push_back(w);
}

void socket_base::clear_waiters() noexcept {
  std::lock_guard lock(mutex_);
  waiters_.clear();
}

bool socket_base::process_events() {
  if (!pending_.load(std::memory_order_acquire)) return false;
  {
    std::lock_guard lock(mutex_);
    draining_.swap(events_);
    pending_.store(false, std::memory_order_relaxed);
  }
  for (queued_event& e : draining_) handle_event(e);
  draining_.clear();
  return true;
}

void socket_base::handle_event(queued_event& e) {
  pipe_end& p = *e.end;
  if (e.ev == pipe_event::attach) {
    attach_pipe(e.ref, p, p.initiated_here);
    return;
  }
  if (p.owner_slot == SIZE_MAX) return;  // already dropped
  switch (e.ev) {
    case pipe_event::readable:
      p.read_active = true;
      xread_activated(p);
      break;
    case pipe_event::writable:
      p.write_active = true;
      xwrite_activated(p);
      break;
    case pipe_event::peer_closed:
      if (p.has_unread()) {
        p.read_active = true;  // read what it sent; the read that finds the end drops the pipe
        xread_activated(p);
      } else {
        terminate_pipe(p);
      }
      break;
    case pipe_event::attach: break;
  }
}

namespace {

/// Adds what `p` carried to the entry of its endpoint (made if missing; an allocation failure
/// loses the count, never the pipe).
void add_traffic(std::vector<endpoint_traffic>& v, const pipe_end& p) noexcept {
  try {
    auto it = std::find_if(v.begin(), v.end(), [&](const endpoint_traffic& t) { return t.endpoint == p.endpoint; });
    if (it == v.end()) it = v.insert(v.end(), endpoint_traffic{p.endpoint, 0, 0, 0});
    it->received += p.messages_read();
    it->sent += p.messages_written();
  } catch (...) {
  }
}

}  // namespace

std::vector<endpoint_traffic> socket_base::traffic() const {
  usage_guard g(*this);
  std::vector<endpoint_traffic> v = ended_traffic_;
  for (const owned_pipe& op : pipes_) {
    add_traffic(v, *op.end);
    for (endpoint_traffic& t : v)
      if (t.endpoint == op.end->endpoint) t.queued += op.end->queued();
  }
  return v;
}

void socket_base::attach_pipe(framework::ref_ptr<pipe> ref, pipe_end& p, bool locally_initiated) {
  if (closed_) {
    p.close(true);
    return;
  }
  if (p.owner_slot != SIZE_MAX) return;
  p.owner_slot = pipes_.size();
  pipes_.push_back(owned_pipe{std::move(ref), &p});
  xattach_pipe(p, locally_initiated);
  if (p.owner_slot == SIZE_MAX) return;  // the type refused it (e.g. a second PAIR peer)
  // tcp/ipc connections report their own events (transport/, wire/); inproc pipes here.
  if (p.endpoint.starts_with("inproc://"))
    emit_event(locally_initiated ? monitor_event::connected : monitor_event::accepted, 0, p.endpoint);
  if (p.peer_closed() && !p.has_unread()) terminate_pipe(p);
}

void socket_base::terminate_pipe(pipe_end& p) noexcept {
  const std::size_t slot = p.owner_slot;
  if (slot == SIZE_MAX) return;
  xpipe_terminated(p);
  if (p.endpoint.starts_with("inproc://")) emit_event(monitor_event::disconnected, 0, p.endpoint);
  add_traffic(ended_traffic_, p);
  p.close(opts_.linger == 0);
  p.owner_slot = SIZE_MAX;
  framework::ref_ptr<pipe> keep = std::move(pipes_[slot].ref);  // released last, after bookkeeping
  if (slot + 1 != pipes_.size()) {
    pipes_[slot] = std::move(pipes_.back());
    pipes_[slot].end->owner_slot = slot;
  }
  pipes_.pop_back();
}

// ---- monitor ----

void socket_base::monitor(std::string_view endpoint, int events) {
  framework::ref_ptr<socket_base> old;
  int old_events = 0;
  {
    usage_guard g(*this);
    std::lock_guard lock(monitor_mutex_);
    old = std::move(monitor_);
    old_events = std::exchange(monitor_events_, 0);
  }
  if (old) {
    // As libzmq: MONITOR_STOPPED only if it was asked for.
    if (old_events & monitor_event::monitor_stopped) emit_to(*old, monitor_event::monitor_stopped, 0, "");
    old->close();
  }
  if (endpoint.empty() || events == 0) return;
  if (!endpoint.starts_with("inproc://"))
    throw error(errc::invalid_argument, "monitor endpoint '" + std::string(endpoint) + "' must be inproc://");
  auto m = create_socket(*ctx_, socket_type::pair);
  m->bind(endpoint);
  std::lock_guard lock(monitor_mutex_);
  monitor_ = std::move(m);
  monitor_events_ = events;
}

void socket_base::emit_to(socket_base& mon, int event, std::int64_t value, std::string_view endpoint) noexcept {
  try {
    unsigned char head[6];
    const auto ev16 = static_cast<std::uint16_t>(event);
    const auto v32 = static_cast<std::uint32_t>(value);
    std::memcpy(head, &ev16, 2);
    std::memcpy(head + 2, &v32, 4);
    message first(head, sizeof head);
    message second(endpoint);
    if (mon.send(first, flags::dontwait | flags::sndmore)) mon.send(second, flags::dontwait);
  } catch (...) {
    // A monitor that cannot take an event loses it: monitoring never breaks the socket.
  }
}

void socket_base::emit_event(int event, std::int64_t value, std::string_view endpoint) noexcept {
  std::lock_guard lock(monitor_mutex_);
  if (!monitor_ || (monitor_events_ & event) == 0) return;
  emit_to(*monitor_, event, value, endpoint);
}

// ---- closing ----

void socket_base::close() noexcept {
  if (closed_) return;
  emit_event(monitor_event::closed, 0, opts_.last_endpoint);
  closed_ = true;
  ctx_->inproc_forget(*this);
  for (auto& [ep, obj] : endpoint_objects_) obj->stop();
  endpoint_objects_.clear();
  for (owned_pipe& op : pipes_) {
    op.end->owner_slot = SIZE_MAX;
    op.end->close(opts_.linger == 0);
  }
  pipes_.clear();
  std::vector<queued_event> dropped;
  {
    std::lock_guard lock(mutex_);
    mailbox_closed_ = true;
    dropped.swap(events_);
    for (const framework::waiter& w : waiters_) w.notify();
    waiters_.clear();
    signal_.reset();
  }
  for (queued_event& e : dropped) {
    // A pipe handed to us that we never attached: close it so its peer can go.
    if (e.ev == pipe_event::attach && e.end->owner_slot == SIZE_MAX) e.end->close(true);
  }
  framework::ref_ptr<socket_base> mon;
  int mon_events = 0;
  {
    std::lock_guard lock(monitor_mutex_);
    mon = std::move(monitor_);
    mon_events = std::exchange(monitor_events_, 0);
  }
  if (mon) {
    if (mon_events & monitor_event::monitor_stopped) emit_to(*mon, monitor_event::monitor_stopped, 0, "");
    mon->close();
  }
  ctx_->remove_socket(*this);
}

}  // namespace troupe::messaging::internal
