#pragma once
// Happens-before annotations for hand-offs ThreadSanitizer cannot see (uninstrumented oneTBB).
// No-ops in other builds.

#if defined(TROUPE_TSAN)
extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}
#define TROUPE_TSAN_RELEASE(p) __tsan_release(static_cast<void*>(p))
#define TROUPE_TSAN_ACQUIRE(p) __tsan_acquire(static_cast<void*>(p))
#else
#define TROUPE_TSAN_RELEASE(p) static_cast<void>(p)
#define TROUPE_TSAN_ACQUIRE(p) static_cast<void>(p)
#endif
