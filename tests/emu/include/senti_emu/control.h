#pragma once
// Emulated CUDA device: what tests and CPU stand-ins use beyond the CUDA API.
#include <functional>
#include <string>

#include "cuda_runtime_api.h"

namespace senti::emu {

// Queues `work` on `stream` as one device operation: it runs on the CPU, in stream order, when the
// emulator executes the stream (device memory is host memory here, so it may read and write device
// pointers). This is how a library call (CUB, cuBLAS, cuDNN) gets its CPU stand-in; `name` is
// counted in usage_report(). During stream capture the work is recorded into the graph. `work` must
// not call the CUDA API.
cudaError_t enqueue_standin(cudaStream_t stream, const char* name, std::function<void()> work);

// Which of our kernels ran (per launch site: launches, blocks, threads) and which library calls
// went through a CPU stand-in, one line each. The emulated test binaries print it at the end.
std::string usage_report();

// The message of the device fault that made the current sticky error ("" when none).
std::string last_fault();

// How the emulator executes queued work at a synchronisation point (docs/testing.md):
//   Latest (default): always the runnable operation enqueued most recently, across all streams;
//   Random: a seeded random runnable operation; Fifo: enqueue order (the most forgiving).
// Chosen with SENTI_EMU_STREAM_ORDER=latest|random|fifo; tests may switch it.
enum class StreamOrder { Latest, Random, Fifo };
StreamOrder stream_order();
void set_stream_order(StreamOrder order);

// Fault injection for the graph-capture failure path (engine/cuda/step_graph.cpp): the next
// cudaStreamEndCapture (EndCapture: the capture ends and what it recorded is dropped, as when CUDA
// invalidates a capture) or cudaGraphInstantiate (Instantiate) fails once, setting the thread's
// last error as a real failure does. Capture failures that need a real GPU to happen (a driver
// that cannot instantiate a graph, a library call that is not capturable) take this path.
enum class GraphFault { None, EndCapture, Instantiate };
void inject_graph_fault(GraphFault fault);  // None cancels one not yet triggered

}  // namespace senti::emu
