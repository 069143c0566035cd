#include "options.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace troupe::perf {

std::uint64_t options::scaled(std::uint64_t n) const noexcept {
  const double v = std::round(static_cast<double>(n) * scale);
  return v < 1 ? 1 : static_cast<std::uint64_t>(v);
}

namespace internal {
namespace {

int to_count(std::string_view flag, const std::string& text, int minimum) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < minimum)
    throw std::invalid_argument(std::string(flag) + " needs an integer >= " +
                                std::to_string(minimum) + ", got '" + text + "'");
  return v;
}

double to_scale(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(v > 0))
    throw std::invalid_argument("--scale needs a number > 0, got '" + text + "'");
  return v;
}

}  // namespace

parsed_options parse_options(int argc, char** argv) {
  parsed_options p;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--repeat") {
      p.opts.repeat = to_count(arg, value(), 1);
    } else if (arg == "--warmup") {
      p.opts.warmup = to_count(arg, value(), 0);
    } else if (arg == "--scale") {
      p.opts.scale = to_scale(value());
    } else if (arg == "--json") {
      p.opts.json_path = value();
    } else if (arg == "--markdown") {
      p.opts.markdown_path = value();
    } else if (arg == "--filter") {
      p.opts.filters.push_back(value());
    } else if (arg == "--list") {
      p.opts.list = true;
    } else if (arg == "--help" || arg == "-h") {
      p.help = true;
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(arg) + "' (try --help)");
    }
  }
  return p;
}

void print_usage(std::ostream& out, const char* program) {
  out << "usage: " << program << " [options]\n"
      << "  --repeat N       recorded runs per side (default 5)\n"
      << "  --warmup N       unrecorded runs per side first (default 1)\n"
      << "  --scale F        multiply every iteration count by F (default 1)\n"
      << "  --json PATH      write all results as JSON to PATH\n"
      << "  --markdown PATH  write the result table as Markdown to PATH\n"
      << "  --filter TEXT    run only comparisons whose name contains TEXT (repeatable)\n"
      << "  --list           list the comparisons and exit\n"
      << "Runs of the subject and its baseline are interleaved (A B A B ...).\n";
}

}  // namespace internal
}  // namespace troupe::perf
