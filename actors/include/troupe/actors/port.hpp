#pragma once
/// Ports: an actor's named inputs and outputs, each a real troupe socket.

#include <troupe/actors/codec.hpp>
#include <troupe/messaging/socket.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::actors {

class graph;
namespace internal { class cell; }

/// What a port is underneath: inputs are PULL or SUB sockets, outputs PUSH or PUB.
enum class port_kind { pull, sub, push, pub };

/// "pull", "sub", "push", "pub".
std::string_view to_string(port_kind k) noexcept;
constexpr bool is_input(port_kind k) noexcept { return k == port_kind::pull || k == port_kind::sub; }

/// Per-port settings.
struct port_options {
  /// start() refuses a graph in which this port has no link.
  bool required = true;
  /// The socket's high-water mark in messages (SNDHWM for outputs, RCVHWM for inputs);
  /// 0 = unlimited. Bounds the memory a fast producer can fill.
  int hwm = 1000;
  /// PUB outputs only: at a full subscriber, hold (handler style) or block (fiber style) as a
  /// PUSH does, instead of dropping (the socket's XPUB_NODROP). For streams where every
  /// message counts, such as a key-partitioned pipeline.
  bool lossless = false;
};

/// A port as an actor type declares it.
struct port_spec {
  std::string name;
  port_kind kind = port_kind::pull;
  port_options options;
};

/// What an actor type declares: `static void ports(port_list& p)` fills one.
class port_list {
public:
  /// Declares an input (PULL, or SUB filtered by the topics the graph subscribes it to).
  port_list& input(std::string name, port_kind kind = port_kind::pull, port_options o = {});
  /// Declares an output (PUSH: load-balanced and blocking at the HWM; PUB: copies to every
  /// matching subscriber, dropping at the HWM).
  port_list& output(std::string name, port_kind kind = port_kind::push, port_options o = {});
  const std::vector<port_spec>& specs() const noexcept { return specs_; }

private:
  std::vector<port_spec> specs_;
};

/// Base of input and output: a socket with a name, bound at `inproc://<graph>/<actor>/<port>`.
/// Used only by its actor (from its handler, hooks and timers, or its fiber).
class port {
public:
  port(const port&) = delete;
  port& operator=(const port&) = delete;
  const std::string& name() const noexcept { return name_; }
  port_kind kind() const noexcept { return kind_; }
  /// The inproc endpoint the port is bound at (others may connect to it too).
  const std::string& endpoint() const noexcept { return endpoint_; }
  /// Whole messages that went through this port.
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  /// Inputs: messages waiting in the port's socket, as last sampled by its actor (after each
  /// handler run; in fiber style every 64 receives and whenever recv() waits). Outputs: 0.
  std::uint64_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }

protected:
  port(internal::cell& owner, messaging::context& ctx, const port_spec& spec, std::string endpoint);
  ~port();
  friend class internal::cell;
  friend class graph;
  internal::cell* cell_;
  std::string name_;
  std::string endpoint_;
  port_kind kind_;
  void counted() noexcept { count_.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> queued_{0};
  void sample_queue() { queued_.store(sock_.queued(), std::memory_order_relaxed); }
  messaging::socket sock_;
};

/// An input port (PULL or SUB).
///
/// Handler-style actors receive through on_message(). Fiber-style actors call recv(), which
/// suspends the fiber (never a worker thread) until a message arrives, and returns false at
/// the end of the stream: every upstream actor has finished and everything it sent was read,
/// or the graph is stopping hard. Timers of a fiber actor run inside its blocking calls.
class input final : public port {
public:
  input(internal::cell& owner, messaging::context& ctx, const port_spec& spec, std::string endpoint)
      : port(owner, ctx, spec, std::move(endpoint)) {}
  /// Receives a whole message (fiber style only). False: end of stream.
  bool recv(messaging::multipart& parts);
  /// Receives a message and decodes its payload as T (see decode()).
  template <wire_value T>
  bool recv_value(T& out) {
    if (!recv(scratch_)) return false;
    out = decode<T>(scratch_);
    return true;
  }
  /// Receives a message and parses its payload as JSON.
  bool recv_json(nlohmann::json& out) {
    if (!recv(scratch_)) return false;
    out = decode_json(scratch_);
    return true;
  }

private:
  friend class internal::cell;
  messaging::multipart scratch_;
};

/// An output port (PUSH or PUB).
///
/// Fiber style: send() suspends the fiber while a PUSH output is at its HWM (back-pressure);
/// it returns false only when the graph stops hard meanwhile. Handler style: send() never
/// blocks a worker: a message a PUSH cannot take now is held by the port, and the actor takes
/// no more input until its held messages are gone (so memory stays bounded by the HWM plus
/// what one handler call sends). A PUB drops at the HWM, as PUB does.
class output final : public port {
public:
  output(internal::cell& owner, messaging::context& ctx, const port_spec& spec, std::string endpoint)
      : port(owner, ctx, spec, std::move(endpoint)) {}
  /// Sends a whole message (parts consumed).
  bool send(messaging::multipart& parts);
  bool send(messaging::multipart&& parts) { return send(parts); }
  /// Sends one part.
  bool send(messaging::message&& part);
  bool send(std::string_view bytes) { return send(messaging::message(bytes)); }
  /// Sends [topic][body] (a PUB output's subscribers filter on the topic).
  bool send(std::string_view topic, messaging::message&& body);
  template <wire_value T>
  bool send_value(const T& v) { return send(encode(v)); }
  template <wire_value T>
  bool send_value(std::string_view topic, const T& v) { return send(topic, encode(v)); }
  bool send_json(const nlohmann::json& j) { return send(encode_json(j)); }
  bool send_json(std::string_view topic, const nlohmann::json& j) { return send(topic, encode_json(j)); }
  /// Messages held because the PUSH was full (handler style; a snapshot for counters).
  std::size_t held() const noexcept { return held_count_.load(std::memory_order_relaxed); }

private:
  friend class internal::cell;
  bool flush_held() noexcept;
  // Paused while an actor it feeds moves to another node (actor context only): handler sends
  // are held, fiber sends wait; nothing is flushed until resumed.
  bool paused_ = false;
  std::vector<messaging::multipart> held_;
  std::size_t held_head_ = 0;
  std::atomic<std::size_t> held_count_{0};
  void hold(messaging::multipart&& parts);
};

}  // namespace troupe::actors
