#pragma once
/// Message parts: the opaque blobs sockets carry.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::messaging {

/// Frees a caller-owned buffer handed to a message (zero copy). Called once, from whichever
/// thread drops the last reference.
using free_fn = void (*)(void* data, void* hint) noexcept;

/// One part of a (possibly multipart) message. 40 bytes.
///
/// Storage: bodies of up to inline_capacity bytes live inside the object (no allocation);
/// larger bodies live in one reference-counted block, so share() (used to send one message to
/// N subscribers) never copies them; a caller-owned buffer can be adopted with a free function
/// (zero copy). Move-only; copying the body is explicit (share() or the data constructor).
///
/// The MORE flag marks a part that is followed by another part of the same message. A
/// multipart message is delivered whole or not at all.
class message {
public:
  static constexpr std::size_t inline_capacity = 32;

  /// An empty part.
  message() noexcept : small_size_(0), kind_(kind_inline), flags_(0) {}
  /// A part of `size` uninitialised bytes.
  explicit message(std::size_t size);
  /// A part holding a copy of [data, data + size).
  message(const void* data, std::size_t size);
  explicit message(std::string_view text) : message(text.data(), text.size()) {}
  explicit message(std::span<const std::byte> bytes) : message(bytes.data(), bytes.size()) {}
  /// Adopts a caller-owned buffer: `fn(data, hint)` frees it when the last share is gone.
  message(void* data, std::size_t size, free_fn fn, void* hint = nullptr);

  message(message&& o) noexcept { steal(o); }
  message& operator=(message&& o) noexcept {
    if (this != &o) {
      drop();
      steal(o);
    }
    return *this;
  }
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message() { drop(); }

  /// Another part with the same body and flags: a reference for large bodies, a copy of the
  /// few inline bytes for small ones.
  message share() const noexcept;

  std::byte* data() noexcept { return kind_ == kind_inline ? small_ : large_.data; }
  const std::byte* data() const noexcept { return kind_ == kind_inline ? small_ : large_.data; }
  std::size_t size() const noexcept { return kind_ == kind_inline ? small_size_ : large_.size; }
  bool empty() const noexcept { return size() == 0; }
  std::span<const std::byte> bytes() const noexcept { return {data(), size()}; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data()), size()}; }
  std::string str() const { return std::string(view()); }

  /// Followed by another part of the same message.
  bool more() const noexcept { return (flags_ & flag_more) != 0; }
  void set_more(bool on) noexcept { flags_ = on ? (flags_ | flag_more) : (flags_ & ~flag_more); }

  /// ZMTP command frame (used by the wire engine only).
  bool command() const noexcept { return (flags_ & flag_command) != 0; }
  void set_command(bool on) noexcept { flags_ = on ? (flags_ | flag_command) : (flags_ & ~flag_command); }

  /// Body lives in shared storage (large or adopted), not inline.
  bool is_shared_storage() const noexcept { return kind_ != kind_inline; }
  /// Number of parts sharing this body (1 for inline bodies).
  std::uint32_t use_count() const noexcept;

  /// Resets to an empty part without flags.
  void clear() noexcept {
    drop();
    small_size_ = 0;
    kind_ = kind_inline;
    flags_ = 0;
  }

  friend bool operator==(const message& a, const message& b) noexcept {
    return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size()) == 0);
  }
  friend bool operator==(const message& a, std::string_view b) noexcept { return a.view() == b; }

private:
  struct body;  // shared storage header
  static constexpr std::uint8_t kind_inline = 0;
  static constexpr std::uint8_t kind_shared = 1;
  static constexpr std::uint8_t flag_more = 1;
  static constexpr std::uint8_t flag_command = 2;

  void drop() noexcept {
    if (kind_ != kind_inline) release_body();
  }
  void release_body() noexcept;
  void steal(message& o) noexcept {
    std::memcpy(static_cast<void*>(this), static_cast<const void*>(&o), sizeof(message));
    o.kind_ = kind_inline;
    o.small_size_ = 0;
    o.flags_ = 0;
  }

  union {
    std::byte small_[inline_capacity];
    struct {
      body* owner;
      std::byte* data;
      std::size_t size;
    } large_;
  };
  std::uint8_t small_size_;
  std::uint8_t kind_;
  std::uint8_t flags_;
};

static_assert(sizeof(message) == 40);

/// A whole multipart message: its parts in order (MORE flags are set on send).
using multipart = std::vector<message>;

}  // namespace troupe::messaging
