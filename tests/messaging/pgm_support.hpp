#pragma once
// Helpers of the pgm/epgm tests (test_pgm.cpp, test_pgm_loss.cpp): a multicast group of the
// test's own, a subscriber with a large enough receive window, a warm-up until the first
// multicast arrives, and several "hosts" (network namespaces on a bridge, root only) with loss
// injected on a host's ingress by a tc BPF classifier.

#include "interop_support.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace troupe_test {

/// epgm://127.0.0.1;239.193.x.y:port (OpenPGM refuses lo by name: it lacks the MULTICAST flag), unique per process and call.
inline std::string fresh_group(const char* scheme = "epgm") {
  static std::atomic<int> counter{0};
  const int n = counter.fetch_add(1);
  const int pid = static_cast<int>(::getpid());
  const int port = 20000 + (pid * 37 + n * 101) % 30000;
  return std::string(scheme) + "://127.0.0.1;239.193." + std::to_string(pid % 250 + 1) + "." + std::to_string(n % 250 + 1) +
         ":" + std::to_string(port);
}

/// A SUB on `ep` taking `prefix`. Its RATE is set too: a subscriber's receive window is its own
/// RATE x RECOVERY_IVL (as in libzmq), some 80 packets at the default 100 kbit/s.
inline msg::socket group_sub(msg::context& ctx, const std::string& ep, const std::string& prefix) {
  msg::socket sub(ctx, msg::socket_type::sub);
  sub.set(msg::option::rate, 100000);
  sub.set(msg::option::subscribe, prefix);
  sub.connect(ep);
  return sub;
}

/// Publishes "warm-up" (with `topic` in front) until `sub` receives one, within `bound`.
inline void warm_up(msg::socket& pub, msg::socket& sub, const std::string& topic = "") {
  const auto deadline = steady::now() + eventually;
  sub.set(msg::option::rcvtimeo, 20);
  msg::message m;
  bool got = false;
  while (!got && steady::now() < deadline) {
    REQUIRE(pub.send(topic + "warm-up"));
    got = sub.recv(m);
  }
  REQUIRE_MESSAGE(got, "no multicast arrived within " << eventually.count() << " ms");
  // Drain the other warm-ups still on their way: they are all whole single parts.
  while (sub.recv(m)) REQUIRE(m.view() == topic + "warm-up");
  sub.set(msg::option::rcvtimeo, -1);
}

/// Runs a shell command quietly; its exit status.
inline int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

/// `hosts` namespaces, each with eth0 (10.213.<net>.<i+1>/24) on one bridge; removed at the end.
class netns_lab {
public:
  // Names differ per lab, not only per process: a namespace just deleted may still hold its
  // veth for a moment, and the next lab's must not collide with it.
  explicit netns_lab(int hosts)
      : prefix_("tp" + std::to_string(::getpid() % 100000) + static_cast<char>('a' + serial() % 26)),
        net_(::getpid() % 200 + 20) {
    if (::geteuid() != 0) {
      why_ = "not root: creating network namespaces needs CAP_SYS_ADMIN";
      return;
    }
    if (run("ip link add " + bridge() + " type bridge") != 0) {
      why_ = "cannot create a bridge (ip link add type bridge failed)";
      return;
    }
    made_bridge_ = true;
    run("ip link set " + bridge() + " type bridge mcast_snooping 0");
    run("ip link set " + bridge() + " up");
    for (int i = 0; i < hosts; ++i) {
      const std::string ns = host(i), veth = prefix_ + "v" + std::to_string(i);
      if (run("ip netns add " + ns) != 0) {
        why_ = "cannot create network namespace " + ns;
        return;
      }
      ++made_hosts_;
      if (run("ip link add " + veth + " type veth peer name eth0 netns " + ns) != 0 ||
          run("ip link set " + veth + " master " + bridge()) != 0 || run("ip link set " + veth + " up") != 0 ||
          run("ip -n " + ns + " addr add " + address(i) + "/24 dev eth0") != 0 ||
          run("ip -n " + ns + " link set eth0 up") != 0 || run("ip -n " + ns + " link set lo up") != 0) {
        why_ = "cannot wire " + ns + " to the bridge";
        return;
      }
    }
  }
  ~netns_lab() {
    for (int i = 0; i < made_hosts_; ++i) run("ip netns del " + host(i));
    if (made_bridge_) run("ip link del " + bridge());
  }
  netns_lab(const netns_lab&) = delete;
  netns_lab& operator=(const netns_lab&) = delete;

  bool ready() const { return why_.empty(); }
  const std::string& why_not() const { return why_; }
  std::string host(int i) const { return prefix_ + "h" + std::to_string(i); }
  std::string address(int i) const { return "10.213." + std::to_string(net_) + "." + std::to_string(i + 1); }
  std::string bridge() const { return prefix_ + "br"; }

  /// Loads the tc BPF classifier in `object` (section "classifier", direct action) on host i's
  /// eth0 ingress: what it drops never reaches host i. The test fails if tc refuses.
  void inject_loss(int i, const std::string& object) const {
    REQUIRE_MESSAGE(run("tc -n " + host(i) + " qdisc add dev eth0 clsact") == 0, "tc: no clsact qdisc on " << host(i));
    REQUIRE_MESSAGE(run("tc -n " + host(i) + " filter add dev eth0 ingress bpf direct-action obj " + object + " sec classifier") == 0,
                    "tc refused the BPF classifier " << object);
  }
  /// Removes the loss injected on host i.
  void stop_loss(int i) const { REQUIRE(run("tc -n " + host(i) + " qdisc del dev eth0 clsact") == 0); }
  /// Packets the classifier on host i has dropped so far: the drop count of its clsact qdisc.
  long dropped(int i) const {
    std::string out;
    if (FILE* f = ::popen(("tc -n " + host(i) + " -s qdisc show dev eth0").c_str(), "r")) {
      char buf[512];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
      ::pclose(f);
    }
    const std::size_t qdisc = out.find("qdisc clsact");
    const std::size_t at = qdisc == std::string::npos ? qdisc : out.find("dropped ", qdisc);
    REQUIRE_MESSAGE(at != std::string::npos, "no clsact drop count on " << host(i) << ": " << out);
    return std::stol(out.substr(at + 8));
  }

  /// Runs `fn` on a thread inside host i's network namespace (what it opens stays there).
  template <class F>
  void in_host(int i, F&& fn) const {
    std::string failure;
    std::thread t([&] {
      const std::string path = "/var/run/netns/" + host(i);
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        failure = "cannot enter " + path;
        if (fd >= 0) ::close(fd);
        return;
      }
      ::close(fd);
      try {
        fn();
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
    t.join();
    REQUIRE_MESSAGE(failure.empty(), failure);
  }

private:
  static int serial() {
    static std::atomic<int> n{0};
    return n.fetch_add(1);
  }

  std::string prefix_;
  int net_;
  std::string why_;
  bool made_bridge_ = false;
  int made_hosts_ = 0;
};

/// The group and port part of a fresh epgm endpoint ("239.193.x.y:port"), for the lab's hosts.
inline std::string fresh_group_port() { return fresh_group().substr(std::string("epgm://127.0.0.1;").size()); }

/// A PUB on `group_port` from host i of `lab` at `rate` kbit/s keeping `recovery_ivl` ms of
/// data for repairs, not hearing its own multicast, its queue unbounded (SNDHWM 0: nothing is
/// dropped before the wire).
inline msg::socket lab_pub(msg::context& ctx, const netns_lab& lab, int i, const std::string& group_port, int rate = 50000,
                           int recovery_ivl = 10000) {
  msg::socket pub(ctx, msg::socket_type::pub);
  pub.set(msg::option::rate, rate);
  pub.set(msg::option::recovery_ivl, recovery_ivl);
  pub.set(msg::option::multicast_loop, 0);
  pub.set(msg::option::sndhwm, 0);
  lab.in_host(i, [&] { pub.connect("epgm://" + lab.address(i) + ";" + group_port); });
  return pub;
}

/// A SUB taking everything on `group_port` from host i of `lab` (its socket lives there).
inline msg::socket lab_sub(msg::context& ctx, const netns_lab& lab, int i, const std::string& group_port) {
  msg::socket sub(ctx, msg::socket_type::sub);
  sub.set(msg::option::rate, 100000);  // a SUB's receive window is its own RATE x RECOVERY_IVL
  sub.set(msg::option::subscribe, "");
  lab.in_host(i, [&] { sub.connect("epgm://" + lab.address(i) + ";" + group_port); });
  return sub;
}

/// Publishes "warm-up" until every one of `subs` has received one (within `eventually`), then
/// drains the warm-ups still on their way.
inline void warm_up_all(msg::socket& pub, std::vector<msg::socket>& subs) {
  std::vector<bool> heard(subs.size(), false);
  for (auto& s : subs) s.set(msg::option::rcvtimeo, 20);
  const auto deadline = steady::now() + eventually;
  while (std::count(heard.begin(), heard.end(), false) > 0 && steady::now() < deadline) {
    REQUIRE(pub.send("warm-up"));
    for (std::size_t k = 0; k < subs.size(); ++k) {
      msg::message m;
      while (subs[k].recv(m, msg::flags::dontwait)) heard[k] = true;
    }
    msg::message m;
    if (subs[0].recv(m)) heard[0] = true;  // a bounded pause (RCVTIMEO) between rounds
  }
  REQUIRE_MESSAGE(std::count(heard.begin(), heard.end(), false) == 0, "not every host heard the publisher");
  for (auto& s : subs) {
    msg::message m;
    s.set(msg::option::rcvtimeo, 300);
    while (s.recv(m)) REQUIRE(m.view() == "warm-up");
    s.set(msg::option::rcvtimeo, -1);
  }
}

}  // namespace troupe_test
