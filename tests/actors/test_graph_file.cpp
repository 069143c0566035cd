// Graph files: the position map, each loader error at its line and field, a JSON graph that
// runs as its C++ twin does, and DOT with the link counts of a run.
#include "actors_support.hpp"
#include "test_actor_library.hpp"

#include <troupe/actors/dot.hpp>
#include <troupe/actors/graph_file.hpp>

#include <fstream>
#include <sstream>

using namespace troupe_test;

namespace {

/// The graph_file_error that loading (and building) `text` gives.
struct file_error {
  std::string what;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string pointer;
};

file_error error_in(const std::string& text) {
  fixture f;
  ta::registry types;
  troupe_register_test_actors(types);
  try {
    const ta::graph_description d = ta::graph_file::parse(text, "t.json");
    ta::graph g(f.ctx, d.name, types);
    ta::graph_file::build(g, d);
  } catch (const ta::graph_file_error& e) {
    return {e.what(), e.where.line, e.where.column, e.pointer};
  }
  return {};
}

/// A valid two-actor graph with `actors_extra` appended to the second actor's object and
/// `links` as the links array; the second actor's object is on line 5.
std::string graph_text(const std::string& sink_extra = "", const std::string& links = R"([{"from": "src.out", "to": "sink.in"}])") {
  return "{\n"
         "  \"version\": 1, \"name\": \"t\",\n"
         "  \"actors\": [\n"
         "    {\"name\": \"src\", \"type\": \"test.numbers\", \"params\": {\"count\": 3}},\n"
         "    {\"name\": \"sink\", \"type\": \"test.sum\"" + sink_extra + "}\n"
         "  ],\n"
         "  \"links\": " + links + "\n"
         "}\n";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_SUITE("graph_file") {
  TEST_CASE("the source map gives the line and column of values and keys by JSON pointer") {
    const std::string text = "{\n  \"a\": [1, {\"b/c\": \"x\"}],\n  \"d~\": {\"\\u00e9\": true}\n}";
    const ta::json_source_map m(text);
    CHECK(m.value("").line == 1);
    CHECK(m.value("/a").line == 2);
    CHECK(m.value("/a").column == 8);
    CHECK(m.value("/a/0").column == 9);
    CHECK(m.value("/a/1").column == 12);
    CHECK(m.value("/a/1/b~1c").column == 20);
    CHECK(m.key("/a/1/b~1c").column == 13);
    CHECK(m.key("/d~0").line == 3);
    CHECK(m.value("/d~0/\xC3\xA9").column == 20);
    // A missing member: the nearest ancestor.
    CHECK(m.value("/a/1/nope").column == 12);
    CHECK(m.duplicate_keys().empty());
    const ta::json_source_map dup("{\"k\": 1,\n \"k\": 2}");
    REQUIRE(dup.duplicate_keys().size() == 1);
    CHECK(dup.key("/k").line == 2);
    // Columns count characters, not bytes.
    CHECK(ta::json_source_map::at_offset("\xC3\xA9\xC3\xA9x", 4).column == 3);
  }

  TEST_CASE("a valid file loads with every field") {
    const ta::graph_description d = ta::graph_file::parse(read_file(TROUPE_TEST_GRAPHS "/squares.json"), "squares.json");
    CHECK(d.name == "squares");
    REQUIRE(d.actors.size() == 6);
    CHECK(d.actors[1].options.replicas == 3);
    CHECK(d.actors[1].options.batch == 16);
    CHECK(d.actors[0].options.params["count"] == 1000);
    CHECK(d.actors[4].options.policy.max_restarts == 2);
    CHECK(d.actors[4].options.policy.window == std::chrono::milliseconds(1000));
    REQUIRE(d.links.size() == 4);
    CHECK(d.links[2].topics == std::vector<std::string>{"even"});
  }

  TEST_CASE("a JSON syntax error names the line and column") {
    const file_error e = error_in("{\n  \"version\": 1,\n  \"name\": \"t\" \"actors\": []\n}");
    CHECK(e.line == 3);
    CHECK(e.column == 15);
    CHECK(contains(e.what, "t.json:3:15: JSON syntax error"));
  }

  TEST_CASE("an unknown actor type names the line and the type field") {
    const file_error e = error_in(graph_text().replace(graph_text().find("test.sum"), 8, "test.summ"));
    CHECK(e.line == 5);
    CHECK(e.pointer == "/actors/1/type");
    CHECK(contains(e.what, "t.json:5:"));
    CHECK(contains(e.what, "unknown actor type 'test.summ' (registered: "));
  }

  TEST_CASE("an unknown port names the line and the link end") {
    const file_error e = error_in(graph_text("", "[\n    {\"from\": \"src.out\", \"to\": \"sink.inn\"}\n  ]"));
    CHECK(e.line == 8);
    CHECK(e.pointer == "/links/0/to");
    CHECK(contains(e.what, "actor 'sink' (type 'test.sum') has no port 'inn'; its ports: in (pull)"));
  }

  TEST_CASE("a PUSH output to a SUB input is refused at the link") {
    const std::string text = "{\"version\": 1, \"name\": \"t\", \"actors\": [\n"
                             " {\"name\": \"src\", \"type\": \"test.numbers\"},\n"
                             " {\"name\": \"subs\", \"type\": \"test.sum_sub\"}],\n"
                             " \"links\": [\n"
                             "  {\"from\": \"src.out\", \"to\": \"subs.in\"}]}";
    const file_error e = error_in(text);
    CHECK(e.line == 5);
    CHECK(e.pointer == "/links/0");
    CHECK(contains(e.what, "PUSH output to a SUB input"));
  }

  TEST_CASE("other kind mismatches are refused at the link end") {
    file_error e = error_in(graph_text("", "[{\"from\": \"sink.in\", \"to\": \"src.out\"}]"));
    CHECK(e.line == 7);
    CHECK(e.pointer == "/links/0/from");
    CHECK(contains(e.what, "'sink.in' is an input port (pull); a link starts at an output"));
    e = error_in(graph_text("", "[{\"from\": \"src.out\", \"to\": \"sink.in\", \"topics\": [\"a\"]}]"));
    CHECK(e.pointer == "/links/0/topics");
    CHECK(contains(e.what, "topics need a PUB output"));
  }

  TEST_CASE("a duplicate actor name names the second and where the first is") {
    const file_error e = error_in(graph_text().replace(graph_text().find("\"sink\""), 6, "\"src\""));
    CHECK(e.line == 5);
    CHECK(e.pointer == "/actors/1/name");
    CHECK(contains(e.what, "duplicate actor name 'src' (first at line 4, /actors/0)"));
  }

  TEST_CASE("a missing field names its object's line and the field") {
    const std::string text = graph_text();
    const file_error e = error_in(text.substr(0, text.find("\"type\": \"test.sum\"")) + "\"batch\": 2" +
                                  text.substr(text.find("\"test.sum\"") + 10));
    CHECK(e.line == 5);
    CHECK(e.pointer == "/actors/1/type");
    CHECK(contains(e.what, "missing field 'type'"));
  }

  TEST_CASE("an ill-typed field names its line and column and the type it must have") {
    file_error e = error_in(graph_text(", \"replicas\": \"2\""));
    CHECK(e.line == 5);
    CHECK(e.column == 54);
    CHECK(e.pointer == "/actors/1/replicas");
    CHECK(contains(e.what, "'replicas' must be an integer, not a string \"2\""));
    e = error_in(graph_text(", \"replicas\": 0"));
    CHECK(contains(e.what, "'replicas' must be between 1 and 100000, not 0"));
    e = error_in(graph_text(", \"supervision\": {\"on_failure\": \"retry\"}"));
    CHECK(e.pointer == "/actors/1/supervision/on_failure");
    CHECK(contains(e.what, "must be \"restart\" or \"stop\", not \"retry\""));
  }

  TEST_CASE("an unknown key names its line and column") {
    const file_error e = error_in(graph_text(", \"nod\": \"a\""));
    CHECK(e.line == 5);
    CHECK(e.column == 42);
    CHECK(e.pointer == "/actors/1/nod");
    CHECK(contains(e.what, "unknown key 'nod' (expected one of: name, type, params, replicas, batch, supervision, node, nodes"));
    // x- keys are annotations: no error.
    CHECK(error_in(graph_text(", \"x-note\": \"a\"")).what.empty());
  }

  TEST_CASE("a duplicate key in one object is an error at the second") {
    const file_error e = error_in(graph_text(", \"type\": \"test.sum\""));
    CHECK(e.line == 5);
    CHECK(e.pointer == "/actors/1/type");
    CHECK(contains(e.what, "duplicate key 'type'"));
  }

  TEST_CASE("a required port left unconnected names the actor's line") {
    const file_error e = error_in(graph_text("", "[]"));
    CHECK(e.line == 4);
    CHECK(e.pointer == "/actors/0");
    CHECK(contains(e.what, "required output port 'src.out' is not connected"));
  }

  TEST_CASE("a link to an unknown actor or replica names the link end") {
    file_error e = error_in(graph_text("", "[{\"from\": \"ghost.out\", \"to\": \"sink.in\"}]"));
    CHECK(e.pointer == "/links/0/from");
    CHECK(contains(e.what, "unknown actor 'ghost'"));
    e = error_in(graph_text(", \"replicas\": 2", "[{\"from\": \"src.out\", \"to\": \"sink[2].in\"}]"));
    CHECK(e.pointer == "/links/0/to");
    CHECK(contains(e.what, "'sink' has 2 replicas ('sink[0]' .. 'sink[1]')"));
  }

  TEST_CASE("a file version newer than this troupe is refused") {
    const file_error e = error_in("{\"version\": 2, \"name\": \"t\", \"actors\": []}");
    CHECK(e.pointer == "/version");
    CHECK(contains(e.what, "version 2 is newer than this troupe reads (1)"));
  }

  TEST_CASE("a file that cannot be read is named") {
    const std::string what = error_of([] { ta::graph_file::load("/nonexistent/graph.json"); });
    CHECK(contains(what, "/nonexistent/graph.json: cannot open the file"));
  }
}

namespace {

struct run_results {
  sink_result squares, evens, odds;
  std::vector<ta::link_info> links;
  nlohmann::json counters;
};

run_results run_and_collect(ta::graph& g) {
  g.start();
  const ta::stop_report r = g.wait(eventually);
  REQUIRE(r.ok());
  return {result_of("squares"), result_of("evens"), result_of("odds"), g.links(), g.counters()};
}

}  // namespace

TEST_SUITE("graph_file") {
  TEST_CASE("a graph loaded from JSON runs as the same graph built in C++") {
    ta::registry types;
    troupe_register_test_actors(types);
    run_results from_json, from_cpp;
    {
      fixture f;
      clear_results();
      const ta::graph_description d = ta::graph_file::load(TROUPE_TEST_GRAPHS "/squares.json");
      ta::graph g(f.ctx, d.name, types);
      ta::graph_file::build(g, d);
      from_json = run_and_collect(g);
    }
    {
      fixture f;
      clear_results();
      ta::graph g(f.ctx, "squares", types);
      g.spawn("numbers", "test.numbers", {.params = {{"count", 1000}}});
      g.spawn("square", "test.square", {.replicas = 3, .batch = 16});
      g.spawn("sum", "test.sum", {.params = {{"key", "squares"}}});
      g.spawn("parity", "test.parity", {.params = {{"count", 100}}});
      g.spawn("evens", "test.sum_sub", {.params = {{"key", "evens"}}});
      g.spawn("odds", "test.sum_sub", {.params = {{"key", "odds"}}});
      g.connect("numbers.out", "square.in");
      g.connect("square.out", "sum.in");
      g.subscribe("parity.out", "evens.in", {"even"});
      g.subscribe("parity.out", "odds.in", {"odd"});
      from_cpp = run_and_collect(g);
    }
    CHECK(from_json.squares.messages == 1000);
    CHECK(from_json.squares.sum == 332833500);  // sum of i*i for i < 1000
    CHECK(from_json.evens.messages == 50);
    CHECK(from_json.evens.sum == 2450);
    CHECK(from_json.odds.sum == 2500);
    CHECK(from_cpp.squares.sum == from_json.squares.sum);
    CHECK(from_cpp.evens.sum == from_json.evens.sum);
    CHECK(from_cpp.odds.sum == from_json.odds.sum);
    REQUIRE(from_cpp.links.size() == from_json.links.size());
    for (std::size_t i = 0; i < from_cpp.links.size(); ++i) {
      CHECK(from_cpp.links[i].from == from_json.links[i].from);
      CHECK(from_cpp.links[i].to == from_json.links[i].to);
    }
    CHECK(from_json.counters["numbers"]["progress"]["done"] == 1000);
    CHECK(from_json.counters["numbers"]["progress"]["total"] == 1000);
  }

  TEST_CASE("link counts tell apart the links into one input and DOT shows them") {
    fixture f;
    clear_results();
    ta::registry types;
    troupe_register_test_actors(types);
    const ta::graph_description d = ta::graph_file::load(TROUPE_TEST_GRAPHS "/squares.json");
    ta::graph g(f.ctx, d.name, types);
    ta::graph_file::build(g, d);
    const std::string shape = ta::to_dot(g, {.counts = false});
    CHECK(contains(shape, "\"square[1]\" -> \"sum\" [label=\"out -> in\"];"));
    const run_results r = run_and_collect(g);
    std::uint64_t into_sum = 0, from_numbers = 0;
    for (const ta::link_info& l : r.links) {
      if (l.to == "sum.in") {
        // Three links into one input: each counts what its replica sent, not the input's total.
        const std::string sender = l.from.substr(0, l.from.find('.'));
        CHECK(l.messages == r.counters[sender]["out"].get<std::uint64_t>());
        into_sum += l.messages;
      }
      if (l.from == "numbers.out") {
        CHECK(l.messages == r.counters[l.to.substr(0, l.to.find('.'))]["in"].get<std::uint64_t>());
        from_numbers += l.messages;
      }
      if (l.to == "evens.in" || l.to == "odds.in") CHECK(l.messages == 50);
    }
    CHECK(into_sum == 1000);
    CHECK(from_numbers == 1000);
    const std::string dot = ta::to_dot(g);
    CHECK(contains(dot, "digraph \"squares\" {"));
    CHECK(contains(dot, "\"parity\" -> \"evens\" [label=\"out -> in\\ntopics: 'even'\\n50 msgs\"];"));
    for (const ta::link_info& l : r.links) {
      if (l.to != "sum.in") continue;
      CHECK(contains(dot, "\"" + l.from.substr(0, l.from.find('.')) + "\" -> \"sum\" [label=\"out -> in\\n" +
                              std::to_string(l.messages) + " msgs\"];"));
    }
  }
}

namespace {

/// Sends params.count ints, then idles until the graph stops it.
struct burst_then_idle : ta::fiber_actor {
  static void ports(ta::port_list& p) { p.output("out"); }
  void run() override {
    const long long n = params().value("count", 0LL);
    for (long long i = 0; i < n; ++i)
      if (!out("out").send_value(i)) return;
    while (!stopping())
      if (!sleep_for(std::chrono::milliseconds(5))) return;
  }
};

}  // namespace

TEST_SUITE("graph_file") {
  TEST_CASE("link counts are refreshed while the graph runs") {
    fixture f;
    clear_results();
    ta::registry types;
    troupe_register_test_actors(types);
    types.add<burst_then_idle>("test.burst");
    ta::graph g(f.ctx, "live", types);
    g.spawn("a", "test.burst", {.params = {{"count", 30}}});
    g.spawn("b", "test.burst", {.params = {{"count", 12}}});
    g.spawn("sum", "test.sum", {.params = {{"key", "live"}}});
    g.connect("a.out", "sum.in");
    g.connect("b.out", "sum.in");
    g.start();
    // The sources stay running, so the sink does too: its counts come from refreshes that
    // links() asks for, not from its finish.
    CHECK(wait_until([&] {
      const auto links = g.links();
      return links.size() == 2 && links[0].messages == 30 && links[1].messages == 12;
    }));
    CHECK(g.counters()["sum"]["state"] == "running");
    CHECK(g.stop(ta::stop_mode::drain, eventually).ok());
    CHECK(result_of("live").messages == 42);
  }
}
