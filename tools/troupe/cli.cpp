// `troupe`: dispatch of the commands; errors become messages and exit codes.
#include "cli.hpp"

#include "options.hpp"
#include "run.hpp"

#include <troupe/actors/distributed_graph.hpp>
#include <troupe/actors/dot.hpp>
#include <troupe/actors/node.hpp>
#include <troupe/actors/placement.hpp>
#include <troupe/framework/log.hpp>
#include <troupe/actors/graph_file.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/context.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace troupe::cli {

namespace {

namespace ta = troupe::actors;

void list_types(const ta::registry& types) {
  const auto names = types.names();
  if (names.empty()) std::puts("(no actor types are linked into this program)");
  for (const std::string& n : names) {
    const ta::actor_type& t = types.find(n);
    std::string ins, outs;
    for (const ta::port_spec& p : t.ports) {
      std::string& list = ta::is_input(p.kind) ? ins : outs;
      list += (list.empty() ? "" : ", ") + p.name + " (" + std::string(ta::to_string(p.kind)) +
              (p.options.required ? "" : ", optional") + ")";
    }
    std::printf("%s  [%s]  in: %s  out: %s\n", n.c_str(), t.style == ta::actor_style::fiber ? "fiber" : "handler",
                ins.empty() ? "-" : ins.c_str(), outs.empty() ? "-" : outs.c_str());
  }
}

int code_of(run_result r) {
  switch (r) {
    case run_result::finished: return 0;
    case run_result::failed: return 1;
    case run_result::interrupted: return 130;
  }
  return 1;
}

/// The graph file and its text, with the command line's --node/--place applied (then the
/// text is the re-written document the nodes get, and errors name it so).
struct loaded_graph {
  ta::graph_description d;
  std::string text;
};
loaded_graph load_graph(const options& o) {
  loaded_graph g{ta::graph_file::load(o.graph_file), {}};
  std::ifstream in(o.graph_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  g.text = text.str();
  if (o.placement.empty()) return g;
  g.text = ta::graph_file::with_placement(g.text, g.d, o.placement);
  g.d = ta::graph_file::parse(g.text, o.graph_file + " (with --node/--place)");
  return g;
}

/// A graph file with "nodes": checked here when this program hosts its types, then shown
/// (graph) or deployed to its nodes and run (run).
int run_distributed(const options& o, const ta::registry& types, const ta::graph_description& d, const std::string& text) {
  framework::runtime rt;
  messaging::context ctx(rt);
  const ta::placement_plan plan = ta::plan_placement(d, o.force_tcp);
  bool hosted = true;
  for (const ta::actor_decl& a : d.actors) hosted = hosted && types.contains(a.type);
  std::optional<ta::graph> whole;
  if (hosted) {
    whole.emplace(ctx, d.name, types);
    ta::graph_file::build(*whole, d);  // types, ports and links checked before any node is asked
  }
  for (const ta::placed_link& l : plan.links) {
    if (!l.remote()) continue;
    framework::log(framework::log_level::info, "link " + l.from + " (node " + l.from_node + ") -> " + l.to + " (node " +
                                                   l.to_node + "): " + ta::transport_text(l) +
                                                   (l.transport == "epgm"  ? " (multicast)"
                                                    : l.transport == "ipc" ? " (one host)"
                                                    : o.force_tcp          ? " (--tcp)"
                                                                           : " (other hosts)"));
  }
  if (o.cmd == options::command::graph) {
    if (o.run_graph) throw usage_error("'graph --run' runs graphs in one process; for a graph with \"nodes\" use 'run --counters-json'");
    if (!whole) throw ta::graph_error("'graph' of a distributed graph needs its actor types in this program");
    std::cout << ta::to_dot(*whole, {.counts = false, .placement = &plan}) << std::flush;
    return 0;
  }
  whole.reset();
  ta::distributed_graph g(ctx, d, text, {.force_tcp = o.force_tcp, .control = ta::coordinator_endpoint(d)});
  if (o.attach) {
    framework::log(framework::log_level::info, "graph '" + d.name + "': attached to run " + g.attach());
  } else {
    g.deploy();
  }
  return code_of(run_graph(g, o));
}

volatile std::sig_atomic_t g_node_signal = 0;
ta::node* g_node = nullptr;
extern "C" void on_node_signal(int) {
  g_node_signal = 1;
  if (g_node) g_node->request_stop();
}

int node_command(const options& o, const ta::registry& types) {
  framework::runtime rt;
  messaging::context ctx(rt);
  ta::node n(ctx, {.name = o.node_name, .listen = o.listen}, types);
  g_node = &n;
  struct sigaction sa {};
  sa.sa_handler = on_node_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  try {
    n.run();
  } catch (...) {
    g_node = nullptr;
    throw;
  }
  g_node = nullptr;
  return 0;
}

int status_command(const options& o) {
  ta::graph_description d = ta::graph_file::load(o.graph_file);
  // Only the nodes matter here: each --node replaces or adds one (--place is not needed).
  for (const auto& n : o.placement.nodes) {
    ta::node_decl given;
    given.name = n.name;
    given.control = n.control;
    const auto at = std::find_if(d.nodes.begin(), d.nodes.end(), [&](const ta::node_decl& x) { return x.name == n.name; });
    if (at != d.nodes.end()) *at = given;
    else d.nodes.push_back(given);
  }
  if (!d.distributed()) throw ta::graph_error("graph '" + d.name + "' lists no \"nodes\" (nor --node): 'status' asks nodes");
  framework::runtime rt;
  messaging::context ctx(rt);
  int code = 0;
  for (const ta::node_decl& n : d.nodes) {
    nlohmann::json s;
    try {
      s = ta::node_status(ctx, n.control, std::chrono::seconds(3));
    } catch (const std::exception& e) {
      std::printf("node %s (%s): not answering: %s\n", n.name.c_str(), n.control.c_str(), e.what());
      code = 1;
      continue;
    }
    std::printf("node %s (%s, pid %lld): %s%s\n", n.name.c_str(), n.control.c_str(), s.value("pid", 0LL),
                s.value("state", std::string("?")).c_str(),
                s.contains("graph") ? (", graph '" + s["graph"].get<std::string>() + "' run " + s.value("run", std::string())).c_str() : "");
    if (!s.contains("counters")) continue;
    for (auto& [actor, c] : s["counters"].items())
      std::printf("  %-20s %-9s in %12llu  out %12llu  queued %8llu  restarts %llu\n", actor.c_str(),
                  c.value("state", std::string("?")).c_str(), c.value("in", 0ULL), c.value("out", 0ULL), c.value("queued", 0ULL),
                  c.value("restarts", 0ULL));
  }
  return code;
}

/// Drains (or, --hard, stops) and tears down the run of a distributed graph its nodes are
/// running, whoever deployed it.
int stop_command(const options& o) {
  const ta::graph_description d = load_graph(o).d;  // --node/--place as for the run
  if (!d.distributed()) throw ta::graph_error("graph '" + d.name + "' lists no \"nodes\": 'stop' stops the run of its nodes");
  framework::runtime rt;
  messaging::context ctx(rt);
  ta::distributed_graph g(ctx, d, {}, {.answer_timeout = std::chrono::seconds(3)});
  std::string run;
  try {
    run = g.attach();
  } catch (const ta::graph_error& e) {
    std::printf("graph '%s': nothing to stop: %s\n", d.name.c_str(), e.what());
    return 0;
  }
  std::printf("graph '%s': %s run %s\n", d.name.c_str(), o.hard ? "stopping" : "draining", run.c_str());
  g.start();
  const ta::stop_report r = g.stop(o.hard ? ta::stop_mode::hard : ta::stop_mode::drain, std::chrono::seconds(10));
  std::printf("graph '%s': run %s %s%s%s\n", d.name.c_str(), run.c_str(), r.finished ? "stopped" : "not stopped on every node",
              r.error.empty() ? "" : ": ", r.error.c_str());
  return r.finished && r.error.empty() ? 0 : 1;
}

/// Asks the graph's running coordinator (`troupe run` on this host) to move an actor.
int move_command(const options& o) {
  const ta::graph_description d = load_graph(o).d;
  if (!d.distributed()) throw ta::graph_error("graph '" + d.name + "' lists no \"nodes\": 'move' moves actors between nodes");
  framework::runtime rt;
  messaging::context ctx(rt);
  const std::string ep = ta::coordinator_endpoint(d);
  std::printf("graph '%s': moving %s to node '%s'\n", d.name.c_str(), o.move_actor.c_str(), o.move_to.c_str());
  std::fflush(stdout);
  ta::request_move(ctx, ep, o.move_actor, o.move_to, std::chrono::seconds(120));
  std::printf("graph '%s': %s moved to node '%s'\n", d.name.c_str(), o.move_actor.c_str(), o.move_to.c_str());
  return 0;
}

int run_command(const options& o, const ta::registry& types) {
  const loaded_graph file = load_graph(o);
  const ta::graph_description& d = file.d;
  if (d.distributed()) return run_distributed(o, types, d, file.text);
  if (o.force_tcp) throw usage_error("--tcp is for graphs with \"nodes\" (links between nodes)");
  if (o.attach) throw usage_error("--attach is for graphs with \"nodes\" (it follows the run of their nodes)");
  framework::runtime rt;
  messaging::context ctx(rt);
  int code = 0;
  {
    ta::graph g(ctx, d.name, types);
    ta::graph_file::build(g, d);
    const bool runs = o.cmd == options::command::run || o.run_graph;
    if (runs) code = code_of(run_graph(g, o));
    if (o.cmd == options::command::graph) std::cout << ta::to_dot(g, {.counts = o.run_graph}) << std::flush;
  }
  return code;
}

}  // namespace

int main(int argc, char** argv, const ta::registry& types) {
  options o;
  try {
    o = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 2;
  }
  try {
    switch (o.cmd) {
      case options::command::help: std::fputs(usage_text(), stdout); return 0;
      case options::command::version: std::puts("troupe " TROUPE_VERSION); return 0;
      case options::command::types: list_types(types); return 0;
      case options::command::run:
      case options::command::graph: return run_command(o, types);
      case options::command::node: return node_command(o, types);
      case options::command::status: return status_command(o);
      case options::command::stop: return stop_command(o);
      case options::command::move: return move_command(o);
    }
  } catch (const usage_error& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 2;
  } catch (const ta::graph_error& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace troupe::cli
