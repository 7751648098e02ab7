#include "host/run/evaluate.h"

#include <chrono>
#include <cstdio>

#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"
#include "host/run/data_parallel.h"

namespace senti {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<void> host_alloc(Backend& backend, size_t bytes) {
  HostBuffer b = backend.alloc_host(bytes);
  auto deleter = b.get_deleter();
  return std::shared_ptr<void>(b.release(), deleter);
}

}  // namespace

std::vector<stream::BatchSlot> slots_for(Backend& backend, int batch, int maxlen) {
  const ModelConfig& m = backend.options().model;
  return stream::make_slots(3, batch, maxlen, [&](size_t n) { return host_alloc(backend, n); },
                            m.labels_per_row());
}

void accumulate(Metrics* total, const Metrics& m) {
  total->loss_sum += m.loss_sum;
  total->correct += m.correct;
  total->count += m.count;
}

Metrics evaluate(Backend& backend, const data::Split& split, const std::vector<int64_t>& rows,
                 int batch_size, const data::SequenceOptions& seq,
                 std::vector<stream::BatchSlot>* slots, std::vector<float>* probs,
                 ProgressLine* progress, const std::string& progress_label) {
  SENTI_NVTX_RANGE("evaluation");
  std::vector<stream::BatchSlot> own;
  if (!slots) {
    own = slots_for(backend, batch_size, seq.maxlen);
    slots = &own;
  }
  const size_t outputs = static_cast<size_t>(backend.options().model.outputs());
  // Data-parallel: this rank's part of the rows; the others' probabilities stay 0 here until the
  // sum over the ranks fills them in (x + 0 is exact, so every rank ends with the same bits).
  Collective* world = backend.options().collective.get();
  const bool shard = world && world->distributed();
  const auto [first, last] =
      shard ? eval_rows(static_cast<int64_t>(rows.size()), world->rank(), world->size())
            : std::pair<int64_t, int64_t>{0, static_cast<int64_t>(rows.size())};
  std::vector<int64_t> mine(rows.begin() + first, rows.begin() + last);
  if (probs) probs->assign(rows.size() * outputs, 0.f);  // (rows, O)
  backend.take_metrics();  // start from zero
  // A masked model's outputs do not depend on the padding: pad each batch only to its longest row.
  stream::BatchStream batches(split, std::move(mine), batch_size, seq, slots,
                              backend.options().model.mask);
  const auto t0 = Clock::now();
  auto figures = [](const Metrics& m) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "loss: %.4f - acc: %.4f", m.loss(), m.accuracy());
    return std::string(buf);
  };
  if (progress) progress->start_task(progress_label, last - first, "reviews");
  Metrics total;
  size_t done = 0;
  while (const Batch* b = batches.next()) {
    backend.eval_step(*b, probs ? probs->data() + (static_cast<size_t>(first) + done) * outputs : nullptr);
    done += static_cast<size_t>(b->batch);
    // Running figures synchronise a GPU: read them only when the line is redrawn.
    if (progress && progress->task_due(static_cast<int64_t>(done), seconds_since(t0))) {
      accumulate(&total, backend.take_metrics());
      progress->task_update(static_cast<int64_t>(done), seconds_since(t0), figures(total));
    }
  }
  accumulate(&total, backend.take_metrics());
  if (progress) progress->end_task();
  if (shard) {
    sum_over_ranks(*world, &total);
    if (probs) world->allreduce_sum(probs->data(), probs->size());
  }
  return total;
}

}  // namespace senti
