#pragma once
/// Sockets: ZeroMQ's patterns over inproc (and, with the wire, tcp and ipc).

#include <troupe/framework/ref_counted.hpp>
#include <troupe/messaging/context.hpp>
#include <troupe/messaging/error.hpp>
#include <troupe/messaging/message.hpp>
#include <troupe/messaging/options.hpp>
#include <troupe/messaging/socket_type.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::messaging {

namespace internal { class socket_base; }

/// Whole messages that went through a socket's connections made at one endpoint (see
/// socket::traffic()).
struct endpoint_traffic {
  std::string endpoint;
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
  /// Whole messages that arrived over the live connections and are not read yet (a PUB's:
  /// subscriptions it has not taken in yet).
  std::uint64_t queued = 0;
};

/// Flags of send() and recv().
enum class flags : int {
  none = 0,
  dontwait = 1,  ///< never block: return false instead
  sndmore = 2,   ///< more parts of this message follow (send only)
};
constexpr flags operator|(flags a, flags b) noexcept { return static_cast<flags>(static_cast<int>(a) | static_cast<int>(b)); }
constexpr bool has(flags set, flags f) noexcept { return (static_cast<int>(set) & static_cast<int>(f)) != 0; }

/// A ZeroMQ socket.
///
/// Thread-safety (as ZeroMQ): a socket is used by one thread at a time. Moving it to another
/// thread is fine with a happens-before between the two (a mutex, a queue, a join). Debug
/// builds detect two threads inside one socket at once and throw errc::concurrent_use.
///
/// Blocking: send() and recv() block until done, until the SNDTIMEO/RCVTIMEO expires or, with
/// flags::dontwait, not at all; not done is `false`, never an error. Called from a fiber
/// (an actor's body) they suspend the fiber and free the worker; from a plain thread they
/// block the thread (after a short spin, since a wake-up costs ~20 us on small machines).
///
/// Errors (misuse, bad options, bad endpoints, a send in the wrong state) throw
/// messaging::error naming what was wrong; the socket stays usable.
class socket {
public:
  socket(context& ctx, socket_type type);
  socket(socket&&) noexcept;
  socket& operator=(socket&&) noexcept;
  ~socket();  ///< close()

  /// Accepts connections at `endpoint` ("inproc://name", later "tcp://...", "ipc://...").
  void bind(std::string_view endpoint);
  /// Connects to `endpoint`. Connecting before the peer binds is fine: it completes later and
  /// messages queue meanwhile (unless IMMEDIATE).
  void connect(std::string_view endpoint);
  void unbind(std::string_view endpoint);
  void disconnect(std::string_view endpoint);

  /// Sends one part (consumed only when sent). Returns false if it could not be sent now
  /// (dontwait) or before SNDTIMEO; the part is then left in `part`.
  bool send(message& part, flags f = flags::none);
  bool send(message&& part, flags f = flags::none) { return send(part, f); }
  bool send(std::string_view bytes, flags f = flags::none) {
    message m(bytes);
    return send(m, f);
  }
  /// Sends a whole multipart message, all parts or none. The parts are consumed when sent.
  bool send(multipart& parts, flags f = flags::none);

  /// Receives one part. False: nothing before RCVTIMEO, or nothing now with dontwait.
  bool recv(message& part, flags f = flags::none);
  /// Receives a whole multipart message (replaces `parts`).
  bool recv(multipart& parts, flags f = flags::none);

  /// The last part received had MORE set.
  bool more() const;

  void set(option o, int value);
  void set(option o, std::string_view bytes);
  void set(option o, std::chrono::milliseconds value) { set(o, static_cast<int>(value.count())); }
  /// Raw libzmq option numbers (so numbers from configuration carry over). Unknown numbers
  /// throw errc::unknown_option.
  void set(int raw_option, int value) { set(static_cast<option>(raw_option), value); }
  int get_int(option o) const;
  std::string get_bytes(option o) const;

  socket_type type() const noexcept;

  /// Per endpoint this socket connected to or bound, the whole messages received and sent
  /// through the connections made there: live ones plus those that have ended, until close().
  /// A socket that connected to several peers can so tell who sent what (a PULL's fair queue
  /// cannot). Counting costs nothing per message (pipes count anyway); this call walks the
  /// connections, so it is for occasional reads, by the thread using the socket.
  std::vector<endpoint_traffic> traffic() const;

  /// Non-blocking readiness (what a poller asks).
  bool readable();
  bool writable();
  /// Whole messages that arrived from peers (inproc pipes and wire connections) and are not
  /// read yet: the socket's inbound queue depth, a snapshot.
  std::uint64_t queued();

  /// Called, from any thread, each time something happens that may make the socket readable
  /// or writable (used by pollers and actors to wake up; keep it short and non-blocking).
  void on_signal(std::function<void()> fn);

  /// Publishes this socket's events on a PAIR socket bound at `endpoint` (inproc), as libzmq's
  /// zmq_socket_monitor does: two parts, [u16 event, u32 value] and the endpoint.
  void monitor(std::string_view endpoint, int events);

  /// Closes now. Pending outgoing messages stay deliverable to inproc peers (unless LINGER 0).
  void close() noexcept;
  bool closed() const noexcept { return !impl_; }

  internal::socket_base& base() const;

private:
  framework::ref_ptr<internal::socket_base> impl_;
};

}  // namespace troupe::messaging
