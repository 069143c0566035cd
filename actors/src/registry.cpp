// The registry of actor types by name.
#include <troupe/actors/graph.hpp>
#include <troupe/actors/registry.hpp>

#include <set>

namespace troupe::actors {

const port_spec* actor_type::find_port(std::string_view port) const noexcept {
  for (const port_spec& p : ports)
    if (p.name == port) return &p;
  return nullptr;
}

registry& registry::global() {
  static registry r;
  return r;
}

const actor_type& registry::add(actor_type t) {
  if (t.name.empty()) throw graph_error("an actor type needs a name");
  if (!t.make) throw graph_error("actor type '" + t.name + "' has no factory");
  std::set<std::string_view> seen;
  for (const port_spec& p : t.ports) {
    if (p.name.empty() || p.name.find_first_of("./") != std::string::npos)
      throw graph_error("actor type '" + t.name + "': bad port name '" + p.name + "'");
    if (!seen.insert(p.name).second)
      throw graph_error("actor type '" + t.name + "' declares port '" + p.name + "' twice");
  }
  std::lock_guard lock(mutex_);
  if (types_.count(t.name)) throw graph_error("actor type '" + t.name + "' is already registered");
  auto owned = std::make_unique<actor_type>(std::move(t));
  const actor_type& ref = *owned;
  types_.emplace(ref.name, std::move(owned));
  return ref;
}

const actor_type& registry::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = types_.find(name);
  if (it == types_.end()) throw graph_error("unknown actor type '" + std::string(name) + "'");
  return *it->second;
}

bool registry::contains(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return types_.find(name) != types_.end();
}

std::vector<std::string> registry::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> v;
  for (auto& [n, t] : types_) v.push_back(n);
  return v;
}

}  // namespace troupe::actors
