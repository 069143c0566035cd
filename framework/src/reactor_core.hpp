#pragma once
// Private parts of the reactor, shared by reactor.cpp (the epoll side) and timer.cpp.
// The core is reference-counted: watches and timers keep it alive, so a handle used after
// the reactor is gone finds a stopped core instead of freed memory.

#include <troupe/framework/reactor.hpp>
#include <troupe/framework/strand.hpp>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace troupe::framework::internal {

class timer_node;

/// One watched descriptor. Runs its handler as a strand (never concurrently with itself).
class io_watch final : public strand {
public:
  io_watch(reactor_core& core, int fd, io_events interest, io_handler handler, io_dispatch dispatch);

  /// From the reactor thread: events arrived.
  void on_ready(io_events ev) noexcept {
    ready_.fetch_or(static_cast<std::uint32_t>(ev), std::memory_order_acq_rel);
    if (dispatch_ == io_dispatch::reactor_thread) run_here_or_schedule();
    else schedule();
  }
  void modify(io_events interest);
  /// Any thread: run the handler (always through the executor).
  void notify(io_events ev) noexcept {
    ready_.fetch_or(static_cast<std::uint32_t>(ev), std::memory_order_acq_rel);
    schedule();
  }
  /// Any thread: run the handler here if this is a reactor_thread watch, it is idle and the
  /// caller runs no strand; otherwise as notify().
  void run_or_notify(io_events ev) noexcept;
  void remove() noexcept;
  int fd() const noexcept { return fd_; }
  /// Called with the core's mutex held, when the core stops: no more handler calls.
  void mark_removed() noexcept { removed_.store(true, std::memory_order_seq_cst); }

private:
  void on_run() noexcept override;

  ref_ptr<reactor_core> core_;
  int fd_;
  std::atomic<std::uint32_t> ready_{0};
  std::atomic<bool> removed_{false};
  io_handler handler_;
  io_dispatch dispatch_;
};

/// A timer: a strand whose run calls the callback, unless cancelled first.
class timer_node final : public strand {
public:
  enum status : std::uint32_t { active, fired, cancelled };

  timer_node(reactor_core& core, std::chrono::milliseconds period, std::function<void()> fn);

  bool cancel() noexcept;
  std::size_t heap_index = SIZE_MAX;  // slot in the core's heap; guarded by the core's mutex
  bool is_active() const noexcept { return status_.load(std::memory_order_acquire) == active; }
  bool periodic() const noexcept { return period_.count() > 0; }
  std::chrono::milliseconds period() const noexcept { return period_; }
  /// Called by the core with its mutex held when the reactor stops.
  bool cancel_for_stop() noexcept;

private:
  void on_run() noexcept override;

  ref_ptr<reactor_core> core_;
  std::chrono::milliseconds period_;
  std::atomic<std::uint32_t> status_{active};
  std::function<void()> fn_;
};

class reactor_core final : public ref_counted {
public:
  explicit reactor_core(executor& ex);
  ~reactor_core() override;

  void start();
  void stop() noexcept;

  // Descriptors.
  ref_ptr<io_watch> add_watch(int fd, io_events interest, io_handler handler, io_dispatch dispatch);
  void modify_watch(io_watch& w, io_events interest);
  void remove_watch(io_watch& w) noexcept;

  // Timers.
  ref_ptr<timer_node> add_timer(clock::time_point deadline, std::chrono::milliseconds period,
                                std::function<void()> fn);
  void timer_cancelled(timer_node& n) noexcept;
  void timer_fired() noexcept { live_timers_.fetch_sub(1, std::memory_order_relaxed); }

  executor& exec() const noexcept { return *ex_; }
  std::size_t timer_count() const noexcept { return live_timers_.load(std::memory_order_relaxed); }
  std::size_t watch_count() const noexcept;

private:
  struct heap_entry {
    clock::time_point deadline;
    std::uint64_t seq;  // ties fire in insertion order
    timer_node* node;   // holds a reference while in the heap
  };
  struct later {
    bool operator()(const heap_entry& a, const heap_entry& b) const noexcept {
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
    }
  };

  void loop() noexcept;
  void wake() noexcept;
  int next_timeout_locked(clock::time_point now) noexcept;
  void fire_due_locked(clock::time_point now, std::vector<timer_node*>& dropped) noexcept;
  // An indexed binary heap: each node knows its slot, so a cancel removes it in O(log n)
  // right away (no tombstones to purge, no callbacks kept alive after cancel).
  void heap_push_locked(heap_entry e);
  heap_entry heap_remove_locked(std::size_t i) noexcept;
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void place(std::size_t i, heap_entry e) noexcept;

  executor* ex_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;  // guards everything below
  bool stopped_ = false;
  std::unordered_set<io_watch*> watches_;  // each holds the reference epoll's data.ptr needs
  // The watch that owns each descriptor number in epoll now: a descriptor closed and reused
  // under an old watch must not lose its new registration when the old watch is removed.
  std::unordered_map<int, io_watch*> by_fd_;
  std::vector<io_watch*> retired_;         // removed, released by the reactor thread after a batch
  std::vector<heap_entry> heap_;
  std::uint64_t next_seq_ = 0;
  clock::time_point sleeping_until_ = clock::time_point::min();  // min: awake
  std::atomic<std::size_t> live_timers_{0};
};

}  // namespace troupe::framework::internal
