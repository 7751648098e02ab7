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

// The API, for routing wrong methods and for messages.
struct Endpoint {
  const char* path;
  const char* method;  // the one method it answers (GET also answers HEAD)
};
constexpr Endpoint kEndpoints[] = {{"/", "GET"}, {"/healthz", "GET"}, {"/v1/predict", "POST"}};

const Endpoint* find_endpoint(const std::string& path) {
  for (const Endpoint& e : kEndpoints)
    if (path == e.path) return &e;
  return nullptr;
}

std::string endpoint_list() {
  std::string s;
  for (const Endpoint& e : kEndpoints)
    s += std::string(s.empty() ? "" : ", ") + e.method + " " + e.path;
  return s;
}

// 405 with the Allow header. There is no CORS support: OPTIONS (a preflight included) is a wrong
// method like any other, so pages from other origins cannot call the API (docs/serving.md).
void reply_method_not_allowed(const httplib::Request& req, httplib::Response& res,
                              const Endpoint& e) {
  const std::string allowed = std::string(e.method) == "GET" ? "GET, HEAD" : e.method;
  res.set_header("Allow", allowed);
  reply_error(res, 405, req.method + " is not allowed on " + e.path + ": use " + e.method);
}

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
  HttpServer server;
  std::mutex model_mu;  // one request at a time on the backend (see the header)

  std::mutex state_mu;  // run()/stop() handshake
  bool stop_requested = false, run_entered = false, run_left = false;

  Impl(Predictor& p, ServeLimits l, nlohmann::json i, HttpOptions http)
      : predictor(p), limits(l), info(std::move(i)), server(http) {}

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
    for (const Endpoint& e : kEndpoints) add_method_not_allowed(e);
    // Every 4xx/5xx without a body of its own (unknown path, body over the limit, malformed HTTP,
    // a request that did not arrive in time) gets a JSON one.
    server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const bool unrouted_method = req.method == "TRACE" || req.method == "CONNECT";
      if (res.status == 400 && HttpServer::request_timed_out()) {
        res.status = 408;
      } else if (res.status == 400 && unrouted_method) {
        const Endpoint* e = find_endpoint(req.path);
        if (e != nullptr) return reply_method_not_allowed(req, res, *e);
        res.status = 404;
      }
      std::string message;
      if (res.status == 404)
        message = "no such endpoint: " + req.method + " " + req.path + " (there are " +
                  endpoint_list() + ")";
      else if (res.status == 408)
        message = "request not received within " +
                  std::to_string(server.options().request_timeout_s) + " s";
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

  // Every method httplib routes, other than the endpoint's own, answers 405 on a known path.
  // (TRACE and CONNECT are not routed by httplib: the error handler turns them into 405 too.)
  void add_method_not_allowed(const Endpoint& e) {
    auto handler = [&e](const httplib::Request& req, httplib::Response& res) {
      reply_method_not_allowed(req, res, e);
    };
    const std::string method = e.method;
    if (method != "GET") server.Get(e.path, handler);
    if (method != "POST") server.Post(e.path, handler);
    server.Put(e.path, handler);
    server.Patch(e.path, handler);
    server.Delete(e.path, handler);
    server.Options(e.path, handler);
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

PredictServer::PredictServer(Predictor& predictor, ServeLimits limits, nlohmann::json info,
                             HttpOptions http)
    : impl_(std::make_unique<Impl>(predictor, limits, std::move(info), http)) {
  impl_->server.set_payload_max_length(limits.max_body_bytes);
  impl_->add_routes();
}

PredictServer::~PredictServer() { stop(); }

int PredictServer::bind(const std::string& host, int port) {
  return impl_->server.bind_listener(host, port);
}

void PredictServer::run() {
  {
    std::lock_guard<std::mutex> lock(impl_->state_mu);
    if (impl_->stop_requested) return;
    impl_->run_entered = true;
  }
  impl_->server.serve();
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
