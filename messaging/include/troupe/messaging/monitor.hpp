#pragma once
/// Socket monitor events, numbered as libzmq's ZMQ_EVENT_*.

#include <troupe/messaging/message.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace troupe::messaging {

/// Bits of the event mask given to socket::monitor(); one of them per event message.
namespace monitor_event {
inline constexpr int connected = 0x0001;
inline constexpr int connect_delayed = 0x0002;
inline constexpr int connect_retried = 0x0004;
inline constexpr int listening = 0x0008;
inline constexpr int bind_failed = 0x0010;
inline constexpr int accepted = 0x0020;
inline constexpr int accept_failed = 0x0040;
inline constexpr int closed = 0x0080;
inline constexpr int close_failed = 0x0100;
inline constexpr int disconnected = 0x0200;
inline constexpr int monitor_stopped = 0x0400;
inline constexpr int handshake_failed_no_detail = 0x0800;
inline constexpr int handshake_succeeded = 0x1000;
inline constexpr int handshake_failed_protocol = 0x2000;
inline constexpr int handshake_failed_auth = 0x4000;
inline constexpr int all = 0xFFFF;
}  // namespace monitor_event

/// One decoded monitor message: [u16 event | u32 value] then the endpoint, as libzmq sends
/// them (host byte order).
struct monitor_record {
  int event = 0;
  std::uint32_t value = 0;
  std::string endpoint;
};

/// Decodes the two parts of a monitor message; nullopt if they are not one.
std::optional<monitor_record> parse_monitor_event(const message& first, const message& second);

/// Name of an event ("CONNECTED"), for logs.
const char* monitor_event_name(int event) noexcept;

}  // namespace troupe::messaging
