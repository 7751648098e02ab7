#include "host/data/id_column.h"

#include "kernels/common/error.h"

namespace senti::data {

IdColumn IdColumn::view(std::shared_ptr<const void> owner, const void* data, size_t n, int width) {
  SENTI_CHECK(owner != nullptr && (width == 2 || width == 4) && (data != nullptr || n == 0),
              "IdColumn::view: width ", width);
  IdColumn c;
  c.owner_ = std::move(owner);
  c.data_ = data;
  c.n_ = n;
  c.width_ = width;
  return c;
}

const int32_t* IdColumn::ids(size_t first, size_t count, std::vector<int32_t>* scratch) const {
  SENTI_CHECK(first + count <= size(), "IdColumn: ids [", first, ", ", first + count, ") of ", size());
  if (!owner_) return owned_.data() + first;
  if (width_ == 4) return static_cast<const int32_t*>(data_) + first;
  scratch->resize(count);
  const uint16_t* narrow = static_cast<const uint16_t*>(data_) + first;
  for (size_t i = 0; i < count; ++i) (*scratch)[i] = narrow[i];
  return scratch->data();
}

std::vector<int32_t> IdColumn::to_vector() const {
  if (!owner_) return owned_;
  return std::vector<int32_t>(begin(), end());
}

void IdColumn::push_back(int32_t id) {
  SENTI_CHECK(!owner_, "IdColumn: a view of a token cache is read-only");
  owned_.push_back(id);
}

void IdColumn::reserve(size_t n) {
  SENTI_CHECK(!owner_, "IdColumn: a view of a token cache is read-only");
  owned_.reserve(n);
}

bool operator==(const IdColumn& a, const IdColumn& b) {
  if (a.size() != b.size()) return false;
  if (!a.owner_ && !b.owner_) return a.owned_ == b.owned_;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace senti::data
