#pragma once
// The CUDA backend, and the map of engine/cuda (every piece, and where its parts live):
//
//   cuda_backend.h/.cpp    CudaBackend: parameters and Adam state as one flat device buffer in
//                          ParamLayout order; the step (gather -> LSTM -> dense + the head's
//                          loss (sigmoid, softmax or multi-label; class weights) -> LSTM
//                          backward -> embedding gradient -> clip -> Adam) on the compute stream,
//                          with every model option (mask, BiLSTM, pooling, dropout, sparse clip
//                          norm; docs/model.md "CUDA backend"); metrics kept on the device until
//                          take_metrics(). The class is declared in cuda_backend_impl.h;
//                          cuda_backend.cpp has construction, state, metrics and statistics,
//                          cuda_backend_step.cpp the step, evaluation and loss_and_gradients.
//   step_graph.h/.cpp      StepGraphs: the train step captured as a CUDA graph per batch shape
//                          and slot, replayed with one launch (BackendOptions::cuda_graph).
//   batch_pipeline.h/.cpp  the two device batch slots, the copy stream, the `copied`/`consumed`
//                          events and the return-once-copied contract of train_step.
//   device_allreduce.h     DeviceAllreduce: the data-parallel sum of the gradient over the ranks
//                          (BackendOptions::collective) between backward and clipping: NCCL
//                          (device_allreduce_nccl.cpp) or, on the emulated device, the MPI
//                          stand-in (device_allreduce_host.cpp).
//   device_lstm.h/.cpp     DeviceLstm, the LSTM layer interface, and make_device_lstm(): the one
//                          place that picks an implementation (BackendOptions::lstm).
//   cudnn_lstm.h/.cpp      CudnnLstm: cuDNN's RNN API and the Keras <-> weight-space index map
//                          (real GPU only); cudnn_objects.h: RAII cuDNN handle/descriptors;
//                          library_check.h: SENTI_CUDNN_CHECK / SENTI_CUBLAS_CHECK.
//   fused_lstm.h/.cpp      FusedLstm: senti's fused kernels plus GEMMs (lengths, two
//                          directions, dL/dy): the default and the only kind for the model options.
//   cpu_standin_lstm.h/.cpp CpuStandInLstm: the CPU twin queued on the stream (emulated device
//                          only).
//   device.cpp             cuda_device_present(), select_rank_device().
//   device_buffer.h, stream.h  RAII device/pinned memory, streams, events.
//
// Below it: the custom ops in kernels/ (one .cu/.cuh pair each: embedding_forward/backward,
// dense_bce, dense_softmax_ce (the K-output heads), clip_norms, adam, weight_map, lstm_fused*, and
// for the model options ngram_features, sequence_pool,
// dropout, sum_of_squares (the sparse embedding norm), sequence_mask (cuDNN's dx); for the
// language-model head (`senti pretrain`) lm_rows, lm_sampled_softmax and lm_full_softmax; ParamTiles in
// kernels/param_tiles.h, workspace alignment in kernels/workspace.h, CUB behind kernels/libs/sort_pairs.h), every launch through
// kernels/launch.cuh (SENTI_CUDA_SYNC_CHECK=1 synchronises after each), SENTI_CUDA_CHECK in
// kernels/cuda_check.h, per-element math shared with the CPU in kernels/common/math.
// Beside it: engine/backend.cpp (the factory) and validate_batch (engine/backend_options.cpp).
//
// Two builds of this folder: with nvcc for a real GPU (library senti_backends, all but
// cpu_standin_lstm, gemm_host and device_allreduce_host), and with the host compiler against the
// emulated CUDA device of tests/emu (senti_backends_emu in tests/cuda/emu_backend.cmake,
// SENTI_CUDA_EMU defined, all but the cuDNN, cuBLAS and NCCL files). NVTX ranges: docs/profiling.md.
#include <memory>
#include <string>

#include "engine/backend.h"
#include "engine/cuda/step_graph.h"

namespace senti {

// True when the CUDA runtime loads and reports at least one device; otherwise `why` (if given)
// says why not: the CUDA error string ("no CUDA-capable device is detected", "CUDA driver version
// is insufficient for CUDA runtime version", ...). On the emulated build: the emulated device.
bool cuda_device_present(std::string* why);

// A data-parallel rank's GPU: device local_rank % (devices on this machine), made current
// (cudaSetDevice), so the ranks of one machine spread over its GPUs. make_cuda_backend calls it
// for a distributed BackendOptions::collective before anything touches a device.
void select_rank_device(int local_rank);

// Creates the CUDA backend on the current device (with a distributed collective: the rank's,
// select_rank_device). Throws senti::Error if CUDA or cuDNN fails, a
// UsageError if opts.lstm names a layer this build cannot run.
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& opts);

// The CUDA-graph counters of a backend made by make_cuda_backend (how many steps ran eagerly,
// were captured, were replayed; the node count of the last capture), for tests and benchmarks.
// False, and *out untouched, for any other backend.
bool cuda_step_graph_stats(Backend& backend, cuda::StepGraphs::Stats* out);

}  // namespace senti
