// Multicast links of distributed graphs (issue #7's last item, #6): the "multicast" field of a
// link and "interface" of a node (accepted, and refused naming the line and the field), the
// placement (epgm between nodes, inproc on one, one group per sending output), and streams
// over epgm between two graphs of this process: ending at the sender's count, which counts
// what the receiver's topic filter dropped, or, when loss keeps the count short, after the
// silence rule, with the loss logged.
#include "actors_support.hpp"
#include "test_actor_library.hpp"

#include <troupe/actors/graph_file.hpp>
#include <troupe/actors/placement.hpp>

#include <unistd.h>

#include <atomic>

using namespace troupe_test;

namespace {

parse_error parse_error_of(const std::string& text) { return troupe_test::parse_error_of(text, "m.json"); }

/// parity (PUB, `replicas` of them on `parity_nodes`) to evens on b and odds on c (each over
/// a link with `evens_mc` / `odds_mc` as "multicast", "" for none) and local_odds on a. Links
/// are on lines 8, 9 and 10.
std::string mgraph(const std::string& evens_mc, const std::string& odds_mc, const std::string& parity_nodes = R"("node": "a")",
                   const std::string& node_c = R"(, "interface": "10.1.2.3")") {
  auto mc = [](const std::string& m) { return m.empty() ? std::string() : ", \"multicast\": " + m; };
  return "{\"version\": 1, \"name\": \"m\",\n"
         "  \"nodes\": [{\"name\": \"a\", \"control\": \"ipc:///tmp/m-a\"}, {\"name\": \"b\", \"control\": \"ipc:///tmp/m-b\"},\n"
         "    {\"name\": \"c\", \"control\": \"tcp://10.0.0.3:7000\"" + node_c + "}],\n"
         "  \"actors\": [{\"name\": \"parity\", \"type\": \"test.parity\", " + parity_nodes + "},\n"
         "    {\"name\": \"evens\", \"type\": \"test.sum_sub\", \"node\": \"b\"}, {\"name\": \"odds\", \"type\": \"test.sum_sub\", \"node\": \"c\"},\n"
         "    {\"name\": \"local_odds\", \"type\": \"test.sum_sub\", \"node\": \"a\"}],\n"
         "  \"links\": [\n"
         "    {\"from\": \"parity.out\", \"to\": \"evens.in\", \"topics\": [\"even\"]" + mc(evens_mc) + "},\n"
         "    {\"from\": \"parity.out\", \"to\": \"odds.in\", \"topics\": [\"odd\"]" + mc(odds_mc) + "},\n"
         "    {\"from\": \"parity.out\", \"to\": \"local_odds.in\", \"topics\": [\"odd\"]" + mc(odds_mc) + "}]\n"
         "}\n";
}

/// An epgm group and port of this test process's own (tests run in parallel).
std::string fresh_epgm() {
  static std::atomic<int> counter{0};
  const int n = counter.fetch_add(1);
  const int pid = static_cast<int>(::getpid());
  return "epgm://127.0.0.1;239.194." + std::to_string(pid % 250 + 1) + "." + std::to_string(n % 250 + 1) + ":" +
         std::to_string(20000 + (pid * 37 + n * 101) % 30000);
}

}  // namespace

TEST_SUITE("multicast") {
  TEST_CASE("the multicast field of a link and the interface of a node are read") {
    const ta::graph_description d = ta::graph_file::parse(mgraph("true", R"({"group": "239.1.2.3", "port": 9000, "rate": 5000, "recovery_ivl": 300})"), "m.json");
    REQUIRE(d.links[0].multicast);
    CHECK(d.links[0].multicast->group == "239.192.0.1");
    CHECK(d.links[0].multicast->port == 0);
    CHECK(d.links[0].multicast->rate == 100000);
    CHECK(d.links[0].multicast->recovery_ivl == 2000);
    CHECK(d.links[0].multicast->pointer == "/links/0/multicast");
    REQUIRE(d.links[1].multicast);
    CHECK(d.links[1].multicast->group == "239.1.2.3");
    CHECK(d.links[1].multicast->port == 9000);
    CHECK(d.links[1].multicast->rate == 5000);
    CHECK(d.links[1].multicast->recovery_ivl == 300);
    CHECK(d.nodes[2].interface == "10.1.2.3");
    CHECK(d.nodes[0].interface.empty());
    CHECK(!ta::graph_file::parse(mgraph("false", ""), "m.json").links[0].multicast);
    CHECK(ta::graph_file::parse(mgraph(R"({"group": "ff15::1"})", ""), "m.json").links[0].multicast->group == "ff15::1");
  }

  TEST_CASE("multicast and interface errors name the line and the field and the value") {
    parse_error e = parse_error_of(mgraph("3", ""));
    CHECK(e.line == 8);
    CHECK(e.pointer == "/links/0/multicast");
    CHECK(contains(e.what, "m.json:8:"));
    CHECK(contains(e.what, "'multicast' must be true or an object (group, port, rate, recovery_ivl), not an integer 3"));
    e = parse_error_of(mgraph("", R"({"group": "10.0.0.1"})"));
    CHECK(e.line == 9);
    CHECK(e.pointer == "/links/1/multicast/group");
    CHECK(contains(e.what, "must be a multicast address (IPv4 224.0.0.0/4, e.g. 239.192.0.1, or IPv6 ff00::/8), not \"10.0.0.1\""));
    e = parse_error_of(mgraph(R"({"port": 70000})", ""));
    CHECK(e.pointer == "/links/0/multicast/port");
    CHECK(contains(e.what, "'port' must be between 1 and 65535, not 70000"));
    e = parse_error_of(mgraph(R"({"rate": 0})", ""));
    CHECK(e.pointer == "/links/0/multicast/rate");
    e = parse_error_of(mgraph(R"({"recovery_ivl": "2s"})", ""));
    CHECK(e.pointer == "/links/0/multicast/recovery_ivl");
    CHECK(contains(e.what, "'recovery_ivl' must be an integer, not a string \"2s\""));
    e = parse_error_of(mgraph(R"({"ttl": 2})", ""));
    CHECK(e.pointer == "/links/0/multicast/ttl");
    CHECK(contains(e.what, "unknown key 'ttl'"));
    e = parse_error_of(mgraph("", "", R"("node": "a")", R"(, "interface": "eth0;x")"));
    CHECK(e.line == 3);
    CHECK(e.pointer == "/nodes/2/interface");
    CHECK(contains(e.what, "not \"eth0;x\""));
  }

  TEST_CASE("multicast carries PUB to SUB links only and the error names the field") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    const std::string text = "{\"version\": 1, \"name\": \"p\",\n"
                             "  \"actors\": [{\"name\": \"n\", \"type\": \"test.numbers\"}, {\"name\": \"s\", \"type\": \"test.sum\"}],\n"
                             "  \"links\": [{\"from\": \"n.out\", \"to\": \"s.in\", \"multicast\": true}]}\n";
    const ta::graph_description d = ta::graph_file::parse(text, "p.json");
    ta::graph g(f.ctx, "p", types);
    const std::string e = error_of([&] { ta::graph_file::build(g, d); });
    CHECK(contains(e, "p.json:3:"));
    CHECK(contains(e, "/links/0/multicast: multicast carries PUB -> SUB links only, and 'n.out' is a push output"));
    // A node's part is checked the same way (its links to other nodes included).
    fixture f2;
    const ta::graph_description dm = ta::graph_file::parse(mgraph("true", ""), "m.json");
    ta::graph part(f2.ctx, "m", types);
    CHECK(error_of([&] { ta::graph_file::build_part(part, dm, ta::plan_placement(dm, false), "b"); }).empty());
  }

  TEST_CASE("placement gives epgm between nodes and inproc on one node and one group per sending output") {
    const ta::graph_description d = ta::graph_file::parse(mgraph("true", "true", R"("replicas": 2, "nodes": ["a", "a"])"), "m.json");
    const ta::placement_plan p = ta::plan_placement(d, false);
    REQUIRE(p.links.size() == 6);  // 2 senders x 3 links
    for (const ta::placed_link& l : p.links) {
      CAPTURE(l.from + " -> " + l.to);
      REQUIRE(l.multicast);
      CHECK(l.multicast->group == "239.192.0.1");
      CHECK(l.multicast->rate == 100000);
      CHECK(l.multicast->recovery_ivl == 2000);
      // One group per sending output: parity[0].out on the base port, parity[1].out next.
      CHECK(l.multicast->port == (l.from == "parity[0].out" ? 7500 : 7501));
      CHECK(l.transport == (l.to == "local_odds.in" ? "inproc" : "epgm"));
    }
    const ta::placed_link& to_c = p.links[2];  // links are expanded sender by sender
    REQUIRE(to_c.from == "parity[0].out");
    REQUIRE(to_c.to == "odds.in");
    CHECK(ta::transport_text(to_c) == "epgm 239.192.0.1:7500");
    // Each end on its own node's interface: c's "interface", a's host (ipc: this host).
    CHECK(ta::multicast_endpoint(d, to_c, "c") == "epgm://10.1.2.3;239.192.0.1:7500");
    CHECK(ta::multicast_endpoint(d, to_c, "a") == "epgm://127.0.0.1;239.192.0.1:7500");
    // Without an "interface": the host of the control endpoint.
    const ta::graph_description h = ta::graph_file::parse(mgraph("true", "", R"("node": "a")", ""), "m.json");
    CHECK(ta::interface_of(h.nodes[2]) == "10.0.0.3");
    // Not marked: as before (ipc on one host, tcp across).
    const ta::placement_plan plain = ta::plan_placement(ta::graph_file::parse(mgraph("", ""), "m.json"), false);
    CHECK(plain.links[0].transport == "ipc");
    CHECK(plain.links[1].transport == "tcp");
    CHECK(!plain.links[1].multicast);
    // An explicit port is the first sending output's; the next replica takes the next port.
    const ta::graph_description x = ta::graph_file::parse(
        mgraph(R"({"group": "239.5.5.5", "port": 9000})", R"({"group": "239.5.5.5", "port": 9000})", R"("replicas": 2, "nodes": ["a", "b"])"),
        "m.json");
    const ta::placement_plan px = ta::plan_placement(x, false);
    CHECK(px.links[0].multicast->port == 9000);
    CHECK(px.links[1].from == "parity[1].out");
    CHECK(px.links[1].multicast->port == 9001);
    CHECK(px.links[1].transport == "inproc");  // parity[1] and evens are both on b
    CHECK(px.links[3].transport == "epgm");    // parity[1] on b, odds on c
  }

  TEST_CASE("placement refuses two groups for one output and one group for two outputs") {
    const ta::graph_description d = ta::graph_file::parse(mgraph("true", R"({"port": 7600})"), "m.json");
    std::string e = error_of([&] { ta::plan_placement(d, false); });
    CHECK(contains(e, "m.json:9:"));
    CHECK(contains(e, "/links/1/multicast: output 'parity.out' has its multicast group from /links/0/multicast already"));
    const ta::graph_description two = ta::graph_file::parse(
        mgraph(R"({"port": 7600})", R"({"port": 7600})", R"("replicas": 2, "nodes": ["a", "b"])"), "m.json");
    CHECK(error_of([&] { ta::plan_placement(two, false); }).empty());
    // parity[1] would get 7601 from a link at 7600; a second sender at 7601 collides.
    const std::string text = "{\"version\": 1, \"name\": \"m\",\n"
                             "  \"nodes\": [{\"name\": \"a\", \"control\": \"ipc:///tmp/m-a\"}, {\"name\": \"b\", \"control\": \"ipc:///tmp/m-b\"}],\n"
                             "  \"actors\": [{\"name\": \"p\", \"type\": \"test.parity\", \"replicas\": 2, \"node\": \"a\"},\n"
                             "    {\"name\": \"q\", \"type\": \"test.parity\", \"node\": \"a\"},\n"
                             "    {\"name\": \"s\", \"type\": \"test.sum_sub\", \"node\": \"b\"}],\n"
                             "  \"links\": [{\"from\": \"p.out\", \"to\": \"s.in\", \"multicast\": {\"port\": 7600}},\n"
                             "    {\"from\": \"q.out\", \"to\": \"s.in\", \"multicast\": {\"port\": 7601}}]}\n";
    e = error_of([&] { ta::plan_placement(ta::graph_file::parse(text, "m.json"), false); });
    CHECK(contains(e, "m.json:7:"));
    CHECK(contains(e, "output 'q.out' would get group 239.192.0.1:7601, which output 'p[1].out' has (/links/0/multicast)"));
  }

  TEST_CASE("a multicast stream ends at the sender's count which includes what the topic filter dropped") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    clear_results();
    const std::string ep = fresh_epgm();
    const ta::remote_link_options o{.rate = 100000, .recovery_ivl = 2000};
    // As a node does: the receiver joins first ("connect"), the sender at its start.
    ta::graph down(f.ctx, "down", types);
    down.spawn("evens", "test.sum_sub", {.params = {{"key", "mc_evens"}}});
    down.connect_remote("parity.out", ep, "evens.in", {"even"}, o);
    ta::graph up(f.ctx, "up", types);
    up.spawn("parity", "test.parity", {.params = {{"count", 2000}}});
    std::atomic<std::uint64_t> sent{0};
    up.on_actor_finished([&](const std::string& actor, const ta::graph::sent_counts& s) {
      auto it = s.find(ep);
      if (it != s.end()) sent = it->second;
      down.remote_finished(actor, {{ep, it == s.end() ? 0 : it->second}});
    });
    CHECK(up.expose("parity.out", ep, 0, o) == ep);
    down.start();
    up.start();
    CHECK(up.wait(eventually).ok());
    CHECK(down.wait(eventually).ok());
    CHECK(sent == 2000);  // every message: a publisher does not filter over multicast
    CHECK(result_of("mc_evens").messages == 1000);
    long long evens = 0;
    for (long long i = 0; i < 2000; i += 2) evens += i;
    CHECK(result_of("mc_evens").sum == evens);
  }

  TEST_CASE("a multicast stream whose count loss keeps short ends after the silence rule and logs the loss") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    clear_results();
    log_capture logs;
    const std::string ep = fresh_epgm();
    ta::graph down(f.ctx, "down", types);
    down.spawn("evens", "test.sum_sub", {.params = {{"key", "mc_lost"}}});
    down.connect_remote("parity.out", ep, "evens.in", {"even"}, {.rate = 100000, .recovery_ivl = 50});
    down.start();
    // The sender says it sent 7 messages; none arrives (as if all were lost past repair).
    const auto t0 = std::chrono::steady_clock::now();
    down.remote_finished("parity", {{ep, 7}});
    // The silence rule: max(RECOVERY_IVL, 20 s: what an OpenPGM receiver may still deliver
    // after a gap) + 1 s, so not before 21 s; the bound is that plus `eventually`.
    CHECK(down.wait(std::chrono::seconds(21) + eventually).ok());
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(21000));
    CHECK(logs.count_containing("multicast link parity -> evens.in (" + ep + "): 7 of 7 messages lost") == 1);
    CHECK(result_of("mc_lost").messages == 0);
  }
}
