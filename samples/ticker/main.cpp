// ticker: a quote publisher and watchers that subscribe by symbol prefix. Exits 0 only if
// every watcher saw only its own symbols, each symbol's quotes in order, and (unless some
// were dropped, which a PUB may do and which is reported) every quote of its symbols.

#include "actors.hpp"

#include <troupe/actors/all.hpp>
#include <troupe/messaging/context.hpp>
#include <troupe/messaging/socket.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace act = troupe::actors;
namespace msg = troupe::messaging;

namespace {

const char* const usage_text = R"(usage: ticker [--ticks N] [--rate R] [--watch NAME=PREFIX[,PREFIX...]]...

A publisher sends N quotes (20000) over the symbols AAPL AMZN GOOG IBM MSFT NVDA, R per second
(200000; 0: unpaced); each watcher subscribes to symbol prefixes and prints what it saw.
Default watchers: tech=AAPL,MSFT  a=A  all= (everything). A PUB drops what a slow subscriber
has no room for: the summary says how many quotes each watcher missed.
)";

int number(const std::string& flag, const char* v, int min) {
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n < min || n > 100'000'000)
    throw std::invalid_argument(flag + ": '" + v + "' is not a number from " + std::to_string(min) + " to 100000000");
  return static_cast<int>(n);
}

}  // namespace

int main(int argc, char** argv) {
  ticker::ticker_options o;
  try {
    bool custom = false;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        std::fputs(usage_text, stdout);
        return 0;
      }
      if (i + 1 >= argc) throw std::invalid_argument(a.rfind("--", 0) == 0 ? a + " needs a value" : "unexpected argument '" + a + "'");
      if (a == "--ticks") o.ticks = number(a, argv[++i], 1);
      else if (a == "--rate") o.rate = number(a, argv[++i], 0);
      else if (a == "--watch") {
        const std::string w = argv[++i];
        const auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--watch: '" + w + "' is not NAME=PREFIX[,PREFIX...]");
        if (!custom) o.watchers.clear();
        custom = true;
        std::vector<std::string> prefixes;
        for (std::size_t at = eq + 1;;) {
          const auto comma = w.find(',', at);
          prefixes.push_back(w.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
          if (comma == std::string::npos) break;
          at = comma + 1;
        }
        o.watchers[w.substr(0, eq)] = prefixes;
      } else {
        throw std::invalid_argument("unknown option '" + a + "'");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ticker: %s\n(ticker --help shows the usage)\n", e.what());
    return 2;
  }
  try {
    msg::context ctx;
    act::graph g(ctx, "ticker");
    ticker::build(g, o);
    msg::socket reports(ctx, msg::socket_type::sub);
    reports.set(msg::option::subscribe, std::string_view{});
    for (const auto& [name, prefixes] : o.watchers) reports.connect(g.endpoint(name + ".report"));
    g.start();
    const act::stop_report r = g.wait(std::chrono::minutes(10));
    if (!r.ok()) {
      std::fprintf(stderr, "ticker: %s\n", r.error.empty() ? "timed out" : r.error.c_str());
      return 1;
    }
    reports.set(msg::option::rcvtimeo, 10000);
    bool ok = true;
    for (std::size_t i = 0; i < o.watchers.size(); ++i) {
      msg::multipart m;
      if (!reports.recv(m)) {
        std::fprintf(stderr, "ticker: a watcher's report is missing\n");
        return 1;
      }
      const nlohmann::json j = act::decode_json(m);
      // Expected: every quote of the watched symbols, minus what the publisher dropped.
      std::uint64_t expected = 0;
      const auto prefixes = j.at("prefixes").get<std::vector<std::string>>();
      for (std::size_t s = 0; s < o.symbols.size(); ++s) {
        bool wanted = false;
        for (const auto& p : prefixes) wanted = wanted || o.symbols[s].rfind(p, 0) == 0;
        if (!wanted) continue;
        expected += static_cast<std::uint64_t>(o.ticks) / o.symbols.size() + (s < static_cast<std::size_t>(o.ticks) % o.symbols.size());
      }
      const auto quotes = j.at("quotes").get<std::uint64_t>(), gaps = j.at("gaps").get<std::uint64_t>();
      std::printf("%-8s received %llu of %llu quotes of its symbols (%llu dropped by the publisher)\n",
                  j.at("watcher").get<std::string>().c_str(), static_cast<unsigned long long>(quotes),
                  static_cast<unsigned long long>(expected), static_cast<unsigned long long>(expected - std::min(expected, quotes)));
      if (j.at("foreign") != 0 || j.at("out_of_order") != 0 || quotes + gaps > expected || quotes == 0) {
        std::fprintf(stderr, "ticker: watcher %s is wrong (expected at most %llu quotes): %s\n",
                     j.at("watcher").get<std::string>().c_str(), static_cast<unsigned long long>(expected), j.dump().c_str());
        ok = false;
      }
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ticker: %s\n", e.what());
    return 1;
  }
}
