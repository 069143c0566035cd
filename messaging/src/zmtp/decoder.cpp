#include "zmtp/decoder.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace troupe::messaging::internal::zmtp {
namespace {

constexpr std::size_t first_chunk = 64 * 1024;

void free_buffer(void* data, void*) noexcept { std::free(data); }

}  // namespace

decoder::decoder(std::int64_t max_message) noexcept
    : max_(max_message < 0 ? default_max_frame : static_cast<std::uint64_t>(max_message)) {}

decoder::~decoder() { std::free(buf_); }

decoder::status decoder::fail(std::string why) noexcept {
  state_ = state::failed;
  try {
    error_ = std::move(why);
  } catch (...) {
  }
  std::free(buf_);
  buf_ = nullptr;
  capacity_ = 0;
  return status::failed;
}

bool decoder::grow(std::size_t at_least) noexcept {
  if (at_least <= capacity_) return true;
  std::size_t cap = std::max<std::size_t>(capacity_ ? capacity_ * 2 : first_chunk, at_least);
  cap = static_cast<std::size_t>(std::min<std::uint64_t>(cap, body_size_));
  void* p = std::realloc(buf_, cap);
  if (!p) return false;
  buf_ = static_cast<std::byte*>(p);
  capacity_ = cap;
  return true;
}

decoder::status decoder::start_body() noexcept {
  const bool command = flags_ & flag_command;
  const std::uint64_t limit = command ? max_command : max_;
  if (body_size_ > limit) {
    return fail(std::string(command ? "command" : "frame") + " of " + std::to_string(body_size_) +
                " bytes exceeds the limit of " + std::to_string(limit));
  }
  filled_ = 0;
  if (body_size_ <= whole_body_max) {
    try {
      small_ = message(static_cast<std::size_t>(body_size_));
    } catch (...) {
      return fail("out of memory for a frame body of " + std::to_string(body_size_) + " bytes");
    }
  }
  state_ = state::body;
  if (body_size_ == 0) finish_body();
  return status::need_more;
}

void decoder::finish_body() noexcept {
  if (body_size_ <= whole_body_max) {
    ready_ = std::move(small_);
  } else {
    // Exactly sized now (grow() never passes body_size_): the buffer becomes the message.
    ready_ = message(buf_, static_cast<std::size_t>(body_size_), &free_buffer, nullptr);
    buf_ = nullptr;
    capacity_ = 0;
  }
  ready_.set_more(flags_ & flag_more);
  ready_.set_command(flags_ & flag_command);
  state_ = state::done;
}

decoder::result decoder::decode(std::span<const std::byte> in) noexcept {
  std::size_t used = 0;
  while (used < in.size() || state_ == state::done) {
    switch (state_) {
      case state::failed: return {status::failed, used};
      case state::done: return {status::frame_ready, used};
      case state::flags: {
        flags_ = std::to_integer<std::uint8_t>(in[used++]);
        if (flags_ & ~(flag_more | flag_long | flag_command))
          return {fail("reserved flag bits set in frame flags 0x" + [&] {
                    static const char* hex = "0123456789abcdef";
                    return std::string{hex[flags_ >> 4], hex[flags_ & 15]};
                  }()),
                  used};
        if ((flags_ & flag_command) && (flags_ & flag_more))
          return {fail("command frame with the MORE flag set"), used};
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
          return {fail("frame size has the top bit set (" + std::to_string(body_size_) + " bytes)"), used};
        if (start_body() == status::failed) return {status::failed, used};
        break;
      }
      case state::body: {
        const std::uint64_t want = body_size_ - filled_;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(want, in.size() - used));
        if (body_size_ <= whole_body_max) {
          std::memcpy(small_.data() + filled_, in.data() + used, n);
        } else {
          if (!grow(static_cast<std::size_t>(filled_ + n))) return {fail("out of memory for a frame body"), used};
          std::memcpy(buf_ + filled_, in.data() + used, n);
        }
        filled_ += n;
        used += n;
        if (filled_ == body_size_) finish_body();
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
  if (!grow(static_cast<std::size_t>(filled_ + want))) return {};
  return {buf_ + filled_, static_cast<std::size_t>(want)};
}

decoder::status decoder::body_written(std::size_t n) noexcept {
  if (state_ == state::failed) return status::failed;
  filled_ += n;
  if (filled_ == body_size_) {
    finish_body();
    return status::frame_ready;
  }
  return status::need_more;
}

}  // namespace troupe::messaging::internal::zmtp
