// word_frequency: the flagship sample. Counts the words of a text file or folder (or of a
// generated corpus) with an actor graph — reader → tokenizer pool → key-partitioned counter
// shards → merger — and prints the top K. --check recounts on one thread and compares.

#include "actors.hpp"
#include "text_source.hpp"
#include "word_count.hpp"
#include "words.hpp"

#include <troupe/actors/all.hpp>
#include <troupe/framework/runtime.hpp>
#include <troupe/messaging/context.hpp>
#include <troupe/messaging/socket.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace act = troupe::actors;
namespace msg = troupe::messaging;
namespace wf = word_frequency;

namespace {

const char* const usage_text = R"(usage: word_frequency [PATH] [options]

Counts the words of PATH (a text file, or every file under a folder) with an actor graph and
prints the most frequent ones. Without PATH it counts a generated, deterministic corpus.

  --tokenizers N   tokenizer replicas (4)
  --shards N       counter shards, 1..64 (4)
  --top K          rows of the table (20)
  --words N        size of the generated corpus in words (2000000)
  --seed S         seed of the generated corpus (1)
  --check          count again on one thread and compare (exit 1 if different)
  --quiet          print only the summary line and the check
  --help
)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

long number(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 1) throw usage_error(flag + ": '" + v + "' is not a positive number");
  return n;
}

struct options {
  wf::pipeline_options pipeline;
  bool check = false;
  bool quiet = false;
};

options parse(int argc, char** argv) {
  options o;
  nlohmann::json generate = nlohmann::json::object();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    } else if (a == "--tokenizers") o.pipeline.tokenizers = static_cast<int>(number(a, value()));
    else if (a == "--shards") o.pipeline.shards = static_cast<int>(number(a, value()));
    else if (a == "--top") o.pipeline.top = static_cast<int>(number(a, value()));
    else if (a == "--words") generate["words"] = number(a, value());
    else if (a == "--seed") generate["seed"] = number(a, value());
    else if (a == "--check") o.check = true;
    else if (a == "--quiet") o.quiet = true;
    else if (a.rfind("--", 0) == 0) throw usage_error("unknown option '" + a + "'");
    else if (o.pipeline.source.contains("path")) throw usage_error("unexpected argument '" + a + "' (one PATH only)");
    else o.pipeline.source["path"] = a;
  }
  if (!generate.empty()) {
    if (o.pipeline.source.contains("path")) throw usage_error("--words and --seed are for the generated corpus, not a PATH");
    o.pipeline.source["generate"] = generate;
  }
  o.pipeline.print = !o.quiet;
  return o;
}

wf::summary count_on_one_thread(const nlohmann::json& source, std::size_t top) {
  auto src = wf::open_text_source(source);
  wf::counts c;
  std::string chunk, scratch;
  while (src->next(chunk)) wf::for_each_word(chunk, scratch, [&](std::string_view w) { ++c[std::string(w)]; });
  return wf::summarize(c, top);
}

int run(const options& o) {
  const auto source = wf::open_text_source(o.pipeline.source);  // fail early on a bad path
  std::fprintf(stderr, "word_frequency: counting %s with %d tokenizers and %d shards\n", source->describe().c_str(),
               o.pipeline.tokenizers, o.pipeline.shards);

  msg::context ctx;
  act::graph g(ctx, "word_frequency");
  wf::build(g, o.pipeline);
  msg::socket result(ctx, msg::socket_type::sub);  // the merger's final summary
  result.set(msg::option::subscribe, std::string_view{});
  result.connect(g.endpoint("merge.result"));

  const auto t0 = std::chrono::steady_clock::now();
  g.start();
  const act::stop_report r = g.wait(std::chrono::minutes(30));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) {
    std::fprintf(stderr, "word_frequency: the graph did not finish: %s\n",
                 r.error.empty() ? "timed out" : r.error.c_str());
    g.stop(act::stop_mode::hard);
    return 1;
  }
  result.set(msg::option::rcvtimeo, 10000);
  msg::multipart m;
  if (!result.recv(m)) {
    std::fprintf(stderr, "word_frequency: no result from the merger\n");
    return 1;
  }
  const wf::summary got = wf::summary_from_json(act::decode_json(m));
  std::printf("%llu words in %.3f s (%.1f M words/s)\n", static_cast<unsigned long long>(got.total), seconds,
              static_cast<double>(got.total) / seconds / 1e6);

  if (o.check) {
    const wf::summary want = count_on_one_thread(o.pipeline.source, static_cast<std::size_t>(o.pipeline.top));
    if (!(got == want)) {
      std::printf("check: MISMATCH with a single-threaded count\n  graph:  %s\n  thread: %s\n",
                  wf::to_json(got).dump().c_str(), wf::to_json(want).dump().c_str());
      return 1;
    }
    std::printf("check: OK, the same as a single-threaded count (%llu words, %llu distinct, digest %016llx)\n",
                static_cast<unsigned long long>(want.total), static_cast<unsigned long long>(want.distinct),
                static_cast<unsigned long long>(want.digest));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "word_frequency: %s\n(word_frequency --help shows the usage)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "word_frequency: %s\n", e.what());
    return 1;
  }
}
