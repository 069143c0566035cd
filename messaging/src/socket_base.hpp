#pragma once
// The machinery every socket type shares: options, the pipes it owns, the mailbox through
// which pipes (and their peers on other threads) tell it about activity, blocking with
// spin-then-park, endpoints, monitor events. A socket type is a small subclass that routes
// messages through the routing parts (lb, fq, dist) by implementing the x* hooks.
//
// Threads: everything but on_pipe_event()/wake() runs on the thread currently using the socket
// (one at a time). on_pipe_event() is called by peers from any thread and only queues.

#include <troupe/framework/waiter.hpp>
#include <troupe/messaging/error.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/socket.hpp>

#include "pipe/pipe.hpp"
#include "socket_options.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace troupe::messaging::internal {

class context_core;

/// A listener or connecter of a wire transport, owned by the socket until unbind/disconnect
/// or close stops it.
class endpoint_object : public framework::ref_counted {
public:
  virtual void stop() noexcept = 0;
};

/// Outcome of a policy's send/recv attempt. Errors are exceptions.
enum class op_result { done, again };

class socket_base : public pipe_owner {
public:
  socket_base(context_core& ctx, socket_type type);
  ~socket_base() override;

  // ---- API, owner thread ----
  void bind(std::string_view endpoint);
  void connect(std::string_view endpoint);
  void unbind(std::string_view endpoint);
  void disconnect(std::string_view endpoint);
  bool send(message& m, flags f);
  bool recv(message& m, flags f);
  bool has_in();
  bool has_out();
  /// Whole messages that arrived from peers and are not read yet (a snapshot).
  std::uint64_t queued_inbound();
  bool rcvmore() const noexcept { return rcvmore_; }
  /// False while recv() spins: routing parts then read without putting pipes to sleep, so
  /// writers need not wake us. Owner thread.
  bool may_sleep() const noexcept { return may_sleep_; }
  void set_int(option o, std::int64_t v);
  void set_bytes(option o, std::string_view v);
  std::int64_t get_int(option o);
  std::string get_bytes(option o);
  void close() noexcept;
  bool is_closed() const noexcept { return closed_; }
  void monitor(std::string_view endpoint, int events);
  /// Messages per endpoint over live and ended pipes (socket::traffic()).
  std::vector<endpoint_traffic> traffic() const;

  socket_type type() const noexcept { return type_; }
  const socket_options& opts() const noexcept { return opts_; }
  context_core& ctx() const noexcept { return *ctx_; }

  // ---- wake-ups, any thread ----
  void on_pipe_event(pipe_end& end, pipe_event ev) noexcept override;
  /// Wakes whoever waits on this socket (context termination, pollers).
  void wake() noexcept;
  void set_signal_handler(std::function<void()> fn);
  /// One-shot: `w` is notified at the next event (pollers).
  void add_waiter(const framework::waiter& w);
  /// Owner thread: forgets the waiters it added that were not notified (a poller whose wait
  /// ended elsewhere or timed out), so they do not pile up. Only the owner adds waiters.
  void clear_waiters() noexcept;

  // ---- for transports and routing parts, owner thread ----
  /// Takes ownership of an end made on this thread (a connect to an existing binder).
  void attach_pipe(framework::ref_ptr<pipe> p, pipe_end& end, bool locally_initiated);
  /// A pipe whose peer closed has been read to the end (or must go now): drop it.
  void terminate_pipe(pipe_end& end) noexcept;
  /// Any thread: hands over `end`, made for this socket by another thread (an accepted tcp/ipc
  /// connection, an inproc connect), with send_attach(); the socket attaches it at its next
  /// call. A type may first write into it what it would write at attach, so that the peer has
  /// it without waiting for this socket's user (a SUB's subscriptions, see xsub.hpp).
  virtual void hand_over(pipe_end& end) noexcept { end.send_attach(); }
  /// Processes queued events; true if there were any.
  bool process_events();
  /// Monitor event (libzmq numbering) if a monitor is listening for it. Any thread.
  void emit_event(int event, std::int64_t value, std::string_view endpoint) noexcept;
  /// Keeps a listener/connecter until unbind/disconnect of `endpoint` or close.
  void add_endpoint_object(std::string endpoint, framework::ref_ptr<endpoint_object> obj);
  /// Stops and forgets the objects of `endpoint`; false if there were none.
  bool stop_endpoint_objects(std::string_view endpoint) noexcept;
  /// Terminates the pipes made through `endpoint` (connected ones or accepted ones); false if
  /// there were none.
  bool close_pipes(std::string_view endpoint, bool initiated_here) noexcept;

protected:
  virtual void xattach_pipe(pipe_end& p, bool locally_initiated) = 0;
  virtual op_result xsend(message& m);
  virtual op_result xrecv(message& m);
  virtual bool xhas_in() { return false; }
  virtual bool xhas_out() { return false; }
  virtual void xread_activated(pipe_end&) {}
  virtual void xwrite_activated(pipe_end&) {}
  virtual void xpipe_terminated(pipe_end& p) = 0;
  /// Byte options a type handles itself (subscribe, unsubscribe). True if handled.
  virtual bool xset_bytes(option, std::string_view) { return false; }
  /// Called after an integer option changed.
  virtual void xoption_changed(option) {}

  socket_options opts_;

private:
  struct queued_event {
    framework::ref_ptr<pipe> ref;
    pipe_end* end;
    pipe_event ev;
  };
  struct owned_pipe {
    framework::ref_ptr<pipe> ref;
    pipe_end* end;
  };

  void handle_event(queued_event& e);
  static void emit_to(socket_base& monitor, int event, std::int64_t value, std::string_view endpoint) noexcept;
  bool wait_for_activity(const std::optional<framework::clock::time_point>& deadline, bool spin);
  op_result spin_recv(message& m);
  bool should_spin() noexcept;
  void check_terminated() const;
  void enter() const;
  void leave() const noexcept;
  friend struct usage_guard;

  framework::ref_ptr<context_core> ctx_;
  socket_type type_;
  bool closed_ = false;
  bool rcvmore_ = false;
  bool may_sleep_ = true;
  // recv()'s spins that found nothing, in a row (saturates at spin_miss_limit), and the waits
  // that skipped the spin since (owner thread). See should_spin().
  std::uint8_t spin_misses_ = 0;
  std::uint8_t spin_skips_ = 0;
  std::vector<owned_pipe> pipes_;
  std::vector<endpoint_traffic> ended_traffic_;  // totals of terminated pipes, by endpoint
  std::vector<std::pair<std::string, framework::ref_ptr<endpoint_object>>> endpoint_objects_;
  std::mutex monitor_mutex_;  // events come from the owner and (wire) from engine strands
  framework::ref_ptr<socket_base> monitor_;
  int monitor_events_ = 0;

  // Mailbox: written by any thread under mutex_, drained by the owner.
  std::atomic<bool> pending_{false};
  std::mutex mutex_;
  bool mailbox_closed_ = false;
  std::vector<queued_event> events_;
  std::vector<queued_event> draining_;  // owner's swap buffer (keeps capacity)
  std::vector<framework::waiter> waiters_;
  std::shared_ptr<const std::function<void()>> signal_;

  mutable std::atomic<int> users_{0};  // debug check of the one-thread-at-a-time rule
};

/// RAII check that one thread at a time is inside a socket (debug builds).
struct usage_guard {
  explicit usage_guard(const socket_base& s) : s_(s) { s_.enter(); }
  ~usage_guard() { s_.leave(); }
  const socket_base& s_;
};

/// Makes a socket of `type` (the registry's factory).
framework::ref_ptr<socket_base> create_socket(context_core& ctx, socket_type type);

}  // namespace troupe::messaging::internal
