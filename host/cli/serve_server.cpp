#include "host/cli/serve_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
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

namespace {

// "[::1]" (the URL spelling) -> "::1".
std::string unbracketed(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

bool is_localhost_name(const std::string& host) {
  return strcasecmp(host.c_str(), "localhost") == 0 || strcasecmp(host.c_str(), "localhost.") == 0;
}

// The address a numeric `host` spells, read as the OS reads it (getaddrinfo with AI_NUMERICHOST:
// inet_aton's "127.1" and "0x7f.1", IPv6 with an IPv4 tail, ...). Never a DNS query. An IPv4
// address written in IPv6 form (::ffff:a.b.c.d) comes back as that IPv4 address: it is the same
// destination, and an AF_INET socket binds it where IPv6 is off.
bool numeric_address(const std::string& host, sockaddr_storage* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* found = nullptr;
  if (host.empty() || getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  std::memcpy(out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (out->ss_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(out);
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, a6->sin6_addr.s6_addr + 12, 4);
      std::memset(out, 0, sizeof *out);
      std::memcpy(out, &v4, sizeof v4);
    }
  }
  return true;
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  const std::string h = unbracketed(host);
  if (is_localhost_name(h)) return true;
  sockaddr_storage a{};
  if (!numeric_address(h, &a)) return false;
  if (a.ss_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr) >> 24) == 127;
  return a.ss_family == AF_INET6 &&
         IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr);
}

std::string canonical_host(const std::string& host) {
  const std::string h = unbracketed(host);
  sockaddr_storage a{};
  if (!numeric_address(h, &a)) return h;
  char text[INET6_ADDRSTRLEN] = {};
  const void* bytes = a.ss_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&a)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr);
  // A scoped IPv6 address (fe80::1%eth0) keeps the user's spelling: inet_ntop would drop the zone.
  if (h.find('%') != std::string::npos || !inet_ntop(a.ss_family, bytes, text, sizeof text)) return h;
  return text;
}

}  // namespace senti::cli
