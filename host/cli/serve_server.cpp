#include "host/cli/serve_server.h"

#include <arpa/inet.h>

#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

#include "kernels/common/error.h"
#include "host/cli/serve_page.h"

namespace senti::cli {
namespace {

void reply_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void reply_error(httplib::Response& res, int status, std::string_view message) {
  reply_json(res, status, error_json(status, message));
}

const char* kEndpoints = "GET /, GET /healthz, POST /v1/predict";

// Runs a handler; anything it throws becomes a 500 for this request only.
template <typename F>
void guarded(httplib::Response& res, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    reply_error(res, 500, std::string("internal error: ") + e.what());
  } catch (...) {
    reply_error(res, 500, "internal error");
  }
}

}  // namespace

struct PredictServer::Impl {
  Predictor& predictor;
  ServeLimits limits;
  nlohmann::json info;
  httplib::Server server;
  std::mutex model_mu;  // one request at a time on the backend (see the header)

  std::mutex state_mu;  // run()/stop() handshake
  bool stop_requested = false, run_entered = false, run_left = false;

  Impl(Predictor& p, ServeLimits l, nlohmann::json i)
      : predictor(p), limits(l), info(std::move(i)) {}

  void add_routes() {
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kServePage.data(), kServePage.size(), "text/html; charset=utf-8");
    });
    server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      guarded(res, [&] {
        nlohmann::json body = {{"status", "ok"}, {"model", info}};
        reply_json(res, 200, body.dump());
      });
    });
    server.Post("/v1/predict", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(res, [&] { predict(req, res); });
    });
    add_method_not_allowed("/", "GET");
    add_method_not_allowed("/healthz", "GET");
    add_method_not_allowed("/v1/predict", "POST");
    // Every 4xx/5xx without a body of its own (unknown path, body over the limit, malformed HTTP)
    // gets a JSON one.
    server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message;
      if (res.status == 404)
        message = "no such endpoint: " + req.method + " " + req.path + " (there are " + kEndpoints + ")";
      else if (res.status == 413)
        message = "request body larger than the limit of " + std::to_string(limits.max_body_bytes) +
                  " bytes";
      else if (res.status == 400)
        message = "malformed HTTP request";
      else
        message = "request failed with HTTP status " + std::to_string(res.status);
      reply_error(res, res.status, message);
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          reply_error(res, 500, "internal error");
        });
  }

  void add_method_not_allowed(const std::string& path, const std::string& allowed) {
    auto handler = [path, allowed](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allowed);
      reply_error(res, 405, req.method + " is not allowed on " + path + ": use " + allowed);
    };
    if (allowed != "GET") server.Get(path, handler);
    if (allowed != "POST") server.Post(path, handler);
    server.Put(path, handler);
    server.Patch(path, handler);
    server.Delete(path, handler);
  }

  void predict(const httplib::Request& req, httplib::Response& res) {
    PredictRequest request;
    ApiError error;
    if (!parse_predict_request(req.body, limits, &request, &error)) {
      reply_error(res, error.status, error.message);
      return;
    }
    std::string body;
    {
      std::lock_guard<std::mutex> lock(model_mu);
      body = predict_response(predictor, request);
    }
    reply_json(res, 200, body);
  }
};

PredictServer::PredictServer(Predictor& predictor, ServeLimits limits, nlohmann::json info)
    : impl_(std::make_unique<Impl>(predictor, limits, std::move(info))) {
  impl_->server.set_payload_max_length(limits.max_body_bytes);
  // A client that stalls mid-request holds one pool thread for at most this long.
  impl_->server.set_read_timeout(10, 0);
  impl_->server.set_write_timeout(10, 0);
  impl_->add_routes();
}

PredictServer::~PredictServer() { stop(); }

int PredictServer::bind(const std::string& host, int port) {
  if (port < 0 || port > 65535) SENTI_FAIL("--port must be in 0..65535, got ", port);
  int bound = port;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else if (!impl_->server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0)
    SENTI_FAIL("cannot listen on ", host, ":", port,
               " (port in use, no permission, or --host is not an address of this machine)");
  return bound;
}

void PredictServer::run() {
  {
    std::lock_guard<std::mutex> lock(impl_->state_mu);
    if (impl_->stop_requested) return;
    impl_->run_entered = true;
  }
  impl_->server.listen_after_bind();
  std::lock_guard<std::mutex> lock(impl_->state_mu);
  impl_->run_left = true;
}

void PredictServer::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->state_mu);
    impl_->stop_requested = true;
    if (!impl_->run_entered) return;  // run() will see the flag and return at once
  }
  // run() is in, or about to enter, httplib's accept loop; httplib's stop() only acts once the loop
  // has started, so wait for that (or for run() to have left already).
  while (true) {
    {
      std::lock_guard<std::mutex> lock(impl_->state_mu);
      if (impl_->run_left) return;
    }
    if (impl_->server.is_running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->server.stop();
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return false;
}

}  // namespace senti::cli
