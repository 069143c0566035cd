#include "actors.hpp"

#include <troupe/actors/all.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace ticker {

namespace act = troupe::actors;
namespace msg = troupe::messaging;

namespace {

struct quote {
  std::uint64_t seq;    ///< per symbol, from 0
  std::int64_t cents;   ///< price
};

/// Publishes params["ticks"] quotes round-robin over params["symbols"], each a random walk,
/// paced to params["rate"] per second (0: unpaced).
class publisher final : public act::fiber_actor {
public:
  static void ports(act::port_list& p) { p.output("quotes", act::port_kind::pub); }
  void run() override {
    const auto symbols = params().at("symbols").get<std::vector<std::string>>();
    const int ticks = params().value("ticks", 20000);
    const int rate = params().value("rate", 0);
    std::vector<quote> last(symbols.size(), quote{0, 10000});
    std::uint64_t x = 88172645463325252ull;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < ticks && !stopping(); ++i) {
      const std::size_t s = static_cast<std::size_t>(i) % symbols.size();
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
      quote& q = last[s];
      q.cents = std::max<std::int64_t>(1, q.cents + static_cast<std::int64_t>(x % 21) - 10);
      if (!out("quotes").send_value(symbols[s], q)) return;
      ++q.seq;
      if (rate > 0 && i % 100 == 99) {  // pace in steps of 100 quotes
        const auto due = start + std::chrono::microseconds(static_cast<std::int64_t>(i + 1) * 1'000'000 / rate);
        const auto ahead = std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::steady_clock::now());
        if (ahead.count() > 0 && !sleep_for(ahead)) return;
      }
    }
  }
};

/// Keeps statistics of the quotes of its prefixes.
class watcher final : public act::handler_actor {
public:
  static void ports(act::port_list& p) {
    p.input("quotes", act::port_kind::sub).output("report", act::port_kind::pub, {.required = false});
  }
  void on_start() override { prefixes_ = params().value("prefixes", std::vector<std::string>{}); }
  void on_message(act::input&, msg::multipart& m) override {
    if (m.size() != 2) throw std::runtime_error("a quote is [symbol][quote], got " + std::to_string(m.size()) + " parts");
    const std::string symbol = m[0].str();
    const quote q = act::decode<quote>(m[1]);
    bool wanted = false;
    for (const auto& p : prefixes_) wanted = wanted || symbol.rfind(p, 0) == 0;
    if (!wanted) ++foreign_;
    stats& s = symbols_[symbol];
    if (s.quotes > 0 && q.seq <= s.last_seq) ++out_of_order_;
    else if (q.seq != s.next_seq) gaps_ += q.seq - s.next_seq;  // dropped by the PUB
    s.next_seq = q.seq + 1;
    s.last_seq = q.seq;
    if (s.quotes == 0 || q.cents < s.low) s.low = q.cents;
    if (s.quotes == 0 || q.cents > s.high) s.high = q.cents;
    s.last = q.cents;
    ++s.quotes;
    ++quotes_;
  }
  void on_stop() override {
    nlohmann::json sym = nlohmann::json::object();
    for (const auto& [name_of, s] : symbols_)
      sym[name_of] = {{"quotes", s.quotes}, {"last", s.last}, {"low", s.low}, {"high", s.high}};
    const nlohmann::json report = {{"watcher", name()}, {"prefixes", prefixes_}, {"quotes", quotes_}, {"gaps", gaps_},
                                   {"foreign", foreign_}, {"out_of_order", out_of_order_}, {"symbols", sym}};
    if (params().value("print", true)) {
      std::printf("%-8s %7llu quotes, last:", name().c_str(), static_cast<unsigned long long>(quotes_));
      for (const auto& [name_of, s] : symbols_)
        std::printf("  %s %lld.%02lld", name_of.c_str(), static_cast<long long>(s.last / 100), static_cast<long long>(s.last % 100));
      std::printf("\n");
    }
    out("report").send_json(report);
  }

private:
  struct stats {
    std::uint64_t quotes = 0, next_seq = 0, last_seq = 0;
    std::int64_t last = 0, low = 0, high = 0;
  };
  std::vector<std::string> prefixes_;
  std::map<std::string, stats> symbols_;
  std::uint64_t quotes_ = 0, gaps_ = 0, foreign_ = 0, out_of_order_ = 0;
};

}  // namespace

void register_actors(act::registry& r) {
  if (r.contains("tk.publisher")) return;  // once per registry
  r.add<publisher>("tk.publisher");
  r.add<watcher>("tk.watcher");
}

void build(act::graph& g, const ticker_options& o) {
  if (o.symbols.empty() || o.ticks < 1 || o.rate < 0 || o.watchers.empty())
    throw act::graph_error("ticker: need symbols, ticks >= 1, rate >= 0 and at least one watcher");
  register_actors();
  g.spawn("quotes", "tk.publisher", {.params = {{"symbols", o.symbols}, {"ticks", o.ticks}, {"rate", o.rate}}});
  for (const auto& [name, prefixes] : o.watchers) {
    g.spawn(name, "tk.watcher", {.params = {{"prefixes", prefixes}}});
    g.subscribe("quotes.quotes", name + ".quotes", prefixes);
  }
}

}  // namespace ticker

/// The actor library's entry point for the troupe tool (cmake/troupe_cli.cmake).
void troupe_register_ticker(troupe::actors::registry& r) { ticker::register_actors(r); }
