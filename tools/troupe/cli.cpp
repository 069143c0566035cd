// `troupe`: dispatch of the commands; errors become messages and exit codes.
#include "cli.hpp"

#include "options.hpp"
#include "run.hpp"

#include <troupe/actors/dot.hpp>
#include <troupe/actors/graph_file.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/context.hpp>

#include <cstdio>
#include <iostream>

namespace troupe::cli {

namespace {

namespace ta = troupe::actors;

void list_types(const ta::registry& types) {
  const auto names = types.names();
  if (names.empty()) std::puts("(no actor types are linked into this program)");
  for (const std::string& n : names) {
    const ta::actor_type& t = types.find(n);
    std::string ins, outs;
    for (const ta::port_spec& p : t.ports) {
      std::string& list = ta::is_input(p.kind) ? ins : outs;
      list += (list.empty() ? "" : ", ") + p.name + " (" + std::string(ta::to_string(p.kind)) +
              (p.options.required ? "" : ", optional") + ")";
    }
    std::printf("%s  [%s]  in: %s  out: %s\n", n.c_str(), t.style == ta::actor_style::fiber ? "fiber" : "handler",
                ins.empty() ? "-" : ins.c_str(), outs.empty() ? "-" : outs.c_str());
  }
}

int run_command(const options& o, const ta::registry& types) {
  const ta::graph_description d = ta::graph_file::load(o.graph_file);
  framework::runtime rt;
  messaging::context ctx(rt);
  int code = 0;
  {
    ta::graph g(ctx, d.name, types);
    ta::graph_file::build(g, d);
    const bool runs = o.cmd == options::command::run || o.run_graph;
    if (runs) {
      switch (run_graph(g, o)) {
        case run_result::finished: code = 0; break;
        case run_result::failed: code = 1; break;
        case run_result::interrupted: code = 130; break;
      }
    }
    if (o.cmd == options::command::graph) std::cout << ta::to_dot(g, {.counts = o.run_graph}) << std::flush;
  }
  return code;
}

}  // namespace

int main(int argc, char** argv, const ta::registry& types) {
  options o;
  try {
    o = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 2;
  }
  try {
    switch (o.cmd) {
      case options::command::help: std::fputs(usage_text(), stdout); return 0;
      case options::command::version: std::puts("troupe " TROUPE_VERSION); return 0;
      case options::command::types: list_types(types); return 0;
      case options::command::run:
      case options::command::graph: return run_command(o, types);
    }
  } catch (const ta::graph_error& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "troupe: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace troupe::cli
