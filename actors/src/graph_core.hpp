#pragma once
// What a graph shares with its actors: the context, the cells, the finish count, the error.

#include "cell.hpp"

#include <troupe/actors/graph.hpp>
#include <troupe/framework/ref_counted.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace troupe::actors::internal {

class graph_core final : public framework::ref_counted {
public:
  graph_core(messaging::context& c, std::string n, const registry& r) : ctx(c), name(std::move(n)), types(&r) {}

  messaging::context& ctx;
  const std::string name;
  const registry* types;

  // Building thread only (read-only once started).
  std::vector<framework::ref_ptr<cell>> cells;
  std::map<std::string, std::vector<cell*>, std::less<>> groups;  // spawn names and replica names
  std::vector<std::unique_ptr<actor_type>> own_types;
  std::set<std::string, std::less<>> linked_ports;  // "actor.port" of each linked cell port
  std::set<std::string, std::less<>> links;         // "from->to" per cell pair
  struct link_record {
    std::string from, to;
    std::vector<std::string> topics;
    cell* receiver;
    std::size_t slot;  // the receiver's in-link slot
  };
  std::vector<link_record> link_list;  // in the order made
  // "actor.port" of each SUB input: the distinct topics it subscribes to ("" for everything),
  // whose number is how many subscriptions each publisher it connects to receives.
  std::map<std::string, std::set<std::string>, std::less<>> input_topics;
  // Distributed graphs: told when a cell finishes (set before start, then read-only).
  std::function<void(const std::string&, const graph::sent_counts&)> finished_hook;
  bool started = false;

  /// A cell finished (any thread).
  void on_finished() noexcept {
    std::lock_guard lock(mutex);
    ++finished;
    done.notify_all();
  }
  /// A fatal failure: remember the first, stop every actor hard (any thread, never blocks).
  void fail(const std::string& msg) noexcept;

  /// Bumped by graph::links(): running cells refresh their link counts when they see it move.
  std::atomic<std::uint64_t> links_epoch{0};

  mutable std::mutex mutex;
  std::condition_variable done;
  std::size_t finished = 0;
  std::string error;
};

}  // namespace troupe::actors::internal
