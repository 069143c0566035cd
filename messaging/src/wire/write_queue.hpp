#pragma once
// What a stream engine has yet to write: ZMTP frames in order, written with one sendmsg(2) of
// many iovecs. Headers, commands and small bodies are copied into one buffer (cheaper than
// holding a message and an iovec for each); a body of zero_copy_threshold bytes or more is not
// copied: its message is kept here and its bytes are written from where they are, then the
// message is released. Partial writes resume where they stopped, mid-header or mid-body.
//
// Threads: owned by one engine and used on its strand only. Steady state allocates nothing:
// the buffer and the list of held bodies keep their capacity between batches.

#include <troupe/messaging/message.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace troupe::messaging::internal {

class write_queue {
public:
  /// Bodies at least this large are written in place (8 KiB). Below it, a memcpy costs less
  /// than keeping the message alive and one more iovec; and with the engine's 256 KiB batches
  /// a batch holds at most ~33 such bodies, so one sendmsg carries a whole batch.
  static constexpr std::size_t zero_copy_threshold = 8 * 1024;

  enum class status { done, blocked, failed };
  struct result {
    status what;
    std::size_t bytes;  ///< written by this call
    int error;          ///< errno when failed
  };

  /// Queues one frame: header, then the body (held, not copied, if large). Throws
  /// std::bad_alloc (the engine then closes the connection).
  void add_frame(message&& m);
  /// Queues raw bytes (the greeting). Throws std::bad_alloc.
  void add_bytes(std::span<const std::byte> bytes);

  /// Writes as much as the descriptor takes: done (all written), blocked (EAGAIN) or failed.
  result write_to(int fd) noexcept;

  bool empty() const noexcept { return sent_ == buf_.size() && big_next_ == bigs_.size(); }
  /// Bytes queued and not yet written.
  std::size_t pending() const noexcept { return queued_ - written_; }
  /// Drops everything (the connection is gone).
  void clear() noexcept;

private:
  struct held_body {
    std::size_t at;  // the body follows buf_[0, at)
    message body;
  };
  // Bytes to write, appended with a plain memcpy (std::vector's insert cost more than the
  // copy of a small frame). Grows geometrically, keeps its capacity.
  struct byte_buffer {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t used = 0, capacity = 0;
    std::byte* data() const noexcept { return bytes.get(); }
    std::size_t size() const noexcept { return used; }
    bool empty() const noexcept { return used == 0; }
    void clear() noexcept { used = 0; }
    void reserve_more(std::size_t more);  // throws std::bad_alloc
    void append(const std::byte* from, std::size_t n) noexcept;  // after reserve_more(>= n)
  };

  void reset_if_empty() noexcept;
  void advance(std::size_t n) noexcept;

  byte_buffer buf_;
  std::vector<held_body> bigs_;
  std::size_t sent_ = 0;      // bytes of buf_ written
  std::size_t big_next_ = 0;  // first held body not completely written
  std::size_t big_sent_ = 0;  // bytes of bigs_[big_next_] written
  std::size_t queued_ = 0, written_ = 0;
};

}  // namespace troupe::messaging::internal
