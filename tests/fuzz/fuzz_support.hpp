#pragma once
// Shared by the ZMTP codec fuzz targets: a check that aborts (libFuzzer reports it as a crash
// and keeps the input; the corpus replay test fails), a reader that takes parameters from the
// front of the input, chunk plans (how a byte stream is split into reads), and an allocation
// meter (live and peak heap bytes, see alloc_meter.cpp).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                                        \
  do {                                                                                          \
    if (!(cond)) ::troupe_fuzz::check_failed(#cond, __FILE__, __LINE__);                        \
  } while (0)

namespace troupe_fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant violated: %s (%s:%d)\n", what, file, line);
  std::abort();
}

/// Takes bytes from the front of the fuzz input; past the end every read gives 0.
class reader {
public:
  explicit reader(std::span<const std::uint8_t> d) noexcept : d_(d) {}
  std::uint8_t byte() noexcept { return pos_ < d_.size() ? d_[pos_++] : 0; }
  std::uint16_t u16() noexcept {
    const unsigned hi = byte();
    return static_cast<std::uint16_t>((hi << 8) | byte());
  }
  std::span<const std::uint8_t> take(std::size_t n) noexcept {
    n = n < d_.size() - pos_ ? n : d_.size() - pos_;
    auto s = d_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::span<const std::uint8_t> rest() noexcept { return take(d_.size() - pos_); }

private:
  std::span<const std::uint8_t> d_;
  std::size_t pos_ = 0;
};

/// How a stream is fed to a decoder: a cycle of steps, each from one plan byte.
///   0x00-0x7f  decode() the next 1..128 bytes
///   0x80-0xbf  decode() the next 1..64 KiB
///   0xc0-0xff  the direct-read path: body_window(max_chunk = 2^(8 + (b & 15)) bytes), then
///              body_written() of all of it, 1 byte, half of it, or 1000 bytes (bits 4-5);
///              decode() 1..64 bytes instead when there is no window
/// An empty plan means one byte at a time.
struct step {
  bool window;
  std::size_t size;       ///< bytes to decode(), or the max_chunk asked of body_window()
  std::uint8_t portion;   ///< window steps: 0 all, 1 one byte, 2 half, 3 1000 bytes
  std::size_t fallback;   ///< window steps: bytes to decode() when there is no window
};

class chunk_plan {
public:
  explicit chunk_plan(std::span<const std::uint8_t> steps) noexcept : steps_(steps) {}
  step next() noexcept {
    if (steps_.empty()) return {false, 1, 0, 1};
    const std::uint8_t b = steps_[i_++ % steps_.size()];
    if (b < 0x80) return {false, std::size_t{b} + 1u, 0, 0};
    if (b < 0xc0) return {false, (std::size_t{b & 0x3fu} + 1u) * 1024u, 0, 0};
    return {true, std::size_t{1} << (8 + (b & 15)), static_cast<std::uint8_t>((b >> 4) & 3),
            std::size_t{b & 0x3fu} + 1u};
  }

private:
  std::span<const std::uint8_t> steps_;
  std::size_t i_ = 0;
};

inline std::span<const std::byte> as_bytes(std::span<const std::uint8_t> s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view as_text(std::span<const std::byte> s) noexcept {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// --- allocation meter -------------------------------------------------------------------------
// Counts heap bytes of every malloc/new (sanitizer builds: allocator hooks) or of the
// malloc/calloc/realloc/free calls made by statically linked code (plain builds: the linker's
// --wrap). The codec's large frame buffers are malloc'd, so both see them.

/// False when this build cannot count (then live() and peak() stay 0).
bool meter_available() noexcept;
/// Heap bytes now in use (as counted; only differences mean anything).
std::int64_t meter_live() noexcept;
/// Highest meter_live() since the last meter_reset_peak().
std::int64_t meter_peak() noexcept;
void meter_reset_peak() noexcept;

/// Measures what one call allocates beyond what was live when the scope began.
class alloc_scope {
public:
  alloc_scope() noexcept : base_(meter_live()) { meter_reset_peak(); }
  /// Peak extra bytes during the scope.
  std::int64_t peak_extra() const noexcept { return meter_peak() - base_; }

private:
  std::int64_t base_;
};

}  // namespace troupe_fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
