// Emulated CUDA device: CUDA graphs by stream capture, and their replay.
//
// Between cudaStreamBeginCapture and cudaStreamEndCapture, work submitted to the capturing stream
// (and to streams that joined the capture by waiting on an event recorded in it) becomes graph
// nodes instead of running. Kernel arguments and memset values are fixed at capture time; copies
// from pinned memory read it when the graph runs, as on a GPU. Operations CUDA refuses during a
// capture are refused the same way: synchronising calls (the capture is invalidated), copies
// to or from pageable memory, work on the legacy stream while a blocking stream captures, an
// unjoined fork at the end. cudaGraphLaunch queues the nodes as ops with the captured dependencies,
// ordered after the stream's earlier work; the stream's later work waits for all of them.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>

#include "runtime.h"

namespace senti::emu {

struct GraphNode {
  OpBody body;
  std::vector<int> deps;
};

struct Capture {
  CUstream_st* origin = nullptr;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  bool invalidated = false;
  bool ended = false;
  std::vector<GraphNode> nodes;
  std::vector<CUstream_st*> members;  // origin first
};

namespace {

// Capture records are kept for the process's life (events recorded in a capture point at them).
std::deque<Capture>& captures() {
  static auto* c = new std::deque<Capture>();
  return *c;
}

GraphFault g_graph_fault = GraphFault::None;  // guarded by the runtime mutex

// Whether the injected fault is `f`; it fires once.
bool take_graph_fault(GraphFault f) {
  if (g_graph_fault != f) return false;
  g_graph_fault = GraphFault::None;
  return true;
}

void end_capture(Capture* c) {
  for (CUstream_st* m : c->members) {
    m->capture = nullptr;
    m->capture_deps.clear();
  }
  c->members.clear();
  c->ended = true;
}

// Every node that `from` depends on, transitively, plus `from` itself.
std::vector<bool> ancestors(const Capture& c, const std::vector<int>& from) {
  std::vector<bool> seen(c.nodes.size(), false);
  std::vector<int> todo = from;
  while (!todo.empty()) {
    const int n = todo.back();
    todo.pop_back();
    if (seen[n]) continue;
    seen[n] = true;
    for (int d : c.nodes[n].deps) todo.push_back(d);
  }
  return seen;
}

}  // namespace

}  // namespace senti::emu

struct CUgraph_st {
  std::vector<senti::emu::GraphNode> nodes;
};
struct CUgraphExec_st {
  std::vector<senti::emu::GraphNode> nodes;
};

namespace senti::emu {

cudaError_t capture_node(CUstream_st* stream, OpBody body) {
  Capture* c = stream->capture;
  if (c->invalidated)
    return fail(cudaErrorStreamCaptureInvalidated, body.what + " after the capture was invalidated");
  c->nodes.push_back({std::move(body), stream->capture_deps});
  stream->capture_deps = {static_cast<int>(c->nodes.size()) - 1};
  return cudaSuccess;
}

void invalidate_capture(Capture* capture) { capture->invalidated = true; }

void inject_graph_fault(GraphFault fault) {
  Lock lock(runtime_mutex());
  g_graph_fault = fault;
}

bool any_capture_blocks_sync() {
  bool blocks = false;
  for (Capture& c : captures())
    if (!c.ended && c.mode != cudaStreamCaptureModeRelaxed) {
      c.invalidated = true;
      blocks = true;
    }
  return blocks;
}

bool any_blocking_stream_capturing() {
  for (Capture& c : captures())
    for (CUstream_st* m : c.members)
      if (!c.ended && !(m->flags & cudaStreamNonBlocking)) {
        c.invalidated = true;
        return true;
      }
  return false;
}

cudaError_t capture_wait_event(CUstream_st* stream, CUevent_st* event) {
  Capture* c = event->captured;
  if (c->ended || c->invalidated)
    return fail(cudaErrorStreamCaptureInvalidated, "waiting for an event of a finished capture");
  if (stream->capture == c) {
    for (int d : event->captured_deps)
      if (std::find(stream->capture_deps.begin(), stream->capture_deps.end(), d) ==
          stream->capture_deps.end())
        stream->capture_deps.push_back(d);
    return cudaSuccess;
  }
  if (stream->capture) {
    invalidate_capture(c);
    invalidate_capture(stream->capture);
    return fail(cudaErrorStreamCaptureMerge, "a stream of one capture waits for another capture");
  }
  if (stream->legacy) {
    invalidate_capture(c);
    return fail(cudaErrorStreamCaptureImplicit, "the legacy stream cannot join a capture");
  }
  stream->capture = c;  // the stream joins the capture (a fork)
  stream->capture_deps = event->captured_deps;
  c->members.push_back(stream);
  return cudaSuccess;
}

void forget_capture_stream(CUstream_st* stream) {
  if (!stream->capture) return;
  Capture* c = stream->capture;
  invalidate_capture(c);
  if (c->origin == stream) end_capture(c);
  else c->members.erase(std::find(c->members.begin(), c->members.end(), stream));
  stream->capture = nullptr;
}

}  // namespace senti::emu

using namespace senti::emu;

cudaError_t cudaStreamBeginCapture(cudaStream_t handle, cudaStreamCaptureMode mode) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (s->legacy) return fail(cudaErrorStreamCaptureUnsupported, "the legacy stream cannot capture");
  if (s->capture) return fail(cudaErrorIllegalState, "cudaStreamBeginCapture: already capturing");
  captures().emplace_back();
  Capture* c = &captures().back();
  c->origin = s;
  c->mode = mode;
  c->members.push_back(s);
  s->capture = c;
  s->capture_deps.clear();
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t handle, cudaStreamCaptureStatus* status) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (!status) return fail(cudaErrorInvalidValue, "cudaStreamIsCapturing: null output pointer");
  *status = !s->capture ? cudaStreamCaptureStatusNone
            : s->capture->invalidated ? cudaStreamCaptureStatusInvalidated
                                      : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t handle, cudaGraph_t* graph) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (!graph) return fail(cudaErrorInvalidValue, "cudaStreamEndCapture: null output pointer");
  *graph = nullptr;
  if (!s->capture) return fail(cudaErrorIllegalState, "cudaStreamEndCapture: not capturing");
  Capture* c = s->capture;
  if (c->origin != s)
    return fail(cudaErrorStreamCaptureUnmatched, "cudaStreamEndCapture on a forked stream");
  const std::vector<bool> joined = ancestors(*c, s->capture_deps);
  bool unjoined = false;
  for (CUstream_st* m : c->members)
    for (int d : m->capture_deps) unjoined = unjoined || !joined[d];
  const bool invalidated = c->invalidated;
  std::vector<GraphNode> nodes = std::move(c->nodes);
  end_capture(c);
  if (take_graph_fault(GraphFault::EndCapture))
    return fail(cudaErrorStreamCaptureInvalidated, "injected fault (emu::inject_graph_fault)");
  if (invalidated)
    return fail(cudaErrorStreamCaptureInvalidated, "the capture was invalidated by an earlier call");
  if (unjoined)
    return fail(cudaErrorStreamCaptureUnjoined,
                "a stream that joined the capture has work the origin stream never waited for");
  *graph = new CUgraph_st{std::move(nodes)};
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!exec || !graph) return fail(cudaErrorInvalidValue, "cudaGraphInstantiate: null argument");
  if (take_graph_fault(GraphFault::Instantiate))
    return fail(cudaErrorNotSupported, "injected fault (emu::inject_graph_fault)");
  *exec = new CUgraphExec_st{graph->nodes};
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t* exec, cudaGraph_t graph,
                                          unsigned long long flags) {
  return cudaGraphInstantiate(exec, graph, flags);
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t handle) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!exec) return fail(cudaErrorInvalidValue, "cudaGraphLaunch: null graph");
  CUstream_st* s = nullptr;
  if (const cudaError_t e = resolve_stream(handle, &s)) return e;
  if (s->capture)
    return fail(cudaErrorStreamCaptureUnsupported, "cudaGraphLaunch into a capture (child graphs)");
  OpPtr entry;
  if (const cudaError_t e = submit(s, {"graph launch", nullptr}, {}, &entry)) return e;
  std::vector<OpPtr> ops;
  ops.reserve(exec->nodes.size());
  for (const GraphNode& n : exec->nodes) {
    auto op = std::make_shared<Op>();
    op->seq = next_seq();
    op->what = "graph node: " + n.body.what;
    op->run = n.body.run;
    if (n.deps.empty()) op->deps.push_back(entry);
    for (int d : n.deps) op->deps.push_back(ops[d]);
    ops.push_back(op);
    add_pending(op);
  }
  return submit(s, {"graph end", nullptr}, ops);
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  Lock lock(runtime_mutex());
  delete exec;  // launched ops hold their own copies of the node bodies
  return cudaSuccess;
}

cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* count) {
  Lock lock(runtime_mutex());
  if (const cudaError_t e = sticky_error()) return e;
  if (!graph || !count) return fail(cudaErrorInvalidValue, "cudaGraphGetNodes: null argument");
  if (nodes) {
    const size_t n = std::min(*count, graph->nodes.size());
    for (size_t i = 0; i < n; ++i)  // 1-based indices as handles: never null, never dereferenced
      nodes[i] = reinterpret_cast<cudaGraphNode_t>(static_cast<uintptr_t>(i + 1));
    *count = n;
  } else {
    *count = graph->nodes.size();
  }
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  Lock lock(runtime_mutex());
  delete graph;
  return cudaSuccess;
}
