// Graph files: a loaded description spawned and linked in a graph, errors at their field.
#include <troupe/actors/graph_file.hpp>

#include <map>

namespace troupe::actors::graph_file {

namespace {

/// The declared actor an address's actor part names ("work[2]" → "work").
const actor_decl& decl_of(const graph_description& d, std::string_view actor) {
  if (const auto br = actor.find('['); br != std::string_view::npos) actor = actor.substr(0, br);
  for (const actor_decl& a : d.actors)
    if (a.name == actor) return a;
  d.fail("", "no actor named '" + std::string(actor) + "'");  // load() checked the addresses
}

std::string port_list_text(const actor_type& t) {
  std::string s;
  for (const port_spec& p : t.ports) s += (s.empty() ? "" : ", ") + p.name + " (" + std::string(to_string(p.kind)) + ")";
  return s.empty() ? "none" : s;
}

/// The port an address names, or an error at `pointer` listing the type's ports.
const port_spec& port_of(const graph& g, const graph_description& d, const std::string& address, const std::string& pointer) {
  const auto dot = address.rfind('.');
  const actor_decl& a = decl_of(d, std::string_view(address).substr(0, dot));
  const actor_type& t = g.types().find(a.type);
  const std::string port = address.substr(dot + 1);
  const port_spec* p = t.find_port(port);
  if (!p)
    d.fail(pointer, "actor '" + a.name + "' (type '" + t.name + "') has no port '" + port + "'; its ports: " + port_list_text(t));
  return *p;
}

}  // namespace

void check_multicast(const registry& types, const graph_description& d) {
  for (const link_decl& l : d.links) {
    if (!l.multicast) continue;
    const auto kind_of = [&](const std::string& address) -> const port_spec* {
      const auto dot = address.rfind('.');
      const actor_decl& a = decl_of(d, std::string_view(address).substr(0, dot));
      if (!types.contains(a.type)) return nullptr;
      return types.find(a.type).find_port(address.substr(dot + 1));
    };
    const port_spec* out = kind_of(l.from);
    const port_spec* in = kind_of(l.to);
    if (out && out->kind != port_kind::pub)
      d.fail(l.multicast->pointer, "multicast carries PUB -> SUB links only, and '" + l.from + "' is a " +
                                       std::string(to_string(out->kind)) + " output");
    if (in && in->kind != port_kind::sub)
      d.fail(l.multicast->pointer, "multicast carries PUB -> SUB links only, and '" + l.to + "' is a " +
                                       std::string(to_string(in->kind)) + " input");
  }
}

void build(graph& g, const graph_description& d) {
  for (const actor_decl& a : d.actors) {
    if (!g.types().contains(a.type)) {
      std::string known;
      for (const std::string& n : g.types().names()) known += (known.empty() ? "" : ", ") + n;
      d.fail(a.pointer + "/type", "unknown actor type '" + a.type + "' (registered: " + (known.empty() ? "none" : known) + ")");
    }
    try {
      g.spawn(a.name, a.type, a.options);
    } catch (const graph_error& e) {
      d.fail(a.pointer + "/name", e.what());
    }
  }
  for (const link_decl& l : d.links) {
    const port_spec& out = port_of(g, d, l.from, l.pointer + "/from");
    const port_spec& in = port_of(g, d, l.to, l.pointer + "/to");
    if (is_input(out.kind))
      d.fail(l.pointer + "/from", "'" + l.from + "' is an input port (" + std::string(to_string(out.kind)) + "); a link starts at an output");
    if (!is_input(in.kind))
      d.fail(l.pointer + "/to", "'" + l.to + "' is an output port (" + std::string(to_string(in.kind)) + "); a link ends at an input");
    if (!l.topics.empty() && out.kind != port_kind::pub)
      d.fail(l.pointer + "/topics", "topics need a PUB output, and '" + l.from + "' is " + std::string(to_string(out.kind)));
    try {
      g.subscribe(l.from, l.to, l.topics);  // checks the kinds (PUSH→SUB, PUB→PULL) and duplicates
    } catch (const graph_error& e) {
      d.fail(l.pointer, e.what());
    }
  }
  check_multicast(g.types(), d);
  for (const std::string& p : g.unlinked_ports()) {
    const auto dot = p.rfind('.');
    const actor_decl& a = decl_of(d, std::string_view(p).substr(0, dot));
    const port_spec* spec = g.types().find(a.type).find_port(p.substr(dot + 1));
    const bool input_port = spec && is_input(spec->kind);
    const std::string end = input_port ? "to" : "from";
    std::string hint = "no link has \"" + end + "\": \"" + p + "\"";
    if (p.find('[') != std::string::npos) hint += " or \"" + end + "\": \"" + a.name + "." + p.substr(dot + 1) + "\"";
    d.fail(a.pointer, "required " + std::string(input_port ? "input" : "output") + " port '" + p + "' is not connected (" +
                          hint + ")");
  }
}

}  // namespace troupe::actors::graph_file
