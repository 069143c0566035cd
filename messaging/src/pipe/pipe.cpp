#include "pipe.hpp"

namespace troupe::messaging::internal {
namespace {

// As libzmq: resume the writer once the reader has taken about half (at most 1024 below) of
// the HWM, so writer and reader do not ping-pong per message.
std::uint64_t low_water_mark(std::uint64_t hwm) noexcept {
  constexpr std::uint64_t max_delta = 1024;
  if (hwm == 0) return 0;
  return hwm > 2 * max_delta ? hwm - max_delta : (hwm + 1) / 2;
}

}  // namespace

pipe::pipe(std::uint64_t hwm_ab, std::uint64_t hwm_ba, bool conflate_ab, bool conflate_ba) {
  dir_[0].conflate.store(conflate_ab, std::memory_order_relaxed);
  dir_[1].conflate.store(conflate_ba, std::memory_order_relaxed);
  if (conflate_ab) hwm_ab = 0;
  if (conflate_ba) hwm_ba = 0;
  dir_[0].hwm.store(hwm_ab, std::memory_order_relaxed);
  dir_[0].lwm.store(low_water_mark(hwm_ab), std::memory_order_relaxed);
  dir_[1].hwm.store(hwm_ba, std::memory_order_relaxed);
  dir_[1].lwm.store(low_water_mark(hwm_ba), std::memory_order_relaxed);
  for (int s = 0; s < 2; ++s) {
    ends_[s].pipe_ = this;
    ends_[s].side_ = s;
    ends_[s].w_conflate_ = s == 0 ? conflate_ab : conflate_ba;
  }
}

void pipe::rebind(std::uint64_t hwm_ab, std::uint64_t hwm_ba, bool conflate) noexcept {
  for (int s = 0; s < 2; ++s) {
    direction& d = dir_[s];
    if (d.conflate.load(std::memory_order_relaxed)) continue;
    if (conflate) {
      {
        // Whoever reads next is told of the first conflated write, even if it went to sleep
        // on the queue.
        std::lock_guard lock(d.slot_mutex);
        d.reader_asleep = true;
      }
      if (s == 0) d.leftover = true;  // b->a has had no writer yet: its queue is empty
      d.hwm.store(0, std::memory_order_relaxed);
      d.lwm.store(0, std::memory_order_relaxed);
      d.conflate.store(true, std::memory_order_release);
    } else {
      const std::uint64_t hwm = s == 0 ? hwm_ab : hwm_ba;
      d.lwm.store(low_water_mark(hwm), std::memory_order_relaxed);
      d.hwm.store(hwm, std::memory_order_relaxed);
    }
    // A writer blocked at the old HWM looks again (a spurious `writable` is harmless).
    if (d.writer_blocked.load(std::memory_order_seq_cst) && d.writer_blocked.exchange(false))
      ends_[s].notify_self(pipe_event::writable);
  }
}

pipe::~pipe() = default;

framework::ref_ptr<pipe> make_pipe(std::uint64_t hwm_ab, std::uint64_t hwm_ba, bool conflate_ab, bool conflate_ba) {
  return framework::make_ref<pipe>(hwm_ab, hwm_ba, conflate_ab, conflate_ba);
}

pipe_end& pipe_end::peer() noexcept { return pipe_->ends_[1 - side_]; }

std::atomic<bool>& pipe_end::peer_closed_flag() const noexcept {
  return pipe_->dir_[1 - side_].writer_closed;
}
std::atomic<bool>& pipe_end::closed_flag() const noexcept { return pipe_->dir_[side_].writer_closed; }

// ---- writer ----

bool pipe_end::check_write() noexcept {
  if (!write_active) return false;
  auto& d = pipe_->dir_[side_];
  if (d.writer_closed.load(std::memory_order_relaxed) || peer_closed()) return false;
  const std::uint64_t hwm = d.hwm.load(std::memory_order_relaxed);
  if (hwm == 0 || in_multipart_out_) return true;
  if (msgs_written_ - peer_read_seen_ < hwm) return true;
  peer_read_seen_ = d.read_published.load(std::memory_order_acquire);
  if (msgs_written_ - peer_read_seen_ < hwm) return true;
  // Full. Announce we are blocked, then look again: the reader publishes progress and then
  // checks the flag, so one of us sees the other (both sides seq_cst).
  d.writer_blocked.store(true, std::memory_order_seq_cst);
  peer_read_seen_ = d.read_published.load(std::memory_order_seq_cst);
  if (msgs_written_ - peer_read_seen_ < hwm) {
    d.writer_blocked.store(false, std::memory_order_relaxed);
    return true;
  }
  write_active = false;
  return false;
}

void pipe_end::write(message&& part) {
  const bool more = part.more();
  auto& d = pipe_->dir_[side_];
  if (!in_multipart_out_) w_conflate_ = d.conflate.load(std::memory_order_acquire);
  if (w_conflate_) {
    if (!in_multipart_out_) d.writing.clear();
    d.writing.push_back(std::move(part));
  } else {
    d.queue.write(std::move(part), more);
  }
  in_multipart_out_ = more;
  if (!more) ++msgs_written_;
}

void pipe_end::rollback() noexcept {
  if (w_conflate_) {
    pipe_->dir_[side_].writing.clear();
    in_multipart_out_ = false;
    return;
  }
  message m;
  while (pipe_->dir_[side_].queue.unwrite(m)) m.clear();
  in_multipart_out_ = false;
}

void pipe_end::flush() noexcept {
  auto& d = pipe_->dir_[side_];
  d.written_published.store(msgs_written_, std::memory_order_relaxed);  // for queued(): a snapshot
  if (w_conflate_) {
    if (in_multipart_out_ || d.writing.empty()) return;
    bool wake;
    {
      std::lock_guard lock(d.slot_mutex);
      d.slot.swap(d.writing);  // the older message, if unread, is dropped: that is CONFLATE
      wake = d.reader_asleep;
      d.reader_asleep = false;
    }
    d.writing.clear();
    if (wake) notify_peer(pipe_event::readable);
    return;
  }
  if (!d.queue.flush()) notify_peer(pipe_event::readable);
}

// ---- reader ----

std::uint64_t pipe_end::queued() const noexcept {
  const auto& d = pipe_->dir_[1 - side_];
  const std::uint64_t written = d.written_published.load(std::memory_order_relaxed);
  const std::uint64_t n = written > msgs_read_ ? written - msgs_read_ : 0;
  return d.conflate.load(std::memory_order_relaxed) && n > 1 ? 1 : n;
}

read_result pipe_end::read_conflated(message& out, bool may_sleep) noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (d.discard.load(std::memory_order_acquire)) return read_result::ended;
  if (d.reading_pos == d.reading.size()) {
    d.reading.clear();
    d.reading_pos = 0;
    if (d.leftover) {
      // Switched to conflating by rebind(): the queue holds what was written before, older
      // than anything in the slot. Slot first, then the queue (whatever the slot held was
      // written after all the queue will ever hold that is visible now); keep the newest.
      {
        std::lock_guard lock(d.slot_mutex);
        d.reading.swap(d.slot);
      }
      const bool from_slot = !d.reading.empty();
      message part;
      bool starts_message = true;
      while (d.queue.read(part, may_sleep)) {  // asleep on the queue too: a late flush wakes us
        if (from_slot) continue;
        if (starts_message) d.reading.clear();
        starts_message = !part.more();
        d.reading.push_back(std::move(part));
      }
      if (!d.reading.empty()) return read_conflated(out, may_sleep);
    }
    {
      std::lock_guard lock(d.slot_mutex);
      if (d.slot.empty()) {
        if (!d.writer_closed.load(std::memory_order_acquire)) {
          if (may_sleep) {
            d.reader_asleep = true;
            read_active = false;
          }
          return read_result::empty;
        }
        // Closed. A queue flush that came after our look at the queue is still owed.
        if (!d.leftover || !d.queue.probe_readable()) return read_result::ended;
      } else {
        d.reading.swap(d.slot);
      }
    }
    if (d.reading.empty()) return read_conflated(out, may_sleep);
  }
  out = std::move(d.reading[d.reading_pos++]);
  in_multipart_in_ = out.more();
  if (!in_multipart_in_) ++msgs_read_;
  return read_result::part;
}

bool pipe_end::conflated_readable() noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (d.reading_pos < d.reading.size()) return true;
  if (d.leftover && d.queue.probe_readable()) return true;
  std::lock_guard lock(d.slot_mutex);
  return !d.slot.empty();
}

read_result pipe_end::read(message& out, bool may_sleep) noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (!read_active) return read_result::empty;
  if (d.conflate.load(std::memory_order_acquire)) return read_conflated(out, may_sleep);
  // A writer that closed with discard took back everything, visible or not (RFC 28-31: a
  // disconnected peer's queue is destroyed). A part inside a multipart message is still read:
  // the message was begun, and half of it is never delivered.
  if (d.discard.load(std::memory_order_acquire) && !in_multipart_in_) return read_result::ended;
  if (!d.queue.read(out, may_sleep)) {
    if (!d.writer_closed.load(std::memory_order_acquire)) {
      if (may_sleep) read_active = false;
      return read_result::empty;
    }
    // Closed: everything it flushed before closing is visible now, unless discarded.
    if (d.discard.load(std::memory_order_acquire) || !d.queue.read(out)) return read_result::ended;
  }
  in_multipart_in_ = out.more();
  if (!in_multipart_in_) {
    ++msgs_read_;
    // Publish progress every `lwm` messages (a counter, not a division per message; `>=`
    // because rebind() may lower lwm below the count).
    const std::uint64_t lwm = d.lwm.load(std::memory_order_relaxed);
    if (lwm && ++read_since_publish_ >= lwm) {
      read_since_publish_ = 0;
      d.read_published.store(msgs_read_, std::memory_order_seq_cst);
      if (d.writer_blocked.load(std::memory_order_seq_cst) && d.writer_blocked.exchange(false))
        notify_peer(pipe_event::writable);
    }
  }
  return read_result::part;
}

bool pipe_end::probe_readable() noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (d.conflate.load(std::memory_order_acquire))
    return conflated_readable() || d.writer_closed.load(std::memory_order_acquire);
  return d.queue.probe_readable() || d.writer_closed.load(std::memory_order_acquire);
}

bool pipe_end::check_read(bool may_sleep) noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (!read_active) return false;
  if (d.conflate.load(std::memory_order_acquire)) {
    if (conflated_readable()) return true;
    if (d.writer_closed.load(std::memory_order_acquire)) return false;
    if (may_sleep) {
      if (d.leftover && d.queue.check_read()) return true;  // else asleep on the queue too
      std::lock_guard lock(d.slot_mutex);
      if (!d.slot.empty()) return true;
      d.reader_asleep = true;
      read_active = false;
    }
    return false;
  }
  if (d.queue.check_read(may_sleep)) return !d.discard.load(std::memory_order_acquire);
  if (d.writer_closed.load(std::memory_order_acquire)) return false;  // ended() tells
  if (may_sleep) read_active = false;
  return false;
}

bool pipe_end::ended() noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (d.conflate.load(std::memory_order_acquire))
    return d.writer_closed.load(std::memory_order_acquire) && !conflated_readable();
  return d.writer_closed.load(std::memory_order_acquire) &&
         (d.discard.load(std::memory_order_acquire) || !d.queue.check_read());
}

bool pipe_end::peer_discarded() const noexcept {
  return pipe_->dir_[1 - side_].discard.load(std::memory_order_acquire);
}

bool pipe_end::has_unread() noexcept {
  auto& d = pipe_->dir_[1 - side_];
  if (d.conflate.load(std::memory_order_acquire))
    return !d.discard.load(std::memory_order_acquire) && conflated_readable();
  return !d.discard.load(std::memory_order_acquire) && d.queue.probe_readable();
}

// ---- events and closing ----

void pipe_end::set_owner(framework::ref_ptr<pipe_owner> o) noexcept {
  std::lock_guard lock(pipe_->mutex_);
  pipe_->owners_[side_] = std::move(o);
}

void pipe_end::send_attach() noexcept { notify_self(pipe_event::attach); }

void pipe_end::notify_peer(pipe_event ev) noexcept { peer().notify_self(ev); }

void pipe_end::notify_self(pipe_event ev) noexcept {
  framework::ref_ptr<pipe_owner> o;
  {
    std::lock_guard lock(pipe_->mutex_);
    o = pipe_->owners_[side_];
  }
  if (o) o->on_pipe_event(*this, ev);
}

void pipe_end::close(bool discard) noexcept {
  auto& d = pipe_->dir_[side_];
  if (d.writer_closed.load(std::memory_order_relaxed)) return;
  rollback();  // an unfinished multipart message is never delivered
  if (!w_conflate_) d.queue.flush();
  if (discard) d.discard.store(true, std::memory_order_release);
  // Our inbound content is ours to drop: tell the writer side to stop writing.
  d.writer_closed.store(true, std::memory_order_seq_cst);
  {
    std::lock_guard lock(pipe_->mutex_);
    pipe_->owners_[side_].reset();
  }
  notify_peer(pipe_event::peer_closed);
}

}  // namespace troupe::messaging::internal
