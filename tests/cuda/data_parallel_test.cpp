// Data-parallel training on the CUDA backend (docs/distributed.md): N ranks, each training its
// share of every global batch with BackendOptions::collective = world_collective(), end with the
// parameters one process gets from the whole batches. Runs under mpirun only: ctest's
// emu/DataParallel.np2 and emu/DataParallel.np3 (tests/cuda/emu_backend.cmake) start this binary
// with `mpirun -np 2|3 --gtest_filter=*DataParallel.*`; run without a launcher it skips (and the
// plain test list leaves it out).
//
// Each rank also runs, in-process, the single-process reference: a CudaBackend without a
// collective on the same global batches. Compared after the steps: every parameter within
// |dp - ref| <= atol + rtol·|ref|, atol 1e-7, rtol 1e-6 (Adam's m: 1e-11 and 1e-5; v: 1e-14 and
// 1e-5). The two differ only in the summation order of the gradient (the shares' sums added by
// the allreduce): on the emulated device parameters differ by at most 8e-10 (2 and 3 ranks),
// while a skipped allreduce or a share divided by its own rows moves them by 1e-3 and more (an
// Adam step moves a parameter by up to lr = 1e-3). Also: the last step's per-tensor gradient
// norms and clip factors (clipping is on for every tensor, so the sparse embedding norm's own
// allreduce matters), the ranks' summed loss and sample count, and every rank holding the same
// bits as rank 0.
//
// The model: small seed-like (vocab 61, E 8, H 8, maxlen 7), masked, dropout on (element, or
// spatial, plus the dense dropout: the masks must be keyed by the global row), the sparse
// embedding clip rule; a sigmoid head and a softmax head over 3 classes with word-pair features.
// Global batches of 7, 7, 7, 7 rows and then fewer rows than ranks, so some rank's share is empty.
// Graphs on: of the 7-row steps the first runs eagerly, the next two are captured (one graph per
// batch slot, the pipeline alternates two) and the fourth replays the first graph, the allreduce
// inside.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <ostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "host_batch.h"
#include "engine/backend.h"
#include "engine/collective/collective.h"
#include "engine/init.h"

namespace senti {
namespace {

using test::all_close;
using test::HostBatch;

struct DpCase {
  const char* name;
  Head head = Head::Sigmoid;
  int classes = 2;
  bool spatial = false;
  int ngrams = 0;
};

void PrintTo(const DpCase& c, std::ostream* os) { *os << c.name; }

BackendOptions options_for(const DpCase& c, int max_batch) {
  BackendOptions o;
  o.model.vocab_size = 61;
  o.model.embed_dim = 8;
  o.model.hidden = 8;
  o.model.mask = true;
  o.model.dropout = 0.3f;
  o.model.spatial_dropout = c.spatial;
  o.model.dense_dropout = 0.25f;
  o.model.head = c.head;
  o.model.classes = c.classes;
  o.model.ngrams = c.ngrams;
  o.model.ngram_buckets = 29;
  o.optimizer.clipnorm = 0.01f;  // every tensor clipped: the norms (sparse: summed) matter
  o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
  o.max_batch = max_batch;
  o.maxlen = 7;
  o.seed = 99;
  o.lstm = LstmKind::Fused;
  return o;
}

// Rows [first, first + count) of rank r's share of G rows: contiguous, sizes differing by at most
// one; with G < ranks some shares are empty.
void share_of(int G, int rank, int ranks, int* first, int* count) {
  *first = static_cast<int>(int64_t{G} * rank / ranks);
  *count = static_cast<int>(int64_t{G} * (rank + 1) / ranks) - *first;
}

// The rank's share of a global batch, as the trainer hands it to a backend.
Batch share_view(const HostBatch& g, int labels_per_row, int first, int count) {
  Batch b = g.view();
  b.ids = g.ids.data() + static_cast<size_t>(first) * g.T;
  b.labels = g.labels.data() + static_cast<size_t>(first) * labels_per_row;
  b.lengths = g.lengths.data() + first;
  b.batch = count;
  b.row_offset = first;
  b.global_batch = g.B;
  return b;
}

class DataParallel : public ::testing::TestWithParam<DpCase> {};

TEST_P(DataParallel, RanksTrainTheSingleProcessModel) {
  SENTI_REQUIRE_GPU();
  const std::shared_ptr<Collective> world = world_collective();
  if (!world->distributed())
    GTEST_SKIP() << "needs a launcher: ctest runs it as `mpirun -np 2|3 ... "
                    "--gtest_filter=*DataParallel.*` (emu/DataParallel.np2, .np3)";
  const DpCase& c = GetParam();
  const int R = world->size(), rank = world->rank();
  const int sizes[] = {7, 7, 7, 7, R - 1};  // the last: fewer rows than ranks
  const int steps = 5;
  const int G_max = 7;

  BackendOptions o = options_for(c, G_max);
  const ParamLayout L(o.model);
  auto ref = make_cuda_backend(o);
  o.collective = world;
  auto dp = make_cuda_backend(o);
  EXPECT_NE(dp->describe().find("data parallel: " + std::to_string(R) + " processes"),
            std::string::npos)
      << dp->describe();
  const TrainState s0 = init_train_state(o.model, 42);
  ref->set_state(s0);
  dp->set_state(s0);

  const int lpr = o.model.labels_per_row();
  int empty_shares = 0;
  for (int k = 0; k < steps; ++k) {
    const int G = sizes[k];
    HostBatch g = test::make_batch(std::max(G, 1), o.maxlen, o.model.vocab_size, 50 + k);
    g.B = G;
    if (c.head == Head::Softmax) {  // class indices 0..K-1 instead of make_batch's 0/1
      std::mt19937_64 rng(70 + k);
      for (float& y : g.labels) y = static_cast<float>(rng() % c.classes);
    }
    ref->train_step(g.view());
    int first = 0, count = 0;
    share_of(G, rank, R, &first, &count);
    empty_shares += count == 0;
    dp->train_step(share_view(g, lpr, first, count));
  }
  if (rank == 0) {
    EXPECT_EQ(empty_shares, 1) << "rank 0's share of the " << R - 1 << "-row batch";
  }

  // Graphs: the 7-row share ran eagerly once, was captured in each of the two slots, replayed.
  cuda::StepGraphs::Stats stats;
  ASSERT_TRUE(cuda_step_graph_stats(*dp, &stats));
  EXPECT_EQ(stats.captures, 2);
  EXPECT_EQ(stats.replays, 1);

  const TrainState tr = ref->get_state(), td = dp->get_state();
  EXPECT_EQ(td.step, steps);
  for (const TensorInfo& t : L.tensors()) {
    EXPECT_TRUE(all_close(tr.params.data() + t.offset, td.params.data() + t.offset, t.size, 1e-7,
                          1e-6, std::string("params ") + t.name));
    EXPECT_TRUE(all_close(tr.m.data() + t.offset, td.m.data() + t.offset, t.size, 1e-11, 1e-5,
                          std::string("Adam m ") + t.name));
    EXPECT_TRUE(all_close(tr.v.data() + t.offset, td.v.data() + t.offset, t.size, 1e-14, 1e-5,
                          std::string("Adam v ") + t.name));
  }
  Backend::GradientStats sr, sd;
  ASSERT_TRUE(ref->last_gradient_stats(&sr));
  ASSERT_TRUE(dp->last_gradient_stats(&sd));
  for (int i = 0; i < L.count(); ++i) {
    EXPECT_NEAR(sd.norm[i], sr.norm[i], 1e-5 * sr.norm[i]) << L.tensors()[i].name;
    EXPECT_NEAR(sd.clip_scale[i], sr.clip_scale[i], 1e-5 * sr.clip_scale[i]) << L.tensors()[i].name;
  }

  // The ranks' metrics add up to the single process's.
  const Metrics mr = ref->take_metrics();
  Metrics md = dp->take_metrics();
  double sums[2] = {md.loss_sum, static_cast<double>(md.count)};
  world->allreduce_sum(sums, 2);
  EXPECT_EQ(sums[1], static_cast<double>(mr.count));
  EXPECT_NEAR(sums[0], mr.loss_sum, 1e-5 * mr.loss_sum);

  // Every rank holds rank 0's bits.
  std::vector<float> root = td.params;
  world->broadcast(root.data(), root.size() * sizeof(float), 0);
  EXPECT_EQ(0, std::memcmp(root.data(), td.params.data(), root.size() * sizeof(float)))
      << "rank " << rank << "'s parameters differ from rank 0's";
}

INSTANTIATE_TEST_SUITE_P(Cases, DataParallel,
                         ::testing::Values(DpCase{"Sigmoid"}, DpCase{"Softmax3SpatialNgrams",
                                                                     Head::Softmax, 3, true, 2}),
                         [](const ::testing::TestParamInfo<DpCase>& i) { return i.param.name; });

}  // namespace
}  // namespace senti
