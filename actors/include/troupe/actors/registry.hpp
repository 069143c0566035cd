#pragma once
/// The registry of actor types by name (what graphs, and JSON graph files, spawn from).

#include <troupe/actors/actor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace troupe::actors {

/// How an actor type runs.
enum class actor_style { handler, fiber };

/// One registered actor type.
struct actor_type {
  std::string name;
  actor_style style = actor_style::handler;
  std::vector<port_spec> ports;
  std::function<std::unique_ptr<actor>()> make;
  /// The declared port named `port`, or nullptr.
  const port_spec* find_port(std::string_view port) const noexcept;
};

/// Describes T (a handler_actor or fiber_actor with `static void ports(port_list&)`).
template <class T>
actor_type describe(std::string name) {
  static_assert(std::is_base_of_v<handler_actor, T> || std::is_base_of_v<fiber_actor, T>,
                "an actor type derives from handler_actor or fiber_actor");
  port_list p;
  T::ports(p);
  actor_type t;
  t.name = std::move(name);
  t.style = std::is_base_of_v<fiber_actor, T> ? actor_style::fiber : actor_style::handler;
  t.ports = p.specs();
  t.make = [] { return std::unique_ptr<actor>(new T()); };
  return t;
}

/// Actor types by name. Thread-safe. Registered types stay (their entries are stable).
class registry {
public:
  /// The process-wide registry (the default of every graph).
  static registry& global();

  /// Registers `t`; throws graph_error if its name is taken or it declares a port twice.
  const actor_type& add(actor_type t);
  template <class T>
  const actor_type& add(std::string name) { return add(describe<T>(std::move(name))); }
  /// The type named `name`; throws graph_error("unknown actor type 'x'").
  const actor_type& find(std::string_view name) const;
  bool contains(std::string_view name) const;
  std::vector<std::string> names() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<actor_type>, std::less<>> types_;
};

}  // namespace troupe::actors
