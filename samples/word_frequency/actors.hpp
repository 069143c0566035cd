#pragma once
// The word-frequency pipeline's actor types:
//
//   reader --PUSH--> tokenize[N] --PUB(topic = bucket)--> count[S] --PUSH--> merge
//
// reader (fiber) cuts the text into chunks; the tokenizer pool splits chunks into words and
// publishes per-bucket word counts; each counter shard subscribes to its buckets (key
// partitioning: every word is counted by exactly one shard) and, when the stream ends, sends
// its summary; merge combines the summaries into the top-K table.

#include <troupe/actors/graph.hpp>
#include <troupe/actors/registry.hpp>

#include <string>
#include <vector>

namespace word_frequency {

/// Registers "wf.reader", "wf.tokenizer", "wf.counter", "wf.merger" (a registry that has them
/// already is left as it is).
void register_actors(troupe::actors::registry& r = troupe::actors::registry::global());

/// The topics (bucket prefixes) that shard `shard` of `shards` subscribes to.
std::vector<std::string> shard_topics(int shard, int shards);

struct pipeline_options {
  nlohmann::json source = nlohmann::json::object();  ///< the reader's parameters
  int tokenizers = 4;
  int shards = 4;
  int top = 20;
  bool print = true;  ///< the merger prints the table
};

/// Spawns and links the pipeline in `g` (the same graph samples/word_frequency/graph.json
/// describes). The merger's "result" output (a PUB) carries the final summary as JSON.
void build(troupe::actors::graph& g, const pipeline_options& o);

}  // namespace word_frequency

/// Registers this sample's actor types in `r` (the troupe tool calls it at start-up).
void troupe_register_word_frequency(troupe::actors::registry& r);
