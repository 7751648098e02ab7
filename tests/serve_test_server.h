#pragma once
// Helpers for the `senti serve` tests: an in-process server on a free loopback port, and raw
// loopback sockets for clients that misbehave (trickle, stall, stay idle).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/cpu/cpu_backend.h"
#include "host/cli/serve_server.h"
#include "host/run/checkpoint.h"
#include "host/run/predictor.h"
#include "tiny_checkpoint.h"

namespace senti::test {

inline std::unique_ptr<Predictor> make_tiny_predictor(const Checkpoint& c, int batch) {
  return std::make_unique<Predictor>(c, make_cpu_backend(inference_backend_options(c, batch)), batch,
                                     "tiny");
}

inline cli::ServeLimits small_serve_limits() {
  cli::ServeLimits limits;
  limits.max_texts = 8;
  limits.max_body_bytes = 4096;
  limits.max_text_bytes = 300;
  return limits;
}

// A server on 127.0.0.1:<free port>, serving on a background thread for the object's lifetime.
struct RunningServer {
  Checkpoint ckpt = tiny_checkpoint(21);
  std::unique_ptr<Predictor> predictor = make_tiny_predictor(ckpt, 4);
  cli::ServeLimits limits;
  std::unique_ptr<cli::PredictServer> server;
  std::thread thread;
  int port = 0;

  explicit RunningServer(cli::HttpOptions http = cli::HttpOptions{},
                         cli::ServeLimits l = small_serve_limits())
      : limits(l) {
    server = std::make_unique<cli::PredictServer>(*predictor, limits,
                                                  nlohmann::json{{"maxlen", 10}}, http);
    port = server->bind("127.0.0.1", 0);
    thread = std::thread([this] { server->run(); });
  }
  ~RunningServer() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    server->stop();
    thread.join();
  }
  httplib::Client client(int read_timeout_s = 20) const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    c.set_read_timeout(read_timeout_s);
    return c;
  }
  std::vector<float> expected(const std::vector<std::string>& texts) const {
    return make_tiny_predictor(ckpt, 4)->predict(texts);
  }
};

inline std::string predict_body(const std::vector<std::string>& texts) {
  return nlohmann::json{{"texts", texts}}.dump();
}

// A raw TCP connection to 127.0.0.1:port (closed on destruction), for byte-level clients.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads until `needle` is in what arrived, the peer closes, or `timeout_ms` passes; returns all
  // bytes read. *closed tells whether the peer closed (or reset) the connection.
  std::string read_until(const std::string& needle, int timeout_ms, bool* closed = nullptr) {
    std::string got;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool peer_closed = false;
    while (got.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        peer_closed = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    if (closed != nullptr) *closed = peer_closed;
    return got;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool connected_ = false;
};

}  // namespace senti::test
