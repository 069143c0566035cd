// Fuzzes the ZMTP greeting: check_signature() on a growing prefix, as the engine calls it
// while the greeting trickles in, then decode_greeting() on the whole 64 bytes; and
// encode_greeting() of a greeting built from the input.
//
// Input: [plan_len][plan...][stream...]   (plan_len % 17 plan bytes, see chunk_plan)
//
// Checks:
// - the verdict on every prefix is what RFC 23/37 say (0xFF, bit 0 of byte 9, major >= 3),
//   whatever the split, and once decided it never changes as more bytes arrive; 11 bytes
//   always decide it;
// - decode_greeting() agrees with the verdict: a greeting only for ZMTP 3.x, with exactly the
//   version, mechanism (up to the first NUL of its 20 bytes) and as-server flag sent, an error
//   with a reason for anything else (as-server byte other than 0 or 1);
// - encode_greeting(decode_greeting(x)) decodes to the same greeting and, when x's mechanism
//   field is NUL-padded, repeats x's bytes 10..32; encode_greeting(g) decodes back to g
//   (mechanism cut at 20 bytes or the first NUL; versions below 3 refused).
#include "fuzz_support.hpp"

#include "zmtp/greeting.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace zmtp = troupe::messaging::internal::zmtp;
using troupe_fuzz::reader;
using verdict = zmtp::signature_verdict;

namespace {

verdict reference_verdict(std::span<const std::byte> p) {
  if (p.empty()) return verdict::need_more;
  if (p[0] != std::byte{0xFF}) return verdict::not_zmtp;
  if (p.size() < 10) return verdict::need_more;
  if ((std::to_integer<unsigned>(p[9]) & 1u) == 0) return verdict::too_old;
  if (p.size() < 11) return verdict::need_more;
  return std::to_integer<unsigned>(p[10]) >= 3 ? verdict::zmtp3 : verdict::too_old;
}

std::string mechanism_of(std::span<const std::byte> field20) {
  const auto text = troupe_fuzz::as_text(field20);
  return std::string(text.substr(0, std::min(text.find('\0'), std::size_t{20})));
}

bool same(const zmtp::greeting& a, const zmtp::greeting& b) {
  return a.major == b.major && a.minor == b.minor && a.mechanism == b.mechanism && a.as_server == b.as_server;
}

void check_decoded(std::span<const std::byte, zmtp::greeting_size> g) {
  const auto result = zmtp::decode_greeting(g);
  const auto v = reference_verdict(g.first(zmtp::signature_and_major));
  const auto* ok = std::get_if<zmtp::greeting>(&result);
  if (v != verdict::zmtp3 || std::to_integer<unsigned>(g[32]) > 1) {
    FUZZ_CHECK(ok == nullptr);
    FUZZ_CHECK(!std::get<zmtp::greeting_error>(result).reason.empty());
    return;
  }
  FUZZ_CHECK(ok != nullptr);
  FUZZ_CHECK(ok->major == std::to_integer<std::uint8_t>(g[10]) && ok->major >= 3);
  FUZZ_CHECK(ok->minor == std::to_integer<std::uint8_t>(g[11]));
  FUZZ_CHECK(ok->mechanism == mechanism_of(g.subspan(12, 20)));
  FUZZ_CHECK(ok->as_server == (g[32] == std::byte{1}));
  // Round trip.
  const auto again = zmtp::encode_greeting(*ok);
  FUZZ_CHECK(zmtp::check_signature(again) == verdict::zmtp3);
  const auto back = zmtp::decode_greeting(again);
  FUZZ_CHECK(std::holds_alternative<zmtp::greeting>(back) && same(std::get<zmtp::greeting>(back), *ok));
  const bool padded = std::all_of(g.begin() + 12 + static_cast<std::ptrdiff_t>(ok->mechanism.size()), g.begin() + 32,
                                  [](std::byte b) { return b == std::byte{0}; });
  if (padded) FUZZ_CHECK(std::memcmp(again.data() + 10, g.data() + 10, 23) == 0);
}

// The engine's loop: bytes arrive in reads; after each, look at the first 11.
void stream_in(std::span<const std::byte> stream, troupe_fuzz::chunk_plan plan) {
  std::size_t have = 0;
  std::optional<verdict> decided;
  while (have < stream.size()) {
    const auto st = plan.next();
    have += std::min(st.window ? st.fallback : st.size, stream.size() - have);
    const auto prefix = stream.first(have);
    const auto v = zmtp::check_signature(prefix.first(std::min(have, zmtp::signature_and_major)));
    FUZZ_CHECK(v == reference_verdict(prefix));
    FUZZ_CHECK(zmtp::check_signature(prefix) == v);  // bytes past the 11th change nothing
    if (have >= zmtp::signature_and_major) FUZZ_CHECK(v != verdict::need_more);
    if (decided) FUZZ_CHECK(v == *decided);
    if (v != verdict::need_more) decided = v;
    if (v == verdict::not_zmtp || v == verdict::too_old) return;  // the engine hangs up
    if (have >= zmtp::greeting_size) {
      FUZZ_CHECK(v == verdict::zmtp3);
      check_decoded(std::span<const std::byte, zmtp::greeting_size>(stream.data(), zmtp::greeting_size));
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in({data, size});
  const auto plan = in.take(in.byte() % 17);
  const auto stream = troupe_fuzz::as_bytes(in.rest());

  stream_in(stream, troupe_fuzz::chunk_plan(plan));
  stream_in(stream, troupe_fuzz::chunk_plan({}));
  // Whatever the signature says, decoding 64 bytes is safe and agrees with it.
  if (stream.size() >= zmtp::greeting_size)
    check_decoded(std::span<const std::byte, zmtp::greeting_size>(stream.data(), zmtp::greeting_size));

  // The encoder, from the same bytes: [major][minor][as_server][mechanism_len][mechanism...]
  reader enc({data, size});
  zmtp::greeting g;
  g.major = enc.byte();
  g.minor = enc.byte();
  g.as_server = (enc.byte() & 1) != 0;
  const auto mech = enc.take(enc.byte() % 33);
  g.mechanism.assign(reinterpret_cast<const char*>(mech.data()), mech.size());
  const auto bytes = zmtp::encode_greeting(g);
  FUZZ_CHECK(bytes[0] == std::byte{0xFF} && bytes[9] == std::byte{0x7F});
  const auto back = zmtp::decode_greeting(bytes);
  if (g.major < 3) {
    FUZZ_CHECK(std::holds_alternative<zmtp::greeting_error>(back));
  } else {
    FUZZ_CHECK(std::holds_alternative<zmtp::greeting>(back));
    const auto& d = std::get<zmtp::greeting>(back);
    FUZZ_CHECK(d.major == g.major && d.minor == g.minor && d.as_server == g.as_server);
    FUZZ_CHECK(d.mechanism == mechanism_of(troupe_fuzz::as_bytes(mech.first(std::min<std::size_t>(mech.size(), 20)))));
  }
  return 0;
}
