// socket_cat: one troupe socket on the command line, to talk to any ZeroMQ program (libzmq,
// pyzmq, CZMQ, another troupe) over tcp:// or ipc://. It binds and/or connects, sends the
// messages it is given, receives and prints what arrives, and exits 0 when it has done all of
// it (1 on a timeout or a refused send, 2 on a usage error). See samples/socket_cat/README.md.
//
// Text format, both ways: one message per line, parts separated by the delimiter ('|');
// bytes that are not printable (and the delimiter and '\' themselves) are written \xNN.

#include <troupe/messaging/context.hpp>
#include <troupe/messaging/error.hpp>
#include <troupe/messaging/socket.hpp>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace msg = troupe::messaging;

namespace {

const char* const usage_text = R"(usage: socket_cat TYPE (--bind EP | --connect EP)... [options]

TYPE is a ZeroMQ socket type: PAIR PUB SUB XPUB XSUB PUSH PULL REQ REP DEALER ROUTER.
EP is an endpoint: tcp://HOST:PORT (PORT may be * when binding), ipc://PATH, ipc://@NAME.

  --bind EP             bind (repeatable)
  --connect EP          connect (repeatable)
  --subscribe PREFIX    SUB: subscribe to PREFIX; XSUB: send the subscription message
                        (repeatable; '' is everything)
  --identity ID         the socket's routing id (what a ROUTER peer sees)
  --wait-subscribers N  XPUB: wait for N subscription messages before sending
  --send MSG            send MSG (repeatable, in order); REQ prints each reply
  --stdin               then send each line of standard input as a message
  --recv N              then receive N messages and print them, one per line
                        (0: until nothing arrives for --timeout)
  --echo                send every received message back (REP always does)
  --timeout MS          how long to wait for a peer, a message or room to send (10000)
  --print-endpoint      first print "endpoint <EP>" for the last bind (useful with port *)
  --delimiter C         the part separator of the text format ('|')
  --help                this text

Messages are text lines, parts separated by the delimiter; non-printable bytes, the delimiter
and '\' are written \xNN (e.g. a ROUTER's binary peer id). Exit status: 0 when everything
was sent and received, 1 on a timeout, a refused send or a socket error, 2 on a usage error.
)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct options {
  msg::socket_type type{};
  std::vector<std::string> binds, connects, subscribe, sends;
  std::optional<std::string> identity;
  int wait_subscribers = 0;
  bool from_stdin = false;
  std::optional<long> recv_count;
  bool echo = false;
  int timeout_ms = 10000;
  bool print_endpoint = false;
  char delimiter = '|';
};

long parse_number(std::string_view flag, const std::string& value, long min) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || n < min || n > 1'000'000'000)
    throw usage_error(std::string(flag) + ": '" + value + "' is not a number >= " + std::to_string(min));
  return n;
}

options parse(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    }
  options o;
  bool have_type = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) != 0) {  // the one positional argument: TYPE
      if (have_type) throw usage_error("unexpected argument '" + args[i] + "'");
      std::string upper = args[i];
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const auto type = msg::parse_socket_type(upper);
      if (!type) throw usage_error("unknown socket type '" + args[i] + "'");
      o.type = *type;
      have_type = true;
      continue;
    }
    const std::string& flag = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw usage_error(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--bind") o.binds.push_back(value());
    else if (flag == "--connect") o.connects.push_back(value());
    else if (flag == "--subscribe") o.subscribe.push_back(value());
    else if (flag == "--identity") o.identity = value();
    else if (flag == "--wait-subscribers") o.wait_subscribers = static_cast<int>(parse_number(flag, value(), 0));
    else if (flag == "--send") o.sends.push_back(value());
    else if (flag == "--stdin") o.from_stdin = true;
    else if (flag == "--recv") o.recv_count = parse_number(flag, value(), 0);
    else if (flag == "--echo") o.echo = true;
    else if (flag == "--timeout") o.timeout_ms = static_cast<int>(parse_number(flag, value(), 1));
    else if (flag == "--print-endpoint") o.print_endpoint = true;
    else if (flag == "--delimiter") {
      const std::string& d = value();
      if (d.size() != 1 || d[0] == '\\') throw usage_error("--delimiter: '" + d + "' is not one character other than '\\'");
      o.delimiter = d[0];
    } else {
      throw usage_error("unknown option '" + flag + "'");
    }
  }
  if (!have_type) throw usage_error("missing the socket TYPE");
  if (o.binds.empty() && o.connects.empty()) throw usage_error("give at least one --bind or --connect");
  if (!o.subscribe.empty() && o.type != msg::socket_type::sub && o.type != msg::socket_type::xsub)
    throw usage_error("--subscribe is for SUB and XSUB sockets");
  if (o.wait_subscribers > 0 && o.type != msg::socket_type::xpub)
    throw usage_error("--wait-subscribers is for XPUB sockets");
  return o;
}

/// Text line -> parts. Throws usage_error on a bad escape, naming the line.
msg::multipart decode(std::string_view line, char delimiter) {
  msg::multipart parts;
  std::string part;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == delimiter) {
      parts.emplace_back(std::string_view(part));
      part.clear();
    } else if (c == '\\') {
      const auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        h = static_cast<char>(std::tolower(static_cast<unsigned char>(h)));
        return h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
      };
      if (i + 3 >= line.size() || line[i + 1] != 'x' || hex(line[i + 2]) < 0 || hex(line[i + 3]) < 0)
        throw usage_error("bad escape in '" + std::string(line) + "' (write a byte as \\xNN)");
      part += static_cast<char>(hex(line[i + 2]) * 16 + hex(line[i + 3]));
      i += 3;
    } else {
      part += c;
    }
  }
  parts.emplace_back(std::string_view(part));
  return parts;
}

/// Parts -> text line (the inverse of decode).
std::string encode(const msg::multipart& parts, char delimiter) {
  std::string out;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (p > 0) out += delimiter;
    for (const char c : parts[p].view()) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7f || c == delimiter || c == '\\') {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02x", u);
        out += hex;
      } else {
        out += c;
      }
    }
  }
  return out;
}

void print(const msg::multipart& parts, char delimiter) {
  std::fputs((encode(parts, delimiter) + "\n").c_str(), stdout);
  std::fflush(stdout);  // a reader on a pipe sees each message as it arrives
}

bool has_reply(msg::socket_type t) { return t == msg::socket_type::req; }

int run(const options& o) {
  msg::context ctx;
  msg::socket s(ctx, o.type);
  s.set(msg::option::sndtimeo, o.timeout_ms);
  s.set(msg::option::rcvtimeo, o.timeout_ms);
  if (o.identity) s.set(msg::option::routing_id, *o.identity);
  if (o.type == msg::socket_type::sub)
    for (const auto& p : o.subscribe) s.set(msg::option::subscribe, p);
  for (const auto& ep : o.binds) s.bind(ep);
  for (const auto& ep : o.connects) s.connect(ep);
  if (o.print_endpoint) {
    std::printf("endpoint %s\n", s.get_bytes(msg::option::last_endpoint).c_str());
    std::fflush(stdout);
  }
  if (o.type == msg::socket_type::xsub)
    for (const auto& p : o.subscribe) s.send("\x01" + p);

  msg::multipart in;
  for (int i = 0; i < o.wait_subscribers; ++i) {
    if (!s.recv(in)) {
      std::fprintf(stderr, "socket_cat: timeout: %d of %d subscriptions arrived\n", i, o.wait_subscribers);
      return 1;
    }
    std::fprintf(stderr, "socket_cat: subscription %s\n", encode(in, o.delimiter).c_str());
  }

  auto send_line = [&](std::string_view line) -> bool {
    msg::multipart parts = decode(line, o.delimiter);
    if (!s.send(parts)) {
      std::fprintf(stderr, "socket_cat: could not send '%.*s' within %d ms (no peer, or no room)\n",
                   static_cast<int>(line.size()), line.data(), o.timeout_ms);
      return false;
    }
    if (has_reply(o.type)) {
      if (!s.recv(in)) {
        std::fprintf(stderr, "socket_cat: no reply within %d ms\n", o.timeout_ms);
        return false;
      }
      print(in, o.delimiter);
    }
    return true;
  };
  for (const auto& m : o.sends)
    if (!send_line(m)) return 1;
  if (o.from_stdin)
    for (std::string line; std::getline(std::cin, line);)
      if (!send_line(line)) return 1;

  if (o.recv_count) {
    const long want = *o.recv_count;
    for (long got = 0; want == 0 || got < want; ++got) {
      if (!s.recv(in)) {
        if (want == 0) break;  // "until quiet"
        std::fprintf(stderr, "socket_cat: timeout: %ld of %ld messages arrived\n", got, want);
        return 1;
      }
      print(in, o.delimiter);
      if ((o.echo || o.type == msg::socket_type::rep) && !s.send(in)) {
        std::fprintf(stderr, "socket_cat: could not send the reply within %d ms\n", o.timeout_ms);
        return 1;
      }
    }
  }
  return 0;  // closing the socket delivers what is still queued (LINGER -1)
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "socket_cat: %s\n(socket_cat --help shows the usage)\n", e.what());
    return 2;
  } catch (const msg::error& e) {
    std::fprintf(stderr, "socket_cat: %s\n", e.what());
    return 1;
  }
}
