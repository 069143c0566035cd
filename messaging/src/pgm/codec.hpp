#pragma once
// libzmq's framing over PGM, pure (no I/O): each packet (one PGM APDU of at most the
// transport's TSDU) starts with a 2-byte big-endian offset to the first *message* (not part)
// that begins in it, 0xFFFF if none does, followed by ZMTP/1.0 frames that run on across
// packets: a length counting the flags byte (1 byte, or 0xFF and 8 bytes big-endian), a flags
// byte (bit 0: MORE), the body.
//
// The offset is what lets a receiver join a stream in the middle (a late joiner, or after
// unrecoverable loss): it skips packets until one has a message start, and decodes from there.

#include "zmtp/decoder.hpp"

#include <troupe/messaging/message.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace troupe::messaging::internal::pgm {

inline constexpr std::uint16_t no_message_start = 0xFFFF;
inline constexpr std::size_t offset_size = 2;

/// Packs message parts into packets. Usage per packet: begin(), then continue_part() and add()
/// while !full() and parts are available, then finish().
class encoder {
public:
  /// Starts a packet in `buf` (at least offset_size + 10 bytes).
  void begin(std::span<std::byte> buf) noexcept;
  /// Writes what fits of the part begun in an earlier packet.
  void continue_part() noexcept;
  /// True while a part has bytes not written yet (add() must wait).
  bool part_pending() const noexcept { return pending_; }
  /// Starts writing `part` (taken) and writes what fits. Call only when !part_pending().
  void add(message&& part) noexcept;
  bool full() const noexcept { return pos_ == buf_.size(); }
  bool empty() const noexcept { return pos_ == offset_size; }
  /// Writes the offset field; returns the packet's length.
  std::size_t finish() noexcept;

private:
  void write_some() noexcept;

  std::span<std::byte> buf_;
  std::size_t pos_ = 0;
  std::uint16_t offset_ = no_message_start;
  bool in_multipart_ = false;  // the last part added had MORE
  bool pending_ = false;
  message part_;
  std::byte header_[10];
  std::size_t header_len_ = 0, header_done_ = 0, body_done_ = 0;
};

/// One source's stream. Whole messages only come out: the parts of a message are kept until its
/// last part, and dropped if the stream breaks first.
class decoder {
public:
  /// `max_part`: MAXMSGSIZE (-1: the ZMTP decoder's default limit).
  explicit decoder(std::int64_t max_part) noexcept;

  enum class result {
    ok,
    /// The packet was bad (reason in error()): the stream is reset and waits for a packet
    /// with a message start, as after loss.
    broken,
  };
  /// Feeds one packet; complete messages' parts are appended to `out` (the last part of each
  /// without MORE). Throws std::bad_alloc only.
  result feed(std::span<const std::byte> packet, std::vector<message>& out);
  /// Forgets everything (loss): the next packet with a message start rejoins.
  void reset() noexcept;
  bool joined() const noexcept { return joined_; }
  const std::string& error() const noexcept { return error_; }
  /// Bytes held for the body being decoded (for memory accounting in tests).
  std::size_t buffered() const noexcept {
    return big_capacity_ + (state_ == state::body && body_size_ <= zmtp::whole_body_max ? static_cast<std::size_t>(body_size_) : 0);
  }

private:
  enum class state { length, long_length, flags, body };
  result fail(std::string why) noexcept;

  std::uint64_t max_part_;
  bool joined_ = false;
  state state_ = state::length;
  std::byte len_buf_[8];
  std::size_t len_have_ = 0;
  std::uint64_t body_size_ = 0;
  std::size_t body_have_ = 0;
  bool more_ = false;
  message body_;  // a body of at most zmtp::whole_body_max bytes, allocated at its header
  // A larger body grows as its bytes arrive, as in the ZMTP decoder (at most
  // max(64 KiB, arrived / 2) ahead of them): a source announcing a huge frame costs only what
  // it sends. The buffer becomes the message when the body is complete.
  struct free_deleter {
    void operator()(std::byte* p) const noexcept;
  };
  std::unique_ptr<std::byte, free_deleter> big_;
  std::size_t big_capacity_ = 0;
  std::vector<message> parts_;  // the message being assembled
  std::string error_;
};

}  // namespace troupe::messaging::internal::pgm
