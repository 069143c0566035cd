#include "actors.hpp"

#include "text_source.hpp"
#include "word_count.hpp"
#include "words.hpp"

#include <troupe/actors/all.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace word_frequency {

namespace act = troupe::actors;
namespace msg = troupe::messaging;

namespace {

/// Reads the text and pushes it in chunks to the tokenizer pool. Fiber style: a plain loop
/// whose send() suspends while the tokenizers are behind (back-pressure, bounded memory).
class reader final : public act::fiber_actor {
public:
  static void ports(act::port_list& p) { p.output("text"); }
  void run() override {
    auto src = open_text_source(params());
    const std::uint64_t total = src->total_bytes();
    std::uint64_t done = 0;
    std::string chunk;
    while (!stopping() && src->next(chunk)) {
      if (!out("text").send(std::string_view(chunk))) return;
      done += chunk.size();
      report_progress(std::min(done, total), total);  // percent done in `troupe run`'s progress line
    }
  }
};

/// Splits chunks into words, counts them per chunk and publishes one message per bucket:
/// [topic "bNN"]["word\tcount\n"...]. The PUB is lossless (blocks rather than drops), since
/// every word must be counted.
class tokenizer final : public act::handler_actor {
public:
  static void ports(act::port_list& p) {
    p.input("text").output("words", act::port_kind::pub, {.lossless = true});
  }
  void on_message(act::input&, msg::multipart& m) override {
    local_.clear();
    for (const auto& part : m) for_each_word(part.view(), scratch_, [&](std::string_view w) { ++local_[std::string(w)]; });
    for (auto& b : buckets_) b.clear();
    char num[24];
    for (const auto& [w, n] : local_) {
      std::string& b = buckets_[static_cast<std::size_t>(bucket_of(w))];
      b.append(w);
      b += '\t';
      b.append(num, static_cast<std::size_t>(std::to_chars(num, num + sizeof num, n).ptr - num));
      b += '\n';
    }
    for (int i = 0; i < bucket_count; ++i) {
      const std::string& b = buckets_[static_cast<std::size_t>(i)];
      if (!b.empty()) out("words").send(topic_of(i), msg::message(std::string_view(b)));
    }
  }

private:
  counts local_;
  std::string scratch_;
  std::array<std::string, bucket_count> buckets_;
};

/// One shard: adds up the counts of its buckets; at the end of the stream sends its summary.
class counter final : public act::handler_actor {
public:
  static void ports(act::port_list& p) { p.input("words", act::port_kind::sub).output("summary"); }
  void on_message(act::input&, msg::multipart& m) override {
    if (m.size() != 2) throw std::runtime_error("expected [topic][counts], got " + std::to_string(m.size()) + " parts");
    std::string_view body = m[1].view();
    while (!body.empty()) {
      const auto tab = body.find('\t');
      const auto nl = body.find('\n', tab);
      if (tab == std::string_view::npos || nl == std::string_view::npos) throw std::runtime_error("malformed counts");
      std::uint64_t n = 0;
      std::from_chars(body.data() + tab + 1, body.data() + nl, n);
      counts_[std::string(body.substr(0, tab))] += n;
      body.remove_prefix(nl + 1);
    }
  }
  void on_stop() override {
    out("summary").send_json(to_json(summarize(counts_, params().value("top", 20u))));
  }
  // Its counts go with it when it moves to another node (troupe move).
  nlohmann::json save_state() const override {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [w, n] : counts_) j[w] = n;
    return j;
  }
  void load_state(const nlohmann::json& s) override {
    for (const auto& [w, n] : s.items()) counts_[w] += n.get<std::uint64_t>();
  }

private:
  counts counts_;
};

/// Merges the shards' summaries; prints the table and publishes it as JSON on "result".
class merger final : public act::handler_actor {
public:
  static void ports(act::port_list& p) {
    p.input("summary").output("result", act::port_kind::pub, {.required = false});
  }
  void on_message(act::input&, msg::multipart& m) override {
    parts_.push_back(summary_from_json(act::decode_json(m)));
  }
  void on_stop() override {
    const summary s = merge(parts_, params().value("top", 20u));
    if (params().value("print", true)) std::fputs(format_table(s).c_str(), stdout);
    nlohmann::json j = to_json(s);
    j["shards"] = parts_.size();
    out("result").send_json(j);
  }

private:
  std::vector<summary> parts_;
};

}  // namespace

void register_actors(act::registry& r) {
  if (r.contains("wf.reader")) return;  // once per registry
  r.add<reader>("wf.reader");
  r.add<tokenizer>("wf.tokenizer");
  r.add<counter>("wf.counter");
  r.add<merger>("wf.merger");
}

std::vector<std::string> shard_topics(int shard, int shards) {
  std::vector<std::string> t;
  for (int b = shard; b < bucket_count; b += shards) t.push_back(topic_of(b));
  return t;
}

void build(act::graph& g, const pipeline_options& o) {
  if (o.tokenizers < 1 || o.shards < 1 || o.shards > bucket_count || o.top < 1)
    throw act::graph_error("word_frequency: need tokenizers >= 1, 1 <= shards <= " + std::to_string(bucket_count) +
                           " and top >= 1");
  register_actors();
  g.spawn("read", "wf.reader", {.params = o.source});
  g.spawn("tokenize", "wf.tokenizer", {.replicas = o.tokenizers});
  g.spawn("count", "wf.counter", {.params = {{"top", o.top}}, .replicas = o.shards});
  g.spawn("merge", "wf.merger", {.params = {{"top", o.top}, {"print", o.print}}});
  g.connect("read.text", "tokenize.text");
  for (int s = 0; s < o.shards; ++s) {
    const std::string shard = o.shards == 1 ? "count" : "count[" + std::to_string(s) + "]";
    g.subscribe("tokenize.words", shard + ".words", shard_topics(s, o.shards));
  }
  g.connect("count.summary", "merge.summary");
}

}  // namespace word_frequency

/// The actor library's entry point for the troupe tool (cmake/troupe_cli.cmake).
void troupe_register_word_frequency(troupe::actors::registry& r) { word_frequency::register_actors(r); }
