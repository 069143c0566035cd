#pragma once
/// Reactor: epoll readiness and timers, dispatched as tasks on the executor.

#include <troupe/framework/ref_counted.hpp>
#include <troupe/framework/timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace troupe::framework {

class executor;
namespace internal {
class io_watch;
class reactor_core;
}  // namespace internal

/// Readiness bits.
enum class io_events : std::uint32_t {
  none = 0,
  readable = 1,
  writable = 2,
  /// Error or hang-up on the descriptor, including a socket peer that shut down its sending
  /// side (always reported, never needs asking for; readable is reported with a hang-up too).
  closed = 4,
  /// Not from the descriptor: someone called notify(wakeup) to run the handler (used to
  /// funnel other events of a connection into the one strand that handles its descriptor).
  wakeup = 8,
};
constexpr io_events operator|(io_events a, io_events b) noexcept {
  return static_cast<io_events>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr io_events operator&(io_events a, io_events b) noexcept {
  return static_cast<io_events>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
constexpr bool any(io_events e) noexcept { return e != io_events::none; }

/// Handler of readiness; runs on an executor worker (or, for io_dispatch::reactor_thread, on
/// the reactor thread), never concurrently with itself.
using io_handler = std::function<void(io_events)>;

/// Where a watch's handler runs when its descriptor becomes ready.
enum class io_dispatch {
  /// As a task on the executor (the default): any handler may.
  executor,
  /// On the reactor thread itself when the handler is idle, saving the wake-up of a worker
  /// (~20 us on a small loaded machine) on every readiness; notify() and a handler still
  /// running go through the executor as usual. Only for short, non-blocking handlers that
  /// bound their own work (a wire connection's engine): a long one delays every other
  /// descriptor and timer.
  reactor_thread,
};

/// A descriptor being watched. Move-only; destroying it (or calling remove()) stops the watch.
class io_watch_handle {
public:
  io_watch_handle() noexcept;
  explicit io_watch_handle(ref_ptr<internal::io_watch> w) noexcept;
  io_watch_handle(io_watch_handle&&) noexcept;
  io_watch_handle& operator=(io_watch_handle&&) noexcept;
  ~io_watch_handle();

  /// Changes the events of interest. Edge-triggered semantics as for watch().
  void modify(io_events interest);

  /// Re-runs the handler with `ev` as if the descriptor had reported it (for a handler that
  /// stopped early, before EAGAIN, to let others run).
  void notify(io_events ev) noexcept;

  /// As notify(), but for an io_dispatch::reactor_thread watch whose handler is idle, called
  /// from a thread that runs no strand or fiber (an application thread): the handler runs
  /// right here, before this returns, instead of waking a worker for it. A re-run it asks for,
  /// or a call from inside a strand, goes through the executor as notify() does.
  void run_or_notify(io_events ev) noexcept;

  /// Stops watching. After remove() returns no new handler call starts; a call already running
  /// on another thread is waited for (a call from inside the handler itself does not wait).
  /// So two handlers must never remove each other's watch at the same time: each would wait
  /// for the other. The descriptor is not closed: it belongs to the caller (closing it before
  /// remove() is fine). Idempotent.
  void remove() noexcept;

  /// As remove(), but the handle keeps its reference, so other threads may still call
  /// notify() on it meanwhile (a no-op now). For owners shared across threads.
  void stop() noexcept;

  explicit operator bool() const noexcept { return static_cast<bool>(w_); }

private:
  ref_ptr<internal::io_watch> w_;
};

/// One epoll instance, one thread that waits on it (the only thread the runtime adds to the
/// executor's workers: it never runs user code, it only turns readiness and expired timers into
/// tasks), an eventfd to wake it, and a timer heap. Idle means blocked in epoll_wait with no
/// timeout (or with the next timer's deadline): zero CPU.
class reactor {
public:
  explicit reactor(executor& ex);
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// Watches `fd` (edge-triggered): each time it becomes ready for any of `interest` (or is
  /// closed/errored) `handler` runs as a task with the events seen since its last call.
  /// A handler must consume until EAGAIN or call notify() to be run again. An exception from
  /// the handler is logged and the watch stays. Thread-safe. Throws std::system_error naming
  /// the descriptor if epoll refuses it, std::logic_error after stop().
  io_watch_handle watch(int fd, io_events interest, io_handler handler,
                        io_dispatch dispatch = io_dispatch::executor);

  /// Runs `fn` once after `delay` (rounded up to whole milliseconds). Thread-safe.
  timer after(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Runs `fn` every `period` (fixed rate; periods missed while late are skipped, never
  /// bunched up). Never runs concurrently with itself. Thread-safe.
  timer every(std::chrono::milliseconds period, std::function<void()> fn);
  /// Runs `fn` once at `deadline`.
  timer at(clock::time_point deadline, std::function<void()> fn);

  /// Live (not yet fired or cancelled) timers, a snapshot.
  std::size_t timer_count() const noexcept;
  /// Descriptors being watched, a snapshot.
  std::size_t watch_count() const noexcept;

  /// Stops: cancels every timer, removes every watch, joins the reactor thread. Handlers and
  /// timer callbacks already queued on the executor still run (they see their watch/timer
  /// removed). Idempotent. The executor is not shut down.
  void stop() noexcept;

  executor& exec() const noexcept;

private:
  ref_ptr<internal::reactor_core> core_;  // shared with watches and timers, which may outlive us
};

}  // namespace troupe::framework
