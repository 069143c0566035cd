#include <troupe/messaging/message.hpp>

#include "body_pool.hpp"

#include <new>

namespace troupe::messaging {

// Header of shared storage. For bodies we allocate, the bytes follow the header in the same
// block; for adopted buffers `fn` frees them.
struct message::body {
  std::atomic<std::uint32_t> refs;
  std::uint8_t size_class;  // body_pool's, for blocks we allocate
  free_fn fn;
  void* hint;
};

message::message(std::size_t size) : flags_(0) {
  if (size <= inline_capacity) {
    kind_ = kind_inline;
    small_size_ = static_cast<std::uint8_t>(size);
    return;
  }
  std::uint8_t size_class = 0;
  void* block = internal::body_pool::allocate(sizeof(body) + size, size_class);
  auto* b = new (block) body{{1}, size_class, nullptr, nullptr};
  kind_ = kind_shared;
  small_size_ = 0;
  large_.owner = b;
  large_.data = reinterpret_cast<std::byte*>(b + 1);
  large_.size = size;
}

message::message(const void* data, std::size_t size) : message(size) {
  if (size) std::memcpy(this->data(), data, size);
}

message::message(void* data, std::size_t size, free_fn fn, void* hint) : flags_(0) {
  auto* b = new body{{1}, internal::body_pool::unpooled, fn, hint};
  kind_ = kind_shared;
  small_size_ = 0;
  large_.owner = b;
  large_.data = static_cast<std::byte*>(data);
  large_.size = size;
}

message message::share() const noexcept {
  message m;
  std::memcpy(static_cast<void*>(&m), static_cast<const void*>(this), sizeof(message));
  if (kind_ != kind_inline) large_.owner->refs.fetch_add(1, std::memory_order_relaxed);
  return m;
}

std::uint32_t message::use_count() const noexcept {
  return kind_ == kind_inline ? 1 : large_.owner->refs.load(std::memory_order_acquire);
}

void message::release_body() noexcept {
  body* b = large_.owner;
  if (b->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (b->fn) {
    b->fn(large_.data, b->hint);
    delete b;
  } else {
    const std::uint8_t size_class = b->size_class;
    b->~body();
    internal::body_pool::free(b, size_class);
  }
}

}  // namespace troupe::messaging
