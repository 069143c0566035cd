#pragma once
/// Intrusive reference counting for runtime objects that tasks keep alive while queued.

#include <atomic>
#include <cstdint>
#include <utility>

namespace troupe::framework {

/// Base for objects shared between an owner and the tasks that run on its behalf.
/// The last release deletes the object through its virtual destructor.
class ref_counted {
public:
  ref_counted() noexcept = default;
  ref_counted(const ref_counted&) = delete;
  ref_counted& operator=(const ref_counted&) = delete;

  void add_ref() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() const noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  std::uint32_t use_count() const noexcept { return refs_.load(std::memory_order_acquire); }

protected:
  virtual ~ref_counted() = default;

private:
  mutable std::atomic<std::uint32_t> refs_{0};
};

/// Owning pointer to a ref_counted object.
template <class T>
class ref_ptr {
public:
  ref_ptr() noexcept = default;
  ref_ptr(std::nullptr_t) noexcept {}
  explicit ref_ptr(T* p) noexcept : p_(p) { if (p_) p_->add_ref(); }
  ref_ptr(const ref_ptr& o) noexcept : p_(o.p_) { if (p_) p_->add_ref(); }
  ref_ptr(ref_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <class U>
  ref_ptr(ref_ptr<U> o) noexcept : p_(o.detach()) {}
  ~ref_ptr() { if (p_) p_->release(); }
  ref_ptr& operator=(ref_ptr o) noexcept { std::swap(p_, o.p_); return *this; }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  /// Gives up ownership without releasing.
  T* detach() noexcept { return std::exchange(p_, nullptr); }
  void reset() noexcept { ref_ptr().swap(*this); }
  void swap(ref_ptr& o) noexcept { std::swap(p_, o.p_); }
  friend bool operator==(const ref_ptr& a, const ref_ptr& b) noexcept { return a.p_ == b.p_; }

private:
  T* p_ = nullptr;
};

/// Creates a T and returns the first owning pointer to it.
template <class T, class... Args>
ref_ptr<T> make_ref(Args&&... args) {
  return ref_ptr<T>(new T(std::forward<Args>(args)...));
}

}  // namespace troupe::framework
