#include "pgm/sender.hpp"

#include "pgm/codec.hpp"

#include <troupe/framework/log.hpp>

namespace troupe::messaging::internal::pgm {
namespace {

constexpr int max_packets_per_run = 64;  // then let other handlers run

class sender final : public engine {
public:
  sender(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock)
      : engine(s, std::move(endpoint), std::move(sock)), buf_(pgm_->max_tsdu()) {}

private:
  bool run() override {
    if (stop_requested_.load(std::memory_order_acquire) && !lingering_) {
      lingering_ = true;
      if (opts_.linger == 0) {
        close("socket closed");
        return false;
      }
      if (opts_.linger > 0) linger_deadline_ = framework::clock::now() + std::chrono::milliseconds(opts_.linger);
    }
    if (lingering_ && opts_.linger > 0 && framework::clock::now() >= linger_deadline_) {
      close("linger expired: what was still queued is dropped");
      return false;
    }
    if (lingering_ && opts_.linger > 0) run_in(static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                   linger_deadline_ - framework::clock::now())
                                                                   .count()) + 1);
    if (!upstream()) return false;
    for (int i = 0; i < max_packets_per_run; ++i) {
      if (len_ == 0 && !fill()) break;
      std::size_t sent = 0;
      const int st = pgm_send(pgm_->get(), buf_.data(), len_, &sent);
      if (st == PGM_IO_STATUS_NORMAL) {
        len_ = 0;
        continue;
      }
      if (st == PGM_IO_STATUS_RATE_LIMITED) {
        run_in(pgm_->remaining_ms(PGM_RATE_REMAIN));
        return false;
      }
      if (st == PGM_IO_STATUS_CONGESTION) {
        run_in(pgm_->remaining_ms(PGM_TIME_REMAIN));
        return false;
      }
      if (st == PGM_IO_STATUS_WOULD_BLOCK) return false;  // the send descriptor's watch wakes us
      close("OpenPGM refused to send (status " + std::to_string(st) + ")");
      return false;
    }
    if (len_ != 0 || enc_.part_pending()) return true;
    if (let_go_) close("socket closed");
    return false;
  }

  // NAKs from receivers, repairs to send, heartbeats: OpenPGM does them inside pgm_recv.
  bool upstream() {
    for (int i = 0; i < max_packets_per_run; ++i) {
      pgm_msgv_t msgv;
      const int st = receive(msgv);
      switch (st) {
        case PGM_IO_STATUS_TIMER_PENDING:
        case PGM_IO_STATUS_RATE_LIMITED:
        case PGM_IO_STATUS_WOULD_BLOCK: return true;
        case PGM_IO_STATUS_NORMAL: continue;  // a send-only socket gets no data
        case PGM_IO_STATUS_RESET:
          if (msgv.msgv_len > 0) pgm_free_skb(msgv.msgv_skb[0]);  // an error report: ours to free
          continue;
        default: close("OpenPGM failed (status " + std::to_string(st) + ")"); return false;
      }
    }
    return true;
  }

  // Packs the next packet from the pipe: false if there is nothing to send.
  bool fill() {
    enc_.begin(buf_);
    enc_.continue_part();
    message m;
    while (!enc_.full() && !enc_.part_pending()) {
      const read_result r = end_->read(m);
      if (r == read_result::part) {
        enc_.add(std::move(m));
        continue;
      }
      if (r == read_result::ended) let_go_ = true;
      break;
    }
    if (enc_.empty()) return false;
    len_ = enc_.finish();
    return true;
  }

  std::vector<std::byte> buf_;
  std::size_t len_ = 0;  // a packet waiting for OpenPGM to take it
  encoder enc_;
  bool lingering_ = false;
  bool let_go_ = false;  // the socket closed its end
  framework::clock::time_point linger_deadline_{};
};

}  // namespace

framework::ref_ptr<engine> make_sender(socket_base& s, std::string endpoint, std::unique_ptr<socket> sock) {
  return framework::ref_ptr<engine>(new sender(s, std::move(endpoint), std::move(sock)));
}

}  // namespace troupe::messaging::internal::pgm
