// White-box tests of the subscription tries (messaging/src/routing): the publisher's mtrie and
// the subscriber's counted trie, checked step by step against a plain model under random
// operations, plus the shapes that stress a radix tree (nesting, splits, merges, byte values).
#include "routing/mtrie.hpp"
#include "routing/trie.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace troupe::messaging::internal;
using troupe::framework::ref_ptr;

std::span<const std::byte> key(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }
const std::byte* data(const std::string& s) { return reinterpret_cast<const std::byte*>(s.data()); }

// Short keys over a tiny alphabet (0x00 and 0xff included) collide, nest and share prefixes a
// lot: every split and merge case comes up.
std::string random_key(std::mt19937& rng, std::size_t max_len) {
  static const char alphabet[] = {'a', 'b', '\0', '\xff'};
  std::string s(rng() % (max_len + 1), 'a');
  for (char& c : s) c = alphabet[rng() % 4];
  return s;
}

struct pipes_fixture {
  explicit pipes_fixture(int n) {
    for (int i = 0; i < n; ++i) pipes.push_back(make_pipe(0, 0));
  }
  pipe_end& end(int i) { return pipes[static_cast<std::size_t>(i)]->a(); }
  int index_of(const pipe_end& p) {
    for (std::size_t i = 0; i < pipes.size(); ++i)
      if (&pipes[i]->a() == &p) return static_cast<int>(i);
    return -1;
  }
  std::vector<ref_ptr<troupe::messaging::internal::pipe>> pipes;
};

}  // namespace

TEST_SUITE("pubsub") {
  TEST_CASE("mtrie: first/last reports and matches agree with a model under random operations") {
    constexpr int npipes = 5;
    pipes_fixture f(npipes);
    mtrie t;
    std::map<std::string, std::set<int>> model;
    std::mt19937 rng(20240611);
    for (int step = 0; step < 40000; ++step) {
      const int op = static_cast<int>(rng() % 20);
      const int p = static_cast<int>(rng() % npipes);
      const std::string k = random_key(rng, 5);
      CAPTURE(step);
      if (op < 10) {
        const bool expect_first = model[k].empty();
        CHECK(t.add(key(k), f.end(p)) == expect_first);
        model[k].insert(p);
      } else if (op < 19) {
        auto it = model.find(k);
        mtrie::rm_result expected = mtrie::rm_result::not_found;
        if (it != model.end() && it->second.contains(p)) {
          expected = it->second.size() == 1 ? mtrie::rm_result::last_removed : mtrie::rm_result::values_remain;
          it->second.erase(p);
        }
        CHECK(t.rm(key(k), f.end(p)) == expected);
      } else {
        std::map<std::string, bool> reported;
        t.rm_all(f.end(p), [&](std::string_view prefix, bool last) {
          CHECK(reported.emplace(std::string(prefix), last).second);  // each prefix once
        });
        std::map<std::string, bool> expected;
        for (auto& [mk, pipes] : model) {
          if (pipes.erase(p)) expected.emplace(mk, pipes.empty());
        }
        CHECK(reported == expected);
      }
      std::erase_if(model, [](const auto& kv) { return kv.second.empty(); });
      if (step % 16 == 0) {
        const std::string msg = random_key(rng, 7);
        std::set<int> matched;
        int calls = 0;
        t.match(data(msg), msg.size(), [&](pipe_end& pe) {
          matched.insert(f.index_of(pe));
          ++calls;
        });
        std::set<int> want;
        int want_calls = 0;
        for (const auto& [mk, pipes] : model) {
          if (msg.starts_with(mk)) {
            want.insert(pipes.begin(), pipes.end());
            want_calls += static_cast<int>(pipes.size());
          }
        }
        CHECK(matched == want);
        CHECK(calls == want_calls);  // each (prefix, pipe) once: nothing stale is left behind
      }
    }
    for (int p = 0; p < npipes; ++p) t.rm_all(f.end(p), [](std::string_view, bool) {});
    CHECK(t.empty());  // every node was pruned
  }

  TEST_CASE("trie: counted add/rm and check agree with a model under random operations") {
    trie t;
    std::map<std::string, int> model;
    std::mt19937 rng(7);
    for (int step = 0; step < 20000; ++step) {
      const std::string k = random_key(rng, 5);
      CAPTURE(step);
      if (rng() % 2 == 0) {
        CHECK(t.add(key(k)) == (model[k] == 0));
        ++model[k];
      } else {
        const int before = model.contains(k) ? model[k] : 0;
        CHECK(t.rm(key(k)) == (before == 1));
        if (before > 0) --model[k];
      }
      std::erase_if(model, [](const auto& kv) { return kv.second == 0; });
      if (step % 16 == 0) {
        const std::string msg = random_key(rng, 7);
        bool want = false;
        for (const auto& [mk, n] : model) want = want || msg.starts_with(mk);
        CHECK(t.check(data(msg), msg.size()) == want);
      }
      if (step % 997 == 0) {
        std::set<std::string> applied;
        t.apply([&](std::string_view prefix) { CHECK(applied.emplace(prefix).second); });
        std::set<std::string> want;
        for (const auto& [mk, n] : model) want.insert(mk);
        CHECK(applied == want);
      }
    }
    for (auto& [mk, n] : model)
      while (n-- > 0) t.rm(key(mk));
    CHECK(t.empty());
  }

  TEST_CASE("tries: the empty prefix and binary prefixes and no match on a shorter message") {
    pipes_fixture f(2);
    mtrie t;
    const std::string a = std::string("ab\0c", 4);
    CHECK(t.add(key(a), f.end(0)));
    auto matches = [&](const std::string& m) {
      std::set<int> s;
      t.match(data(m), m.size(), [&](pipe_end& pe) { s.insert(f.index_of(pe)); });
      return s;
    };
    CHECK(matches(std::string("ab\0cd", 5)) == std::set<int>{0});
    CHECK(matches(std::string("ab\0", 3)).empty());
    CHECK(matches("ab").empty());
    CHECK(matches("").empty());
    CHECK(t.add(key(""), f.end(1)));
    CHECK(matches("") == std::set<int>{1});
    CHECK(matches("zzz") == std::set<int>{1});
    CHECK(matches(std::string("ab\0c", 4)) == std::set<int>{0, 1});
    CHECK(t.rm(key(""), f.end(1)) == mtrie::rm_result::last_removed);
    CHECK(t.rm(key(a), f.end(0)) == mtrie::rm_result::last_removed);
    CHECK(t.empty());

    trie s;
    CHECK_FALSE(s.check(data(""), 0));
    CHECK(s.add(key("")));
    CHECK(s.check(data(""), 0));
    CHECK(s.check(data("anything"), 8));
    CHECK(s.rm(key("")));
    CHECK_FALSE(s.rm(key("")));
    CHECK(s.empty());
  }

  TEST_CASE("tries: deep nesting is built and matched and removed and destroyed without recursion") {
    constexpr std::size_t depth = 4000;  // a recursive walk would need a deep stack
    pipes_fixture f(2);
    const std::string longest(depth, 'x');
    auto head = [&](std::size_t n) { return key(longest).first(n); };
    {
      mtrie t;
      for (std::size_t i = 0; i <= depth; i += 2) t.add(head(i), f.end(0));
      t.add(head(depth - 1), f.end(1));
      int calls = 0;
      t.match(data(longest), longest.size(), [&](pipe_end&) { ++calls; });
      CHECK(calls == static_cast<int>(depth / 2 + 2));
      std::size_t gone = 0;
      t.rm_all(f.end(0), [&](std::string_view, bool last) {
        CHECK(last);
        ++gone;
      });
      CHECK(gone == depth / 2 + 1);
      CHECK_FALSE(t.empty());
      for (std::size_t i = 1; i < depth; i += 2) t.add(head(i), f.end(0));
    }  // destroyed with ~2000 nested nodes
    trie s;
    for (std::size_t i = 1; i <= depth; i += 3) s.add(head(i));
    CHECK(s.check(data(longest), longest.size()));
    std::size_t n = 0;
    s.apply([&](std::string_view) { ++n; });
    CHECK(n == (depth + 2) / 3);
  }
}
