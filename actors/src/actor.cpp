// The actor base: what an actor reaches through its cell.
#include "cell.hpp"

#include <troupe/actors/graph.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace troupe::actors {

namespace {

internal::cell& need(internal::cell* c) {
  if (!c) throw std::logic_error("this actor was not made by a graph (no name, ports or timers)");
  return *c;
}

}  // namespace

actor::actor() : cell_(internal::cell::constructing) {}
actor::~actor() = default;

nlohmann::json actor::save_state() const { return nullptr; }
void actor::load_state(const nlohmann::json&) {}

const std::string& actor::name() const noexcept {
  static const std::string none;
  return cell_ ? cell_->name() : none;
}

const nlohmann::json& actor::params() const noexcept {
  static const nlohmann::json none = nlohmann::json::object();
  return cell_ ? cell_->params() : none;
}

input& actor::in(std::string_view port) {
  internal::cell& c = need(cell_);
  if (input* p = c.find_input(port)) return *p;
  throw graph_error("actor '" + c.name() + "' has no input port '" + std::string(port) + "'");
}

output& actor::out(std::string_view port) {
  internal::cell& c = need(cell_);
  if (output* p = c.find_output(port)) return *p;
  throw graph_error("actor '" + c.name() + "' has no output port '" + std::string(port) + "'");
}

void actor::report_progress(std::uint64_t done, std::uint64_t total) noexcept {
  if (cell_) cell_->set_progress(done, total);
}

bool actor::stopping() const noexcept { return cell_ && cell_->stopping(); }

framework::timer actor::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  return need(cell_).add_timer(delay, false, std::move(fn));
}

framework::timer actor::every(std::chrono::milliseconds period, std::function<void()> fn) {
  return need(cell_).add_timer(period, true, std::move(fn));
}

bool fiber_actor::sleep_for(std::chrono::milliseconds d) {
  internal::cell& c = need(cell_);
  const auto deadline = framework::clock::now() + d;
  for (;;) {
    if (c.hard()) return false;
    if (framework::clock::now() >= deadline) return true;
    c.park(&deadline);
  }
}

}  // namespace troupe::actors
