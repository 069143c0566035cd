// The allocation meter of fuzz_support.hpp. Two back ends:
// - ASan builds (the libFuzzer targets, the asan preset): the sanitizer allocator's malloc/free
//   hooks, which see every allocation (malloc, realloc, operator new) with its size;
// - plain builds linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
//   (TROUPE_FUZZ_WRAP_MALLOC): the C allocator calls of statically linked code, which include
//   the decoder's frame buffers; sizes from malloc_usable_size.
// Single-threaded use; the counters are relaxed atomics only so that a stray thread cannot tear
// them.
#include "fuzz_support.hpp"

#include <atomic>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TROUPE_FUZZ_ASAN_HOOKS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TROUPE_FUZZ_ASAN_HOOKS)
#define TROUPE_FUZZ_ASAN_HOOKS 1
#endif

#if TROUPE_FUZZ_ASAN_HOOKS
// From <sanitizer/allocator_interface.h>, which g++ does not install (its libasan has them).
extern "C" {
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                              void (*free_hook)(const volatile void*));
std::size_t __sanitizer_get_allocated_size(const volatile void* p);
int __sanitizer_get_ownership(const volatile void* p);
}
#endif
#if TROUPE_FUZZ_WRAP_MALLOC
#include <malloc.h>
#endif

namespace {

std::atomic<std::int64_t> live{0};
std::atomic<std::int64_t> peak{0};

void add(std::int64_t n) noexcept {
  const std::int64_t now = live.fetch_add(n, std::memory_order_relaxed) + n;
  if (now > peak.load(std::memory_order_relaxed)) peak.store(now, std::memory_order_relaxed);
}
void sub(std::int64_t n) noexcept { live.fetch_sub(n, std::memory_order_relaxed); }

#if TROUPE_FUZZ_ASAN_HOOKS
void on_malloc(const volatile void*, std::size_t size) { add(static_cast<std::int64_t>(size)); }
// Runs before the block is released, so its size can still be asked for.
void on_free(const volatile void* p) {
  if (__sanitizer_get_ownership(p)) sub(static_cast<std::int64_t>(__sanitizer_get_allocated_size(p)));
}
const bool installed = __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free) != 0;
#endif

}  // namespace

#if TROUPE_FUZZ_WRAP_MALLOC
extern "C" {
void* __real_malloc(std::size_t);
void* __real_calloc(std::size_t, std::size_t);
void* __real_realloc(void*, std::size_t);
void __real_free(void*);

#if TROUPE_FUZZ_ASAN_HOOKS
// The hooks count already: the wrappers only pass through.
void* __wrap_malloc(std::size_t n) { return __real_malloc(n); }
void* __wrap_calloc(std::size_t n, std::size_t m) { return __real_calloc(n, m); }
void* __wrap_realloc(void* p, std::size_t n) { return __real_realloc(p, n); }
void __wrap_free(void* p) { __real_free(p); }
#else
void* __wrap_malloc(std::size_t n) {
  void* p = __real_malloc(n);
  if (p) add(static_cast<std::int64_t>(malloc_usable_size(p)));
  return p;
}
void* __wrap_calloc(std::size_t n, std::size_t m) {
  void* p = __real_calloc(n, m);
  if (p) add(static_cast<std::int64_t>(malloc_usable_size(p)));
  return p;
}
void* __wrap_realloc(void* p, std::size_t n) {
  const auto before = p ? static_cast<std::int64_t>(malloc_usable_size(p)) : 0;
  // realloc may hold the old and the new block at once: count the worst case.
  void* q = __real_realloc(p, n);
  if (q || n == 0) {
    if (q) add(static_cast<std::int64_t>(malloc_usable_size(q)));
    sub(before);
  }
  return q;
}
void __wrap_free(void* p) {
  if (p) sub(static_cast<std::int64_t>(malloc_usable_size(p)));
  __real_free(p);
}
#endif
}
#endif

namespace troupe_fuzz {

bool meter_available() noexcept {
#if TROUPE_FUZZ_ASAN_HOOKS
  return installed;
#elif TROUPE_FUZZ_WRAP_MALLOC
  return true;
#else
  return false;
#endif
}
std::int64_t meter_live() noexcept { return live.load(std::memory_order_relaxed); }
std::int64_t meter_peak() noexcept { return peak.load(std::memory_order_relaxed); }
void meter_reset_peak() noexcept { peak.store(live.load(std::memory_order_relaxed), std::memory_order_relaxed); }

}  // namespace troupe_fuzz
