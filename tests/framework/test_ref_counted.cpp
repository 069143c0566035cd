// ref_counted / ref_ptr: the last release deletes, ownership moves and converts.

#include <troupe/framework/ref_counted.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace troupe::framework;

namespace {

struct base_obj : ref_counted {
  explicit base_obj(std::atomic<int>* d) : deleted(d) {}
  ~base_obj() override { deleted->fetch_add(1); }
  std::atomic<int>* deleted;
};
struct derived_obj final : base_obj {
  using base_obj::base_obj;
};

}  // namespace

TEST_SUITE("ref_counted") {

TEST_CASE("the last release deletes the object") {
  std::atomic<int> deleted{0};
  {
    auto p = make_ref<base_obj>(&deleted);
    CHECK(p->use_count() == 1);
    {
      ref_ptr<base_obj> q = p;
      CHECK(p->use_count() == 2);
      CHECK(q == p);
    }
    CHECK(p->use_count() == 1);
    ref_ptr<base_obj> moved = std::move(p);
    CHECK_FALSE(p);
    CHECK(moved->use_count() == 1);
    CHECK(deleted.load() == 0);
  }
  CHECK(deleted.load() == 1);
}

TEST_CASE("conversion to a base pointer keeps one owner and deletes through the base") {
  std::atomic<int> deleted{0};
  {
    ref_ptr<base_obj> b = make_ref<derived_obj>(&deleted);
    CHECK(b->use_count() == 1);
  }
  CHECK(deleted.load() == 1);
}

TEST_CASE("detach gives up ownership and reset releases") {
  std::atomic<int> deleted{0};
  auto p = make_ref<base_obj>(&deleted);
  base_obj* raw = p.detach();
  CHECK_FALSE(p);
  CHECK(raw->use_count() == 1);
  ref_ptr<base_obj> again(raw);  // adds a reference
  CHECK(raw->use_count() == 2);
  raw->release();                // the detached one
  again.reset();
  CHECK(deleted.load() == 1);
}

TEST_CASE("copies on many threads delete exactly once") {
  std::atomic<int> deleted{0};
  auto p = make_ref<base_obj>(&deleted);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([q = p] {
      for (int i = 0; i < 10'000; ++i) {
        ref_ptr<base_obj> c = q;
        (void)c;
      }
    });
  p.reset();
  for (auto& t : ts) t.join();
  CHECK(deleted.load() == 1);
}

}  // TEST_SUITE
