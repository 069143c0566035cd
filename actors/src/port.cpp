// Ports: socket setup, and blocking (fiber) or holding (handler) send/recv.
#include "cell.hpp"

#include <troupe/actors/graph.hpp>

namespace troupe::actors {

namespace {

messaging::socket_type socket_type_of(port_kind k) noexcept {
  switch (k) {
    case port_kind::pull: return messaging::socket_type::pull;
    case port_kind::sub: return messaging::socket_type::sub;
    case port_kind::push: return messaging::socket_type::push;
    case port_kind::pub: return messaging::socket_type::pub;
  }
  return messaging::socket_type::pull;
}

[[noreturn]] void wrong_style(const internal::cell& c, const std::string& port, const char* what) {
  throw graph_error("actor '" + c.name() + "': port '" + port + "': " + what);
}

}  // namespace

std::string_view to_string(port_kind k) noexcept {
  switch (k) {
    case port_kind::pull: return "pull";
    case port_kind::sub: return "sub";
    case port_kind::push: return "push";
    case port_kind::pub: return "pub";
  }
  return "?";
}

port_list& port_list::input(std::string name, port_kind kind, port_options o) {
  if (!is_input(kind)) throw graph_error("input port '" + name + "' must be pull or sub");
  if (o.lossless) throw graph_error("input port '" + name + "': lossless is for pub outputs");
  specs_.push_back({std::move(name), kind, o});
  return *this;
}

port_list& port_list::output(std::string name, port_kind kind, port_options o) {
  if (is_input(kind)) throw graph_error("output port '" + name + "' must be push or pub");
  if (o.lossless && kind != port_kind::pub)
    throw graph_error("output port '" + name + "': lossless is for pub outputs (a push output never drops)");
  specs_.push_back({std::move(name), kind, o});
  return *this;
}

port::port(internal::cell& owner, messaging::context& ctx, const port_spec& spec, std::string endpoint)
    : cell_(&owner), name_(spec.name), endpoint_(std::move(endpoint)), kind_(spec.kind),
      sock_(ctx, socket_type_of(spec.kind)) {
  sock_.set(is_input(kind_) ? messaging::option::rcvhwm : messaging::option::sndhwm, spec.options.hwm);
  if (spec.options.lossless) sock_.set(messaging::option::xpub_nodrop, 1);
  sock_.bind(endpoint_);
}

port::~port() = default;

// ---- input ----

bool input::recv(messaging::multipart& parts) {
  internal::cell& c = *cell_;
  if (c.style() != actor_style::fiber)
    wrong_style(c, name_, "recv() is for fiber-style actors; a handler-style actor receives in on_message()");
  for (;;) {
    if (c.hard()) return false;
    c.run_posted_now();
    c.check_remote();
    const bool closed = c.inputs_closed();  // before the read: an empty read is then final
    if (sock_.recv(parts, messaging::flags::dontwait)) {
      counted();
      if (count() % 64 == 0) sample_queue();
      return true;
    }
    queued_.store(0, std::memory_order_relaxed);  // nothing readable now
    if (closed) return false;
    c.park();
  }
}

// ---- output ----

void output::hold(messaging::multipart&& parts) {
  held_.push_back(std::move(parts));
  held_count_.fetch_add(1, std::memory_order_relaxed);
}

bool output::flush_held() noexcept {
  if (paused_) return false;
  while (held_head_ < held_.size()) {
    if (!sock_.send(held_[held_head_], messaging::flags::dontwait)) return false;
    ++held_head_;
    held_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  held_.clear();  // keeps its capacity
  held_head_ = 0;
  return true;
}

bool output::send(messaging::multipart& parts) {
  internal::cell& c = *cell_;
  if (c.style() == actor_style::handler) {
    if (paused_ || held_count_.load(std::memory_order_relaxed) != 0 || !sock_.send(parts, messaging::flags::dontwait))
      hold(std::move(parts));
    counted();
    return true;
  }
  for (;;) {
    c.run_posted_now();
    if (!paused_ && sock_.send(parts, messaging::flags::dontwait)) {
      counted();
      return true;
    }
    if (c.hard()) return false;
    c.park();
  }
}

bool output::send(messaging::message&& part) {
  internal::cell& c = *cell_;
  if (c.style() == actor_style::handler) {
    if (paused_ || held_count_.load(std::memory_order_relaxed) != 0 || !sock_.send(part, messaging::flags::dontwait)) {
      messaging::multipart parts;
      parts.push_back(std::move(part));
      hold(std::move(parts));
    }
    counted();
    return true;
  }
  for (;;) {
    c.run_posted_now();
    if (!paused_ && sock_.send(part, messaging::flags::dontwait)) {
      counted();
      return true;
    }
    if (c.hard()) return false;
    c.park();
  }
}

bool output::send(std::string_view topic, messaging::message&& body) {
  internal::cell& c = *cell_;
  messaging::message head(topic);
  const auto more = messaging::flags::dontwait | messaging::flags::sndmore;
  if (c.style() == actor_style::handler) {
    if (paused_ || held_count_.load(std::memory_order_relaxed) != 0 || !sock_.send(head, more)) {
      messaging::multipart parts;
      parts.push_back(std::move(head));
      parts.push_back(std::move(body));
      hold(std::move(parts));
    } else {
      sock_.send(body, messaging::flags::dontwait);  // later parts never block
    }
    counted();
    return true;
  }
  for (;;) {
    c.run_posted_now();
    if (!paused_ && sock_.send(head, more)) {
      sock_.send(body, messaging::flags::dontwait);
      counted();
      return true;
    }
    if (c.hard()) return false;
    c.park();
  }
}

}  // namespace troupe::actors
