#pragma once
// The CUDA backend's batch pipeline: how a batch in host memory reaches the device without making
// the step wait for the copy or the caller wait for the step.
//
//   two device slots  a batch's ids, labels (and lengths, for masked models) go into the slots in turn, so the copy of batch n+1
//                     can run while the compute of batch n still reads the other slot;
//   copy stream       carries the host-to-device copies (the compute stream carries the rest);
//   `consumed` event  recorded on the compute stream after the last reader of a slot was queued:
//                     the copy into that slot waits for it (on the device) before overwriting;
//   `copied` event    recorded on the copy stream after the copy: the compute stream waits for it
//                     (on the device) before its first reader of the slot;
//   return-once-copied: wait_copied() blocks the host until the copy is done, after which the
//                     caller may refill its host buffer while the step's compute still runs
//                     (Backend::train_step's contract).
//
// Use: slot = upload(batch) -> queue the readers on the compute stream -> release(slot) ->
// queue the rest -> wait_copied(slot).
#include <array>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "engine/batch.h"
#include "engine/cuda/device_buffer.h"
#include "engine/cuda/stream.h"

namespace senti::cuda {

class BatchPipeline {
 public:
  struct Slot {
    DeviceBuffer<int32_t> ids;   // (max_batch, maxlen) row-major, as the host batch
    DeviceBuffer<float> labels;  // (max_batch, labels_per_row): K for a multi-label head, else 1
    DeviceBuffer<int32_t> lengths;  // (max_batch), copied only by a pipeline made with_lengths
    PadSide padding = PadSide::Post;  // the batch's (a host value: where its lengths' padding is)
    Event copied, consumed;
    bool in_use = false;  // `consumed` has been recorded at least once
  };

  // compute: the stream that reads the slots (the backend's); it must outlive the pipeline.
  // with_lengths: copy Batch::lengths too (masked models; the batch must have them).
  // labels_per_row: the floats of Batch::labels a row has (ModelConfig::classes for a multi-label
  // head, else 1).
  BatchPipeline(cudaStream_t compute, int max_batch, int maxlen, bool with_lengths = false,
                int labels_per_row = 1);
  ~BatchPipeline();  // waits for queued copies: they write the slots

  // Queues the copy of a validated batch into the next slot and makes the compute stream wait for
  // it. The batch's host memory must stay untouched until wait_copied(slot).
  Slot& upload(const Batch& batch);
  // The last reader of the slot has been queued on the compute stream.
  void release(Slot& slot);
  // Blocks until the slot's copy is done (the batch's host memory is free again).
  void wait_copied(const Slot& slot) const;

  // Copy timing for Backend::last_step_timings (timing events around every copy when on).
  void set_timing(bool on) { timing_ = on; }
  float last_copy_ms() const;  // synchronises with the last copy

 private:
  cudaStream_t compute_;
  bool with_lengths_;
  int labels_per_row_;
  Stream copy_;
  std::array<Slot, 2> slots_;
  int next_slot_ = 0;
  bool timing_ = false;
  Event t_copy0_{true}, t_copy1_{true};
};

}  // namespace senti::cuda
