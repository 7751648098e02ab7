#pragma once
// The CUDA backend's train step as CUDA graphs: the launches of one step (from the batch in its
// device slot through Adam) are captured once per key and replayed with one cudaGraphLaunch, so a
// step costs the host one launch instead of one per kernel, copy and memset (docs/performance.md).
//
// A captured graph fixes every launch's arguments: pointers, grid sizes, GEMM shapes, scalars. So
//   - the key is what changes them from step to step: the batch shape (B, T) and the batch slot
//     (its device addresses; the pipeline alternates two slots). Every other buffer the step uses
//     is allocated once by the backend and never moves (set_state copies into it);
//   - nothing in the step may be a per-step host value: Adam's step size is computed on the device
//     from the device step counter (kernels/adam.cuh).
// Policy of StepGraphs::run: the first step of each shape runs eagerly (a warm-up: libraries do
// their lazy per-shape setup, cuBLAS its heuristics, the driver its lazy module loading, outside
// any capture), the next step of that shape and slot is captured, instantiated and launched, and
// every later one replays. At most max_graphs are kept; keys beyond that run eagerly (a run whose
// shapes never repeat would otherwise pay a capture per step). If a capture fails, no further
// capture is tried for the backend's life: new keys run eagerly (reason() says why; one line on
// stderr), the graphs captured before keep replaying.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include <cuda_runtime_api.h>

namespace senti::cuda {

// RAII cudaGraph_t (what a capture recorded).
class Graph {
 public:
  Graph() = default;
  explicit Graph(cudaGraph_t g) : g_(g) {}
  ~Graph() {
    if (g_) cudaGraphDestroy(g_);
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&& o) noexcept : g_(std::exchange(o.g_, nullptr)) {}
  cudaGraph_t get() const { return g_; }

 private:
  cudaGraph_t g_ = nullptr;
};

// RAII cudaGraphExec_t (an instantiated graph, launchable).
class GraphExec {
 public:
  GraphExec() = default;
  explicit GraphExec(cudaGraphExec_t e) : e_(e) {}
  ~GraphExec() {
    if (e_) cudaGraphExecDestroy(e_);
  }
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  GraphExec(GraphExec&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  GraphExec& operator=(GraphExec&& o) noexcept {
    if (this != &o) {
      if (e_) cudaGraphExecDestroy(e_);
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  cudaGraphExec_t get() const { return e_; }

 private:
  cudaGraphExec_t e_ = nullptr;
};

// What a captured step depends on besides buffers that never move.
struct StepKey {
  int batch = 0, maxlen = 0;
  const void* ids = nullptr;     // the slot's device buffers
  const void* labels = nullptr;
  // A data-parallel share's place in its global batch (Batch::row_offset, Batch::mean_rows()):
  // the dropout kernels' first row and the head's divisor are launch arguments. One rank's share
  // of a short last batch can have the shape of its full-batch share at another offset.
  int first_row = 0, mean_rows = 0;
  bool operator<(const StepKey& o) const {
    return std::tie(batch, maxlen, ids, labels, first_row, mean_rows) <
           std::tie(o.batch, o.maxlen, o.ids, o.labels, o.first_row, o.mean_rows);
  }
};

class StepGraphs {
 public:
  struct Stats {
    int64_t eager = 0;     // steps run directly (warm-up, cache full, after a failed capture)
    int64_t captures = 0;  // graphs captured and instantiated
    int64_t replays = 0;   // launches of an existing graph
    size_t last_nodes = 0; // nodes (kernels, copies, memsets) of the last captured graph
  };

  // stream: the stream the step's work is queued on (the backend's compute stream).
  // A graph destroyed while a launch of it still runs is freed when that launch completes (CUDA's
  // cudaGraphExecDestroy), so destruction needs no synchronisation.
  explicit StepGraphs(cudaStream_t stream, size_t max_graphs = 16);

  // Queues one step on the stream: `enqueue` queues the step's work there (and only there) and is
  // called directly or under capture, as the policy above says.
  void run(const StepKey& key, const std::function<void()>& enqueue);

  const Stats& stats() const { return stats_; }
  // "" while graphs are usable; why they were turned off after a failed capture.
  const std::string& reason() const { return reason_; }

 private:
  GraphExec capture(const std::function<void()>& enqueue);

  cudaStream_t stream_;
  size_t max_graphs_;
  std::map<StepKey, GraphExec> graphs_;
  std::set<std::pair<int, int>> warmed_;  // shapes (B, T) that ran once eagerly
  Stats stats_;
  std::string reason_;
};

}  // namespace senti::cuda
