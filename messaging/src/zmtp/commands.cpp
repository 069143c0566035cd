#include "zmtp/commands.hpp"

#include "zmtp/decoder.hpp"

#include <algorithm>
#include <cstring>

namespace troupe::messaging::internal::zmtp {
namespace {

// ASCII case folding of letters only: a peer's name may hold any byte ('-' is not CR).
char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view as_text(std::span<const std::byte> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

message command_frame(std::string_view name, std::span<const std::byte> data) {
  message m(1 + name.size() + data.size());
  auto* p = m.data();
  p[0] = std::byte{static_cast<unsigned char>(name.size())};
  std::memcpy(p + 1, name.data(), name.size());
  if (!data.empty()) std::memcpy(p + 1 + name.size(), data.data(), data.size());
  m.set_command(true);
  return m;
}

std::span<const std::byte> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

command parse_ready(std::span<const std::byte> d) {
  ready_cmd r;
  while (!d.empty()) {
    const std::size_t name_len = std::to_integer<std::size_t>(d[0]);
    if (name_len == 0) return bad_cmd{"READY: empty property name"};
    if (d.size() < 1 + name_len + 4) return bad_cmd{"READY: property header runs past the command"};
    std::string name(as_text(d.subspan(1, name_len)));
    const auto* v = d.data() + 1 + name_len;
    const std::uint32_t value_len = (std::to_integer<std::uint32_t>(v[0]) << 24) |
                                    (std::to_integer<std::uint32_t>(v[1]) << 16) |
                                    (std::to_integer<std::uint32_t>(v[2]) << 8) | std::to_integer<std::uint32_t>(v[3]);
    const std::size_t header = 1 + name_len + 4;
    if (d.size() - header < value_len)
      return bad_cmd{"READY: value of property '" + name + "' runs past the command"};
    r.props.emplace_back(std::move(name), std::string(as_text(d.subspan(header, value_len))));
    d = d.subspan(header + value_len);
  }
  return r;
}

}  // namespace

const std::string* ready_cmd::find(std::string_view name) const noexcept {
  for (const auto& [n, v] : props)
    if (iequal(n, name)) return &v;
  return nullptr;
}

command parse_command(std::span<const std::byte> body) {
  if (body.empty()) return bad_cmd{"empty command frame"};
  const std::size_t name_len = std::to_integer<std::size_t>(body[0]);
  if (name_len == 0 || body.size() < 1 + name_len) return bad_cmd{"command name runs past the frame"};
  const std::string_view name = as_text(body.subspan(1, name_len));
  const auto data = body.subspan(1 + name_len);
  if (name == "READY") return parse_ready(data);
  if (name == "ERROR") {
    if (data.empty() || data.size() < 1 + std::to_integer<std::size_t>(data[0]))
      return bad_cmd{"ERROR: reason runs past the command"};
    return error_cmd{std::string(as_text(data.subspan(1, std::to_integer<std::size_t>(data[0]))))};
  }
  if (name == "SUBSCRIBE") return subscribe_cmd{std::string(as_text(data))};
  if (name == "CANCEL") return cancel_cmd{std::string(as_text(data))};
  if (name == "PING") {
    if (data.size() < 2) return bad_cmd{"PING: missing TTL"};
    if (data.size() > 2 + 16) return bad_cmd{"PING: context longer than 16 bytes"};
    ping_cmd p;
    p.ttl_deciseconds = static_cast<std::uint16_t>((std::to_integer<unsigned>(data[0]) << 8) | std::to_integer<unsigned>(data[1]));
    p.context = std::string(as_text(data.subspan(2)));
    return p;
  }
  if (name == "PONG") {
    if (data.size() > 16) return bad_cmd{"PONG: context longer than 16 bytes"};
    return pong_cmd{std::string(as_text(data))};
  }
  return unknown_cmd{std::string(name)};
}

message encode_ready(const properties& props) {
  std::string data;
  for (const auto& [n, v] : props) {
    data += static_cast<char>(n.size());
    data += n;
    const auto len = static_cast<std::uint32_t>(v.size());
    data += static_cast<char>(len >> 24);
    data += static_cast<char>(len >> 16);
    data += static_cast<char>(len >> 8);
    data += static_cast<char>(len);
    data += v;
  }
  return command_frame("READY", bytes_of(data));
}

message encode_error(std::string_view reason) {
  std::string data(1, static_cast<char>(std::min<std::size_t>(reason.size(), 255)));
  data.append(reason.substr(0, 255));
  return command_frame("ERROR", bytes_of(data));
}

message encode_subscribe(std::string_view topic) { return command_frame("SUBSCRIBE", bytes_of(topic)); }
message encode_cancel(std::string_view topic) { return command_frame("CANCEL", bytes_of(topic)); }

message encode_ping(std::uint16_t ttl, std::string_view context) {
  std::string data;
  data += static_cast<char>(ttl >> 8);
  data += static_cast<char>(ttl & 0xff);
  data.append(context.substr(0, 16));
  return command_frame("PING", bytes_of(data));
}

message encode_pong(std::string_view context) { return command_frame("PONG", bytes_of(context.substr(0, 16))); }

}  // namespace troupe::messaging::internal::zmtp
