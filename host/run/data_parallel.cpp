#include "host/run/data_parallel.h"

#include <algorithm>
#include <string>

#include "host/data/hash.h"
#include "kernels/common/error.h"

namespace senti {

std::pair<int64_t, int64_t> eval_rows(int64_t count, int rank, int ranks) {
  return {count * rank / ranks, count * (rank + 1) / ranks};
}

Share batch_share(int rows, int rank, int ranks) {
  SENTI_CHECK(ranks >= 1 && rank >= 0 && rank < ranks && rows >= 0, "batch_share(", rows, ", ",
              rank, ", ", ranks, ")");
  const auto [begin, end] = eval_rows(rows, rank, ranks);
  return Share{static_cast<int>(begin), static_cast<int>(end)};
}

std::vector<int64_t> rank_rows(const std::vector<int64_t>& order, int batch_size, int rank,
                               int ranks) {
  SENTI_CHECK(batch_size >= ranks, "a global batch of ", batch_size, " rows on ", ranks, " ranks");
  std::vector<int64_t> out;
  out.reserve(order.size() / static_cast<size_t>(ranks) + static_cast<size_t>(batch_size));
  for (size_t first = 0; first < order.size(); first += static_cast<size_t>(batch_size)) {
    const int rows = static_cast<int>(std::min(order.size() - first, static_cast<size_t>(batch_size)));
    const Share s = batch_share(rows, rank, ranks);
    out.insert(out.end(), order.begin() + static_cast<std::ptrdiff_t>(first + s.begin),
               order.begin() + static_cast<std::ptrdiff_t>(first + s.end));
  }
  return out;
}


void sum_over_ranks(Collective& world, Metrics* m) {
  if (!world.distributed()) return;
  double v[3] = {m->loss_sum, static_cast<double>(m->correct), static_cast<double>(m->count)};
  world.allreduce_sum(v, 3);
  m->loss_sum = v[0];
  m->correct = static_cast<int64_t>(v[1]);
  m->count = static_cast<int64_t>(v[2]);
}

void sum_over_ranks(Collective& world, int64_t* values, size_t n) {
  if (!world.distributed()) return;
  std::vector<double> v(values, values + n);  // exact: counts stay far below 2^53
  world.allreduce_sum(v.data(), n);
  for (size_t i = 0; i < n; ++i) values[i] = static_cast<int64_t>(v[i]);
}

void check_replicas_agree(Collective& world, const TrainState& state, const char* when) {
  if (!world.distributed()) return;
  uint64_t mine = 0;  // XXH64 of each part, chained through the seed
  for (const auto* buf : {&state.params, &state.m, &state.v})
    mine = data::xxh64(buf->data(), buf->size() * sizeof(float), mine);
  mine = data::xxh64(&state.step, sizeof state.step, mine);
  uint64_t root = mine;
  world.broadcast(&root, sizeof root, 0);
  std::vector<int64_t> differs(static_cast<size_t>(world.size()), 0);
  differs[static_cast<size_t>(world.rank())] = mine != root;
  sum_over_ranks(world, differs.data(), differs.size());
  std::string which;
  for (int r = 0; r < world.size(); ++r)
    if (differs[static_cast<size_t>(r)]) which += (which.empty() ? "" : ", ") + std::to_string(r);
  if (!which.empty())
    SENTI_FAIL("the replicas drifted apart ", when, ": the weights of rank(s) ", which,
               " differ from rank 0's (XXH64 of weights, Adam moments and step); stopped so that "
               "no checkpoint mixes them");
}

}  // namespace senti
