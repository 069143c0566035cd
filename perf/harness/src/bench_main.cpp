#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace troupe::perf {
namespace {

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool selected(const comparison& c, const options& o) {
  if (o.filters.empty()) return true;
  for (const auto& f : o.filters)
    if (c.name.find(f) != std::string::npos) return true;
  return false;
}

}  // namespace

int bench_main(int argc, char** argv, const std::string& suite_name, const suite_factory& make) {
  internal::parsed_options parsed;
  try {
    parsed = internal::parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << suite_name << ": " << e.what() << '\n';
    return 1;
  }
  if (parsed.help) {
    internal::print_usage(std::cout, argv[0]);
    return 0;
  }
  const options& o = parsed.opts;
  std::vector<comparison> suite;
  try {
    suite = make(o);
  } catch (const std::exception& e) {
    std::cerr << suite_name << ": cannot build the suite: " << e.what() << '\n';
    return 1;
  }
  if (o.list) {
    for (const auto& c : suite) std::cout << c.name << "  " << c.description << '\n';
    return 0;
  }

  internal::run_info info{suite_name, now_utc(), {argv, argv + argc}, o, internal::load_average(), {}};
  std::vector<internal::comparison_result> results;
  for (const auto& c : suite)
    if (selected(c, o)) results.push_back(internal::run_comparison(c, o));
  info.load_at_end = internal::load_average();
  if (results.empty()) {
    std::cerr << suite_name << ": no comparison matches the filter (see --list)\n";
    return 1;
  }

  char load[96];
  std::snprintf(load, sizeof load, "load average %.2f at start, %.2f at end",
                info.load_at_start[0], info.load_at_end[0]);
  std::cout << suite_name << " — " << info.date_utc << ", " << load << "\n"
            << o.repeat << " runs per side after " << o.warmup << " warm-up, interleaved; "
            << "spread = max/min; ratio = troupe median / baseline median\n\n";
  internal::print_table(std::cout, results);

  int status = 0;
  for (const auto& r : results)
    if (!r.error.empty()) status = 1;
  try {
    if (!o.json_path.empty()) internal::write_json(o.json_path, info, results);
    if (!o.markdown_path.empty()) {
      std::ofstream md(o.markdown_path);
      internal::print_markdown(md, results);
      if (!md) throw std::runtime_error("cannot write Markdown to '" + o.markdown_path + "'");
    }
  } catch (const std::exception& e) {
    std::cerr << suite_name << ": " << e.what() << '\n';
    status = 1;
  }
  return status;
}

}  // namespace troupe::perf
