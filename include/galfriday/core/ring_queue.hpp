#pragma once
// A FIFO queue over one growable circular buffer. Unlike std::deque it does not allocate per
// element for large element types (libstdc++'s deque gives each element over 512 bytes its
// own block), so a steady-state producer/consumer never allocates. Not thread-safe.

#include <cstddef>
#include <utility>
#include <vector>

namespace galfriday {

template <typename T>
class RingQueue {
 public:
  explicit RingQueue(size_t initial_capacity = 1024) : slots_(round_up(initial_capacity)) {}

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  void push(T value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }

  // Moves the oldest element out. Precondition: !empty().
  T pop() {
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return value;
  }

 private:
  static size_t round_up(size_t n) {
    size_t capacity = 1;
    while (capacity < n) capacity <<= 1;
    return capacity;
  }

  void grow() {
    std::vector<T> bigger(slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i)
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    slots_.swap(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;  // capacity is a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace galfriday
