// The proxy loop: handle control commands, move bursts of messages each way, then wait on
// exactly what would let more move (the source's `in` if it is empty, the destination's `out`
// if it is full), so a stalled direction never turns into a busy loop.
#include <troupe/messaging/proxy.hpp>

#include <troupe/framework/log.hpp>
#include <troupe/messaging/poller.hpp>

#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace troupe::messaging {

namespace {

// Messages moved one way before looking at the other way and at the control socket.
constexpr int burst = 1000;

struct side_stats {
  std::uint64_t messages_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t bytes_out = 0;
};

// Why forwarding one way stopped.
enum class stalled { source_empty, destination_full, burst_done };

stalled forward(socket& from, side_stats& from_stats, socket& to, side_stats& to_stats, socket* capture) {
  for (int n = 0; n < burst; ++n) {
    if (!from.readable()) return stalled::source_empty;
    if (!to.writable()) return stalled::destination_full;
    std::uint64_t bytes = 0;
    bool more = true;
    while (more) {
      message part;
      // A readable socket holds a whole message: no part of it can be missing.
      if (!from.recv(part, flags::dontwait)) return stalled::source_empty;
      more = part.more();
      bytes += part.size();
      const flags f = more ? flags::sndmore : flags::none;
      if (capture) {
        message copy = part.share();
        capture->send(copy, f);
      }
      to.send(part, f);
    }
    ++from_stats.messages_in;
    from_stats.bytes_in += bytes;
    ++to_stats.messages_out;
    to_stats.bytes_out += bytes;
  }
  return stalled::burst_done;
}

multipart statistics_reply(const side_stats& front, const side_stats& back) {
  const std::array<std::uint64_t, 8> values{front.messages_in, front.bytes_in, front.messages_out,
                                            front.bytes_out,   back.messages_in, back.bytes_in,
                                            back.messages_out, back.bytes_out};
  multipart reply;
  reply.reserve(values.size());
  for (std::uint64_t v : values) reply.emplace_back(&v, sizeof v);
  return reply;
}

// Handles every command waiting on `control`. True when told to terminate.
bool handle_control(socket& control, bool& running, const side_stats& front, const side_stats& back) {
  const bool replies = control.type() == socket_type::rep;
  const bool can_send = control.type() != socket_type::sub;
  multipart command;
  while (control.recv(command, flags::dontwait)) {
    const std::string_view c = command.empty() ? std::string_view{} : command.front().view();
    bool terminate = false;
    if (c == "PAUSE") {
      running = false;
    } else if (c == "RESUME") {
      running = true;
    } else if (c == "TERMINATE") {
      terminate = true;
    } else if (c == "STATISTICS") {
      if (can_send) {
        multipart reply = statistics_reply(front, back);
        control.send(reply);
      }
      continue;
    } else {
      framework::log(framework::log_level::warning,
                     "steerable proxy: unknown control command '" + std::string(c.substr(0, 64)) + "' ignored");
    }
    if (replies) control.send(message());
    if (terminate) return true;
  }
  return false;
}

proxy_exit run(socket& frontend, socket& backend, socket* capture, socket* control) {
  const bool same = &frontend == &backend;
  side_stats front, back;
  bool running = true;
  std::vector<poll_event> ready;
  try {
    poller p;
    p.add(frontend, poll_events::none);
    if (!same) p.add(backend, poll_events::none);
    if (control) p.add(*control, poll_events::in);
    for (;;) {
      if (control && handle_control(*control, running, front, back)) return proxy_exit::terminate_command;
      poll_events front_wants = poll_events::none;
      poll_events back_wants = poll_events::none;
      bool more_now = false;
      if (running) {
        const auto note = [&](stalled s, poll_events& source, poll_events& destination) {
          if (s == stalled::source_empty) source = source | poll_events::in;
          if (s == stalled::destination_full) destination = destination | poll_events::out;
          if (s == stalled::burst_done) more_now = true;
        };
        note(forward(frontend, front, backend, back, capture), front_wants, back_wants);
        if (!same) note(forward(backend, back, frontend, front, capture), back_wants, front_wants);
      }
      if (same) front_wants = front_wants | back_wants;
      p.modify(frontend, front_wants);
      if (!same) p.modify(backend, back_wants);
      // After a full burst there is more to move at once: only look, so control gets a turn.
      p.wait(ready, more_now ? std::chrono::milliseconds::zero() : poll_forever);
    }
  } catch (const error& e) {
    if (e.kind() == errc::terminated) return proxy_exit::terminated;
    if (e.kind() == errc::socket_closed) return proxy_exit::socket_closed;
    throw;
  }
}

}  // namespace

std::optional<proxy_statistics> parse_proxy_statistics(const multipart& reply) {
  if (reply.size() != 8) return std::nullopt;
  std::array<std::uint64_t, 8> v{};
  for (std::size_t i = 0; i < 8; ++i) {
    if (reply[i].size() != sizeof(std::uint64_t)) return std::nullopt;
    std::memcpy(&v[i], reply[i].data(), sizeof(std::uint64_t));
  }
  return proxy_statistics{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

proxy_exit proxy(socket& frontend, socket& backend, socket* capture) {
  return run(frontend, backend, capture, nullptr);
}

proxy_exit steerable_proxy(socket& frontend, socket& backend, socket* capture, socket& control) {
  return run(frontend, backend, capture, &control);
}

}  // namespace troupe::messaging
