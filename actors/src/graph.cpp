// Graph building (spawn, connect, subscribe, validation), start, wait and stop.
#include "graph_core.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/messaging/error.hpp>

#include <algorithm>
#include <future>

namespace troupe::actors {

using internal::cell;
using internal::graph_core;

namespace internal {

void graph_core::fail(const std::string& msg) noexcept {
  {
    std::lock_guard lock(mutex);
    if (!error.empty()) return;
    try {
      error = msg;
    } catch (...) {
    }
  }
  framework::log(framework::log_level::error, "graph '" + name + "': " + msg);
  for (auto& c : cells) c->request_stop(true);
}

}  // namespace internal

namespace {

struct address {
  std::string_view actor;
  std::string_view port;
};

address parse(std::string_view a) {
  const auto dot = a.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == a.size())
    throw graph_error("bad port address '" + std::string(a) + "': expected 'actor.port'");
  return {a.substr(0, dot), a.substr(dot + 1)};
}

const std::vector<cell*>& resolve(const graph_core& g, std::string_view actor) {
  auto it = g.groups.find(actor);
  if (it == g.groups.end())
    throw graph_error("graph '" + g.name + "': unknown actor '" + std::string(actor) + "'");
  return it->second;
}

const port_spec& port_of(const cell& c, std::string_view actor, std::string_view port) {
  const port_spec* s = c.type().find_port(port);
  if (!s)
    throw graph_error("actor '" + std::string(actor) + "' (type '" + c.type().name + "') has no port '" +
                      std::string(port) + "'");
  return *s;
}

}  // namespace

graph::graph(messaging::context& ctx, std::string name, const registry& types)
    : core_(framework::make_ref<graph_core>(ctx, std::move(name), types)) {
  if (core_->name.empty() || core_->name.find('/') != std::string::npos)
    throw graph_error("bad graph name '" + core_->name + "': non-empty, without '/'");
}

graph::~graph() {
  if (core_->started) {
    stop_report r = stop(stop_mode::hard, std::chrono::seconds(10));
    if (!r.finished) {
      std::string names;
      for (auto& n : r.unfinished) names += " " + n;
      framework::log(framework::log_level::error,
                     "graph '" + core_->name + "': destroyed with actors still running:" + names);
    }
  } else {
    for (auto& c : core_->cells) c->discard();
  }
  // Break the cycle cells → core → cells of the cells that finished (or never started).
  std::vector<framework::ref_ptr<cell>> cells;
  {
    std::lock_guard lock(core_->mutex);
    cells.swap(core_->cells);
  }
  core_->groups.clear();
}

const std::string& graph::name() const noexcept { return core_->name; }

namespace {

/// Sets a SUB input's subscriptions and remembers them (each publisher it connects to
/// receives every distinct one).
void subscribe_input(graph_core& g, cell& r, input& i, const std::vector<std::string>& topics) {
  auto& set = g.input_topics[r.name() + "." + i.name()];
  r.subscribe(i, topics);
  if (topics.empty()) set.insert("");
  set.insert(topics.begin(), topics.end());
}

void spawn_cells(graph_core& g, std::string name, const actor_type& t, const spawn_options& o) {
  if (g.started) throw graph_error("graph '" + g.name + "': spawn('" + name + "') after start()");
  if (name.empty() || name.find_first_of("./[]") != std::string::npos)
    throw graph_error("bad actor name '" + name + "': non-empty, without '.', '/', '[' or ']'");
  if (g.groups.count(name)) throw graph_error("graph '" + g.name + "': duplicate actor name '" + name + "'");
  if (o.replicas < 1)
    throw graph_error("actor '" + name + "': replicas must be at least 1 (got " + std::to_string(o.replicas) + ")");
  for (int i : o.only)
    if (i < 0 || i >= o.replicas)
      throw graph_error("actor '" + name + "': replica " + std::to_string(i) + " to spawn here is not in 0.." +
                        std::to_string(o.replicas - 1));
  std::vector<cell*> members;
  for (int i = 0; i < o.replicas; ++i) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), i) == o.only.end()) continue;
    std::string cname = o.replicas == 1 ? name : name + "[" + std::to_string(i) + "]";
    auto c = framework::make_ref<cell>(g, t, cname, o);
    members.push_back(c.get());
    if (o.replicas > 1) g.groups[cname] = {c.get()};
    g.cells.push_back(std::move(c));
  }
  g.groups[name] = std::move(members);
}

}  // namespace

void graph::spawn(std::string name, std::string_view type, spawn_options o) {
  spawn_cells(*core_, std::move(name), core_->types->find(type), o);
}

void graph::spawn_type(std::string name, actor_type t, spawn_options o) {
  // An unregistered type lives as long as the graph.
  core_->own_types.push_back(std::make_unique<actor_type>(std::move(t)));
  spawn_cells(*core_, std::move(name), *core_->own_types.back(), o);
}

void graph::connect(std::string_view from, std::string_view to) { subscribe(from, to, {}); }

void graph::subscribe(std::string_view from, std::string_view to, const std::vector<std::string>& topics) {
  graph_core& g = *core_;
  if (g.started) throw graph_error("graph '" + g.name + "': link '" + std::string(from) + "' -> '" + std::string(to) + "' after start()");
  const address a = parse(from);
  const address b = parse(to);
  const auto& senders = resolve(g, a.actor);
  const auto& receivers = resolve(g, b.actor);
  const port_spec& out = port_of(*senders.front(), a.actor, a.port);
  const port_spec& in = port_of(*receivers.front(), b.actor, b.port);
  const std::string link = "'" + std::string(from) + "' -> '" + std::string(to) + "'";
  if (is_input(out.kind))
    throw graph_error("cannot link " + link + ": '" + std::string(from) + "' is an input port; a link starts at an output");
  if (!is_input(in.kind))
    throw graph_error("cannot link " + link + ": '" + std::string(to) + "' is an output port; a link ends at an input");
  if (out.kind == port_kind::push && in.kind == port_kind::sub)
    throw graph_error("cannot link " + link + ": PUSH output to a SUB input (a SUB input takes a PUB output)");
  if (out.kind == port_kind::pub && in.kind == port_kind::pull)
    throw graph_error("cannot link " + link + ": PUB output to a PULL input (a PUB output feeds SUB inputs)");
  if (!topics.empty() && out.kind != port_kind::pub)
    throw graph_error("cannot subscribe " + link + ": topics need a PUB output and a SUB input");
  for (cell* s : senders) {
    for (cell* r : receivers) {
      const std::string key = s->name() + "." + out.name + "->" + r->name() + "." + in.name;
      if (!g.links.insert(key).second) throw graph_error("duplicate link " + link);
      input& i = *r->find_input(in.name);
      output& o = *s->find_output(out.name);
      if (in.kind == port_kind::sub) {
        // Subscriptions are set before connecting, so the publisher has them with the pipe:
        // nothing published after start() is missed.
        subscribe_input(g, *r, i, topics);
      }
      i.sock_.connect(o.endpoint());
      const std::size_t slot = r->add_in_link(i, o.endpoint());
      g.link_list.push_back({s->name() + "." + out.name, r->name() + "." + in.name, topics, r, slot});
      r->add_upstream(*s);
      g.linked_ports.insert(s->name() + "." + out.name);
      g.linked_ports.insert(r->name() + "." + in.name);
    }
  }
}

std::string graph::endpoint(std::string_view address_text) const {
  const address a = parse(address_text);
  const auto& cells = resolve(*core_, a.actor);
  if (cells.size() != 1)
    throw graph_error("'" + std::string(address_text) + "' names a pool of " + std::to_string(cells.size()) +
                      " replicas; name one, as '" + std::string(a.actor) + "[0]." + std::string(a.port) + "'");
  port* p = cells.front()->find_port(a.port);
  if (!p) port_of(*cells.front(), a.actor, a.port);  // throws
  return p->endpoint();
}

std::vector<std::string> graph::unlinked_ports() const {
  std::vector<std::string> v;
  for (auto& c : core_->cells) {
    for (const port_spec& s : c->type().ports) {
      std::string a = c->name() + "." + s.name;
      if (s.options.required && !core_->linked_ports.count(a)) v.push_back(std::move(a));
    }
  }
  return v;
}

const registry& graph::types() const noexcept { return *core_->types; }

void graph::start() {
  graph_core& g = *core_;
  if (g.started) throw graph_error("graph '" + g.name + "': start() called twice");
  for (auto& c : g.cells) {
    for (const port_spec& s : c->type().ports) {
      if (!s.options.required || g.linked_ports.count(c->name() + "." + s.name)) continue;
      throw graph_error("actor '" + c->name() + "': required " + std::string(is_input(s.kind) ? "input" : "output") +
                        " port '" + s.name + "' is not connected");
    }
  }
  g.started = true;
  for (auto& c : g.cells) c->start();
}

stop_report graph::wait(std::chrono::milliseconds timeout) {
  graph_core& g = *core_;
  stop_report r;
  std::unique_lock lock(g.mutex);
  const bool all = g.done.wait_for(lock, timeout, [&] { return g.finished == g.cells.size(); });
  r.finished = all;
  r.timed_out = !all;
  r.error = g.error;
  lock.unlock();
  if (!all) {
    for (auto& c : g.cells)
      if (c->state() != cell::phase::finished) r.unfinished.push_back(c->name());
  }
  return r;
}

stop_report graph::stop(stop_mode mode, std::chrono::milliseconds timeout) {
  graph_core& g = *core_;
  if (!g.started) throw graph_error("graph '" + g.name + "': stop() before start()");
  for (auto& c : g.cells) c->request_stop(mode == stop_mode::hard);
  stop_report r = wait(timeout);
  if (r.finished || mode == stop_mode::hard) return r;
  const std::vector<std::string> slow = r.unfinished;
  for (auto& c : g.cells) c->request_stop(true);
  r = wait(timeout);
  r.timed_out = true;
  std::string names;
  for (auto& n : slow) names += " " + n;
  const std::string note = "drain did not finish within " + std::to_string(timeout.count()) +
                           " ms (still running:" + names + "); stopped hard";
  framework::log(framework::log_level::warning, "graph '" + g.name + "': " + note);
  r.error = r.error.empty() ? note : r.error + "; " + note;
  return r;
}

nlohmann::json graph::counters() const {
  nlohmann::json j = nlohmann::json::object();
  for (auto& c : core_->cells) j[c->name()] = c->counters();
  return j;
}

std::vector<std::string> graph::actors() const {
  std::vector<std::string> v;
  for (auto& c : core_->cells) v.push_back(c->name());
  return v;
}

const std::string& graph::type_of(std::string_view name) const {
  return resolve(*core_, name).front()->type().name;
}

namespace {

/// The one cell of "actor.port" (a replica or a single actor) and its port name.
std::pair<cell*, std::string_view> one_cell(const graph_core& g, std::string_view addr) {
  const address a = parse(addr);
  const auto& cells = resolve(g, a.actor);
  if (cells.size() != 1)
    throw graph_error("'" + std::string(addr) + "' names a pool; name one replica, as '" + std::string(a.actor) +
                      "[0]." + std::string(a.port) + "'");
  port_of(*cells.front(), a.actor, a.port);  // throws for an unknown port
  return {cells.front(), a.port};
}

}  // namespace

std::string graph::expose(std::string_view from, std::string_view endpoint, int subscriptions, const remote_link_options& ro) {
  graph_core& g = *core_;
  if (g.started) throw graph_error("graph '" + g.name + "': expose('" + std::string(from) + "') after start()");
  auto [c, pname] = one_cell(g, from);
  output* o = c->find_output(pname);
  if (!o) throw graph_error("cannot expose '" + std::string(from) + "': it is an input port; links start at outputs");
  try {
    std::string bound = c->expose(*o, endpoint, subscriptions, ro.rate, ro.recovery_ivl);
    g.linked_ports.insert(std::string(from));
    return bound;
  } catch (const messaging::error& e) {
    throw graph_error("cannot expose '" + std::string(from) + "' at '" + std::string(endpoint) + "': " + e.what());
  }
}

void graph::connect_remote(std::string_view from, std::string_view endpoint, std::string_view to,
                           const std::vector<std::string>& topics, const remote_link_options& ro) {
  graph_core& g = *core_;
  if (g.started) throw graph_error("graph '" + g.name + "': connect_remote('" + std::string(to) + "') after start()");
  const address a = parse(from);
  auto [r, pname] = one_cell(g, to);
  input* i = r->find_input(pname);
  if (!i) throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "': '" + std::string(to) + "' is an output port");
  if (!topics.empty() && i->kind() != port_kind::sub)
    throw graph_error("cannot subscribe '" + std::string(to) + "': topics need a SUB input");
  if (i->kind() == port_kind::sub) subscribe_input(g, *r, *i, topics);
  try {
    if (ro.rate > 0) i->sock_.set(messaging::option::rate, ro.rate);
    if (ro.recovery_ivl > 0) i->sock_.set(messaging::option::recovery_ivl, ro.recovery_ivl);
    i->sock_.connect(endpoint);
  } catch (const messaging::error& e) {
    throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "' over '" + std::string(endpoint) + "': " + e.what());
  }
  const std::size_t slot = r->add_in_link(*i, std::string(endpoint));
  g.link_list.push_back({std::string(from), std::string(to), topics, r, slot});
  r->add_remote_upstream(std::string(a.actor), *i, std::string(endpoint));
  g.linked_ports.insert(std::string(to));
}

void graph::expect_remote(std::string_view from, std::string_view to) {
  graph_core& g = *core_;
  if (g.started) throw graph_error("graph '" + g.name + "': expect_remote('" + std::string(to) + "') after start()");
  auto [r, pname] = one_cell(g, to);
  input* i = r->find_input(pname);
  if (!i) throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "': '" + std::string(to) + "' is an output port");
  r->add_remote_upstream(std::string(parse(from).actor), *i, std::string());  // no endpoint: nothing arrives
  g.linked_ports.insert(std::string(to));  // linked, to a sender that is done
}

namespace {

/// Runs `task` in `c`'s actor context and waits for it; false if the actor finished first.
/// What the task throws comes back as a graph_error with its message (not the exception
/// object itself: one shared by two threads' exception_ptrs is a race to TSan, libstdc++'s
/// reference count being invisible to it).
bool run_in_actor(cell& c, std::function<void()> task, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<std::string>>();
  std::future<std::string> f = done->get_future();
  const bool posted = c.post([task = std::move(task), done] {
    std::string error;
    try {
      task();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "failed";
    } catch (...) {
      error = "unknown exception";
    }
    done->set_value(std::move(error));
  });
  if (!posted) return false;
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (f.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
    if (c.state() == cell::phase::finished) {
      if (f.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) break;
      return false;  // it finished before its next run: the task never runs
    }
    if (std::chrono::steady_clock::now() > end)
      throw graph_error("actor '" + c.name() + "' did not take a link change within " + std::to_string(timeout.count()) +
                        " ms (busy without waiting for a port?)");
  }
  if (std::string error = f.get(); !error.empty()) throw graph_error(error);
  return true;
}

}  // namespace

std::string graph::expose_running(std::string_view from, std::string_view endpoint, int subscriptions, std::string_view drop,
                                  std::chrono::milliseconds timeout) {
  graph_core& g = *core_;
  auto [c, pname] = one_cell(g, from);
  output* o = c->find_output(pname);
  if (!o) throw graph_error("cannot expose '" + std::string(from) + "': it is an input port; links start at outputs");
  // The task owns what it uses (it may run after a timeout has returned from here); the cell
  // and its ports live as long as the task, which only the cell runs.
  auto bound = std::make_shared<std::string>();
  try {
    run_in_actor(*c, [c = c, o, bound, ep = std::string(endpoint), subscriptions, old = std::string(drop)] {
      *bound = c->expose_more(*o, ep, subscriptions, old);
    }, timeout);
  } catch (const graph_error& e) {
    throw graph_error("cannot expose '" + std::string(from) + "' at '" + std::string(endpoint) + "': " + e.what());
  }
  return *bound;
}

bool graph::reconnect_remote(std::string_view from, std::string_view before, std::string_view endpoint, std::string_view to,
                             std::chrono::milliseconds timeout) {
  graph_core& g = *core_;
  auto [r, pname] = one_cell(g, to);
  input* i = r->find_input(pname);
  if (!i) throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "': '" + std::string(to) + "' is an output port");
  try {
    return run_in_actor(*r, [r = r, i, up = std::string(parse(from).actor), old = std::string(before),
                             ep = std::string(endpoint)] { r->reconnect(up, *i, old, ep); }, timeout);
  } catch (const graph_error& e) {
    throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "' over '" + std::string(endpoint) + "': " + e.what());
  }
}

// ---- live migration ----

namespace {

/// The one cell named `name` (an actor or one replica).
cell* named_cell(const graph_core& g, std::string_view name) {
  const auto& cells = resolve(g, name);
  if (cells.size() != 1) throw graph_error("'" + std::string(name) + "' names a pool; name one replica, as '" + std::string(name) + "[0]'");
  return cells.front();
}

}  // namespace

std::optional<graph::sent_counts> graph::pause_output(std::string_view from, bool paused, std::chrono::milliseconds timeout) {
  auto [c, pname] = one_cell(*core_, from);
  output* o = c->find_output(pname);
  if (!o) throw graph_error("cannot pause '" + std::string(from) + "': it is an input port");
  auto sent = std::make_shared<sent_counts>();
  if (!run_in_actor(*c, [c = c, o, sent, paused] { *sent = c->pause_output(*o, paused); }, timeout)) return std::nullopt;
  return std::move(*sent);
}

std::optional<bool> graph::exposure_ready(std::string_view from, std::string_view endpoint, int subscriptions,
                                          std::chrono::milliseconds timeout) {
  auto [c, pname] = one_cell(*core_, from);
  output* o = c->find_output(pname);
  if (!o) throw graph_error("'" + std::string(from) + "' is an input port");
  auto ready = std::make_shared<bool>(false);
  if (!run_in_actor(*c, [c = c, o, ready, ep = std::string(endpoint), subscriptions] { *ready = c->exposure_ready(*o, ep, subscriptions); },
                    timeout))
    return std::nullopt;
  return *ready;
}

std::optional<graph::moved_actor> graph::move_out(std::string_view actor, const sent_counts& expect, std::chrono::milliseconds timeout) {
  cell* c = named_cell(*core_, actor);
  auto result = std::make_shared<std::promise<cell::moved>>();
  std::future<cell::moved> f = result->get_future();
  run_in_actor(*c, [c, expect, result] {
    c->move_out(expect, [result](cell::moved m) { result->set_value(std::move(m)); });
  }, timeout);
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (f.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
    if (c->state() == cell::phase::finished) {
      if (f.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) break;
      return std::nullopt;  // it finished (a hard stop) before it was drained
    }
    if (std::chrono::steady_clock::now() > end) {
      auto waiting = std::make_shared<std::string>();
      run_in_actor(*c, [c, waiting] { *waiting = c->cancel_move(); }, timeout);
      if (f.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) break;  // drained meanwhile
      throw graph_error("actor '" + std::string(actor) + "' did not take everything sent to it within " +
                        std::to_string(timeout.count()) + " ms (" + *waiting + "); it stays where it is");
    }
  }
  cell::moved m = f.get();
  if (!m.error.empty()) throw graph_error(m.error + "; it stays where it is");
  return moved_actor{std::move(m.state), std::move(m.sent)};
}

void graph::set_state(std::string_view actor, nlohmann::json state) {
  if (core_->started) throw graph_error("graph '" + core_->name + "': set_state('" + std::string(actor) + "') after start()");
  named_cell(*core_, actor)->set_initial_state(std::move(state));
}

bool graph::adopt_remote(std::string_view from, std::string_view before, std::string_view endpoint, std::string_view to, bool was_local,
                         std::chrono::milliseconds timeout) {
  auto [r, pname] = one_cell(*core_, to);
  input* i = r->find_input(pname);
  if (!i) throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "': '" + std::string(to) + "' is an output port");
  try {
    return run_in_actor(*r, [r = r, i, up = std::string(parse(from).actor), old = std::string(before), ep = std::string(endpoint),
                             was_local] { r->adopt_remote_upstream(up, *i, old, ep, was_local); }, timeout);
  } catch (const graph_error& e) {
    throw graph_error("cannot link '" + std::string(from) + "' -> '" + std::string(to) + "' over '" + std::string(endpoint) + "': " + e.what());
  }
}

std::optional<std::uint64_t> graph::received_from(std::string_view to, std::string_view endpoint, std::chrono::milliseconds timeout) {
  auto [r, pname] = one_cell(*core_, to);
  input* i = r->find_input(pname);
  if (!i) throw graph_error("'" + std::string(to) + "' is an output port");
  auto n = std::make_shared<std::uint64_t>(0);
  if (!run_in_actor(*r, [r = r, i, n, ep = std::string(endpoint)] { *n = r->received_from(*i, ep); }, timeout)) return std::nullopt;
  return *n;
}

bool graph::forget_endpoint(std::string_view to, std::string_view before, std::string_view endpoint, bool disconnect,
                            std::chrono::milliseconds timeout) {
  auto [r, pname] = one_cell(*core_, to);
  input* i = r->find_input(pname);
  if (!i) throw graph_error("'" + std::string(to) + "' is an output port");
  return run_in_actor(*r, [r = r, i, old = std::string(before), ep = std::string(endpoint), disconnect] {
    r->forget_endpoint(*i, old, ep, disconnect);
  }, timeout);
}

void graph::remote_finished(std::string_view actor, const sent_counts& sent) {
  for (auto& c : core_->cells) c->remote_finished(actor, sent);
}

bool graph::remote_ready(std::string& waiting) {
  graph_core& g = *core_;
  auto local = [&](const cell& c) {
    return [&](const output& o) {
      std::uint64_t n = 0;
      const std::string from = c.name() + "." + o.name();
      for (const auto& l : g.link_list) {
        if (l.from != from) continue;
        auto t = g.input_topics.find(l.to);
        if (t != g.input_topics.end()) n += t->second.size();
      }
      return n;
    };
  };
  for (auto& c : g.cells) {
    waiting = c->remote_waiting(local(*c));
    if (!waiting.empty()) return false;
  }
  return true;
}

void graph::on_actor_finished(std::function<void(const std::string& actor, const sent_counts& sent)> fn) {
  if (core_->started) throw graph_error("graph '" + core_->name + "': on_actor_finished() after start()");
  core_->finished_hook = std::move(fn);
}

std::vector<link_info> graph::links() const {
  graph_core& g = *core_;
  g.links_epoch.fetch_add(1, std::memory_order_relaxed);
  if (g.started) {
    for (auto& c : g.cells)
      if (c->state() == cell::phase::running) c->wake();  // refreshes its counts at its next run
  }
  std::vector<link_info> v;
  v.reserve(g.link_list.size());
  for (const auto& l : g.link_list) v.push_back({l.from, l.to, l.topics, l.receiver->link_messages(l.slot)});
  return v;
}

}  // namespace troupe::actors
