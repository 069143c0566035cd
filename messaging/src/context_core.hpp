#pragma once
// Shared state of a context: its runtime, its live sockets, the inproc namespace.

#include <troupe/framework/ref_counted.hpp>
#include <troupe/messaging/socket_type.hpp>

#include "pipe/pipe.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace troupe::framework {
class runtime;
}

namespace troupe::messaging::internal {

class socket_base;

class context_core final : public framework::ref_counted {
public:
  explicit context_core(framework::runtime& rt) : rt_(&rt) {}

  framework::runtime& rt() const noexcept { return *rt_; }

  void add_socket(socket_base& s);
  void remove_socket(socket_base& s) noexcept;
  std::size_t socket_count() const noexcept;
  void wait_until_no_sockets() noexcept;
  void terminate() noexcept;
  bool terminated() const noexcept { return terminated_.load(std::memory_order_acquire); }

  // Wire connections still open. They close on their own strands after their socket closes;
  // the context waits for them before its runtime may stop under them.
  void engine_opened() noexcept;
  void engine_closed() noexcept;
  /// False if some were still open after `bound`.
  bool wait_until_no_engines(std::chrono::milliseconds bound) noexcept;

  // inproc namespace; `name` is the part after "inproc://".
  void inproc_bind(const std::string& name, socket_base& s);
  void inproc_unbind(const std::string& name, socket_base& s);
  void inproc_connect(const std::string& name, socket_base& s);
  /// Cancels `s`'s connects to `name` that wait for their bind; true if there were any. When
  /// it returns, a bind that completed one of them has already queued its `attach` in `s`'s
  /// mailbox (so the caller finds that pipe after processing its events).
  bool inproc_cancel_connect(const std::string& name, socket_base& s);
  /// The socket closes: forget its binds and its pending (not yet bound) connects.
  void inproc_forget(socket_base& s) noexcept;

private:
  // What one side needs of the other's options, copied on the owner's thread (the other
  // thread may be changing its options meanwhile).
  struct peer_view {
    int sndhwm;
    int rcvhwm;
    bool conflate;
    std::string routing_id;
  };
  static peer_view view_of(const socket_base& s);
  struct binding {
    framework::ref_ptr<socket_base> sock;
    peer_view view;
  };
  // A connect that came before its bind: the pipe exists (messages queue in it) unless the
  // connecter asked for IMMEDIATE, in which case it is made at bind time.
  struct pending {
    framework::ref_ptr<socket_base> connecter;
    peer_view view;
    framework::ref_ptr<pipe> p;  // null with IMMEDIATE
  };

  // Makes (or completes) the pipe between a connecter and a binder and hands each its end. A
  // pipe made at connect time gets the HWMs and CONFLATE both sides' options call for.
  void join(socket_base& connecter, const peer_view& cv, socket_base& binder, const peer_view& bv,
            const std::string& name, bool connecter_is_caller, framework::ref_ptr<pipe> existing);
  // A pending connect whose type cannot talk to the binder's: logged, reported to the
  // connecter's monitor, and its pipe (if any) closed from the binder's side, so that the
  // connecter drops its end on its own thread when it hears `peer_closed`.
  static void refuse(pending& pc, socket_base& binder, const std::string& name);

  framework::runtime* rt_;
  std::atomic<bool> terminated_{false};
  mutable std::mutex mutex_;
  std::condition_variable no_sockets_;
  std::set<socket_base*> sockets_;
  std::size_t engines_ = 0;
  std::map<std::string, binding, std::less<>> binds_;
  std::multimap<std::string, pending, std::less<>> pending_;
  // The names each socket bound or has a pending connect to (may hold names already gone),
  // so closing a socket forgets its names by key instead of walking every entry.
  std::unordered_map<const socket_base*, std::vector<std::string>> names_of_;
  // Names whose pending connects a bind is completing right now (outside the lock).
  std::multiset<std::string, std::less<>> joining_;
  std::condition_variable joins_done_;
};

}  // namespace troupe::messaging::internal
