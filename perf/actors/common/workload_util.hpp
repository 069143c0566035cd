#pragma once
// What the troupe and CAF workload programs share (no troupe or CAF code here): the command
// line, the one-shot "done" signal from an actor to main, the clock, RSS, and the output
// lines actors_bench parses ("label: value [unit]").

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unistd.h>

namespace perf_actors {

using clock = std::chrono::steady_clock;

inline double seconds(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Set once by an actor, waited for by main (bounded: a hung workload fails, never hangs).
class done_flag {
public:
  void set() {
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_all();
  }
  /// False if not set within `limit`.
  bool wait(std::chrono::seconds limit = std::chrono::seconds(240)) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, limit, [&] { return done_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
};

/// Counts up to a target; the one that reaches it sets the flag.
class countdown {
public:
  explicit countdown(std::uint64_t n) : left_(n) {}
  void arrive() {
    if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      at_ = clock::now();
      done.set();
    }
  }
  clock::time_point reached_at() const { return at_; }
  done_flag done;

private:
  std::atomic<std::uint64_t> left_;
  clock::time_point at_{};
};

/// Resident set size of this process, from /proc/self/statm.
inline std::size_t rss_bytes() {
  unsigned long size = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// argv[i] as a count >= 1; exits with a message naming the bad value otherwise.
inline std::uint64_t count_arg(int argc, char** argv, int i, const char* what) {
  if (i >= argc) {
    std::fprintf(stderr, "missing <%s>\n", what);
    std::exit(2);
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v == 0) {
    std::fprintf(stderr, "<%s> must be an integer >= 1, got '%s'\n", what, argv[i]);
    std::exit(2);
  }
  return v;
}

/// One result line: "label: value [unit]".
inline void report(const char* label, double value, const char* unit) {
  std::printf("%s: %.3f [%s]\n", label, value, unit);
}

/// Ends the process now, successfully, without destroying anything (for runs whose teardown
/// is not measured and would only cost time).
[[noreturn]] inline void skip_teardown() {
  std::fflush(stdout);
  std::_Exit(0);
}

/// Exits with a message when a workload's own check fails (a wrong result is no result).
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "workload check failed: %s\n", what);
    std::exit(1);
  }
}

}  // namespace perf_actors
