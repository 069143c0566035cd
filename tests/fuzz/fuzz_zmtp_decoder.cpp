// Fuzzes zmtp::decoder (frames after the greeting: short and long sizes, MORE, COMMAND,
// MAXMSGSIZE) with arbitrary bytes split into arbitrary reads.
//
// Input: [mode][param][filler_at:2][filler_units][plan_len][plan...][stream...]
//   mode & 3: MAXMSGSIZE: 0 default (-1), 1 param bytes, 2 param * 256, 3 param * 64 KiB
//   mode & 4: filler: filler_units KiB of patterned bytes inserted into the stream at
//             filler_at % (stream size + 1), so that long frames (past the 64 KiB first chunk,
//             through the direct-read window) need no megabyte inputs
//   plan:     plan_len % 33 steps (see chunk_plan in fuzz_support.hpp)
//
// Checks, against a straightforward whole-buffer reference decoder written from RFC 23/37:
// - the same frames (flags, size, body bytes) come out fed whole, fed by the plan and, for
//   small streams, fed one byte at a time; a protocol error happens at the same byte;
// - no frame is over the limit (MAXMSGSIZE for messages; for commands MAXMSGSIZE + 16, at
//   least 1 KiB and at most 1 MiB);
// - an error is sticky: afterwards no frame (whatever the caller calls), no window, nothing
//   held, error() says why;
// - decode() returns need_more only having consumed everything it was given;
// - memory follows the bytes that arrived: the decoder holds at most
//   arrived + max(64 KiB, arrived / 2) (arrived: the frame's bytes so far), however large the
//   windows asked for, never more than the announced size, nothing between frames - by its
//   own accounting (buffered()) and by the allocator's (the meter), whatever size the peer
//   announced;
// - encode_header() + body gives back the bytes of every frame whose size used the canonical
//   form (long only past 255 bytes), and the same flags and size otherwise.
#include "fuzz_support.hpp"

#include "zmtp/commands.hpp"
#include "zmtp/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace zmtp = troupe::messaging::internal::zmtp;
using troupe::messaging::message;
using troupe_fuzz::chunk_plan;
using troupe_fuzz::reader;

namespace {

constexpr std::size_t first_chunk = 64 * 1024;  // decoder.cpp's first large-body allocation

// The command limit, written out again from the documented rule (not zmtp::command_limit).
std::uint64_t reference_command_limit(std::int64_t max_message) {
  if (max_message < 0) return std::uint64_t{1} << 20;
  return std::max<std::uint64_t>(1024, std::min<std::uint64_t>(std::uint64_t{1} << 20,
                                                               static_cast<std::uint64_t>(max_message) + 16));
}

struct ref_frame {
  std::uint8_t flags;
  std::size_t begin;       // header's first byte
  std::size_t body_begin;  // body's first byte
  std::uint64_t size;
};

struct ref_result {
  std::vector<ref_frame> frames;
  std::optional<std::size_t> fail_at;  // bytes consumed when the error is seen
  std::size_t tail_begin = 0;          // start of the frame still incomplete (or failing)
};

// RFC 23 framing, the simple way: the whole stream at once.
ref_result reference_decode(std::span<const std::byte> s, std::int64_t max_message) {
  const std::uint64_t max = max_message < 0 ? zmtp::default_max_frame : static_cast<std::uint64_t>(max_message);
  const std::uint64_t max_cmd = reference_command_limit(max_message);
  ref_result r;
  std::size_t pos = 0;
  for (;;) {
    r.tail_begin = pos;
    if (pos == s.size()) return r;
    const auto flags = std::to_integer<std::uint8_t>(s[pos]);
    if ((flags & ~7u) != 0 || ((flags & zmtp::flag_command) && (flags & zmtp::flag_more))) {
      r.fail_at = pos + 1;
      return r;
    }
    const std::size_t header = (flags & zmtp::flag_long) ? 9 : 2;
    if (s.size() - pos < header) return r;
    std::uint64_t size = 0;
    for (std::size_t i = 1; i < header; ++i) size = (size << 8) | std::to_integer<std::uint8_t>(s[pos + i]);
    const std::uint64_t limit = (flags & zmtp::flag_command) ? max_cmd : max;
    if ((header == 9 && (size >> 63)) || size > limit) {
      r.fail_at = pos + header;
      return r;
    }
    if (s.size() - pos - header < size) return r;
    r.frames.push_back({flags, pos, pos + header, size});
    pos += header + static_cast<std::size_t>(size);
  }
}

struct run_ctx {
  std::span<const std::byte> stream;
  const ref_result& ref;
  std::int64_t max_message;
  bool check_roundtrip;
};

class runner {
public:
  explicit runner(const run_ctx& c) : c_(c), d_(c.max_message) {}

  void feed_with(chunk_plan plan) {
    while (pos_ < c_.stream.size()) {
      if (failed_) return;
      const auto st = plan.next();
      if (st.window && window_step(st)) continue;
      decode_chunk(st.window ? st.fallback : st.size);
    }
    finish();
  }

  void feed_whole() {
    decode_chunk(c_.stream.size());
    finish();
  }

private:
  void finish() {
    if (failed_) return;
    // Everything fed: nothing more comes out of an empty read.
    FUZZ_CHECK(!c_.ref.fail_at);
    const auto r = d_.decode({});
    FUZZ_CHECK(r.consumed == 0 && r.what == zmtp::decoder::status::need_more);
    FUZZ_CHECK(next_ == c_.ref.frames.size());
    if (c_.ref.tail_begin == c_.stream.size()) FUZZ_CHECK(d_.buffered() == 0);
  }

  // The frame the decoder is in now, as the reference sees it.
  std::uint64_t announced() const noexcept {
    if (next_ < c_.ref.frames.size()) return c_.ref.frames[next_].size;
    return ~std::uint64_t{0};  // incomplete tail: the size may not be known yet
  }
  std::size_t frame_begin() const noexcept {
    return next_ < c_.ref.frames.size() ? c_.ref.frames[next_].begin : c_.ref.tail_begin;
  }

  // What the decoder may hold now: see the header.
  void check_memory(std::int64_t peak_extra, std::size_t held_before) const {
    const std::size_t arrived = pos_ - frame_begin();
    const std::size_t bound = arrived + std::max(first_chunk, arrived / 2);
    FUZZ_CHECK(d_.buffered() <= bound);
    FUZZ_CHECK(d_.buffered() <= announced());
    if (troupe_fuzz::meter_available()) {
      // Realloc may hold the old block and the new at once; strings for an error message and a
      // message's shared header are small.
      FUZZ_CHECK(static_cast<std::int64_t>(held_before) + peak_extra <= static_cast<std::int64_t>(2 * bound + 4096));
    }
  }

  bool window_step(const troupe_fuzz::step& st) {
    const std::size_t held = d_.buffered();
    troupe_fuzz::alloc_scope scope;
    const auto w = d_.body_window(st.size);
    if (w.empty()) {
      check_memory(scope.peak_extra(), held);
      return false;
    }
    FUZZ_CHECK(next_ < c_.ref.frames.size() || !c_.ref.fail_at);
    FUZZ_CHECK(w.size() <= st.size);
    // Never more than the body still needs.
    FUZZ_CHECK(w.size() <= announced());
    if (next_ < c_.ref.frames.size()) {
      const auto& f = c_.ref.frames[next_];
      FUZZ_CHECK(pos_ >= f.body_begin && w.size() <= f.body_begin + f.size - pos_);
    }
    std::size_t n = std::min(w.size(), c_.stream.size() - pos_);
    switch (st.portion) {
      case 1: n = std::min<std::size_t>(n, 1); break;
      case 2: n = std::max<std::size_t>(n / 2, 1); break;
      case 3: n = std::min<std::size_t>(n, 1000); break;
      default: break;
    }
    std::memcpy(w.data(), c_.stream.data() + pos_, n);
    pos_ += n;
    const auto s = d_.body_written(n);
    check_memory(scope.peak_extra(), held);
    FUZZ_CHECK(s != zmtp::decoder::status::failed);
    if (s == zmtp::decoder::status::frame_ready) take();
    return true;
  }

  void decode_chunk(std::size_t want) {
    const auto chunk = c_.stream.subspan(pos_, std::min(want, c_.stream.size() - pos_));
    std::size_t used = 0;
    while (used < chunk.size()) {
      const std::size_t held = d_.buffered();
      troupe_fuzz::alloc_scope scope;
      const auto r = d_.decode(chunk.subspan(used));
      FUZZ_CHECK(r.consumed <= chunk.size() - used);
      used += r.consumed;
      pos_ += r.consumed;
      if (r.what == zmtp::decoder::status::failed) {
        FUZZ_CHECK(c_.ref.fail_at && *c_.ref.fail_at == pos_);
        FUZZ_CHECK(next_ == c_.ref.frames.size());
        after_failure();
        return;
      }
      check_memory(scope.peak_extra(), held);
      if (r.what == zmtp::decoder::status::need_more) {
        FUZZ_CHECK(used == chunk.size());
      } else {
        take();
      }
    }
  }

  void take() {
    FUZZ_CHECK(next_ < c_.ref.frames.size());
    const auto& f = c_.ref.frames[next_];
    FUZZ_CHECK(pos_ == f.body_begin + f.size);
    const message m = d_.take_frame();
    FUZZ_CHECK(m.size() == f.size);
    FUZZ_CHECK(m.more() == ((f.flags & zmtp::flag_more) != 0));
    FUZZ_CHECK(m.command() == ((f.flags & zmtp::flag_command) != 0));
    FUZZ_CHECK(m.size() == 0 || std::memcmp(m.data(), c_.stream.data() + f.body_begin, m.size()) == 0);
    FUZZ_CHECK(m.size() <= (m.command() ? reference_command_limit(c_.max_message)
                                        : (c_.max_message < 0 ? zmtp::default_max_frame
                                                              : static_cast<std::uint64_t>(c_.max_message))));
    FUZZ_CHECK(d_.buffered() == 0);  // the buffer went with the frame
    if (c_.check_roundtrip) {
      std::byte header[9];
      const std::size_t n = zmtp::encode_header(m, header);
      const bool canonical = ((f.flags & zmtp::flag_long) != 0) == (f.size > 255);
      if (canonical) {
        FUZZ_CHECK(n == f.body_begin - f.begin);
        FUZZ_CHECK(std::memcmp(header, c_.stream.data() + f.begin, n) == 0);
      } else {
        // A long size for a short body (allowed): we answer with the short form.
        FUZZ_CHECK(n == 2);
        FUZZ_CHECK(std::to_integer<std::uint8_t>(header[0]) == (f.flags & ~zmtp::flag_long));
        FUZZ_CHECK(std::to_integer<std::uint64_t>(header[1]) == f.size);
      }
    }
    ++next_;
  }

  void after_failure() {
    failed_ = true;
    FUZZ_CHECK(!d_.error().empty());
    FUZZ_CHECK(d_.buffered() == 0);
    FUZZ_CHECK(d_.body_window().empty());
    // Sticky: neither the rest of the stream nor a well-formed frame gets anything out.
    const auto rest = c_.stream.subspan(pos_);
    auto r = d_.decode(rest);
    FUZZ_CHECK(r.what == zmtp::decoder::status::failed && r.consumed == 0);
    const std::byte good[] = {std::byte{0}, std::byte{1}, std::byte{'x'}};
    r = d_.decode(good);
    FUZZ_CHECK(r.what == zmtp::decoder::status::failed && r.consumed == 0);
    // Nor a caller that takes a frame or reports window bytes anyway.
    const message none = d_.take_frame();
    FUZZ_CHECK(none.empty() && !none.more() && !none.command());
    r = d_.decode(good);
    FUZZ_CHECK(r.what == zmtp::decoder::status::failed && r.consumed == 0);
    FUZZ_CHECK(d_.body_written(0) == zmtp::decoder::status::failed);
    r = d_.decode(good);
    FUZZ_CHECK(r.what == zmtp::decoder::status::failed && r.consumed == 0);
    FUZZ_CHECK(d_.buffered() == 0);
  }

  const run_ctx c_;
  zmtp::decoder d_;
  std::size_t pos_ = 0;
  std::size_t next_ = 0;  // frames taken
  bool failed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in({data, size});
  const std::uint8_t mode = in.byte();
  const std::uint8_t param = in.byte();
  const std::uint16_t filler_at = in.u16();
  const std::size_t filler = (mode & 4) ? std::size_t{in.byte()} * 1024 : (in.byte(), 0);
  const auto plan = in.take(in.byte() % 33);
  const auto literal = troupe_fuzz::as_bytes(in.rest());

  std::int64_t max_message = -1;
  switch (mode & 3) {
    case 1: max_message = param; break;
    case 2: max_message = std::int64_t{param} * 256; break;
    case 3: max_message = std::int64_t{param} * 64 * 1024; break;
    default: break;
  }

  std::vector<std::byte> stream;
  stream.reserve(literal.size() + filler);
  const std::size_t at = filler_at % (literal.size() + 1);
  stream.insert(stream.end(), literal.begin(), literal.begin() + static_cast<std::ptrdiff_t>(at));
  for (std::size_t i = 0; i < filler; ++i) stream.push_back(std::byte{static_cast<unsigned char>(i * 7 + (i >> 8))});
  stream.insert(stream.end(), literal.begin() + static_cast<std::ptrdiff_t>(at), literal.end());

  const ref_result ref = reference_decode(stream, max_message);
  const run_ctx ctx{stream, ref, max_message, true};
  // Whole: one read of everything.
  {
    runner r(ctx);
    r.feed_whole();
  }
  // By the plan the input chose (no plan: a byte at a time, 128 bytes past 64 KiB).
  {
    runner r({stream, ref, max_message, false});
    static const std::uint8_t by128[] = {0x7f};
    r.feed_with(chunk_plan(plan.empty() && stream.size() > 64 * 1024 ? std::span<const std::uint8_t>(by128) : plan));
  }
  // A byte at a time: every split point.
  if (stream.size() <= 2048 && !plan.empty()) {
    runner r({stream, ref, max_message, false});
    r.feed_with(chunk_plan({}));
  }
  return 0;
}
