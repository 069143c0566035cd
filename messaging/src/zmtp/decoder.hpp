#pragma once
// ZMTP frame decoder (RFC 23/37): bytes in, one frame at a time out. Pure: no I/O.
//
// Memory: a frame's size is checked against the limit before anything is allocated, and a
// large body's buffer grows only as its bytes arrive (doubling from 64 KiB, never past the
// announced size), so a peer announcing 2^62 bytes costs nothing until it sends them.
// Large bodies can be read straight into their buffer (body_window / body_written), and the
// finished buffer becomes the message without another copy.

#include <troupe/messaging/message.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace troupe::messaging::internal::zmtp {

inline constexpr std::uint8_t flag_more = 0x01;
inline constexpr std::uint8_t flag_long = 0x02;
inline constexpr std::uint8_t flag_command = 0x04;

/// Largest frame accepted when the socket sets no MAXMSGSIZE: finite, so that the default
/// configuration is not an invitation.
inline constexpr std::uint64_t default_max_frame = std::uint64_t{1} << 30;  // 1 GiB
/// Largest command frame (READY with its metadata, SUBSCRIBE with a topic, ...).
inline constexpr std::uint64_t max_command = std::uint64_t{1} << 20;
/// Bodies up to this size are allocated whole (a message from the body pool) when their header
/// arrives: one pooled block instead of a realloc'd buffer plus a control block from malloc,
/// both freed by the reader's thread (measured: ~30% of a tcp receiver's time at 64 B went to
/// glibc's malloc/free). Half the first chunk a larger body gets, so a peer announcing a body
/// and sending nothing still makes us hold less than 64 KiB (the pool rounds up to 2x).
inline constexpr std::uint64_t whole_body_max = 32 * 1024;

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
  std::span<std::byte> body_window(std::size_t max_chunk = 1 << 20) noexcept;
  /// `n` bytes were put in the body_window(); may complete the frame (then frame_ready).
  /// After a protocol error: failed, whatever `n`.
  status body_written(std::size_t n) noexcept;

  const std::string& error() const noexcept { return error_; }
  /// Bytes held for the frame being decoded (for memory accounting in tests).
  std::size_t buffered() const noexcept {
    const bool whole = state_ == state::body && body_size_ > message::inline_capacity && body_size_ <= whole_body_max;
    return capacity_ + (whole ? static_cast<std::size_t>(body_size_) : 0);
  }

private:
  enum class state { flags, size, body, done, failed };
  status fail(std::string why) noexcept;
  status start_body() noexcept;
  bool grow(std::size_t at_least) noexcept;
  void finish_body() noexcept;

  std::uint64_t max_;
  state state_ = state::flags;
  std::uint8_t flags_ = 0;
  std::uint8_t size_bytes_[8]{};
  std::size_t size_have_ = 0;
  std::size_t size_need_ = 0;
  std::uint64_t body_size_ = 0;
  // Body: bodies up to 64 KiB fill a message allocated whole (inline, or from the body pool);
  // larger ones a malloc'd buffer grown as their bytes arrive.
  message small_;
  std::byte* buf_ = nullptr;
  std::size_t capacity_ = 0;
  std::uint64_t filled_ = 0;
  message ready_;
  std::string error_;
};

}  // namespace troupe::messaging::internal::zmtp
