// The coordinator of a distributed graph: one DEALER per node, owned by a loop thread that
// sends the commands callers queue, matches replies to them, relays "an actor finished" to
// the nodes its remote links end on, and records each node's "done".
#include <troupe/actors/distributed_graph.hpp>

#include "control.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/messaging/monitor.hpp>
#include <troupe/messaging/poller.hpp>
#include <troupe/messaging/socket.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unistd.h>

namespace troupe::actors {

namespace fw = troupe::framework;
using nlohmann::json;

namespace {

std::string new_run_id() {
  std::random_device rd;
  char b[32];
  std::snprintf(b, sizeof b, "%x-%08x", static_cast<unsigned>(::getpid()), static_cast<unsigned>(rd()));
  return b;
}

std::unique_ptr<messaging::socket> control_socket(messaging::context& ctx, const std::string& endpoint,
                                                  std::chrono::milliseconds heartbeat) {
  auto s = std::make_unique<messaging::socket>(ctx, messaging::socket_type::dealer);
  s->set(messaging::option::heartbeat_ivl, static_cast<int>(heartbeat.count()));
  s->set(messaging::option::heartbeat_timeout, static_cast<int>(internal::heartbeat_timeout_intervals * heartbeat.count()));
  s->set(messaging::option::linger, 1000);
  s->connect(endpoint);
  return s;
}

}  // namespace

struct distributed_graph::impl {
  impl(messaging::context& c, graph_description desc, std::string t, distribution_options opts)
      : ctx(c), d(std::move(desc)), text(std::move(t)), o(opts), run_id(new_run_id()) {
    if (!d.distributed()) throw graph_error("graph '" + d.name + "' lists no \"nodes\": run it in one process");
    plan = plan_placement(d, o.force_tcp);
    current = plan;
    for (const node_decl& n : d.nodes) {
      conn x{&n, control_socket(ctx, n.control, o.heartbeat), nullptr};
      // A control connection that closes (the node died, or missed its heartbeats) is a lost
      // node; its handshake tells that it was up.
      const std::string ep = "inproc://troupe-coordinator-" + run_id + "-" + n.name;
      x.sock->monitor(ep, messaging::monitor_event::handshake_succeeded | messaging::monitor_event::disconnected);
      x.events = std::make_unique<messaging::socket>(ctx, messaging::socket_type::pair);
      x.events->connect(ep);
      conns.push_back(std::move(x));
    }
    done.assign(conns.size(), false);
    min_gen.assign(conns.size(), 0);
    errors.assign(conns.size(), "");
    lost.assign(conns.size(), false);
    loop = std::thread([this] { run(); });
  }
  ~impl() {
    {
      std::lock_guard lock(mutex);
      stop_recovery = true;
      changed.notify_all();
    }
    if (recoverer.joinable()) recoverer.join();  // bounded: its requests time out
    quit.store(true);
    if (controller.joinable()) controller.join();
    if (loop.joinable()) loop.join();
  }

  messaging::context& ctx;
  graph_description d;
  std::string text;
  distribution_options o;
  std::string run_id;
  placement_plan plan;
  struct conn {
    const node_decl* decl;
    std::unique_ptr<messaging::socket> sock;  // the loop thread's
    std::unique_ptr<messaging::socket> events;  // its monitor (PAIR): the connection's events
  };
  std::vector<conn> conns;
  std::thread loop;
  std::atomic<bool> quit{false};
  bool deployed = false, started = false;  // caller's thread
  bool attached = false;                   // caller's thread: attach() instead of deploy()

  struct request {
    std::size_t node;
    json cmd;
    std::shared_ptr<std::promise<json>> reply;
  };
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<request> outbox;     // under mutex
  std::vector<bool> done;          // under mutex: the node said "done"
  std::vector<std::string> errors; // under mutex: what it said went wrong
  std::vector<bool> lost;          // under mutex: its control connection closed
  std::vector<int> min_gen;        // under mutex: a "done" of an older generation is stale
  std::atomic<bool> running{false};  // started: a lost node's actors may be restarted
  // Where everything is now (plan, then each restart's relocate()), and the actors that
  // finished, with their "finished" events: under mutex.
  placement_plan current;
  std::map<std::string, json, std::less<>> finished_events;
  // Restarts of lost nodes' actors (on_node_lost: restart), one at a time on their own thread
  // (they wait for the nodes' answers, which the loop thread receives).
  std::deque<std::size_t> to_recover;  // under mutex
  int recovering = 0;                  // under mutex: queued or under way
  int gens = 0;                        // under reshaping
  std::mutex reshaping;                // one restart or move at a time
  std::thread controller;              // serves o.control once started (serve_control)
  bool stop_recovery = false;          // under mutex
  std::thread recoverer;               // loop thread starts it

  void run() {
    messaging::poller poll;
    for (std::size_t i = 0; i < conns.size(); ++i) poll.add(*conns[i].sock, messaging::poll_events::in, reinterpret_cast<void*>(i));
    std::vector<messaging::poll_event> ready;
    std::map<long, std::shared_ptr<std::promise<json>>> waiting;
    long next_id = 1;
    for (std::size_t i = 0; i < conns.size(); ++i) poll.add(*conns[i].events, messaging::poll_events::in, nullptr);
    messaging::message in;
    messaging::multipart ev;
    while (!quit.load()) {
      std::vector<request> sends;
      {
        std::lock_guard lock(mutex);
        sends.swap(outbox);
      }
      for (request& r : sends) {
        const long id = next_id++;
        r.cmd["id"] = id;
        if (r.reply) waiting[id] = r.reply;
        conns[r.node].sock->send(internal::control_frame(std::move(r.cmd)), messaging::flags::dontwait);
      }
      poll.wait(ready, std::chrono::milliseconds(10));
      for (std::size_t i = 0; i < conns.size(); ++i) {
        while (conns[i].events->recv(ev, messaging::flags::dontwait)) {
          if (ev.size() != 2) continue;
          const auto rec = messaging::parse_monitor_event(ev[0], ev[1]);
          if (!rec || rec->event != messaging::monitor_event::disconnected) continue;
          std::lock_guard lock(mutex);
          if (done[i] || lost[i]) continue;
          lost[i] = true;
          const std::string head = "node '" + conns[i].decl->name + "' at " + conns[i].decl->control +
                                   " lost: its control connection closed (the process ended, or missed its heartbeats); actors lost: " +
                                   actors_on(conns[i].decl->name);
          if (d.on_node_lost == graph_description::node_loss_policy::restart && running.load()) {
            fw::log(fw::log_level::warning, "graph '" + d.name + "': " + head + " (on_node_lost: restart)");
            to_recover.push_back(i);
            ++recovering;
            if (!recoverer.joinable()) recoverer = std::thread([this] { recover_loop(); });
          } else if (d.on_node_lost == graph_description::node_loss_policy::restart) {
            errors[i] = head + " (on_node_lost: restart applies only to a run this coordinator started, not before start or after --attach)";
            fw::log(fw::log_level::error, "graph '" + d.name + "': " + errors[i]);
          } else {
            errors[i] = head + " (on_node_lost: stop)";
            fw::log(fw::log_level::error, "graph '" + d.name + "': " + errors[i]);
          }
          changed.notify_all();
        }
      }
      for (std::size_t i = 0; i < conns.size(); ++i) {
        while (conns[i].sock->recv(in, messaging::flags::dontwait)) {
          json j = internal::parse_control(in);
          if (j.contains("bad")) {
            fw::log(fw::log_level::error, "node '" + conns[i].decl->name + "' sent a bad control message: " + j["bad"].get<std::string>());
            continue;
          }
          if (j.contains("re")) {
            if (!j["re"].is_number_integer()) continue;
            auto it = waiting.find(j["re"].get<long>());
            if (it == waiting.end()) continue;
            it->second->set_value(std::move(j));
            waiting.erase(it);
          } else if (j.value("event", "") == "finished") {
            relay_finished(j, next_id);
          } else if (j.value("event", "") == "done") {
            std::lock_guard lock(mutex);
            if (j.value("gen", 0) < min_gen[i]) continue;  // sent before it took restarted actors
            done[i] = true;
            if (!j.value("ok", true)) errors[i] = "node '" + conns[i].decl->name + "': " + j.value("error", std::string("failed"));
            changed.notify_all();
          }
        }
      }
    }
  }

  /// The actors placed on `node` now, as "a, b[1]"; those finished are left out if
  /// `unfinished`. Under mutex.
  std::string actors_on(const std::string& node, bool unfinished = false) const {
    std::string v;
    for (const std::string& a : current.actors)
      if (current.node_of.at(a) == node && !(unfinished && finished_events.contains(a))) v += (v.empty() ? "" : ", ") + a;
    return v.empty() ? "none" : v;
  }

  void recover_loop() {
    for (;;) {
      std::size_t i = 0;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stop_recovery || !to_recover.empty(); });
        if (stop_recovery) return;
        i = to_recover.front();
        to_recover.pop_front();
      }
      std::string error;
      try {
        restart_actors_of(i);
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard lock(mutex);
      if (!error.empty()) {
        errors[i] = "node '" + conns[i].decl->name + "' at " + conns[i].decl->control + " lost; restarting its actors failed: " + error;
        fw::log(fw::log_level::error, "graph '" + d.name + "': " + errors[i]);
      }
      --recovering;
      changed.notify_all();
    }
  }

  /// on_node_lost: restart. The unfinished actors of lost node `i` start again on the node
  /// with the fewest unfinished actors: relocate (that node builds them, senders feeding them
  /// bind new endpoints), rewire (their inputs connect, their receivers reconnect), the
  /// finished senders' counts, start. Recoverer thread; throws graph_error on failure.
  void restart_actors_of(std::size_t i) {
    std::lock_guard one(reshaping);
    std::map<std::string, std::string> moves;
    std::vector<std::size_t> alive, skip;
    std::vector<json> replay;
    std::size_t target = conns.size();
    int gen = 0;
    placement_plan now;
    {
      std::lock_guard lock(mutex);
      const std::string& lost_name = conns[i].decl->name;
      std::map<std::string, int> load;
      for (std::size_t k = 0; k < conns.size(); ++k) {
        if (lost[k]) continue;
        alive.push_back(k);
        load[conns[k].decl->name] = 0;
      }
      for (const std::string& a : current.actors) {
        if (finished_events.contains(a)) continue;
        const std::string& n = current.node_of.at(a);
        if (n == lost_name) moves[a] = "";
        else if (load.contains(n)) ++load[n];
      }
      if (moves.empty()) return;  // everything there had finished
      for (std::size_t k : alive)
        if (target == conns.size() || load[conns[k].decl->name] < load[conns[target].decl->name]) target = k;
      if (target == conns.size()) throw graph_error("no node is left to restart them on");
      // A restarted end of a multicast link would need the group rejoined and PGM's windows
      // started again mid-stream: not built, so the run stops with this error instead.
      for (const placed_link& l : current.links)
        if (l.multicast && (moves.contains(l.from_actor()) || moves.contains(l.to_actor())))
          throw graph_error("link " + l.from + " -> " + l.to + " is multicast, and restarting the ends of multicast links is not supported");
      for (auto& [a, n] : moves) n = conns[target].decl->name;
      gen = ++gens;
      relocate(current, d, moves, gen, o.force_tcp);
      finished_senders(gen, skip, replay);
      done[target] = false;
      min_gen[target] = gen;
      now = current;
      std::string names;
      for (const auto& [a, n] : moves) names += (names.empty() ? "" : ", ") + a;
      fw::log(fw::log_level::warning, "graph '" + d.name + "': restarting " + names + " of lost node '" + lost_name + "' on node '" +
                                          conns[target].decl->name + "' (on_node_lost: restart)");
    }
    const auto t = o.answer_timeout;
    const json gen_cmd{{"gen", gen}, {"timeout_ms", t.count()}};
    const json endpoints = relocate_on(alive, {{"cmd", "relocate"}, {"moves", moves}, {"skip", skip}}, gen_cmd, now, gen);
    to_nodes(alive, {{"cmd", "rewire"}, {"endpoints", endpoints}}, gen_cmd, 2 * t);
    start_moved(target, replay, gen);
    fw::log(fw::log_level::info, "graph '" + d.name + "': restarted on node '" + conns[target].decl->name + "'");
  }

  /// The links of generation `gen` whose senders finished already (`skip`: nothing to bind)
  /// and their "finished" events, once each (`replay`). Under mutex.
  void finished_senders(int gen, std::vector<std::size_t>& skip, std::vector<json>& replay) const {
    std::set<std::string> replayed;
    for (const placed_link& l : current.links) {
      if (l.gen != gen || !l.remote()) continue;
      auto f = finished_events.find(l.from_actor());
      if (f == finished_events.end()) continue;
      skip.push_back(l.id);
      if (replayed.insert(f->first).second) replay.push_back(f->second);
    }
  }

  /// The "relocate" step of a restart or a move on the nodes `alive`: the endpoint each link
  /// of generation `gen` (in plan `now`) got, by link id (null: its sender had finished).
  json relocate_on(const std::vector<std::size_t>& alive, const json& cmd, const json& extra, const placement_plan& now, int gen) {
    json exposed = json::object();
    for (const json& a : to_nodes(alive, cmd, extra, 2 * o.answer_timeout))
      for (const auto& [id, ep] : a.at("exposed").items()) exposed[id] = ep;
    json endpoints = json::object();
    for (const placed_link& l : now.links) {
      if (l.gen != gen || !l.remote()) continue;
      const std::string key = std::to_string(l.id);
      endpoints[key] = exposed.contains(key) ? exposed[key] : json(nullptr);
      fw::log(fw::log_level::info, "link " + l.from + " (" + l.from_node + ") -> " + l.to + " (" + l.to_node + "): " + l.transport +
                                        (endpoints[key].is_null() ? " (its sender had finished)" : " at " + endpoints[key].get<std::string>()));
    }
    return endpoints;
  }

  /// The last step of a restart or a move: node `target` learns of the senders that finished
  /// (`replay`) and starts its part `gen`.
  void start_moved(std::size_t target, const std::vector<json>& replay, int gen) {
    const auto t = o.answer_timeout;
    for (const json& e : replay)
      to_nodes({target}, {{"cmd", "upstream_finished"}, {"actor", e.at("actor")}, {"sent", e.at("sent")}}, json::object(), t);
    to_nodes({target}, {{"cmd", "start_part"}, {"gen", gen}, {"ready_timeout_ms", t.count()}}, json::object(), 2 * t);
  }

  /// `cmd` with `extra` to the nodes `to`, at once; their answers (each must be ok).
  std::vector<json> to_nodes(const std::vector<std::size_t>& to, json cmd, const json& extra, std::chrono::milliseconds timeout) {
    for (const auto& [k, v] : extra.items()) cmd[k] = v;
    std::vector<std::future<json>> fs;
    for (std::size_t k : to) fs.push_back(post(k, cmd));
    std::vector<json> answers;
    for (std::size_t n = 0; n < to.size(); ++n) answers.push_back(answer(to[n], fs[n], cmd.value("cmd", ""), true, timeout));
    return answers;
  }

  /// distributed_graph::move (docs/distributing.md#moving-an-actor).
  void move(const std::string& actor, const std::string& node) {
    std::lock_guard one(reshaping);
    std::vector<std::size_t> alive;
    std::size_t target = conns.size(), source = conns.size();
    int gen = 0;
    std::string from_node;
    {
      std::lock_guard lock(mutex);
      if (!running.load()) throw graph_error("graph '" + d.name + "': cannot move actor '" + actor + "': the graph is not running");
      if (!current.node_of.contains(actor)) {
        std::string names;
        for (const std::string& a : current.actors) names += (names.empty() ? "" : ", ") + a;
        throw graph_error("cannot move actor '" + actor + "': graph '" + d.name + "' has no such actor (actors: " + names + ")");
      }
      if (!d.find_node(node)) {
        std::string names;
        for (const node_decl& n : d.nodes) names += (names.empty() ? "" : ", ") + n.name;
        throw graph_error("cannot move actor '" + actor + "' to node '" + node + "': graph '" + d.name + "' has no such node (nodes: " + names + ")");
      }
      if (finished_events.contains(actor)) throw graph_error("cannot move actor '" + actor + "': it has finished");
      from_node = current.node_of.at(actor);
      if (from_node == node) throw graph_error("cannot move actor '" + actor + "' to node '" + node + "': it runs there already");
      for (std::size_t k = 0; k < conns.size(); ++k) {
        if (conns[k].decl->name == node) target = k;
        if (conns[k].decl->name == from_node) source = k;
        if (!lost[k]) alive.push_back(k);
      }
      if (lost[target]) throw graph_error("cannot move actor '" + actor + "' to node '" + node + "': that node is lost");
      if (lost[source]) throw graph_error("cannot move actor '" + actor + "': its node '" + from_node + "' is lost");
      for (const placed_link& l : current.links)
        if (l.multicast && (l.from_actor() == actor || l.to_actor() == actor))
          throw graph_error("cannot move actor '" + actor + "': its link " + l.from + " -> " + l.to +
                            " is multicast, and moving the ends of multicast links is not supported");
      gen = ++gens;
      done[target] = false;  // it runs an actor again, of this generation
      min_gen[target] = gen;
      ++recovering;
    }
    struct under_way {
      impl* self;
      ~under_way() {
        std::lock_guard lock(self->mutex);
        --self->recovering;
        self->changed.notify_all();
      }
    } guard{this};
    fw::log(fw::log_level::info, "graph '" + d.name + "': moving " + actor + " from node '" + from_node + "' to node '" + node + "'");
    const auto t = o.answer_timeout, drain = o.drain_timeout;
    const json gen_cmd{{"gen", gen}, {"timeout_ms", t.count()}, {"drain_timeout_ms", drain.count()}};
    // 1. Its senders pause: what each sent it is final.
    json expect = json::object();
    for (const json& a : to_nodes(alive, {{"cmd", "pause"}, {"actor", actor}, {"on", true}}, gen_cmd, 2 * t))
      for (const auto& [id, n] : a.at("sent").items()) expect[id] = n;
    auto resume = [&] { to_nodes(alive, {{"cmd", "pause"}, {"actor", actor}, {"on", false}}, gen_cmd, 2 * t); };
    // 2. It reads all that, sends what it holds, and leaves with its state.
    json out;
    try {
      out = to_nodes({source}, {{"cmd", "move_out"}, {"actor", actor}, {"expect", expect}}, gen_cmd, drain + 2 * t).front();
    } catch (...) {
      resume();  // it stays where it is
      throw;
    }
    if (out.value("finished", false)) {
      resume();
      throw graph_error("cannot move actor '" + actor + "': it finished first");
    }
    try {
      std::vector<std::size_t> skip;
      std::vector<json> replay;
      placement_plan now;
      {
        std::lock_guard lock(mutex);
        relocate(current, d, {{actor, node}}, gen, o.force_tcp);
        finished_senders(gen, skip, replay);
        now = current;
      }
      // 3. It is built on `node` from its state; its senders bind new endpoints for it.
      const json endpoints = relocate_on(
          alive, {{"cmd", "relocate"}, {"moves", {{actor, node}}}, {"skip", skip}, {"state", {{actor, out.at("state")}}}}, gen_cmd, now, gen);
      // 4. Its inputs connect to its senders; its receivers read what it sent before, then
      // take what it sends from its new place.
      to_nodes(alive, {{"cmd", "rewire"}, {"endpoints", endpoints}, {"drain", out.at("sent")}, {"port_drain", out.at("port_sent")}}, gen_cmd,
               drain + 2 * t);
      // 5. Its senders go on (towards its new place), it starts.
      resume();
      start_moved(target, replay, gen);
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      errors[source] = "graph '" + d.name + "': moving actor '" + actor + "' to node '" + node + "' failed after it left node '" + from_node +
                       "': " + e.what();
      fw::log(fw::log_level::error, errors[source]);
      changed.notify_all();
      throw graph_error(errors[source]);
    }
    fw::log(fw::log_level::info, "graph '" + d.name + "': " + actor + " moved to node '" + node + "'");
  }

  /// Serves o.control: "move" requests (REP, one at a time) until the coordinator goes.
  void serve_control() {
    messaging::socket rep(ctx, messaging::socket_type::rep);
    try {
      rep.set(messaging::option::rcvtimeo, 100);
      rep.set(messaging::option::linger, 0);
      rep.bind(o.control);
    } catch (const std::exception& e) {
      fw::log(fw::log_level::warning, "graph '" + d.name + "': cannot serve commands at " + o.control + " (`troupe move` cannot reach this run): " + e.what());
      return;
    }
    messaging::message m;
    while (!quit.load()) {
      if (!rep.recv(m)) continue;
      json c = internal::parse_control(m);
      json r{{"ok", true}};
      try {
        if (c.contains("bad")) throw graph_error("bad request: " + c["bad"].get<std::string>());
        if (c.value("cmd", "") != "move") throw graph_error("unknown command '" + c.value("cmd", "") + "' (the coordinator serves: move)");
        move(c.at("actor").get<std::string>(), c.at("to").get<std::string>());
      } catch (const std::exception& e) {
        r = {{"ok", false}, {"error", e.what()}};
      }
      rep.send(internal::control_frame(std::move(r)));
    }
    if (o.control.starts_with("ipc://")) ::unlink(o.control.substr(6).c_str());
  }

  /// An actor finished on some node: its remote links' receivers learn how many messages to
  /// expect (loop thread).
  void relay_finished(const json& e, long& next_id) {
    const std::string actor = e.at("actor").get<std::string>();
    std::set<std::string> to;
    {
      std::lock_guard lock(mutex);
      finished_events[actor] = e;
      for (const placed_link& l : current.links)
        if (l.remote() && l.from_actor() == actor) to.insert(l.to_node);
    }
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (!to.count(conns[i].decl->name)) continue;
      json c{{"cmd", "upstream_finished"}, {"actor", actor}, {"sent", e.at("sent")}, {"id", next_id++}};
      conns[i].sock->send(internal::control_frame(std::move(c)), messaging::flags::dontwait);
    }
  }

  std::future<json> post(std::size_t node, json cmd) {
    auto p = std::make_shared<std::promise<json>>();
    std::future<json> f = p->get_future();
    std::lock_guard lock(mutex);
    outbox.push_back({node, std::move(cmd), std::move(p)});
    return f;
  }

  /// The answer of `node`, or a graph_error saying it did not answer or what went wrong.
  json answer(std::size_t node, std::future<json>& f, const std::string& cmd, bool must_be_ok = true,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const {
    if (timeout.count() == 0) timeout = o.answer_timeout;
    if (f.wait_for(timeout) != std::future_status::ready) {
      const node_decl& n = *conns[node].decl;
      throw graph_error("node '" + n.name + "' at " + n.control + " did not answer '" + cmd + "' within " +
                        std::to_string(timeout.count()) + " ms (is `troupe node --name " + n.name + " --listen " +
                        n.control + "` running?)");
    }
    json j = f.get();
    if (must_be_ok && !j.value("ok", false)) throw graph_error(j.value("error", std::string("node '" + conns[node].decl->name + "' refused '" + cmd + "'")));
    return j;
  }

  /// `cmd` to every node not lost, at once; the answers in node order. Unless `must_be_ok`,
  /// a node that does not answer (or is lost) gives {"ok": false, "error": ...} instead of
  /// an exception.
  std::vector<json> all_tolerant(const json& cmd, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    std::vector<std::future<json>> fs(conns.size());
    std::vector<bool> skip(conns.size());
    {
      std::lock_guard lock(mutex);
      skip = lost;
    }
    for (std::size_t i = 0; i < conns.size(); ++i)
      if (!skip[i]) fs[i] = post(i, cmd);
    std::vector<json> v;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (skip[i]) {
        v.push_back({{"ok", false}, {"lost", true}, {"error", "node '" + conns[i].decl->name + "' is lost"}});
        continue;
      }
      try {
        v.push_back(answer(i, fs[i], cmd.value("cmd", ""), false, timeout));
      } catch (const graph_error& e) {
        v.push_back({{"ok", false}, {"error", e.what()}});
      }
    }
    return v;
  }

  /// `cmd` to every node at once; the answers in node order.
  std::vector<json> all(const json& cmd, bool must_be_ok = true, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    std::vector<std::future<json>> fs;
    for (std::size_t i = 0; i < conns.size(); ++i) fs.push_back(post(i, cmd));
    std::vector<json> v;
    for (std::size_t i = 0; i < conns.size(); ++i) v.push_back(answer(i, fs[i], cmd.value("cmd", ""), must_be_ok, timeout));
    return v;
  }
};

distributed_graph::distributed_graph(messaging::context& ctx, graph_description d, std::string text, distribution_options o)
    : p_(std::make_unique<impl>(ctx, std::move(d), std::move(text), o)) {}

distributed_graph::~distributed_graph() {
  if (p_->deployed) {
    try {
      if (p_->started) {
        const stop_report r = wait(std::chrono::milliseconds(0));
        if (!r.finished) stop(stop_mode::hard, std::chrono::seconds(5));
      }
      p_->all_tolerant({{"cmd", "teardown"}}, std::chrono::seconds(3));
    } catch (const std::exception& e) {
      fw::log(fw::log_level::error, "graph '" + p_->d.name + "': teardown: " + e.what());
    }
  }
}

const std::string& distributed_graph::name() const noexcept { return p_->d.name; }
const placement_plan& distributed_graph::plan() const noexcept { return p_->plan; }

void distributed_graph::deploy() {
  if (p_->deployed) throw graph_error("graph '" + p_->d.name + "': deploy() called twice");
  const std::vector<json> hello = p_->all({{"cmd", "hello"}});
  for (std::size_t i = 0; i < hello.size(); ++i) {
    const std::string named = hello[i].value("node", "");
    if (named != p_->conns[i].decl->name)
      throw graph_error("the node at " + p_->conns[i].decl->control + " is named '" + named + "', not '" + p_->conns[i].decl->name + "'");
  }
  // A node busy with a run of another coordinator (alive or gone) is left alone: refused
  // here, before anything is deployed (and torn down again on every node).
  for (std::size_t i = 0; i < hello.size(); ++i) {
    if (hello[i].value("state", "idle") == "idle") continue;
    throw graph_error("node '" + p_->conns[i].decl->name + "' at " + p_->conns[i].decl->control + " is busy with graph '" +
                      hello[i].value("graph", "?") + "' (run " + hello[i].value("run", "?") + ", " + hello[i].value("state", "?") +
                      ") of another coordinator, running or gone: `troupe stop " + p_->d.file + "` stops it, `troupe run " +
                      p_->d.file + " --attach` follows it to its end");
  }
  p_->deployed = true;  // from here on, teardown on destruction
  const std::vector<json> parts = p_->all({{"cmd", "deploy"}, {"run", p_->run_id}, {"file", p_->d.file}, {"text", p_->text},
                                           {"force_tcp", p_->o.force_tcp}});
  json endpoints = json::object();
  for (const json& r : parts)
    for (const auto& [id, ep] : r.at("exposed").items()) endpoints[id] = ep;
  for (const placed_link& l : p_->plan.links) {
    if (!l.remote()) continue;
    const std::string key = std::to_string(l.id);
    fw::log(fw::log_level::info, "link " + l.from + " (" + l.from_node + ") -> " + l.to + " (" + l.to_node + "): " + transport_text(l) +
                                      (endpoints.contains(key) ? " at " + endpoints[key].get<std::string>() : ""));
  }
  p_->all({{"cmd", "connect"}, {"endpoints", endpoints}});
}

std::string distributed_graph::attach() {
  if (p_->deployed) throw graph_error("graph '" + p_->d.name + "': attach() after deploy() or attach()");
  const std::vector<json> hello = p_->all_tolerant({{"cmd", "hello"}});
  std::string run;
  std::vector<bool> busy(hello.size());
  for (std::size_t i = 0; i < hello.size(); ++i) {
    const std::string& name = p_->conns[i].decl->name;
    if (!hello[i].value("ok", false)) {
      std::lock_guard lock(p_->mutex);
      p_->lost[i] = true;
      p_->errors[i] = hello[i].value("error", "node '" + name + "' did not answer");
      continue;
    }
    if (hello[i].value("node", "") != name)
      throw graph_error("the node at " + p_->conns[i].decl->control + " is named '" + hello[i].value("node", "") + "', not '" + name + "'");
    if (hello[i].value("state", "idle") == "idle") continue;
    if (hello[i].value("graph", "") != p_->d.name)
      throw graph_error("node '" + name + "' runs graph '" + hello[i].value("graph", "") + "', not '" + p_->d.name + "'");
    const std::string r = hello[i].value("run", "");
    if (!run.empty() && r != run) throw graph_error("the nodes run different runs of graph '" + p_->d.name + "': " + run + " and " + r + " (node '" + name + "')");
    run = r;
    busy[i] = true;
  }
  if (run.empty()) throw graph_error("no node of graph '" + p_->d.name + "' is running it");
  p_->run_id = run;
  p_->deployed = p_->attached = true;  // from here on, teardown on destruction
  std::vector<std::future<json>> fs(hello.size());
  for (std::size_t i = 0; i < hello.size(); ++i) {
    if (busy[i]) fs[i] = p_->post(i, {{"cmd", "attach"}, {"run", run}});
    // Idle (its part, if any, ended and was torn down) or deployed (never started: nothing
    // runs there, nor will without a "start"): nothing to wait for.
    const std::string st = hello[i].value("state", "");
    if (hello[i].value("ok", false) && (st == "idle" || st == "deployed")) {
      std::lock_guard lock(p_->mutex);
      p_->done[i] = true;
    }
  }
  for (std::size_t i = 0; i < hello.size(); ++i)
    if (busy[i]) p_->answer(i, fs[i], "attach");
  return run;
}

void distributed_graph::start() {
  if (p_->attached && !p_->started) {
    p_->started = true;  // the nodes run already
    return;
  }
  if (!p_->deployed) throw graph_error("graph '" + p_->d.name + "': start() before deploy()");
  if (p_->started) throw graph_error("graph '" + p_->d.name + "': start() called twice");
  // A node answers "start" once its links are ready, or with what it still waits for after
  // answer_timeout; the answer itself may take answer_timeout more. If one fails, the
  // destructor's teardown stops the nodes that did start.
  p_->all({{"cmd", "start"}, {"ready_timeout_ms", p_->o.answer_timeout.count()}}, true, 2 * p_->o.answer_timeout);
  p_->started = true;
  p_->running.store(true);
  if (!p_->o.control.empty()) p_->controller = std::thread([p = p_.get()] { p->serve_control(); });
}

void distributed_graph::move(const std::string& actor, const std::string& node) { p_->move(actor, node); }

std::string coordinator_endpoint(const graph_description& d) {
  // A run is its graph on its nodes: two runs of one graph on other nodes do not collide.
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const node_decl& n : d.nodes)
    for (const char ch : n.name + "=" + n.control + ";") h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  char tail[24];
  std::snprintf(tail, sizeof tail, "-%08x.ipc", static_cast<unsigned>(h ^ (h >> 32)));
  return "ipc:///tmp/troupe-coordinator-" + d.name + tail;
}

void request_move(messaging::context& ctx, const std::string& endpoint, const std::string& actor, const std::string& node,
                  std::chrono::milliseconds timeout) {
  if (endpoint.starts_with("ipc://") && !std::filesystem::exists(endpoint.substr(6)))
    throw graph_error("no coordinator serves commands at " + endpoint + " (is `troupe run` of this graph running on this host?)");
  messaging::socket s(ctx, messaging::socket_type::req);
  s.set(messaging::option::rcvtimeo, static_cast<int>(timeout.count()));
  s.set(messaging::option::linger, 1000);  // an orderly close once answered (0 would look like a broken connection)
  s.connect(endpoint);
  s.send(internal::control_frame({{"cmd", "move"}, {"actor", actor}, {"to", node}}));
  messaging::message m;
  if (!s.recv(m))
    throw graph_error("the coordinator at " + endpoint + " did not answer within " + std::to_string(timeout.count()) +
                      " ms (is `troupe run` of this graph running on this host?)");
  const json j = internal::parse_control(m);
  if (j.contains("bad")) throw graph_error("the coordinator at " + endpoint + ": " + j["bad"].get<std::string>());
  if (!j.value("ok", false)) throw graph_error(j.value("error", std::string("the move failed")));
}

stop_report distributed_graph::wait(std::chrono::milliseconds timeout) { return wait_nodes(timeout, true); }

stop_report distributed_graph::wait_nodes(std::chrono::milliseconds timeout, bool until_error) {
  stop_report r;
  std::unique_lock lock(p_->mutex);
  // Ended: every node done or lost; or, `until_error`, any node reported an error.
  auto finished = [&] {
    bool all = true;
    for (std::size_t i = 0; i < p_->done.size(); ++i) {
      if (until_error && !p_->errors[i].empty()) return true;
      all = all && (p_->done[i] || p_->lost[i]);
    }
    return all && p_->recovering == 0;
  };
  const bool ended = p_->changed.wait_for(lock, timeout, finished);
  bool all = true;
  for (std::size_t i = 0; i < p_->done.size(); ++i) {
    if (!p_->errors[i].empty()) r.error += (r.error.empty() ? "" : "; ") + p_->errors[i];
    if (!p_->done[i] && !p_->lost[i]) {  // a lost node runs nothing any more (its error says so)
      all = false;
      r.unfinished.push_back("node " + p_->conns[i].decl->name);
    }
  }
  r.finished = all && p_->recovering == 0;
  if (p_->recovering > 0) r.unfinished.push_back("restarts of lost nodes' actors");
  r.timed_out = !ended;
  return r;
}

stop_report distributed_graph::stop(stop_mode mode, std::chrono::milliseconds timeout) {
  if (!p_->started) throw graph_error("graph '" + p_->d.name + "': stop() before start()");
  for (const json& a : p_->all_tolerant({{"cmd", "stop"}, {"mode", mode == stop_mode::hard ? "hard" : "drain"}, {"timeout_ms", timeout.count()}}))
    if (!a.value("ok", false) && !a.value("lost", false)) fw::log(fw::log_level::error, "graph '" + p_->d.name + "': stop: " + a.value("error", std::string("?")));
  // A node's drain that times out becomes hard there, with one more `timeout`.
  stop_report r = wait_nodes(2 * timeout + std::chrono::seconds(2), false);
  return r;
}

nlohmann::json distributed_graph::counters() const {
  json c = json::object();
  const std::vector<json> st = p_->all_tolerant({{"cmd", "status"}}, std::chrono::seconds(2));
  std::map<std::string, std::string, std::less<>> node_of;
  {
    std::lock_guard lock(p_->mutex);
    node_of = p_->current.node_of;
  }
  for (std::size_t i = 0; i < st.size(); ++i) {
    if (!st[i].contains("counters")) continue;
    for (const auto& [actor, entry] : st[i]["counters"].items()) {
      json v = entry;
      v["node"] = p_->conns[i].decl->name;
      const bool current = node_of.contains(actor) && node_of.at(actor) == p_->conns[i].decl->name;
      internal::merge_counters(c, actor, std::move(v), current);  // a moved actor: each place it ran
    }
  }
  // In spawn order, and every actor present (a node that answered nothing: zeros).
  json ordered = json::object();
  for (const std::string& a : p_->plan.actors) {
    if (c.contains(a)) {
      ordered[a] = c[a];
    } else {
      ordered[a] = {{"type", "?"}, {"state", "unknown"}, {"in", 0}, {"out", 0}, {"held", 0}, {"queued", 0},
                    {"busy_us", 0}, {"restarts", 0}, {"failures", 0}, {"ports", json::object()},
                    {"queues", json::object()}, {"node", node_of.at(a)}};
    }
  }
  return ordered;
}

std::vector<std::string> distributed_graph::actors() const { return p_->plan.actors; }

std::vector<link_info> distributed_graph::links() const {
  std::vector<link_info> v;
  for (const json& s : p_->all_tolerant({{"cmd", "status"}}, std::chrono::seconds(2))) {
    if (!s.contains("links")) continue;
    for (const json& l : s["links"])
      v.push_back({l.at("from").get<std::string>(), l.at("to").get<std::string>(), l.at("topics").get<std::vector<std::string>>(),
                   l.at("messages").get<std::uint64_t>()});
  }
  return v;
}

nlohmann::json distributed_graph::status() const {
  json out = json::object();
  std::vector<std::future<json>> fs;
  for (std::size_t i = 0; i < p_->conns.size(); ++i) fs.push_back(p_->post(i, {{"cmd", "status"}}));
  for (std::size_t i = 0; i < fs.size(); ++i) {
    try {
      out[p_->conns[i].decl->name] = p_->answer(i, fs[i], "status");
    } catch (const std::exception& e) {
      out[p_->conns[i].decl->name] = {{"error", e.what()}};
    }
  }
  return out;
}

nlohmann::json node_status(messaging::context& ctx, const std::string& control, std::chrono::milliseconds timeout) {
  auto s = control_socket(ctx, control, std::chrono::milliseconds(500));
  s->set(messaging::option::rcvtimeo, static_cast<int>(timeout.count()));
  s->set(messaging::option::linger, 0);
  s->send(internal::control_frame({{"cmd", "status"}, {"id", 1}}));
  messaging::message m;
  if (!s->recv(m)) throw graph_error("the node at " + control + " did not answer within " + std::to_string(timeout.count()) + " ms");
  json j = internal::parse_control(m);
  if (j.contains("bad")) throw graph_error("the node at " + control + ": " + j["bad"].get<std::string>());
  return j;
}

}  // namespace troupe::actors
