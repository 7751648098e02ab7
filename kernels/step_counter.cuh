#pragma once
// The optimizer's step counter kept on the device (Adam iterations done), so the kernels that
// depend on the step (the dropout masks) read it from memory instead of a launch argument, and a
// captured step replays correctly.
#include <cstdint>

#include <cuda_runtime_api.h>

namespace senti::kernels {

// *step += 1 on the stream (one thread).
void step_counter_advance(int64_t* step, cudaStream_t stream);

}  // namespace senti::kernels
