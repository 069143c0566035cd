#pragma once
// A pipe joins two endpoints (two sockets, or a socket and a wire engine). Each direction is
// a ypipe of message parts with a high-water mark counted in whole messages.
//
// Threads: each end is used by its owner's thread only (the thread currently inside that
// socket, or the engine's strand). The hot path (write, flush, read) is lock-free; the cold
// path (events, close, attach) takes the pipe's mutex. An end tells its peer's owner about:
//   readable   - it flushed into a queue whose reader had gone to sleep;
//   writable   - it read past the low-water mark while the writer was blocked at the HWM;
//   peer_closed- it closed; everything it flushed before stays readable (unless discarded).
// Lifetime: reference-counted; each end's owner holds a reference until it detaches, and each
// queued event holds one. The last reference destroys unread messages.

#include <troupe/framework/ref_counted.hpp>
#include <troupe/messaging/message.hpp>

#include "ypipe.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace troupe::messaging::internal {

class pipe;
class pipe_end;

enum class pipe_event { attach, readable, writable, peer_closed };

/// Receives events for the ends it owns, from the peer's thread. Must be thread-safe.
class pipe_owner : public framework::ref_counted {
public:
  virtual void on_pipe_event(pipe_end& end, pipe_event ev) noexcept = 0;
};

/// What a read produced.
enum class read_result { part, empty, ended };

class pipe_end {
public:
  // ---- writer side (owner thread) ----

  /// Room for one more whole message? If not, the end is blocked until a `writable` event.
  bool check_write() noexcept;
  /// Writes one part. Call check_write() before the first part of each message.
  void write(message&& part);
  /// Takes back the parts of an unfinished message (never flushed), destroying them.
  void rollback() noexcept;
  /// Publishes finished messages; wakes the reader if it sleeps.
  void flush() noexcept;

  // ---- reader side (owner thread) ----

  /// Reads one part. `empty`: nothing now (a `readable` event will come, unless `may_sleep`
  /// was false: then the end stays awake and nobody will tell); `ended`: the peer closed and
  /// everything it sent has been read.
  read_result read(message& out, bool may_sleep = true) noexcept;
  /// A part can be read now. False puts the reader to sleep (a `readable` event will come)
  /// unless the peer closed (see ended()).
  bool check_read(bool may_sleep = true) noexcept;
  /// The peer closed and nothing more will be read.
  bool ended() noexcept;
  /// Something is readable now (does not put the reader to sleep).
  bool probe_readable() noexcept;
  /// Unread parts remain that will be delivered (not discarded by a closing peer).
  bool has_unread() noexcept;
  /// Read a whole message? (false while inside a multipart message)
  bool at_message_boundary() const noexcept { return !in_multipart_in_; }

  // ---- both ----

  /// Detaches this end. With `discard`, the peer drops what it has not read yet.
  void close(bool discard) noexcept;
  bool peer_closed() const noexcept { return peer_closed_flag().load(std::memory_order_acquire); }
  /// The peer closed with discard: nothing more of what it wrote is delivered.
  bool peer_discarded() const noexcept;
  bool closed() const noexcept { return closed_flag().load(std::memory_order_acquire); }

  pipe_end& peer() noexcept;
  pipe& owner_pipe() noexcept { return *pipe_; }

  /// Makes `o` the owner that hears this end's events (attach happens in the owner's thread
  /// when it processes the `attach` event this sends).
  void set_owner(framework::ref_ptr<pipe_owner> o) noexcept;
  void send_attach() noexcept;

  /// Messages written / read through this end (whole messages).
  std::uint64_t messages_written() const noexcept { return msgs_written_; }
  std::uint64_t messages_read() const noexcept { return msgs_read_; }
  /// Reader side: whole messages the writer has flushed and this end has not read yet (a
  /// snapshot for counters; at most 1 with CONFLATE).
  std::uint64_t queued() const noexcept;

  /// The routing id of the peer (its ROUTING_ID, or one the owner assigned).
  std::string peer_routing_id;
  /// Endpoint through which this pipe was made (for disconnect/unbind and monitor events).
  std::string endpoint;
  /// Positions in the owner's routing parts (lb, fq, dist) and pipe list. Owner thread only.
  std::size_t lb_slot = SIZE_MAX;
  std::size_t fq_slot = SIZE_MAX;
  std::size_t dist_slot = SIZE_MAX;
  std::size_t owner_slot = SIZE_MAX;
  /// Owner's scratch flags/counters (dist matching). Owner thread only.
  std::uint64_t route_mark = 0;
  bool write_active = true;
  /// Subscriptions written into this end by another thread before its owner attached it
  /// (socket_base::hand_over, `primed` set); the owner reads them at attach.
  std::vector<std::string> primed_subscriptions;
  bool primed = false;
  /// This side connected (rather than accepted).
  bool initiated_here = false;
  bool read_active = true;

private:
  friend class pipe;
  std::atomic<bool>& peer_closed_flag() const noexcept;
  std::atomic<bool>& closed_flag() const noexcept;
  void notify_peer(pipe_event ev) noexcept;
  read_result read_conflated(message& out, bool may_sleep) noexcept;
  bool conflated_readable() noexcept;
  void notify_self(pipe_event ev) noexcept;

  pipe* pipe_ = nullptr;
  int side_ = 0;
  // writer state
  bool w_conflate_ = false;  // mode of the message being written (read at its first part)
  std::uint64_t msgs_written_ = 0;
  std::uint64_t peer_read_seen_ = 0;
  bool in_multipart_out_ = false;
  // reader state
  std::uint64_t msgs_read_ = 0;
  std::uint64_t read_since_publish_ = 0;  // whole messages read since read_published was set
  bool in_multipart_in_ = false;
};

class pipe final : public framework::ref_counted {
public:
  /// hwm_ab: capacity a->b in whole messages (0 = unlimited); likewise hwm_ba.
  /// A conflating direction keeps only the newest whole message (CONFLATE) and has no HWM.
  pipe(std::uint64_t hwm_ab, std::uint64_t hwm_ba, bool conflate_ab = false, bool conflate_ba = false);
  ~pipe() override;

  pipe_end& a() noexcept { return ends_[0]; }
  pipe_end& b() noexcept { return ends_[1]; }

  /// inproc connect-before-bind: the binder's options are known at last. Sets each
  /// direction's HWM and, with `conflate`, makes both directions conflate (a direction that
  /// already conflates keeps doing so). Call once, on the binder's thread, before end b is
  /// attached or written (a->b has no reader yet and b->a no writer); end a may be in use
  /// meanwhile: its writer switches at its next message, and what it queued before the switch
  /// counts as older than anything conflated after it.
  void rebind(std::uint64_t hwm_ab, std::uint64_t hwm_ba, bool conflate) noexcept;

private:
  friend class pipe_end;
  static constexpr std::size_t chunk = 128;

  // One direction: written by end `side`, read by the other.
  struct direction {
    ypipe<message, chunk> queue;
    // Atomic only because rebind() may change them while the other end runs; relaxed.
    std::atomic<std::uint64_t> hwm{0};
    std::atomic<std::uint64_t> lwm{0};
    alignas(64) std::atomic<std::uint64_t> read_published{0};  // reader -> writer progress
    std::atomic<std::uint64_t> written_published{0};  // writer's whole messages at its last flush
    std::atomic<bool> writer_blocked{false};
    std::atomic<bool> writer_closed{false};  // no more writes; flushed content stays
    std::atomic<bool> discard{false};
    // CONFLATE: instead of the queue, one slot holding the newest whole message.
    std::atomic<bool> conflate{false};  // set at construction, or once by rebind()
    bool leftover = false;  // the queue may hold messages from before rebind() (reader's)
    std::mutex slot_mutex;
    std::vector<message> slot;          // newest complete message (guarded)
    bool reader_asleep = false;         // guarded
    std::vector<message> writing;       // writer-private: the message being written
    std::vector<message> reading;       // reader-private: the message being read
    std::size_t reading_pos = 0;
  };

  direction dir_[2];  // dir_[s] is written by ends_[s]
  pipe_end ends_[2];
  std::mutex mutex_;  // guards owners_ and closing
  framework::ref_ptr<pipe_owner> owners_[2];
};

/// Creates a pipe; the caller adopts both ends (two references, one per end).
framework::ref_ptr<pipe> make_pipe(std::uint64_t hwm_ab, std::uint64_t hwm_ba, bool conflate_ab = false,
                                   bool conflate_ba = false);

}  // namespace troupe::messaging::internal
