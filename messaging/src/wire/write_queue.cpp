#include "wire/write_queue.hpp"

#include "zmtp/commands.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace troupe::messaging::internal {
namespace {

constexpr int max_iov = 64;  // per sendmsg; more is written by the next call of the loop

template <class V>
void reserve_for(V& v, std::size_t more) {
  const std::size_t need = v.size() + more;
  if (need > v.capacity()) v.reserve(std::max(need, 2 * v.capacity()));
}

}  // namespace

void write_queue::byte_buffer::reserve_more(std::size_t more) {
  const std::size_t need = used + more;
  if (need <= capacity) return;
  const std::size_t cap = std::max(need, 2 * capacity);
  auto grown = std::make_unique_for_overwrite<std::byte[]>(cap);
  if (used) std::memcpy(grown.get(), bytes.get(), used);
  bytes = std::move(grown);
  capacity = cap;
}

void write_queue::byte_buffer::append(const std::byte* from, std::size_t n) noexcept {
  if (n) std::memcpy(bytes.get() + used, from, n);
  used += n;
}

void write_queue::reset_if_empty() noexcept {
  if (!empty() || (buf_.empty() && bigs_.empty())) return;
  buf_.clear();  // keeps the capacity
  bigs_.clear();
  sent_ = big_next_ = big_sent_ = 0;
}

void write_queue::add_frame(message&& m) {
  reset_if_empty();
  const bool in_place = m.size() >= zero_copy_threshold && m.is_shared_storage();
  // Reserve first (growing geometrically), so that a failure leaves nothing half-queued.
  buf_.reserve_more(zmtp::max_header + (in_place ? 0 : m.size()));
  if (in_place) reserve_for(bigs_, 1);
  const std::size_t h = zmtp::encode_header(m, buf_.data() + buf_.size());
  buf_.used += h;
  queued_ += h + m.size();
  if (in_place) {
    bigs_.push_back({buf_.size(), std::move(m)});
  } else {
    buf_.append(m.data(), m.size());
  }
}

void write_queue::add_bytes(std::span<const std::byte> bytes) {
  reset_if_empty();
  buf_.reserve_more(bytes.size());
  buf_.append(bytes.data(), bytes.size());
  queued_ += bytes.size();
}

void write_queue::advance(std::size_t n) noexcept {
  written_ += n;
  while (n > 0) {
    const std::size_t buf_end = big_next_ < bigs_.size() ? bigs_[big_next_].at : buf_.size();
    if (sent_ < buf_end) {
      const std::size_t k = std::min(n, buf_end - sent_);
      sent_ += k;
      n -= k;
      continue;
    }
    message& body = bigs_[big_next_].body;
    const std::size_t k = std::min(n, body.size() - big_sent_);
    big_sent_ += k;
    n -= k;
    if (big_sent_ == body.size()) {
      body.clear();  // written: let the body go now, not at the end of the batch
      ++big_next_;
      big_sent_ = 0;
    }
  }
}

write_queue::result write_queue::write_to(int fd) noexcept {
  std::size_t total = 0;
  while (!empty()) {
    iovec iov[max_iov];
    int n = 0;
    std::size_t pos = sent_, big = big_next_, body_pos = big_sent_;
    while (n < max_iov) {
      const std::size_t buf_end = big < bigs_.size() ? bigs_[big].at : buf_.size();
      if (pos < buf_end) {
        iov[n++] = {buf_.data() + pos, buf_end - pos};
        pos = buf_end;
        continue;
      }
      if (big == bigs_.size()) break;
      const message& body = bigs_[big].body;
      iov[n++] = {const_cast<std::byte*>(body.data()) + body_pos, body.size() - body_pos};
      ++big;
      body_pos = 0;
    }
    msghdr h{};
    h.msg_iov = iov;
    h.msg_iovlen = static_cast<std::size_t>(n);
    const ssize_t w = ::sendmsg(fd, &h, MSG_NOSIGNAL);
    if (w > 0) {
      advance(static_cast<std::size_t>(w));
      total += static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return {status::blocked, total, 0};
    return {status::failed, total, w < 0 ? errno : EPIPE};
  }
  reset_if_empty();
  return {status::done, total, 0};
}

void write_queue::clear() noexcept {
  bigs_.clear();
  buf_.clear();
  sent_ = big_next_ = big_sent_ = 0;
  queued_ = written_ = 0;
}

}  // namespace troupe::messaging::internal
