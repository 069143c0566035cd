// troupe_demo: a parallel word-count pipeline on troupe's framework runtime.
//
//   producer fibers ──── socketpair ────▶ reactor: edge-triggered readable handler per channel
//     generate text, write until EAGAIN,    reads until EAGAIN, cuts batches at the last '\n'
//     then suspend on a waiter that the                  │ executor.post
//     channel's writable handler notifies                ▼
//                                           tokenizer tasks, in parallel on the workers:
//                                           lowercase, split, count, split the counts by hash
//                                                        │ deliver
//                                                        ▼
//                                           counter shards: strands, each the only owner of
//                                           its slice of the word table (no lock on it)
//
// A periodic timer prints progress, a one-shot timer is the watchdog, and the main thread
// blocks on a waiter until the last unit of work is done. The totals are then checked against
// what the producers say they wrote: bytes, lines, words and every word's count.
//
// Exit status: 0 when the check passes, 1 when it fails, 2 on bad arguments, 3 on timeout.

#include "text.hpp"

#include <troupe/framework/runtime.hpp>
#include <troupe/framework/strand.hpp>
#include <troupe/framework/waiter.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace fw = troupe::framework;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------
// Options

struct options {
  int producers = 4;
  int mib = 64;     // total text to generate, over all producers
  int workers = 0;  // 0: one per hardware thread
  int shards = 8;
  int timeout_s = 60;
  bool quiet = false;
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: troupe_demo [--producers N] [--mib N] [--workers N] [--shards N]\n"
               "                   [--timeout SECONDS] [--quiet]\n"
               "  --producers N   producer fibers, one socketpair each (default 4)\n"
               "  --mib N         MiB of text to generate in total (default 64)\n"
               "  --workers N     executor workers, 0 = one per hardware thread (default 0)\n"
               "  --shards N      counter strands owning the word table (default 8)\n"
               "  --timeout S     watchdog: give up after S seconds (default 60)\n"
               "  --quiet         no progress lines\n");
}

std::optional<options> parse(int argc, char** argv) {
  options o;
  auto number = [&](int& i, int& out, int min, int max) {
    if (i + 1 >= argc) return false;
    const std::string_view s = argv[++i];
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= min && out <= max;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    bool ok = true;
    if (a == "--producers") ok = number(i, o.producers, 1, 256);
    else if (a == "--mib") ok = number(i, o.mib, 1, 4096);
    else if (a == "--workers") ok = number(i, o.workers, 0, 256);
    else if (a == "--shards") ok = number(i, o.shards, 1, 1024);
    else if (a == "--timeout") ok = number(i, o.timeout_s, 1, 3600);
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "troupe_demo: unknown argument '%.*s'\n", static_cast<int>(a.size()), a.data());
      usage(stderr);
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "troupe_demo: %.*s needs a number in range\n", static_cast<int>(a.size()), a.data());
      usage(stderr);
      return std::nullopt;
    }
  }
  return o;
}

std::string grouped(std::uint64_t n) {  // 1234567 -> "1,234,567"
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

constexpr double mib = 1024.0 * 1024.0;

// ---------------------------------------------------------------------------------------------
// Pipeline state

using word_counts = std::unordered_map<std::string, std::uint64_t>;
class counter_shard;

/// One producer → reader link.
struct channel {
  int read_fd = -1;
  int write_fd = -1;
  // Reader side: touched only by this channel's readable handler, which the reactor never runs
  // concurrently with itself (and each run happens-after the previous one), so no lock.
  std::string pending;  // bytes read but not yet handed on (an incomplete last line)
  bool eof = false;
  // Owned by the main thread.
  fw::io_watch_handle readable;
};

/// What a producer wrote, filled in by its fiber before it reports its work done.
struct production {
  std::vector<std::uint64_t> word_counts;
  std::uint64_t lines = 0, words = 0, bytes = 0;
  std::uint64_t suspensions = 0;  // times the fiber waited for the socket to drain
};

struct pipeline {
  options opt;
  fw::runtime* rt = nullptr;
  std::vector<std::unique_ptr<channel>> channels;
  std::vector<fw::ref_ptr<counter_shard>> shards;
  std::vector<production> produced;

  // Units of work not finished yet: one per producer (until it has written everything), one
  // per channel (until its reader saw end-of-file), one per batch (until tokenized) and one per
  // partial count (until merged). The decrement that reaches zero wakes the main thread.
  std::atomic<std::int64_t> outstanding{0};
  fw::waiter finished;  // made on the main thread: a plain-thread waiter (futex)

  // Progress, for the periodic timer.
  std::atomic<std::uint64_t> bytes_read{0}, lines_seen{0}, words_seen{0}, batches{0};

  // Which workers tokenized how many batches (shows the parallelism).
  std::mutex per_worker_mutex;
  std::map<std::thread::id, std::uint64_t> per_worker;

  std::mutex error_mutex;
  std::vector<std::string> errors;

  void add_work(std::int64_t n) noexcept { outstanding.fetch_add(n, std::memory_order_relaxed); }
  void work_done() noexcept {
    if (outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      const fw::waiter waker = finished;  // wakers hold their own copy (see waiter.hpp)
      waker.notify();
    }
  }
  void fail(std::string what) {
    std::lock_guard lock(error_mutex);
    errors.push_back(std::move(what));
  }
};

/// Owns one slice of the word table (the words whose hash falls on it). Tokenizers deliver
/// partial counts into a small inbox and schedule() the strand; on_run() drains the inbox and
/// merges. The strand never runs concurrently with itself, so `totals_` needs no lock, and a
/// delivery made while it runs is never lost: schedule() then guarantees one more run.
class counter_shard final : public fw::strand {
public:
  counter_shard(fw::executor& ex, pipeline& p) : fw::strand(ex), p_(p) {}

  void deliver(word_counts part) {
    {
      std::lock_guard lock(mutex_);
      inbox_.push_back(std::move(part));
    }
    schedule();
  }

  /// Read only once the pipeline has finished (every merge happened-before that).
  const word_counts& totals() const noexcept { return totals_; }
  std::uint64_t runs() const noexcept { return runs_; }

private:
  void on_run() noexcept override {
    ++runs_;
    std::vector<word_counts> parts;
    {
      std::lock_guard lock(mutex_);
      parts.swap(inbox_);
    }
    for (word_counts& part : parts) {
      for (auto& [word, n] : part) totals_[word] += n;
      p_.work_done();
    }
  }

  pipeline& p_;
  std::mutex mutex_;
  std::vector<word_counts> inbox_;
  word_counts totals_;
  std::uint64_t runs_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Stage 2: tokenizer tasks

void tokenize(pipeline& p, std::string text) {
  const auto lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  std::unordered_map<std::string_view, std::uint64_t> local;
  const std::uint64_t words = demo::for_each_word(text, [&](std::string_view w) { ++local[w]; });

  // Split by word hash so that each word has exactly one owning shard.
  std::vector<word_counts> parts(p.shards.size());
  for (const auto& [word, n] : local) {
    parts[std::hash<std::string_view>{}(word) % parts.size()].emplace(word, n);
  }
  const auto nonempty = std::count_if(parts.begin(), parts.end(), [](auto& m) { return !m.empty(); });
  p.add_work(nonempty);  // before delivering: this task's own unit keeps `outstanding` above 0
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].empty()) p.shards[i]->deliver(std::move(parts[i]));
  }

  p.lines_seen.fetch_add(lines, std::memory_order_relaxed);
  p.words_seen.fetch_add(words, std::memory_order_relaxed);
  {
    std::lock_guard lock(p.per_worker_mutex);
    ++p.per_worker[std::this_thread::get_id()];
  }
  p.work_done();
}

/// Hands the complete lines in `ch.pending` (all of it at end-of-file) to a tokenizer task.
void hand_on(pipeline& p, channel& ch, bool at_eof) {
  std::size_t cut = ch.pending.size();
  if (!at_eof) {
    const std::size_t nl = ch.pending.rfind('\n');
    if (nl == std::string::npos) return;
    cut = nl + 1;
  }
  if (cut == 0) return;
  std::string batch;
  batch.swap(ch.pending);
  ch.pending.assign(batch, cut);
  batch.resize(cut);
  p.add_work(1);
  p.batches.fetch_add(1, std::memory_order_relaxed);
  p.rt->post([&p, text = std::move(batch)]() mutable { tokenize(p, std::move(text)); });
}

// ---------------------------------------------------------------------------------------------
// Stage 1: the reactor's readable handler

void on_readable(pipeline& p, channel& ch, fw::io_events) {
  if (ch.eof) return;  // a late hang-up report after end-of-file
  constexpr std::size_t chunk = 64 * 1024;
  constexpr std::size_t batch_bytes = 256 * 1024;
  // Edge-triggered: read until EAGAIN, or the reactor will not call us again.
  for (;;) {
    const std::size_t have = ch.pending.size();
    ch.pending.resize(have + chunk);
    const ssize_t n = ::read(ch.read_fd, ch.pending.data() + have, chunk);
    ch.pending.resize(have + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      p.bytes_read.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      if (ch.pending.size() >= batch_bytes) hand_on(p, ch, false);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      hand_on(p, ch, false);  // don't sit on complete lines while the producer is busy
      return;
    }
    if (n < 0) p.fail(std::string("read: ") + std::strerror(errno));
    hand_on(p, ch, true);  // end of file (or error): whatever is left is the last line
    ch.eof = true;
    p.work_done();
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// The producers: fibers

/// Where a producer fiber parks its waiter while the socket is full; the channel's writable
/// handler takes it and wakes the fiber.
struct write_slot {
  std::mutex mutex;
  std::optional<fw::waiter> parked;

  void park(const fw::waiter& w) {
    std::lock_guard lock(mutex);
    parked = w;
  }
  void unpark() {
    std::lock_guard lock(mutex);
    parked.reset();
  }
  void wake() {
    std::optional<fw::waiter> w;
    {
      std::lock_guard lock(mutex);
      w.swap(parked);
    }
    if (w) w->notify();
  }
};

/// One non-blocking send; returns the bytes sent, or -1 with the error in `err`. Not inlined on
/// purpose: a fiber may resume on another thread, and errno is thread-local. The compiler may
/// keep errno's address across a call that switches fibers (it treats that address as
/// constant), so read errno only in a function that never suspends.
[[gnu::noinline]] ssize_t send_once(int fd, std::string_view data, int& err) noexcept {
  const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  err = n < 0 ? errno : 0;
  return n;
}

/// Writes all of `data` to the non-blocking `fd`. When the socket is full the fiber suspends
/// (its worker runs other tasks meanwhile) until the writable handler wakes it.
void write_all(int fd, std::string_view data, write_slot& slot, std::uint64_t& suspensions) {
  int err = 0;
  auto send_some = [&] {  // true: progress or EINTR; false: `err` says why not
    const ssize_t n = send_once(fd, data, err);
    if (n >= 0) data.remove_prefix(static_cast<std::size_t>(n));
    return n >= 0 || err == EINTR;
  };
  auto check = [&] {
    if (err != EAGAIN && err != EWOULDBLOCK) throw std::system_error(err, std::generic_category(), "send");
  };
  while (!data.empty()) {
    if (send_some()) continue;
    check();
    fw::waiter w;  // binds to this fiber
    slot.park(w);
    // The socket may have drained between EAGAIN and park(): that edge found no waiter. Try
    // once more now that the waiter is parked; if still full, the next edge will wake us.
    if (send_some()) {
      slot.unpark();
      continue;
    }
    check();
    ++suspensions;
    w.wait();  // throws fw::fiber_cancelled if the runtime stops meanwhile
  }
}

void produce(pipeline& p, std::size_t index) {
  channel& ch = *p.channels[index];
  production& out = p.produced[index];
  const std::uint64_t target =
      static_cast<std::uint64_t>(p.opt.mib) * 1024 * 1024 / p.channels.size();

  auto slot = std::make_shared<write_slot>();
  fw::io_watch_handle writable =
      p.rt->io().watch(ch.write_fd, fw::io_events::writable, [slot](fw::io_events) { slot->wake(); });

  demo::text_generator gen(0x7e0c0ffee + index);
  std::string chunk;
  try {
    while (gen.bytes() < target) {
      chunk.clear();
      gen.append_lines(chunk, std::min<std::uint64_t>(32 * 1024, target - gen.bytes()));
      write_all(ch.write_fd, chunk, *slot, out.suspensions);
    }
  } catch (const fw::fiber_cancelled&) {
    throw;  // the runtime is stopping: let the fiber end
  } catch (const std::exception& e) {
    p.fail(std::string("producer ") + std::to_string(index) + ": " + e.what());
  }
  writable.remove();
  ::shutdown(ch.write_fd, SHUT_WR);  // the reader sees end-of-file after the last byte

  out.word_counts = gen.word_counts();
  out.lines = gen.lines();
  out.words = gen.words();
  out.bytes = gen.bytes();
  p.work_done();
}

// ---------------------------------------------------------------------------------------------
// Checking the result

bool check(pipeline& p, double seconds) {
  // Expected: what the producers wrote.
  const auto vocab = demo::vocabulary();
  std::vector<std::uint64_t> expected(vocab.size(), 0);
  std::uint64_t lines = 0, words = 0, bytes = 0, suspensions = 0;
  for (const production& pr : p.produced) {
    for (std::size_t k = 0; k < expected.size() && k < pr.word_counts.size(); ++k) expected[k] += pr.word_counts[k];
    lines += pr.lines;
    words += pr.words;
    bytes += pr.bytes;
    suspensions += pr.suspensions;
  }

  // Counted: the union of the shards' tables (disjoint by construction).
  word_counts counted;
  std::uint64_t shard_runs = 0;
  for (const auto& s : p.shards) {
    for (const auto& [w, n] : s->totals()) counted[w] += n;
    shard_runs += s->runs();
  }
  std::uint64_t counted_words = 0;
  for (const auto& [w, n] : counted) counted_words += n;

  const std::uint64_t got_bytes = p.bytes_read.load();
  const std::uint64_t got_lines = p.lines_seen.load();
  std::printf("done in %.2f s: read %.1f MiB (%.1f MiB/s), %s lines, %s words (%.2f M words/s), "
              "%zu distinct\n",
              seconds, static_cast<double>(got_bytes) / mib,
              static_cast<double>(got_bytes) / mib / seconds, grouped(got_lines).c_str(),
              grouped(counted_words).c_str(), static_cast<double>(counted_words) / 1e6 / seconds,
              counted.size());

  std::string workers;
  for (const auto& [id, n] : p.per_worker) workers += (workers.empty() ? "" : " / ") + grouped(n);
  std::printf("  %s batches tokenized on %zu workers (%s); %s shard runs merged them;\n"
              "  producers suspended %s times on a full socket until the reactor saw it writable\n",
              grouped(p.batches.load()).c_str(), p.per_worker.size(), workers.c_str(),
              grouped(shard_runs).c_str(), grouped(suspensions).c_str());

  // Top words.
  std::vector<std::pair<std::string_view, std::uint64_t>> top(counted.begin(), counted.end());
  std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  std::printf("  top words:");
  for (std::size_t i = 0; i < top.size() && i < 8; ++i) {
    std::printf(" %.*s %.1f%%", static_cast<int>(top[i].first.size()), top[i].first.data(),
                100.0 * static_cast<double>(top[i].second) / static_cast<double>(std::max<std::uint64_t>(counted_words, 1)));
  }
  std::printf("\n");

  // The check.
  bool ok = true;
  auto expect = [&](const char* what, std::uint64_t want, std::uint64_t got) {
    if (want == got) return;
    std::printf("  MISMATCH %s: wrote %s, counted %s\n", what, grouped(want).c_str(), grouped(got).c_str());
    ok = false;
  };
  expect("bytes", bytes, got_bytes);
  expect("lines", lines, got_lines);
  expect("words", words, counted_words);
  std::size_t words_ok = 0;
  for (std::size_t k = 0; k < vocab.size(); ++k) {
    const auto it = counted.find(std::string(vocab[k]));
    const std::uint64_t got = it == counted.end() ? 0 : it->second;
    if (got == expected[k]) {
      ++words_ok;
    } else if (k - words_ok < 5) {  // show the first few
      expect(("count of '" + std::string(vocab[k]) + "'").c_str(), expected[k], got);
    } else {
      ok = false;
    }
  }
  const std::size_t expected_distinct = static_cast<std::size_t>(std::count_if(expected.begin(), expected.end(), [](auto n) { return n != 0; }));
  if (counted.size() != expected_distinct) {
    std::printf("  MISMATCH distinct words: wrote %zu, counted %zu\n", expected_distinct, counted.size());
    ok = false;
  }
  for (const std::string& e : p.errors) {
    std::printf("  ERROR %s\n", e.c_str());
    ok = false;
  }
  std::printf("  check against what the producers wrote: bytes, lines, words, %zu/%zu per-word counts: %s\n",
              words_ok, vocab.size(), ok ? "all match" : "FAILED");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<options> opt = parse(argc, argv);
  if (!opt) return 2;

  // The pipeline's state outlives the runtime (declared first, destroyed last): nothing the
  // runtime might still run can see it destroyed.
  pipeline p;
  p.opt = *opt;

  fw::runtime_options ro;
  ro.executor.concurrency = opt->workers;
  fw::runtime rt(ro);
  p.rt = &rt;

  const auto n = static_cast<std::size_t>(opt->producers);
  for (std::size_t i = 0; i < n; ++i) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      std::perror("troupe_demo: socketpair");
      return 1;
    }
    auto ch = std::make_unique<channel>();
    ch->read_fd = fds[0];
    ch->write_fd = fds[1];
    p.channels.push_back(std::move(ch));
  }
  p.produced.resize(n);
  for (int i = 0; i < opt->shards; ++i) p.shards.push_back(fw::make_ref<counter_shard>(rt.exec(), p));
  p.outstanding.store(static_cast<std::int64_t>(2 * n));  // each producer + each channel's end-of-file

  std::printf("troupe demo: a parallel word count on the runtime (%d workers)\n"
              "  %zu producer fibers write %d MiB of generated text into %zu socketpairs; the reactor\n"
              "  reads them (edge-triggered), tasks tokenize each batch in parallel, %d counter\n"
              "  strands own the word table, a timer reports progress.\n",
              rt.exec().concurrency(), n, opt->mib, n, opt->shards);
  std::fflush(stdout);

  const auto start = fw::clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(fw::clock::now() - start).count(); };

  // Stage 1: the reactor reads every channel.
  for (auto& ch : p.channels) {
    channel* c = ch.get();
    c->readable = rt.io().watch(c->read_fd, fw::io_events::readable,
                                [&p, c](fw::io_events ev) { on_readable(p, *c, ev); });
  }

  // Progress every 250 ms (a periodic timer), and a watchdog (a one-shot timer).
  fw::timer progress;
  if (!opt->quiet) {
    progress = rt.io().every(250ms, [&] {
      std::printf("  [%5.2f s] read %6.1f MiB  %11s lines  %12s words tokenized  %4lld in flight\n",
                  elapsed(), static_cast<double>(p.bytes_read.load()) / mib,
                  grouped(p.lines_seen.load()).c_str(), grouped(p.words_seen.load()).c_str(),
                  static_cast<long long>(p.outstanding.load()));
      std::fflush(stdout);
    });
  }
  fw::timer watchdog = rt.io().after(std::chrono::seconds(opt->timeout_s), [waker = p.finished] { waker.notify(); });

  // The producers.
  for (std::size_t i = 0; i < n; ++i) rt.spawn([&p, i] { produce(p, i); });

  // The main thread sleeps (futex, no polling) until the last unit of work is done.
  p.finished.wait();
  const double seconds = elapsed();
  progress.cancel();  // after cancel() returns the callback is not running and won't again
  watchdog.cancel();

  if (p.outstanding.load(std::memory_order_acquire) != 0) {
    std::printf("TIMEOUT after %d s: %lld units of work still outstanding; stopping the runtime\n",
                opt->timeout_s, static_cast<long long>(p.outstanding.load()));
    rt.stop();  // cancels the producer fibers, removes watches, drains queued tasks
    for (auto& ch : p.channels) { ::close(ch->read_fd); ::close(ch->write_fd); }
    return 3;
  }

  // Orderly shutdown: the fibers have ended (or are ending), the watches go, then the runtime.
  rt.fibers().wait_all();
  for (auto& ch : p.channels) ch->readable.remove();
  const std::size_t timers = rt.io().timer_count(), watches = rt.io().watch_count();
  rt.stop();
  for (auto& ch : p.channels) { ::close(ch->read_fd); ::close(ch->write_fd); }

  const bool ok = check(p, seconds);
  std::printf("runtime stopped (%zu timers and %zu watches were left at stop)\n", timers, watches);
  std::printf("RESULT: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
