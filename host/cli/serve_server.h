#pragma once
// The HTTP server behind `senti serve` (cpp-httplib):
//   GET  /            the demo page (host/cli/serve_page.h)
//   GET  /healthz     {"status": "ok", "model": {...}, "backend": "..."}
//   POST /v1/predict  {"texts": [...]} -> {"predictions": [...]} (host/cli/serve_api.h)
// Any other method on these paths (OPTIONS included: no CORS): 405 with an Allow header; any other
// path: 404; a request not received within the request timeout: 408; every error
// body is JSON {"error": ..., "status": ...}. A handler never throws past the server: an
// unexpected failure is a 500 for that request, and the server keeps serving.
//
// Concurrency: each connection is served on a worker thread of HttpServer (host/cli/serve_http.h:
// bounded queue, per-request deadlines, TCP_NODELAY, no port sharing). Parsing, validation and
// writing responses run in parallel; the model itself runs one request at a time under a mutex,
// because a Backend is not thread-safe. One backend rather than a pool: on the CPU the OpenBLAS
// GEMMs already use every core, on a GPU one stream does; a pool would multiply memory for little
// gain. A request's reviews go to the model in batches of the Predictor's --batch.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "host/run/predictor.h"
#include "host/cli/serve_api.h"
#include "host/cli/serve_http.h"

namespace senti::cli {

class PredictServer {
 public:
  // `predictor` must outlive the server. `info` is reported under "model" by /healthz.
  PredictServer(Predictor& predictor, ServeLimits limits, nlohmann::json info,
                HttpOptions http = HttpOptions{});
  ~PredictServer();
  PredictServer(const PredictServer&) = delete;
  PredictServer& operator=(const PredictServer&) = delete;

  // Binds host:port (port 0: any free port) and returns the port; UsageError naming host:port and
  // the reason when it cannot (in use by another server, no permission, not a local address).
  int bind(const std::string& host, int port);
  // Serves until stop(); returns at once if stop() came first. Call after bind().
  void run();
  // Stops run() and waits for it to begin stopping. Thread-safe; any number of calls.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for addresses that only this machine can reach, in every spelling the OS reads as one:
// 127.0.0.0/8 (127.0.0.1, 127.1, 127.2.3.4, 0x7f.1), ::1, ::ffff:127.x.y.z, localhost; also in
// brackets ([::1]). Host names other than localhost are not looked up: they count as remote.
bool is_loopback_host(const std::string& host);

// The numeric form of a numeric `host` ("127.1" -> "127.0.0.1", "::ffff:127.0.0.1" ->
// "127.0.0.1", "[::1]" -> "::1"): what `senti serve` binds and prints. Names come back unchanged.
std::string canonical_host(const std::string& host);

}  // namespace senti::cli
