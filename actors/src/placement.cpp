// Placement of a distributed graph: actors on nodes, each link expanded to actor pairs and
// given its transport, and one node's part of the graph built.
#include <troupe/actors/placement.hpp>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <functional>
#include <set>

namespace troupe::actors {

namespace {

std::string transport_between(const graph_description& d, const std::string& a, const std::string& b, bool multicast,
                              bool force_tcp);

std::string replica_name(const actor_decl& a, int i) {
  return a.options.replicas == 1 ? a.name : a.name + "[" + std::to_string(i) + "]";
}

const actor_decl& decl_named(const graph_description& d, std::string_view base) {
  for (const actor_decl& a : d.actors)
    if (a.name == base) return a;
  d.fail("", "no actor named '" + std::string(base) + "'");  // load() checked the addresses
}

/// The actors (replica names) an address's actor part names, with their nodes.
std::vector<std::pair<std::string, std::string>> cells_of(const graph_description& d, std::string_view actor) {
  const auto br = actor.find('[');
  const actor_decl& a = decl_named(d, actor.substr(0, br));
  std::vector<std::pair<std::string, std::string>> v;
  for (int i = 0; i < a.options.replicas; ++i) {
    std::string n = replica_name(a, i);
    if (br != std::string_view::npos && n != actor) continue;
    v.emplace_back(std::move(n), a.placement.at(static_cast<std::size_t>(i)));
  }
  return v;
}

std::string transport_between(const graph_description& d, const std::string& a, const std::string& b, bool multicast,
                              bool force_tcp) {
  if (a == b) return "inproc";
  if (multicast) return "epgm";  // whatever the hosts: what marking a link multicast asks for
  return !force_tcp && same_host(*d.find_node(a), *d.find_node(b)) ? "ipc" : "tcp";
}

bool loopback(std::string_view h) { return h == "localhost" || h.starts_with("127.") || h == "::1" || h == "[::1]"; }

}  // namespace

std::string host_of(const node_decl& n) {
  std::string h = n.host;
  if (h.empty() && n.control.starts_with("tcp://")) {
    h = n.control.substr(6);
    if (const auto colon = h.rfind(':'); colon != std::string::npos) h = h.substr(0, colon);
  }
  if (h.empty() || loopback(h)) return "localhost";
  return h;
}

placement_plan plan_placement(const graph_description& d, bool force_tcp) {
  placement_plan p;
  // Multicast: one group per sending output, assigned in link order (the same plan everywhere).
  struct assigned {
    multicast_group g;
    const multicast_decl* decl;
  };
  std::map<std::string, assigned, std::less<>> group_of;  // "replica.port" → its group
  for (const actor_decl& a : d.actors) {
    for (int i = 0; i < a.options.replicas; ++i) {
      std::string n = replica_name(a, i);
      p.node_of[n] = a.placement.at(static_cast<std::size_t>(i));
      p.actors.push_back(std::move(n));
    }
  }
  std::map<std::string, std::set<std::string>, std::less<>> topics_of;  // input → distinct topics
  for (const link_decl& l : d.links) {
    const auto fdot = l.from.rfind('.');
    const auto tdot = l.to.rfind('.');
    const std::string out = l.from.substr(fdot + 1), in = l.to.substr(tdot + 1);
    int sender_index = 0;
    for (const auto& [s, snode] : cells_of(d, std::string_view(l.from).substr(0, fdot))) {
      std::optional<multicast_group> mg;
      if (l.multicast) {
        const multicast_decl& m = *l.multicast;
        const std::string key = s + "." + out;
        auto it = group_of.find(key);
        if (it == group_of.end()) {
          const int base = m.port != 0 ? m.port : multicast_decl::default_base_port + static_cast<int>(group_of.size());
          const int port = m.port != 0 ? base + sender_index : base;
          if (port > 65535)
            d.fail(m.pointer, "output '" + key + "' would get port " + std::to_string(port) + " (above 65535): give a lower \"port\"");
          for (const auto& [other, a] : group_of)
            if (a.g.group == m.group && a.g.port == port)
              d.fail(m.pointer, "output '" + key + "' would get group " + m.group + ":" + std::to_string(port) + ", which output '" +
                                    other + "' has (" + a.decl->pointer + "): give another \"port\" or \"group\"");
          it = group_of.emplace(key, assigned{{m.group, port, m.rate, m.recovery_ivl}, &m}).first;
        } else if (!(*it->second.decl == m)) {
          d.fail(m.pointer, "output '" + key + "' has its multicast group from " + it->second.decl->pointer +
                                " already: links from one output share one group, give them the same \"multicast\"");
        }
        mg = it->second.g;
      }
      ++sender_index;
      for (const auto& [r, rnode] : cells_of(d, std::string_view(l.to).substr(0, tdot))) {
        placed_link x;
        x.id = p.links.size();
        x.from = s + "." + out;
        x.to = r + "." + in;
        x.topics = l.topics;
        x.from_node = snode;
        x.to_node = rnode;
        x.pointer = l.pointer;
        x.multicast = mg;
        x.transport = transport_between(d, snode, rnode, mg.has_value(), force_tcp);
        auto& set = topics_of[x.to];
        if (l.topics.empty()) set.insert("");
        set.insert(l.topics.begin(), l.topics.end());
        p.links.push_back(std::move(x));
      }
    }
  }
  for (placed_link& x : p.links) x.subscriptions = static_cast<int>(topics_of[x.to].size());
  return p;
}

void relocate(placement_plan& p, const graph_description& d, const std::map<std::string, std::string>& moves, int gen,
              bool force_tcp) {
  for (const auto& [actor, node] : moves) {
    if (!p.node_of.contains(actor)) throw graph_error("cannot move actor '" + actor + "': the graph has no such actor");
    if (!d.find_node(node)) throw graph_error("cannot move actor '" + actor + "' to node '" + node + "': the graph has no such node");
    p.node_of[actor] = node;
    p.part_of[actor] = gen;
  }
  for (placed_link& l : p.links) {
    const std::string from = l.from_actor(), to = l.to_actor();
    if (!moves.contains(from) && !moves.contains(to)) continue;
    l.from_node = p.node_of.at(from);
    l.to_node = p.node_of.at(to);
    l.from_part = p.part(from);
    l.to_part = p.part(to);
    l.transport = transport_between(d, l.from_node, l.to_node, l.multicast.has_value(), force_tcp);
    l.gen = gen;
  }
}

std::string data_endpoint(const graph_description& d, const placed_link& l, std::string_view run_id) {
  const std::string name = "troupe-" + std::string(run_id) + "-" + std::to_string(l.id) + (l.gen > 0 ? "-g" + std::to_string(l.gen) : "");
  if (l.transport == "inproc") return "inproc://" + name;
  if (l.transport == "ipc") return "ipc:///tmp/" + name + ".ipc";
  std::string h = host_of(*d.find_node(l.from_node));
  if (h == "localhost") h = "127.0.0.1";
  return "tcp://" + h + ":*";
}

std::string interface_of(const node_decl& n) {
  if (!n.interface.empty()) return n.interface;
  const std::string h = host_of(n);
  if (h == "localhost") return "127.0.0.1";
  in_addr a4{};
  in6_addr a6{};
  if (::inet_pton(AF_INET, h.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, h.c_str(), &a6) == 1) return h;
  std::string bare = h;  // "[::1]"-style hosts
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') return bare.substr(1, bare.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (::getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || !res)
    throw graph_error("node '" + n.name + "': host '" + h + "' does not resolve to an IPv4 address for its multicast links; give the node an \"interface\"");
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(res->ai_addr)->sin_addr, buf, sizeof buf);
  ::freeaddrinfo(res);
  return buf;
}

std::string multicast_endpoint(const graph_description& d, const placed_link& l, std::string_view node) {
  const multicast_group& m = l.multicast.value();
  return "epgm://" + interface_of(*d.find_node(node)) + ";" + m.group + ":" + std::to_string(m.port);
}

std::string transport_text(const placed_link& l) {
  if (l.transport != "epgm" || !l.multicast) return l.transport;
  return "epgm " + l.multicast->group + ":" + std::to_string(l.multicast->port);
}

namespace graph_file {

namespace {

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string place_arg(const placement_overrides::actor_entry& e) { return "--place " + e.actor + "=" + joined(e.nodes, ","); }

}  // namespace

std::string with_placement(std::string_view text, const graph_description& d, const placement_overrides& o) {
  using ojson = nlohmann::ordered_json;
  ojson doc = ojson::parse(text);  // d is its parse: valid
  // Nodes: the file's, each replaced or added by --node.
  std::vector<std::string> node_names;
  for (const node_decl& n : d.nodes) node_names.push_back(n.name);
  if (!o.nodes.empty() && !doc.contains("nodes")) doc["nodes"] = ojson::array();
  ojson& nodes = doc["nodes"];
  for (std::size_t i = 0; i < o.nodes.size(); ++i) {
    const auto& n = o.nodes[i];
    for (std::size_t k = 0; k < i; ++k)
      if (o.nodes[k].name == n.name) throw graph_error("--node " + n.name + "=" + n.control + ": node '" + n.name + "' is given twice");
    const ojson entry = {{"name", n.name}, {"control", n.control}};
    bool replaced = false;
    for (ojson& x : nodes)
      if (x.value("name", std::string()) == n.name) x = entry, replaced = true;
    if (!replaced) nodes.push_back(entry), node_names.push_back(n.name);
  }
  if (doc.contains("nodes") && nodes.empty()) doc.erase("nodes");
  // Actors: each --place replaces the actor's "node"/"nodes"; then each --place POOL[i]=NODE
  // replaces one replica's node.
  std::vector<std::string> actor_names;
  for (const actor_decl& a : d.actors) actor_names.push_back(a.name);
  auto check_nodes = [&](const placement_overrides::actor_entry& e) {
    for (const std::string& n : e.nodes) {
      if (std::find(node_names.begin(), node_names.end(), n) != node_names.end()) continue;
      throw graph_error(place_arg(e) + ": unknown node '" + n + "' (" +
                        (node_names.empty() ? std::string("the graph lists no nodes; give them with --node NAME=ENDPOINT")
                                            : "nodes: " + joined(node_names)) + ")");
    }
  };
  auto index_of = [&](std::string_view name) {
    for (std::size_t i = 0; i < actor_names.size(); ++i)
      if (actor_names[i] == name) return i;
    return actor_names.size();
  };
  std::set<std::string, std::less<>> placed;
  std::vector<const placement_overrides::actor_entry*> replicas;  // POOL[i] entries, applied last
  std::map<std::size_t, std::vector<std::string>> pool_nodes;      // their pools' nodes, by actor
  for (const auto& e : o.actors) {
    if (const auto br = e.actor.find('['); br != std::string::npos) {
      replicas.push_back(&e);
      continue;
    }
    const std::size_t at = index_of(e.actor);
    if (at == actor_names.size())
      throw graph_error(place_arg(e) + ": the graph has no actor '" + e.actor + "' (actors: " + joined(actor_names) + ")");
    if (!placed.insert(e.actor).second) throw graph_error(place_arg(e) + ": actor '" + e.actor + "' is placed twice");
    check_nodes(e);
    const int replicas_n = d.actors[at].options.replicas;
    if (e.nodes.size() != 1 && e.nodes.size() != static_cast<std::size_t>(replicas_n))
      throw graph_error(place_arg(e) + ": '" + e.actor + "' has " + std::to_string(replicas_n) + " replica" +
                        (replicas_n == 1 ? "" : "s") + "; give one node for " + (replicas_n == 1 ? "it" : "all") +
                        (replicas_n == 1 ? "" : " or one per replica (" + std::to_string(replicas_n) + ")") + ", not " +
                        std::to_string(e.nodes.size()));
    ojson& a = doc["actors"][at];
    a.erase("node");
    a.erase("nodes");
    if (e.nodes.size() == 1) a["node"] = e.nodes.front();
    else a["nodes"] = e.nodes;
  }
  for (const placement_overrides::actor_entry* e : replicas) {
    // "POOL[i]": one replica of a pool, on one node; the pool's other replicas keep theirs.
    const auto br = e->actor.find('[');
    const std::string base = e->actor.substr(0, br);
    const std::size_t at = index_of(base);
    if (at == actor_names.size())
      throw graph_error(place_arg(*e) + ": the graph has no actor '" + base + "' (actors: " + joined(actor_names) + ")");
    const int replicas_n = d.actors[at].options.replicas;
    const std::string index = e->actor.substr(br + 1, e->actor.size() - br - 2);
    const bool digits = !index.empty() && index.size() < 9 && e->actor.back() == ']' &&
                        std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
    const int i = digits ? std::stoi(index) : -1;
    if (i < 0 || i >= replicas_n)
      throw graph_error(place_arg(*e) + ": '" + e->actor + "' is not a replica of '" + base + "', which has " +
                        std::to_string(replicas_n) + " (" + base + "[0]" + (replicas_n > 1 ? " .. " + base + "[" + std::to_string(replicas_n - 1) + "]" : "") + ")");
    if (!placed.insert(e->actor).second) throw graph_error(place_arg(*e) + ": replica '" + e->actor + "' is placed twice");
    if (e->nodes.size() != 1) throw graph_error(place_arg(*e) + ": a replica runs on one node, not " + std::to_string(e->nodes.size()));
    check_nodes(*e);
    auto [it, fresh] = pool_nodes.try_emplace(at, static_cast<std::size_t>(replicas_n));
    const ojson& a = doc["actors"][at];
    if (fresh && a.contains("nodes")) it->second = a["nodes"].get<std::vector<std::string>>();
    else if (fresh && a.contains("node")) it->second.assign(it->second.size(), a["node"].get<std::string>());
    it->second[static_cast<std::size_t>(i)] = e->nodes.front();
  }
  for (auto& [at, per_replica] : pool_nodes) {
    std::string unplaced;
    for (std::size_t k = 0; k < per_replica.size(); ++k)
      if (per_replica[k].empty()) unplaced += (unplaced.empty() ? "" : ", ") + actor_names[at] + "[" + std::to_string(k) + "]";
    if (!unplaced.empty())
      throw graph_error("--place " + actor_names[at] + "[i]: replicas of '" + actor_names[at] + "' without a node: " + unplaced +
                        " (give --place " + actor_names[at] + "=NODE for the pool, or each replica)");
    ojson& a = doc["actors"][at];
    a.erase("node");
    a["nodes"] = per_replica;
  }
  // With nodes, every actor runs somewhere: say which --place is missing.
  if (doc.contains("nodes")) {
    for (std::size_t i = 0; i < actor_names.size(); ++i) {
      const ojson& a = doc["actors"][i];
      if (a.contains("node") || a.contains("nodes")) continue;
      throw graph_error("actor '" + actor_names[i] + "' has no node: give --place " + actor_names[i] + "=NODE (nodes: " +
                        joined(node_names) + ")");
    }
  }
  return doc.dump(2) + "\n";
}

namespace {

/// The actors of `d` whose replicas `in_part` accepts, and the links between them, in `g`.
void build_cells(graph& g, const graph_description& d, const placement_plan& p, std::string_view node,
                 const std::function<bool(const std::string&)>& in_part) {
  check_multicast(g.types(), d);
  for (const actor_decl& a : d.actors) {
    spawn_options o = a.options;
    for (int i = 0; i < a.options.replicas; ++i)
      if (in_part(replica_name(a, i))) o.only.push_back(i);
    if (o.only.empty()) continue;
    if (!g.types().contains(a.type)) {
      std::string known;
      for (const std::string& n : g.types().names()) known += (known.empty() ? "" : ", ") + n;
      d.fail(a.pointer + "/type", "unknown actor type '" + a.type + "' on node '" + std::string(node) +
                                      "' (registered: " + (known.empty() ? "none" : known) + ")");
    }
    if (a.options.replicas == 1) o.only.clear();
    try {
      g.spawn(a.name, a.type, o);
    } catch (const graph_error& e) {
      d.fail(a.pointer + "/name", e.what());
    }
  }
  for (const placed_link& l : p.links) {
    if (l.remote() || l.from_node != node || !in_part(l.from_actor())) continue;
    try {
      g.subscribe(l.from, l.to, l.topics);
    } catch (const graph_error& e) {
      d.fail(l.pointer, e.what());
    }
  }
}

}  // namespace

void build_part(graph& g, const graph_description& d, const placement_plan& p, std::string_view node) {
  build_cells(g, d, p, node, [&](const std::string& a) { return p.node_of.at(a) == node && p.part(a) == 0; });
}

void build_moved_part(graph& g, const graph_description& d, const placement_plan& p, std::string_view node, int part) {
  build_cells(g, d, p, node, [&](const std::string& a) { return p.node_of.at(a) == node && p.part(a) == part; });
}

}  // namespace graph_file

}  // namespace troupe::actors
