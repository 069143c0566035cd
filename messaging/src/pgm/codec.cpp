#include "pgm/codec.hpp"

#include "zmtp/decoder.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace troupe::messaging::internal::pgm {

// ---- encoder ----

void encoder::begin(std::span<std::byte> buf) noexcept {
  buf_ = buf;
  pos_ = offset_size;
  offset_ = no_message_start;
}

void encoder::continue_part() noexcept {
  if (pending_) write_some();
}

void encoder::add(message&& part) noexcept {
  // A message (its first part) starts here: the first such start is where a joiner begins.
  if (!in_multipart_ && offset_ == no_message_start) offset_ = static_cast<std::uint16_t>(pos_ - offset_size);
  in_multipart_ = part.more();
  const std::uint64_t len = static_cast<std::uint64_t>(part.size()) + 1;  // counts the flags byte
  if (len < 0xFF) {
    header_[0] = static_cast<std::byte>(len);
    header_len_ = 1;
  } else {
    header_[0] = std::byte{0xFF};
    for (int i = 0; i < 8; ++i) header_[1 + i] = static_cast<std::byte>(len >> (56 - 8 * i));
    header_len_ = 9;
  }
  header_[header_len_++] = static_cast<std::byte>(part.more() ? zmtp::flag_more : 0);
  header_done_ = body_done_ = 0;
  part_ = std::move(part);
  pending_ = true;
  write_some();
}

void encoder::write_some() noexcept {
  const std::size_t h = std::min(header_len_ - header_done_, buf_.size() - pos_);
  std::memcpy(buf_.data() + pos_, header_ + header_done_, h);
  header_done_ += h;
  pos_ += h;
  if (header_done_ < header_len_) return;
  const std::size_t b = std::min(part_.size() - body_done_, buf_.size() - pos_);
  if (b) std::memcpy(buf_.data() + pos_, part_.data() + body_done_, b);
  body_done_ += b;
  pos_ += b;
  if (body_done_ == part_.size()) {
    pending_ = false;
    part_.clear();
  }
}

std::size_t encoder::finish() noexcept {
  buf_[0] = static_cast<std::byte>(offset_ >> 8);
  buf_[1] = static_cast<std::byte>(offset_ & 0xFF);
  return pos_;
}

// ---- decoder ----

decoder::decoder(std::int64_t max_part) noexcept
    : max_part_(max_part < 0 ? zmtp::default_max_frame : static_cast<std::uint64_t>(max_part)) {}

void decoder::reset() noexcept {
  joined_ = false;
  state_ = state::length;
  len_have_ = 0;
  body_have_ = 0;
  body_.clear();
  big_.reset();
  big_capacity_ = 0;
  parts_.clear();
}

void decoder::free_deleter::operator()(std::byte* p) const noexcept { std::free(p); }

namespace {
void free_big(void* data, void*) noexcept { std::free(data); }
}  // namespace

decoder::result decoder::fail(std::string why) noexcept {
  reset();
  try {
    error_ = std::move(why);
  } catch (...) {
  }
  return result::broken;
}

decoder::result decoder::feed(std::span<const std::byte> packet, std::vector<message>& out) {
  if (packet.size() < offset_size) return fail("packet of " + std::to_string(packet.size()) + " bytes has no offset field");
  const auto offset = static_cast<std::uint16_t>((std::to_integer<unsigned>(packet[0]) << 8) | std::to_integer<unsigned>(packet[1]));
  std::span<const std::byte> in = packet.subspan(offset_size);
  if (!joined_) {
    if (offset == no_message_start) return result::ok;  // no message begins here: wait
    if (offset > in.size())
      return fail("message offset " + std::to_string(offset) + " is past the packet's " + std::to_string(in.size()) + " bytes");
    in = in.subspan(offset);
    joined_ = true;
    state_ = state::length;
  }
  auto part_done = [&] {
    body_.set_more(more_);
    parts_.push_back(std::move(body_));
    body_ = message();
    state_ = state::length;
    if (!more_) {
      for (message& p : parts_) out.push_back(std::move(p));
      parts_.clear();
    }
  };
  while (!in.empty()) {
    switch (state_) {
      case state::length: {
        const auto b = std::to_integer<std::uint8_t>(in[0]);
        in = in.subspan(1);
        if (b == 0xFF) {
          state_ = state::long_length;
          len_have_ = 0;
          break;
        }
        if (b == 0) return fail("frame length 0 (it must count the flags byte)");
        body_size_ = b - 1u;
        state_ = state::flags;
        break;
      }
      case state::long_length: {
        const std::size_t n = std::min(in.size(), 8 - len_have_);
        std::memcpy(len_buf_ + len_have_, in.data(), n);
        len_have_ += n;
        in = in.subspan(n);
        if (len_have_ < 8) break;
        std::uint64_t len = 0;
        for (std::byte x : len_buf_) len = (len << 8) | std::to_integer<std::uint64_t>(x);
        if (len == 0) return fail("frame length 0 (it must count the flags byte)");
        body_size_ = len - 1;
        state_ = state::flags;
        break;
      }
      case state::flags: {
        const auto f = std::to_integer<std::uint8_t>(in[0]);
        in = in.subspan(1);
        more_ = (f & zmtp::flag_more) != 0;
        if (body_size_ > max_part_)
          return fail("frame of " + std::to_string(body_size_) + " bytes exceeds the limit of " + std::to_string(max_part_));
        if (body_size_ <= zmtp::whole_body_max) body_ = message(static_cast<std::size_t>(body_size_));
        body_have_ = 0;
        state_ = state::body;
        if (body_size_ == 0) part_done();
        break;
      }
      case state::body: {
        const std::size_t n = std::min<std::size_t>(in.size(), body_size_ - body_have_);
        if (body_size_ <= zmtp::whole_body_max) {
          std::memcpy(body_.data() + body_have_, in.data(), n);
        } else {
          if (body_have_ + n > big_capacity_) {
            const std::uint64_t ahead = std::max<std::uint64_t>(zmtp::first_chunk, body_have_ / 2);
            const auto cap = static_cast<std::size_t>(std::min<std::uint64_t>(body_have_ + std::max<std::uint64_t>(n, ahead), body_size_));
            void* grown = std::realloc(big_.get(), cap);
            if (!grown) throw std::bad_alloc();
            (void)big_.release();
            big_.reset(static_cast<std::byte*>(grown));
            big_capacity_ = cap;
          }
          std::memcpy(big_.get() + body_have_, in.data(), n);
        }
        body_have_ += n;
        in = in.subspan(n);
        if (body_have_ == body_size_) {
          if (body_size_ > zmtp::whole_body_max) {
            body_ = message(big_.get(), body_have_, &free_big, nullptr);
            (void)big_.release();
            big_capacity_ = 0;
          }
          part_done();
        }
        break;
      }
    }
  }
  return result::ok;
}

}  // namespace troupe::messaging::internal::pgm
