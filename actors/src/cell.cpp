// A running actor: the handler-style run loop (a strand), the fiber-style body, timers,
// supervision and the finish that tells downstream actors and the graph.
#include "cell.hpp"

#include "graph_core.hpp"

#include <troupe/framework/fiber.hpp>
#include <troupe/framework/log.hpp>
#include <troupe/framework/reactor.hpp>
#include <troupe/framework/runtime.hpp>

#include <algorithm>

namespace troupe::actors::internal {

namespace fw = troupe::framework;
using fw::clock;

thread_local cell* cell::constructing = nullptr;

namespace {

/// How long a multicast link may stay silent, short of its count, before its stream ends
/// (docs/distributing.md#multicast-links): past the publisher's RECOVERY_IVL nothing more is
/// repaired, but a receiver's OpenPGM still holds what arrived after a gap until it gives up
/// asking for the gap — 50 NAK cycles of back-off, NCF and 200 ms for the repair
/// (messaging/src/pgm/socket.cpp), 10 to 13 s measured with every repair dropped — and then
/// delivers it (a "reset"); so the longer of the two, plus a margin for a loaded machine.
constexpr std::chrono::milliseconds pgm_receiver_give_up{20'000};
constexpr std::chrono::milliseconds multicast_silence_margin{1000};

std::string describe_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// Messages `s` received (or, `sent`, sent) over the connections made at `a` or `b`.
std::uint64_t traffic_at(const messaging::socket& s, std::string_view a, std::string_view b, bool sent) {
  std::uint64_t n = 0;
  if (s.closed()) return n;
  for (const messaging::endpoint_traffic& t : s.traffic())
    if (t.endpoint == a || t.endpoint == b) n += sent ? t.sent : t.received;
  return n;
}

std::uint64_t ns_since(clock::time_point t0) noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count());
}

}  // namespace

cell::cell(graph_core& g, const actor_type& type, std::string name, const spawn_options& o)
    : strand(g.ctx.runtime().exec()),
      graph_(&g),
      graph_ref_(&g),
      type_(&type),
      name_(std::move(name)),
      params_(o.params),
      policy_(o.policy),
      batch_(std::max(1, o.batch)) {
  for (const port_spec& spec : type.ports) {
    std::string ep = "inproc://" + g.name + "/" + name_ + "/" + spec.name;
    if (is_input(spec.kind)) {
      inputs_.push_back(std::make_unique<input>(*this, g.ctx, spec, std::move(ep)));
    } else {
      outputs_.push_back(std::make_unique<output>(*this, g.ctx, spec, std::move(ep)));
    }
  }
}

cell::~cell() = default;

input* cell::find_input(std::string_view port) noexcept {
  for (auto& p : inputs_)
    if (p->name() == port) return p.get();
  return nullptr;
}

output* cell::find_output(std::string_view port) noexcept {
  for (auto& p : outputs_)
    if (p->name() == port) return p.get();
  return nullptr;
}

port* cell::find_port(std::string_view port) noexcept {
  if (input* i = find_input(port)) return i;
  return find_output(port);
}

void cell::add_upstream(cell& up) {
  if (std::find(up.downstream_.begin(), up.downstream_.end(), this) != up.downstream_.end()) return;
  up.downstream_.push_back(this);
  ++upstream_total_;
  upstream_pending_.fetch_add(1, std::memory_order_relaxed);
}

std::size_t cell::add_in_link(input& in, std::string endpoint) {
  auto l = std::make_unique<in_link>();
  l->port = &in;
  l->endpoint = std::move(endpoint);
  in_links_.push_back(std::move(l));
  return in_links_.size() - 1;
}

std::uint64_t cell::link_messages(std::size_t slot) const noexcept {
  return in_links_[slot]->messages.load(std::memory_order_relaxed);
}

void cell::refresh_links(bool force) noexcept {
  if (in_links_.empty()) return;
  const std::uint64_t epoch = graph_->links_epoch.load(std::memory_order_relaxed);
  if (!force && epoch == links_epoch_seen_) return;
  links_epoch_seen_ = epoch;
  try {
    for (auto& p : inputs_) {
      if (p->sock_.closed()) continue;
      const std::vector<messaging::endpoint_traffic> traffic = p->sock_.traffic();
      for (auto& l : in_links_) {
        if (l->port != p.get()) continue;
        for (const messaging::endpoint_traffic& t : traffic)
          if (t.endpoint == l->endpoint) l->messages.store(l->before + t.received, std::memory_order_relaxed);
      }
    }
  } catch (...) {
    // Out of memory while copying the table: the counts stay as they were.
  }
}

void cell::subscribe(input& in, const std::vector<std::string>& topics) {
  if (topics.empty()) in.sock_.set(messaging::option::subscribe, std::string_view{});
  for (const std::string& t : topics) in.sock_.set(messaging::option::subscribe, t);
}

// ---- links to and from other processes ----

std::string cell::expose(output& out, std::string_view endpoint, int subscriptions, int rate, int recovery_ivl) {
  if (rate > 0) out.sock_.set(messaging::option::rate, rate);
  if (recovery_ivl > 0) out.sock_.set(messaging::option::recovery_ivl, recovery_ivl);
  out.sock_.bind(endpoint);
  std::string bound = out.sock_.get_bytes(messaging::option::last_endpoint);
  if (bound.empty()) bound = std::string(endpoint);
  exposed_.push_back({&out, std::string(endpoint), bound, subscriptions});
  return bound;
}

std::string cell::expose_more(output& out, std::string_view endpoint, int subscriptions, std::string_view drop) {
  if (!drop.empty()) {
    try {
      out.sock_.unbind(drop);  // its peer is gone: what is queued there is lost with it
    } catch (const messaging::error&) {
    }
  }
  return expose(out, endpoint, subscriptions);
}

void cell::reconnect(std::string_view upstream, input& in, std::string_view before, std::string_view endpoint) {
  // Its old peer is gone: nothing more to read from `before`.
  adopt_remote_upstream(upstream, in, before, endpoint, false);
  forget_endpoint(in, before, endpoint, !before.empty());
}

bool cell::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (state() == phase::finished) return false;
    posted_.push_back(std::move(task));
    any_fired_.store(true, std::memory_order_release);
    any_posted_.store(true, std::memory_order_release);
  }
  wake();
  return true;
}

// ---- live migration ----

graph::sent_counts cell::pause_output(output& out, bool paused) {
  out.paused_ = paused;
  graph::sent_counts sent;
  for (const exposure& e : exposed_)
    if (e.port == &out) sent[e.bound] = traffic_at(out.sock_, e.asked, e.bound, true);
  if (!paused) wake();  // held sends go out, a waiting fiber send retries
  return sent;
}

bool cell::exposure_ready(output& out, std::string_view endpoint, int subscriptions) {
  out.sock_.writable();  // takes in the connections made meanwhile (traffic() does not)
  for (const messaging::endpoint_traffic& t : out.sock_.traffic()) {
    if (t.endpoint != endpoint) continue;
    if (out.kind() != port_kind::pub) return true;
    return t.received + t.queued >= static_cast<std::uint64_t>(subscriptions);
  }
  return false;
}

void cell::move_out(graph::sent_counts expect, std::function<void(moved)> done) {
  if (style() != actor_style::handler)
    throw graph_error("actor '" + name_ + "' is fiber-style: moving it is not supported (its state is on its fiber's stack)");
  moving_ = move_order{std::move(expect), std::move(done)};
  wake();  // the run after this task looks whether it is drained already
}

std::string cell::cancel_move() {
  std::string v;
  if (moving_) {
    for (const remote_upstream& r : remote_ups_) {
      if (r.done) continue;
      for (const remote_link& l : r.links) {
        auto it = moving_->expect.find(l.endpoint);
        v += (v.empty() ? "" : "; ") + r.actor + " at " + (l.endpoint.empty() ? "(none)" : l.endpoint) + ": read " +
             std::to_string(l.endpoint.empty() ? 0 : received_from(*l.port, l.endpoint)) + " of " +
             (it == moving_->expect.end() ? std::string("its announced count") : std::to_string(it->second));
      }
    }
    if (total_held() > 0) v += (v.empty() ? "" : "; ") + std::to_string(total_held()) + " messages held for full outputs";
  }
  moving_.reset();
  return v.empty() ? "nothing left to read (it was not run again)" : v;
}

bool cell::move_drained() noexcept {
  try {
    check_remote();  // upstreams whose announced counts were all read are done
    for (const remote_upstream& r : remote_ups_) {
      if (r.done) continue;
      for (const remote_link& l : r.links) {
        auto it = moving_->expect.find(l.endpoint);
        if (l.endpoint.empty() || it == moving_->expect.end()) return false;  // finished: its count is announced
        if (received_from(*l.port, l.endpoint) < it->second) return false;
      }
    }
    return true;
  } catch (...) {
    return false;  // out of memory reading the counts: looked at again at the next run
  }
}

void cell::complete_move() noexcept {
  moved m;
  try {
    m.state = instance_ ? instance_->save_state() : nlohmann::json(nullptr);
    m.sent = exposed_sent();
    for (auto& o : outputs_) m.sent[o->endpoint()] = traffic_at(o->sock_, o->endpoint(), {}, true);
  } catch (...) {
    m.error = "actor '" + name_ + "': taking its state (save_state) or its counts failed: " + describe_exception(std::current_exception());
  }
  auto done = std::move(moving_->done);
  moving_.reset();
  if (!m.error.empty()) {
    done(std::move(m));  // it goes on here
    return;
  }
  moved_.store(true, std::memory_order_relaxed);
  cancel_timers();
  stop_remote_wake();
  try {
    instance_.reset();
  } catch (...) {
  }
  refresh_links(true);
  // Everything was read and sent: the inputs have nothing queued; what the outputs sent stays
  // deliverable (linger). No end of stream downstream: the moved actor goes on elsewhere.
  for (auto& p : outputs_) p->sock_.close();
  for (auto& p : inputs_) p->sock_.close();
  phase_.store(phase::finished, std::memory_order_release);
  fw::ref_ptr<graph_core> g = std::move(graph_ref_);
  try {
    done(std::move(m));
  } catch (...) {
  }
  g->on_finished();
}

void cell::adopt_remote_upstream(std::string_view upstream, input& in, std::string_view before, std::string_view endpoint,
                                 bool was_local) {
  in.sock_.connect(endpoint);
  std::lock_guard lock(mutex_);
  auto it = std::find_if(remote_ups_.begin(), remote_ups_.end(), [&](const remote_upstream& r) { return r.actor == upstream; });
  if (was_local) {
    // The in-process upstream cell's count in upstream_pending_ stands for it (that cell ended
    // without finishing): its announcement takes the count off.
    if (it == remote_ups_.end()) {
      remote_ups_.push_back({std::string(upstream), {}, {}, false, false});
      it = remote_ups_.end() - 1;
    }
    it->links.push_back(remote_link{&in, std::string(endpoint)});
    return;
  }
  if (it == remote_ups_.end()) return;
  for (remote_link& l : it->links)
    if (l.port == &in && l.endpoint == before) l.endpoint = std::string(endpoint);
}

std::uint64_t cell::received_from(input& in, std::string_view endpoint) const {
  return traffic_at(in.sock_, endpoint, {}, false);
}

void cell::forget_endpoint(input& in, std::string_view before, std::string_view endpoint, bool disconnect) {
  if (disconnect) {
    try {
      in.sock_.disconnect(before);
    } catch (const messaging::error&) {
    }
  }
  refresh_links(true);
  for (auto& l : in_links_) {
    if (l->port != &in || l->endpoint != before) continue;
    l->before = l->messages.load(std::memory_order_relaxed);
    l->endpoint = std::string(endpoint);
  }
}

void cell::add_remote_upstream(std::string upstream, input& in, std::string endpoint) {
  auto it = std::find_if(remote_ups_.begin(), remote_ups_.end(), [&](const remote_upstream& r) { return r.actor == upstream; });
  if (it == remote_ups_.end()) {
    remote_ups_.push_back({std::move(upstream), {}, {}, false, false});
    it = remote_ups_.end() - 1;
    ++upstream_total_;
    upstream_pending_.fetch_add(1, std::memory_order_relaxed);
  }
  remote_link l{&in, std::move(endpoint)};
  if (l.endpoint.starts_with("epgm://") || l.endpoint.starts_with("pgm://"))
    l.silence = std::max(std::chrono::milliseconds(in.sock_.get_int(messaging::option::recovery_ivl)), pgm_receiver_give_up) +
                multicast_silence_margin;
  it->links.push_back(std::move(l));
}

bool cell::remote_finished(std::string_view upstream, const graph::sent_counts& sent) {
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(remote_ups_.begin(), remote_ups_.end(), [&](const remote_upstream& r) { return r.actor == upstream; });
    if (it == remote_ups_.end() || it->announced) return it != remote_ups_.end();
    it->expected.clear();
    bool multicast = false;
    for (const remote_link& l : it->links) {
      multicast = multicast || l.silence.count() > 0;
      auto n = sent.find(l.endpoint);
      it->expected.push_back(n == sent.end() ? 0 : n->second);
    }
    it->announced = true;
    remote_check_.store(true, std::memory_order_release);
    if (multicast && !remote_wake_closed_ && !remote_wake_.active()) {
      // A count that loss keeps short is noticed by the silence that follows: a timer wakes
      // the actor to look (check_remote_slow), until the cell finishes (stop_remote_wake).
      try {
        auto cb = [self = fw::ref_ptr<cell>(this)] { self->wake(); };
        remote_wake_ = graph_->ctx.runtime().io().every(std::chrono::milliseconds(100), std::move(cb));
      } catch (...) {
        // No timer: the stream still ends when the count is reached.
      }
    }
  }
  wake();
  return true;
}

bool cell::multicast_given_up(const std::string& upstream, remote_link& l, std::uint64_t got, std::uint64_t expected) noexcept {
  const auto now = clock::now();
  if (l.quiet_since == clock::time_point{} || got != l.last_got) {
    l.last_got = got;
    l.quiet_since = now;
    return false;
  }
  if (now - l.quiet_since < l.silence) return false;
  try {
    fw::log(fw::log_level::warning,
            "multicast link " + upstream + " -> " + name_ + "." + l.port->name() + " (" + l.endpoint + "): " +
                std::to_string(expected - got) + " of " + std::to_string(expected) +
                " messages lost (nothing arrived for " + std::to_string(l.silence.count()) +
                " ms after the sender finished: lost past repair); its stream ends here");
  } catch (...) {
  }
  return true;
}

void cell::check_remote_slow() noexcept {
  try {
    // The announcements, copied under the lock; the sockets are read outside it (their signal
    // hooks take it).
    std::vector<std::pair<std::size_t, std::vector<std::uint64_t>>> todo;
    {
      std::lock_guard lock(mutex_);
      for (std::size_t k = 0; k < remote_ups_.size(); ++k) {
        const remote_upstream& r = remote_ups_[k];
        if (r.done) continue;
        if (r.announced) todo.emplace_back(k, r.expected);
      }
    }
    bool waiting = false;
    for (auto& [k, expected] : todo) {
      remote_upstream& r = remote_ups_[k];
      bool all = true;
      for (std::size_t i = 0; i < r.links.size() && all; ++i) {
        remote_link& l = r.links[i];
        input& in = *l.port;
        // Over pgm, what arrived counts whether or not the SUB's topics wanted it: the SUB
        // reads every message from its pipe and drops the unwanted (the count is the pipe's).
        const std::uint64_t got = received_from(in, l.endpoint);
        all = got >= expected[i] || in.sock_.closed();
        if (!all && l.silence.count() > 0) all = multicast_given_up(r.actor, l, got, expected[i]);
      }
      if (!all) {
        waiting = true;
        continue;
      }
      r.done = true;
      upstream_pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
    std::lock_guard lock(mutex_);
    // Cleared only when no announced upstream is left waiting; a later announcement sets it
    // again under this lock.
    bool left = waiting;
    for (const remote_upstream& r : remote_ups_) left = left || (r.announced && !r.done);
    if (!left) remote_check_.store(false, std::memory_order_release);
  } catch (...) {
    // Out of memory while reading the counts: checked again at the next run.
  }
}

std::string cell::remote_waiting(const std::function<std::uint64_t(const output&)>& local_subscriptions) {
  for (const exposure& e : exposed_) {
    e.port->sock_.writable();  // takes in the connections made meanwhile (traffic() does not)
    const std::vector<messaging::endpoint_traffic> traffic = e.port->sock_.traffic();
    const bool peer = std::any_of(traffic.begin(), traffic.end(), [&](const messaging::endpoint_traffic& t) {
      return t.endpoint == e.asked || t.endpoint == e.bound;
    });
    if (!peer) return name_ + "." + e.port->name() + " (no peer connected at " + e.bound + " yet)";
  }
  for (auto& o : outputs_) {
    if (o->kind() != port_kind::pub) continue;
    std::uint64_t owed = 0;
    bool remote = false;
    for (const exposure& e : exposed_) {
      if (e.port != o.get()) continue;
      owed += static_cast<std::uint64_t>(e.subscriptions);
      remote = true;
    }
    if (!remote) continue;
    owed += local_subscriptions(*o);
    // Subscriptions wait in the publisher's pipes until its first send reads them.
    std::uint64_t have = o->sock_.queued();
    for (const messaging::endpoint_traffic& t : o->sock_.traffic()) have += t.received;
    if (have < owed)
      return name_ + "." + o->name() + " (" + std::to_string(have) + " of " + std::to_string(owed) + " subscriptions)";
  }
  return {};
}

bool cell::multicast_exposed(const output& out) const noexcept {
  return std::any_of(exposed_.begin(), exposed_.end(), [&](const exposure& e) {
    return e.port == &out && (e.asked.starts_with("epgm://") || e.asked.starts_with("pgm://"));
  });
}

graph::sent_counts cell::exposed_sent() const {
  graph::sent_counts sent;
  for (const exposure& e : exposed_) sent[e.bound] = traffic_at(e.port->sock_, e.asked, e.bound, true);
  return sent;
}

bool cell::inputs_closed() const noexcept {
  if (upstream_total_ > 0) return upstream_pending_.load(std::memory_order_acquire) == 0;
  return stopping();
}

// ---- lifecycle ----

void cell::start() {
  // Every port's socket wakes the actor: readable inputs, writable outputs.
  auto hook = [self = fw::ref_ptr<cell>(this)] { self->wake(); };
  for (auto& p : inputs_) p->sock_.on_signal(hook);
  for (auto& p : outputs_) p->sock_.on_signal(hook);
  phase_.store(phase::running, std::memory_order_release);
  if (style() == actor_style::handler) {
    schedule();
  } else {
    graph_->ctx.runtime().spawn([self = fw::ref_ptr<cell>(this)] { self->run_fiber(); });
  }
}

void cell::request_stop(bool hard) noexcept {
  if (hard) hard_.store(true, std::memory_order_release);
  stop_requested_.store(true, std::memory_order_release);
  wake();
}

void cell::stop_remote_wake() noexcept {
  fw::timer t;
  {
    std::lock_guard lock(mutex_);
    remote_wake_closed_ = true;
    t = remote_wake_;
  }
  t.cancel();
}

void cell::discard() noexcept {
  stop_remote_wake();
  for (auto& p : inputs_) {
    p->sock_.close();
    p->queued_.store(0, std::memory_order_relaxed);
  }
  for (auto& p : outputs_) p->sock_.close();
}

void cell::wake() noexcept {
  if (style() == actor_style::handler) {
    schedule();
    return;
  }
  std::lock_guard lock(mutex_);
  if (parked_) {
    parked_->notify();
    parked_.reset();
  } else {
    woken_ = true;
  }
}

void cell::park(const clock::time_point* deadline) {
  fw::waiter w;
  bool must_wait = false;
  {
    std::lock_guard lock(mutex_);
    if (woken_) {
      woken_ = false;
    } else {
      parked_ = w;
      must_wait = true;
    }
  }
  if (must_wait) {
    busy_ns_.fetch_add(ns_since(resumed_), std::memory_order_relaxed);
    try {
      if (deadline) {
        w.wait_until(*deadline);
      } else {
        w.wait();
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      parked_.reset();
      throw;
    }
    resumed_ = clock::now();
    std::lock_guard lock(mutex_);
    parked_.reset();  // a timeout leaves it set
  }
  refresh_links(false);
  run_fired();
}

// ---- timers ----

fw::timer cell::add_timer(std::chrono::milliseconds d, bool periodic, std::function<void()> fn) {
  auto f = std::make_shared<std::function<void()>>(std::move(fn));
  auto cb = [self = fw::ref_ptr<cell>(this), f] {
    {
      std::lock_guard lock(self->mutex_);
      self->fired_.push_back(f);
      self->any_fired_.store(true, std::memory_order_release);
    }
    self->wake();
  };
  fw::reactor& io = graph_->ctx.runtime().io();
  fw::timer t = periodic ? io.every(d, std::move(cb)) : io.after(d, std::move(cb));
  std::lock_guard lock(mutex_);
  std::erase_if(timers_, [](const fw::timer& x) { return !x.active(); });
  timers_.push_back(t);
  return t;
}

void cell::run_fired() {
  // A timer that fires after this load queues its callback before it wakes us: the run that
  // wake causes sees the flag.
  if (!any_fired_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard lock(mutex_);
    any_fired_.store(false, std::memory_order_relaxed);
    running_fired_.swap(fired_);
  }
  run_posted_now();
  struct clear_on_exit {
    std::vector<std::shared_ptr<std::function<void()>>>& v;
    ~clear_on_exit() { v.clear(); }
  } guard{running_fired_};
  for (auto& f : running_fired_) (*f)();
}

void cell::run_posted() {
  std::vector<std::function<void()>> posted;
  {
    std::lock_guard lock(mutex_);
    any_posted_.store(false, std::memory_order_relaxed);
    posted.swap(posted_);
    // any_fired_ stays set if a timer fired: run_fired() runs it at the next wait.
  }
  for (auto& t : posted) t();  // the graph's, not the actor's: they do not throw
}

void cell::cancel_timers() noexcept {
  std::vector<fw::timer> timers;
  {
    std::lock_guard lock(mutex_);
    timers.swap(timers_);
  }
  for (fw::timer& t : timers) t.cancel();  // no callback runs after this (they only queue)
  std::lock_guard lock(mutex_);
  fired_.clear();
  any_fired_.store(!posted_.empty(), std::memory_order_relaxed);
}

// ---- the instance and supervision ----

bool cell::make_instance() noexcept {
  try {
    constructing = this;
    std::unique_ptr<actor> a = type_->make();
    constructing = nullptr;
    instance_ = std::move(a);
    if (!initial_state_.is_null()) {
      nlohmann::json s = std::move(initial_state_);
      initial_state_ = nullptr;  // the first instance only: a supervised restart starts fresh
      instance_->load_state(s);
    }
    instance_->on_start();
    return true;
  } catch (...) {
    constructing = nullptr;
    return supervise("start", std::current_exception());
  }
}

bool cell::supervise(std::string_view where, std::exception_ptr e) noexcept {
  failures_.fetch_add(1, std::memory_order_relaxed);
  const std::string reason = describe_exception(e);
  cancel_timers();
  try {
    instance_.reset();
  } catch (...) {
  }
  std::string head = "actor '" + name_ + "' failed in " + std::string(where) + ": " + reason;
  if (policy_.on_failure == supervision::action::stop) {
    fw::log(fw::log_level::error, head + "; stopping it (policy: stop)");
    finish(false);
    return false;
  }
  const auto now = clock::now();
  std::erase_if(restart_times_, [&](clock::time_point t) { return now - t > policy_.window; });
  if (static_cast<int>(restart_times_.size()) >= policy_.max_restarts) {
    const std::string msg = head + "; restart limit reached (" + std::to_string(policy_.max_restarts) +
                            " restarts in " + std::to_string(policy_.window.count()) +
                            " ms): stopping the graph";
    graph_->fail(msg);
    finish(false);
    return false;
  }
  restart_times_.push_back(now);
  restarts_.fetch_add(1, std::memory_order_relaxed);
  fw::log(fw::log_level::warning, head + "; restarting it (inbox kept)");
  if (hard()) {
    finish(false);
    return false;
  }
  return make_instance();
}

// ---- handler style: one strand run ----

bool cell::flush_held() noexcept {
  for (auto& o : outputs_)
    if (!o->flush_held()) return false;
  return true;
}

std::size_t cell::total_held() const noexcept {
  std::size_t n = 0;
  for (auto& o : outputs_) n += o->held();
  return n;
}

void cell::on_run() noexcept {
  if (phase_.load(std::memory_order_acquire) != phase::running) return;
  const auto t0 = clock::now();
  step();
  if (phase_.load(std::memory_order_acquire) == phase::running) {
    for (auto& in : inputs_) in->sample_queue();
  }
  busy_ns_.fetch_add(ns_since(t0), std::memory_order_relaxed);
}

void cell::step() noexcept {
  if (hard()) {
    finish(false);
    return;
  }
  if (awaiting_flush_) {
    finish(true);
    return;
  }
  refresh_links(false);
  if (!instance_ && !make_instance()) return;
  try {
    run_fired();
  } catch (...) {
    if (!supervise("a timer", std::current_exception())) return;
  }
  if (!flush_held()) return;  // a writable signal wakes us
  int budget = batch_;
  check_remote();
  const bool closed = inputs_closed();  // sampled before the reads: an empty read is then final
  const std::size_t n = inputs_.size();
  while (budget > 0) {
    bool any = false;
    for (std::size_t k = 0; k < n && budget > 0; ++k) {
      input& in = *inputs_[next_input_];
      next_input_ = next_input_ + 1 == n ? 0 : next_input_ + 1;
      if (!in.sock_.recv(scratch_, messaging::flags::dontwait)) continue;
      any = true;
      --budget;
      in.counted();
      try {
        static_cast<handler_actor&>(*instance_).on_message(in, scratch_);
      } catch (...) {
        if (!supervise("on_message (port '" + in.name() + "')", std::current_exception())) return;
      }
      if (total_held() > 0) return;  // back-pressure: take no more input until it drains
    }
    if (!any) break;
  }
  if (budget == 0) {
    schedule();  // more may be queued: yield to the others, come back at the queue's end
    return;
  }
  if (moving_ && move_drained()) {
    complete_move();
    return;
  }
  if (closed) {
    finish(true);
    return;
  }
  // Everything readable was read: a remote upstream announced earlier may be complete now.
  check_remote();
  if (inputs_closed()) schedule();
}

// ---- fiber style ----

void cell::run_fiber() {
  resumed_ = clock::now();
  try {
    for (;;) {
      if (hard()) break;
      if (!instance_ && !make_instance()) return;
      try {
        static_cast<fiber_actor&>(*instance_).run();
        finish(!hard());
        return;
      } catch (const fw::fiber_cancelled&) {
        throw;
      } catch (...) {
        if (!supervise("run", std::current_exception())) return;
      }
    }
  } catch (const fw::fiber_cancelled&) {
    hard_.store(true, std::memory_order_release);
    finish(false);
    throw;
  }
  finish(false);
}

// ---- the end ----

void cell::finish(bool clean) noexcept {
  if (phase_.load(std::memory_order_acquire) == phase::finished) return;
  cancel_timers();
  stop_remote_wake();
  if (clean && instance_ && !stopped_hook_) {
    stopped_hook_ = true;
    try {
      instance_->on_stop();
    } catch (...) {
      fw::log(fw::log_level::error,
              "actor '" + name_ + "' failed in on_stop: " + describe_exception(std::current_exception()));
    }
  }
  // What on_stop (or the last handler call) sent must go out before the ports close; a full
  // PUSH's writable signal brings us back here. A hard stop does not wait.
  awaiting_flush_ = clean && !hard() && style() == actor_style::handler && !flush_held();
  if (awaiting_flush_) return;
  try {
    instance_.reset();
  } catch (...) {
  }
  if (style() == actor_style::fiber) busy_ns_.fetch_add(ns_since(resumed_), std::memory_order_relaxed);
  refresh_links(true);  // the final counts, before the sockets go
  graph::sent_counts sent;
  if (!exposed_.empty()) {
    try {
      sent = exposed_sent();
    } catch (...) {
    }
  }
  const bool discard_queued = hard();
  for (auto& p : outputs_) {
    if (discard_queued) {
      p->sock_.set(messaging::option::linger, 0);
    } else if (multicast_exposed(*p)) {
      // Kept open until the cell goes (the node's teardown, once every receiver is done):
      // PGM repairs what receivers lost, even the last packets, only while its socket lives.
      // Its hook (which holds this cell) goes now, so that the cell can go.
      p->sock_.on_signal(nullptr);
      continue;
    }
    p->sock_.close();  // with linger, what was sent stays deliverable
  }
  for (auto& p : inputs_) p->sock_.close();
  phase_.store(phase::finished, std::memory_order_release);
  for (cell* d : downstream_) {
    if (d->upstream_pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) d->wake();
  }
  fw::ref_ptr<graph_core> g = std::move(graph_ref_);
  if (g->finished_hook) {
    try {
      g->finished_hook(name_, sent);
    } catch (...) {
      fw::log(fw::log_level::error, "actor '" + name_ + "': the finished hook failed");
    }
  }
  g->on_finished();
}

// ---- counters ----

nlohmann::json cell::counters() const {
  std::uint64_t in = 0, out = 0, queued = 0;
  nlohmann::json ports = nlohmann::json::object();
  nlohmann::json queues = nlohmann::json::object();
  for (auto& p : inputs_) {  // each counter read once, so "in" is the sum of the ports shown
    const std::uint64_t n = p->count(), depth = p->queued();
    in += n;
    queued += depth;
    ports[p->name()] = n;
    queues[p->name()] = depth;
  }
  std::size_t held = 0;
  for (auto& p : outputs_) {
    const std::uint64_t n = p->count();
    out += n;
    held += p->held();
    ports[p->name()] = n;
  }
  const char* st = "built";
  switch (state()) {
    case phase::built: st = "built"; break;
    case phase::running: st = "running"; break;
    case phase::finished: st = moved_.load(std::memory_order_relaxed) ? "moved" : "finished"; break;
  }
  nlohmann::json j{{"type", type_->name},
                        {"style", style() == actor_style::handler ? "handler" : "fiber"},
                        {"state", st},
                        {"in", in},
                        {"out", out},
                        {"held", held},
                        {"queued", queued},
                        {"busy_us", busy_ns_.load(std::memory_order_relaxed) / 1000},
                        {"restarts", restarts_.load(std::memory_order_relaxed)},
                        {"failures", failures_.load(std::memory_order_relaxed)},
                        {"ports", std::move(ports)},
                        {"queues", std::move(queues)}};
  const std::uint64_t total = progress_total_.load(std::memory_order_relaxed);
  if (total > 0) j["progress"] = {{"done", progress_done_.load(std::memory_order_relaxed)}, {"total", total}};
  return j;
}

}  // namespace troupe::actors::internal
