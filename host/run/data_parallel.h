#pragma once
// What the training loop does differently on N ranks (docs/distributed.md). The global batch of
// --batch rows is cut into N shares, rank r taking rows [floor(rB/N), floor((r+1)B/N)); every rank
// takes the same number of steps (a short last batch may leave a share empty); figures are summed
// over the ranks at fixed points of the loop (never on a timer: every rank must make the same
// collective calls); the replicas' weights are compared every epoch.
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/batch.h"
#include "engine/collective/collective.h"
#include "engine/params.h"

namespace senti {

struct Share {
  int begin = 0, end = 0;  // rows [begin, end) of the global batch
  int size() const { return end - begin; }
};
// Rank `rank` of `ranks`'s rows of a global batch of `rows` rows.
Share batch_share(int rows, int rank, int ranks);

// Rank `rank`'s rows of an epoch's order cut into global batches of `batch_size`: its shares,
// one after another. Cutting the result into batches of batch_share(batch_size).size() rows gives
// back exactly the shares (only the last global batch can be short, and its share is no larger).
std::vector<int64_t> rank_rows(const std::vector<int64_t>& order, int batch_size, int rank,
                               int ranks);

// Rows [first, second) of `count` rows that `rank` of `ranks` takes: floor(r count / N) on. The one
// rule of both the evaluation rows and batch_share.
std::pair<int64_t, int64_t> eval_rows(int64_t count, int rank, int ranks);

// Sums over the ranks (a no-op for one process).
void sum_over_ranks(Collective& world, Metrics* m);
void sum_over_ranks(Collective& world, int64_t* values, size_t n);

// Every rank's weights, Adam moments and step must be the same bits: throws on every rank, naming
// the ranks that differ from rank 0 and `when`, if they are not (replicas drifted apart: a
// non-deterministic reduction, a bad node). A no-op for one process.
void check_replicas_agree(Collective& world, const TrainState& state, const char* when);

}  // namespace senti
