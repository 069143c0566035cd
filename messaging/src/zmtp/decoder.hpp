#pragma once
// ZMTP frame decoder (RFC 23/37): bytes in, one frame at a time out. Pure: no I/O.
//
// Memory: a frame's size is checked against its limit before anything is allocated, and a
// large body's buffer grows only as its bytes arrive: it never holds more than
// min(announced, arrived + max(64 KiB, arrived / 2)) bytes, arrived being the body bytes
// received so far (growth by half keeps the number of reallocs logarithmic, and glibc moves
// big blocks with mremap, not a copy). So a peer announcing 2^62 bytes costs nothing until it
// sends them, and a peer that sends half a body costs at most 1.5x what it sent.
// Large bodies can be read straight into their buffer (body_window / body_written), and the
// finished buffer becomes the message without another copy.
// Nothing here throws: running out of memory is a protocol failure of this frame (failed).

#include <troupe/messaging/message.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace troupe::messaging::internal::zmtp {

inline constexpr std::uint8_t flag_more = 0x01;
inline constexpr std::uint8_t flag_long = 0x02;
inline constexpr std::uint8_t flag_command = 0x04;

/// Largest frame accepted when the socket sets no MAXMSGSIZE: finite, so that the default
/// configuration is not an invitation.
inline constexpr std::uint64_t default_max_frame = std::uint64_t{1} << 30;  // 1 GiB
/// Largest command frame (READY with its metadata, SUBSCRIBE with a topic, ...) whatever
/// MAXMSGSIZE says.
inline constexpr std::uint64_t max_command = std::uint64_t{1} << 20;
/// Smallest limit a command gets from a small MAXMSGSIZE: READY with a 255-byte Identity, the
/// Socket-Type and their names always fits, so a tiny MAXMSGSIZE cannot break the handshake.
inline constexpr std::uint64_t min_command_limit = 1024;
/// Room for a command's name in front of its data (SUBSCRIBE is 1 + 9 bytes).
inline constexpr std::uint64_t command_name_room = 16;
/// Body of the first allocation of a large body, and the least a growing one may run ahead.
inline constexpr std::size_t first_chunk = 64 * 1024;
/// Bodies up to this size are allocated whole (a message from the body pool) when their header
/// arrives: one pooled block instead of a realloc'd buffer plus a control block from malloc,
/// both freed by the reader's thread (measured: ~30% of a tcp receiver's time at 64 B went to
/// glibc's malloc/free; at 64 KiB, fresh pages from glibc cost a receiver ~7% in page faults).
/// Equal to first_chunk, so a peer announcing a body and sending nothing makes us hold no more
/// than the bound above allows (first_chunk, plus the pool block's small header room).
inline constexpr std::uint64_t whole_body_max = first_chunk;

/// The limit on a command frame for a socket whose MAXMSGSIZE is `max_message` (< 0: none):
/// max_command, lowered to MAXMSGSIZE + command_name_room when that is smaller (a SUBSCRIBE
/// may carry a topic as long as a message), never below min_command_limit.
std::uint64_t command_limit(std::int64_t max_message) noexcept;

class decoder {
public:
  enum class status {
    need_more,    ///< everything given was consumed; feed more
    frame_ready,  ///< take_frame() now; the rest of the input was not consumed
    failed,       ///< protocol error: see error(); the connection must close
  };
  struct result {
    status what;
    std::size_t consumed;
  };

  /// `max_message` < 0: default_max_frame.
  explicit decoder(std::int64_t max_message = -1) noexcept;
  ~decoder();
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  /// Consumes bytes up to the end of one frame.
  result decode(std::span<const std::byte> in) noexcept;

  /// The finished frame (MORE and command flags set on it); an empty part if none is
  /// finished. A failed decoder stays failed.
  message take_frame() noexcept;

  /// While in a large body: where the next bytes of it may be read directly (never more
  /// than the body still needs, at most `max_chunk`); empty otherwise.
  /// May grow the buffer, within the bound above (the window is smaller than `max_chunk` when
  /// little of the body has arrived yet).
  std::span<std::byte> body_window(std::size_t max_chunk = 1 << 20) noexcept;
  /// `n` bytes were put in the body_window(); may complete the frame (then frame_ready).
  /// After a protocol error: failed, whatever `n`.
  status body_written(std::size_t n) noexcept;

  const std::string& error() const noexcept { return error_; }
  /// No frame begun: the input so far ended exactly after a whole frame (or none came).
  bool between_frames() const noexcept { return state_ == state::flags; }
  /// Bytes held for the frame being decoded (for memory accounting in tests).
  std::size_t buffered() const noexcept {
    const bool whole = state_ == state::body && body_size_ > message::inline_capacity && body_size_ <= whole_body_max;
    return capacity_ + (whole ? static_cast<std::size_t>(body_size_) : 0);
  }

private:
  enum class state { flags, size, body, done, failed };
  status fail(std::initializer_list<std::string_view> why) noexcept;
  status start_body() noexcept;
  std::size_t growth_target(std::size_t at_least) const noexcept;
  bool grow(std::size_t at_least) noexcept;
  bool finish_body() noexcept;  // false: failed (out of memory)
  // At a frame's start: decodes a whole frame held in in[used, ...) at once (true), or
  // leaves everything to the states (false).
  bool take_whole_frame(std::span<const std::byte> in, std::size_t& used) noexcept;

  std::uint64_t max_;
  std::uint64_t max_cmd_;
  state state_ = state::flags;
  std::uint8_t flags_ = 0;
  std::uint8_t size_bytes_[8]{};
  std::size_t size_have_ = 0;
  std::size_t size_need_ = 0;
  std::uint64_t body_size_ = 0;
  // Body: small bodies fill an inline message; large ones a malloc'd buffer.
  message small_;
  std::byte* buf_ = nullptr;
  std::size_t capacity_ = 0;
  std::uint64_t filled_ = 0;
  message ready_;
  std::string error_;
};

}  // namespace troupe::messaging::internal::zmtp
