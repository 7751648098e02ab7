// The device step counter. See step_counter.cuh.
#include "kernels/step_counter.cuh"

#include "kernels/common/error.h"
#include "kernels/launch.cuh"

namespace senti::kernels {
namespace {

static __global__ void step_advance_kernel(int64_t* step) { *step += 1; }

}  // namespace

void step_counter_advance(int64_t* step, cudaStream_t stream) {
  SENTI_CHECK(step != nullptr, "step_counter_advance: null counter");
  launch(step_advance_kernel, 1, 1, 0, stream, step);
}

}  // namespace senti::kernels
