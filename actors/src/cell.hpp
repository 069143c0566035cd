#pragma once
// One running actor: its ports, its instance, its counters, and how it is run — a strand
// (handler style) or a fiber (fiber style). See docs/architecture.md, "Actors".

#include <troupe/actors/actor.hpp>
#include <troupe/actors/graph.hpp>
#include <troupe/actors/registry.hpp>
#include <troupe/framework/strand.hpp>
#include <troupe/framework/waiter.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace troupe::actors::internal {

class graph_core;

class cell final : public framework::strand {
public:
  enum class phase : int { built, running, finished };

  cell(graph_core& g, const actor_type& type, std::string name, const spawn_options& o);
  ~cell() override;

  // ---- identity and ports (building thread before start; the actor afterwards) ----
  const std::string& name() const noexcept { return name_; }
  const actor_type& type() const noexcept { return *type_; }
  const nlohmann::json& params() const noexcept { return params_; }
  input* find_input(std::string_view port) noexcept;
  output* find_output(std::string_view port) noexcept;
  port* find_port(std::string_view port) noexcept;
  const std::vector<std::unique_ptr<input>>& inputs() const noexcept { return inputs_; }
  const std::vector<std::unique_ptr<output>>& outputs() const noexcept { return outputs_; }

  /// Building: `up` feeds this cell (counted once per upstream cell).
  void add_upstream(cell& up);
  /// Building: input `in` is linked to the output bound at `endpoint`; returns the link's
  /// slot for link_messages().
  std::size_t add_in_link(input& in, std::string endpoint);
  /// Messages input-side link `slot` delivered, as of the last refresh (any thread).
  std::uint64_t link_messages(std::size_t slot) const noexcept;

  /// Building: SUB input `in` subscribes to `topics` (empty: everything).
  void subscribe(input& in, const std::vector<std::string>& topics);

  // ---- links to and from other processes (graph::expose, connect_remote) ----
  /// Building: output `out` also binds `endpoint` for a remote input; returns what was bound.
  std::string expose(output& out, std::string_view endpoint, int subscriptions, int rate = 0, int recovery_ivl = 0);
  /// Building: input `in` connected to `endpoint`, bound by actor `upstream` elsewhere, which
  /// feeds this cell until remote_finished() tells its counts (one upstream per actor name).
  void add_remote_upstream(std::string upstream, input& in, std::string endpoint);
  /// Any thread: remote actor `upstream` finished with these counts; false if it does not
  /// feed this cell.
  bool remote_finished(std::string_view upstream, const graph::sent_counts& sent);
  /// Building: "" when every exposed endpoint has its peer and its subscriptions, else the
  /// output still waiting. `local_subscriptions(output)`: what its in-process peers owe it.
  std::string remote_waiting(const std::function<std::uint64_t(const output&)>& local_subscriptions);
  /// Running, actor context (post()): output `out` binds `endpoint` too, for a link to an
  /// input restarted elsewhere, and unbinds `drop` (the link's endpoint before) unless empty.
  /// Returns what was bound.
  std::string expose_more(output& out, std::string_view endpoint, int subscriptions, std::string_view drop);
  /// Running, actor context (post()): input `in`'s link from `upstream`, connected at
  /// `before`, comes from `endpoint` from now on (the upstream was restarted elsewhere).
  void reconnect(std::string_view upstream, input& in, std::string_view before, std::string_view endpoint);
  /// Any thread: runs `task` in the actor's context at its next run (a fiber actor: when it
  /// next waits for a port or a timer). False if the actor has finished: then it never runs,
  /// as it does not if the actor finishes before its next run.
  bool post(std::function<void()> task);
  /// A fiber actor's port calls, before each try: runs what was posted, so that a fiber
  /// that never waits (its sends always fit) still takes a pause promptly. One acquire load
  /// when nothing was posted.
  void run_posted_now() {
    if (any_posted_.load(std::memory_order_acquire)) run_posted();
  }

  // ---- live migration (docs/distributing.md#moving-an-actor) ----
  /// Actor context (post()): output `out` paused or resumed: while paused, handler sends are
  /// held and fiber sends wait, so the actor takes no input. Returns the messages sent so far
  /// over each endpoint this cell exposed for `out`.
  graph::sent_counts pause_output(output& out, bool paused);
  /// What a move leaves behind for the destination: the state and the final counts.
  struct moved {
    nlohmann::json state;
    graph::sent_counts sent;  // per exposed endpoint and per output's own inproc endpoint
    std::string error;        // save_state() failed: the move is refused, the actor goes on
  };
  /// Actor context (post()): output `out` has a peer at `endpoint` (exposed), and, a PUB, at
  /// least `subscriptions` subscriptions from there (read or waiting to be).
  bool exposure_ready(output& out, std::string_view endpoint, int subscriptions);
  /// Actor context (post()), handler style: the actor stops here to move elsewhere once it
  /// has read everything its senders (all paused) sent it — `expect[endpoint]` messages over
  /// each remote link connected at `endpoint`, a finished sender's announced count, and what
  /// its in-process pipes hold — and its held sends went out. Then `done` gets its state and
  /// counts, and the cell ends without finishing (no on_stop, no end of stream downstream,
  /// no finished hook). If it finishes first (a hard stop), `done` is never called.
  void move_out(graph::sent_counts expect, std::function<void(moved)> done);
  /// Actor context (post()): a move_out() given up: the actor goes on here. Returns what it
  /// was still waiting for.
  std::string cancel_move();
  /// Building: the first instance starts from `state` (load_state() before on_start()).
  void set_initial_state(nlohmann::json state) { initial_state_ = std::move(state); }
  /// Running, actor context (post()): input `in`'s link from `upstream` (connected at
  /// `before`, or an in-process upstream cell when `was_local`) also connects `endpoint`,
  /// where the upstream, moved, will send from; the end of its stream is counted there from
  /// now on (remote_finished()). What is still queued from `before` stays readable.
  void adopt_remote_upstream(std::string_view upstream, input& in, std::string_view before, std::string_view endpoint,
                             bool was_local);
  /// Actor context: messages input `in` has read from connections made at `endpoint`.
  std::uint64_t received_from(input& in, std::string_view endpoint) const;
  /// Actor context: input `in` is done with `before` (every message from there read): it
  /// disconnects (`disconnect`) and its link count goes on at `endpoint`.
  void forget_endpoint(input& in, std::string_view before, std::string_view endpoint, bool disconnect);

  /// Actor context: ends the streams of remote upstreams whose messages have all been read.
  /// One relaxed load when nothing was announced.
  void check_remote() noexcept {
    if (remote_check_.load(std::memory_order_acquire)) check_remote_slow();
  }

  // ---- lifecycle (graph) ----
  void start();
  /// Asks for a drain (inputs close once every upstream finished) or a hard stop. Any thread.
  void request_stop(bool hard) noexcept;
  /// Closes the sockets of a cell that never started (graph destruction).
  void discard() noexcept;
  phase state() const noexcept { return phase_.load(std::memory_order_acquire); }

  // ---- for the actor, ports and timers ----
  bool stopping() const noexcept { return stop_requested_.load(std::memory_order_acquire) || hard_.load(std::memory_order_acquire); }
  bool hard() const noexcept { return hard_.load(std::memory_order_acquire); }
  /// True when no more input will arrive (every upstream finished, or a drain of an actor
  /// without upstream actors). Sample it before an empty read, then that read is final.
  bool inputs_closed() const noexcept;
  actor_style style() const noexcept { return type_->style; }
  /// Any thread: something happened on a port (socket signal) or a timer fired.
  void wake() noexcept;
  /// Fiber style: suspends until wake() (or `deadline`); runs due timers after waking.
  void park(const framework::clock::time_point* deadline = nullptr);
  /// Runs the timer callbacks that fired (in the actor's context).
  void run_fired();
  framework::timer add_timer(std::chrono::milliseconds d, bool periodic, std::function<void()> fn);

  nlohmann::json counters() const;
  /// Any thread (actor::report_progress).
  void set_progress(std::uint64_t done, std::uint64_t total) noexcept {
    progress_total_.store(total, std::memory_order_relaxed);
    progress_done_.store(done, std::memory_order_relaxed);
  }

  /// The cell whose actor is being constructed on this thread (actor::actor reads it).
  static thread_local cell* constructing;

private:
  void on_run() noexcept override;  // handler style
  void step() noexcept;
  void run_fiber();                  // fiber style body (on its fiber)
  bool make_instance() noexcept;     // false: failed (supervised)
  /// A failure: true to go on with a fresh instance, false when this actor stops.
  bool supervise(std::string_view where, std::exception_ptr e) noexcept;
  void finish(bool clean) noexcept;
  void cancel_timers() noexcept;
  bool flush_held() noexcept;
  std::size_t total_held() const noexcept;
  /// Copies each input link's count from its socket into `in_links_` (actor context: the
  /// sockets are the actor's). `force`: even if nobody asked since the last refresh.
  void refresh_links(bool force) noexcept;
  void check_remote_slow() noexcept;
  /// Messages sent over each exposed endpoint (actor context, before the sockets close).
  graph::sent_counts exposed_sent() const;
  /// `out` is exposed on a pgm/epgm endpoint (its socket outlives finish(): repairs).
  bool multicast_exposed(const output& out) const noexcept;

  graph_core* graph_;
  framework::ref_ptr<graph_core> graph_ref_;  // dropped at finish
  const actor_type* type_;
  std::string name_;
  nlohmann::json params_;
  supervision policy_;
  int batch_;
  nlohmann::json initial_state_;  // building thread, then make_instance()
  std::vector<std::unique_ptr<input>> inputs_;
  std::vector<std::unique_ptr<output>> outputs_;
  std::unique_ptr<actor> instance_;
  messaging::multipart scratch_;
  std::size_t next_input_ = 0;

  std::atomic<phase> phase_{phase::built};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> hard_{false};
  int upstream_total_ = 0;
  std::atomic<int> upstream_pending_{0};
  std::vector<cell*> downstream_;
  // Handler style: on_stop() ran but its sends are still held (a full PUSH); the writable
  // signal brings step() back to finish (actor context only).
  bool stopped_hook_ = false;
  bool awaiting_flush_ = false;

  // timers and fiber parking, under mutex_
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<std::function<void()>>> fired_;
  // fired_ is not empty (set and cleared under mutex_): lets run_fired(), which runs before
  // every handler batch, skip the mutex when no timer fired, the usual case.
  std::atomic<bool> any_fired_{false};
  std::vector<std::shared_ptr<std::function<void()>>> running_fired_;
  std::vector<framework::timer> timers_;
  std::vector<std::function<void()>> posted_;  // post(): run with the fired timers
  std::atomic<bool> any_posted_{false};         // posted_ is not empty (set and cleared under mutex_)
  void run_posted();
  std::optional<framework::waiter> parked_;
  bool woken_ = false;

  // A move under way (actor context only): see move_out().
  struct move_order {
    graph::sent_counts expect;
    std::function<void(moved)> done;
  };
  std::optional<move_order> moving_;
  std::atomic<bool> moved_{false};  // ended by a move (counters say "moved")
  /// Actor context: move_out()'s condition holds (after a read found nothing).
  bool move_drained() noexcept;
  /// Actor context: ends the cell for a move and calls the order's `done`.
  void complete_move() noexcept;

  // supervision (actor context only)
  std::vector<framework::clock::time_point> restart_times_;

  // Per-link counts of the inputs: written by the actor (refresh_links), read by anyone.
  struct in_link {
    input* port;
    std::string endpoint;
    std::uint64_t before = 0;  // messages taken from the link's earlier endpoints (reconnect)
    std::atomic<std::uint64_t> messages{0};
  };
  std::vector<std::unique_ptr<in_link>> in_links_;
  std::uint64_t links_epoch_seen_ = 0;  // actor context

  // Remote links (building thread, then the actor).
  struct exposure {
    output* port;
    std::string asked;  // as given to bind
    std::string bound;  // as bound (a tcp wildcard resolved)
    int subscriptions;
  };
  std::vector<exposure> exposed_;
  struct remote_link {
    input* port;
    std::string endpoint;  // connected
    // Multicast (pgm/epgm): loss past the recovery window may keep the count short; the
    // stream then ends after `silence` without arrivals (actor context).
    std::chrono::milliseconds silence{0};  // 0: not multicast
    std::uint64_t last_got = 0;
    framework::clock::time_point quiet_since{};
  };
  struct remote_upstream {
    std::string actor;
    std::vector<remote_link> links;
    std::vector<std::uint64_t> expected;                 // per link: under mutex_, once announced
    bool announced = false;                              // under mutex_
    bool done = false;                                   // actor context
  };
  /// Multicast link `l` of `upstream` has `got` of `expected`: true when its stream ends
  /// anyway (silent for longer than the recovery window allows; the loss is logged).
  bool multicast_given_up(const std::string& upstream, remote_link& l, std::uint64_t got, std::uint64_t expected) noexcept;
  std::vector<remote_upstream> remote_ups_;
  std::atomic<bool> remote_check_{false};  // an announced upstream is not done yet
  // Wakes the actor while an announced multicast link is short of its count (its silence is
  // checked when the actor runs). Under mutex_; closed at finish and discard.
  framework::timer remote_wake_;
  bool remote_wake_closed_ = false;
  void stop_remote_wake() noexcept;

  // counters
  std::atomic<std::uint64_t> progress_done_{0}, progress_total_{0};
  std::atomic<std::uint64_t> busy_ns_{0}, restarts_{0}, failures_{0};
  framework::clock::time_point resumed_{};
};

}  // namespace troupe::actors::internal
