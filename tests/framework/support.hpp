#pragma once
// Helpers shared by the framework tests: bounded waits, log capture, descriptors, CPU time.
// Tests never sleep to "let things happen": they poll a condition with a generous bound and
// CHECK the result, so a slow (loaded, sanitized) machine only makes them slower, not flaky.

#include <troupe/framework/log.hpp>

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace troupe_test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

#if defined(TROUPE_TSAN)
/// TSan makes each fiber a thread of its own (slow to create, at most 8128 alive): the
/// fiber-heavy tests scale down under it.
inline constexpr bool under_tsan = true;
#else
inline constexpr bool under_tsan = false;
#endif

/// The calling thread's id, read afresh on every call. pthread_self() (behind
/// std::this_thread::get_id()) is declared `const`, so an optimising compiler may reuse one
/// result across a fiber switch and report the old worker after a migration; the barrier
/// forbids that. (The same holds for errno's address: worth remembering in fiber code.)
[[gnu::noinline]] inline std::thread::id this_thread_id() {
  asm volatile("" ::: "memory");
  return std::this_thread::get_id();
}

/// Bound for "this happens eventually": far above what a healthy run needs.
inline constexpr std::chrono::milliseconds eventually = std::chrono::seconds(20);

/// Polls `pred` until it holds or `bound` passes; returns its final value.
template <class Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds bound = eventually) {
  const auto deadline = steady::now() + bound;
  for (int round = 0;; ++round) {
    if (pred()) return true;
    if (steady::now() >= deadline) return pred();
    // A few yields catch quick hand-offs; then sleep so the workers get the 2 cores.
    if (round < 8) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(200us);
    }
  }
}

/// Replaces the log sink while alive and records every line. The sink shares its state with
/// the capture, so a line logged by a straggling thread after destruction stays harmless.
class log_capture {
public:
  struct line {
    troupe::framework::log_level level;
    std::string text;
  };

  log_capture() : state_(std::make_shared<state>()) {
    previous_ = troupe::framework::set_log_sink(
        [s = state_](troupe::framework::log_level level, std::string_view text) {
          std::lock_guard lock(s->mutex);
          s->lines.push_back({level, std::string(text)});
        });
  }
  ~log_capture() { troupe::framework::set_log_sink(std::move(previous_)); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  std::vector<line> lines() const {
    std::lock_guard lock(state_->mutex);
    return state_->lines;
  }
  std::size_t count(troupe::framework::log_level level) const {
    std::lock_guard lock(state_->mutex);
    return static_cast<std::size_t>(std::count_if(state_->lines.begin(), state_->lines.end(),
                                                  [&](const line& l) { return l.level == level; }));
  }
  std::size_t count_containing(std::string_view needle) const {
    std::lock_guard lock(state_->mutex);
    return static_cast<std::size_t>(
        std::count_if(state_->lines.begin(), state_->lines.end(),
                      [&](const line& l) { return l.text.find(needle) != std::string::npos; }));
  }
  std::size_t size() const {
    std::lock_guard lock(state_->mutex);
    return state_->lines.size();
  }

private:
  struct state {
    std::mutex mutex;
    std::vector<line> lines;
  };
  std::shared_ptr<state> state_;
  troupe::framework::log_sink previous_;
};

/// Owns a descriptor.
class unique_fd {
public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~unique_fd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

inline unique_fd make_eventfd() { return unique_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)); }

/// Adds `n` to an eventfd's counter.
inline bool eventfd_add(int fd, std::uint64_t n) {
  return ::write(fd, &n, sizeof n) == static_cast<ssize_t>(sizeof n);
}

/// Reads an eventfd until EAGAIN (as an edge-triggered handler must); returns the sum.
inline std::uint64_t eventfd_drain(int fd) {
  std::uint64_t total = 0;
  for (;;) {
    std::uint64_t v = 0;
    if (::read(fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) return total;
    total += v;
  }
}

/// Makes sure at least `n` descriptors may be open (raises the soft limit if needed).
inline bool ensure_fd_limit(rlim_t n) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  if (rl.rlim_cur >= n) return true;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n) return false;
  rl.rlim_cur = n;
  return ::setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/// CPU time used by the whole process so far.
inline std::chrono::nanoseconds process_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// The process's virtual size in KiB (VmSize in /proc/self/status): tracks mmap/munmap.
inline std::size_t vm_size_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmSize:") {
      std::size_t kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

/// The permissions ("rw-p", "---p", ...) of the mapping holding `addr`, or "" if unmapped.
inline std::string mapping_perms(const void* addr) {
  const auto a = reinterpret_cast<std::uintptr_t>(addr);
  std::ifstream in("/proc/self/maps");
  std::string range, perms, rest;
  while (in >> range >> perms) {
    std::getline(in, rest);
    const auto dash = range.find('-');
    const auto lo = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (a >= lo && a < hi) return perms;
  }
  return {};
}

/// Anonymous inaccessible single-page mappings: what a guard page below a stack looks like
/// in /proc/self/maps (thread stacks have them too, so compare counts, not absolutes).
inline std::size_t guard_page_mappings() {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  std::ifstream in("/proc/self/maps");
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash == std::string::npos || space == std::string::npos) continue;
    const auto lo = std::stoull(line.substr(0, dash), nullptr, 16);
    const auto hi = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
    // "lo-hi perms offset dev inode [path]": anonymous when the inode is 0 and no path.
    if (line.compare(space + 1, 4, "---p") != 0 || hi - lo != page) continue;
    if (line.find('/') != std::string::npos || line.find('[') != std::string::npos) continue;
    ++n;
  }
  return n;
}

/// Increments a counter when destroyed: proves a stack frame was unwound.
struct destruction_counter {
  std::atomic<int>* count;
  ~destruction_counter() { count->fetch_add(1, std::memory_order_acq_rel); }
};

}  // namespace troupe_test
