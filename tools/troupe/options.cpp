// Command-line parsing of `troupe`.
#include "options.hpp"

#include <cmath>
#include <utility>

namespace troupe::cli {

const char* usage_text() noexcept {
  return R"(troupe - run actor graphs described in JSON (see docs/graph-format.md)

usage:
  troupe run GRAPH.json [options]     run the graph in this process until it finishes
  troupe graph GRAPH.json [--run ...] print the graph as Graphviz DOT (with --run: run it
                                      first and label each link with its message count)
  troupe types                        list the actor types this program hosts
  troupe node --name NAME --listen ENDPOINT
                                      host actors for distributed graphs (graph files with
                                      "nodes"; see docs/distributing.md) until Ctrl-C
  troupe status GRAPH.json            each node of a distributed graph: its state and
                                      every actor's counters
  troupe stop GRAPH.json [--hard]     drain (or stop at once) and tear down the run of a
                                      distributed graph that its nodes are running, e.g.
                                      one whose `troupe run` died
  troupe move GRAPH.json ACTOR --to NODE
                                      move a running actor of a distributed graph to
                                      another node, its state with it (asks the graph's
                                      `troupe run`, which must run on this host)
  troupe --help | --version

A graph file with "nodes" (or given --node and --place) runs distributed: `troupe run` deploys each node's part to its
`troupe node` process, links nodes over ipc (same host) or tcp, starts, shows progress and
drains on Ctrl-C as in one process.

options of run (and of graph --run):
  --timeout SECONDS       fail (exit 1) if the graph has not finished by then; it is drained
  --duration SECONDS      run this long, then drain it and succeed (endless sources)
  --counters-json FILE    write the final per-actor counters and link counts as JSON
  --progress | --no-progress
                          force the live progress line on stderr on or off (default: on
                          when stderr is a terminal)
  --tcp                   distributed graphs: links between nodes over tcp even when the
                          nodes share a host (default there: ipc)
  --attach                distributed graphs: follow the run the nodes are running (its
                          `troupe run` died) instead of deploying a new one

placement on the command line (run, graph, status, stop; overrides the graph file's):
  --node NAME=ENDPOINT    a node and its control endpoint (ipc://PATH or tcp://HOST:PORT);
                          replaces the file's node of that name (repeatable)
  --place ACTOR=NODE      run ACTOR (a pool: every replica) on NODE (repeatable)
  --place POOL=N1,N2,...  one node per replica of a pool
  --place POOL[I]=NODE    replica I of a pool on NODE (after the pool's own --place, if any)
  With them a graph file without "nodes" runs distributed, e.g.
    troupe run graph.json --node a=ipc:///tmp/na --node b=ipc:///tmp/nb \
        --place read=a --place tokenize=a,b,a,b --place count=b --place merge=a

Ctrl-C drains the graph (sources stop, queued messages are finished); a second Ctrl-C stops
it at once. Exit codes: 0 done, 1 graph error or failed run, 2 usage error, 130 interrupted.
)";
}

namespace {

std::chrono::milliseconds seconds_arg(const std::string& flag, const std::string& value) {
  std::size_t used = 0;
  double s = -1;
  try {
    s = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || !(s > 0) || s > 1e7)
    throw usage_error(flag + " takes a positive number of seconds, not '" + value + "'");
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(s * 1000)));
}

/// "NAME=VALUE" split at its first '=', both parts non-empty.
std::pair<std::string, std::string> assignment(const std::string& flag, const std::string& value, const char* form) {
  const auto eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
    throw usage_error(flag + " takes " + form + ", not '" + value + "'");
  return {value.substr(0, eq), value.substr(eq + 1)};
}

troupe::actors::placement_overrides::node_entry node_arg(const std::string& value) {
  auto [name, control] = assignment("--node", value, "NAME=ENDPOINT");
  if (name.find_first_of("./[] ") != std::string::npos)
    throw usage_error("--node " + value + ": a node name has no '.', '/', '[', ']' or space, unlike '" + name + "'");
  if ((!control.starts_with("ipc://") && !control.starts_with("tcp://")) || control.size() <= 6)
    throw usage_error("--node " + value + ": the control endpoint must be ipc://PATH or tcp://HOST:PORT, not '" + control + "'");
  return {std::move(name), std::move(control)};
}

troupe::actors::placement_overrides::actor_entry place_arg(const std::string& value) {
  auto [actor, list] = assignment("--place", value, "ACTOR=NODE or POOL=NODE,NODE,...");
  troupe::actors::placement_overrides::actor_entry e{std::move(actor), {}};
  for (std::size_t from = 0;;) {
    const auto comma = list.find(',', from);
    e.nodes.push_back(list.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (e.nodes.back().empty()) throw usage_error("--place " + value + ": an empty node name in '" + list + "'");
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return e;
}

}  // namespace

options parse_options(const std::vector<std::string>& args) {
  options o;
  if (args.empty()) throw usage_error("no command given (try 'troupe --help')");
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return o;
  if (cmd == "--version") {
    o.cmd = options::command::version;
    return o;
  }
  if (cmd == "types") {
    o.cmd = options::command::types;
  } else if (cmd == "run") {
    o.cmd = options::command::run;
  } else if (cmd == "graph") {
    o.cmd = options::command::graph;
  } else if (cmd == "node") {
    o.cmd = options::command::node;
  } else if (cmd == "status") {
    o.cmd = options::command::status;
  } else if (cmd == "stop") {
    o.cmd = options::command::stop;
  } else if (cmd == "move") {
    o.cmd = options::command::move;
  } else {
    throw usage_error("unknown command '" + cmd + "' (expected run, graph, node, status, stop, move or types; try 'troupe --help')");
  }
  bool runs = o.cmd == options::command::run;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      o.cmd = options::command::help;
      return o;
    }
    if (a == "--run" && o.cmd == options::command::graph) {
      o.run_graph = runs = true;
    } else if (a == "--timeout") {
      o.timeout = seconds_arg(a, value());
    } else if (a == "--duration") {
      o.duration = seconds_arg(a, value());
    } else if (a == "--counters-json") {
      o.counters_json = value();
      if (o.counters_json.empty()) throw usage_error("--counters-json needs a file name");
    } else if (a == "--tcp" && (o.cmd == options::command::run || o.cmd == options::command::graph)) {
      o.force_tcp = true;
    } else if (a == "--node" && o.cmd != options::command::node && o.cmd != options::command::types) {
      o.placement.nodes.push_back(node_arg(value()));
    } else if (a == "--place" && o.cmd != options::command::node && o.cmd != options::command::types) {
      o.placement.actors.push_back(place_arg(value()));
    } else if (a == "--attach" && o.cmd == options::command::run) {
      o.attach = true;
    } else if (a == "--hard" && o.cmd == options::command::stop) {
      o.hard = true;
    } else if (a == "--to" && o.cmd == options::command::move) {
      o.move_to = value();
    } else if (a == "--name" && o.cmd == options::command::node) {
      o.node_name = value();
    } else if (a == "--listen" && o.cmd == options::command::node) {
      o.listen = value();
    } else if (a == "--progress") {
      o.progress = options::progress_mode::on;
    } else if (a == "--no-progress") {
      o.progress = options::progress_mode::off;
    } else if (a.starts_with("-")) {
      throw usage_error("unknown option '" + a + "' for '" + cmd + "' (try 'troupe --help')");
    } else if (o.graph_file.empty() && o.cmd != options::command::types && o.cmd != options::command::node) {
      o.graph_file = a;
    } else if (o.cmd == options::command::move && o.move_actor.empty()) {
      o.move_actor = a;
    } else {
      throw usage_error("unexpected argument '" + a + "'");
    }
  }
  if (o.cmd == options::command::node) {
    if (o.node_name.empty()) throw usage_error("'node' needs --name NAME");
    if (o.listen.empty()) throw usage_error("'node' needs --listen ENDPOINT (ipc://PATH or tcp://HOST:PORT)");
  } else if (o.cmd != options::command::types && o.graph_file.empty()) {
    throw usage_error("'" + cmd + "' needs a graph file");
  }
  if (o.cmd == options::command::move && (o.move_actor.empty() || o.move_to.empty()))
    throw usage_error("'move' needs an actor and --to NODE: troupe move GRAPH.json ACTOR --to NODE");
  const bool run_options = o.timeout || o.duration || !o.counters_json.empty() || o.progress != options::progress_mode::automatic;
  if (run_options && !runs) throw usage_error("--timeout, --duration, --counters-json and --progress need 'run' or 'graph --run'");
  if (o.timeout && o.duration) throw usage_error("--timeout and --duration exclude each other");
  if (o.attach && o.force_tcp) throw usage_error("--attach follows a run as it was deployed: --tcp does not apply");
  return o;
}

}  // namespace troupe::cli
