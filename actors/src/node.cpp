// A node: serves the control commands of coordinators (deploy, connect, start, stop, status,
// attach, teardown) for one graph at a time, and tells them when its actors finish. One
// thread (the caller of run()) owns the control socket and the graph's building; actors run on
// the context's runtime; a stop that blocks runs on its own thread.
#include <troupe/actors/node.hpp>

#include "control.hpp"
#include "multicast.hpp"

#include <troupe/actors/graph_file.hpp>
#include <troupe/actors/placement.hpp>
#include <troupe/framework/log.hpp>
#include <troupe/messaging/poller.hpp>
#include <troupe/messaging/socket.hpp>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>

namespace troupe::actors {

namespace fw = troupe::framework;
using nlohmann::json;
using clock = std::chrono::steady_clock;

namespace {

std::string host_name() {
  char b[256] = {};
  if (::gethostname(b, sizeof b - 1) != 0) return "?";
  return b;
}

/// Stops part `g` (one not started yet has nothing to stop).
void stop_part(graph* g, stop_mode m, std::chrono::milliseconds t) noexcept {
  try {
    g->stop(m, t);
  } catch (const std::exception& e) {
    fw::log(fw::log_level::debug, std::string("stop: ") + e.what());
  }
}

}  // namespace

struct node::state {
  enum class phase { idle, deployed, starting, running, done };
  phase ph = phase::idle;
  std::string coordinator;  // routing id of the DEALER that deployed
  std::string run_id;
  std::unique_ptr<graph_description> desc;
  placement_plan plan;
  placement_plan plan_before;  // as it was before the last "relocate" (a move's old links)
  bool force_tcp = false;
  std::unique_ptr<graph> g;
  // Parts of lost nodes' actors restarted here ("relocate"), by generation; started apart.
  std::vector<std::pair<int, std::unique_ptr<graph>>> moved;
  int gen = 0;  // the newest generation this node took part in (in its "done" events)
  // Bound endpoint → link ids (a multicast group: several); under mutex once started (the
  // finished hook reads it on actor threads, "relocate" changes it).
  std::multimap<std::string, std::size_t> exposed_link;
  std::vector<internal::multicast_output> multicast;  // joined at start (multicast.hpp)
  std::map<std::size_t, std::string> connected;       // link id → endpoint connected (inputs here)
  std::vector<std::string> ipc_files;                 // removed at teardown
  // start: the reply waits until the exposed outputs have their peers.
  std::optional<json> start_cmd;
  clock::time_point start_deadline;
  // stop on its own thread (stop() blocks until the actors finish)
  std::thread stopper;
  std::thread hard_stopper;  // a hard stop asked for while a drain runs
  // The stop asked for, if any: a part started after it ("start_part") is stopped so too.
  std::optional<std::pair<stop_mode, std::chrono::milliseconds>> stop_asked;
  std::vector<std::thread> late_stoppers;
  // "upstream_finished" commands received, applied again to parts built later.
  std::vector<json> announced;
  // What was told to the coordinator, told again to one that attaches (its own was gone).
  std::vector<json> finished_log;
  std::optional<json> done_event;
  // actor finished events, from actor threads
  std::mutex mutex;
  std::vector<json> events;

  /// Every graph part here: the first, then the moved ones.
  std::vector<graph*> graphs() const {
    std::vector<graph*> v;
    if (g) v.push_back(g.get());
    for (const auto& [k, p] : moved) v.push_back(p.get());
    return v;
  }
  /// The part of generation `part` (0: the first).
  graph& part(int k) const {
    if (k == 0) return *g;
    for (const auto& [n, p] : moved)
      if (n == k) return *p;
    throw graph_error("no part of generation " + std::to_string(k) + " here");
  }

  static const char* name(phase p) {
    switch (p) {
      case phase::idle: return "idle";
      case phase::deployed: return "deployed";
      case phase::starting: return "starting";
      case phase::running: return "running";
      case phase::done: return "done";
    }
    return "?";
  }
};

node::node(messaging::context& ctx, node_options o, const registry& types) : ctx_(ctx), opts_(std::move(o)), types_(types) {
  if (opts_.name.empty()) throw graph_error("a node needs a name");
  if (!opts_.listen.starts_with("ipc://") && !opts_.listen.starts_with("tcp://"))
    throw graph_error("node '" + opts_.name + "': --listen must be an ipc:// or tcp:// endpoint, not '" + opts_.listen + "'");
}

node::~node() = default;

void node::run() {
  messaging::socket ctl(ctx_, messaging::socket_type::router);
  ctl.set(messaging::option::heartbeat_ivl, static_cast<int>(opts_.heartbeat.count()));
  ctl.set(messaging::option::heartbeat_timeout, static_cast<int>(internal::heartbeat_timeout_intervals * opts_.heartbeat.count()));
  ctl.set(messaging::option::linger, 1000);
  ctl.bind(opts_.listen);
  fw::log(fw::log_level::info, "node '" + opts_.name + "' listening at " + opts_.listen);
  messaging::poller poll;
  poll.add(ctl, messaging::poll_events::in);
  std::vector<messaging::poll_event> ready;
  auto stp = std::make_unique<state>();
  bool shutdown = false;
  bool replay = false;  // an "attach" asks for the events sent before

  auto send_to = [&](const std::string& peer, json j) {
    messaging::multipart m;
    m.emplace_back(std::string_view(peer));
    m.push_back(internal::control_frame(std::move(j)));
    ctl.send(m, messaging::flags::dontwait);  // a peer gone or full: the message is dropped
  };
  auto join_stopper = [&] {
    if (stp->stopper.joinable()) stp->stopper.join();
    if (stp->hard_stopper.joinable()) stp->hard_stopper.join();
    for (std::thread& t : stp->late_stoppers) t.join();
    stp->late_stoppers.clear();
  };
  auto teardown = [&] {
    if (stp->g) {
      join_stopper();
      if (stp->ph == state::phase::starting || stp->ph == state::phase::running) {
        for (graph* x : stp->graphs()) stop_part(x, stop_mode::hard, std::chrono::seconds(5));
      }
      stp->moved.clear();
      stp->g.reset();
    }
    for (const std::string& f : stp->ipc_files) {
      std::error_code ec;
      std::filesystem::remove(f, ec);
    }
    {
      std::lock_guard lock(stp->mutex);
      stp->events.clear();
    }
    const std::string coord = stp->coordinator;
    stp = std::make_unique<state>();
    stp->coordinator = coord;
  };
  auto link_id = [](const json& key) { return static_cast<std::size_t>(std::stoull(key.get<std::string>())); };
  // Tells the actors finished (on actor threads) to the coordinator, with their counts by link.
  auto finished_hook = [&](graph& g) {
    g.on_actor_finished([s = stp.get()](const std::string& actor, const graph::sent_counts& sent) {
      std::lock_guard lock(s->mutex);
      json counts = json::object();
      for (const auto& [ep, n] : sent) {
        const auto [first, last] = s->exposed_link.equal_range(ep);
        for (auto it = first; it != last; ++it) counts[std::to_string(it->second)] = n;
      }
      s->events.push_back({{"event", "finished"}, {"actor", actor}, {"sent", std::move(counts)}});
    });
  };
  // An upstream actor elsewhere finished: every part here learns its counts, by the endpoints
  // its links are connected at now.
  auto announce = [&](const json& c) {
    graph::sent_counts sent;
    for (const auto& [key, n] : c.at("sent").items()) {
      auto it = stp->connected.find(link_id(json(key)));
      if (it != stp->connected.end()) sent[it->second] = n.get<std::uint64_t>();
    }
    for (graph* x : stp->graphs()) x->remote_finished(c.at("actor").get<std::string>(), sent);
  };
  // The endpoint bound here for link `id` ("" if none).
  auto link_endpoint = [&](std::size_t id) {
    std::lock_guard lock(stp->mutex);
    for (const auto& [ep, x] : stp->exposed_link)
      if (x == id) return ep;
    return std::string();
  };
  // Binds the sending end of remote link `l` on part `g` (before it starts).
  auto expose_link = [&](graph& g, const placed_link& l) {
    const std::string ep = data_endpoint(*stp->desc, l, stp->run_id);
    std::string bound;
    try {
      bound = g.expose(l.from, ep, l.subscriptions);
    } catch (const graph_error& e) {
      stp->desc->fail(l.pointer, e.what());
    }
    if (l.transport == "ipc") stp->ipc_files.push_back(ep.substr(6));
    {
      std::lock_guard lock(stp->mutex);
      stp->exposed_link.emplace(bound, l.id);
    }
    fw::log(fw::log_level::info, "link " + l.from + " -> " + l.to + " (node " + l.to_node + "): " + l.transport + ", bound at " + bound);
    return bound;
  };

  // One command; returns the reply (or nullopt when it comes later).
  auto handle = [&](const std::string& peer, const json& c) -> std::optional<json> {
    const std::string cmd = c.value("cmd", "");
    json r{{"re", c.value("id", json(nullptr))}, {"ok", true}, {"node", opts_.name}};
    auto fail = [&](const std::string& why) {
      r["ok"] = false;
      r["error"] = "node '" + opts_.name + "': " + why;
      return r;
    };
    if (cmd == "hello") {
      r["pid"] = ::getpid();
      r["host"] = host_name();
      r["types"] = types_.names();
      r["state"] = state::name(stp->ph);
      if (stp->desc) {
        r["graph"] = stp->desc->name;
        r["run"] = stp->run_id;
      }
      return r;
    }
    if (cmd == "attach") {
      // A coordinator takes over the run (the one that deployed it may be gone): events go to
      // it from now on, and those sent before are sent again once the reply is out.
      r["state"] = state::name(stp->ph);
      if (stp->ph == state::phase::idle) return r;
      r["graph"] = stp->desc->name;
      r["run"] = stp->run_id;
      if (c.value("run", stp->run_id) != stp->run_id) return fail("runs run " + stp->run_id + ", not " + c.value("run", std::string()));
      stp->coordinator = peer;
      replay = true;
      return r;
    }
    if (cmd == "deploy") {
      if (stp->ph != state::phase::idle)
        return fail("busy with graph '" + stp->desc->name + "' (run " + stp->run_id + ", " + state::name(stp->ph) +
                    "); `troupe stop` with its graph file stops it");
      try {
        stp->coordinator = peer;
        stp->run_id = c.at("run").get<std::string>();
        stp->desc = std::make_unique<graph_description>(graph_file::parse(c.at("text").get<std::string>(), c.at("file").get<std::string>()));
        if (!stp->desc->find_node(opts_.name)) throw graph_error("this node is not in the graph's \"nodes\"");
        stp->force_tcp = c.value("force_tcp", false);
        stp->plan = plan_placement(*stp->desc, stp->force_tcp);
        stp->g = std::make_unique<graph>(ctx_, stp->desc->name, types_);
        graph_file::build_part(*stp->g, *stp->desc, stp->plan, opts_.name);
        json exposed = json::object();
        for (const placed_link& l : stp->plan.links) {
          if (!l.remote() || l.from_node != opts_.name || l.transport == "epgm") continue;
          exposed[std::to_string(l.id)] = expose_link(*stp->g, l);
        }
        stp->multicast = internal::multicast_outputs(*stp->desc, stp->plan, opts_.name);
        for (const internal::multicast_output& m : stp->multicast) {
          for (const std::size_t id : m.links) {
            stp->exposed_link.emplace(m.endpoint, id);
            exposed[std::to_string(id)] = m.endpoint;
          }
        }
        finished_hook(*stp->g);
        stp->ph = state::phase::deployed;
        r["exposed"] = std::move(exposed);
        r["actors"] = stp->g->actors();
        return r;
      } catch (const std::exception& e) {
        std::string why = e.what();
        teardown();
        r["ok"] = false;
        r["error"] = "node '" + opts_.name + "': " + why;
        return r;
      }
    }
    if (cmd == "connect") {
      if (stp->ph != state::phase::deployed) return fail("'connect' needs a deployed graph (state: " + std::string(state::name(stp->ph)) + ")");
      try {
        const json& eps = c.at("endpoints");
        for (const placed_link& l : stp->plan.links) {
          if (!l.remote() || l.to_node != opts_.name) continue;
          const std::string key = std::to_string(l.id);
          if (!eps.contains(key)) return fail("no endpoint for link " + l.from + " -> " + l.to);
          // A multicast link: this node's own interface, the sender's group.
          const bool mc = l.transport == "epgm";
          const std::string ep = mc ? multicast_endpoint(*stp->desc, l, opts_.name) : eps.at(key).get<std::string>();
          stp->g->connect_remote(l.from, ep, l.to, l.topics, mc ? internal::multicast_options(l) : remote_link_options{});
          stp->connected[l.id] = ep;
          fw::log(fw::log_level::info, "link " + l.from + " (node " + l.from_node + ") -> " + l.to + ": " + l.transport +
                                            ", connected to " + ep);
        }
        return r;
      } catch (const std::exception& e) {
        return fail(e.what());
      }
    }
    if (cmd == "start") {
      if (stp->ph != state::phase::deployed) return fail("'start' needs a deployed graph (state: " + std::string(state::name(stp->ph)) + ")");
      stp->ph = state::phase::starting;
      stp->start_cmd = c;
      stp->start_deadline = clock::now() + std::chrono::milliseconds(c.value("ready_timeout_ms", 10000));
      return std::nullopt;  // answered once the links are ready (see the loop)
    }
    if (cmd == "upstream_finished") {
      if (!stp->g) return fail("no graph");
      stp->announced.push_back(c);
      announce(c);
      return r;
    }
    if (cmd == "pause" || cmd == "move_out") {
      // "done" too: the actors of the first part may have ended (or moved away) meanwhile.
      if (!stp->g || (stp->ph != state::phase::running && stp->ph != state::phase::done))
        return fail("'" + cmd + "' needs a running graph (state: " + std::string(state::name(stp->ph)) + ")");
      const std::string actor = c.at("actor").get<std::string>();
      const auto timeout = std::chrono::milliseconds(c.value("timeout_ms", 10000));
      if (cmd == "pause") {
        // The outputs here feeding `actor` pause (or resume); paused, what each sent over its
        // link to it is final.
        const bool on = c.at("on").get<bool>();
        if (!on) {
          // Before they go on: each link to the moved actor has its peer (a PUB: its
          // subscriptions), so that nothing sent from now on misses it.
          const auto deadline = clock::now() + timeout;
          for (const placed_link& l : stp->plan.links) {
            if (l.to_actor() != actor || l.from_node != opts_.name || l.from_actor() == actor || !l.remote()) continue;
            const std::string ep = link_endpoint(l.id);
            if (ep.empty()) continue;  // its sender had finished
            for (;;) {
              const auto up = stp->part(l.from_part).exposure_ready(l.from, ep, l.subscriptions, timeout);
              if (!up || *up) break;
              if (clock::now() > deadline)
                return fail("link " + l.from + " -> " + l.to + ": the moved actor did not connect to " + ep +
                            (l.subscriptions > 0 ? " (or subscribe)" : "") + " in time");
              std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
          }
        }
        std::map<std::pair<int, std::string>, std::optional<graph::sent_counts>> outputs;
        json sent = json::object(), finished = json::array();
        for (const placed_link& l : stp->plan.links) {
          if (l.to_actor() != actor || l.from_node != opts_.name || l.from_actor() == actor) continue;
          const auto key = std::make_pair(l.from_part, l.from);
          if (!outputs.contains(key)) outputs[key] = stp->part(l.from_part).pause_output(l.from, on, timeout);
          const auto& res = outputs[key];
          if (!res) {
            finished.push_back(l.id);
          } else if (l.remote()) {
            auto n = res->find(link_endpoint(l.id));
            sent[std::to_string(l.id)] = n == res->end() ? 0 : n->second;
          }
        }
        r["sent"] = std::move(sent);
        r["finished"] = std::move(finished);
        return r;
      }
      // move_out: the actor reads what its paused senders sent, then ends here with its state.
      graph::sent_counts expect;
      for (const placed_link& l : stp->plan.links) {
        if (l.to_actor() != actor || !l.remote() || l.to_node != opts_.name) continue;
        const std::string key = std::to_string(l.id);
        if (c.at("expect").contains(key) && stp->connected.contains(l.id)) expect[stp->connected[l.id]] = c.at("expect").at(key).get<std::uint64_t>();
      }
      const auto drain_timeout = std::chrono::milliseconds(c.value("drain_timeout_ms", 30000));
      std::optional<graph::moved_actor> res;
      try {
        res = stp->part(stp->plan.part(actor)).move_out(actor, expect, drain_timeout);
      } catch (const graph_error& e) {
        return fail(e.what());
      }
      if (!res) {
        r["finished"] = true;
        return r;
      }
      r["state"] = res->state;
      json sent = json::object(), port_sent = json::object();
      for (const placed_link& l : stp->plan.links) {
        if (l.from_actor() != actor) continue;
        if (l.remote()) {
          auto n = res->sent.find(link_endpoint(l.id));
          sent[std::to_string(l.id)] = n == res->sent.end() ? 0 : n->second;
        } else {
          auto n = res->sent.find(stp->part(stp->plan.part(actor)).endpoint(l.from));
          port_sent[l.from] = n == res->sent.end() ? 0 : n->second;
        }
      }
      r["sent"] = std::move(sent);
      r["port_sent"] = std::move(port_sent);
      return r;
    }
    if (cmd == "relocate") {
      // Actors of a lost node restart: those coming here form a part of their own; outputs
      // here feeding any of them bind a new endpoint (docs/distributing.md#failure).
      if (!stp->g || stp->ph == state::phase::idle || stp->ph == state::phase::deployed)
        return fail("'relocate' needs a started graph (state: " + std::string(state::name(stp->ph)) + ")");
      const int gen = c.at("gen").get<int>();
      const auto moves = c.at("moves").get<std::map<std::string, std::string>>();
      const auto skip = c.value("skip", std::vector<std::size_t>{});
      const auto timeout = std::chrono::milliseconds(c.value("timeout_ms", 10000));
      stp->plan_before = stp->plan;
      relocate(stp->plan, *stp->desc, moves, gen, stp->force_tcp);
      stp->gen = gen;
      json exposed = json::object();
      bool here = false;
      for (const auto& [a, n] : moves) here = here || n == opts_.name;
      if (here) {
        auto part = std::make_unique<graph>(ctx_, stp->desc->name, types_);
        graph_file::build_moved_part(*part, *stp->desc, stp->plan, opts_.name, gen);
        if (c.contains("state"))  // a move: the actor goes on from its state
          for (const auto& [a, st] : c.at("state").items())
            if (moves.at(a) == opts_.name) part->set_state(a, st);
        for (const placed_link& l : stp->plan.links)
          if (l.remote() && l.from_node == opts_.name && l.from_part == gen) exposed[std::to_string(l.id)] = expose_link(*part, l);
        finished_hook(*part);
        stp->moved.emplace_back(gen, std::move(part));
      }
      for (const placed_link& l : stp->plan.links) {
        if (l.gen != gen || !l.remote() || l.from_node != opts_.name || l.from_part == gen) continue;
        if (std::find(skip.begin(), skip.end(), l.id) != skip.end()) continue;
        const std::string before = link_endpoint(l.id);
        const std::string ep = data_endpoint(*stp->desc, l, stp->run_id);
        const std::string bound = stp->part(l.from_part).expose_running(l.from, ep, l.subscriptions, before, timeout);
        if (bound.empty()) {
          exposed[std::to_string(l.id)] = nullptr;  // its sender finished meanwhile
          continue;
        }
        if (l.transport == "ipc") stp->ipc_files.push_back(ep.substr(6));
        {
          std::lock_guard lock(stp->mutex);
          const auto [first, last] = stp->exposed_link.equal_range(before);
          for (auto it = first; it != last; ++it)
            if (it->second == l.id) {
              stp->exposed_link.erase(it);
              break;
            }
          stp->exposed_link.emplace(bound, l.id);
        }
        exposed[std::to_string(l.id)] = bound;
        fw::log(fw::log_level::info, "link " + l.from + " -> " + l.to + " (node " + l.to_node + ", restarted): " + l.transport +
                                          ", bound at " + bound);
      }
      r["exposed"] = std::move(exposed);
      return r;
    }
    if (cmd == "rewire") {
      // The other ends of relocate's links: inputs of the restarted actors here connect to
      // their senders, inputs here fed by a restarted actor reconnect to it.
      if (!stp->g) return fail("no graph");
      const int gen = c.at("gen").get<int>();
      const json& eps = c.at("endpoints");
      const auto timeout = std::chrono::milliseconds(c.value("timeout_ms", 10000));
      // A move (not a restart) says how much the moved actor sent before: by link for its
      // links to other processes, by output for those to actors here (their pipes hold it).
      const bool move = c.contains("drain");
      struct switching {
        graph* to;
        std::size_t id;
        std::string from, input, before, after;
        bool was_local;
      };
      std::vector<switching> switches;
      for (const placed_link& l : stp->plan.links) {
        if (l.gen != gen || !l.remote() || l.to_node != opts_.name) continue;
        const std::string key = std::to_string(l.id);
        const json ep = eps.contains(key) ? eps.at(key) : json(nullptr);
        graph& to = stp->part(l.to_part);
        if (l.to_part == gen) {
          if (ep.is_null()) {
            to.expect_remote(l.from, l.to);  // its sender finished: nothing comes
            stp->connected.erase(l.id);
          } else {
            to.connect_remote(l.from, ep.get<std::string>(), l.to, l.topics);
            stp->connected[l.id] = ep.get<std::string>();
          }
        } else if (move) {
          // Its sender moves: connect the new endpoint now (nothing comes from there before
          // the moved actor starts), leave the old one once all it sent was read (below).
          if (ep.is_null()) return fail("no endpoint for link " + l.from + " -> " + l.to);
          const placed_link& old = stp->plan_before.links.at(l.id);
          const bool was_local = !old.remote();
          const std::string before = was_local ? stp->part(old.from_part).endpoint(l.from)  // its port's own
                                               : (stp->connected.contains(l.id) ? stp->connected[l.id] : std::string());
          to.adopt_remote(l.from, before, ep.get<std::string>(), l.to, was_local, timeout);
          stp->connected[l.id] = ep.get<std::string>();
          switches.push_back({&to, l.id, l.from, l.to, before, ep.get<std::string>(), was_local});
        } else {
          if (ep.is_null()) return fail("no endpoint for link " + l.from + " -> " + l.to);
          const std::string before = stp->connected.contains(l.id) ? stp->connected[l.id] : std::string();
          to.reconnect_remote(l.from, before, ep.get<std::string>(), l.to, timeout);
          stp->connected[l.id] = ep.get<std::string>();
        }
        fw::log(fw::log_level::info, "link " + l.from + " (node " + l.from_node + ") -> " + l.to + ": " + l.transport +
                                          ", connected to " + (ep.is_null() ? std::string("nothing (its sender finished)") : ep.get<std::string>()));
      }
      if (!switches.empty()) {
        // Per-link order: the receivers read all the moved actor sent from its old place
        // before it starts at the new one (the coordinator starts it after this answer).
        const json& drain = c.at("drain");
        const json port_drain = c.value("port_drain", json::object());
        const auto deadline = clock::now() + std::chrono::milliseconds(c.value("drain_timeout_ms", 30000));
        std::map<std::string, std::uint64_t> got;  // per old remote link id, or per sending output (local)
        for (;;) {
          got.clear();
          for (const switching& s : switches) {
            const auto n = s.to->received_from(s.input, s.before, timeout);
            got[s.was_local ? s.from : std::to_string(s.id)] += n.value_or(std::numeric_limits<std::uint64_t>::max() / 4);
          }
          std::string short_of;
          for (const auto& [key, n] : got) {
            const json& want = port_drain.contains(key) ? port_drain.at(key) : (drain.contains(key) ? drain.at(key) : json(0));
            if (n < want.get<std::uint64_t>())
              short_of = key + " (" + std::to_string(n) + " of " + std::to_string(want.get<std::uint64_t>()) + ")";
          }
          if (short_of.empty()) break;
          if (clock::now() > deadline) return fail("the moved actor's receivers did not read all it sent from its old place in time: " + short_of);
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        for (const switching& s : switches) s.to->forget_endpoint(s.input, s.before, s.after, true, timeout);
      }
      return r;
    }
    if (cmd == "start_part") {
      // Starts the restarted actors here once their outputs have their peers.
      const int gen = c.at("gen").get<int>();
      graph& part = stp->part(gen);
      const auto deadline = clock::now() + std::chrono::milliseconds(c.value("ready_timeout_ms", 10000));
      std::string waiting;
      while (!part.remote_ready(waiting)) {
        if (clock::now() > deadline) return fail("restarted actors' links not ready in time: waiting for " + waiting);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      part.start();
      for (const json& a : stp->announced) announce(a);  // upstreams that finished already
      if (stp->stop_asked) {  // asked before this part existed: it stops too
        const auto [m, t] = *stp->stop_asked;
        stp->late_stoppers.emplace_back([x = &part, m, t] { stop_part(x, m, t); });
      }
      stp->ph = state::phase::running;
      stp->done_event.reset();
      return r;
    }
    if (cmd == "stop") {
      if (stp->ph != state::phase::running && stp->ph != state::phase::starting) return r;  // nothing runs: stopped
      if (stp->ph == state::phase::starting) {
        stp->start_cmd.reset();
        stp->ph = state::phase::deployed;
        return r;
      }
      if (!stp->stopper.joinable()) {
        const stop_mode m = c.value("mode", "drain") == "hard" ? stop_mode::hard : stop_mode::drain;
        const auto t = std::chrono::milliseconds(c.value("timeout_ms", 10000));
        stp->stop_asked = {m, t};
        stp->stopper = std::thread([gs = stp->graphs(), m, t] {
          // Every part at once: a part's drain waits for upstreams in the others.
          std::vector<std::thread> each;
          for (graph* x : gs) each.emplace_back([x, m, t] { stop_part(x, m, t); });
          for (std::thread& e : each) e.join();
        });
      } else if (c.value("mode", "drain") == "hard") {
        // A drain is under way: make it hard now (stop() is thread-safe and idempotent).
        stp->stop_asked = {stop_mode::hard, std::chrono::seconds(5)};
        if (!stp->hard_stopper.joinable())
          stp->hard_stopper = std::thread([gs = stp->graphs()] {
            for (graph* x : gs) stop_part(x, stop_mode::hard, std::chrono::seconds(5));
          });
      }
      return r;
    }
    if (cmd == "status") {
      r["state"] = state::name(stp->ph);
      r["pid"] = ::getpid();
      if (stp->g) {
        r["graph"] = stp->desc->name;
        r["run"] = stp->run_id;
        json counters = json::object(), actors = json::array(), links = json::array();
        for (graph* x : stp->graphs()) {
          json part = x->counters();
          for (auto& [a, v] : part.items()) {
            const bool current = v.value("state", std::string()) != "moved";
            internal::merge_counters(counters, a, std::move(v), current);
          }
          for (const std::string& a : x->actors()) actors.push_back(a);
          for (const link_info& l : x->links())
            links.push_back({{"from", l.from}, {"to", l.to}, {"topics", l.topics}, {"messages", l.messages}});
        }
        r["counters"] = std::move(counters);
        r["actors"] = std::move(actors);
        r["links"] = std::move(links);
      }
      return r;
    }
    if (cmd == "teardown") {
      teardown();
      return r;
    }
    if (cmd == "shutdown") {
      shutdown = true;
      return r;
    }
    return fail("unknown command '" + cmd + "'");
  };

  messaging::multipart in;
  while (!stop_.load(std::memory_order_relaxed) && !shutdown) {
    const bool starting = stp->ph == state::phase::starting;
    poll.wait(ready, std::chrono::milliseconds(starting ? 2 : 50));
    while (ctl.recv(in, messaging::flags::dontwait)) {
      if (in.size() != 2) continue;
      const std::string peer(in[0].view());
      const json c = internal::parse_control(in[1]);
      if (c.contains("bad")) {
        send_to(peer, {{"ok", false}, {"error", "node '" + opts_.name + "': " + c["bad"].get<std::string>()}});
        continue;
      }
      std::optional<json> reply;
      try {
        reply = handle(peer, c);
      } catch (const std::exception& e) {
        reply = json{{"re", c.value("id", json(nullptr))}, {"ok", false}, {"error", "node '" + opts_.name + "': " + e.what()}};
      }
      if (reply) send_to(peer, std::move(*reply));
      if (replay) {
        replay = false;
        for (const json& e : stp->finished_log) send_to(stp->coordinator, e);
        if (stp->done_event) send_to(stp->coordinator, *stp->done_event);
      }
    }
    if (stp->ph == state::phase::starting && stp->start_cmd) {
      std::string waiting;
      const bool ok = stp->g->remote_ready(waiting);
      json r{{"re", stp->start_cmd->value("id", json(nullptr))}, {"node", opts_.name}, {"ok", true}};
      if (ok) {
        try {
          for (const internal::multicast_output& m : stp->multicast) {
            stp->g->expose(m.from, m.endpoint, 0, m.options);
            fw::log(fw::log_level::info, "multicast output " + m.from + ": epgm, joined " + m.endpoint + " (" +
                                             std::to_string(m.links.size()) + " remote link" + (m.links.size() == 1 ? "" : "s") + ")");
          }
          stp->g->start();
          stp->ph = state::phase::running;
        } catch (const std::exception& e) {
          r["ok"] = false;
          r["error"] = "node '" + opts_.name + "': " + e.what();
          stp->ph = state::phase::deployed;
        }
        stp->start_cmd.reset();
        send_to(stp->coordinator, std::move(r));
      } else if (clock::now() > stp->start_deadline) {
        r["ok"] = false;
        r["error"] = "node '" + opts_.name + "': links not ready in time: waiting for " + waiting;
        stp->start_cmd.reset();
        stp->ph = state::phase::deployed;
        send_to(stp->coordinator, std::move(r));
      }
    }
    std::vector<json> events;
    {
      std::lock_guard lock(stp->mutex);
      events.swap(stp->events);
    }
    for (json& e : events) {
      stp->finished_log.push_back(e);
      send_to(stp->coordinator, std::move(e));
    }
    if (stp->ph == state::phase::running) {
      bool all_finished = true;
      for (graph* x : stp->graphs()) all_finished = all_finished && x->wait(std::chrono::milliseconds(0)).finished;
      if (all_finished) {
        join_stopper();
        // Events queued by the last finishes go out before "done".
        {
          std::lock_guard lock(stp->mutex);
          events.swap(stp->events);
        }
        for (json& e : events) {
          stp->finished_log.push_back(e);
          send_to(stp->coordinator, std::move(e));
        }
        std::string error;
        for (graph* x : stp->graphs()) {
          const stop_report part_rep = x->wait(std::chrono::milliseconds(0));
          if (!part_rep.error.empty()) error += (error.empty() ? "" : "; ") + part_rep.error;
        }
        stp->done_event = json{{"event", "done"}, {"ok", error.empty()}, {"error", error}, {"gen", stp->gen}};
        send_to(stp->coordinator, *stp->done_event);
        stp->ph = state::phase::done;
      }
    }
  }
  teardown();
  fw::log(fw::log_level::info, "node '" + opts_.name + "' stopped");
}

}  // namespace troupe::actors
