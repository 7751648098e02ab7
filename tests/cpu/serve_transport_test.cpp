// The transport under `senti serve` (host/cli/serve_http.h), against the failures an audit found:
// a second server sharing a busy port, slow clients freezing every worker, Nagle delays on
// keep-alive connections, a listen backlog of 5, and out-of-range serve flags. Loopback only; every
// wait is bounded, and a client that misbehaves is stopped by the test itself.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels/common/error.h"
#include "serve_test_server.h"
#include "test_env.h"

namespace senti::cli {
namespace {

using test::RawClient;
using test::RunningServer;
using Clock = std::chrono::steady_clock;

// ---- looking at this process's own sockets ----------------------------------------------------

std::vector<int> open_socket_fds() {
  std::vector<int> fds;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target.string().rfind("socket:", 0) == 0)
      fds.push_back(std::stoi(e.path().filename()));
  }
  return fds;
}

bool address_of(int fd, bool peer, sockaddr_in* out) {
  socklen_t len = sizeof *out;
  auto* a = reinterpret_cast<sockaddr*>(out);
  const int rc = peer ? getpeername(fd, a, &len) : getsockname(fd, a, &len);
  return rc == 0 && out->sin_family == AF_INET;
}

bool same(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
}

int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  return getsockopt(fd, level, name, &value, &len) == 0 ? value : -1;
}

// The listening socket of the in-process server on `port`, or -1.
int listener_fd(int port) {
  for (const int fd : open_socket_fds()) {
    sockaddr_in local{};
    if (address_of(fd, false, &local) && ntohs(local.sin_port) == port &&
        int_option(fd, SOL_SOCKET, SO_ACCEPTCONN) == 1)
      return fd;
  }
  return -1;
}

// The server's end of `client`'s connection (the server runs in this process), or -1.
int server_end_of(const RawClient& client) {
  sockaddr_in client_local{}, client_peer{};
  if (!address_of(client.fd(), false, &client_local) || !address_of(client.fd(), true, &client_peer))
    return -1;
  for (const int fd : open_socket_fds()) {
    sockaddr_in local{}, peer{};
    if (fd != client.fd() && address_of(fd, false, &local) && address_of(fd, true, &peer) &&
        same(local, client_peer) && same(peer, client_local))
      return fd;
  }
  return -1;
}

// ---- clients that misbehave -------------------------------------------------------------------

// Sends a request line and the start of a header, then one more header byte every `interval`, for
// at most `limit`, until told to stop or the server answers or closes (cut).
class Trickler {
 public:
  Trickler(int port, std::chrono::milliseconds interval, std::chrono::seconds limit)
      : client_(port) {
    started_ = client_.connected() &&
               client_.send("POST /v1/predict HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    thread_ = std::thread([this, interval, limit] {
      const auto end = Clock::now() + limit;
      while (!stop_ && Clock::now() < end) {
        std::this_thread::sleep_for(interval);
        pollfd p{client_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0 || !client_.send("a")) {
          answer_ = client_.read_until("}", 1000);
          cut_ = true;
          return;
        }
      }
    });
  }
  ~Trickler() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits until the server cut it, or its time limit passed.
  void finish() {
    if (thread_.joinable()) thread_.join();
  }
  bool started() const { return started_; }
  bool cut() const { return cut_; }  // valid after stop() or finish()
  const std::string& answer() const { return answer_; }

 private:
  RawClient client_;
  bool started_ = false;
  std::atomic<bool> stop_{false};
  bool cut_ = false;
  std::string answer_;
  std::thread thread_;
};

void expect_predictions_served(const RunningServer& s, int requests, int read_timeout_s) {
  auto c = s.client(read_timeout_s);
  for (int i = 0; i < requests; ++i) {
    auto r = c.Post("/v1/predict", test::predict_body({"great fun"}), "application/json");
    ASSERT_TRUE(r) << "request " << i << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200) << r->body;
  }
}

// ---- the listening socket ---------------------------------------------------------------------

TEST(ServeTransport, ASecondServerOnABusyPortIsRefused) {
  RunningServer first;
  auto predictor = test::make_tiny_predictor(first.ckpt, 2);
  PredictServer second(*predictor, ServeLimits{}, nlohmann::json::object());
  try {
    second.bind("127.0.0.1", first.port);
    FAIL() << "a second server bound the busy port " << first.port;
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("port " + std::to_string(first.port) + " is already in use"),
              std::string::npos) << what;
  }
  // Another program listening with SO_REUSEPORT (as httplib's default did) cannot share it either.
  const int other = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(other, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(other, 8), 0);
  sockaddr_in bound{};
  ASSERT_TRUE(address_of(other, false, &bound));
  PredictServer third(*predictor, ServeLimits{}, nlohmann::json::object());
  EXPECT_THROW(third.bind("127.0.0.1", ntohs(bound.sin_port)), UsageError);
  ::close(other);
}

TEST(ServeTransport, TheBinaryRefusesABusyPortNamingIt) {
  RunningServer running;
  const std::string dir = test::scratch_dir("serve-busy");
  save_checkpoint(dir + "/m.safetensors", running.ckpt);
  std::string out;
  // `timeout`: a binary that does bind the port would serve until stopped.
  const int rc = test::run_command("timeout 20 " + test::senti_bin() +
                                       " serve --device cpu --checkpoint " + dir +
                                       "/m.safetensors --port " + std::to_string(running.port),
                                   &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("127.0.0.1:" + std::to_string(running.port)), std::string::npos) << out;
  EXPECT_NE(out.find("already in use"), std::string::npos) << out;
}

TEST(ServeTransport, TheListenerHasARealBacklogAndNoPortSharing) {
  RunningServer s;
  const int fd = listener_fd(s.port);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_REUSEPORT), 0);
  // For a listening socket Linux reports the accept queue's limit (min(backlog, somaxconn)) as
  // tcpi_sacked. It was 5.
  int somaxconn = 4096;
  std::ifstream("/proc/sys/net/core/somaxconn") >> somaxconn;
  tcp_info info{};
  socklen_t len = sizeof info;
  ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  EXPECT_EQ(static_cast<int>(info.tcpi_sacked), std::min(HttpOptions{}.backlog, somaxconn));
}

TEST(ServeTransport, ConnectionsUseTcpNoDelay) {
  RunningServer s;
  RawClient c(s.port);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string got = c.read_until("}", 5000);
  ASSERT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  const int fd = server_end_of(c);  // still open: keep-alive
  ASSERT_GE(fd, 0);
  EXPECT_EQ(int_option(fd, IPPROTO_TCP, TCP_NODELAY), 1);
}

// ---- slow, idle and too many clients ----------------------------------------------------------

TEST(ServeTransport, EightTricklingClientsDoNotFreezeIt) {
  RunningServer s;  // default options
  std::vector<std::unique_ptr<Trickler>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<Trickler>(s.port, std::chrono::milliseconds(100),
                                              std::chrono::seconds(15)));
    ASSERT_TRUE(slow.back()->started());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all eight are being read
  // While they trickle (they stop after 15 s at the latest), others are served. Before, every
  // worker waited on a trickler and these timed out.
  expect_predictions_served(s, 10, 10);
  for (auto& t : slow) t->stop();
}

TEST(ServeTransport, ARequestMustArriveWithinTheTimeout) {
  HttpOptions http;
  http.threads = 2;
  http.request_timeout_s = 1;
  RunningServer s(http);
  // Twice as many trickling clients as workers, each sending for up to 30 s: each is cut after
  // about a second with a 408, and a normal client is served once a worker is free.
  std::vector<std::unique_ptr<Trickler>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<Trickler>(s.port, std::chrono::milliseconds(100),
                                              std::chrono::seconds(30)));
    ASSERT_TRUE(slow.back()->started());
  }
  expect_predictions_served(s, 3, 15);
  for (auto& t : slow) {
    t->finish();
    EXPECT_TRUE(t->cut());
    EXPECT_EQ(t->answer().rfind("HTTP/1.1 408", 0), 0u) << t->answer();
    EXPECT_NE(t->answer().find("not received within 1 s"), std::string::npos) << t->answer();
  }
  // A client that connects and says nothing is closed too.
  RawClient silent(s.port);
  bool closed = false;
  silent.read_until("never", 10000, &closed);
  EXPECT_TRUE(closed);
}

TEST(ServeTransport, AFullQueueIsAnswered503AtOnce) {
  HttpOptions http;
  http.threads = 1;
  http.max_pending = 1;
  http.request_timeout_s = 30;
  RunningServer s(http);
  // c1 holds the only worker: one request served, then the start of a second one.
  RawClient c1(s.port);
  ASSERT_TRUE(c1.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(c1.read_until("}", 5000).rfind("HTTP/1.1 200", 0), 0u);
  ASSERT_TRUE(c1.send("GET /healthz HTTP/1.1\r\n"));
  RawClient c2(s.port);  // waits in the queue (its one place)
  ASSERT_TRUE(c2.connected());
  RawClient c3(s.port);  // no place left
  bool closed = false;
  const std::string busy = c3.read_until("}", 5000, &closed);
  EXPECT_EQ(busy.rfind("HTTP/1.1 503", 0), 0u) << busy;
  EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos) << busy;
  EXPECT_NE(busy.find("\"status\":503"), std::string::npos) << busy;
  // c1 finishes its request; the worker then serves c2.
  ASSERT_TRUE(c1.send("Host: x\r\n\r\n"));
  EXPECT_EQ(c1.read_until("}", 5000).rfind("HTTP/1.1 200", 0), 0u);
  ASSERT_TRUE(c2.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c2.read_until("}", 5000).rfind("HTTP/1.1 200", 0), 0u);
}

TEST(ServeTransport, AnIdleKeepAliveConnectionGivesWayToAWaitingOne) {
  HttpOptions http;
  http.threads = 1;
  http.keep_alive_s = 60;
  RunningServer s(http);
  RawClient idle(s.port);
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string first = idle.read_until("}", 5000);
  ASSERT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE(first.find("Keep-Alive: timeout=60, max=100"), std::string::npos) << first;
  // The idle connection holds the only worker; a new client is still served (it would have waited
  // 60 s), and the idle one is closed.
  auto c = s.client(10);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  bool closed = false;
  idle.read_until("never", 5000, &closed);
  EXPECT_TRUE(closed);
}

TEST(ServeTransport, StopEndsIdleAndHalfSentConnections) {
  HttpOptions http;
  http.request_timeout_s = 60;
  http.keep_alive_s = 60;
  auto s = std::make_unique<RunningServer>(http);
  RawClient idle(s->port), half(s->port);
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(idle.read_until("}", 5000).rfind("HTTP/1.1 200", 0), 0u);
  ASSERT_TRUE(half.send("POST /v1/predict HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto stopped = std::async(std::launch::async, [&] { s->stop(); });
  const bool in_time = stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!in_time) {  // unblock it so the test ends
    idle.close();
    half.close();
  }
  stopped.get();
  EXPECT_TRUE(in_time) << "stop() waited for an idle or half-sent connection";
}

// ---- flags ------------------------------------------------------------------------------------

TEST(ServeTransport, OutOfRangeServeFlagsAreRefused) {
  const std::string base = test::senti_bin() + " serve --device cpu --checkpoint /nonexistent ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--max-texts -1", "--max-texts must be in 1..65536, got -1"},
      {"--max-texts 0", "--max-texts"},
      {"--max-body-bytes -5", "--max-body-bytes"},
      {"--max-body-bytes 10", "--max-body-bytes"},
      {"--max-text-bytes 0", "--max-text-bytes"},
      {"--max-body-bytes 1000 --max-text-bytes 2000", "--max-text-bytes must be in 1..1000"},
      {"--port -1", "--port must be in 0..65535"},
      {"--port 70000", "--port must be in 0..65535"},
      {"--batch 0", "--batch"},
      {"--threads 0", "--threads"},
      {"--threads 100000", "--threads"},
      {"--request-timeout 0", "--request-timeout"},
  };
  for (const auto& [flags, needle] : cases) {
    std::string out;
    EXPECT_EQ(test::run_command(base + flags, &out), 2) << flags << ": " << out;
    EXPECT_NE(out.find(needle), std::string::npos) << flags << ": " << out;
  }
}

}  // namespace
}  // namespace senti::cli
