#include <troupe/framework/log.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

namespace troupe::framework {
namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
log_sink& sink_slot() {
  static log_sink s;
  return s;
}
std::atomic<int> min_level{static_cast<int>(log_level::info)};

const char* name_of(log_level l) noexcept {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "?";
}

}  // namespace

log_sink set_log_sink(log_sink sink) {
  std::lock_guard lock(sink_mutex());
  return std::exchange(sink_slot(), std::move(sink));
}

void set_log_level(log_level min) noexcept { min_level.store(static_cast<int>(min)); }

bool log_enabled(log_level level) noexcept {
  return static_cast<int>(level) >= min_level.load(std::memory_order_relaxed);
}

void log(log_level level, std::string_view text) noexcept {
  if (!log_enabled(level)) return;
  try {
    std::lock_guard lock(sink_mutex());
    if (sink_slot()) {
      sink_slot()(level, text);
      return;
    }
    std::fprintf(stderr, "troupe %s: %.*s\n", name_of(level), static_cast<int>(text.size()), text.data());
  } catch (...) {
    // A failing sink must not take the caller down with it.
  }
}

void log_exception(std::string_view where, std::exception_ptr e) noexcept {
  std::string text = "exception in ";
  try {
    text.append(where);
    try {
      if (e) std::rethrow_exception(e);
      text += ": (none)";
    } catch (const std::exception& ex) {
      text += ": ";
      text += ex.what();
    } catch (...) {
      text += ": unknown exception";
    }
  } catch (...) {
    return;
  }
  log(log_level::error, text);
}

}  // namespace troupe::framework
