#include <troupe/framework/stack_pool.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <stdexcept>
#include <string>

namespace troupe::framework {

stack_pool::stack_pool(std::size_t stack_size, bool guard_page, std::size_t max_cached)
    : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))), guard_(guard_page), max_cached_(max_cached) {
  if (stack_size < 8 * 1024)
    throw std::invalid_argument("stack_pool: stack size " + std::to_string(stack_size) +
                                " is below the minimum of 8192 bytes");
  size_ = (stack_size + page_ - 1) / page_ * page_;
}

stack_pool::~stack_pool() {
  const std::size_t extra = guard_ ? page_ : 0;
  for (fiber_stack& s : free_) ::munmap(static_cast<char*>(s.base) - extra, s.size + extra);
}

fiber_stack stack_pool::allocate() {
  {
    std::lock_guard lock(mutex_);
    ++in_use_;
    if (!free_.empty()) {
      fiber_stack s = free_.back();
      free_.pop_back();
      return s;
    }
  }
  const std::size_t extra = guard_ ? page_ : 0;
  void* p = ::mmap(nullptr, size_ + extra, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) {
    std::lock_guard lock(mutex_);
    --in_use_;
    throw std::bad_alloc();
  }
  if (guard_ && ::mprotect(p, page_, PROT_NONE) != 0) {
    ::munmap(p, size_ + extra);
    std::lock_guard lock(mutex_);
    --in_use_;
    throw std::bad_alloc();
  }
  return fiber_stack{static_cast<char*>(p) + extra, size_};
}

void stack_pool::deallocate(fiber_stack s) noexcept {
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (free_.size() < max_cached_) {
      try {
        free_.push_back(s);
        return;
      } catch (...) {
        // fall through: unmap instead of caching
      }
    }
  }
  const std::size_t extra = guard_ ? page_ : 0;
  ::munmap(static_cast<char*>(s.base) - extra, s.size + extra);
}

std::size_t stack_pool::cached() const noexcept {
  std::lock_guard lock(mutex_);
  return free_.size();
}

std::size_t stack_pool::in_use() const noexcept {
  std::lock_guard lock(mutex_);
  return in_use_;
}

}  // namespace troupe::framework
