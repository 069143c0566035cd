// Graphs across processes, in one process: two graphs linked by expose()/connect_remote()
// over ipc and tcp (each stream ends exactly when its counted messages were read), the
// placement fields of graph files and their errors, and the transport each link gets.
#include "actors_support.hpp"
#include "test_actor_library.hpp"

#include <troupe/actors/graph_file.hpp>
#include <troupe/actors/placement.hpp>

#include <unistd.h>

using namespace troupe_test;

namespace {

parse_error parse_error_of(const std::string& text) { return troupe_test::parse_error_of(text, "p.json"); }

/// A two-actor graph with nodes; `a_extra`/`b_extra` go into the actors' objects, `nodes`
/// is the "nodes" member (or "" for none). The second actor is on line 3.
std::string placed(const std::string& a_extra, const std::string& b_extra,
                   const std::string& nodes = R"("nodes": [{"name": "a", "control": "ipc:///tmp/x-a"}, {"name": "b", "control": "tcp://10.0.0.2:7000"}],)") {
  return "{\"version\": 1, \"name\": \"t\", " + nodes + "\n"
         "  \"actors\": [{\"name\": \"src\", \"type\": \"test.numbers\"" + a_extra + "},\n"
         "    {\"name\": \"sink\", \"type\": \"test.sum\", \"replicas\": 2" + b_extra + "}],\n"
         "  \"links\": [{\"from\": \"src.out\", \"to\": \"sink.in\"}]\n"
         "}\n";
}

std::string unique_ipc(const std::string& what) { return "ipc:///tmp/troupe-unit-" + std::to_string(::getpid()) + "-" + what; }

}  // namespace

TEST_SUITE("distributed") {
  TEST_CASE("a stream from another graph over ipc ends once every counted message was read") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    clear_results();
    const long long n = 20000;
    ta::graph up(f.ctx, "up", types);
    up.spawn("numbers", "test.numbers", {.params = {{"count", n}}});
    up.spawn("square", "test.square", {.replicas = 2});
    up.connect("numbers.out", "square.in");
    const std::string e0 = up.expose("square[0].out", unique_ipc("sq0"), 0);
    const std::string e1 = up.expose("square[1].out", unique_ipc("sq1"), 0);
    CHECK(e0 == unique_ipc("sq0"));
    CHECK(contains(error_of([&] { up.expose("square.out", unique_ipc("sq2"), 0); }), "names a pool"));
    CHECK(contains(error_of([&] { up.expose("numbers.nope", unique_ipc("sq2"), 0); }), "has no port 'nope'"));

    ta::graph down(f.ctx, "down", types);
    down.spawn("sum", "test.sum", {.params = {{"key", "remote_squares"}}});
    down.connect_remote("square[0].out", e0, "sum.in", {});
    down.connect_remote("square[1].out", e1, "sum.in", {});
    // What a coordinator relays: each upstream's counts, to the graph its links end in.
    std::atomic<int> told{0};
    up.on_actor_finished([&](const std::string& actor, const ta::graph::sent_counts& sent) {
      if (actor.starts_with("square")) {
        CHECK(sent.size() == 1);
        down.remote_finished(actor, sent);
        ++told;
      }
    });
    std::string waiting;
    CHECK(wait_until([&] { return up.remote_ready(waiting); }));
    down.start();
    up.start();
    CHECK(up.wait(eventually).ok());
    const ta::stop_report r = down.wait(eventually);
    CHECK(r.ok());
    CHECK(told == 2);
    const sink_result s = result_of("remote_squares");
    CHECK(s.messages == n);
    long long squares = 0;
    for (long long i = 0; i < n; ++i) squares += i * i;
    CHECK(s.sum == squares);
    // Each remote link counted by its receiver, as local ones are.
    std::uint64_t linked = 0;
    for (const ta::link_info& l : down.links()) linked += l.messages;
    CHECK(linked == static_cast<std::uint64_t>(n));
  }

  TEST_CASE("a remote PUB link over tcp waits for the subscription before start and keeps to its topic") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    clear_results();
    ta::graph up(f.ctx, "pub", types);
    up.spawn("parity", "test.parity", {.params = {{"count", 1000}}});
    up.spawn("odds", "test.sum_sub", {.params = {{"key", "local_odds"}}});
    up.subscribe("parity.out", "odds.in", {"odd"});
    const std::string ep = up.expose("parity.out", "tcp://127.0.0.1:*", 1);
    CHECK(ep.starts_with("tcp://127.0.0.1:"));
    CHECK(!ep.ends_with(":*"));
    std::string waiting;
    CHECK(!up.remote_ready(waiting));  // nobody connected yet
    CHECK(contains(waiting, "parity.out"));

    ta::graph down(f.ctx, "sub", types);
    down.spawn("evens", "test.sum_sub", {.params = {{"key", "remote_evens"}}});
    down.connect_remote("parity.out", ep, "evens.in", {"even"});
    up.on_actor_finished([&](const std::string& actor, const ta::graph::sent_counts& sent) { down.remote_finished(actor, sent); });
    CHECK(wait_until([&] { return up.remote_ready(waiting); }));
    down.start();
    up.start();
    CHECK(up.wait(eventually).ok());
    CHECK(down.wait(eventually).ok());
    CHECK(result_of("remote_evens").messages == 500);
    CHECK(result_of("local_odds").messages == 500);
    long long evens = 0;
    for (long long i = 0; i < 1000; i += 2) evens += i;
    CHECK(result_of("remote_evens").sum == evens);
  }

  TEST_CASE("a remote upstream that never reports keeps the stream open until a stop") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    ta::graph down(f.ctx, "orphan", types);
    down.spawn("sum", "test.sum", {.params = {{"key", "orphan"}}});
    down.connect_remote("ghost.out", unique_ipc("ghost"), "sum.in", {});
    down.start();
    CHECK(down.wait(std::chrono::milliseconds(50)).timed_out);
    down.remote_finished("someone.else", {});  // not its upstream: ignored
    CHECK(down.wait(std::chrono::milliseconds(50)).timed_out);
    down.remote_finished("ghost", {});  // sent nothing: the stream ends
    CHECK(down.wait(eventually).ok());
  }

  TEST_CASE("placement fields are read per actor and per replica") {
    const ta::graph_description d = ta::graph_file::parse(placed(R"(, "node": "a")", R"(, "nodes": ["a", "b"])"), "p.json");
    REQUIRE(d.distributed());
    CHECK(d.nodes.size() == 2);
    CHECK(d.actors[0].placement == std::vector<std::string>{"a"});
    CHECK(d.actors[1].placement == std::vector<std::string>{"a", "b"});
    CHECK(ta::host_of(d.nodes[0]) == "localhost");
    CHECK(ta::host_of(d.nodes[1]) == "10.0.0.2");
    // Without "nodes", nothing is placed: one process, as before.
    CHECK(!ta::graph_file::parse(placed("", "", ""), "p.json").distributed());
  }

  TEST_CASE("placement errors name the file line and the field") {
    parse_error e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "z")"));
    CHECK(e.line == 3);
    CHECK(e.pointer == "/actors/1/node");
    CHECK(contains(e.what, "p.json:3:"));
    CHECK(contains(e.what, "unknown node 'z' (\"nodes\" lists: a, b)"));
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "nodes": ["a", "q"])"));
    CHECK(e.pointer == "/actors/1/nodes/1");
    CHECK(contains(e.what, "unknown node 'q'"));
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "nodes": ["a"])"));
    CHECK(e.pointer == "/actors/1/nodes");
    CHECK(contains(e.what, "2 expected, not 1"));
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "a", "nodes": ["a", "b"])"));
    CHECK(contains(e.what, "either 'node'"));
    e = parse_error_of(placed("", R"(, "node": "a")"));
    CHECK(e.pointer == "/actors/0");
    CHECK(contains(e.what, "actor 'src' has no \"node\""));
    e = parse_error_of(placed("", R"(, "node": "a")", ""));
    CHECK(e.pointer == "/actors/1/node");
    CHECK(contains(e.what, "lists no \"nodes\""));
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "a")", R"("nodes": [{"name": "a", "control": "udp://x"}],)"));
    CHECK(e.pointer == "/nodes/0/control");
    CHECK(contains(e.what, "must be an ipc:// or tcp:// endpoint, not \"udp://x\""));
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "a")",
                              R"("nodes": [{"name": "a", "control": "ipc:///a"}, {"name": "a", "control": "ipc:///b"}],)"));
    CHECK(e.pointer == "/nodes/1/name");
    CHECK(contains(e.what, "duplicate node name 'a'"));
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "a")", R"("nodes": [],)"));
    CHECK(e.pointer == "/nodes");
  }

  TEST_CASE("on_node_lost is read and its errors name the field") {
    const std::string nodes = R"("nodes": [{"name": "a", "control": "ipc:///tmp/x-a"}, {"name": "b", "control": "ipc:///tmp/x-b"}],)";
    const ta::graph_description d = ta::graph_file::parse(placed(R"(, "node": "a")", R"(, "node": "b")", nodes + R"( "on_node_lost": "stop",)"), "p.json");
    CHECK(d.on_node_lost == ta::graph_description::node_loss_policy::stop);
    CHECK(ta::graph_file::parse(placed(R"(, "node": "a")", R"(, "node": "b")", nodes), "p.json").on_node_lost ==
          ta::graph_description::node_loss_policy::stop);
    parse_error e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "b")", nodes + R"( "on_node_lost": "retry",)"));
    CHECK(e.line == 1);
    CHECK(e.pointer == "/on_node_lost");
    CHECK(contains(e.what, "p.json:1:"));
    CHECK(contains(e.what, "'on_node_lost' must be \"stop\" or \"restart\", not \"retry\""));
    CHECK(ta::graph_file::parse(placed(R"(, "node": "a")", R"(, "node": "b")", nodes + R"( "on_node_lost": "restart",)"), "p.json").on_node_lost ==
          ta::graph_description::node_loss_policy::restart);
    e = parse_error_of(placed(R"(, "node": "a")", R"(, "node": "b")", nodes + R"( "on_node_lost": 1,)"));
    CHECK(contains(e.what, "'on_node_lost' must be a string, not"));
    e = parse_error_of(placed("", "", R"("on_node_lost": "stop",)"));
    CHECK(e.pointer == "/on_node_lost");
    CHECK(contains(e.what, "'on_node_lost' is for graphs with \"nodes\""));
  }

  TEST_CASE("each link gets inproc on one node and ipc on one host and tcp across hosts or when forced") {
    const std::string text = placed(R"(, "node": "a")", R"(, "nodes": ["a", "b"])",
                                    R"("nodes": [{"name": "a", "control": "ipc:///tmp/x-a"}, {"name": "b", "control": "tcp://127.0.0.1:7000"}],)");
    const ta::graph_description d = ta::graph_file::parse(text, "p.json");
    ta::placement_plan p = ta::plan_placement(d, false);
    REQUIRE(p.links.size() == 2);
    CHECK(p.links[0].to == "sink[0].in");
    CHECK(p.links[0].transport == "inproc");
    CHECK(!p.links[0].remote());
    CHECK(p.links[1].to == "sink[1].in");
    CHECK(p.links[1].transport == "ipc");
    CHECK(p.links[1].from_node == "a");
    CHECK(p.links[1].to_node == "b");
    CHECK(p.node_of.at("sink[1]") == "b");
    CHECK(ta::data_endpoint(d, p.links[1], "r1") == "ipc:///tmp/troupe-r1-1.ipc");
    p = ta::plan_placement(d, true);
    CHECK(p.links[1].transport == "tcp");
    CHECK(ta::data_endpoint(d, p.links[1], "r1") == "tcp://127.0.0.1:*");
    // Another host: tcp, bound on the sending node's host.
    const ta::graph_description far = ta::graph_file::parse(placed(R"(, "node": "b")", R"(, "nodes": ["a", "b"])"), "p.json");
    p = ta::plan_placement(far, false);
    CHECK(p.links[0].transport == "tcp");
    CHECK(ta::data_endpoint(far, p.links[0], "r1") == "tcp://10.0.0.2:*");
    CHECK(p.links[1].transport == "inproc");
  }

  TEST_CASE("relocate moves a lost node's actors into a part of their own with new link generations") {
    // src on a, sink[0] on a, sink[1] on b (another host): b is lost and sink[1] restarts on a.
    const std::string text = placed(R"(, "node": "a")", R"(, "nodes": ["a", "b"])");
    const ta::graph_description d = ta::graph_file::parse(text, "p.json");
    ta::placement_plan p = ta::plan_placement(d, false);
    REQUIRE(p.links[1].transport == "tcp");
    ta::relocate(p, d, {{"sink[1]", "a"}}, 1, false);
    CHECK(p.node_of.at("sink[1]") == "a");
    CHECK(p.part("sink[1]") == 1);
    CHECK(p.part("sink[0]") == 0);
    // The moved link: same node, another part, so still remote, over inproc, a new name.
    CHECK(p.links[1].to_node == "a");
    CHECK(p.links[1].to_part == 1);
    CHECK(p.links[1].from_part == 0);
    CHECK(p.links[1].transport == "inproc");
    CHECK(p.links[1].remote());
    CHECK(p.links[1].gen == 1);
    CHECK(ta::data_endpoint(d, p.links[1], "r1") == "inproc://troupe-r1-1-g1");
    // The other link did not move.
    CHECK(p.links[0].gen == 0);
    CHECK(!p.links[0].remote());
    // Moved again (its node lost in turn): generation 2, to b over tcp (b's host).
    ta::relocate(p, d, {{"sink[1]", "b"}}, 2, false);
    CHECK(p.links[1].transport == "tcp");
    CHECK(p.links[1].gen == 2);
    CHECK(p.links[1].to_part == 2);
    // Both ends moved together: one part, inproc inside it, not remote.
    ta::relocate(p, d, {{"src", "b"}, {"sink[0]", "b"}}, 3, false);
    CHECK(!p.links[0].remote());
    CHECK(p.links[0].transport == "inproc");
    CHECK(p.links[1].remote());  // sink[1] is in part 2 of b, src in part 3
    CHECK(p.links[1].transport == "inproc");
    CHECK_THROWS_WITH_AS(ta::relocate(p, d, {{"nobody", "a"}}, 4, false), doctest::Contains("no such actor"), ta::graph_error);
    CHECK_THROWS_WITH_AS(ta::relocate(p, d, {{"src", "z"}}, 4, false), doctest::Contains("node 'z'"), ta::graph_error);
  }

  TEST_CASE("placement from the command line overrides the file and adds nodes") {
    // A file without placement, spread by --node and --place alone.
    const std::string bare = placed("", "", "");
    const ta::graph_description d = ta::graph_file::parse(bare, "p.json");
    ta::placement_overrides o;
    o.nodes = {{"a", "ipc:///tmp/x-a"}, {"b", "tcp://10.0.0.2:7000"}};
    o.actors = {{"src", {"b"}}, {"sink", {"a", "b"}}};
    ta::graph_description m = ta::graph_file::parse(ta::graph_file::with_placement(bare, d, o), "m.json");
    REQUIRE(m.distributed());
    CHECK(m.nodes.size() == 2);
    CHECK(m.nodes[1].control == "tcp://10.0.0.2:7000");
    CHECK(m.actors[0].placement == std::vector<std::string>{"b"});
    CHECK(m.actors[1].placement == std::vector<std::string>{"a", "b"});
    CHECK(ta::plan_placement(m, false).links[0].transport == "tcp");
    // Over a placed file: a --node replaces that node's endpoint, a --place the actor's
    // "node"/"nodes" (one node: every replica); the rest is the file's.
    const std::string file = placed(R"(, "node": "a")", R"(, "nodes": ["a", "b"])");
    const ta::graph_description f = ta::graph_file::parse(file, "p.json");
    o.nodes = {{"b", "ipc:///tmp/x-b"}, {"c", "ipc:///tmp/x-c"}};
    o.actors = {{"sink", {"c"}}};
    m = ta::graph_file::parse(ta::graph_file::with_placement(file, f, o), "m.json");
    REQUIRE(m.nodes.size() == 3);
    CHECK(m.nodes[1].control == "ipc:///tmp/x-b");
    CHECK(m.nodes[2].name == "c");
    CHECK(m.actors[0].placement == std::vector<std::string>{"a"});
    CHECK(m.actors[1].placement == std::vector<std::string>{"c", "c"});
    CHECK(ta::plan_placement(m, false).links[0].transport == "ipc");
    // Nothing given: the same graph.
    m = ta::graph_file::parse(ta::graph_file::with_placement(file, f, {}), "m.json");
    CHECK(m.actors[1].placement == f.actors[1].placement);
    CHECK(m.nodes.size() == 2);
  }

  TEST_CASE("one replica of a pool is placed on its own from the command line") {
    const std::string bare = placed("", "", "");
    const ta::graph_description d = ta::graph_file::parse(bare, "p.json");
    ta::placement_overrides o;
    o.nodes = {{"a", "ipc:///tmp/x-a"}, {"b", "ipc:///tmp/x-b"}};
    // The pool whole on a, then one replica on b.
    o.actors = {{"sink[1]", {"b"}}, {"src", {"a"}}, {"sink", {"a"}}};
    ta::graph_description m = ta::graph_file::parse(ta::graph_file::with_placement(bare, d, o), "m.json");
    ta::placement_plan p = ta::plan_placement(m, false);
    CHECK(p.node_of.at("sink[0]") == "a");
    CHECK(p.node_of.at("sink[1]") == "b");
    // Each replica on its own, the pool having no node.
    o.actors = {{"src", {"a"}}, {"sink[0]", {"b"}}, {"sink[1]", {"a"}}};
    m = ta::graph_file::parse(ta::graph_file::with_placement(bare, d, o), "m.json");
    p = ta::plan_placement(m, false);
    CHECK(p.node_of.at("sink[0]") == "b");
    CHECK(p.node_of.at("sink[1]") == "a");
  }

  TEST_CASE("placement errors from the command line name the entry and the bad value") {
    const std::string bare = placed("", "", "");
    const ta::graph_description d = ta::graph_file::parse(bare, "p.json");
    const auto error_of = [&](const ta::placement_overrides& o) -> std::string {
      try {
        ta::graph_file::with_placement(bare, d, o);
      } catch (const ta::graph_error& e) {
        return e.what();
      }
      return "";
    };
    const std::vector<ta::placement_overrides::node_entry> ab = {{"a", "ipc:///tmp/x-a"}, {"b", "ipc:///tmp/x-b"}};
    CHECK(error_of({ab, {{"nope", {"a"}}}}) == "--place nope=a: the graph has no actor 'nope' (actors: src, sink)");
    CHECK(error_of({ab, {{"src", {"a"}}, {"sink[1]", {"a"}}}}) ==
          "--place sink[i]: replicas of 'sink' without a node: sink[0] (give --place sink=NODE for the pool, or each replica)");
    CHECK(error_of({ab, {{"src", {"a"}}, {"sink[2]", {"a"}}}}) ==
          "--place sink[2]=a: 'sink[2]' is not a replica of 'sink', which has 2 (sink[0] .. sink[1])");
    CHECK(contains(error_of({ab, {{"src", {"a"}}, {"sink[x]", {"a"}}}}), "'sink[x]' is not a replica of 'sink'"));
    CHECK(contains(error_of({ab, {{"src", {"a"}}, {"nope[0]", {"a"}}}}), "--place nope[0]=a: the graph has no actor 'nope'"));
    CHECK(contains(error_of({ab, {{"src", {"a"}}, {"sink[0]", {"a", "b"}}}}), "a replica runs on one node, not 2"));
    CHECK(contains(error_of({ab, {{"src", {"a"}}, {"sink", {"a"}}, {"sink[0]", {"b"}}, {"sink[0]", {"a"}}}}),
                   "replica 'sink[0]' is placed twice"));
    CHECK(error_of({ab, {{"src", {"z"}}}}) == "--place src=z: unknown node 'z' (nodes: a, b)");
    CHECK(contains(error_of({{}, {{"src", {"a"}}}}), "--place src=a: unknown node 'a' (the graph lists no nodes; give them with --node"));
    CHECK(error_of({ab, {{"src", {"a"}}, {"sink", {"a", "b", "a"}}}}) ==
          "--place sink=a,b,a: 'sink' has 2 replicas; give one node for all or one per replica (2), not 3");
    CHECK(contains(error_of({ab, {{"src", {"a", "b"}}}}), "'src' has 1 replica; give one node for it, not 2"));
    CHECK(error_of({ab, {{"src", {"a"}}}}) == "actor 'sink' has no node: give --place sink=NODE (nodes: a, b)");
    CHECK(contains(error_of({ab, {{"src", {"a"}}, {"src", {"b"}}}}), "--place src=b: actor 'src' is placed twice"));
    CHECK(contains(error_of({{{"a", "ipc:///1"}, {"a", "ipc:///2"}}, {}}), "--node a=ipc:///2: node 'a' is given twice"));
    CHECK(error_of({ab, {{"src", {"a"}}, {"sink", {"b"}}}}).empty());
  }

  TEST_CASE("a node builds only its part of the graph") {
    fixture f;
    ta::registry types;
    troupe_register_test_actors(types);
    const ta::graph_description d = ta::graph_file::parse(placed(R"(, "node": "a")", R"(, "nodes": ["b", "a"])"), "p.json");
    const ta::placement_plan p = ta::plan_placement(d, false);
    ta::graph a(f.ctx, "t", types);
    ta::graph_file::build_part(a, d, p, "a");
    CHECK(a.actors() == std::vector<std::string>{"src", "sink[1]"});
    ta::graph b(f.ctx, "t2", types);
    ta::graph_file::build_part(b, d, p, "b");
    CHECK(b.actors() == std::vector<std::string>{"sink[0]"});
    CHECK(b.unlinked_ports() == std::vector<std::string>{"sink[0].in"});  // its link comes from node a
  }
}
