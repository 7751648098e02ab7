#pragma once
// A split's word ids (Split::tokens): either owned (what the corpus builder makes) or a read-only
// view of a memory-mapped token cache, 16- or 32-bit as the cache stores them (token_cache.h). The
// view lets every process of a data-parallel job share one copy in the page cache instead of each
// expanding gigabytes of ids into its own memory, and lets a rank touch only the pages of the rows
// it reads. Reading is the same for both; building (push_back, reserve) is for owned columns only.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <vector>

namespace senti::data {

class IdColumn {
 public:
  IdColumn() = default;
  IdColumn(std::initializer_list<int32_t> ids) : owned_(ids) {}
  explicit IdColumn(std::vector<int32_t> ids) : owned_(std::move(ids)) {}
  // `n` ids of `width` bytes (2: uint16, 4: int32) at `data`, which `owner` keeps alive.
  static IdColumn view(std::shared_ptr<const void> owner, const void* data, size_t n, int width);

  size_t size() const { return owner_ ? n_ : owned_.size(); }
  bool empty() const { return size() == 0; }
  bool mapped() const { return owner_ != nullptr; }
  int32_t operator[](size_t i) const {
    if (!owner_) return owned_[i];
    return width_ == 2 ? static_cast<const uint16_t*>(data_)[i] : static_cast<const int32_t*>(data_)[i];
  }
  // ids [first, first + count) as int32: a pointer into the column when it holds int32 ids, else
  // widened into *scratch (resized as needed) and a pointer to that.
  const int32_t* ids(size_t first, size_t count, std::vector<int32_t>* scratch) const;
  std::vector<int32_t> to_vector() const;

  // Owned columns only (a view throws).
  void push_back(int32_t id);
  void reserve(size_t n);

  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = int32_t;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = int32_t;
    const_iterator(const IdColumn* c, size_t i) : c_(c), i_(i) {}
    int32_t operator*() const { return (*c_)[i_]; }
    int32_t operator[](difference_type k) const { return (*c_)[i_ + static_cast<size_t>(k)]; }
    const_iterator& operator++() { return ++i_, *this; }
    const_iterator operator++(int) { const_iterator t = *this; ++i_; return t; }
    const_iterator& operator--() { return --i_, *this; }
    const_iterator& operator+=(difference_type k) { return i_ += static_cast<size_t>(k), *this; }
    const_iterator& operator-=(difference_type k) { return i_ -= static_cast<size_t>(k), *this; }
    const_iterator operator+(difference_type k) const { return {c_, i_ + static_cast<size_t>(k)}; }
    const_iterator operator-(difference_type k) const { return {c_, i_ - static_cast<size_t>(k)}; }
    difference_type operator-(const const_iterator& o) const {
      return static_cast<difference_type>(i_) - static_cast<difference_type>(o.i_);
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }
    bool operator<(const const_iterator& o) const { return i_ < o.i_; }

   private:
    const IdColumn* c_;
    size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

  friend bool operator==(const IdColumn& a, const IdColumn& b);
  friend bool operator!=(const IdColumn& a, const IdColumn& b) { return !(a == b); }

 private:
  std::vector<int32_t> owned_;
  std::shared_ptr<const void> owner_;  // set for a view: the mapping it points into
  const void* data_ = nullptr;
  size_t n_ = 0;
  int width_ = 4;
};

}  // namespace senti::data
