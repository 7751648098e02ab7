#pragma once
// Clipping + Adam on the host for the CPU backend (and as the CUDA kernels' twin in tests). The
// rules (validation, per-tensor norms, clip scales) are engine/optimizer.h's; this is the update.
#include "engine/model_config.h"
#include "engine/optimizer.h"
#include "engine/params.h"

namespace senti {

// One optimizer iteration: clips `grads` (ParamLayout order, not modified) and applies Adam to
// state->params, m and v; increments state->step. The element-wise update is split over `threads`
// threads (results do not depend on the count: no element's value depends on another's). The clip
// factors come from `sums` when given (the backend's, with the sparse embedding rule applied),
// else from grad_sums_of_squares(grads). When `report` is given it receives the sums of squares
// and clip factors used.
void apply_clipped_adam(const ParamLayout& layout, const OptimizerConfig& opt, const float* grads,
                        TrainState* state, int threads = 1, const TensorSums* sums = nullptr,
                        ClipReport* report = nullptr);

}  // namespace senti
