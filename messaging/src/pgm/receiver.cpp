#include "pgm/receiver.hpp"

#include "pgm/codec.hpp"

#include <troupe/framework/log.hpp>

#include <cstring>

namespace troupe::messaging::internal::pgm {
namespace {

constexpr int max_packets_per_run = 64;  // then let other handlers run

class receiver final : public engine {
public:
  receiver(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock)
      : engine(s, std::move(endpoint), std::move(sock)) {}

private:
  struct source {
    pgm_tsi_t tsi;
    decoder dec;
  };

  bool run() override {
    if (stop_requested_.load(std::memory_order_acquire)) {
      close("socket closed");
      return false;
    }
    // The socket's subscriptions: multicast has no upstream, the SUB filters itself.
    message m;
    for (;;) {
      const read_result r = end_->read(m);
      if (r == read_result::part) continue;
      if (r == read_result::ended) {
        close("socket closed");
        return false;
      }
      break;
    }
    if (!deliver()) return false;  // the pipe is full: its `writable` event wakes us
    for (int i = 0; i < max_packets_per_run; ++i) {
      pgm_msgv_t msgv;
      const int st = receive(msgv);
      switch (st) {
        case PGM_IO_STATUS_NORMAL:
          for (std::uint32_t k = 0; k < msgv.msgv_len; ++k) {
            const pgm_sk_buff_t* skb = msgv.msgv_skb[k];
            source& src = find(skb->tsi);
            const auto packet = std::span<const std::byte>(static_cast<const std::byte*>(skb->data), skb->len);
            if (src.dec.feed(packet, ready_) == decoder::result::broken)
              framework::log(framework::log_level::warning,
                             endpoint_ + ": bad packet from a publisher, rejoining at its next message: " + src.dec.error());
          }
          if (!deliver()) return false;
          continue;
        case PGM_IO_STATUS_RESET:
          // Unrecoverable loss from one source: drop its unfinished message, rejoin later.
          // The error's buffer is ours to free (OpenPGM allocates one per report).
          if (msgv.msgv_len > 0) {
            find(msgv.msgv_skb[0]->tsi).dec.reset();
            pgm_free_skb(msgv.msgv_skb[0]);
          }
          framework::log(framework::log_level::info,
                         endpoint_ + ": data lost past the recovery window; resynchronising at the next message");
          continue;
        case PGM_IO_STATUS_TIMER_PENDING:  // receive() set the timer
        case PGM_IO_STATUS_RATE_LIMITED:
        case PGM_IO_STATUS_WOULD_BLOCK: return false;
        default: close("OpenPGM failed (status " + std::to_string(st) + ")"); return false;
      }
    }
    return true;
  }

  source& find(const pgm_tsi_t& tsi) {
    for (source& s : sources_)
      if (std::memcmp(&s.tsi, &tsi, sizeof tsi) == 0) return s;
    sources_.push_back(source{tsi, decoder(opts_.maxmsgsize)});
    return sources_.back();
  }

  // Moves whole messages from ready_ into the pipe; false if some are left (pipe full).
  bool deliver() {
    bool wrote = false;
    while (head_ < ready_.size()) {
      if (!end_->check_write()) break;
      for (;;) {
        message& p = ready_[head_++];
        const bool more = p.more();
        end_->write(std::move(p));
        if (!more) break;
      }
      wrote = true;
    }
    if (wrote) end_->flush();
    if (head_ < ready_.size()) return false;
    ready_.clear();
    head_ = 0;
    return true;
  }

  std::vector<source> sources_;  // every publisher heard in the group
  std::vector<message> ready_;   // whole messages decoded, not yet in the pipe
  std::size_t head_ = 0;
};

}  // namespace

framework::ref_ptr<engine> make_receiver(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock) {
  return framework::ref_ptr<engine>(new receiver(s, std::move(endpoint), std::move(sock)));
}

}  // namespace troupe::messaging::internal::pgm
