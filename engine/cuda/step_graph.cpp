// Capture and replay of the CUDA backend's train step. See step_graph.h.
#include "engine/cuda/step_graph.h"

#include <cstdio>

#include "kernels/common/error.h"
#include "kernels/cuda_check.h"

namespace senti::cuda {

StepGraphs::StepGraphs(cudaStream_t stream, size_t max_graphs)
    : stream_(stream), max_graphs_(max_graphs) {}

GraphExec StepGraphs::capture(const std::function<void()>& enqueue) {
  // Thread-local mode: an unsafe call (a synchronisation, cudaMalloc) made by this thread while it
  // captures fails the capture; other threads (a data loader allocating pinned memory) are free.
  SENTI_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  cudaGraph_t raw = nullptr;
  try {
    enqueue();
  } catch (...) {
    // End the capture so the stream is usable again; what was recorded is dropped, and the error
    // the failed capture left (if any) is not mistaken for a later one.
    if (cudaStreamEndCapture(stream_, &raw) == cudaSuccess && raw) cudaGraphDestroy(raw);
    (void)cudaGetLastError();
    throw;
  }
  const cudaError_t ended = cudaStreamEndCapture(stream_, &raw);
  Graph graph(raw);
  size_t nodes = 0;
  cudaGraphExec_t exec = nullptr;
  try {
    SENTI_CUDA_CHECK(ended);
    SENTI_CUDA_CHECK(cudaGraphGetNodes(graph.get(), nullptr, &nodes));
    SENTI_CUDA_CHECK(cudaGraphInstantiate(&exec, graph.get(), 0));
  } catch (...) {
    // The failed call also left its error as the thread's last error, which the eager fallback's
    // first launch (kernels/launch.cuh) would read and throw as its own: clear it. A sticky device
    // fault is not cleared by this and still stops the fallback, as it should.
    (void)cudaGetLastError();
    throw;
  }
  stats_.last_nodes = nodes;
  return GraphExec(exec);  // the executable does not need `graph` any more
}

void StepGraphs::run(const StepKey& key, const std::function<void()>& enqueue) {
  if (const auto it = graphs_.find(key); it != graphs_.end()) {
    SENTI_CUDA_CHECK(cudaGraphLaunch(it->second.get(), stream_));
    ++stats_.replays;
    return;
  }
  const auto shape = std::make_pair(key.batch, key.maxlen);
  if (!reason_.empty() || !warmed_.count(shape) || graphs_.size() >= max_graphs_) {
    enqueue();
    warmed_.insert(shape);
    ++stats_.eager;
    return;
  }
  GraphExec exec;
  try {
    exec = capture(enqueue);
  } catch (const Error& e) {
    reason_ = std::string("capture failed: ") + e.what();
    std::fprintf(stderr, "senti: CUDA graph %s; new batch shapes run without a graph\n",
                 reason_.c_str());
    enqueue();  // nothing of the failed capture ran: run the step for real
    ++stats_.eager;
    return;
  }
  SENTI_CUDA_CHECK(cudaGraphLaunch(exec.get(), stream_));
  graphs_.emplace(key, std::move(exec));
  ++stats_.captures;
}

}  // namespace senti::cuda
