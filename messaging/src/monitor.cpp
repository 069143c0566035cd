#include <troupe/messaging/monitor.hpp>

#include <cstring>

namespace troupe::messaging {

std::optional<monitor_record> parse_monitor_event(const message& first, const message& second) {
  if (first.size() != 6) return std::nullopt;
  std::uint16_t ev;
  std::uint32_t value;
  std::memcpy(&ev, first.data(), 2);
  std::memcpy(&value, first.data() + 2, 4);
  return monitor_record{ev, value, second.str()};
}

const char* monitor_event_name(int event) noexcept {
  switch (event) {
    case monitor_event::connected: return "CONNECTED";
    case monitor_event::connect_delayed: return "CONNECT_DELAYED";
    case monitor_event::connect_retried: return "CONNECT_RETRIED";
    case monitor_event::listening: return "LISTENING";
    case monitor_event::bind_failed: return "BIND_FAILED";
    case monitor_event::accepted: return "ACCEPTED";
    case monitor_event::accept_failed: return "ACCEPT_FAILED";
    case monitor_event::closed: return "CLOSED";
    case monitor_event::close_failed: return "CLOSE_FAILED";
    case monitor_event::disconnected: return "DISCONNECTED";
    case monitor_event::monitor_stopped: return "MONITOR_STOPPED";
    case monitor_event::handshake_failed_no_detail: return "HANDSHAKE_FAILED_NO_DETAIL";
    case monitor_event::handshake_succeeded: return "HANDSHAKE_SUCCEEDED";
    case monitor_event::handshake_failed_protocol: return "HANDSHAKE_FAILED_PROTOCOL";
    case monitor_event::handshake_failed_auth: return "HANDSHAKE_FAILED_AUTH";
  }
  return "UNKNOWN";
}

}  // namespace troupe::messaging
