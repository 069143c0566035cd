#pragma once
// Lock-free single-producer single-consumer queue with batched flush and a built-in "reader
// went to sleep" signal (the scheme of libzmq's ypipe, written anew).
//
// Items live in chunks; the first holds 8 slots and each next one twice as many, up to N, so
// an idle pipe costs a few hundred bytes and a busy one full chunks. A spare full-size chunk
// is recycled so the steady state allocates nothing. The writer appends items privately and publishes them with flush(); one atomic
// pointer `c_` is the only word both sides touch per batch:
//   - flush() CASes c_ from "the end it last published" to "the new end". If the CAS fails,
//     c_ is null: the reader found the queue empty and went to sleep, so flush() returns false
//     and the caller must wake the reader.
//   - check_read(), once its prefetched items are used up, CASes c_ from "where I am" to null
//     (going to sleep) or learns the new end.
// Thread ownership: write/unwrite/flush on the writer's thread, check_read/read/probe on the
// reader's; construction and destruction when neither runs.

#include <atomic>
#include <cstddef>
#include <new>
#include <utility>

namespace troupe::messaging::internal {

template <class T, std::size_t N>
class ypipe {
public:
  ypipe() {
    begin_ = back_ = end_ = make_chunk(first_capacity);
    begin_pos_ = back_pos_ = 0;
    end_pos_ = 1;
    // The queue starts with one writable (empty) slot: `back`.
    r_ = w_ = f_ = slot(begin_, 0);
    c_.store(slot(begin_, 0), std::memory_order_relaxed);
  }

  ~ypipe() {
    // Destroy unread items, written or not yet flushed: the pipe is gone.
    while (begin_ != back_ || begin_pos_ != back_pos_) {
      slot(begin_, begin_pos_)->~T();
      advance_begin();
    }
    for (chunk* c = begin_; c;) {
      chunk* n = c->next;
      free_chunk(c);
      c = n;
    }
    free_chunk(spare_.exchange(nullptr, std::memory_order_relaxed));
  }

  ypipe(const ypipe&) = delete;
  ypipe& operator=(const ypipe&) = delete;

  // ---- writer side ----

  /// Appends an item. `incomplete` = more items of the same unit follow (not flushable yet).
  void write(T&& value, bool incomplete) {
    new (slot(back_, back_pos_)) T(std::move(value));
    push_slot();
    if (!incomplete) f_ = slot(back_, back_pos_);
  }

  /// Takes back the last written item if not complete-and-flushable. Returns false if none.
  bool unwrite(T& out) noexcept {
    if (f_ == slot(back_, back_pos_)) return false;
    unpush_slot();
    T* p = slot(back_, back_pos_);
    out = std::move(*p);
    p->~T();
    return true;
  }

  /// Publishes complete items. False: the reader is asleep and must be woken.
  bool flush() noexcept {
    if (w_ == f_) return true;
    T* expected = w_;
    if (!c_.compare_exchange_strong(expected, f_, std::memory_order_acq_rel)) {
      // Reader asleep (c_ == nullptr): publish and tell the caller to wake it.
      c_.store(f_, std::memory_order_release);
      w_ = f_;
      return false;
    }
    w_ = f_;
    return true;
  }

  // ---- reader side ----

  /// True if an item can be read. False also marks the reader asleep (see above), unless
  /// `may_sleep` is false: a reader that is spinning stays awake, so the writer's flushes
  /// need no wake-up at all.
  bool check_read(bool may_sleep = true) noexcept {
    T* front = slot(begin_, begin_pos_);
    if (front != r_ && r_) return true;
    if (!may_sleep) {
      T* c = c_.load(std::memory_order_acquire);
      if (c == front) return false;
      r_ = c;
      return true;
    }
    T* expected = front;
    if (c_.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
      r_ = front;  // nothing new: now asleep (c_ == null)
      return false;
    }
    r_ = expected;  // the writer's published end
    return front != r_ && r_ != nullptr;
  }

  /// Reads one item if available.
  bool read(T& out, bool may_sleep = true) noexcept {
    if (!check_read(may_sleep)) return false;
    T* p = slot(begin_, begin_pos_);
    out = std::move(*p);
    p->~T();
    advance_begin();
    return true;
  }

  /// The next readable item, without reading it (after check_read() returned true).
  T& front() noexcept { return *slot(begin_, begin_pos_); }

  /// Reader side: true if items were published and not yet read, without going to sleep.
  bool probe_readable() noexcept {
    T* front = slot(begin_, begin_pos_);
    if (front != r_ && r_) return true;
    T* c = c_.load(std::memory_order_acquire);
    return c != nullptr && c != front;
  }

private:
  // A chunk is this header followed by `capacity` slots (immutable after creation; the reader
  // learns a chunk only through c_'s release/acquire, so it sees the capacity too).
  struct chunk {
    chunk* prev = nullptr;
    chunk* next = nullptr;
    std::size_t capacity;
  };
  static constexpr std::size_t first_capacity = N < 8 ? N : 8;
  static constexpr std::size_t header = (sizeof(chunk) + alignof(T) - 1) / alignof(T) * alignof(T);
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "slots rely on operator new's alignment");

  static chunk* make_chunk(std::size_t capacity) {
    chunk* c = new (::operator new(header + capacity * sizeof(T))) chunk;
    c->capacity = capacity;
    return c;
  }
  static void free_chunk(chunk* c) noexcept {
    if (!c) return;
    c->~chunk();
    ::operator delete(c);
  }

  static T* slot(chunk* c, std::size_t pos) noexcept {
    return std::launder(reinterpret_cast<T*>(reinterpret_cast<std::byte*>(c) + header)) + pos;
  }

  void push_slot() {
    back_ = end_;
    back_pos_ = end_pos_;
    if (++end_pos_ != end_->capacity) return;
    const std::size_t capacity = end_->capacity * 2 < N ? end_->capacity * 2 : N;
    chunk* s = capacity == N ? spare_.exchange(nullptr, std::memory_order_acq_rel) : nullptr;
    if (s) {
      s->next = nullptr;
    } else {
      s = make_chunk(capacity);
    }
    end_->next = s;
    s->prev = end_;
    end_ = s;
    end_pos_ = 0;
  }

  void unpush_slot() noexcept {
    if (back_pos_) {
      --back_pos_;
    } else {
      back_ = back_->prev;
      back_pos_ = back_->capacity - 1;
    }
    if (end_pos_) {
      --end_pos_;
    } else {
      end_ = end_->prev;
      end_pos_ = end_->capacity - 1;
      free_chunk(end_->next);
      end_->next = nullptr;
    }
  }

  void advance_begin() noexcept {
    if (++begin_pos_ != begin_->capacity) return;
    chunk* old = begin_;
    begin_ = begin_->next;
    begin_->prev = nullptr;
    begin_pos_ = 0;
    if (old->capacity == N) {
      free_chunk(spare_.exchange(old, std::memory_order_acq_rel));
    } else {
      free_chunk(old);  // one of the small first chunks: not worth keeping
    }
  }

  // Reader-owned.
  alignas(64) chunk* begin_;
  std::size_t begin_pos_;
  T* r_;
  // Writer-owned.
  alignas(64) chunk* back_;
  std::size_t back_pos_;
  chunk* end_;
  std::size_t end_pos_;
  T* w_;
  T* f_;
  // Shared.
  alignas(64) std::atomic<T*> c_;
  std::atomic<chunk*> spare_{nullptr};
};

}  // namespace troupe::messaging::internal
