// pgm:// and epgm:// (issue #7): libzmq's packet framing (pure codec tests), troupe <-> troupe
// and troupe <-> libzmq (pyzmq) over epgm on the loopback interface, several publishers, a
// late joiner, prefix filtering, and the errors bad endpoints and options get.
//
// Each test uses a multicast group and UDP port of its own (from the process id and a counter)
// so that tests running in parallel never hear each other. Multicast packets sent before a
// receiver has joined are not for it: publishers repeat a "warm-up" message until the first
// one arrives (a bounded wait), then send what the test checks.

#include "interop_support.hpp"
#include "pgm_support.hpp"

#include "pgm/codec.hpp"

#include <troupe/framework/log.hpp>
#include <troupe/messaging/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace troupe_test;
namespace msg = troupe::messaging;
namespace pgmc = troupe::messaging::internal::pgm;

namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

/// Encodes messages (each a list of parts) into packets of `packet_size` bytes.
std::vector<std::vector<std::byte>> encode(const std::vector<std::vector<std::string>>& msgs, std::size_t packet_size) {
  std::vector<msg::message> parts;
  for (const auto& m : msgs)
    for (std::size_t i = 0; i < m.size(); ++i) {
      parts.emplace_back(m[i]);
      parts.back().set_more(i + 1 < m.size());
    }
  std::vector<std::vector<std::byte>> packets;
  pgmc::encoder enc;
  std::size_t next = 0;
  while (next < parts.size() || enc.part_pending()) {
    std::vector<std::byte> buf(packet_size);
    enc.begin(buf);
    enc.continue_part();
    while (!enc.full() && !enc.part_pending() && next < parts.size()) enc.add(std::move(parts[next++]));
    buf.resize(enc.finish());
    packets.push_back(std::move(buf));
  }
  return packets;
}

std::vector<std::vector<std::string>> as_messages(const std::vector<msg::message>& parts) {
  std::vector<std::vector<std::string>> out(1);
  for (const auto& p : parts) {
    out.back().push_back(p.str());
    if (!p.more()) out.emplace_back();
  }
  out.pop_back();
  return out;
}

}  // namespace

TEST_SUITE("pgm") {
  TEST_CASE("pgm codec: one small message is libzmq's packet - offset 0 then ZMTP/1.0 frame") {
    const auto packets = encode({{"hello"}}, 1500);
    REQUIRE(packets.size() == 1);
    const std::vector<std::byte> expected = bytes_of(std::string("\x00\x00\x06\x00hello", 9));
    CHECK(packets[0] == expected);
  }

  TEST_CASE("pgm codec: multipart and long frames round-trip across packets") {
    const std::string big = patterned(5000);
    const std::vector<std::vector<std::string>> msgs = {{"a", "", big}, {std::string(254, 'x')}, {"z", "y"}};
    const auto packets = encode(msgs, 600);
    CHECK(packets.size() > 8);
    // The 9-byte long form: 0xFF then the length (body + flags byte) big-endian.
    pgmc::decoder dec(-1);
    std::vector<msg::message> out;
    for (const auto& p : packets) REQUIRE(dec.feed(p, out) == pgmc::decoder::result::ok);
    CHECK(as_messages(out) == msgs);
    CHECK(out[0].more());
    CHECK_FALSE(out[2].more());
  }

  TEST_CASE("pgm codec: a large frame's buffer grows as its bytes arrive - an announced size costs nothing") {
    // A frame announcing 1 GiB - 2 bytes of body (long form: 0xFF then 8 bytes), then 3 bytes:
    // held is what arrived plus at most one step (64 KiB), not the announced size.
    pgmc::decoder huge(-1);
    std::vector<msg::message> out;
    const std::string header("\x00\x00\xFF\x00\x00\x00\x00\x3F\xFF\xFF\xFF\x00" "abc", 15);
    REQUIRE(huge.feed(bytes_of(header), out) == pgmc::decoder::result::ok);
    CHECK(huge.buffered() > 0);
    CHECK(huge.buffered() <= 64 * 1024);
    CHECK(out.empty());
    // A 300 KB body across packets comes out whole; on the way the buffer stays within
    // 1.5x what arrived plus 64 KiB.
    const std::string big = patterned(300 * 1000);
    const auto packets = encode({{big, "tail"}}, 1400);
    pgmc::decoder dec(-1);
    std::size_t arrived = 0;
    for (const auto& p : packets) {
      REQUIRE(dec.feed(p, out) == pgmc::decoder::result::ok);
      arrived += p.size();
      CHECK(dec.buffered() <= arrived + std::max<std::size_t>(64 * 1024, arrived / 2));
    }
    CHECK(as_messages(out) == std::vector<std::vector<std::string>>{{big, "tail"}});
  }

  TEST_CASE("pgm codec: a packet inside a message says 0xFFFF and a joiner starts at the next message") {
    const std::string big = patterned(3000);
    const std::vector<std::vector<std::string>> msgs = {{"first", big, "end"}, {"second", "2"}, {"third"}};
    const auto packets = encode(msgs, 1000);
    REQUIRE(packets.size() >= 4);
    // The second packet lies inside the first message: no message starts there.
    CHECK(packets[1][0] == std::byte{0xFF});
    CHECK(packets[1][1] == std::byte{0xFF});
    pgmc::decoder dec(-1);
    std::vector<msg::message> out;
    for (std::size_t i = 1; i < packets.size(); ++i) REQUIRE(dec.feed(packets[i], out) == pgmc::decoder::result::ok);
    // Joined mid-way through the first message: only whole later messages come out.
    CHECK(as_messages(out) == std::vector<std::vector<std::string>>{{"second", "2"}, {"third"}});
  }

  TEST_CASE("pgm codec: after a reset the unfinished message is dropped and the next whole one comes out") {
    const std::string big = patterned(2500);
    const auto packets = encode({{"one", big}, {"two"}, {"three", big}, {"four"}}, 1000);
    pgmc::decoder dec(-1);
    std::vector<msg::message> out;
    std::size_t i = 0;
    // Feed until "two" is out and "three" has begun.
    for (; i < packets.size() && as_messages(out).size() < 2; ++i) REQUIRE(dec.feed(packets[i], out) == pgmc::decoder::result::ok);
    dec.reset();  // loss
    CHECK_FALSE(dec.joined());
    for (; i < packets.size(); ++i) REQUIRE(dec.feed(packets[i], out) == pgmc::decoder::result::ok);
    const auto got = as_messages(out);
    REQUIRE(!got.empty());
    CHECK(got.front() == std::vector<std::string>{"one", big});
    CHECK(got.back() == std::vector<std::string>{"four"});
    for (const auto& m : got) CHECK(m.front() != "three");  // half of it was lost: not delivered
  }

  TEST_CASE("pgm codec: a malformed packet breaks the stream - no partial message - and it rejoins") {
    pgmc::decoder dec(-1);
    std::vector<msg::message> out;
    CHECK(dec.feed(bytes_of(std::string("\x00\x00\x00\x00", 4)), out) == pgmc::decoder::result::broken);
    CHECK(dec.error().find("length 0") != std::string::npos);
    CHECK(dec.feed(bytes_of(std::string("\x00\x09\x02\x00x", 5)), out) == pgmc::decoder::result::broken);
    CHECK(dec.error().find("offset 9") != std::string::npos);
    pgmc::decoder small(4);
    CHECK(small.feed(bytes_of(std::string("\x00\x00\x06\x00hello", 9)), out) == pgmc::decoder::result::broken);
    CHECK(small.error().find("exceeds the limit of 4") != std::string::npos);
    CHECK(out.empty());
    CHECK(dec.feed(bytes_of(std::string("\x00\x00\x03\x00ok", 6)), out) == pgmc::decoder::result::ok);
    REQUIRE(out.size() == 1);
    CHECK(out[0].view() == "ok");
  }

  TEST_CASE("epgm troupe PUB to troupe SUB on lo: multipart whole and in order") {
    msg::context ctx;
    msg::socket pub(ctx, msg::socket_type::pub);
    const std::string ep = fresh_group();
    pub.set(msg::option::rate, 100000);
    msg::socket sub = group_sub(ctx, ep, "");
    pub.connect(ep);
    warm_up(pub, sub);
    const std::string big = patterned(4000);  // spans several packets
    for (int i = 0; i < 50; ++i) send_parts(pub, {"m" + std::to_string(i), i % 5 == 0 ? big : "", "end"});
    for (int i = 0; i < 50; ++i) {
      CAPTURE(i);
      const auto parts = recv_parts(sub);
      REQUIRE(parts.size() == 3);
      CHECK(parts[0] == "m" + std::to_string(i));
      CHECK(parts[1] == (i % 5 == 0 ? big : ""));
      CHECK(parts[2] == "end");
    }
  }

  TEST_CASE("epgm SUB filters by prefix locally and XPUB sees one subscription to everything") {
    msg::context ctx;
    msg::socket xpub(ctx, msg::socket_type::xpub);
    const std::string ep = fresh_group();
    xpub.set(msg::option::rate, 100000);
    msg::socket sub = group_sub(ctx, ep, "keep");
    xpub.bind(ep);  // bind and connect mean the same for multicast
    CHECK(recv_within(xpub).view() == std::string("\x01", 1));
    warm_up(xpub, sub, "keep");
    for (int i = 0; i < 20; ++i) {
      REQUIRE(xpub.send("drop " + std::to_string(i)));
      REQUIRE(xpub.send("keep " + std::to_string(i)));
    }
    for (int i = 0; i < 20; ++i) CHECK(recv_within(sub).view() == "keep " + std::to_string(i));
  }

  TEST_CASE("epgm several publishers into one group: every message whole - each publisher's in order") {
    // All on one host: the publishers share the group's UDP port, and a NAK (unicast to that
    // port) may reach a socket other than its publisher's, so a packet the kernel drops under
    // load may not be repaired (docs/transports/pgm.md). What must hold whatever is lost:
    // whole messages, each publisher's in order, every publisher heard to its end.
    msg::context ctx;
    const std::string ep = fresh_group();
    msg::socket sub = group_sub(ctx, ep, "");
    std::vector<msg::socket> pubs;
    for (int p = 0; p < 3; ++p) {
      pubs.emplace_back(ctx, msg::socket_type::pub);
      pubs.back().set(msg::option::rate, 100000);
      pubs.back().connect(ep);
    }
    for (auto& p : pubs) warm_up(p, sub);
    const std::string big = patterned(3000);
    constexpr int n = 40;
    for (int i = 0; i < n; ++i)
      for (int p = 0; p < 3; ++p) send_parts(pubs[static_cast<std::size_t>(p)], {std::to_string(p), std::to_string(i), big});
    std::map<std::string, int> last{{"0", -1}, {"1", -1}, {"2", -1}};
    std::set<std::string> done;
    int received = 0;
    for (const auto until = steady::now() + eventually; done.size() < 3 && steady::now() < until;) {
      sub.set(msg::option::rcvtimeo, 20);
      msg::message m;
      if (!sub.recv(m)) {  // quiet: each publisher not yet heard to its end sends its marker
        for (int p = 0; p < 3; ++p)
          if (!done.count(std::to_string(p))) REQUIRE(pubs[static_cast<std::size_t>(p)].send("done " + std::to_string(p)));
        continue;
      }
      if (m.view().starts_with("done ")) {
        CHECK_FALSE(m.more());
        done.insert(std::string(m.view().substr(5)));
        continue;
      }
      REQUIRE(m.more());
      const std::string from = m.str();
      const auto rest = recv_parts(sub);
      REQUIRE(rest.size() == 2);
      CHECK(rest[1] == big);
      REQUIRE(last.count(from) == 1);
      const int seq = std::stoi(rest[0]);
      CHECK(seq > last[from]);
      last[from] = seq;
      ++received;
    }
    CHECK(done == std::set<std::string>{"0", "1", "2"});
    MESSAGE("received " << received << " of " << 3 * n << " messages");
    CHECK(received > 0);
  }

  TEST_CASE("epgm late joiner: starts at a message boundary - never part of a message") {
    msg::context ctx;
    const std::string ep = fresh_group();
    msg::socket pub(ctx, msg::socket_type::pub);
    pub.set(msg::option::rate, 100000);
    pub.connect(ep);
    msg::socket early = group_sub(ctx, ep, "");
    warm_up(pub, early);
    const std::string big = patterned(2000);
    // Messages spanning packets go out while the late subscriber joins.
    int sent = 0;
    auto send_some = [&](int k) {
      for (int i = 0; i < k; ++i, ++sent) send_parts(pub, {"seq", std::to_string(sent), big, "last"});
    };
    send_some(20);
    msg::socket late = group_sub(ctx, ep, "");
    late.set(msg::option::rcvtimeo, 20);
    const auto deadline = steady::now() + eventually;
    msg::message m;
    bool got = false;
    while (!got && steady::now() < deadline) {
      send_some(5);
      got = late.recv(m);
    }
    REQUIRE_MESSAGE(got, "the late joiner heard nothing within " << eventually.count() << " ms");
    // Its first part is a message's first part, and the rest of that message follows whole.
    CHECK(m.view() == "seq");
    REQUIRE(m.more());
    const int first = std::stoi(recv_within(late).str());
    CHECK(recv_within(late).view() == big);
    const msg::message last = recv_within(late);
    CHECK(last.view() == "last");
    CHECK_FALSE(last.more());
    // PGM may repair for it what is still in the publisher's window (RECOVERY_IVL), so it can
    // begin before it joined; from wherever it begins, nothing is skipped.
    CHECK(first < sent);
    // Then everything after it, in order.
    for (int i = first + 1; i < sent; ++i) {
      const auto parts = recv_parts(late);
      REQUIRE(parts.size() == 4);
      CHECK(parts[1] == std::to_string(i));
    }
  }

  TEST_CASE("epgm interop: libzmq PUB to troupe SUB and troupe PUB to libzmq SUB") {
    zmq_peer peer;
    msg::context ctx;
    SUBCASE("libzmq publishes") {
      const std::string ep = fresh_group();
      msg::socket sub = group_sub(ctx, ep, "t");
      const std::string pub = peer.call("new PUB")[1];
      peer.call("set " + pub + " 8 i100000");  // ZMQ_RATE
      peer.call("connect " + pub + " " + ep);
      sub.set(msg::option::rcvtimeo, 20);
      const auto deadline = steady::now() + eventually;
      msg::message m;
      bool got = false;
      while (!got && steady::now() < deadline) {
        peer.call("send " + pub + " 1000 " + hex_token("twarm"));
        got = sub.recv(m);
      }
      REQUIRE_MESSAGE(got, "nothing from libzmq within " << eventually.count() << " ms");
      while (sub.recv(m)) REQUIRE(m.view() == "twarm");
      sub.set(msg::option::rcvtimeo, -1);
      const std::string big = patterned(4000);
      for (int i = 0; i < 10; ++i) {
        peer.call("send " + pub + " 1000 " + hex_token("x-dropped"));
        peer.call("send " + pub + " 1000 " + hex_token("t" + std::to_string(i)) + " - " + hex_token(big));
      }
      for (int i = 0; i < 10; ++i) {
        const auto parts = recv_parts(sub);
        REQUIRE(parts.size() == 3);
        CHECK(parts[0] == "t" + std::to_string(i));
        CHECK(parts[1].empty());
        CHECK(parts[2] == big);
      }
    }
    SUBCASE("troupe publishes") {
      const std::string ep = fresh_group();
      const std::string sub = peer.call("new SUB")[1];
      peer.call("set " + sub + " 6 b");  // ZMQ_SUBSCRIBE ""
      peer.call("connect " + sub + " " + ep);
      msg::socket pub(ctx, msg::socket_type::pub);
      pub.set(msg::option::rate, 100000);
      pub.connect(ep);
      const auto deadline = steady::now() + eventually;
      std::vector<std::string> reply;
      while (steady::now() < deadline) {
        REQUIRE(pub.send("warm"));
        reply = peer.call("recv " + sub + " 20");
        if (reply[0] == "ok") break;
      }
      REQUIRE_MESSAGE(reply[0] == "ok", "libzmq heard nothing within " << eventually.count() << " ms");
      for (;;) {  // drain the warm-ups
        reply = peer.call("recv " + sub + " 200");
        if (reply[0] != "ok") break;
        REQUIRE(reply == std::vector<std::string>{"ok", hex_token("warm")});
      }
      const std::string big = patterned(4000);
      for (int i = 0; i < 10; ++i) send_parts(pub, {"m" + std::to_string(i), "", big});
      for (int i = 0; i < 10; ++i) {
        const auto got = peer.call("recv " + sub + " 20000");
        std::string shown;
        for (const auto& w : got) shown += w.substr(0, 12) + "(" + std::to_string(w.size()) + ") ";
        CAPTURE(shown);
        REQUIRE(got.size() == 4);
        CHECK(got[0] == "ok");
        CHECK(from_hex_token(got[1]) == "m" + std::to_string(i));
        CHECK(got[2] == "-");
        CHECK(summary({from_hex_token(got[3])}) == summary({big}));
      }
    }
  }

  TEST_CASE("pgm bad input: malformed endpoints - missing interface - wrong socket types - bad options") {
    msg::context ctx;
    msg::socket sub(ctx, msg::socket_type::sub);
    msg::errc kind{};
    CHECK(error_message_of([&] { sub.connect("epgm://239.1.1.1:5555"); }, &kind).find("expected interface;group:port") !=
          std::string::npos);
    CHECK(kind == msg::errc::invalid_argument);
    CHECK(error_message_of([&] { sub.connect("epgm://lo;239.1.1.1"); }).find("no port") != std::string::npos);
    CHECK(error_message_of([&] { sub.connect("epgm://lo;239.1.1.1:99999"); }).find("port '99999'") != std::string::npos);
    CHECK(error_message_of([&] { sub.connect("epgm://lo;10.1.1.1:5555"); }).find("'10.1.1.1' is not a multicast group") !=
          std::string::npos);
    const std::string no_if = error_message_of([&] { sub.connect("epgm://nosuchif0;239.1.1.1:5555"); }, &kind);
    CHECK(no_if.find("no network interface named 'nosuchif0'") != std::string::npos);
    CHECK(no_if.find("epgm://nosuchif0;239.1.1.1:5555") != std::string::npos);
    CHECK(kind == msg::errc::address_not_available);
    msg::socket push(ctx, msg::socket_type::push);
    CHECK(error_message_of([&] { push.connect("epgm://lo;239.1.1.1:5555"); }, &kind).find("PUB, XPUB, SUB and XSUB only, not PUSH") !=
          std::string::npos);
    CHECK(error_message_of([&] { sub.set(msg::option::rate, 0); }).find("ZMQ_RATE: invalid value 0") != std::string::npos);
    CHECK(error_message_of([&] { sub.set(msg::option::recovery_ivl, 0); }).find("ZMQ_RECOVERY_IVL: invalid value 0") !=
          std::string::npos);
    CHECK(error_message_of([&] { sub.set(msg::option::multicast_hops, 0); }).find("ZMQ_MULTICAST_HOPS: invalid value 0") !=
          std::string::npos);
    CHECK(error_message_of([&] { sub.set(msg::option::multicast_maxtpdu, 100); }).find("ZMQ_MULTICAST_MAXTPDU: invalid value 100") !=
          std::string::npos);
    CHECK(error_message_of([&] { sub.set(msg::option::multicast_loop, 2); }).find("ZMQ_MULTICAST_LOOP: invalid value 2") !=
          std::string::npos);
    sub.set(msg::option::rate, 5000);
    CHECK(sub.get_int(msg::option::rate) == 5000);
    CHECK(sub.get_int(msg::option::recovery_ivl) == 10000);
    CHECK(sub.get_int(msg::option::multicast_hops) == 1);
    CHECK(sub.get_int(msg::option::multicast_maxtpdu) == 1500);
    CHECK(sub.get_int(msg::option::multicast_loop) == 1);
  }

  TEST_CASE("epgm disconnect and close: the endpoint goes away and a second use works") {
    msg::context ctx;
    const std::string ep = fresh_group();
    msg::socket sub = group_sub(ctx, ep, "");
    {
      msg::socket pub(ctx, msg::socket_type::pub);
      pub.set(msg::option::rate, 100000);
      pub.connect(ep);
      warm_up(pub, sub);
      pub.disconnect(ep);
      CHECK(error_message_of([&] { pub.disconnect(ep); }).find("is not connected") != std::string::npos);
      pub.connect(ep);
      warm_up(pub, sub);
    }
    sub.disconnect(ep);
    sub.connect(ep);
    msg::socket pub2(ctx, msg::socket_type::pub);
    pub2.set(msg::option::rate, 100000);
    pub2.connect(ep);
    warm_up(pub2, sub);
  }
}

TEST_SUITE("pgm") {
  TEST_CASE("pgm and epgm: each multicast scheme of the registry carries a message") {
    for (const char* scheme : {"epgm", "pgm"}) {
      CAPTURE(scheme);
      if (std::string(scheme) == "pgm" && ::geteuid() != 0) {
        MESSAGE("SKIPPED pgm://: raw PGM sockets need root (CAP_NET_RAW)");
        continue;
      }
      msg::context ctx;
      msg::socket pub(ctx, msg::socket_type::pub), sub(ctx, msg::socket_type::sub);
      const std::string ep = fresh_group(scheme);
      pub.set(msg::option::rate, 100000);
      sub.set(msg::option::rate, 100000);  // a SUB's receive window is its own RATE x RECOVERY_IVL
      sub.set(msg::option::subscribe, "");
      sub.connect(ep);
      pub.connect(ep);
      warm_up(pub, sub);
      REQUIRE(pub.send("over " + ep));
      CHECK(recv_within(sub).view() == "over " + ep);
    }
  }
}

TEST_SUITE("pgm") {
  TEST_CASE("epgm across network namespaces: one publisher and three subscribers on other hosts") {
    netns_lab lab(4);
    if (!lab.ready()) {
      MESSAGE("SKIPPED: " << lab.why_not());
      return;
    }
    msg::context ctx;
    const std::string group_port = fresh_group_port();
    msg::socket pub = lab_pub(ctx, lab, 0, group_port);
    std::vector<msg::socket> subs;
    for (int i = 1; i <= 3; ++i) subs.push_back(lab_sub(ctx, lab, i, group_port));
    warm_up_all(pub, subs);
    const std::string big = patterned(3000);
    constexpr int n = 100;
    for (int i = 0; i < n; ++i) send_parts(pub, {"seq", std::to_string(i), big});
    for (std::size_t k = 0; k < 3; ++k) {
      CAPTURE(k);
      for (int i = 0; i < n; ++i) {
        const auto parts = recv_parts(subs[k]);
        REQUIRE(parts.size() == 3);
        CHECK(parts[1] == std::to_string(i));
        CHECK(parts[2] == big);
      }
    }
  }
}

TEST_SUITE("pgm") {
  TEST_CASE("epgm loss past the recovery window: a stalled subscriber resynchronises - whole messages only") {
    // The subscriber stops reading (RCVHWM 2, nobody calls recv): its engine stops reading
    // OpenPGM, the kernel's socket buffer overflows, and the publisher's window (RATE x
    // RECOVERY_IVL, ~1 MB here) moves past what was dropped long before the subscriber reads
    // again, so PGM cannot repair it: real unrecoverable loss, no tool needed.
    log_capture log;

    msg::context ctx;
    const std::string ep = fresh_group();
    msg::socket pub(ctx, msg::socket_type::pub), sub(ctx, msg::socket_type::sub);
    pub.set(msg::option::rate, 200000);
    pub.set(msg::option::recovery_ivl, 50);
    pub.set(msg::option::sndhwm, 0);  // the publisher's queue keeps everything: loss is on the wire
    sub.set(msg::option::rcvhwm, 2);
    sub.set(msg::option::rate, 100000);  // a SUB's receive window is its own RATE x RECOVERY_IVL
    sub.set(msg::option::subscribe, "");
    // A witness that keeps up shows when the publisher has sent everything.
    msg::socket witness(ctx, msg::socket_type::sub);
    witness.set(msg::option::rate, 100000);  // a SUB's receive window is its own RATE x RECOVERY_IVL
    witness.set(msg::option::subscribe, "");
    sub.connect(ep);
    witness.connect(ep);
    pub.connect(ep);
    warm_up(pub, sub);
    warm_up(pub, witness);
    const std::string big = patterned(8000);
    constexpr int n = 1500;  // 12 MB: far more than the window and the socket buffer
    for (int i = 0; i < n; ++i) send_parts(pub, {"seq", std::to_string(i), big, "last"});
    // The witness reads until the last message, or a marker sent after it (it may lose data
    // too on a loaded machine: the window is short), whole messages only.
    bool witness_done = false;
    for (const auto until = steady::now() + eventually; !witness_done && steady::now() < until;) {
      witness.set(msg::option::rcvtimeo, 20);
      msg::message m;
      if (!witness.recv(m)) {
        REQUIRE(pub.send("marker"));
        continue;
      }
      if (m.view() == "marker") {
        witness_done = true;
        continue;
      }
      REQUIRE(m.view() == "seq");
      const auto parts = recv_parts(witness);
      REQUIRE(parts.size() == 3);
      witness_done = parts[0] == std::to_string(n - 1);
    }
    REQUIRE_MESSAGE(witness_done, "the publisher did not finish within " << eventually.count() << " ms");
    // Now read: whole messages in increasing order, with a gap somewhere; then the stream
    // goes on (a marker sent until it arrives shows the subscriber rejoined).
    int previous_seq = -1, received = 0;
    bool gap = false, marker = false;
    const auto deadline = steady::now() + eventually;
    while (!marker && steady::now() < deadline) {
      msg::message m;
      sub.set(msg::option::rcvtimeo, 20);  // recv_parts() below leaves it at -1
      if (!sub.recv(m)) {
        REQUIRE(pub.send("marker"));
        continue;
      }
      if (m.view() == "warm-up") continue;  // queued while the witness warmed up
      if (m.view() == "marker") {
        CHECK_FALSE(m.more());
        marker = true;
        break;
      }
      REQUIRE(m.view() == "seq");
      REQUIRE(m.more());
      const auto parts = recv_parts(sub);
      REQUIRE(parts.size() == 3);
      const int seq = std::stoi(parts[0]);
      CHECK(parts[1] == big);
      CHECK(parts[2] == "last");
      CHECK(seq > previous_seq);
      if (seq != previous_seq + 1) gap = true;
      previous_seq = seq;
      ++received;
    }
    REQUIRE_MESSAGE(marker, "the subscriber did not rejoin within " << eventually.count() << " ms");
    MESSAGE("received " << received << " of " << n << " messages");
    CHECK((gap || received < n));  // data was lost (it could not all fit anywhere)
    CHECK(log.count_containing("data lost past the recovery window") > 0);
  }
}
