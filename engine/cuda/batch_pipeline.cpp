// The batch pipeline: two device slots, a copy stream and the events between it and the compute
// stream. See batch_pipeline.h.
#include "engine/cuda/batch_pipeline.h"

#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {

BatchPipeline::BatchPipeline(cudaStream_t compute, int max_batch, int maxlen, bool with_lengths,
                             int labels_per_row)
    : compute_(compute), with_lengths_(with_lengths), labels_per_row_(labels_per_row) {
  SENTI_CHECK(labels_per_row >= 1, "batch pipeline: ", labels_per_row, " labels per row");
  const size_t BT = static_cast<size_t>(max_batch) * maxlen;
  for (Slot& s : slots_) {
    s.ids.resize(BT);
    s.labels.resize(static_cast<size_t>(max_batch) * static_cast<size_t>(labels_per_row));
    if (with_lengths) s.lengths.resize(static_cast<size_t>(max_batch));
  }
}

BatchPipeline::~BatchPipeline() { cudaStreamSynchronize(copy_.get()); }

BatchPipeline::Slot& BatchPipeline::upload(const Batch& b) {
  Slot& slot = slots_[next_slot_];
  next_slot_ = (next_slot_ + 1) % static_cast<int>(slots_.size());
  SENTI_NVTX_RANGE("H2D copy");
  // Refill the slot only after the compute that last read it has finished.
  if (slot.in_use) slot.consumed.wait_on(copy_);
  if (timing_) t_copy0_.record(copy_);
  SENTI_CUDA_CHECK(cudaMemcpyAsync(slot.ids.get(), b.ids,
                                   sizeof(int32_t) * static_cast<size_t>(b.batch) * b.maxlen,
                                   cudaMemcpyHostToDevice, copy_));
  SENTI_CUDA_CHECK(cudaMemcpyAsync(slot.labels.get(), b.labels,
                                   sizeof(float) * static_cast<size_t>(b.batch) * labels_per_row_,
                                   cudaMemcpyHostToDevice, copy_));
  if (with_lengths_) {
    SENTI_CHECK(b.lengths != nullptr, "batch without lengths for a masked model");
    SENTI_CUDA_CHECK(cudaMemcpyAsync(slot.lengths.get(), b.lengths, sizeof(int32_t) * b.batch,
                                     cudaMemcpyHostToDevice, copy_));
  }
  slot.padding = b.padding;
  slot.copied.record(copy_);
  if (timing_) t_copy1_.record(copy_);
  slot.copied.wait_on(compute_);  // the compute's first reader runs after the copy
  return slot;
}

void BatchPipeline::release(Slot& slot) {
  slot.consumed.record(compute_);
  slot.in_use = true;
}

void BatchPipeline::wait_copied(const Slot& slot) const { slot.copied.synchronize(); }

float BatchPipeline::last_copy_ms() const {
  t_copy1_.synchronize();
  return Event::elapsed_ms(t_copy0_, t_copy1_);
}

}  // namespace senti::cuda
