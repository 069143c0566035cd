#include "body_pool.hpp"

#include <algorithm>
#include <bit>
#include <mutex>
#include <new>
#include <utility>

namespace troupe::messaging::internal::body_pool {

namespace {

#if defined(__SANITIZE_ADDRESS__)  // g++
constexpr bool enabled = false;     // let ASan see every free
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang
constexpr bool enabled = false;
#else
constexpr bool enabled = true;
#endif
#else
constexpr bool enabled = true;
#endif

// Class c serves blocks of (64 << c) + 64 bytes: a power-of-two body plus room for the
// message header, so that a 1 KiB or 64 KiB body does not spill into the next class.
constexpr int class_count = 11;  // bodies up to 64 KiB
constexpr std::size_t header_room = 64;
constexpr std::size_t class_bytes(int c) noexcept { return (std::size_t{64} << c) + header_room; }

constexpr std::size_t max_magazine = 64;
constexpr std::size_t magazine_bytes = 128 * 1024;
constexpr std::size_t depot_bytes = 8 * 1024 * 1024;
constexpr std::size_t max_empty_magazines = 64;

constexpr std::size_t capacity(int c) noexcept {
  return std::clamp<std::size_t>(magazine_bytes / class_bytes(c), 8, max_magazine);
}
constexpr std::size_t depot_limit(int c) noexcept {
  return std::max<std::size_t>(2, depot_bytes / (capacity(c) * class_bytes(c)));
}

int class_of(std::size_t bytes) noexcept {
  if (bytes <= class_bytes(0)) return 0;
  const int c = static_cast<int>(std::bit_width(bytes - header_room - 1)) - 6;
  return c < class_count ? c : -1;
}

struct magazine {
  magazine* next = nullptr;
  std::size_t count = 0;
  void* blocks[max_magazine];
};

// Full (or partly full, from exiting threads) magazines waiting for an allocating thread,
// and empty ones waiting for a freeing thread. Guarded by `lock`.
struct depot_class {
  std::mutex lock;
  magazine* full = nullptr;
  std::size_t full_count = 0;
  magazine* empty = nullptr;
  std::size_t empty_count = 0;
};

// Never destroyed: threads may exit (and return their magazines) after static destruction.
depot_class* const depot = new depot_class[class_count];

void release_blocks(magazine* m) noexcept {
  for (std::size_t i = 0; i != m->count; ++i) ::operator delete(m->blocks[i]);
  m->count = 0;
}

// Hands a non-empty magazine to the depot (or frees its blocks when the depot is at its bound)
// and returns an empty magazine to keep (nullptr if the depot had none).
magazine* trade_full(magazine* m, int c) noexcept {
  depot_class& d = depot[c];
  magazine* spill = nullptr;
  magazine* got = nullptr;
  {
    std::lock_guard g(d.lock);
    if (d.full_count < depot_limit(c)) {
      m->next = d.full;
      d.full = m;
      ++d.full_count;
    } else {
      spill = m;
    }
    if (d.empty) {
      got = d.empty;
      d.empty = got->next;
      --d.empty_count;
    }
  }
  if (spill) {
    release_blocks(spill);
    if (!got) return spill;
    delete spill;
  }
  return got;
}

// Gives back an empty magazine (if any) and returns a full one (nullptr if the depot had none;
// then `m` is kept by the caller).
magazine* trade_empty(magazine*& m, int c) noexcept {
  depot_class& d = depot[c];
  std::lock_guard g(d.lock);
  if (!d.full) return nullptr;
  magazine* got = d.full;
  d.full = got->next;
  --d.full_count;
  if (m && d.empty_count < max_empty_magazines) {
    m->next = d.empty;
    d.empty = m;
    ++d.empty_count;
    m = nullptr;
  }
  return got;
}

// One thread's magazines: `loaded` is allocated from, `spare` is freed into; they swap when
// that saves a trip to the depot.
struct thread_cache {
  magazine* loaded[class_count] = {};
  magazine* spare[class_count] = {};

  ~thread_cache() {
    for (int c = 0; c != class_count; ++c) {
      for (magazine* m : {loaded[c], spare[c]}) {
        if (!m) continue;
        if (m->count == 0) {
          delete m;
          continue;
        }
        if (magazine* e = trade_full(m, c)) delete e;
      }
    }
  }
};

thread_local thread_cache cache;

void* allocate_pooled(int c) {
  thread_cache& tc = cache;
  magazine*& m = tc.loaded[c];
  if (m && m->count) return m->blocks[--m->count];
  magazine*& s = tc.spare[c];
  if (s && s->count) {
    std::swap(m, s);
    return m->blocks[--m->count];
  }
  if (magazine* full = trade_empty(m, c)) {
    delete m;  // non-null only when the depot had no room for it
    m = full;
    return m->blocks[--m->count];
  }
  return ::operator new(class_bytes(c));
}

void free_pooled(void* block, int c) noexcept {
  thread_cache& tc = cache;
  magazine*& s = tc.spare[c];
  if (s && s->count < capacity(c)) {
    s->blocks[s->count++] = block;
    return;
  }
  magazine*& m = tc.loaded[c];
  if (m && m->count < capacity(c)) {
    m->blocks[m->count++] = block;
    return;
  }
  if (s) s = trade_full(s, c);
  if (!s) {
    s = new (std::nothrow) magazine;
    if (!s) {
      ::operator delete(block);
      return;
    }
  }
  s->blocks[s->count++] = block;
}

}  // namespace

void* allocate(std::size_t bytes, std::uint8_t& size_class) {
  const int c = enabled ? class_of(bytes) : -1;
  if (c < 0) {
    size_class = unpooled;
    return ::operator new(bytes);
  }
  size_class = static_cast<std::uint8_t>(c);
  return allocate_pooled(c);
}

void free(void* block, std::uint8_t size_class) noexcept {
  if (size_class == unpooled) {
    ::operator delete(block);
    return;
  }
  free_pooled(block, size_class);
}

bool recycling() noexcept { return enabled; }

std::size_t block_bytes(std::uint8_t size_class) noexcept { return class_bytes(size_class); }

std::size_t depot_bytes_held() noexcept {
  std::size_t total = 0;
  for (int c = 0; c != class_count; ++c) {
    std::lock_guard g(depot[c].lock);
    for (const magazine* m = depot[c].full; m; m = m->next) total += m->count * class_bytes(c);
  }
  return total;
}

std::size_t depot_bytes_bound() noexcept {
  std::size_t total = 0;
  for (int c = 0; c != class_count; ++c) total += depot_limit(c) * capacity(c) * class_bytes(c);
  return total;
}

}  // namespace troupe::messaging::internal::body_pool
