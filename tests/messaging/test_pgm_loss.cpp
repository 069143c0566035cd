// epgm with injected loss (issue #7), across network namespaces (root only): a tc BPF
// classifier (pgm_loss.bpf.c) on a subscriber host's ingress drops a share of the publisher's
// original data packets (ODATA), and either lets repairs (RDATA) through — PGM must then
// deliver everything, whole and in order — or drops every repair too, so that each loss is
// past recovery: the receiver must reset that publisher, rejoin at the next message start and
// never deliver part of a multipart message. Loss is counted by the kernel (the clsact
// qdisc's drop count), so each test also shows that loss really happened.

#include "pgm_support.hpp"

#include <unistd.h>

#include <string>
#include <vector>

using namespace troupe_test;
namespace msg = troupe::messaging;

namespace {

/// The BPF object of a loss variant built beside the tests (tests/messaging/CMakeLists.txt),
/// or why there is none.
std::string loss_object(const std::string& variant, std::string& why_not) {
#ifdef TROUPE_PGM_LOSS_BPF
  const std::string path = std::string(TROUPE_PGM_LOSS_BPF) + "/pgm_loss_" + variant + ".bpf.o";
  if (::access(path.c_str(), R_OK) == 0) return path;
  why_not = "the BPF loss injector " + path + " was not built";
#else
  (void)variant;
  why_not = "no clang to build the BPF loss injector (clang -target bpf)";
#endif
  return {};
}

/// Message i of a test: three parts whose content says which message they belong to.
std::vector<std::string> numbered(const std::string& tag, int i, const std::string& big) {
  return {tag, std::to_string(i), std::to_string(i) + ":" + big};
}

/// Checks that `parts` is message i of numbered(tag, ., big) for some i, whole; returns i.
int whole_numbered(const std::vector<std::string>& parts, const std::string& tag, const std::string& big) {
  REQUIRE(parts.size() == 3);
  REQUIRE(parts[0] == tag);
  const int i = std::stoi(parts[1]);
  CHECK(parts[2] == std::to_string(i) + ":" + big);
  return i;
}

}  // namespace

TEST_SUITE("pgm") {
  TEST_CASE("epgm with 20% of data packets dropped on two subscriber hosts: PGM repairs all of it") {
    std::string why_not;
    const std::string object = loss_object("odata20", why_not);
    if (object.empty()) {
      MESSAGE("SKIPPED: " << why_not);
      return;
    }
    netns_lab lab(3);
    if (!lab.ready()) {
      MESSAGE("SKIPPED: " << lab.why_not());
      return;
    }
    msg::context ctx;
    const std::string group_port = fresh_group_port();
    msg::socket pub = lab_pub(ctx, lab, 0, group_port);
    std::vector<msg::socket> subs;
    for (int i = 1; i <= 2; ++i) subs.push_back(lab_sub(ctx, lab, i, group_port));
    warm_up_all(pub, subs);
    // From here on a fifth of the original data packets never reach hosts 1 and 2.
    lab.inject_loss(1, object);
    lab.inject_loss(2, object);
    const std::string big = patterned(3000);  // some three packets a message
    constexpr int n = 200;
    for (int i = 0; i < n; ++i) send_parts(pub, numbered("seq", i, big));
    REQUIRE(pub.send("end"));
    for (std::size_t k = 0; k < subs.size(); ++k) {
      CAPTURE(k);
      for (int i = 0; i < n; ++i) {
        CAPTURE(i);
        CHECK(whole_numbered(recv_parts(subs[k]), "seq", big) == i);
      }
      const msg::message end = recv_within(subs[k]);
      CHECK(end.view() == "end");  // nothing twice, nothing extra
    }
    // Every packet dropped was an original data packet of these messages (the classifier drops
    // nothing else, and only since the warm-up), and every message arrived: repaired (RDATA).
    const long dropped1 = lab.dropped(1), dropped2 = lab.dropped(2);
    MESSAGE("data packets dropped: " << dropped1 << " on host 1, " << dropped2 << " on host 2");
    CHECK(dropped1 > 0);
    CHECK(dropped2 > 0);
  }

  TEST_CASE("epgm with data packets dropped and every repair dropped: reset - whole messages only - then it goes on") {
    std::string why_not;
    const std::string object = loss_object("odata20_norepair", why_not);
    if (object.empty()) {
      MESSAGE("SKIPPED: " << why_not);
      return;
    }
    netns_lab lab(2);
    if (!lab.ready()) {
      MESSAGE("SKIPPED: " << lab.why_not());
      return;
    }
    log_capture log;
    msg::context ctx;
    const std::string group_port = fresh_group_port();
    // A short window (RATE x RECOVERY_IVL: some 400 packets) that moves on soon after a loss:
    // the receiver learns from the window's trailing edge that what it lacks is gone.
    msg::socket pub = lab_pub(ctx, lab, 0, group_port, 50000, 100);
    std::vector<msg::socket> subs;
    subs.push_back(lab_sub(ctx, lab, 1, group_port));
    msg::socket& sub = subs[0];
    warm_up_all(pub, subs);
    lab.inject_loss(1, object);
    const std::string big = patterned(3000);
    constexpr int n = 400;
    for (int i = 0; i < n; ++i) send_parts(pub, numbered("seq", i, big));
    // Read whole messages in increasing order until a marker arrives. While the subscriber
    // waits for data it lacks, markers (a packet each) move the publisher's window on, which
    // is what turns the last losses into resets.
    const std::string marker = "marker" + std::string(1400, '.');
    int previous = -1, received = 0;
    bool gap = false, marked = false;
    for (const auto until = steady::now() + eventually; !marked && steady::now() < until;) {
      sub.set(msg::option::rcvtimeo, 20);  // recv_parts() leaves it at -1
      msg::message m;
      if (!sub.recv(m)) {
        for (int k = 0; k < 20; ++k) REQUIRE(pub.send(marker));
        continue;
      }
      if (m.view() == marker) {
        CHECK_FALSE(m.more());
        marked = true;
        continue;
      }
      REQUIRE(m.view() == "seq");
      REQUIRE(m.more());
      std::vector<std::string> parts{m.str()};
      for (auto& p : recv_parts(sub)) parts.push_back(std::move(p));
      const int i = whole_numbered(parts, "seq", big);
      CHECK(i > previous);
      gap = gap || i != previous + 1;
      previous = i;
      ++received;
    }
    REQUIRE_MESSAGE(marked, "the subscriber did not get past the loss within " << eventually.count() << " ms");
    const long dropped = lab.dropped(1);
    MESSAGE("received " << received << " of " << n << " messages whole; " << dropped << " data packets dropped");
    CHECK(dropped > 0);
    CHECK((gap || previous < n - 1));  // messages were lost...
    CHECK(received > 0);                // ...not all of them
    CHECK(log.count_containing("data lost past the recovery window") > 0);
    // Without the loss the stream goes on: every message after it arrives, whole and in order.
    lab.stop_loss(1);
    constexpr int m_after = 30;
    for (int i = 0; i < m_after; ++i) send_parts(pub, numbered("after", i, big));
    int next = 0;
    for (const auto until = steady::now() + eventually; next < m_after && steady::now() < until;) {
      const msg::message first = recv_within(sub);
      if (first.view() == marker) continue;  // the rest of the markers
      REQUIRE(first.more());
      std::vector<std::string> parts{first.str()};
      for (auto& p : recv_parts(sub)) parts.push_back(std::move(p));
      CHECK(whole_numbered(parts, "after", big) == next);
      ++next;
    }
    CHECK(next == m_after);
  }
}
