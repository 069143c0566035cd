// The troupe tool's parts that need no process: its command line and its progress line.
#include "actors_support.hpp"

#include "options.hpp"
#include "progress.hpp"

using namespace troupe_test;
namespace cli = troupe::cli;

namespace {

std::string usage_error_of(std::vector<std::string> args) {
  try {
    cli::parse_options(args);
  } catch (const cli::usage_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("the command line is parsed into a command and its options") {
    const cli::options o = cli::parse_options({"run", "g.json", "--timeout", "1.5", "--counters-json", "c.json", "--no-progress"});
    CHECK(o.cmd == cli::options::command::run);
    CHECK(o.graph_file == "g.json");
    REQUIRE(o.timeout);
    CHECK(*o.timeout == std::chrono::milliseconds(1500));
    CHECK(o.counters_json == "c.json");
    CHECK(o.progress == cli::options::progress_mode::off);
    const cli::options d = cli::parse_options({"graph", "g.json", "--run", "--duration", "2"});
    CHECK(d.cmd == cli::options::command::graph);
    CHECK(d.run_graph);
    CHECK(*d.duration == std::chrono::seconds(2));
    CHECK(cli::parse_options({"run", "g.json", "--help"}).cmd == cli::options::command::help);
  }

  TEST_CASE("command line mistakes are usage errors naming the argument") {
    CHECK(contains(usage_error_of({"walk"}), "unknown command 'walk'"));
    CHECK(contains(usage_error_of({"run"}), "'run' needs a graph file"));
    CHECK(contains(usage_error_of({"run", "a.json", "b.json"}), "unexpected argument 'b.json'"));
    CHECK(contains(usage_error_of({"run", "a.json", "--timeout"}), "--timeout needs a value"));
    CHECK(contains(usage_error_of({"run", "a.json", "--timeout", "-1"}), "not '-1'"));
    CHECK(contains(usage_error_of({"graph", "a.json", "--counters-json", "x"}), "need 'run' or 'graph --run'"));
    CHECK(contains(usage_error_of({"run", "a.json", "--timeout", "1", "--duration", "1"}), "exclude each other"));
  }

  TEST_CASE("--node and --place are gathered in order for run and graph and status") {
    const cli::options o = cli::parse_options({"run", "g.json", "--node", "a=ipc:///tmp/n-a", "--place", "read=a",
                                               "--node", "b=tcp://10.77.0.2:5700", "--place", "tokenize=a,b,a"});
    REQUIRE(o.placement.nodes.size() == 2);
    CHECK(o.placement.nodes[0].name == "a");
    CHECK(o.placement.nodes[0].control == "ipc:///tmp/n-a");
    CHECK(o.placement.nodes[1].control == "tcp://10.77.0.2:5700");
    REQUIRE(o.placement.actors.size() == 2);
    CHECK(o.placement.actors[0].actor == "read");
    CHECK(o.placement.actors[0].nodes == std::vector<std::string>{"a"});
    CHECK(o.placement.actors[1].nodes == std::vector<std::string>{"a", "b", "a"});
    CHECK(cli::parse_options({"graph", "g.json", "--place", "x=a"}).placement.actors.size() == 1);
    CHECK(cli::parse_options({"status", "g.json", "--node", "a=ipc:///x"}).placement.nodes.size() == 1);
    CHECK(cli::parse_options({"run", "g.json"}).placement.empty());
  }

  TEST_CASE("malformed --node and --place entries are usage errors naming the entry") {
    CHECK(contains(usage_error_of({"run", "g.json", "--place", "read"}), "--place takes ACTOR=NODE or POOL=NODE,NODE,..., not 'read'"));
    CHECK(contains(usage_error_of({"run", "g.json", "--place", "=a"}), "not '=a'"));
    CHECK(contains(usage_error_of({"run", "g.json", "--place", "read="}), "not 'read='"));
    CHECK(contains(usage_error_of({"run", "g.json", "--place", "pool=a,,b"}), "--place pool=a,,b: an empty node name in 'a,,b'"));
    CHECK(contains(usage_error_of({"run", "g.json", "--place", "pool=a,"}), "an empty node name"));
    CHECK(contains(usage_error_of({"run", "g.json", "--node", "a"}), "--node takes NAME=ENDPOINT, not 'a'"));
    CHECK(contains(usage_error_of({"run", "g.json", "--node", "a=udp://x:1"}),
                   "--node a=udp://x:1: the control endpoint must be ipc://PATH or tcp://HOST:PORT, not 'udp://x:1'"));
    CHECK(contains(usage_error_of({"run", "g.json", "--place"}), "--place needs a value"));
    CHECK(contains(usage_error_of({"run", "g.json", "--node", "a b=ipc:///x"}), "--node a b=ipc:///x: a node name has no"));
    CHECK(contains(usage_error_of({"node", "--name", "a", "--listen", "ipc:///x", "--place", "r=a"}), "unknown option '--place' for 'node'"));
  }

  TEST_CASE("stage rates group replicas and a source shows its output rate and percent") {
    const nlohmann::json before = {
        {"src", {{"in", 0}, {"out", 100}, {"progress", {{"done", 100}, {"total", 1000}}}}},
        {"w[0]", {{"in", 40}, {"out", 40}}},
        {"w[1]", {{"in", 60}, {"out", 60}}},
    };
    const nlohmann::json after = {
        {"src", {{"in", 0}, {"out", 300}, {"progress", {{"done", 300}, {"total", 1000}}}}},
        {"w[0]", {{"in", 140}, {"out", 140}}},
        {"w[1]", {{"in", 160}, {"out", 160}}},
    };
    const auto rates = cli::stage_rates(before, after, 2.0, {"src", "w[0]", "w[1]"});
    REQUIRE(rates.size() == 2);
    CHECK(rates[0].stage == "src");
    CHECK(rates[0].per_second == doctest::Approx(100));
    REQUIRE(rates[0].percent);
    CHECK(*rates[0].percent == doctest::Approx(30));
    CHECK(rates[1].stage == "w");
    CHECK(rates[1].replicas == 2);
    CHECK(rates[1].per_second == doctest::Approx(100));
    CHECK_FALSE(rates[1].percent);
    const std::string line = cli::progress_line(1.5, rates, 200);
    CHECK(line == "1.5s src 30% 100/s | w x2 100/s");
    CHECK(cli::progress_line(1.5, rates, 10).size() == 9);
  }
}
