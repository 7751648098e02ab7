#pragma once
// Gradient clipping, Keras semantics, in one launch: the squared L2 norm of every parameter tensor
// (fixed-order sums in double) and the per-tensor scale factors, computed on the device:
//   clipnorm > 0:        scale_k = clip_scale(|g_k|², clipnorm)   (Keras clip_by_norm per variable)
//   else global > 0:     scale_k = clip_scale(Σ_k |g_k|², global) (Keras clip_by_global_norm)
//   else                 scale_k = 1
// Keras applies clipnorm first when both are set (its optimizer rejects that combination anyway).
// The scales stay on the device; adam() reads them. No host synchronisation.
#include <cstddef>

#include <cuda_runtime_api.h>

#include "kernels/param_tiles.h"

namespace senti::kernels {

// Device scratch: one double a tile plus a completion counter that must start at zero (the kernel
// leaves it at zero again). Allocate once with clip_workspace_bytes and cudaMemset it to 0.
size_t clip_workspace_bytes(const ParamTiles& tiles);

// grads: device flat buffer; scales: device [num_tensors] (written); sumsq: device [num_tensors] or
// null (written with the squared norms, for tests and diagnostics). first_sumsq: device [1] or
// null; when set, it replaces tensor 0's squared norm (the embedding's, ParamLayout order) in
// clipping and in `sumsq` (TensorFlow's IndexedSlices rule, --embedding-clip-norm sparse: the sum
// over the positions read, computed by the caller on the device).
void clip_scales(const float* grads, const ParamTiles& tiles, float clipnorm,
                 float global_clipnorm, void* workspace, size_t workspace_bytes, float* scales,
                 double* sumsq, cudaStream_t stream, const double* first_sumsq = nullptr);

}  // namespace senti::kernels
