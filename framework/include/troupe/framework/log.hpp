#pragma once
/// Minimal logging: one process-wide sink, replaceable (tests capture it).

#include <exception>
#include <functional>
#include <string_view>

namespace troupe::framework {

enum class log_level { debug, info, warning, error };

/// Receives every log line. The default writes "troupe <level>: <text>" to stderr.
/// Called from whichever thread logs; must be thread-safe.
using log_sink = std::function<void(log_level, std::string_view)>;

/// Replaces the sink (pass nullptr to restore the default); returns the previous one.
log_sink set_log_sink(log_sink sink);

/// Lines below this level are dropped before formatting (default: info).
void set_log_level(log_level min) noexcept;
bool log_enabled(log_level level) noexcept;

void log(log_level level, std::string_view text) noexcept;

/// Logs an exception caught in `where` at error level.
void log_exception(std::string_view where, std::exception_ptr e) noexcept;

}  // namespace troupe::framework
