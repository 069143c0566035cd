#pragma once
/// A node: a process that hosts its part of distributed graphs (docs/distributing.md).
///
///     troupe::actors::node n(ctx, {.name = "b", .listen = "ipc:///tmp/troupe-b.ctl"});
///     n.run();  // serves a coordinator (`troupe run GRAPH.json`) until request_stop()
///
/// Control protocol: one ROUTER socket at `listen`; each coordinator talks to it through a
/// DEALER. Every message is one frame of JSON with "v": 1 (control_version). Commands carry
/// "cmd" and "id"; replies carry "re" (the id) and "ok", with "error" when not ok. Events
/// (node → coordinator, unasked) carry "event". See docs/architecture.md, "Distribution".

#include <troupe/actors/registry.hpp>
#include <troupe/messaging/context.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace troupe::actors {

/// Version of the control messages; a peer speaking another refuses them with an error.
inline constexpr int control_version = 1;

struct node_options {
  std::string name;    ///< as the graph files' "nodes" name it
  std::string listen;  ///< control endpoint to bind (ipc:// or tcp://)
  /// ZMTP heartbeats on the control connection (HEARTBEAT_IVL; the timeout is 10 intervals).
  std::chrono::milliseconds heartbeat{500};
};

/// Hosts the actors of one graph at a time, of the types in `types`, for coordinators.
/// run() is for one thread; request_stop() for any thread or a signal handler.
class node {
public:
  node(messaging::context& ctx, node_options o, const registry& types = registry::global());
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Binds the control endpoint (throws messaging::error naming it if it cannot), then serves
  /// commands until request_stop() or a "shutdown" command. A graph still running then is
  /// stopped hard.
  void run();
  /// Makes run() return soon. Async-signal-safe.
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

private:
  struct state;
  messaging::context& ctx_;
  node_options opts_;
  const registry& types_;
  std::atomic<bool> stop_{false};
};

}  // namespace troupe::actors
