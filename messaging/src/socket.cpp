#include <troupe/messaging/socket.hpp>

#include "context_core.hpp"
#include "socket_base.hpp"

namespace troupe::messaging {

socket::socket(context& ctx, socket_type type) : impl_(internal::create_socket(ctx.core(), type)) {}
socket::socket(socket&&) noexcept = default;
socket& socket::operator=(socket&& o) noexcept {
  if (this != &o) {
    close();
    impl_ = std::move(o.impl_);
  }
  return *this;
}
socket::~socket() { close(); }

internal::socket_base& socket::base() const {
  if (!impl_) throw error(errc::socket_closed, "socket is closed");
  return *impl_;
}

void socket::bind(std::string_view endpoint) { base().bind(endpoint); }
void socket::connect(std::string_view endpoint) { base().connect(endpoint); }
void socket::unbind(std::string_view endpoint) { base().unbind(endpoint); }
void socket::disconnect(std::string_view endpoint) { base().disconnect(endpoint); }

bool socket::send(message& part, flags f) { return base().send(part, f); }

bool socket::send(multipart& parts, flags f) {
  if (parts.empty()) throw error(errc::invalid_argument, "send of an empty multipart message");
  // Whole or nothing: once the first part is in, the rest cannot block (HWM counts messages).
  const flags first_flags = parts.size() > 1 ? (f | flags::sndmore) : f;
  if (!base().send(parts[0], first_flags)) return false;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    base().send(parts[i], last ? flags::none : flags::sndmore);
  }
  parts.clear();
  return true;
}

bool socket::recv(message& part, flags f) { return base().recv(part, f); }

bool socket::recv(multipart& parts, flags f) {
  parts.clear();
  message m;
  if (!base().recv(m, f)) return false;
  bool more = m.more();
  parts.push_back(std::move(m));
  while (more) {
    message next;
    base().recv(next, flags::none);  // the rest of a message is already here: never blocks
    more = next.more();
    parts.push_back(std::move(next));
  }
  return true;
}

bool socket::more() const { return base().rcvmore(); }

void socket::set(option o, int value) { base().set_int(o, value); }
void socket::set(option o, std::string_view bytes) { base().set_bytes(o, bytes); }
int socket::get_int(option o) const { return static_cast<int>(base().get_int(o)); }
std::string socket::get_bytes(option o) const { return base().get_bytes(o); }
socket_type socket::type() const noexcept { return impl_ ? impl_->type() : socket_type::pair; }
std::vector<endpoint_traffic> socket::traffic() const { return base().traffic(); }

bool socket::readable() { return base().has_in(); }
bool socket::writable() { return base().has_out(); }
std::uint64_t socket::queued() { return base().queued_inbound(); }
void socket::on_signal(std::function<void()> fn) { base().set_signal_handler(std::move(fn)); }
void socket::monitor(std::string_view endpoint, int events) { base().monitor(endpoint, events); }

void socket::close() noexcept {
  if (!impl_) return;
  impl_->close();
  impl_.reset();
}

}  // namespace troupe::messaging
