#pragma once
// Forward passes over a split: validation, the final test and `senti eval`. In a data-parallel run
// (the backend's options carry a distributed Collective) each rank evaluates its part of the rows
// and the figures and probabilities are summed over the ranks, so every rank returns the same.
#include <string>
#include <vector>

#include "engine/backend.h"
#include "host/data/dataset.h"
#include "host/run/progress.h"
#include "host/stream/batch_stream.h"

namespace senti {

// The three batch slots of the stream, `batch` rows of up to `maxlen` ids each, in the backend's host
// memory (pinned on CUDA).
std::vector<stream::BatchSlot> slots_for(Backend& backend, int batch, int maxlen);

void accumulate(Metrics* total, const Metrics& m);

// Forward passes over `rows` of `split`; returns loss/accuracy, and each row's probability of the
// positive class in *probs when given. With `progress`, shows a task line "<label>: done/total
// reviews ... - loss - acc" (running figures) while it runs.
Metrics evaluate(Backend& backend, const data::Split& split, const std::vector<int64_t>& rows,
                 int batch_size, const data::SequenceOptions& seq,
                 std::vector<stream::BatchSlot>* slots, std::vector<float>* probs = nullptr,
                 ProgressLine* progress = nullptr, const std::string& progress_label = "test");

}  // namespace senti
