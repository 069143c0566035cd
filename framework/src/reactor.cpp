#include "reactor_core.hpp"

#include "current.hpp"

#include <troupe/framework/executor.hpp>
#include <troupe/framework/log.hpp>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

namespace troupe::framework {
namespace internal {
namespace {

std::uint32_t to_epoll(io_events interest) noexcept {
  std::uint32_t bits = EPOLLET | EPOLLRDHUP;
  if (any(interest & io_events::readable)) bits |= EPOLLIN;
  if (any(interest & io_events::writable)) bits |= EPOLLOUT;
  return bits;
}

io_events from_epoll(std::uint32_t bits) noexcept {
  io_events ev = io_events::none;
  if (bits & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)) ev = ev | io_events::readable;
  if (bits & EPOLLOUT) ev = ev | io_events::writable;
  if (bits & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) ev = ev | io_events::closed;
  return ev;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

// ---- io_watch ----

io_watch::io_watch(reactor_core& core, int fd, io_events, io_handler handler, io_dispatch dispatch)
    : strand(core.exec()), core_(&core), fd_(fd), handler_(std::move(handler)), dispatch_(dispatch) {}

void io_watch::modify(io_events interest) { core_->modify_watch(*this, interest); }

void io_watch::run_or_notify(io_events ev) noexcept {
  ready_.fetch_or(static_cast<std::uint32_t>(ev), std::memory_order_acq_rel);
  // Inside a strand (a fiber, an actor, another handler) running here would nest two strands'
  // runs on one thread: that caller goes through the executor.
  if (dispatch_ == io_dispatch::reactor_thread && !current_strand() && !current_fiber()) run_here_or_schedule();
  else schedule();
}

void io_watch::remove() noexcept {
  if (removed_.exchange(true, std::memory_order_seq_cst)) return;
  core_->remove_watch(*this);
  // A handler call already running elsewhere finishes before we return.
  if (!running_here()) {
    while (running()) std::this_thread::yield();
  }
}

void io_watch::on_run() noexcept {
  if (removed_.load(std::memory_order_seq_cst)) return;
  const auto ev = static_cast<io_events>(ready_.exchange(0, std::memory_order_acq_rel));
  if (!any(ev)) return;
  try {
    handler_(ev);
  } catch (...) {
    log_exception("descriptor handler (fd " + std::to_string(fd_) + ")", std::current_exception());
  }
}

// ---- reactor_core: descriptors and the thread ----

reactor_core::reactor_core(executor& ex) : ex_(&ex) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("reactor: epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int e = errno;
    ::close(epoll_fd_);
    throw std::system_error(e, std::generic_category(), "reactor: eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake-up descriptor
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    const int e = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw std::system_error(e, std::generic_category(), "reactor: epoll_ctl(eventfd)");
  }
}

reactor_core::~reactor_core() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void reactor_core::start() {
  thread_ = std::thread([this] { loop(); });
}

void reactor_core::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

std::size_t reactor_core::watch_count() const noexcept {
  std::lock_guard lock(mutex_);
  return watches_.size();
}

ref_ptr<io_watch> reactor_core::add_watch(int fd, io_events interest, io_handler handler, io_dispatch dispatch) {
  auto w = make_ref<io_watch>(*this, fd, interest, std::move(handler), dispatch);
  std::lock_guard lock(mutex_);
  if (stopped_) throw std::logic_error("reactor: watch() after stop()");
  epoll_event ev{};
  ev.events = to_epoll(interest);
  ev.data.ptr = w.get();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw_errno("reactor: cannot watch fd " + std::to_string(fd));
  w->add_ref();  // epoll's reference, dropped via retired_
  watches_.insert(w.get());
  by_fd_[fd] = w.get();
  return w;
}

void reactor_core::modify_watch(io_watch& w, io_events interest) {
  std::lock_guard lock(mutex_);
  if (stopped_ || !watches_.contains(&w)) return;
  if (auto it = by_fd_.find(w.fd()); it == by_fd_.end() || it->second != &w) return;  // fd reused since
  epoll_event ev{};
  ev.events = to_epoll(interest);
  ev.data.ptr = &w;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, w.fd(), &ev) != 0)
    throw_errno("reactor: cannot modify watch of fd " + std::to_string(w.fd()));
}

void reactor_core::remove_watch(io_watch& w) noexcept {
  std::lock_guard lock(mutex_);
  if (watches_.erase(&w) == 0) return;  // stopped meanwhile: already released
  // The descriptor may already be closed by its owner: then the kernel dropped it from the
  // epoll set itself and EBADF/ENOENT are expected. If its number now belongs to a newer
  // watch, leave that registration alone.
  if (auto it = by_fd_.find(w.fd()); it != by_fd_.end() && it->second == &w) {
    by_fd_.erase(it);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w.fd(), nullptr);
  }
  // The reactor thread may hold &w from an epoll_wait batch: it releases after the batch.
  retired_.push_back(&w);
}

void reactor_core::loop() noexcept {
  constexpr int batch = 256;
  epoll_event events[batch];
  std::vector<io_watch*> retired;
  std::vector<timer_node*> fired;
  while (!stopping_.load(std::memory_order_acquire)) {
    int timeout;
    {
      std::lock_guard lock(mutex_);
      const auto now = clock::now();
      fire_due_locked(now, fired);
      timeout = next_timeout_locked(now);
    }
    for (timer_node* t : fired) t->release();  // outside the lock (see stop())
    fired.clear();
    const int n = ::epoll_wait(epoll_fd_, events, batch, timeout);
    {
      std::lock_guard lock(mutex_);
      sleeping_until_ = clock::time_point::min();
    }
    if (n < 0 && errno != EINTR) {
      log(log_level::error, "reactor: epoll_wait failed; reactor thread exits");
      return;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        std::uint64_t count;
        [[maybe_unused]] const auto r = ::read(wake_fd_, &count, sizeof count);
        continue;
      }
      static_cast<io_watch*>(events[i].data.ptr)->on_ready(from_epoll(events[i].events));
    }
    {
      std::lock_guard lock(mutex_);
      retired.swap(retired_);
    }
    for (io_watch* w : retired) w->release();
    retired.clear();
  }
}

void reactor_core::stop() noexcept {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    return;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  std::vector<io_watch*> released;
  std::vector<heap_entry> timers;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (io_watch* w : watches_) {
      w->mark_removed();
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w->fd(), nullptr);
      released.push_back(w);
    }
    watches_.clear();
    by_fd_.clear();
    released.insert(released.end(), retired_.begin(), retired_.end());
    retired_.clear();
    for (heap_entry& e : heap_) {
      e.node->cancel_for_stop();
      e.node->heap_index = SIZE_MAX;
    }
    timers.swap(heap_);
  }
  // Released outside the lock: a last release destroys a handler that may own other handles.
  for (io_watch* w : released) w->release();
  for (heap_entry& e : timers) e.node->release();
}

}  // namespace internal

// ---- public facade ----

io_watch_handle::io_watch_handle() noexcept = default;
io_watch_handle::io_watch_handle(ref_ptr<internal::io_watch> w) noexcept : w_(std::move(w)) {}
io_watch_handle::io_watch_handle(io_watch_handle&&) noexcept = default;
io_watch_handle& io_watch_handle::operator=(io_watch_handle&& o) noexcept {
  if (this != &o) {
    remove();
    w_ = std::move(o.w_);
  }
  return *this;
}
io_watch_handle::~io_watch_handle() { remove(); }

void io_watch_handle::modify(io_events interest) {
  if (w_) w_->modify(interest);
}
void io_watch_handle::notify(io_events ev) noexcept {
  if (w_) w_->notify(ev);
}
void io_watch_handle::run_or_notify(io_events ev) noexcept {
  if (w_) w_->run_or_notify(ev);
}
void io_watch_handle::stop() noexcept {
  if (w_) w_->remove();
}

void io_watch_handle::remove() noexcept {
  if (w_) {
    w_->remove();
    w_.reset();
  }
}

reactor::reactor(executor& ex) : core_(make_ref<internal::reactor_core>(ex)) { core_->start(); }
reactor::~reactor() { stop(); }

io_watch_handle reactor::watch(int fd, io_events interest, io_handler handler, io_dispatch dispatch) {
  return io_watch_handle(core_->add_watch(fd, interest, std::move(handler), dispatch));
}

timer reactor::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  return at(clock::now() + delay, std::move(fn));
}

timer reactor::every(std::chrono::milliseconds period, std::function<void()> fn) {
  if (period.count() <= 0)
    throw std::invalid_argument("reactor::every: period must be at least 1 ms, got " +
                                std::to_string(period.count()) + " ms");
  return timer(core_->add_timer(clock::now() + period, period, std::move(fn)));
}

timer reactor::at(clock::time_point deadline, std::function<void()> fn) {
  return timer(core_->add_timer(deadline, std::chrono::milliseconds(0), std::move(fn)));
}

std::size_t reactor::timer_count() const noexcept { return core_->timer_count(); }
std::size_t reactor::watch_count() const noexcept { return core_->watch_count(); }
void reactor::stop() noexcept { core_->stop(); }
executor& reactor::exec() const noexcept { return core_->exec(); }

}  // namespace troupe::framework
