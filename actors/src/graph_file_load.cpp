// Graph files: JSON syntax, then the schema of docs/graph-format.md, each error at its field.
#include <troupe/actors/graph_file.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>

namespace troupe::actors {

namespace {

std::string render(const std::string& file, text_position at, const std::string& pointer, const std::string& reason) {
  std::string s = file;
  if (at.known()) s += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
  s += ": ";
  if (!pointer.empty()) s += pointer + ": ";
  return s + reason;
}

}  // namespace

graph_file_error::graph_file_error(std::string f, text_position at, std::string ptr, std::string why)
    : graph_error(render(f, at, ptr, why)), file(std::move(f)), where(at), pointer(std::move(ptr)), reason(std::move(why)) {}

const node_decl* graph_description::find_node(std::string_view n) const noexcept {
  for (const node_decl& x : nodes)
    if (x.name == n) return &x;
  return nullptr;
}

void graph_description::fail(const std::string& pointer, std::string reason, bool at_key) const {
  text_position at;
  if (positions) at = at_key ? positions->key(pointer) : positions->value(pointer);
  throw graph_file_error(file, at, pointer, std::move(reason));
}

namespace {

using nlohmann::json;

/// The start of the token that ends at `end` (a string's opening quote, a word's first letter).
std::size_t token_start(std::string_view text, std::size_t end) {
  if (end >= text.size()) return end;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-'; };
  if (text[end] == '"') {
    for (std::size_t i = end; i-- > 0;) {
      if (text[i] == '\n') return end;  // strings do not span lines: not a string's end
      if (text[i] != '"') continue;
      std::size_t slashes = 0;
      while (i - slashes > 0 && text[i - slashes - 1] == '\\') ++slashes;
      if (slashes % 2 == 0) return i;
    }
    return end;
  }
  std::size_t i = end;
  while (i > 0 && word(text[i]) && word(text[i - 1])) --i;
  return i;
}

/// How a JSON value is spelled in messages: short, on one line.
std::string shown(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

std::string type_word(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    case json::value_t::number_float: return "a number with a fraction";
    default: return "an integer";
  }
}

/// Reads the fields of one JSON object, checking their types and that no other keys appear.
class fields {
public:
  fields(const graph_description& d, const json& obj, std::string pointer, std::initializer_list<const char*> allowed)
      : d_(d), obj_(obj), ptr_(std::move(pointer)) {
    for (const char* k : allowed) allowed_.emplace_back(k);
    for (auto& [key, value] : obj_.items()) {
      bool ok = key.starts_with("x-");  // extension / annotation keys: ignored
      for (const std::string& a : allowed_) ok = ok || key == a;
      if (!ok) {
        std::string list;
        for (const std::string& a : allowed_) list += (list.empty() ? "" : ", ") + a;
        d_.fail(at(key), "unknown key '" + key + "' (expected one of: " + list + "; or an 'x-' key)", true);
      }
    }
  }
  std::string at(std::string_view key) const { return ptr_ + "/" + json_pointer_escape(key); }

  const json* find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  const json& need(const char* key) const {
    const json* v = find(key);
    if (!v) d_.fail(at(key), std::string("missing field '") + key + "'");
    return *v;
  }
  std::string string(const char* key, bool required, std::string fallback = {}) const {
    const json* v = required ? &need(key) : find(key);
    if (!v) return fallback;
    if (!v->is_string()) d_.fail(at(key), std::string("'") + key + "' must be a string, not " + type_word(*v) + " " + shown(*v));
    return v->get<std::string>();
  }
  long long integer(const char* key, bool required, long long fallback, long long min, long long max) const {
    const json* v = required ? &need(key) : find(key);
    if (!v) return fallback;
    if (!v->is_number_integer())
      d_.fail(at(key), std::string("'") + key + "' must be an integer, not " + type_word(*v) + " " + shown(*v));
    const bool too_big = v->is_number_unsigned() && v->get<unsigned long long>() > static_cast<unsigned long long>(max);
    const long long n = too_big ? max : v->get<long long>();
    if (too_big || n < min || n > max)
      d_.fail(at(key), std::string("'") + key + "' must be between " + std::to_string(min) + " and " + std::to_string(max) +
                           ", not " + shown(*v));
    return n;
  }
  const json* object(const char* key) const {
    const json* v = find(key);
    if (v && !v->is_object()) d_.fail(at(key), std::string("'") + key + "' must be an object, not " + type_word(*v) + " " + shown(*v));
    return v;
  }
  const json* array(const char* key, bool required) const {
    const json* v = required ? &need(key) : find(key);
    if (v && !v->is_array()) d_.fail(at(key), std::string("'") + key + "' must be an array, not " + type_word(*v) + " " + shown(*v));
    return v;
  }

private:
  const graph_description& d_;
  const json& obj_;
  std::string ptr_;
  std::vector<std::string> allowed_;
};

/// The object at `pointer`, or an error saying what it is instead.
const json& need_object(const graph_description& d, const json& v, const std::string& pointer, const char* what) {
  if (!v.is_object()) d.fail(pointer, std::string(what) + " must be an object, not " + type_word(v) + " " + shown(v));
  return v;
}

/// A name is non-empty and has none of `bad` (they would break endpoints or addresses).
void check_name(const graph_description& d, const std::string& name, const std::string& pointer, const char* what,
                const char* bad) {
  if (name.empty()) d.fail(pointer, std::string(what) + " must not be empty");
  if (name.find_first_of(bad) != std::string::npos)
    d.fail(pointer, std::string(what) + " '" + name + "' must not contain any of '" + bad + "'");
}

supervision read_supervision(const graph_description& d, const json& v, const std::string& pointer) {
  need_object(d, v, pointer, "'supervision'");
  fields f(d, v, pointer, {"on_failure", "max_restarts", "window_ms"});
  supervision s;
  const std::string action = f.string("on_failure", false, "restart");
  if (action == "restart") {
    s.on_failure = supervision::action::restart;
  } else if (action == "stop") {
    s.on_failure = supervision::action::stop;
  } else {
    d.fail(f.at("on_failure"), "'on_failure' must be \"restart\" or \"stop\", not \"" + action + "\"");
  }
  s.max_restarts = static_cast<int>(f.integer("max_restarts", false, s.max_restarts, 0, 1'000'000));
  s.window = std::chrono::milliseconds(f.integer("window_ms", false, s.window.count(), 1, 86'400'000LL * 365));
  return s;
}

actor_decl read_actor(const graph_description& d, const json& v, const std::string& pointer) {
  need_object(d, v, pointer, "an actor");
  fields f(d, v, pointer, {"name", "type", "params", "replicas", "batch", "supervision", "node", "nodes"});
  actor_decl a;
  a.pointer = pointer;
  a.name = f.string("name", true);
  check_name(d, a.name, f.at("name"), "actor name", "./[]");
  a.type = f.string("type", true);
  if (a.type.empty()) d.fail(f.at("type"), "'type' must not be empty");
  if (const json* p = f.object("params")) a.options.params = *p;
  a.options.replicas = static_cast<int>(f.integer("replicas", false, 1, 1, 100'000));
  a.options.batch = static_cast<int>(f.integer("batch", false, a.options.batch, 1, 1'000'000));
  if (const json* s = f.find("supervision")) a.options.policy = read_supervision(d, *s, f.at("supervision"));
  // Placement: names are checked against "nodes" once every section is read.
  const std::string one = f.string("node", false);
  if (f.find("node")) {
    if (f.find("nodes")) d.fail(f.at("nodes"), "give either 'node' (every replica there) or 'nodes' (one per replica), not both");
    a.placement.assign(static_cast<std::size_t>(a.options.replicas), one);
    a.placement_pointer = f.at("node");
  } else if (const json* n = f.array("nodes", false)) {
    a.placement_pointer = f.at("nodes");
    if (n->size() != static_cast<std::size_t>(a.options.replicas))
      d.fail(f.at("nodes"), "'nodes' names the node of each replica: " + std::to_string(a.options.replicas) + " expected, not " +
                                std::to_string(n->size()));
    for (std::size_t i = 0; i < n->size(); ++i) {
      const json& e = (*n)[i];
      if (!e.is_string()) d.fail(f.at("nodes") + "/" + std::to_string(i), "a node name must be a string, not " + type_word(e) + " " + shown(e));
      a.placement.push_back(e.get<std::string>());
    }
  }
  return a;
}

node_decl read_node(const graph_description& d, const json& v, const std::string& pointer) {
  need_object(d, v, pointer, "a node");
  fields f(d, v, pointer, {"name", "control", "host", "interface"});
  node_decl n;
  n.pointer = pointer;
  n.name = f.string("name", true);
  check_name(d, n.name, f.at("name"), "node name", "./[] ");
  n.control = f.string("control", true);
  if (!n.control.starts_with("ipc://") && !n.control.starts_with("tcp://"))
    d.fail(f.at("control"), "'control' must be an ipc:// or tcp:// endpoint, not \"" + n.control + "\"");
  if (n.control.size() <= 6) d.fail(f.at("control"), "'control' has no address after the transport");
  n.host = f.string("host", false);
  if (f.find("host") && n.host.empty()) d.fail(f.at("host"), "'host' must not be empty");
  n.interface = f.string("interface", false);
  if (f.find("interface") && (n.interface.empty() || n.interface.find_first_of("; \t") != std::string::npos))
    d.fail(f.at("interface"), "'interface' must be a network interface's name or address (no ';' or spaces), not \"" + n.interface + "\"");
  return n;
}

/// Every placed actor names listed nodes; with "nodes", every actor is placed.
void check_placement(const graph_description& d) {
  for (const actor_decl& a : d.actors) {
    if (!d.distributed()) {
      if (!a.placement.empty())
        d.fail(a.placement_pointer,
               "actor '" + a.name + "' is placed on node '" + a.placement.front() +
                   "', but the graph lists no \"nodes\" (each with its control endpoint)");
      continue;
    }
    if (a.placement.empty())
      d.fail(a.pointer, "actor '" + a.name + "' has no \"node\": in a graph with \"nodes\" every actor is placed");
    for (std::size_t i = 0; i < a.placement.size(); ++i) {
      if (d.find_node(a.placement[i])) continue;
      const bool single = a.placement_pointer.ends_with("/node");
      std::string known;
      for (const node_decl& n : d.nodes) known += (known.empty() ? "" : ", ") + n.name;
      d.fail(single ? a.placement_pointer : a.placement_pointer + "/" + std::to_string(i),
             "unknown node '" + a.placement[i] + "' (\"nodes\" lists: " + known + ")");
    }
  }
}

/// "actor.port", where actor is a declared name or one replica of it ("work[2]").
void check_address(const graph_description& d, const std::string& address, const std::string& pointer,
                   const std::map<std::string, const actor_decl*>& names) {
  const auto dot = address.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == address.size())
    d.fail(pointer, "'" + address + "' is not a port address: expected \"actor.port\"");
  std::string actor = address.substr(0, dot);
  std::string base = actor;
  if (const auto br = actor.find('['); br != std::string::npos) base = actor.substr(0, br);
  auto it = names.find(base);
  if (it == names.end()) d.fail(pointer, "unknown actor '" + actor + "' (no entry of \"actors\" has that name)");
  if (base != actor) {
    const int n = it->second->options.replicas;
    const std::string idx = actor.substr(base.size());
    bool ok = n > 1 && idx.size() > 2 && idx.back() == ']';
    int i = -1;
    if (ok) {
      const std::string digits = idx.substr(1, idx.size() - 2);
      ok = digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 7;
      if (ok) i = std::stoi(digits);
    }
    if (!ok || i >= n)
      d.fail(pointer, "unknown actor '" + actor + "': '" + base + "' has " + std::to_string(n) + " replica" +
                          (n == 1 ? "" : "s") + (n > 1 ? " ('" + base + "[0]' .. '" + base + "[" + std::to_string(n - 1) + "]')" : ""));
  }
}

/// An IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast group address.
bool multicast_group(const std::string& g) {
  in_addr a4{};
  if (::inet_pton(AF_INET, g.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 28) == 0xE;
  in6_addr a6{};
  return ::inet_pton(AF_INET6, g.c_str(), &a6) == 1 && a6.s6_addr[0] == 0xFF;
}

multicast_decl read_multicast(const graph_description& d, const json& v, const std::string& pointer) {
  multicast_decl m;
  m.pointer = pointer;
  if (v.is_boolean()) return m;  // false is handled by the caller
  if (!v.is_object())
    d.fail(pointer, "'multicast' must be true or an object (group, port, rate, recovery_ivl), not " + type_word(v) + " " + shown(v));
  fields f(d, v, pointer, {"group", "port", "rate", "recovery_ivl"});
  m.group = f.string("group", false, m.group);
  if (!multicast_group(m.group))
    d.fail(f.at("group"), "'group' must be a multicast address (IPv4 224.0.0.0/4, e.g. 239.192.0.1, or IPv6 ff00::/8), not \"" + m.group + "\"");
  m.port = static_cast<int>(f.integer("port", false, 0, 1, 65535));
  m.rate = static_cast<int>(f.integer("rate", false, m.rate, 1, 10'000'000));
  m.recovery_ivl = static_cast<int>(f.integer("recovery_ivl", false, m.recovery_ivl, 1, 3'600'000));
  return m;
}

link_decl read_link(const graph_description& d, const json& v, const std::string& pointer,
                    const std::map<std::string, const actor_decl*>& names) {
  need_object(d, v, pointer, "a link");
  fields f(d, v, pointer, {"from", "to", "topics", "multicast"});
  link_decl l;
  l.pointer = pointer;
  l.from = f.string("from", true);
  check_address(d, l.from, f.at("from"), names);
  l.to = f.string("to", true);
  check_address(d, l.to, f.at("to"), names);
  if (const json* t = f.array("topics", false)) {
    for (std::size_t i = 0; i < t->size(); ++i) {
      const json& topic = (*t)[i];
      const std::string tp = f.at("topics") + "/" + std::to_string(i);
      if (!topic.is_string()) d.fail(tp, "a topic must be a string, not " + type_word(topic) + " " + shown(topic));
      l.topics.push_back(topic.get<std::string>());
    }
    if (l.topics.empty()) d.fail(f.at("topics"), "'topics' is empty: leave it out to receive everything");
  }
  if (const json* m = f.find("multicast"); m && !(m->is_boolean() && !m->get<bool>()))
    l.multicast = read_multicast(d, *m, f.at("multicast"));
  return l;
}

}  // namespace

namespace graph_file {

graph_description parse(std::string_view text, std::string file) {
  graph_description d;
  d.file = std::move(file);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann's byte is where it stopped: for a parser error, the end of a whole token (point
    // at the token's start); for a lexer error (what() quotes "last read: '...'"), the byte
    // that broke the token (point at the token's start if the quote is one word, else there).
    std::string why = e.what();
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    if (const auto lr = why.find("last read: '"); lr == std::string::npos) {
      offset = token_start(text, offset);
    } else if (why.back() == '\'') {
      const std::string token = why.substr(lr + 12, why.size() - lr - 13);
      const bool one_word = !token.empty() && token.find_first_of(" \t\r\n") == std::string::npos;
      if (one_word && token.size() <= e.byte && text.substr(e.byte - token.size(), token.size()) == token)
        offset = e.byte - token.size();
    }
    const text_position at = json_source_map::at_offset(text, offset);
    if (const auto p = why.find("parse error"); p != std::string::npos) {
      if (const auto colon = why.find(": ", p); colon != std::string::npos) why = why.substr(colon + 2);
    }
    throw graph_file_error(d.file, at, "", "JSON syntax error: " + why);
  }
  d.positions = std::make_shared<json_source_map>(text);
  if (!d.positions->duplicate_keys().empty()) {
    const std::string& p = d.positions->duplicate_keys().front();
    d.fail(p, "duplicate key '" + p.substr(p.rfind('/') + 1) + "' in one object (JSON would keep only the last)", true);
  }
  need_object(d, doc, "", "a graph file");
  fields top(d, doc, "", {"version", "name", "actors", "links", "nodes", "on_node_lost"});
  d.version = static_cast<int>(top.integer("version", true, 0, 1, std::numeric_limits<int>::max()));
  if (d.version > current_version)
    d.fail("/version", "version " + std::to_string(d.version) + " is newer than this troupe reads (" +
                           std::to_string(current_version) + ")");
  d.name = top.string("name", true);
  check_name(d, d.name, "/name", "graph name", "/");

  const json& actors = *top.array("actors", true);
  if (actors.empty()) d.fail("/actors", "a graph needs at least one actor");
  std::map<std::string, const actor_decl*> names;
  d.actors.reserve(actors.size());
  for (std::size_t i = 0; i < actors.size(); ++i) {
    const std::string p = "/actors/" + std::to_string(i);
    d.actors.push_back(read_actor(d, actors[i], p));
    const actor_decl& a = d.actors.back();
    if (auto [it, fresh] = names.emplace(a.name, &a); !fresh) {
      const text_position first = d.positions->value(it->second->pointer + "/name");
      d.fail(p + "/name", "duplicate actor name '" + a.name + "' (first at line " + std::to_string(first.line) + ", " +
                              it->second->pointer + ")");
    }
  }
  if (const json* links = top.array("links", false)) {
    for (std::size_t i = 0; i < links->size(); ++i)
      d.links.push_back(read_link(d, (*links)[i], "/links/" + std::to_string(i), names));
  }
  if (const json* nodes = top.array("nodes", false)) {
    if (nodes->empty()) d.fail("/nodes", "'nodes' is empty: leave it out to run everything in one process");
    for (std::size_t i = 0; i < nodes->size(); ++i) {
      const std::string p = "/nodes/" + std::to_string(i);
      d.nodes.push_back(read_node(d, (*nodes)[i], p));
      for (std::size_t k = 0; k + 1 < d.nodes.size(); ++k) {
        if (d.nodes[k].name == d.nodes.back().name)
          d.fail(p + "/name", "duplicate node name '" + d.nodes.back().name + "' (first at " + d.nodes[k].pointer + ")");
        if (d.nodes[k].control == d.nodes.back().control)
          d.fail(p + "/control", "node '" + d.nodes.back().name + "' has the control endpoint of node '" + d.nodes[k].name + "'");
      }
    }
  }
  if (top.find("on_node_lost")) {
    const std::string policy = top.string("on_node_lost", true);
    if (d.nodes.empty()) d.fail("/on_node_lost", "'on_node_lost' is for graphs with \"nodes\" (the processes that can be lost)");
    if (policy == "restart") d.on_node_lost = graph_description::node_loss_policy::restart;
    else if (policy != "stop") d.fail("/on_node_lost", "'on_node_lost' must be \"stop\" or \"restart\", not \"" + policy + "\"");
  }
  check_placement(d);
  return d;
}

graph_description load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw graph_file_error(path, {}, "", "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw graph_file_error(path, {}, "", "cannot read the file");
  return parse(text.str(), path);
}

}  // namespace graph_file

}  // namespace troupe::actors
