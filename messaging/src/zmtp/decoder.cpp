#include "zmtp/decoder.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace troupe::messaging::internal::zmtp {
namespace {

void free_buffer(void* data, void*) noexcept { std::free(data); }

// A number as text without allocating (error messages are built where throwing is not allowed).
struct decimal {
  char text[24];
  std::size_t size;
  explicit decimal(std::uint64_t n) noexcept : size(static_cast<std::size_t>(std::to_chars(text, text + sizeof text, n).ptr - text)) {}
  operator std::string_view() const noexcept { return {text, size}; }
};

}  // namespace

std::uint64_t command_limit(std::int64_t max_message) noexcept {
  if (max_message < 0) return max_command;
  const std::uint64_t from_max = static_cast<std::uint64_t>(max_message) + command_name_room;
  return std::max(min_command_limit, std::min(max_command, from_max));
}

decoder::decoder(std::int64_t max_message) noexcept
    : max_(max_message < 0 ? default_max_frame : static_cast<std::uint64_t>(max_message)),
      max_cmd_(command_limit(max_message)) {}

decoder::~decoder() { std::free(buf_); }

decoder::status decoder::fail(std::initializer_list<std::string_view> why) noexcept {
  state_ = state::failed;
  try {
    error_.clear();
    for (std::string_view part : why) error_ += part;
  } catch (...) {
    error_.clear();  // out of memory: failed() with an empty reason is still failed
  }
  std::free(buf_);
  buf_ = nullptr;
  capacity_ = 0;
  small_.clear();
  return status::failed;
}

std::size_t decoder::growth_target(std::size_t at_least) const noexcept {
  // What arrived may be held, plus at most max(first_chunk, arrived / 2) ahead of it.
  const std::uint64_t arrived = filled_;
  const std::uint64_t ahead = std::max<std::uint64_t>(first_chunk, arrived / 2);
  return static_cast<std::size_t>(std::min<std::uint64_t>(std::max<std::uint64_t>(at_least, arrived + ahead), body_size_));
}

bool decoder::grow(std::size_t at_least) noexcept {
  if (at_least <= capacity_) return true;
  const std::size_t cap = growth_target(at_least);
  void* p = std::realloc(buf_, cap);
  if (!p) return false;
  buf_ = static_cast<std::byte*>(p);
  capacity_ = cap;
  return true;
}

decoder::status decoder::start_body() noexcept {
  const bool command = flags_ & flag_command;
  const std::uint64_t limit = command ? max_cmd_ : max_;
  if (body_size_ > limit) {
    return fail({command ? "command" : "frame", " of ", decimal(body_size_), " bytes exceeds the limit of ",
                 decimal(limit), command ? " (commands: MAXMSGSIZE + 16, at least 1 KiB, at most 1 MiB)" : ""});
  }
  filled_ = 0;
  if (body_size_ <= whole_body_max) {  // inline, or one block from the body pool
    try {
      small_ = message(static_cast<std::size_t>(body_size_));
    } catch (...) {
      return fail({"out of memory for a frame body of ", decimal(body_size_), " bytes"});
    }
  }
  state_ = state::body;
  if (body_size_ == 0 && !finish_body()) return status::failed;
  return status::need_more;
}

bool decoder::finish_body() noexcept {
  if (body_size_ <= whole_body_max) {
    ready_ = std::move(small_);
  } else {
    // Exactly sized now (grow() never passes body_size_): the buffer becomes the message.
    try {
      ready_ = message(buf_, static_cast<std::size_t>(body_size_), &free_buffer, nullptr);
    } catch (...) {  // the message's small header could not be allocated
      fail({"out of memory for a frame of ", decimal(body_size_), " bytes"});
      return false;
    }
    buf_ = nullptr;
    capacity_ = 0;
  }
  ready_.set_more(flags_ & flag_more);
  ready_.set_command(flags_ & flag_command);
  state_ = state::done;
  return true;
}

bool decoder::take_whole_frame(std::span<const std::byte> in, std::size_t& used) noexcept {
  // The common case in one step: a valid frame whose header and body are all in `in`, with a
  // body small enough to be held whole. Anything else (a bad or partial frame, a limit
  // exceeded, no memory) goes through the states below, which report it.
  const std::size_t left = in.size() - used;
  const std::byte* p = in.data() + used;
  const auto flags = std::to_integer<std::uint8_t>(p[0]);
  if ((flags & ~(flag_more | flag_long | flag_command)) || ((flags & flag_command) && (flags & flag_more))) return false;
  const std::size_t header = (flags & flag_long) ? 9 : 2;
  if (left < header) return false;
  std::uint64_t size = 0;
  for (std::size_t i = 1; i < header; ++i) size = (size << 8) | std::to_integer<std::uint8_t>(p[i]);
  if (size > whole_body_max || size > left - header || size > ((flags & flag_command) ? max_cmd_ : max_)) return false;
  try {
    ready_ = message(p + header, static_cast<std::size_t>(size));
  } catch (...) {
    return false;
  }
  ready_.set_more(flags & flag_more);
  ready_.set_command(flags & flag_command);
  flags_ = flags;
  body_size_ = size;
  state_ = state::done;
  used += header + static_cast<std::size_t>(size);
  return true;
}

decoder::result decoder::decode(std::span<const std::byte> in) noexcept {
  std::size_t used = 0;
  while (used < in.size() || state_ == state::done) {
    switch (state_) {
      case state::failed: return {status::failed, used};
      case state::done: return {status::frame_ready, used};
      case state::flags: {
        if (take_whole_frame(in, used)) return {status::frame_ready, used};
        flags_ = std::to_integer<std::uint8_t>(in[used++]);
        if (flags_ & ~(flag_more | flag_long | flag_command)) {
          static const char* hex = "0123456789abcdef";
          const char text[2] = {hex[flags_ >> 4], hex[flags_ & 15]};
          return {fail({"reserved flag bits set in frame flags 0x", std::string_view(text, 2)}), used};
        }
        if ((flags_ & flag_command) && (flags_ & flag_more))
          return {fail({"command frame with the MORE flag set"}), used};
        size_need_ = (flags_ & flag_long) ? 8 : 1;
        size_have_ = 0;
        state_ = state::size;
        break;
      }
      case state::size: {
        const std::size_t n = std::min(size_need_ - size_have_, in.size() - used);
        std::memcpy(size_bytes_ + size_have_, in.data() + used, n);
        size_have_ += n;
        used += n;
        if (size_have_ < size_need_) break;
        body_size_ = 0;
        for (std::size_t i = 0; i < size_need_; ++i) body_size_ = (body_size_ << 8) | size_bytes_[i];
        if (size_need_ == 8 && (body_size_ >> 63))
          return {fail({"frame size has the top bit set (", decimal(body_size_), " bytes)"}), used};
        if (start_body() == status::failed) return {status::failed, used};
        break;
      }
      case state::body: {
        const std::uint64_t want = body_size_ - filled_;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(want, in.size() - used));
        if (body_size_ <= whole_body_max) {
          std::memcpy(small_.data() + filled_, in.data() + used, n);
        } else {
          if (!grow(static_cast<std::size_t>(filled_ + n)))
            return {fail({"out of memory for a frame body of ", decimal(body_size_), " bytes"}), used};
          std::memcpy(buf_ + filled_, in.data() + used, n);
        }
        filled_ += n;
        used += n;
        if (filled_ == body_size_ && !finish_body()) return {status::failed, used};
        break;
      }
    }
  }
  return {state_ == state::failed ? status::failed : status::need_more, used};
}

message decoder::take_frame() noexcept {
  if (state_ != state::done) return message{};  // no frame; a failed decoder stays failed
  state_ = state::flags;
  return std::move(ready_);
}

std::span<std::byte> decoder::body_window(std::size_t max_chunk) noexcept {
  if (state_ != state::body || body_size_ <= message::inline_capacity) return {};
  const std::uint64_t want = std::min<std::uint64_t>(body_size_ - filled_, max_chunk);
  if (body_size_ <= whole_body_max) return {small_.data() + filled_, static_cast<std::size_t>(want)};
  // Grow (within the bound) only when the room left is small, so that steady reads do not
  // realloc each time; a window is never bigger than what the bound allows now.
  std::size_t room = capacity_ - static_cast<std::size_t>(filled_);
  if (room < want && room < first_chunk / 2) {
    if (!grow(growth_target(0))) return {};
    room = capacity_ - static_cast<std::size_t>(filled_);
  }
  return {buf_ + filled_, static_cast<std::size_t>(std::min<std::uint64_t>(want, room))};
}

decoder::status decoder::body_written(std::size_t n) noexcept {
  if (state_ == state::failed) return status::failed;
  if (state_ == state::done) return status::frame_ready;
  if (state_ != state::body) return status::need_more;  // no window was given: nothing to count
  filled_ += n;
  if (filled_ == body_size_) return finish_body() ? status::frame_ready : status::failed;
  return status::need_more;
}

}  // namespace troupe::messaging::internal::zmtp
