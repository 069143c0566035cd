#pragma once
/// Actors: handler style (a message handler run as a task) and fiber style (sequential code).

#include <troupe/actors/port.hpp>
#include <troupe/framework/timer.hpp>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace troupe::actors {

namespace internal { class cell; }

/// Base of every actor. An actor type derives from handler_actor or fiber_actor, is default
/// constructible, and declares its ports with a static member:
///
///     static void ports(port_list& p) { p.input("in").output("out"); }
///
/// An actor is never run concurrently with itself: its hooks, handler, timer callbacks (and,
/// in fiber style, its body) all run one at a time. Its name, parameters, ports and timers
/// are usable from the constructor on. The instance is made when the graph starts and made
/// afresh on a supervised restart (its ports, and what is queued in them, are kept).
class actor {
public:
  actor();
  virtual ~actor();
  actor(const actor&) = delete;
  actor& operator=(const actor&) = delete;

  /// Runs first (after construction), in the actor's context.
  virtual void on_start() {}
  /// Runs last when the actor finishes normally (drained, or its body returned); not after a
  /// failure and not on a hard stop.
  virtual void on_stop() {}

  /// Live migration (`troupe move`, distributed_graph::move): called once the actor has
  /// taken every message sent to it before the move and will take no more here; what it
  /// returns is given to load_state() of its new instance on the destination node. An actor
  /// with no state keeps the default (null). Handler style only (a fiber actor's state is on
  /// its fiber's stack: moving one is refused).
  virtual nlohmann::json save_state() const;
  /// On a moved actor's new instance, after construction and before on_start(), with what
  /// save_state() returned. An exception escaping is a failure of start (see supervision).
  virtual void load_state(const nlohmann::json& state);

  /// The actor's name in its graph ("parse", or "work[2]" for a replica).
  const std::string& name() const noexcept;
  /// The parameters given at spawn (a JSON object, maybe empty).
  const nlohmann::json& params() const noexcept;
  /// The port named `port`; throws graph_error naming the actor and port if there is none.
  input& in(std::string_view port);
  output& out(std::string_view port);
  /// Publishes how far this actor is through work of a known size (a source reading a file:
  /// bytes done of the file's size; any unit). Two relaxed stores: call it as often as you
  /// like. Shown in counters() as "progress": {"done", "total"} and as percent by
  /// `troupe run`'s progress line. An actor that does not know its size never calls it.
  void report_progress(std::uint64_t done, std::uint64_t total) noexcept;

  /// True once the graph asked this actor to stop (drain or hard). A source's loop ends then.
  bool stopping() const noexcept;

  /// Runs `fn` once after `delay`, in the actor's context (not concurrently with it).
  framework::timer after(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Runs `fn` every `period`, in the actor's context. Timers end when the actor finishes or
  /// restarts; cancel() one earlier (a callback already due may still run once).
  framework::timer every(std::chrono::milliseconds period, std::function<void()> fn);

protected:
  /// The cell running this actor (for the styles' own calls).
  internal::cell* cell_;

private:
  friend class internal::cell;
};

/// Handler style: on_message() runs as a task on the runtime for each whole message that
/// arrives on an input. The actor takes up to a batch of messages (spawn_options::batch) per
/// run, round-robin over its inputs, then yields so that no actor starves the others. An idle
/// handler actor is just its sockets and a few hundred bytes: no thread, no fiber, no CPU.
class handler_actor : public actor {
public:
  /// `msg` may be moved from. An exception escaping is a failure (see supervision).
  virtual void on_message(input& from, messaging::multipart& msg) = 0;
};

/// Fiber style: run() is sequential code on a fiber of its own; recv() and send() on its
/// ports suspend the fiber, never a worker thread. A source returns from run() when
/// stopping() turns true; a stage loops `while (in("in").recv(msg))`, which ends when its
/// upstream has finished and it has read everything.
class fiber_actor : public actor {
public:
  virtual void run() = 0;
  /// Suspends the fiber for `d`, running the actor's due timers meanwhile. Returns early
  /// (false) if the graph stops hard.
  bool sleep_for(std::chrono::milliseconds d);
};

/// What happens when an exception escapes an actor's hook, handler, timer or body.
struct supervision {
  enum class action {
    restart,  ///< a fresh instance; the ports and their queued messages are kept
    stop,     ///< this actor stops (downstream then sees its end of stream)
  };
  action on_failure = action::restart;
  /// More than max_restarts restarts within `window` escalate: the whole graph stops hard and
  /// reports the actor, the reason and the count.
  int max_restarts = 3;
  std::chrono::milliseconds window{5000};
};

}  // namespace troupe::actors
