#pragma once
// A publish/subscribe ticker as actors:
//
//   quotes --PUB [topic = symbol]--> watcher "tech" (prefixes "AAPL", "MSFT")
//                                 -> watcher "a"    (prefix "A": AAPL, AMZN, ...)
//                                 -> ...
//
// The publisher sends quotes for a set of symbols; each watcher subscribes to symbol prefixes
// and keeps per-symbol statistics. As any PUB, the publisher drops for a watcher that falls
// behind by more than its HWM; watchers see the gap in the per-symbol sequence numbers and
// report it.

#include <troupe/actors/graph.hpp>
#include <troupe/actors/registry.hpp>

#include <map>
#include <string>
#include <vector>

namespace ticker {

/// Registers "tk.publisher" and "tk.watcher" (a registry that has them already is left as it is).
void register_actors(troupe::actors::registry& r = troupe::actors::registry::global());

struct ticker_options {
  std::vector<std::string> symbols{"AAPL", "AMZN", "GOOG", "IBM", "MSFT", "NVDA"};
  int ticks = 20000;  ///< quotes in all
  int rate = 200000;  ///< quotes per second; 0: unpaced (slow watchers then miss quotes)
  /// Watcher name -> its prefixes.
  std::map<std::string, std::vector<std::string>> watchers{{"tech", {"AAPL", "MSFT"}}, {"a", {"A"}}, {"all", {""}}};
};

/// Spawns and links the ticker. Each watcher's "report" output (a PUB) carries its statistics
/// as JSON: {"watcher", "prefixes", "quotes", "gaps", "foreign", "out_of_order",
/// "symbols": {"AAPL": {"quotes", "last", "low", "high"}, ...}}.
void build(troupe::actors::graph& g, const ticker_options& o);

}  // namespace ticker

/// Registers this sample's actor types in `r` (the troupe tool calls it at start-up).
void troupe_register_ticker(troupe::actors::registry& r);
