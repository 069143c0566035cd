// `troupe run`: start, wait with a live progress line, stop on signals or bounds, summarise.
#include "run.hpp"

#include "progress.hpp"

#include <troupe/framework/log.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sys/ioctl.h>
#include <thread>
#include <unistd.h>

namespace troupe::cli {

namespace {

using clock = std::chrono::steady_clock;
namespace ta = troupe::actors;

volatile std::sig_atomic_t g_interrupts = 0;

extern "C" void on_sigint(int) { g_interrupts = g_interrupts + 1; }

/// Installs the SIGINT handler for the run, restores the old one after.
class sigint_guard {
public:
  sigint_guard() {
    g_interrupts = 0;
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~sigint_guard() { sigaction(SIGINT, &old_, nullptr); }
  sigint_guard(const sigint_guard&) = delete;
  sigint_guard& operator=(const sigint_guard&) = delete;

private:
  struct sigaction old_ {};
};

std::size_t terminal_width() {
  winsize w{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

/// The progress line on stderr; log lines clear it first so the two never mix.
class progress_display {
public:
  explicit progress_display(bool on) : on_(on) {
    if (!on_) return;
    previous_ = framework::set_log_sink([this](framework::log_level level, std::string_view text) {
      static constexpr const char* names[] = {"debug", "info", "warning", "error"};
      std::lock_guard lock(mutex_);
      std::fprintf(stderr, "\r\033[Ktroupe %s: %.*s\n", names[static_cast<int>(level)], static_cast<int>(text.size()),
                   text.data());
      shown_ = false;
    });
  }
  ~progress_display() {
    if (!on_) return;
    framework::set_log_sink(std::move(previous_));
    clear();
  }
  progress_display(const progress_display&) = delete;
  progress_display& operator=(const progress_display&) = delete;
  void show(const std::string& line) {
    if (!on_) return;
    std::lock_guard lock(mutex_);
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

private:
  bool on_;
  std::mutex mutex_;
  bool shown_ = false;
  framework::log_sink previous_;
};

template <class G>
void print_summary(const G& g, const nlohmann::json& c, double wall, const char* how) {
  std::size_t w = 5;
  for (const std::string& a : g.actors()) w = std::max(w, a.size());
  std::fprintf(stderr, "graph '%s' %s in %.3f s\n", g.name().c_str(), how, wall);
  std::fprintf(stderr, "  %-*s %12s %12s %8s  %s\n", static_cast<int>(w), "actor", "in", "out", "restarts", "type");
  for (const std::string& a : g.actors()) {
    const nlohmann::json& x = c.at(a);
    std::string type = x.at("type").get<std::string>();
    if (x.contains("node")) type += "  (node " + x.at("node").get<std::string>() + ")";
    std::fprintf(stderr, "  %-*s %12llu %12llu %8llu  %s\n", static_cast<int>(w), a.c_str(),
                 x.at("in").get<unsigned long long>(), x.at("out").get<unsigned long long>(),
                 x.at("restarts").get<unsigned long long>(), type.c_str());
  }
}

template <class G>
void write_counters(const std::string& path, const G& g, const nlohmann::json& c, double wall, const char* how) {
  nlohmann::json links = nlohmann::json::array();
  for (const ta::link_info& l : g.links())
    links.push_back({{"from", l.from}, {"to", l.to}, {"topics", l.topics}, {"messages", l.messages}});
  const nlohmann::json doc{{"graph", g.name()}, {"result", how}, {"wall_seconds", wall}, {"actors", c}, {"links", links}};
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) std::fprintf(stderr, "troupe: cannot write --counters-json file '%s'\n", path.c_str());
}

}  // namespace

template <class G>
run_result run_graph(G& g, const options& o) {
  const bool show = o.progress == options::progress_mode::on ||
                    (o.progress == options::progress_mode::automatic && isatty(STDERR_FILENO));
  sigint_guard sig;
  progress_display display(show);
  const auto t0 = clock::now();
  g.start();

  std::thread stopper;  // the drain after a first Ctrl-C or --duration (stop() blocks)
  const auto drain_timeout = std::chrono::seconds(10);
  std::atomic<bool> stopper_done{false};
  auto drain = [&] {
    if (stopper.joinable()) return;
    stopper = std::thread([&g, &stopper_done, drain_timeout] {
      g.stop(ta::stop_mode::drain, drain_timeout);  // becomes hard itself if the drain hangs
      stopper_done = true;
    });
  };
  int handled = 0;
  bool timed_out = false;
  nlohmann::json before = g.counters();
  auto last = t0;
  ta::stop_report r;
  for (;;) {
    r = g.wait(std::chrono::milliseconds(show ? 250 : 100));
    if (r.finished || stopper_done) break;  // a stop that gave up has named who hung
    if (!r.error.empty() && !stopper.joinable()) {
      // A failure (a distributed graph's node reported one): stop the rest at once.
      r = g.stop(ta::stop_mode::hard, drain_timeout);
      break;
    }
    const auto now = clock::now();
    const int seen = g_interrupts;
    if (seen > handled) {
      handled = seen;
      if (seen == 1) {
        framework::log(framework::log_level::warning, "interrupted: draining (Ctrl-C again stops at once)");
        drain();
      } else {
        r = g.stop(ta::stop_mode::hard, drain_timeout);
        break;
      }
    }
    if (o.duration && now - t0 >= *o.duration) drain();
    if (o.timeout && now - t0 >= *o.timeout && !timed_out) {
      timed_out = true;
      framework::log(framework::log_level::error, "graph '" + g.name() + "' did not finish within --timeout: draining");
      drain();
    }
    if (show && now - last >= std::chrono::milliseconds(250)) {
      nlohmann::json c = g.counters();
      const double dt = std::chrono::duration<double>(now - last).count();
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      display.show(progress_line(elapsed, stage_rates(before, c, dt, g.actors()), terminal_width()));
      before = std::move(c);
      last = now;
    }
  }
  if (stopper.joinable()) stopper.join();
  const double wall = std::chrono::duration<double>(clock::now() - t0).count();
  display.clear();
  r = g.wait(std::chrono::milliseconds(0));
  if (!r.finished) {
    std::string names;
    for (const std::string& n : r.unfinished) names += " " + n;
    r.error += (r.error.empty() ? "" : "; ") + std::string("still running after the stop:") + names;
  }
  const nlohmann::json c = g.counters();
  run_result result = run_result::finished;
  const char* how = "finished";
  if (!r.error.empty() || timed_out) {
    result = run_result::failed;
    how = timed_out ? "timed out" : "failed";
  } else if (handled > 0) {
    result = run_result::interrupted;
    how = "interrupted";
  }
  print_summary(g, c, wall, how);
  if (!r.error.empty()) std::fprintf(stderr, "troupe: %s\n", r.error.c_str());
  if (!o.counters_json.empty()) write_counters(o.counters_json, g, c, wall, how);
  return result;
}

template run_result run_graph(ta::graph&, const options&);
template run_result run_graph(ta::distributed_graph&, const options&);

}  // namespace troupe::cli
