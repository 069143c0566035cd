#pragma once
// Recycles the heap blocks of message bodies (33 B .. 64 KiB) between threads.
//
// Why: in a pipeline one thread allocates bodies and another frees them. glibc then frees
// every block into the allocating thread's arena under that arena's lock, and the two threads
// fight over it (half the time of a 1 KiB inproc stream went to that lock and to page faults
// from arena trimming). Here each thread keeps, per size class, one magazine to allocate from
// and one to free into (no lock); a full magazine goes to a shared depot and an empty one comes
// back (one short mutex hold per magazine, not per block).
//
// Memory is bounded: a thread holds at most two magazines per class it has used (a magazine
// holds at most ~128 KiB), and the depot keeps at most depot_bytes per class; past that,
// blocks go back to the system allocator. Under AddressSanitizer the pool is off, so that a
// use after free is still caught.
//
// Thread-safety: any thread may allocate or free; per-thread state is thread_local and is
// only touched inside allocate()/free() (which never suspend, so a fiber that moves between
// threads never sees another thread's cache).

#include <cstddef>
#include <cstdint>

namespace troupe::messaging::internal::body_pool {

/// Size class for blocks the pool does not serve (plain operator new/delete).
inline constexpr std::uint8_t unpooled = 0xff;

/// A block of at least `bytes`; `size_class` receives what free() needs back.
void* allocate(std::size_t bytes, std::uint8_t& size_class);

/// Returns a block from allocate() with the class it gave.
void free(void* block, std::uint8_t size_class) noexcept;

/// Whether blocks are recycled in this build (not under AddressSanitizer).
bool recycling() noexcept;
/// Usable bytes of a block of `size_class` (not for unpooled).
std::size_t block_bytes(std::uint8_t size_class) noexcept;
/// Bytes of blocks the shared depot holds now, over all classes, and its bound.
std::size_t depot_bytes_held() noexcept;
std::size_t depot_bytes_bound() noexcept;

}  // namespace troupe::messaging::internal::body_pool
