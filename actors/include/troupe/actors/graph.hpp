#pragma once
/// Graphs: actors spawned by type, wired port to port, started, drained and stopped.

#include <troupe/actors/registry.hpp>
#include <troupe/framework/ref_counted.hpp>
#include <troupe/messaging/context.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors {

namespace internal { class graph_core; }

/// Misuse or bad configuration of a graph; the message names the actor and port concerned.
struct graph_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// How an actor is spawned.
struct spawn_options {
  /// Given to every replica as params().
  nlohmann::json params = nlohmann::json::object();
  /// N > 1 spawns a load-balanced pool "name[0]" .. "name[N-1]": connecting a PUSH output to
  /// "name.port" connects it to every replica's port, so the PUSH balances over them.
  int replicas = 1;
  supervision policy{};
  /// Handler style: messages taken per run before yielding to other actors.
  int batch = 64;
  /// A graph spread over processes: spawn only these replicas of the pool here (indices from
  /// 0; empty: all). The others live in other processes, reached by expose()/connect_remote().
  std::vector<int> only{};
};

/// Socket options of a link endpoint to or from another process (graph::expose,
/// graph::connect_remote); 0: the socket's own.
struct remote_link_options {
  int rate = 0;          ///< kbit/s, ZMQ_RATE (pgm/epgm); the same on both ends
  int recovery_ivl = 0;  ///< ms, ZMQ_RECOVERY_IVL (pgm/epgm); the same on both ends
};

/// How to stop.
enum class stop_mode {
  drain,  ///< sources stop producing; each stage finishes what is queued for it, then stops
  hard,   ///< every actor stops now; queued messages are dropped
};

/// How a run or a stop ended.
struct stop_report {
  /// Every actor finished within the time given.
  bool finished = false;
  /// The bound was hit (then `unfinished` names who was still running).
  bool timed_out = false;
  std::vector<std::string> unfinished;
  /// Set when supervision escalated (an actor exceeded its restart limit): names the actor
  /// and the reason. Also set on other fatal failures.
  std::string error;
  bool ok() const noexcept { return finished && !timed_out && error.empty(); }
};

/// One link between two actors (a pool's links are listed per replica).
struct link_info {
  std::string from;  ///< "actor.port" of the output (replicas by their own names)
  std::string to;    ///< "actor.port" of the input
  std::vector<std::string> topics;  ///< a PUB→SUB link's subscription (empty: everything)
  /// Whole messages the receiving input took from this link: counted per connection of the
  /// input's socket (each link is one connection, made at the sender's endpoint), so a link
  /// is told apart from the input's other links. Exact once the receiver has finished; while
  /// it runs, as of its last refresh (each links() call asks running receivers to refresh at
  /// their next run, so a periodic caller sees counts one period old). Messages still queued,
  /// or dropped by a PUB at its high-water mark, are not counted.
  std::uint64_t messages = 0;
};

/// A graph of actors in one process, on one messaging context (and so one runtime).
///
/// Addresses: "actor.port", where actor is a name given to spawn() (a whole pool) or one
/// replica ("work[1]"). Ports are sockets bound at `inproc://<graph>/<actor>/<port>`.
/// Links: connect() makes the input's socket connect to the output's endpoint, so messages
/// only ever travel through sockets.
///
/// Building (spawn, connect, subscribe, start) is for one thread; stop(), wait(), counters()
/// are thread-safe but must not be called from inside an actor (they block). Destroying a
/// running graph stops it hard. The context (and its runtime) must outlive the graph.
class graph {
public:
  graph(messaging::context& ctx, std::string name, const registry& types = registry::global());
  ~graph();
  graph(const graph&) = delete;
  graph& operator=(const graph&) = delete;

  const std::string& name() const noexcept;

  /// Spawns actor(s) of the registered type `type`. Throws graph_error for an unknown type, a
  /// duplicate or malformed name, or replicas < 1.
  void spawn(std::string name, std::string_view type, spawn_options o = {});
  /// Spawns actor(s) of type T without registering it (its type name is `name`'s).
  template <class T>
  void spawn(std::string name, spawn_options o = {}) {
    actor_type t = describe<T>(name);
    spawn_type(std::move(name), std::move(t), std::move(o));
  }

  /// Links an output to an input: PUSH→PULL, or PUB→SUB receiving everything. Throws
  /// graph_error naming both ends for an unknown actor or port, an input used as an output
  /// (or the reverse), or a PUSH output to a SUB input / PUB output to a PULL input.
  void connect(std::string_view from, std::string_view to);
  /// Links a PUB output to a SUB input that receives only messages whose first part starts
  /// with one of `topics` (key-partitioning: give each shard its keys).
  void subscribe(std::string_view from, std::string_view to, const std::vector<std::string>& topics);
  /// The endpoint of "actor.port" (one actor, not a pool), for sockets outside the graph.
  std::string endpoint(std::string_view address) const;

  /// "actor.port" of each required port that no link uses yet (replicas by their own names),
  /// in spawn order. start() refuses a graph where this is not empty.
  std::vector<std::string> unlinked_ports() const;
  /// The registry this graph spawns from.
  const registry& types() const noexcept;

  /// Checks that every required port is linked (graph_error naming the first that is not),
  /// then starts every actor. Once only.
  void start();
  /// Waits until every actor has finished (sources that returned, their stages drained), or an
  /// escalation stopped the graph, or `timeout` passed (then `timed_out`; nothing is stopped).
  stop_report wait(std::chrono::milliseconds timeout);
  /// Stops (see stop_mode) and waits at most `timeout`. A drain that times out becomes a hard
  /// stop (given one more `timeout`); the report says so. Never hangs on a well-behaved actor;
  /// a fiber actor stuck outside troupe's calls is named in `unfinished`. Idempotent.
  stop_report stop(stop_mode mode = stop_mode::drain, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Per-actor counters, readable while the graph runs:
  /// {"actor": {"type", "style", "state", "in", "out", "held", "queued", "busy_us", "restarts",
  ///  "failures", "ports": {"port": count, ...}, "queues": {"input": depth, ...}, and
  ///  "progress": {"done", "total"} once the actor called report_progress()}, ...}.
  /// "queued" is the inputs' queue depth (messages arrived and not yet taken) as the actor
  /// last sampled it (see port::queued()); 0 once it finished.
  nlohmann::json counters() const;
  /// Names of the actors (replicas by their own names), in spawn order.
  std::vector<std::string> actors() const;
  /// The type name of actor `name` (a replica's or a pool's); throws graph_error if unknown.
  const std::string& type_of(std::string_view name) const;
  /// Every link, in the order made, with its message count (see link_info::messages).
  /// Thread-safe like counters().
  std::vector<link_info> links() const;

  // ---- one process's part of a graph spread over several (docs/distributing.md) ----

  /// Sent messages per link endpoint of an actor that finished (see on_actor_finished()).
  using sent_counts = std::map<std::string, std::uint64_t, std::less<>>;

  /// Binds `endpoint` (ipc://, tcp://, or epgm:// for a multicast link) on output `from`
  /// ("actor.port" of one actor here) for one link to an input in another process, which
  /// connects to it. `subscriptions`: how many distinct topics that input's SUB socket
  /// subscribes to (0 for a PUSH output or a multicast endpoint), so that remote_ready() can
  /// tell when the publisher has them all. Returns the endpoint bound (a tcp wildcard port
  /// resolved). Before start(); throws graph_error naming the output.
  std::string expose(std::string_view from, std::string_view endpoint, int subscriptions, const remote_link_options& o = {});
  /// Links output `from` of actor `from`'s actor in another process, bound at `endpoint`, to
  /// input `to` here (one actor), subscribing to `topics` (a SUB input). The input's stream
  /// from that actor ends when remote_finished() has said how many messages it sent over
  /// `endpoint` and they have all been read. Before start().
  /// Over pgm/epgm (a multicast link), messages may be lost past repair: once the count is
  /// announced, the stream also ends when nothing arrived at `endpoint` for
  /// max(RECOVERY_IVL, 20 s) + 1 s, with a warning naming the link and how many were lost
  /// (docs/distributing.md#multicast-links). The count includes what `topics` filtered out.
  void connect_remote(std::string_view from, std::string_view endpoint, std::string_view to,
                      const std::vector<std::string>& topics, const remote_link_options& o = {});
  /// Before start(): input `to` here has a link from `from` (an actor of another process)
  /// that brings nothing, its sender having finished already (a restarted receiver's link
  /// from a sender that ended first). The input's stream from that actor ends when
  /// remote_finished() tells about it.
  void expect_remote(std::string_view from, std::string_view to);
  /// Running graph, any thread: output `from` also binds `endpoint`, for a link to an input
  /// restarted in another process, and unbinds `drop` (the link's endpoint before, whose peer
  /// is gone) unless empty. Done in the actor's own context, at its next run (a fiber actor:
  /// when it next waits). Returns the endpoint bound, or "" if the actor finished first (it
  /// sends nothing more). Throws graph_error naming the output if the bind fails or the
  /// actor does not take the change within `timeout`.
  std::string expose_running(std::string_view from, std::string_view endpoint, int subscriptions, std::string_view drop,
                             std::chrono::milliseconds timeout);
  /// Running graph, any thread: input `to`'s link from `from`, connected at `before`, comes
  /// from `endpoint` from now on (its sender was restarted in another process); its count of
  /// messages goes on from where it was. In the actor's context, as expose_running(). False
  /// if the actor finished first.
  bool reconnect_remote(std::string_view from, std::string_view before, std::string_view endpoint, std::string_view to,
                        std::chrono::milliseconds timeout);
  /// Actor `actor` of another process finished, having sent `sent[endpoint]` messages over
  /// each link endpoint it exposed (a missing endpoint: 0). Any thread; unknown actors are
  /// ignored (no link from them ends here).
  void remote_finished(std::string_view actor, const sent_counts& sent);
  /// Building thread, before start(): true when every exposed endpoint has its peer connected
  /// and every exposed PUB output has received its subscribers' subscriptions (so nothing
  /// published after start() is missed). Else false, and `waiting` names the first output
  /// still waiting.
  bool remote_ready(std::string& waiting);

  // ---- live migration, the steps of distributed_graph::move (docs/distributing.md#moving-an-actor).
  // Running graph, any thread; each step runs in the actor's own context at its next run (a
  // fiber actor: when it next waits) and throws graph_error if that does not come within
  // `timeout`.

  /// Output `from` ("actor.port" of one actor) paused, or resumed: its sends are held
  /// (handler style) or wait (fiber style), so its actor takes no input meanwhile. Returns
  /// the messages sent so far over each endpoint expose() bound for it; nullopt if the actor
  /// finished first.
  std::optional<sent_counts> pause_output(std::string_view from, bool paused, std::chrono::milliseconds timeout);
  /// Output `from` has a peer at `endpoint` (bound by expose_running()) and, a PUB, its
  /// `subscriptions` from there: what it publishes next reaches that peer. nullopt if the
  /// actor finished.
  std::optional<bool> exposure_ready(std::string_view from, std::string_view endpoint, int subscriptions, std::chrono::milliseconds timeout);
  /// What a moved actor leaves for its destination.
  struct moved_actor {
    nlohmann::json state;  ///< its save_state()
    /// Messages it sent over each endpoint expose() bound for it and over each output's own
    /// inproc endpoint (its in-process receivers, together).
    sent_counts sent;
  };
  /// Actor `actor` (handler style, its senders paused) stops here to move elsewhere: it
  /// reads what was sent to it — `expect[endpoint]` messages over each link from another
  /// process connected at `endpoint`, a finished sender's announced count, what its
  /// in-process senders queued — sends what it holds, and ends without finishing (no
  /// on_stop(), no end of stream downstream). nullopt if it finished first. Throws
  /// graph_error (and it goes on here) if it is fiber-style, save_state() fails, or it is
  /// not drained within `timeout`.
  std::optional<moved_actor> move_out(std::string_view actor, const sent_counts& expect, std::chrono::milliseconds timeout);
  /// Before start(): actor `actor`'s first instance starts from `state` (load_state()).
  void set_state(std::string_view actor, nlohmann::json state);
  /// Input `to`'s link from `from` (an actor moving to another process), connected at
  /// `before` — or in this process when `was_local` — also connects `endpoint`, where the
  /// moved actor will send from; the link's end of stream is counted there from now on.
  /// What is queued from `before` stays readable. False if the actor finished first.
  bool adopt_remote(std::string_view from, std::string_view before, std::string_view endpoint, std::string_view to,
                    bool was_local, std::chrono::milliseconds timeout);
  /// Messages input `to` ("actor.port") has read from connections at `endpoint`; nullopt if
  /// its actor finished.
  std::optional<std::uint64_t> received_from(std::string_view to, std::string_view endpoint, std::chrono::milliseconds timeout);
  /// Input `to` is done with `before` (everything from there read): disconnects from it if
  /// `disconnect`; its link count goes on at `endpoint`. False if its actor finished.
  bool forget_endpoint(std::string_view to, std::string_view before, std::string_view endpoint, bool disconnect,
                       std::chrono::milliseconds timeout);

  /// Called when an actor here finishes, on the thread that finished it (keep it short, do
  /// not block), with the messages it sent over each endpoint expose() bound for it (keys as
  /// expose() returned them). Set before start().
  void on_actor_finished(std::function<void(const std::string& actor, const sent_counts& sent)> fn);

private:
  void spawn_type(std::string name, actor_type t, spawn_options o);
  framework::ref_ptr<internal::graph_core> core_;
};

}  // namespace troupe::actors
