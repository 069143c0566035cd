// Fuzzes the ZMTP command parser and encoders (READY with its properties, SUBSCRIBE, CANCEL,
// PING, PONG, ERROR, anything else).
//
// Input: the body of a command frame, as parse_command() gets it from the decoder.
//
// Checks:
// - parse_command() gives the kind a straightforward reference reading of RFC 23/37 gives
//   (including which malformed bodies are refused), with a reason for every refusal;
// - what it parsed re-encodes to exactly the bytes it came from (READY, SUBSCRIBE, CANCEL,
//   PING, PONG; ERROR up to its reason), every encoder sets the COMMAND flag and not MORE;
// - ready_cmd::find() returns the first property whose name matches, ignoring ASCII case;
// - from the same bytes as structured input, encode -> parse gives back what was encoded
//   (READY properties, topics, PING TTL and context up to 16 bytes, ERROR reason up to 255).
#include "fuzz_support.hpp"

#include "zmtp/commands.hpp"

#include <algorithm>
#include <cctype>

namespace zmtp = troupe::messaging::internal::zmtp;
using troupe::messaging::message;
using troupe_fuzz::as_text;

namespace {

enum kind { k_ready, k_error, k_subscribe, k_cancel, k_ping, k_pong, k_unknown, k_bad };

std::uint32_t be32(std::span<const std::byte> b) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(b[i]);
  return v;
}

// Which command this body is, read the simple way.
kind reference_kind(std::span<const std::byte> body) {
  if (body.empty()) return k_bad;
  const std::size_t n = std::to_integer<std::size_t>(body[0]);
  if (n == 0 || body.size() < 1 + n) return k_bad;
  const auto name = as_text(body.subspan(1, n));
  const auto data = body.subspan(1 + n);
  if (name == "READY") {
    std::size_t p = 0;
    while (p < data.size()) {
      const std::size_t nl = std::to_integer<std::size_t>(data[p]);
      if (nl == 0 || data.size() - p < 1 + nl + 4) return k_bad;
      const std::uint64_t vl = be32(data.subspan(p + 1 + nl, 4));
      if (data.size() - p - 1 - nl - 4 < vl) return k_bad;
      p += 1 + nl + 4 + vl;
    }
    return k_ready;
  }
  if (name == "ERROR") return !data.empty() && data.size() >= 1 + std::to_integer<std::size_t>(data[0]) ? k_error : k_bad;
  if (name == "SUBSCRIBE") return k_subscribe;
  if (name == "CANCEL") return k_cancel;
  if (name == "PING") return data.size() >= 2 && data.size() <= 18 ? k_ping : k_bad;
  if (name == "PONG") return data.size() <= 16 ? k_pong : k_bad;
  return k_unknown;
}

void check_frame(const message& m) {
  FUZZ_CHECK(m.command());
  FUZZ_CHECK(!m.more());
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void check_ready(const zmtp::ready_cmd& r, std::span<const std::byte> body) {
  const message again = zmtp::encode_ready(r.props);
  check_frame(again);
  FUZZ_CHECK(again.view() == as_text(body));
  for (const auto& prop : r.props) {
    const std::string& name = prop.first;
    FUZZ_CHECK(!name.empty() && name.size() <= 255);
    const std::string* found = r.find(name);
    FUZZ_CHECK(found != nullptr);
    // The first property of that name (ignoring case), wherever the name is repeated.
    const auto first = std::find_if(r.props.begin(), r.props.end(), [&](const auto& p) { return iequal(p.first, name); });
    if (first != r.props.end()) FUZZ_CHECK(found == &first->second);
    std::string flipped = name;
    for (char& c : flipped) {
      if (std::isalpha(static_cast<unsigned char>(c))) c = static_cast<char>(c ^ 0x20);
    }
    FUZZ_CHECK(r.find(flipped) == found);
  }
}

void parse_side(std::span<const std::byte> body) {
  const zmtp::command cmd = zmtp::parse_command(body);
  FUZZ_CHECK(cmd.index() == static_cast<std::size_t>(reference_kind(body)));
  const std::size_t name_len = body.empty() ? 0 : std::to_integer<std::size_t>(body[0]);
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, zmtp::ready_cmd>) {
          check_ready(c, body);
        } else if constexpr (std::is_same_v<T, zmtp::error_cmd>) {
          FUZZ_CHECK(c.reason.size() <= 255);
          const message again = zmtp::encode_error(c.reason);
          check_frame(again);
          // Bytes past the reason's length are ignored.
          FUZZ_CHECK(again.size() <= body.size() && again.view() == as_text(body.first(again.size())));
        } else if constexpr (std::is_same_v<T, zmtp::subscribe_cmd>) {
          FUZZ_CHECK(zmtp::encode_subscribe(c.topic).view() == as_text(body));
        } else if constexpr (std::is_same_v<T, zmtp::cancel_cmd>) {
          FUZZ_CHECK(zmtp::encode_cancel(c.topic).view() == as_text(body));
        } else if constexpr (std::is_same_v<T, zmtp::ping_cmd>) {
          FUZZ_CHECK(c.context.size() <= 16);
          FUZZ_CHECK(zmtp::encode_ping(c.ttl_deciseconds, c.context).view() == as_text(body));
        } else if constexpr (std::is_same_v<T, zmtp::pong_cmd>) {
          FUZZ_CHECK(c.context.size() <= 16);
          FUZZ_CHECK(zmtp::encode_pong(c.context).view() == as_text(body));
        } else if constexpr (std::is_same_v<T, zmtp::unknown_cmd>) {
          FUZZ_CHECK(c.name == as_text(body.subspan(1, name_len)));
        } else {
          FUZZ_CHECK(!c.reason.empty());
        }
      },
      cmd);
}

// Structured: [n][name n bytes][value_len][value]... until the input runs out.
void encode_side(std::span<const std::uint8_t> data) {
  troupe_fuzz::reader in(data);
  zmtp::properties props;
  for (;;) {
    const auto n = in.byte();
    const auto name = in.take(n);
    if (n == 0 || name.size() < n) break;
    const auto value = in.take(in.byte());
    props.emplace_back(std::string(as_text(troupe_fuzz::as_bytes(name))), std::string(as_text(troupe_fuzz::as_bytes(value))));
  }
  const message ready = zmtp::encode_ready(props);
  check_frame(ready);
  const auto parsed = zmtp::parse_command(ready.bytes());
  FUZZ_CHECK(std::holds_alternative<zmtp::ready_cmd>(parsed));
  FUZZ_CHECK(std::get<zmtp::ready_cmd>(parsed).props == props);

  const auto text = as_text(troupe_fuzz::as_bytes(data));
  const message sub = zmtp::encode_subscribe(text);
  check_frame(sub);
  const auto s = zmtp::parse_command(sub.bytes());
  FUZZ_CHECK(std::holds_alternative<zmtp::subscribe_cmd>(s) && std::get<zmtp::subscribe_cmd>(s).topic == text);
  const message cancel = zmtp::encode_cancel(text);
  check_frame(cancel);
  const auto c = zmtp::parse_command(cancel.bytes());
  FUZZ_CHECK(std::holds_alternative<zmtp::cancel_cmd>(c) && std::get<zmtp::cancel_cmd>(c).topic == text);

  const auto ttl = static_cast<std::uint16_t>(data.size() >= 2 ? (data[0] << 8) | data[1] : 0);
  const auto context = text.substr(std::min<std::size_t>(2, text.size()));
  const message ping = zmtp::encode_ping(ttl, context);
  check_frame(ping);
  const auto p = zmtp::parse_command(ping.bytes());
  FUZZ_CHECK(std::holds_alternative<zmtp::ping_cmd>(p));
  FUZZ_CHECK(std::get<zmtp::ping_cmd>(p).ttl_deciseconds == ttl);
  FUZZ_CHECK(std::get<zmtp::ping_cmd>(p).context == context.substr(0, 16));
  const message pong = zmtp::encode_pong(context);
  check_frame(pong);
  const auto q = zmtp::parse_command(pong.bytes());
  FUZZ_CHECK(std::holds_alternative<zmtp::pong_cmd>(q) && std::get<zmtp::pong_cmd>(q).context == context.substr(0, 16));

  const message error = zmtp::encode_error(text);
  check_frame(error);
  const auto e = zmtp::parse_command(error.bytes());
  FUZZ_CHECK(std::holds_alternative<zmtp::error_cmd>(e) && std::get<zmtp::error_cmd>(e).reason == text.substr(0, 255));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parse_side(troupe_fuzz::as_bytes({data, size}));
  encode_side({data, size});
  return 0;
}
